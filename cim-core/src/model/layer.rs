//! Layers: the unit the viewer shows, hides, styles and inspects.
//!
//! A layer is either vector features (with a typed schema), a raster grid, or
//! (later) a streamed tile source. Features carry stable ids that survive
//! save/load, so selections and scenario references stay valid.

use crate::crs::CrsDef;
use crate::model::attr::{AttrValue, Field};
use crate::model::geometry::{Bbox, Geometry};
use crate::model::grid::Grid;
use serde::{Deserialize, Serialize};

/// A feature id, unique within its layer and stable across save/load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeatureId(pub u64);

/// One feature: geometry plus attribute values aligned with the layer schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub id: FeatureId,
    pub geometry: Geometry,
    /// `attributes[i]` is the value of `VectorData::fields[i]`.
    pub attributes: Vec<AttrValue>,
}

/// Vector features sharing one schema.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VectorData {
    pub fields: Vec<Field>,
    pub features: Vec<Feature>,
}

impl VectorData {
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The value of field `name` on feature `f` (Null when absent).
    pub fn attr<'a>(&self, f: &'a Feature, name: &str) -> &'a AttrValue {
        const NULL: &AttrValue = &AttrValue::Null;
        self.field_index(name)
            .and_then(|i| f.attributes.get(i))
            .unwrap_or(NULL)
    }

    pub fn feature(&self, id: FeatureId) -> Option<&Feature> {
        // Ids are usually dense and in order: try the direct slot first.
        match self.features.get(id.0 as usize) {
            Some(f) if f.id == id => Some(f),
            _ => self.features.iter().find(|f| f.id == id),
        }
    }

    pub fn bbox(&self) -> Option<Bbox> {
        self.features
            .iter()
            .filter_map(|f| f.geometry.bbox())
            .reduce(|a, b| a.union(&b))
    }

    /// Removes the features that cannot be placed (a NaN, an infinity or
    /// a coordinate beyond [`crate::model::geometry::MAX_COORDINATE`]) and says how
    /// many went. One bad vertex loses its feature, not the layer.
    pub fn drop_unplaceable(&mut self) -> usize {
        let before = self.features.len();
        self.features
            .retain(|f| crate::model::geometry::is_placeable(&f.geometry));
        before - self.features.len()
    }

    /// The most specific geometry type shared by all features
    /// (`"Unknown"` when empty, `"Geometry"` when mixed).
    pub fn geometry_type(&self) -> &'static str {
        let mut it = self.features.iter().map(|f| f.geometry.type_name());
        match it.next() {
            None => "Unknown",
            Some(first) => {
                if it.all(|t| t == first) {
                    first
                } else {
                    "Geometry"
                }
            }
        }
    }
}

/// What a layer holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LayerContent {
    Vector(VectorData),
    Raster(Grid),
    /// A streamed tileset (3D Tiles): its tree, read on demand.
    #[serde(skip)]
    Tiles(crate::lod::tile_source::TileLayer),
}

/// How the viewer presents a layer; chosen by the scene document or guessed
/// from the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// Footprints extruded to a height.
    Buildings,
    /// A DEM shown as a lit surface that other layers drape on.
    Terrain,
    /// Line features drawn as ribbons (roads, rivers' centre lines).
    Roads,
    /// Polygons drawn flat on the ground (parks, water, land use).
    Areas,
    /// Line features drawn as 3D tubes underground.
    Pipes,
    /// Point features drawn as markers.
    Points,
    /// A streamed tileset (3D Tiles), drawn as its contents are.
    Tiles,
    /// Chosen from the geometry type.
    #[default]
    Auto,
}

/// Whether a line layer's name says it is an underground network
/// (water, sewer, gas, power, telecom…), so it is drawn as pipes.
///
/// ```
/// use cim_core::model::layer::looks_like_pipes;
/// assert!(looks_like_pipes("Pipes_SolidFree_2017_03"));
/// assert!(looks_like_pipes("给水管线"));
/// assert!(!looks_like_pipes("Roads_2016_12"));
/// ```
pub fn looks_like_pipes(name: &str) -> bool {
    let lower = name.to_lowercase();
    const WORDS: [&str; 8] = [
        "pipe",
        "sewer",
        "water_main",
        "watermain",
        "drain",
        "culvert",
        "conduit",
        "gas_line",
    ];
    const ZH: [&str; 6] = ["管", "给水", "排水", "污水", "雨水", "燃气"];
    WORDS.iter().any(|w| lower.contains(w)) || ZH.iter().any(|w| name.contains(w))
}

/// Whether a line layer's fields are a pipe survey's (CJJ 61: class,
/// size, depths), so it is drawn as pipes whatever its name.
///
/// ```
/// use cim_core::model::attr::{AttrType, Field};
/// use cim_core::model::layer::has_pipe_survey_fields;
/// assert!(has_pipe_survey_fields(&[Field::new("管线类别", AttrType::String)]));
/// assert!(!has_pipe_survey_fields(&[Field::new("name", AttrType::String)]));
/// ```
pub fn has_pipe_survey_fields(fields: &[Field]) -> bool {
    const NAMES: [&str; 10] = [
        "管线类别",
        "管线类型",
        "管径",
        "起点埋深",
        "终点埋深",
        "埋深",
        "管材",
        "gxlb",
        "qdms",
        "zdms",
    ];
    fields
        .iter()
        .any(|f| NAMES.iter().any(|n| f.name.trim().eq_ignore_ascii_case(n)))
}

/// One layer of the city model.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub name: String,
    /// Short format name (`"GeoJSON"`, `"ESRI Shapefile"`, `"builtin"` …).
    pub format: String,
    /// The CRS the geometry is in; `None` when the source declared none.
    pub crs: Option<CrsDef>,
    pub kind: LayerKind,
    pub content: LayerContent,
}

impl Layer {
    pub fn vector(&self) -> Option<&VectorData> {
        match &self.content {
            LayerContent::Vector(v) => Some(v),
            _ => None,
        }
    }

    pub fn grid(&self) -> Option<&Grid> {
        match &self.content {
            LayerContent::Raster(g) => Some(g),
            _ => None,
        }
    }

    pub fn tiles(&self) -> Option<&crate::lod::tile_source::TileLayer> {
        match &self.content {
            LayerContent::Tiles(t) => Some(t),
            _ => None,
        }
    }

    /// The extent in the layer's CRS; for a tileset placed in the scene,
    /// its scene extent (else its root's hull in its own frame).
    pub fn bbox(&self) -> Option<Bbox> {
        match &self.content {
            LayerContent::Vector(v) => v.bbox(),
            LayerContent::Raster(g) => Some(g.bbox()),
            LayerContent::Tiles(t) => match &t.placement {
                Some(p) => p.extent(),
                None => {
                    let tree = t.source.tree();
                    let root = tree.tile(tree.root()?);
                    Some(root.bounds.aabb(&root.world))
                }
            },
        }
    }

    pub fn feature_count(&self) -> usize {
        match &self.content {
            LayerContent::Vector(v) => v.features.len(),
            LayerContent::Raster(_) | LayerContent::Tiles(_) => 0,
        }
    }

    /// The kind to draw with: `Auto` resolved from the content.
    pub fn effective_kind(&self) -> LayerKind {
        if self.kind != LayerKind::Auto {
            return self.kind;
        }
        match &self.content {
            LayerContent::Raster(_) => LayerKind::Terrain,
            LayerContent::Tiles(_) => LayerKind::Tiles,
            LayerContent::Vector(v) => match v.geometry_type() {
                "Polygon" | "MultiPolygon" => LayerKind::Areas,
                "LineString" | "MultiLineString"
                    if looks_like_pipes(&self.name) || has_pipe_survey_fields(&v.fields) =>
                {
                    LayerKind::Pipes
                }
                "LineString" | "MultiLineString" => LayerKind::Roads,
                // MultiPatch / TIN: 3D models, drawn as they are.
                "Mesh" => LayerKind::Buildings,
                _ => LayerKind::Points,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::DVec3;

    #[test]
    fn unplaceable_features_are_dropped_and_counted() {
        let f = |id: u64, x: f64| Feature {
            id: FeatureId(id),
            geometry: Geometry::LineString(vec![DVec3::ZERO, DVec3::new(x, 1.0, 0.0)]),
            attributes: Vec::new(),
        };
        let mut v = VectorData {
            fields: Vec::new(),
            features: vec![
                f(0, 1.0),
                f(1, f64::NAN),
                f(2, f64::INFINITY),
                f(3, 1e300),
                f(4, 2.0),
            ],
        };
        assert_eq!(v.drop_unplaceable(), 3);
        let ids: Vec<u64> = v.features.iter().map(|f| f.id.0).collect();
        assert_eq!(ids, [0, 4]);
    }

    #[test]
    fn multipatch_models_are_buildings_not_points() {
        let layer = Layer {
            name: "mp".into(),
            format: "test".into(),
            crs: None,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(VectorData {
                fields: Vec::new(),
                features: vec![Feature {
                    id: FeatureId(0),
                    geometry: Geometry::Mesh {
                        positions: vec![DVec3::ZERO, DVec3::X, DVec3::Y],
                        indices: vec![0, 1, 2],
                    },
                    attributes: Vec::new(),
                }],
            }),
        };
        assert_eq!(layer.effective_kind(), LayerKind::Buildings);
    }
}
