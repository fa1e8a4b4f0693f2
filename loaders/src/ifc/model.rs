//! An IFC model as read: its building elements with their meshes, the
//! storeys they stand on, the georeference, and the counts reports give.

use super::style::Rgba;
use glam::{DMat4, DVec3};
use std::collections::BTreeMap;

/// What [`super::read`] gives.
#[derive(Debug, Default)]
pub struct IfcModel {
    /// `FILE_SCHEMA` of the header (`IFC2X3`, `IFC4`, `IFC4X3_ADD2`, …).
    pub schema: String,
    /// Every `IfcProduct` with a representation identified `Body`, by
    /// class name (`IfcWallStandardCase`): what IfcOpenShell counts.
    pub body_classes: BTreeMap<String, usize>,
    /// Drawn elements (openings and spaces are counted, not drawn).
    pub elements: Vec<Element>,
    pub storeys: Vec<Storey>,
    /// Engineering (project) coordinates → map coordinates
    /// (`IfcMapConversion`), and the map CRS's name, when the file has one.
    pub georef: Option<(DMat4, String)>,
    /// Elements whose geometry could not be made, to show once.
    pub problems: Vec<String>,
}

/// One building element and its triangles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    /// The STEP instance number (`#123`).
    pub express_id: u32,
    pub global_id: String,
    /// `IfcWall`, `IfcSlab`, …
    pub class: String,
    pub name: Option<String>,
    pub object_type: Option<String>,
    /// Index into [`IfcModel::storeys`].
    pub storey: Option<u32>,
    /// Its property sets' and quantities' values, `Pset_WallCommon.IsExternal`.
    pub properties: Vec<(String, cim_core::AttrValue)>,
    /// Triangles: world positions are `origin + position`, in metres of
    /// the engineering frame.
    pub origin: DVec3,
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
    /// Colours from the file's styles, in runs: `(first vertex, colour)`,
    /// each up to the next run's first vertex; `None` where the file gives
    /// the vertices none ([`super::style`]).
    pub looks: Vec<(u32, Option<Rgba>)>,
}

/// An `IfcBuildingStorey`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Storey {
    pub name: Option<String>,
    /// Metres (the file's `Elevation` in its length unit, scaled).
    pub elevation: Option<f64>,
    /// Drawn elements contained in it.
    pub element_count: usize,
}

impl Element {
    /// The box around its triangles, in the engineering frame.
    pub fn bbox(&self) -> cim_core::Bbox {
        let mut b = cim_core::Bbox::EMPTY;
        for p in &self.positions {
            b.extend(self.origin + glam::Vec3::from_array(*p).as_dvec3());
        }
        b
    }

    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    /// Appends a part of its geometry (`origin + position` in the
    /// engineering frame), drawn in `colour`.
    pub fn add_part(
        &mut self,
        part: &ifc_lite_geometry::Mesh,
        origin: DVec3,
        colour: Option<Rgba>,
    ) -> Result<(), String> {
        let base = self.positions.len() as u32;
        let shift = (DVec3::from_array(part.origin) - origin).as_vec3();
        let n = (part.positions.len() / 3) as u32;
        if part.indices.iter().any(|&i| i >= n) {
            return Err("triangles index past their vertices".into());
        }
        for p in part.positions.chunks_exact(3) {
            self.positions
                .push((glam::Vec3::new(p[0], p[1], p[2]) + shift).to_array());
        }
        self.normals
            .extend(part.normals.chunks_exact(3).map(|c| [c[0], c[1], c[2]]));
        self.normals.resize(self.positions.len(), [0.0, 0.0, 1.0]);
        self.indices.extend(part.indices.iter().map(|&i| base + i));
        if self.looks.last().is_none_or(|l| l.1 != colour) {
            self.looks.push((base, colour));
        }
        Ok(())
    }

    /// The colour of each vertex: its run's, `default` where the file
    /// gives none.
    pub fn vertex_colours(&self, default: Rgba) -> impl Iterator<Item = Rgba> + '_ {
        let n = self.positions.len();
        self.looks
            .iter()
            .enumerate()
            .flat_map(move |(k, &(first, c))| {
                let end = self.looks.get(k + 1).map_or(n, |l| l.0 as usize);
                std::iter::repeat_n(c.unwrap_or(default), end.saturating_sub(first as usize))
            })
    }
}

impl IfcModel {
    /// How many `Body` products the model has.
    pub fn element_count(&self) -> usize {
        self.body_classes.values().sum()
    }

    /// The box around every drawn element, in the engineering frame.
    pub fn bbox(&self) -> cim_core::Bbox {
        self.elements
            .iter()
            .fold(cim_core::Bbox::EMPTY, |b, e| b.union(&e.bbox()))
    }
}
