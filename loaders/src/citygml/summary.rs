//! What `cim inspect FILE.gml` reports about a CityGML model besides a
//! layer's usual keys (`feature_count`: every city object, parts
//! included; `crs`; `bbox`).
//!
//! JSON keys (stable): `citygml_version`, `building_count` (`Building`s,
//! parts not counted), `lods` (the levels of detail geometry is at,
//! ascending), `bbox_3d` (`[minx, miny, minz, maxx, maxy, maxz]` in the
//! file's coordinates), `srs_name` (as written), `vertical_crs`,
//! `classes` (objects by class), `surfaces` (thematic surfaces by class),
//! `polygon_count`, `triangle_count` (drawn: each object at its finest
//! level), `problems`.

use super::source::CityGmlSource;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CityGmlSummary {
    pub citygml_version: Option<String>,
    pub building_count: usize,
    pub lods: Vec<u8>,
    pub bbox_3d: Option<[f64; 6]>,
    pub srs_name: Option<String>,
    pub vertical_crs: Option<String>,
    pub classes: BTreeMap<String, usize>,
    pub surfaces: BTreeMap<String, usize>,
    pub polygon_count: usize,
    pub triangle_count: usize,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// Sums up an opened model (triangulating every tile to count).
pub fn summarise(src: &CityGmlSource) -> CityGmlSummary {
    use cim_core::lod::tile_source::TileSource;
    let m = &src.model;
    let b = m.bbox();
    let mut classes = BTreeMap::new();
    for o in &m.objects {
        *classes.entry(o.class.clone()).or_insert(0) += 1;
    }
    let mut surfaces = BTreeMap::new();
    for s in &m.surfaces {
        *surfaces.entry(s.class.clone()).or_insert(0) += 1;
    }
    let triangle_count = src
        .full_contents()
        .filter_map(|c| src.read(c).ok())
        .map(|c| c.triangle_count())
        .sum();
    CityGmlSummary {
        citygml_version: m.version.clone(),
        building_count: m.building_count(),
        lods: m.lods(),
        bbox_3d: (!b.is_empty()).then_some([b.min.x, b.min.y, b.min.z, b.max.x, b.max.y, b.max.z]),
        srs_name: m.srs_name.clone(),
        vertical_crs: src.srs.as_ref().and_then(|s| s.vertical.clone()),
        classes,
        surfaces,
        polygon_count: m.polygons.len(),
        triangle_count,
        problems: src.problems(),
        notes: m.notes.clone(),
    }
}

impl std::fmt::Display for CityGmlSummary {
    /// The lines `cim inspect` prints under the file's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use cim_core::message::{clip, quote};
        let lods: Vec<String> = self.lods.iter().map(u8::to_string).collect();
        writeln!(
            f,
            "  {:<13} CityGML {}: {} buildings; LOD {}; {} polygons, {} triangles drawn",
            "citygml",
            self.citygml_version.as_deref().unwrap_or("?"),
            self.building_count,
            if lods.is_empty() {
                "-".into()
            } else {
                lods.join(", ")
            },
            self.polygon_count,
            self.triangle_count
        )?;
        let counts = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{} {v}", quote(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "  {:<13} {}",
            "objects",
            clip(&counts(&self.classes), 2000)
        )?;
        if !self.surfaces.is_empty() {
            writeln!(
                f,
                "  {:<13} {}",
                "surfaces",
                clip(&counts(&self.surfaces), 2000)
            )?;
        }
        if let Some(b) = &self.bbox_3d {
            writeln!(f, "  {:<13} {} .. {}", "heights", b[2], b[5])?;
        }
        if let Some(s) = &self.srs_name {
            writeln!(f, "  {:<13} {}", "srsName", quote(&clip(s, 400)))?;
        }
        for p in &self.problems {
            writeln!(f, "  problem: {}", quote(&clip(p, 1000)))?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {}", quote(&clip(n, 1000)))?;
        }
        Ok(())
    }
}
