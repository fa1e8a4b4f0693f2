//! Buildings as prisms: each footprint's base and top, from the layer's
//! style (a height field, or floors × floor height) or fields found by
//! their usual names, else a default height. Picking, zoom-to and the
//! meshes all use the same prisms.

use crate::model::layer::{Layer, LayerKind, VectorData};
use crate::scene::Style;

/// Height of a building whose data gives none, metres.
pub const DEFAULT_BUILDING_HEIGHT: f64 = 10.0;
/// Storey height when a floor count is given without one, metres.
pub const DEFAULT_FLOOR_HEIGHT: f64 = 3.0;

/// Each feature's (base, top) for a buildings layer, `None` for a feature
/// without geometry; empty for other kinds. The base is the footprint's
/// lowest z; the height comes from `style.height_field` (a positive
/// number), else `style.floors_field` × `style.floor_height`, else fields
/// named like `height` / `高度` or `floors` / `层数`, else
/// [`DEFAULT_BUILDING_HEIGHT`].
///
/// ```
/// use cim_core::model::attr::{AttrType, AttrValue, Field};
/// use cim_core::model::geometry::{Geometry, Polygon};
/// use cim_core::model::layer::{Feature, FeatureId, Layer, LayerContent, LayerKind, VectorData};
/// use cim_core::scene::Style;
/// use cim_core::style::extrusion::prisms;
/// use glam::DVec3;
/// let square = Polygon::new(vec![
///     DVec3::new(0.0, 0.0, 5.0), DVec3::new(10.0, 0.0, 5.0),
///     DVec3::new(10.0, 10.0, 5.0), DVec3::new(0.0, 10.0, 5.0),
/// ]);
/// let layer = Layer {
///     name: "b".into(),
///     format: "test".into(),
///     kind: LayerKind::Buildings,
///     content: LayerContent::Vector(VectorData {
///         fields: vec![Field { name: "层数".into(), ty: AttrType::Int }],
///         features: vec![Feature {
///             id: FeatureId(1),
///             geometry: Geometry::Polygon(square),
///             attributes: vec![AttrValue::Int(6)],
///         }],
///     }),
///     crs: None,
/// };
/// // Six floors of 3 m on a footprint at 5 m.
/// assert_eq!(prisms(&layer, &Style::default()), vec![Some((5.0, 23.0))]);
/// ```
pub fn prisms(layer: &Layer, style: &Style) -> Vec<Option<(f64, f64)>> {
    let Some(v) = layer.vector() else {
        return Vec::new();
    };
    if layer.effective_kind() != LayerKind::Buildings {
        return Vec::new();
    }
    let height_i = style
        .height_field
        .as_deref()
        .and_then(|f| v.field_index(f))
        .or_else(|| guess_field(v, &["height", "HEIGHT", "高度", "Height", "bldg_h"]));
    let floors_i = style
        .floors_field
        .as_deref()
        .and_then(|f| v.field_index(f))
        .or_else(|| guess_field(v, &["floors", "FLOORS", "层数", "floor"]));
    let floor_h = style.floor_height.unwrap_or(DEFAULT_FLOOR_HEIGHT);
    v.features
        .iter()
        .map(|f| {
            let bb = f.geometry.bbox()?;
            let base = bb.min.z;
            let h = height_i
                .and_then(|i| f.attributes.get(i)?.as_f64())
                .filter(|h| *h > 0.0)
                .or_else(|| {
                    floors_i
                        .and_then(|i| f.attributes.get(i)?.as_f64())
                        .map(|n| n * floor_h)
                })
                .unwrap_or(DEFAULT_BUILDING_HEIGHT);
            Some((base, base + h))
        })
        .collect()
}

/// The first of `names` that is a field of `v`.
fn guess_field(v: &VectorData, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| v.field_index(n))
}
