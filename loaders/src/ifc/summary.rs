//! What `cim inspect FILE.ifc` reports besides a layer's usual keys.
//!
//! JSON keys (stable): `schema`, `element_count` (every `IfcProduct` with
//! a representation identified `Body`), `elements_by_class` (the same by
//! IFC class name), `triangle_count` (drawn: openings and spaces are not),
//! `storeys` (`[{name, elevation, element_count}]`), `bbox_3d`
//! (`[minx, miny, minz, maxx, maxy, maxz]` of the drawn elements in the
//! model's engineering coordinates, metres), `map_crs` (the
//! `IfcMapConversion`'s target CRS, if any), `problems`.

use super::model::{IfcModel, Storey};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IfcSummary {
    pub schema: String,
    pub element_count: usize,
    pub elements_by_class: BTreeMap<String, usize>,
    pub triangle_count: usize,
    pub storeys: Vec<Storey>,
    pub bbox_3d: Option<[f64; 6]>,
    pub map_crs: Option<String>,
    pub problems: Vec<String>,
}

pub fn summarise(m: &IfcModel) -> IfcSummary {
    let b = m.bbox();
    IfcSummary {
        schema: m.schema.clone(),
        element_count: m.element_count(),
        elements_by_class: m.body_classes.clone(),
        triangle_count: m.elements.iter().map(|e| e.triangle_count()).sum(),
        storeys: m.storeys.clone(),
        bbox_3d: (!b.is_empty()).then_some([b.min.x, b.min.y, b.min.z, b.max.x, b.max.y, b.max.z]),
        map_crs: m.georef.as_ref().map(|g| g.1.clone()),
        problems: m.problems.clone(),
    }
}

impl std::fmt::Display for IfcSummary {
    /// The lines `cim inspect` prints under the file's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use cim_core::message::{clip, quote};
        writeln!(
            f,
            "  {:<13} {}: {} elements with a Body, {} triangles drawn",
            "ifc",
            quote(&self.schema),
            self.element_count,
            self.triangle_count
        )?;
        let classes: Vec<String> = self
            .elements_by_class
            .iter()
            .map(|(k, v)| format!("{} {v}", quote(k)))
            .collect();
        writeln!(f, "  {:<13} {}", "classes", clip(&classes.join(", "), 2000))?;
        for s in &self.storeys {
            writeln!(
                f,
                "  {:<13} {} at {} m: {} elements",
                "storey",
                quote(s.name.as_deref().unwrap_or("-")),
                s.elevation.map_or("?".into(), |z| format!("{z:.3}")),
                s.element_count
            )?;
        }
        if let Some(b) = &self.bbox_3d {
            writeln!(
                f,
                "  {:<13} {:.3} {:.3} {:.3} .. {:.3} {:.3} {:.3}",
                "model box", b[0], b[1], b[2], b[3], b[4], b[5]
            )?;
        }
        for p in self.problems.iter().take(20) {
            writeln!(f, "  problem: {}", quote(&clip(p, 500)))?;
        }
        Ok(())
    }
}
