//! Summaries of GIS files for `cim inspect FILE... [--json]`.
//!
//! JSON shape (one entry per layer, in file order):
//!
//! ```json
//! {"layers":[
//!   {"file":"roads.shp.zip","name":"Roads","format":"ESRI Shapefile",
//!    "crs":"EPSG:32637","feature_count":172,
//!    "bbox":[minx,miny,maxx,maxy],"bbox_wgs84":[minlon,minlat,maxlon,maxlat],
//!    "geometry_type":"MultiLineString","fields":[{"name":"OBJECTID","type":"int"}]},
//!   {"file":"dem.tif","name":"dem","format":"GeoTIFF","crs":"EPSG:4326",
//!    "feature_count":0,"bbox":[…],"bbox_wgs84":[…],"geometry_type":"Raster","fields":[],
//!    "width":367,"height":359,"cell_size":[dx,dy],"nodata":-32768.0,"min":147.0,"max":298.0},
//!   {"file":"bad.zip/x.shp","name":"x","format":"ESRI Shapefile","error":"bad.zip/x.shp: truncated: …"}
//! ]}
//! ```
//!
//! `crs`, `bbox`, `bbox_wgs84`, `nodata`, `min` and `max` are `null` when
//! unknown; `warnings` appears when there are any. `bbox_wgs84` is the extent
//! of the vertices in WGS 84 for vector layers of up to 2^20 vertices; for
//! larger ones and rasters it follows the bounding box's edges through the
//! transformation, so it encloses the layer.

use crate::{FileFormat, LoadError, Loaded};
use cim_core::message::{clip, quote};
use cim_core::{Field, LayerContent};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// The report for one or more files.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InspectReport {
    pub layers: Vec<LayerReport>,
}

/// One layer: its summary, or why it failed to load.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LayerReport {
    Loaded(Box<LayerSummary>),
    Failed(LayerFailure),
}

/// A loaded layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerSummary {
    /// The file as given (an archive for layers inside one).
    pub file: String,
    pub name: String,
    pub format: String,
    /// The CRS label (`EPSG:32637`, …), `None` when the file declares none.
    pub crs: Option<String>,
    /// The CRS's full name (`WGS 84 / UTM zone 37N`), when PROJ knows it.
    pub crs_name: Option<String>,
    pub feature_count: usize,
    pub bbox: Option<[f64; 4]>,
    pub bbox_wgs84: Option<[f64; 4]>,
    /// The layer's single geometry type, `"Geometry"` when mixed, `"Raster"`
    /// for grids.
    pub geometry_type: String,
    pub fields: Vec<Field>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub raster: Option<RasterSummary>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tileset: Option<crate::tiles3d::summary::TilesetSummary>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub osgb: Option<crate::osgb::summary::OsgbSummary>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub citygml: Option<crate::citygml::summary::CityGmlSummary>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ifc: Option<crate::ifc::summary::IfcSummary>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub pipes: Option<crate::pipes::NetworkSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Grid facts of a raster layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RasterSummary {
    pub width: usize,
    pub height: usize,
    /// `[dx, dy]` in CRS units.
    pub cell_size: [f64; 2],
    pub nodata: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A layer (or whole file) that did not load.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerFailure {
    /// The file or archive member the error is about.
    pub file: String,
    pub name: String,
    pub format: Option<String>,
    /// The message, naming the file and the problem.
    pub error: String,
}

/// Loads and summarises every layer of `path`.
pub fn inspect_path(path: &Path) -> InspectReport {
    inspect_path_with(path, false)
}

/// [`inspect_path`]; `deep` reads every content of a 3D Tiles tileset to
/// count triangles, points, instances and features.
pub fn inspect_path_with(path: &Path, deep: bool) -> InspectReport {
    if crate::tiles3d::is_tileset(path) {
        return InspectReport {
            layers: vec![tileset_report(path, deep)],
        };
    }
    if crate::osgb::is_osgb(path) {
        return InspectReport {
            layers: vec![osgb_report(path, deep)],
        };
    }
    if crate::osgb::is_dataset(path) {
        return InspectReport {
            layers: vec![osgb_dataset_report(path, deep)],
        };
    }
    if crate::citygml::is_citygml(path) {
        return InspectReport {
            layers: vec![citygml_report(path)],
        };
    }
    if crate::ifc::is_ifc(path) {
        return InspectReport {
            layers: vec![ifc_report(path)],
        };
    }
    if crate::pipes::is_inp(path) {
        return InspectReport {
            layers: vec![pipes_report(path)],
        };
    }
    InspectReport {
        layers: crate::load_all(path)
            .into_iter()
            .map(|r| report(path, r))
            .collect(),
    }
}

fn tileset_report(path: &Path, deep: bool) -> LayerReport {
    use crate::tiles3d::{summary, tileset};
    let file = path.display().to_string();
    let name = crate::layer_name(path);
    match tileset::open(path, &tileset::Limits::default()) {
        Ok(ts) => {
            let s = summary::summarise(&ts, deep);
            let extent = summary::wgs84_extent(&ts);
            LayerReport::Loaded(Box::new(LayerSummary {
                file,
                name,
                format: "3D Tiles".into(),
                crs: extent.map(|_| "EPSG:4978".to_string()),
                crs_name: extent.map(|_| "WGS 84 (geocentric)".to_string()),
                feature_count: s.deep.as_ref().map_or(0, |d| d.feature_count),
                bbox: None,
                bbox_wgs84: extent,
                geometry_type: "Tileset".into(),
                fields: Vec::new(),
                raster: None,
                warnings: Vec::new(),
                tileset: Some(s),
                osgb: None,
                citygml: None,
                ifc: None,
                pipes: None,
            }))
        }
        Err(e) => LayerReport::Failed(LayerFailure {
            error: format!("{}: {}", crate::show(path), clip(&e, 4000)),
            file,
            name,
            format: Some("3D Tiles".into()),
        }),
    }
}

fn osgb_report(path: &Path, deep: bool) -> LayerReport {
    let file = path.display().to_string();
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    match crate::osgb::summary::summarise(path, deep) {
        Ok(s) => LayerReport::Loaded(Box::new(LayerSummary {
            file,
            name,
            format: "OSGB".into(),
            crs: None,
            crs_name: None,
            feature_count: 0,
            bbox: None,
            bbox_wgs84: None,
            geometry_type: "Mesh".into(),
            fields: Vec::new(),
            raster: None,
            warnings: Vec::new(),
            tileset: None,
            osgb: Some(s),
            citygml: None,
            ifc: None,
            pipes: None,
        })),
        Err(e) => LayerReport::Failed(LayerFailure {
            error: clip(&e, 4000).into_owned(),
            file,
            name,
            format: Some("OSGB".into()),
        }),
    }
}

/// An OSGB dataset folder: its tree of files as a tileset's counts.
fn osgb_dataset_report(path: &Path, deep: bool) -> LayerReport {
    use cim_core::lod::tile_source::TileSource;
    let file = path.display().to_string();
    let name = crate::layer_name(path);
    match crate::osgb::source::OsgbSource::open(path) {
        Ok(src) => {
            let crs = src.crs();
            let root = src.tree().tile(0);
            let b = root.bounds.aabb(&root.world);
            LayerReport::Loaded(Box::new(LayerSummary {
                file,
                name,
                format: "OSGB".into(),
                crs_name: crs.as_ref().and_then(crate::crs::name),
                crs: crs.as_ref().map(crate::crs::label),
                feature_count: 0,
                bbox: Some([b.min.x, b.min.y, b.max.x, b.max.y]),
                bbox_wgs84: crs.as_ref().and_then(|c| {
                    let corners = [
                        b.min,
                        b.max,
                        glam::DVec3::new(b.min.x, b.max.y, b.min.z),
                        glam::DVec3::new(b.max.x, b.min.y, b.min.z),
                    ];
                    crate::crs::points_to_wgs84(c, corners.to_vec()).ok()
                }),
                geometry_type: "Tileset".into(),
                fields: Vec::new(),
                raster: None,
                warnings: Vec::new(),
                tileset: Some(crate::tiles3d::summary::summarise_source(
                    &src, "OSGB", deep,
                )),
                osgb: None,
                citygml: None,
                ifc: None,
                pipes: None,
            }))
        }
        Err(e) => LayerReport::Failed(LayerFailure {
            error: format!("{}: {}", crate::show(path), clip(&e, 4000)),
            file,
            name,
            format: Some("OSGB".into()),
        }),
    }
}

/// An IFC model: its schema, elements by class, storeys and box.
fn ifc_report(path: &Path) -> LayerReport {
    model_report(path, "IFC", |path| {
        let model = crate::ifc::read_file(path)?;
        let s = crate::ifc::summary::summarise(&model);
        let src = crate::ifc::source::IfcSource::new(model);
        let mut r = model_summary(path, "IFC", src.crs(), s.element_count, src.model.bbox());
        r.ifc = Some(s);
        Ok(r)
    })
}

/// An EPANET network: its nodes and links by kind, units and extent (the
/// network alone: the map layers a viewer makes of it are not built).
fn pipes_report(path: &Path) -> LayerReport {
    model_report(path, "EPANET", |path| {
        let net = crate::pipes::inp::read(path)?;
        let mut warnings = Vec::new();
        let crs = crate::pipes::side_crs(path, &mut warnings);
        let mut bbox = cim_core::Bbox::EMPTY;
        for p in net.nodes.iter().filter_map(|n| n.position) {
            bbox.extend(glam::DVec3::new(p.x, p.y, 0.0));
        }
        let mut r = model_summary(path, "EPANET", crs, net.links.len(), bbox);
        r.geometry_type = "LineString".into();
        r.pipes = Some(crate::pipes::summarise(&net));
        r.warnings = warnings;
        Ok(r)
    })
}

/// A CityGML model: its objects, levels of detail, CRS and box.
fn citygml_report(path: &Path) -> LayerReport {
    model_report(path, "CityGML", |path| {
        let model = crate::citygml::read_file(path)?;
        let dir = path.parent().map(Path::to_path_buf);
        let src = crate::citygml::source::CityGmlSource::new(model, dir);
        let s = crate::citygml::summary::summarise(&src);
        let n = src.model.objects.len();
        let mut r = model_summary(path, "CityGML", src.crs(), n, src.model.bbox());
        r.citygml = Some(s);
        Ok(r)
    })
}

/// The report of a model file `summarise` reads, or why it could not.
fn model_report(
    path: &Path,
    format: &str,
    summarise: impl FnOnce(&Path) -> Result<LayerSummary, LoadError>,
) -> LayerReport {
    match summarise(path) {
        Ok(s) => LayerReport::Loaded(Box::new(s)),
        Err(e) => LayerReport::Failed(LayerFailure {
            error: e.to_string(),
            file: path.display().to_string(),
            name: crate::layer_name(path),
            format: Some(format.into()),
        }),
    }
}

/// A model's layer keys: its CRS, feature count and box (in WGS 84 too
/// when placed).
fn model_summary(
    path: &Path,
    format: &str,
    crs: Option<cim_core::crs::CrsDef>,
    feature_count: usize,
    b: cim_core::Bbox,
) -> LayerSummary {
    let bbox = (!b.is_empty()).then_some([b.min.x, b.min.y, b.max.x, b.max.y]);
    LayerSummary {
        file: path.display().to_string(),
        name: crate::layer_name(path),
        format: format.into(),
        crs_name: crs.as_ref().and_then(crate::crs::name),
        crs: crs.as_ref().map(crate::crs::label),
        feature_count,
        bbox,
        bbox_wgs84: crs.as_ref().zip(bbox).and_then(|(c, b)| {
            let corners = [(b[0], b[1]), (b[2], b[3]), (b[0], b[3]), (b[2], b[1])];
            let pts = corners.map(|(x, y)| glam::DVec3::new(x, y, 0.0));
            crate::crs::points_to_wgs84(c, pts.to_vec()).ok()
        }),
        geometry_type: "Mesh".into(),
        fields: Vec::new(),
        raster: None,
        warnings: Vec::new(),
        tileset: None,
        osgb: None,
        citygml: None,
        ifc: None,
        pipes: None,
    }
}

/// [`inspect_path`] for several files, one after the other.
pub fn inspect_paths<P: AsRef<Path>>(paths: &[P]) -> InspectReport {
    InspectReport {
        layers: paths
            .iter()
            .flat_map(|p| inspect_path(p.as_ref()).layers)
            .collect(),
    }
}

fn report(path: &Path, r: Result<Loaded, LoadError>) -> LayerReport {
    match r {
        Ok(l) => LayerReport::Loaded(Box::new(summarise(path, l))),
        Err(e) => {
            let file: PathBuf = e.path().to_path_buf();
            let format = file
                .file_name()
                .and_then(|n| FileFormat::from_extension(&n.to_string_lossy()))
                .map(|f| f.name().to_string());
            LayerReport::Failed(LayerFailure {
                file: file.display().to_string(),
                name: crate::layer_name(&file),
                format,
                error: e.to_string(),
            })
        }
    }
}

/// Summarises a loaded layer; `path` is the file it came from.
pub fn summarise(path: &Path, loaded: Loaded) -> LayerSummary {
    let Loaded {
        layer,
        mut warnings,
        ..
    } = loaded;
    let bbox = layer
        .bbox()
        .filter(|b| !b.is_empty())
        .map(|b| b.to_xy_array());
    let bbox_wgs84 = match (&layer.crs, bbox) {
        (Some(crs), Some(b)) => match wgs84_extent(crs, &layer.content, b) {
            Ok(w) => Some(w),
            Err(e) => {
                warnings.push(format!(
                    "{}: layer \"{}\": no WGS 84 extent: {}",
                    crate::show(path),
                    quote(&layer.name),
                    clip(&e, 600)
                ));
                None
            }
        },
        _ => None,
    };
    let (geometry_type, fields, raster) = match &layer.content {
        LayerContent::Vector(v) => (v.geometry_type().to_string(), v.fields.clone(), None),
        LayerContent::Tiles(_) => ("Tileset".to_string(), Vec::new(), None),
        LayerContent::Raster(g) => {
            let mm = g.min_max();
            (
                "Raster".to_string(),
                Vec::new(),
                Some(RasterSummary {
                    width: g.width,
                    height: g.height,
                    cell_size: [g.dx, g.dy],
                    nodata: g.nodata.map(f64::from),
                    min: mm.map(|m| m.0 as f64),
                    max: mm.map(|m| m.1 as f64),
                }),
            )
        }
    };
    LayerSummary {
        file: path.display().to_string(),
        name: layer.name.clone(),
        format: layer.format.clone(),
        crs: layer.crs.as_ref().map(crate::crs::label),
        crs_name: layer.crs.as_ref().and_then(crate::crs::name),
        feature_count: layer.feature_count(),
        bbox,
        bbox_wgs84,
        geometry_type,
        fields,
        raster,
        warnings,
        tileset: None,
        osgb: None,
        citygml: None,
        ifc: None,
        pipes: None,
    }
}

/// Vector layers of up to this many vertices get the exact WGS 84 extent of
/// their vertices; larger ones (and rasters) that of their bounding box's edges.
const EXACT_EXTENT_VERTICES: usize = 1 << 20;

fn wgs84_extent(
    crs: &cim_core::crs::CrsDef,
    content: &LayerContent,
    b: [f64; 4],
) -> Result<[f64; 4], String> {
    if let LayerContent::Vector(v) = content {
        let mut pts = Vec::new();
        let mut too_many = false;
        for f in &v.features {
            f.geometry.for_each_point(|p| {
                if pts.len() < EXACT_EXTENT_VERTICES {
                    pts.push(p);
                } else {
                    too_many = true;
                }
            });
            if too_many {
                break;
            }
        }
        if !too_many {
            return crate::crs::points_to_wgs84(crs, pts);
        }
    }
    crate::crs::bbox_to_wgs84(crs, b)
}

fn fmt_box(f: &mut fmt::Formatter<'_>, label: &str, b: &Option<[f64; 4]>) -> fmt::Result {
    match b {
        Some(b) => writeln!(f, "  {label:<13} {} {} .. {} {}", b[0], b[1], b[2], b[3]),
        None => writeln!(f, "  {label:<13} -"),
    }
}

/// How many characters of a file name a text report shows (see
/// [`cim_core::message::path`]).
const MAX_FILE_CHARS: usize = 400;

// The text form goes to a terminal: everything taken from the files (names,
// CRS names, field names) is shown bounded and with control characters
// escaped. The JSON form escapes them by itself.
impl fmt::Display for LayerSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} — layer \"{}\" ({})",
            clip(&self.file, MAX_FILE_CHARS),
            quote(&self.name),
            quote(&self.format)
        )?;
        match (&self.crs, &self.crs_name) {
            (Some(c), Some(n)) if c != n => {
                writeln!(f, "  {:<13} {} ({})", "crs", quote(c), quote(n))?
            }
            (Some(c), _) => writeln!(f, "  {:<13} {}", "crs", quote(c))?,
            (None, _) => writeln!(f, "  {:<13} none declared", "crs")?,
        }
        match &self.raster {
            None if self.tileset.is_some() || self.osgb.is_some() => {}
            None => writeln!(
                f,
                "  {:<13} {} {}",
                "features", self.feature_count, self.geometry_type
            )?,
            Some(r) => {
                writeln!(
                    f,
                    "  {:<13} {} × {} cells of {} × {}",
                    "grid", r.width, r.height, r.cell_size[0], r.cell_size[1]
                )?;
                let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| v.to_string());
                writeln!(
                    f,
                    "  {:<13} {} .. {} (nodata {})",
                    "values",
                    opt(r.min),
                    opt(r.max),
                    opt(r.nodata)
                )?;
            }
        }
        if let Some(t) = &self.tileset {
            t.fmt(f)?;
        }
        if let Some(o) = &self.osgb {
            o.fmt(f)?;
        }
        if let Some(c) = &self.citygml {
            c.fmt(f)?;
        }
        if let Some(i) = &self.ifc {
            i.fmt(f)?;
        }
        fmt_box(f, "bbox", &self.bbox)?;
        fmt_box(f, "bbox WGS 84", &self.bbox_wgs84)?;
        if let Some(p) = &self.pipes {
            writeln!(
                f,
                "  {:<13} {} junctions, {} reservoirs, {} tanks; {} pipes ({:.2} km), {} pumps, {} valves",
                "network",
                p.junctions,
                p.reservoirs,
                p.tanks,
                p.pipes,
                p.pipe_length_m / 1000.0,
                p.pumps,
                p.valves
            )?;
            writeln!(
                f,
                "  {:<13} {:.2} L/s of base demand (file in {})",
                "demand",
                p.base_demand_lps,
                p.flow_units.unwrap_or("?")
            )?;
        }
        if !self.fields.is_empty() {
            let list: Vec<String> = self
                .fields
                .iter()
                .map(|x| format!("{} ({})", quote(&x.name), x.ty.as_str()))
                .collect();
            writeln!(f, "  {:<13} {}", "fields", list.join(", "))?;
        }
        for w in &self.warnings {
            writeln!(
                f,
                "  warning: {}",
                clip(w, 4 * crate::error::MAX_DETAIL_CHARS)
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for LayerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerReport::Loaded(s) => s.fmt(f),
            LayerReport::Failed(e) => writeln!(
                f,
                "{} — ERROR: {}",
                clip(&e.file, MAX_FILE_CHARS),
                clip(&e.error, 4 * crate::error::MAX_DETAIL_CHARS)
            ),
        }
    }
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.layers.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            l.fmt(f)?;
        }
        Ok(())
    }
}

impl InspectReport {
    /// True when some layer failed to load (for the CLI's exit status).
    pub fn has_errors(&self) -> bool {
        self.layers
            .iter()
            .any(|l| matches!(l, LayerReport::Failed(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_for_vector_raster_and_failure() {
        let dir = tempfile::tempdir().unwrap();
        let gj = dir.path().join("pts.geojson");
        std::fs::write(
            &gj,
            r#"{"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"n":"a","h":1.5},"geometry":{"type":"Point","coordinates":[116.3,39.9]}},
              {"type":"Feature","properties":{"n":"b","h":2},"geometry":{"type":"Point","coordinates":[116.5,40.1]}}]}"#,
        )
        .unwrap();
        let asc = dir.path().join("dem.asc");
        std::fs::write(
            &asc,
            "ncols 2\nnrows 2\nxllcorner 500000\nyllcorner 4400000\ncellsize 10\nnodata_value -1\n5 -1\n7 9\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("dem.prj"), "EPSG:32650").unwrap();
        let bad = dir.path().join("bad.geojson");
        std::fs::write(&bad, "{").unwrap();

        let rep = inspect_paths(&[&gj, &asc, &bad]);
        assert!(rep.has_errors());
        let j = serde_json::to_value(&rep).unwrap();
        let l = &j["layers"];
        assert_eq!(l.as_array().unwrap().len(), 3);
        assert_eq!(l[0]["name"], "pts");
        assert_eq!(l[0]["format"], "GeoJSON");
        assert_eq!(l[0]["crs"], "EPSG:4326");
        assert_eq!(l[0]["feature_count"], 2);
        assert_eq!(l[0]["geometry_type"], "Point");
        assert_eq!(l[0]["bbox"], serde_json::json!([116.3, 39.9, 116.5, 40.1]));
        let w = l[0]["bbox_wgs84"].as_array().unwrap();
        assert!((w[0].as_f64().unwrap() - 116.3).abs() < 1e-9, "{w:?}");
        assert_eq!(
            l[0]["fields"],
            serde_json::json!([{"name":"n","type":"string"},{"name":"h","type":"float"}])
        );
        assert!(l[0].get("width").is_none() && l[0].get("error").is_none());

        assert_eq!(l[1]["geometry_type"], "Raster");
        assert_eq!(l[1]["width"], 2);
        assert_eq!(l[1]["cell_size"], serde_json::json!([10.0, 10.0]));
        assert_eq!(l[1]["nodata"], -1.0);
        assert_eq!(
            (l[1]["min"].as_f64(), l[1]["max"].as_f64()),
            (Some(5.0), Some(9.0))
        );
        let w: Vec<f64> = l[1]["bbox_wgs84"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        // UTM 50N, 500 km easting is the central meridian 117°E; 4400 km north ≈ 39.75°N.
        assert!(
            (w[0] - 117.0).abs() < 1e-6 && (w[1] - 39.75).abs() < 0.01,
            "{w:?}"
        );

        assert!(l[2]["error"].as_str().unwrap().contains("bad.geojson"));
        assert_eq!(l[2]["format"], "GeoJSON");
        assert!(l[2].get("feature_count").is_none());

        let text = rep.to_string();
        assert!(text.contains("features      2 Point"), "{text}");
        assert!(text.contains("ERROR"), "{text}");
    }

    #[test]
    fn the_text_report_escapes_what_comes_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let gj = dir.path().join("a\u{1b}[2J.geojson");
        std::fs::write(
            &gj,
            r#"{"type":"Feature","properties":{"k\u001b[31m":1},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
        )
        .unwrap();
        let text = inspect_path(&gj).to_string();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("a\\u{1b}[2J"), "{text}");
        assert!(text.contains("k\\u{1b}[31m (int)"), "{text}");
        std::fs::write(&gj, "{\u{1b}").unwrap();
        let text = inspect_path(&gj).to_string();
        assert!(
            text.contains("ERROR") && !text.contains('\u{1b}'),
            "{text:?}"
        );
    }

    #[test]
    fn a_crs_that_does_not_fit_the_coordinates_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let gj = dir.path().join("utm.geojson");
        // UTM-sized numbers declared as lon/lat (RFC 7946 default).
        std::fs::write(
            &gj,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[770000,3580000]}}"#,
        )
        .unwrap();
        let rep = inspect_path(&gj);
        let LayerReport::Loaded(s) = &rep.layers[0] else {
            panic!()
        };
        assert_eq!(s.bbox_wgs84, None);
        assert!(
            s.warnings.iter().any(|w| w.contains("no WGS 84 extent")),
            "{:?}",
            s.warnings
        );
    }
}
