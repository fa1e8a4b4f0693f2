//! Loads the public GIS test data in `$CIM_TEST_DATA/gis/` (see the data
//! folder's README.md) and compares with independent readers.
//!
//! Expected numbers were produced with pyshp 2.3 and GDAL 3.6.2:
//!
//! * shapefile-rs and zaatari shapefiles (unzipped to a scratch folder; the
//!   `.shx`-less ones given a `.shx` by GDAL with `SHAPE_RESTORE_SHX=YES`):
//!   ```text
//!   python3 -c "import shapefile; r = shapefile.Reader(F, encoding='utf-8'); \
//!     s = r.shapes(); print(r.shapeType, len(s), r.fields[1:], r.record(0), \
//!     [min(p[0] for x in s for p in x.points), min(p[1] for x in s for p in x.points), \
//!      max(p[0] for x in s for p in x.points), max(p[1] for x in s for p in x.points)], \
//!     sum(len(x.points) for x in s), [x.z for x in s])"
//!   ogrinfo --config SHAPE_RESTORE_SHX YES -al -q F.shp     # ring grouping, TIN triangles
//!   ```
//! * zaatari GeoJSON: `ogrinfo -ro -so -al F.geojson` and, for field types and
//!   the first feature, GDAL's Python bindings (`layer.GetExtent()`,
//!   `GetFieldDefn(i).GetTypeName()`, `GetFeature(0).items()`);
//! * pysheds-dem.tif: `gdalinfo -stats` and GDAL's Python bindings
//!   (`GetGeoTransform()`, `ReadAsArray()` at the cells below).

use cim_core::{AttrType, AttrValue, DVec3, Geometry, Layer};
use cim_loaders::{LayerReport, load_all, load_path};
use std::path::{Path, PathBuf};

/// `$CIM_TEST_DATA/gis`. The tests that call it are ignored unless
/// `CIM_TEST_DATA` was set at build time (see build.rs); set, a missing
/// folder fails them.
fn gis() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let gis = PathBuf::from(d).join("gis");
    assert!(gis.is_dir(), "{}: no such folder", gis.display());
    gis
}

/// Runs a GDAL command-line tool, the reference these tests compare with;
/// with the real data at hand, a missing tool is a failure, not a skip.
fn gdal(tool: &str) -> std::process::Command {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{tool} (Debian's gdal-bin) is needed by this test");
    std::process::Command::new(tool)
}

fn one(path: &Path) -> Layer {
    let mut layers = load_path(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(layers.len(), 1, "{}", path.display());
    layers.remove(0)
}

fn assert_bbox(layer: &Layer, want: [f64; 4], tol: f64) {
    let got = layer.bbox().unwrap().to_xy_array();
    for i in 0..4 {
        assert!(
            (got[i] - want[i]).abs() <= tol,
            "{}: bbox {got:?}, expected {want:?}",
            layer.name
        );
    }
}

fn z_range(layer: &Layer) -> (f64, f64) {
    let b = layer.bbox().unwrap();
    (b.min.z, b.max.z)
}

fn vertex_count(layer: &Layer) -> usize {
    let mut n = 0;
    for f in &layer.vector().unwrap().features {
        f.geometry.for_each_point(|_| n += 1);
    }
    n
}

fn schema(layer: &Layer) -> Vec<(String, AttrType)> {
    layer
        .vector()
        .unwrap()
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.ty))
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_gis_file_loads() {
    let gis = gis();
    let mut files = Vec::new();
    files_under(&gis, &mut files);
    files.sort();
    let mut loaded = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_lowercase();
        // Side files and licences are not datasets.
        if [".shx", ".dbf", ".cpg", ".prj", ".md"]
            .iter()
            .any(|e| name.ends_with(e))
            || name == "license"
        {
            continue;
        }
        for r in load_all(f) {
            let l = r.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                l.layer.feature_count() > 0 || l.layer.grid().is_some(),
                "{}",
                f.display()
            );
            loaded += 1;
        }
    }
    // 15 shapefile-rs .shp files, 3 zips, 3 GeoJSON files, 1 GeoTIFF.
    assert_eq!(loaded, 22, "layers loaded from {}", gis.display());
}

/// (file, geometry type, features, vertices, bbox, z range)
type ShapeCase = (
    &'static str,
    &'static str,
    usize,
    usize,
    [f64; 4],
    (f64, f64),
);

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn shapefile_rs_every_shape_type_matches_pyshp_and_gdal() {
    let gis = gis();
    let dir = gis.join("shapefile-rs");
    // Vertex counts are pyshp's, less one per closed polygon ring (cim-core
    // rings are not closed); the MultiPatch has pyshp's 16 points.
    let cases: [ShapeCase; 15] = [
        (
            "point",
            "Point",
            1,
            1,
            [122.0, 37.0, 122.0, 37.0],
            (0.0, 0.0),
        ),
        (
            "pointm",
            "Point",
            2,
            2,
            [
                160467.63787299366,
                5403959.561417906,
                160477.9000324604,
                5403971.985031904,
            ],
            (0.0, 0.0),
        ),
        (
            "pointz",
            "Point",
            2,
            2,
            [
                1422459.0908050265,
                4188942.211755641,
                1422464.3681007193,
                4188962.3364355816,
            ],
            (72.40956470558095, 72.58286959604922),
        ),
        (
            "multipoint",
            "MultiPoint",
            1,
            2,
            [122.0, 32.0, 124.0, 37.0],
            (0.0, 0.0),
        ),
        (
            "multipointz",
            "MultiPoint",
            1,
            4,
            [
                1422671.7232666016,
                4188903.4295959473,
                1422672.1022949219,
                4188903.7578430176,
            ],
            (71.99445343017578, 72.00995635986328),
        ),
        (
            "line",
            "MultiLineString",
            1,
            7,
            [1.0, 1.0, 5.0, 6.0],
            (0.0, 0.0),
        ),
        (
            "linem",
            "MultiLineString",
            1,
            7,
            [1.0, 1.0, 5.0, 6.0],
            (0.0, 0.0),
        ),
        (
            "linez",
            "MultiLineString",
            1,
            10,
            [1.0, 1.0, 5.0, 9.0],
            (0.0, 22.0),
        ),
        (
            "file_cp936",
            "MultiLineString",
            1,
            7,
            [1.0, 1.0, 5.0, 6.0],
            (0.0, 0.0),
        ),
        // GDAL: three one-ring polygons whose rings are not closed in the file.
        (
            "polygon",
            "MultiPolygon",
            1,
            11,
            [15.0, 2.0, 122.0, 37.0],
            (0.0, 0.0),
        ),
        (
            "polygon_hole",
            "Polygon",
            1,
            8,
            [-120.0, -60.0, 120.0, 60.0],
            (0.0, 0.0),
        ),
        (
            "multi_polygon",
            "MultiPolygon",
            1,
            1694 - 4,
            [
                5.879502799999998,
                43.10204090053878,
                5.987384099999999,
                43.17149400053996,
            ],
            (0.0, 0.0),
        ),
        (
            "polygonm",
            "Polygon",
            1,
            3,
            [
                159374.30785312195,
                5403473.287488617,
                160420.36722814097,
                5404314.139043656,
            ],
            (0.0, 0.0),
        ),
        (
            "polygonz",
            "Polygon",
            1,
            72,
            [
                1422691.1637959871,
                4188837.293869424,
                1422692.1644789441,
                4188838.2945523816,
            ],
            (72.46632654472523, 72.46632654472523),
        ),
        (
            "multipatch",
            "Mesh",
            1,
            16,
            [0.0, 0.0, 5.0, 5.0],
            (0.0, 5.0),
        ),
    ];
    for (name, ty, n, verts, bbox, z) in cases {
        let l = one(&dir.join(format!("{name}.shp")));
        let v = l.vector().unwrap();
        assert_eq!(v.geometry_type(), ty, "{name}");
        assert_eq!(v.features.len(), n, "{name}");
        assert_eq!(vertex_count(&l), verts, "{name}");
        assert_bbox(&l, bbox, 0.0);
        assert_eq!(z_range(&l), z, "{name}");
    }

    // Ring grouping as GDAL does it.
    let l = one(&dir.join("polygon.shp"));
    let Geometry::MultiPolygon(ps) = &l.vector().unwrap().features[0].geometry else {
        panic!()
    };
    assert_eq!(ps.len(), 3);
    assert!(ps.iter().all(|p| p.interiors.is_empty()));
    let l = one(&dir.join("polygon_hole.shp"));
    let Geometry::Polygon(p) = &l.vector().unwrap().features[0].geometry else {
        panic!()
    };
    assert_eq!(p.exterior[0], DVec3::new(-120.0, 60.0, 0.0));
    assert_eq!(p.interiors.len(), 1);
    assert_eq!(p.interiors[0][0], DVec3::new(-60.0, 30.0, 0.0));
    let l = one(&dir.join("multi_polygon.shp"));
    let Geometry::MultiPolygon(ps) = &l.vector().unwrap().features[0].geometry else {
        panic!()
    };
    assert_eq!(ps.len(), 4);
    assert!(ps.iter().all(|p| p.interiors.is_empty()));

    // GDAL: GEOMETRYCOLLECTION Z (TIN Z (8 triangles), TIN Z (4 triangles)).
    let l = one(&dir.join("multipatch.shp"));
    let v = l.vector().unwrap();
    let Geometry::Mesh { positions, indices } = &v.features[0].geometry else {
        panic!()
    };
    assert_eq!(indices.len(), 3 * 12);
    assert_eq!(positions[indices[0] as usize], DVec3::new(0.0, 0.0, 0.0));
    assert_eq!(positions[indices[1] as usize], DVec3::new(0.0, 0.0, 3.0));
    assert_eq!(positions[indices[2] as usize], DVec3::new(5.0, 0.0, 0.0));
    assert_eq!(v.attr(&v.features[0], "name"), &AttrValue::from("house1"));

    // The CP936 table, declared by its .cpg.
    let l = one(&dir.join("file_cp936.shp"));
    let v = l.vector().unwrap();
    assert_eq!(schema(&l), [("TEST".to_string(), AttrType::String)]);
    assert_eq!(v.attr(&v.features[0], "TEST"), &AttrValue::from("测试中文"));
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn zaatari_zipped_shapefiles_match_pyshp_and_gdal() {
    let gis = gis();
    let dir = gis.join("zaatari");
    let blocks = one(&dir.join("BlockBoundaries_2016_12.shp.zip"));
    assert_eq!(blocks.name, "BlockBoundaries_2016_12");
    assert_eq!(blocks.feature_count(), 193);
    assert_eq!(blocks.vector().unwrap().geometry_type(), "Polygon");
    assert_eq!(
        schema(&blocks),
        [
            ("BLOCK_CODE", AttrType::String),
            ("NAME_EN", AttrType::String),
            ("NAME_AR", AttrType::String),
            ("BLOCK_NUM", AttrType::Int),
            ("NGO_OPERAT", AttrType::String),
            ("DISTRICT", AttrType::Int),
        ]
        .map(|(n, t)| (n.to_string(), t))
    );
    assert_bbox(
        &blocks,
        [
            246866.733,
            3574662.9975000005,
            249903.52610000037,
            3577306.6951,
        ],
        0.0,
    );
    let v = blocks.vector().unwrap();
    let f5 = &v.features[5];
    let rec5: Vec<AttrValue> = vec![
        "B-01-06".into(),
        "Block 6".into(),
        "حارة 6".into(),
        AttrValue::Int(6),
        "ACTED".into(),
        AttrValue::Int(1),
    ];
    assert_eq!(f5.attributes, rec5);
    assert!(blocks.crs.is_some());

    let pipes = one(&dir.join("Pipes_SolidFree_2017_03.shp.zip"));
    assert_eq!(pipes.feature_count(), 2096);
    assert!(schema(&pipes).is_empty(), "the .dbf has no fields");
    assert_eq!(vertex_count(&pipes), 5732);
    assert_eq!(pipes.vector().unwrap().geometry_type(), "LineString");
    assert_bbox(
        &pipes,
        [
            246938.87257148084,
            3575346.0048850556,
            249886.68474776633,
            3577118.721256965,
        ],
        0.0,
    );

    let roads = one(&dir.join("Roads_2016_12.shp.zip"));
    assert_eq!(roads.feature_count(), 161);
    // 162 parts in 161 shapes: one road has two parts.
    assert_eq!(roads.vector().unwrap().geometry_type(), "MultiLineString");
    assert_eq!(vertex_count(&roads), 1676);
    assert_bbox(
        &roads,
        [
            245924.50950056824,
            3574661.0463607092,
            250951.63413789062,
            3577310.0639769314,
        ],
        0.0,
    );
    let v = roads.vector().unwrap();
    assert_eq!(
        v.features[0].attributes,
        vec![
            AttrValue::Int(3),
            "paved".into(),
            "Al Khadamat Street".into(),
            "شارع الخدمات".into()
        ]
    );
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn zaatari_geojson_matches_gdal_and_its_shapefile() {
    let gis = gis();
    let dir = gis.join("zaatari");
    let cases = [
        (
            "BlockBoundaries_2016_12",
            193,
            [36.311863, 32.280752, 36.344131, 32.304168],
        ),
        (
            "Pipes_SolidFree_2017_03",
            2096,
            [36.312584, 32.286583, 36.343967, 32.302548],
        ),
        (
            "Roads_2016_12",
            161,
            [36.301773, 32.280734, 36.355423, 32.3042],
        ),
    ];
    for (name, n, extent) in cases {
        let l = one(&dir.join(format!("{name}.geojson")));
        assert_eq!(l.feature_count(), n, "{name}");
        assert_bbox(&l, extent, 0.0);
        assert_eq!(l.crs, Some(cim_core::crs::CrsDef::wgs84()), "{name}: CRS84");

        // The shapefile's extent taken to WGS 84 through its .prj lands on
        // the GeoJSON's (rounded to 6 decimals there).
        let report = cim_loaders::inspect_path(&dir.join(format!("{name}.shp.zip")));
        let LayerReport::Loaded(s) = &report.layers[0] else {
            panic!("{report}")
        };
        let w = s.bbox_wgs84.unwrap();
        for i in 0..4 {
            assert!(
                (w[i] - extent[i]).abs() < 1e-6,
                "{name}: {w:?} vs {extent:?}"
            );
        }
    }
    let roads = one(&dir.join("Roads_2016_12.geojson"));
    assert_eq!(
        schema(&roads),
        [
            ("OBJECTID", AttrType::Int),
            ("Linetype", AttrType::String),
            ("Name", AttrType::String),
            ("Ar_Name", AttrType::String),
        ]
        .map(|(n, t)| (n.to_string(), t))
    );
    let v = roads.vector().unwrap();
    assert_eq!(
        v.features[0].attributes,
        vec![
            AttrValue::Int(3),
            "paved".into(),
            "Al Khadamat Street".into(),
            "شارع الخدمات".into()
        ]
    );
    assert_eq!(v.geometry_type(), "MultiLineString");
    let blocks = one(&dir.join("BlockBoundaries_2016_12.geojson"));
    assert_eq!(blocks.vector().unwrap().fields[3].ty, AttrType::Int);
    assert_eq!(blocks.vector().unwrap().geometry_type(), "Polygon");
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn pysheds_dem_matches_gdal() {
    let gis = gis();
    let path = gis.join("dem/pysheds-dem.tif");
    let l = one(&path);
    assert_eq!(l.crs, Some(cim_core::crs::CrsDef::wgs84()));
    let g = l.grid().unwrap();
    assert_eq!((g.width, g.height), (367, 359));
    assert_eq!((g.x0, g.y0), (-97.4849999999961, 32.82166666666536));
    assert_eq!((g.dx, g.dy), (0.0008333333333333, 0.0008333333333333));
    assert_eq!(g.nodata, Some(-32768.0));
    assert_eq!(g.min_max(), Some((147.0, 298.0)));
    // ReadAsArray()[row, col]
    for (row, col, v) in [
        (0, 0, 214.0),
        (358, 366, 216.0),
        (200, 100, 234.0),
        (17, 350, 151.0),
    ] {
        assert_eq!(g.get(col, row), Some(v), "row {row} col {col}");
    }
    let info = cim_loaders::raster::geotiff::read_info(&path).unwrap();
    assert!(info.tiled);
    assert_eq!(info.block, (16, 16));
    assert_eq!(info.sample_type, "int16");
    assert_eq!(info.epsg, Some(4326));

    // Windows and decimated reads agree with the full read.
    let w = cim_loaders::raster::geotiff::read_window(&path, 340, 10, 27, 20).unwrap();
    assert_eq!(w.get(10, 7), g.get(350, 17));
    assert_eq!(w.x0, g.x0 + 340.0 * g.dx);
    let d = cim_loaders::raster::geotiff::read_decimated(&path, 100).unwrap();
    assert_eq!((d.width, d.height), (92, 90));
    let (x, y) = d.cell_center(45, 45);
    let (col, row) = (((x - g.x0) / g.dx) as usize, ((g.y0 - y) / g.dy) as usize);
    assert_eq!(d.get(45, 45), g.get(col, row));
}

/// Re-encodes a corner of the DEM with GDAL's encoders (compressions,
/// predictors, tiling, overviews) and checks every cell against the original.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn gdal_encoded_variants_of_the_dem_decode_identically() {
    let gis = gis();
    let src = gis.join("dem/pysheds-dem.tif");
    let dir = tempfile::tempdir().unwrap();
    // Tiles of 16 leave partial tiles at the right and bottom edges (73 × 41).
    let tiled: &[&str] = &[
        "-co",
        "TILED=YES",
        "-co",
        "BLOCKXSIZE=16",
        "-co",
        "BLOCKYSIZE=16",
    ];
    let variants: Vec<(&str, Vec<&str>)> = vec![
        (
            "deflate-pred2",
            vec!["-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2"],
        ),
        ("lzw-tiled", [&["-co", "COMPRESS=LZW"][..], tiled].concat()),
        (
            "lzw-pred2-strips",
            vec![
                "-co",
                "COMPRESS=LZW",
                "-co",
                "PREDICTOR=2",
                "-co",
                "BLOCKYSIZE=5",
            ],
        ),
        (
            "lzw-float-pred3-tiled",
            [
                &[
                    "-ot",
                    "Float32",
                    "-co",
                    "COMPRESS=LZW",
                    "-co",
                    "PREDICTOR=3",
                ][..],
                tiled,
            ]
            .concat(),
        ),
        (
            "float-pred3",
            vec![
                "-ot",
                "Float32",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "PREDICTOR=3",
            ],
        ),
        (
            "packbits-tiled",
            [&["-co", "COMPRESS=PACKBITS"][..], tiled].concat(),
        ),
        (
            "big-endian",
            vec![
                "-co",
                "ENDIANNESS=BIG",
                "-co",
                "COMPRESS=LZW",
                "-co",
                "PREDICTOR=2",
            ],
        ),
        ("pixel-is-point", vec!["-mo", "AREA_OR_POINT=Point"]),
    ];
    let original = cim_loaders::raster::geotiff::read_window(&src, 100, 50, 73, 41).unwrap();
    for (name, opts) in variants {
        let out = dir.path().join(format!("{name}.tif"));
        let status = gdal("gdal_translate")
            .env("GDAL_PAM_ENABLED", "NO")
            .args(["-q", "-srcwin", "100", "50", "73", "41"])
            .args(&opts)
            .arg(&src)
            .arg(&out)
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "gdal_translate {name} failed"
        );
        let g = one(&out);
        let g = g.grid().unwrap();
        assert_eq!(g.data, original.data, "{name}");
        assert_eq!(
            (g.width, g.height, g.nodata),
            (73, 41, Some(-32768.0)),
            "{name}"
        );
        // GDAL writes PixelIsPoint with the tiepoint at the cell centre; the
        // corner comes back the same either way.
        assert!(
            (g.x0 - original.x0).abs() < 1e-9,
            "{name}: {} {}",
            g.x0,
            original.x0
        );
        assert!(
            (g.y0 - original.y0).abs() < 1e-9,
            "{name}: {} {}",
            g.y0,
            original.y0
        );
    }
    // Internal overviews (gdaladdo), used by decimated reads.
    let ov = dir.path().join("lzw-tiled.tif");
    let ok = gdal("gdaladdo")
        .env("GDAL_PAM_ENABLED", "NO")
        .args(["-q", "-r", "nearest"])
        .arg(&ov)
        .args(["2", "4"])
        .status();
    assert!(matches!(ok, Ok(s) if s.success()), "gdaladdo failed");
    let info = cim_loaders::raster::geotiff::read_info(&ov).unwrap();
    assert_eq!(info.overviews, vec![(1, 37, 21), (2, 19, 11)]);
    let d = cim_loaders::raster::geotiff::read_decimated(&ov, 19).unwrap();
    assert_eq!((d.width, d.height), (19, 11));
    assert!(
        d.data.iter().all(|v| original.data.contains(v)),
        "overview values come from the DEM"
    );
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn geopackage_written_by_gdal_matches_the_geojson() {
    let gis = gis();
    let src = gis.join("zaatari/Roads_2016_12.geojson");
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("roads.gpkg");
    let status = gdal("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .arg(&src)
        .status();
    assert!(matches!(status, Ok(s) if s.success()), "ogr2ogr failed");
    let from_json = one(&src);
    let from_gpkg = one(&gpkg);
    assert_eq!(from_gpkg.format, "GeoPackage");
    assert_eq!(from_gpkg.name, "Roads_2016_12");
    assert_eq!(from_gpkg.feature_count(), 161);
    assert_eq!(schema(&from_gpkg), schema(&from_json));
    assert_eq!(from_gpkg.bbox(), from_json.bbox());
    assert_eq!(from_gpkg.crs, Some(cim_core::crs::CrsDef::wgs84()));
    let (a, b) = (from_json.vector().unwrap(), from_gpkg.vector().unwrap());
    for (fa, fb) in a.features.iter().zip(&b.features) {
        assert_eq!(fa.attributes, fb.attributes);
        assert_eq!(fa.geometry, fb.geometry);
    }
}
