use super::*;
use ::shapefile::dbase::{FieldName, TableWriterBuilder};
use cim_core::AttrValue;

fn square(x0: f64, y0: f64, s: f64, clockwise: bool) -> Vec<::shapefile::Point> {
    let mut v = vec![
        ::shapefile::Point::new(x0, y0),
        ::shapefile::Point::new(x0, y0 + s),
        ::shapefile::Point::new(x0 + s, y0 + s),
        ::shapefile::Point::new(x0 + s, y0),
        ::shapefile::Point::new(x0, y0),
    ];
    if !clockwise {
        v.reverse();
    }
    v
}

fn write_polygons(dir: &Path) -> PathBuf {
    let path = dir.join("blocks.shp");
    let table = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("NAME").unwrap(), 20)
        .add_numeric_field(FieldName::try_from("FLOORS").unwrap(), 5, 0)
        .add_numeric_field(FieldName::try_from("HEIGHT").unwrap(), 8, 2);
    let mut w = ::shapefile::Writer::from_path(&path, table).unwrap();
    let shapes = [
        ::shapefile::Polygon::with_rings(vec![
            PolygonRing::Outer(square(0.0, 0.0, 10.0, true)),
            PolygonRing::Inner(square(2.0, 2.0, 2.0, false)),
        ]),
        ::shapefile::Polygon::with_rings(vec![
            PolygonRing::Outer(square(20.0, 0.0, 5.0, true)),
            PolygonRing::Outer(square(30.0, 0.0, 5.0, true)),
        ]),
    ];
    for (i, s) in shapes.iter().enumerate() {
        let mut rec = ::shapefile::dbase::Record::default();
        rec.insert(
            "NAME".into(),
            ::shapefile::dbase::FieldValue::Character(Some(format!("block {i}"))),
        );
        rec.insert(
            "FLOORS".into(),
            ::shapefile::dbase::FieldValue::Numeric(Some(3.0 + i as f64)),
        );
        rec.insert(
            "HEIGHT".into(),
            ::shapefile::dbase::FieldValue::Numeric(Some(9.5 * (i + 1) as f64)),
        );
        w.write_shape_and_record(s, &rec).unwrap();
    }
    drop(w);
    path
}

#[test]
fn polygons_with_holes_and_multiple_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_polygons(dir.path());
    std::fs::write(path.with_extension("prj"), "EPSG:4547").unwrap();
    let loaded = load(&path).unwrap();
    let layer = &loaded.layer;
    assert_eq!(layer.name, "blocks");
    assert_eq!(layer.format, "ESRI Shapefile");
    let v = layer.vector().unwrap();
    assert_eq!(
        v.fields
            .iter()
            .map(|f| (f.name.as_str(), f.ty))
            .collect::<Vec<_>>(),
        [
            ("NAME", cim_core::AttrType::String),
            ("FLOORS", cim_core::AttrType::Int),
            ("HEIGHT", cim_core::AttrType::Float)
        ]
    );
    assert_eq!(v.features.len(), 2);
    // One polygon has two parts, so the layer is MultiPolygon throughout.
    assert_eq!(v.geometry_type(), "MultiPolygon");
    let Geometry::MultiPolygon(p0) = &v.features[0].geometry else {
        panic!()
    };
    assert_eq!(p0.len(), 1);
    assert_eq!(p0[0].exterior.len(), 4, "closing vertex dropped");
    assert_eq!(p0[0].interiors.len(), 1);
    assert!((p0[0].area() - 96.0).abs() < 1e-9);
    let Geometry::MultiPolygon(p1) = &v.features[1].geometry else {
        panic!()
    };
    assert_eq!(p1.len(), 2);
    assert_eq!(v.attr(&v.features[1], "NAME"), &AttrValue::from("block 1"));
    assert_eq!(v.attr(&v.features[1], "FLOORS"), &AttrValue::Int(4));
    assert_eq!(v.attr(&v.features[1], "HEIGHT"), &AttrValue::Float(19.0));
    assert_eq!(v.features[1].id, FeatureId(1));
    assert_eq!(layer.bbox().unwrap().to_xy_array(), [0.0, 0.0, 35.0, 10.0]);
}

#[test]
fn z_points_lines_and_null_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("poles.shp");
    let w = ::shapefile::ShapeWriter::from_path(&path).unwrap();
    w.write_shapes(&[
        ::shapefile::PolylineZ::new(vec![
            ::shapefile::PointZ::new(1.0, 2.0, 3.0, 0.0),
            ::shapefile::PointZ::new(4.0, 5.0, 6.0, 0.0),
        ]),
        ::shapefile::PolylineZ::new(vec![
            ::shapefile::PointZ::new(7.0, 8.0, 9.0, 0.0),
            ::shapefile::PointZ::new(1.0, 1.0, -1.0, 0.0),
        ]),
    ])
    .unwrap();
    let loaded = load(&path).unwrap();
    assert!(
        loaded.warnings.iter().any(|w| w.contains("no .dbf")),
        "{:?}",
        loaded.warnings
    );
    let v = loaded.layer.vector().unwrap();
    assert_eq!(v.geometry_type(), "LineString");
    let b = loaded.layer.bbox().unwrap();
    assert_eq!((b.min.z, b.max.z), (-1.0, 9.0));
}

#[test]
fn record_counts_are_checked_before_reading() {
    // A polyline record claiming 100 million points in 60 bytes.
    let mut c = vec![0u8; 60];
    c[0..4].copy_from_slice(&3i32.to_le_bytes());
    c[36..40].copy_from_slice(&1i32.to_le_bytes());
    c[40..44].copy_from_slice(&100_000_000i32.to_le_bytes());
    let e = parse_shape(&c).unwrap_err();
    assert!(e.contains("needs 1600000048 bytes"), "{e}");
    c[36..40].copy_from_slice(&(-1i32).to_le_bytes());
    assert!(parse_shape(&c).unwrap_err().contains("negative"));
    // Part starts that point past the points (the crate would size a
    // part from them).
    let mut c = vec![0u8; 44 + 8 + 16 * 2];
    c[0..4].copy_from_slice(&3i32.to_le_bytes());
    c[36..40].copy_from_slice(&2i32.to_le_bytes());
    c[40..44].copy_from_slice(&2i32.to_le_bytes());
    c[48..52].copy_from_slice(&(-453_000_000i32).to_le_bytes());
    assert!(
        parse_shape(&c)
            .unwrap_err()
            .contains("part 1 starts at point -453000000")
    );
    c[48..52].copy_from_slice(&3i32.to_le_bytes());
    assert!(
        parse_shape(&c)
            .unwrap_err()
            .contains("part 1 starts at point 3")
    );
    c[48..52].copy_from_slice(&1i32.to_le_bytes());
    assert!(matches!(
        parse_shape(&c),
        Ok(Some(Geometry::MultiLineString(_)))
    ));
    c[0..4].copy_from_slice(&77i32.to_le_bytes());
    assert!(
        parse_shape(&c)
            .unwrap_err()
            .contains("unknown shape type 77")
    );
}

#[test]
fn orphan_holes_become_polygons() {
    let ccw = |x0: f64| {
        vec![
            DVec3::new(x0, 0.0, 0.0),
            DVec3::new(x0 + 1.0, 0.0, 0.0),
            DVec3::new(x0 + 1.0, 1.0, 0.0),
        ]
    };
    // Two holes outside the only outer ring (found by fuzzing: the second
    // was once matched against the first's new polygon).
    let g = polygons(
        [
            (vec![DVec3::ZERO, DVec3::Y, DVec3::X], true),
            (ccw(10.0), false),
            (ccw(20.0), false),
        ]
        .into_iter(),
    );
    let Some(Geometry::MultiPolygon(ps)) = g else {
        panic!("{g:?}")
    };
    assert_eq!(ps.len(), 3);
    assert!(ps.iter().all(|p| p.interiors.is_empty()));
}

#[test]
fn multipatch_strips_fans_and_rings_become_triangles() {
    let z = |x: f64, y: f64, z: f64| ::shapefile::PointZ::new(x, y, z, 0.0);
    let m = ::shapefile::Multipatch::with_parts(vec![
        Patch::TriangleStrip(vec![
            z(0., 0., 0.),
            z(1., 0., 0.),
            z(0., 1., 0.),
            z(1., 1., 0.),
        ]),
        Patch::TriangleFan(vec![
            z(0., 0., 1.),
            z(1., 0., 1.),
            z(1., 1., 1.),
            z(0., 1., 1.),
        ]),
        Patch::OuterRing(vec![
            z(0., 0., 2.),
            z(2., 0., 2.),
            z(2., 2., 2.),
            z(0., 2., 2.),
        ]),
    ]);
    let Some(Geometry::Mesh { positions, indices }) = multipatch(m.patches()) else {
        panic!()
    };
    assert_eq!(
        positions.len(),
        4 + 4 + 4,
        "ring closed by the crate, reopened here"
    );
    assert_eq!(indices.len(), 3 * (2 + 2 + 2));
    assert!(indices.iter().all(|&i| (i as usize) < positions.len()));
    // The strip's second triangle keeps the winding of the first.
    assert_eq!(&indices[..6], &[0, 1, 2, 2, 1, 3]);
}

#[test]
fn truncated_shp_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_polygons(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 30]).unwrap();
    let e = load(&path).unwrap_err();
    assert!(matches!(e, LoadError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("blocks.shp"), "{e}");
    std::fs::write(&path, &bytes[..60]).unwrap();
    let e = load(&path).unwrap_err().to_string();
    assert!(e.contains("100-byte"), "{e}");
}

#[test]
fn short_dbf_is_an_error_naming_the_dbf() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_polygons(dir.path());
    let dbf = path.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    // Declare one record instead of two: consistent, but one short of the .shp.
    bytes[4] = 1;
    std::fs::write(&dbf, &bytes).unwrap();
    let e = load(&path).unwrap_err().to_string();
    assert!(e.contains("blocks.dbf"), "{e}");
    assert!(e.contains("1 records but"), "{e}");
    assert!(e.contains("2 shapes"), "{e}");
}

#[test]
fn unparsable_prj_loads_without_crs_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_polygons(dir.path());
    std::fs::write(path.with_extension("prj"), "PROJCS[\"garbage\", nonsense").unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.layer.crs, None);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("blocks.prj") && w.contains("without a CRS")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn upper_case_side_files_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_polygons(dir.path());
    std::fs::rename(path.with_extension("dbf"), dir.path().join("BLOCKS.DBF")).unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.layer.vector().unwrap().fields.len(), 3);
}
