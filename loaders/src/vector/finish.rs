//! Shared finishing steps for vector readers: one geometry type per layer and
//! a stand-in for features without geometry.
//!
//! Formats mix single and multi geometries within a layer (a shapefile's
//! polyline may have one part or several; GeoJSON allows anything), but the
//! viewer picks how to draw a layer from its single geometry type. So a layer
//! whose geometries all belong to one family (points, lines or areas) is made
//! uniform: if any feature is a multi-geometry, all become multi-geometries.
//! Features without geometry (a shapefile's Null shape, GeoJSON
//! `"geometry": null`, an empty WKB) keep their attributes and get an empty
//! geometry of the layer's type, which has no vertices and no bounding box.

use cim_core::model::geometry::Polygon;
use cim_core::{DVec3, Feature, FeatureId, Geometry};

/// Which family of geometry a layer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Points,
    Lines,
    Areas,
    Meshes,
}

/// A feature as read, before its geometry type is made uniform.
pub(crate) struct RawFeature {
    pub id: FeatureId,
    pub geometry: Option<Geometry>,
    pub attributes: Vec<cim_core::AttrValue>,
}

fn family(g: &Geometry) -> Option<(Family, bool)> {
    Some(match g {
        Geometry::Point(_) => (Family::Points, false),
        Geometry::MultiPoint(_) => (Family::Points, true),
        Geometry::LineString(_) => (Family::Lines, false),
        Geometry::MultiLineString(_) => (Family::Lines, true),
        Geometry::Polygon(_) => (Family::Areas, false),
        Geometry::MultiPolygon(_) => (Family::Areas, true),
        Geometry::Mesh { .. } => (Family::Meshes, false),
        Geometry::MeshRef { .. } => return None,
    })
}

fn to_multi(g: Geometry) -> Geometry {
    match g {
        Geometry::Point(p) => Geometry::MultiPoint(vec![p]),
        Geometry::LineString(l) => Geometry::MultiLineString(vec![l]),
        Geometry::Polygon(p) => Geometry::MultiPolygon(vec![p]),
        other => other,
    }
}

fn empty(family: Family, multi: bool) -> Geometry {
    match (family, multi) {
        (Family::Points, _) => Geometry::MultiPoint(Vec::new()),
        (Family::Lines, false) => Geometry::LineString(Vec::new()),
        (Family::Lines, true) => Geometry::MultiLineString(Vec::new()),
        (Family::Areas, false) => Geometry::Polygon(Polygon::default()),
        (Family::Areas, true) => Geometry::MultiPolygon(Vec::new()),
        (Family::Meshes, _) => Geometry::Mesh {
            positions: Vec::new(),
            indices: Vec::new(),
        },
    }
}

/// Makes the layer's geometry type uniform (see the module docs) and fills in
/// empty geometries. `hint` is the family the file declares (a shapefile's
/// header), used when no feature has a geometry.
pub(crate) fn finish(raw: Vec<RawFeature>, hint: Option<Family>) -> Vec<Feature> {
    let mut fam: Option<Family> = None;
    let mut mixed = false;
    let mut any_multi = false;
    let mut all_single_point = true;
    for g in raw.iter().filter_map(|f| f.geometry.as_ref()) {
        match family(g) {
            Some((f, multi)) => {
                any_multi |= multi;
                all_single_point &= matches!(g, Geometry::Point(_));
                match fam {
                    None => fam = Some(f),
                    Some(prev) if prev != f => mixed = true,
                    _ => {}
                }
            }
            None => mixed = true,
        }
    }
    let has_null = raw.iter().any(|f| f.geometry.is_none());
    let fam = fam.or(hint);
    // An empty point cannot be a `Point`, so a point layer with null
    // geometries becomes a MultiPoint layer.
    let multi = any_multi || (has_null && fam == Some(Family::Points) && all_single_point);
    raw.into_iter()
        .map(|f| {
            let geometry = match (f.geometry, fam) {
                (Some(g), Some(_)) if !mixed && multi => to_multi(g),
                (Some(g), _) => g,
                (None, Some(fam)) if !mixed => empty(fam, multi),
                (None, _) => Geometry::MultiPoint(Vec::new()),
            };
            Feature {
                id: f.id,
                geometry,
                attributes: f.attributes,
            }
        })
        .collect()
}

/// Merges a GeometryCollection's members into one multi-geometry.
pub(crate) fn merge_collection(parts: Vec<Geometry>) -> Result<Option<Geometry>, String> {
    let mut points = Vec::new();
    let mut lines = Vec::new();
    let mut polys = Vec::new();
    for g in parts {
        match g {
            Geometry::Point(p) => points.push(p),
            Geometry::MultiPoint(ps) => points.extend(ps),
            Geometry::LineString(l) => lines.push(l),
            Geometry::MultiLineString(ls) => lines.extend(ls),
            Geometry::Polygon(p) => polys.push(p),
            Geometry::MultiPolygon(ps) => polys.extend(ps),
            other => return Err(format!("{} inside a GeometryCollection", other.type_name())),
        }
    }
    match (points.is_empty(), lines.is_empty(), polys.is_empty()) {
        (true, true, true) => Ok(None),
        (false, true, true) => Ok(Some(Geometry::MultiPoint(points))),
        (true, false, true) => Ok(Some(Geometry::MultiLineString(lines))),
        (true, true, false) => Ok(Some(Geometry::MultiPolygon(polys))),
        _ => Err("a GeometryCollection mixing points, lines and polygons is not supported".into()),
    }
}

/// Drops the closing vertex of a ring when it repeats the first
/// (cim-core rings are not closed).
pub(crate) fn open_ring(mut ring: Vec<DVec3>) -> Vec<DVec3> {
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring
}

/// Triangulates a planar 3D polygon ring (not closed) in its plane
/// ([`cim_core::model::polygon3d::triangulate`]), appending triangle
/// indices (offset by `base`) to `indices`. Degenerate rings give no
/// triangles.
pub(crate) fn triangulate_ring(ring: &[DVec3], base: u32, indices: &mut Vec<u32>) {
    let tris = cim_core::model::polygon3d::triangulate(&[ring.to_vec()]);
    indices.extend(tris.into_iter().map(|i| base + i));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(g: Option<Geometry>) -> RawFeature {
        RawFeature {
            id: FeatureId(0),
            geometry: g,
            attributes: vec![],
        }
    }

    #[test]
    fn mixed_single_and_multi_lines_become_multi() {
        let l = vec![DVec3::ZERO, DVec3::X];
        let out = finish(
            vec![
                raw(Some(Geometry::LineString(l.clone()))),
                raw(Some(Geometry::MultiLineString(vec![l.clone(), l.clone()]))),
                raw(None),
            ],
            None,
        );
        assert!(
            out.iter()
                .all(|f| f.geometry.type_name() == "MultiLineString")
        );
        assert_eq!(out[2].geometry.bbox(), None);
    }

    #[test]
    fn null_geometries_take_the_hinted_type() {
        let out = finish(vec![raw(None)], Some(Family::Areas));
        assert_eq!(out[0].geometry, Geometry::Polygon(Polygon::default()));
        let out = finish(
            vec![raw(Some(Geometry::Point(DVec3::ONE))), raw(None)],
            None,
        );
        assert_eq!(out[0].geometry, Geometry::MultiPoint(vec![DVec3::ONE]));
    }

    #[test]
    fn different_families_are_left_alone() {
        let out = finish(
            vec![
                raw(Some(Geometry::Point(DVec3::ONE))),
                raw(Some(Geometry::LineString(vec![DVec3::ZERO, DVec3::X]))),
            ],
            None,
        );
        assert_eq!(out[0].geometry.type_name(), "Point");
        assert_eq!(out[1].geometry.type_name(), "LineString");
    }

    #[test]
    fn ear_clipping_handles_a_concave_vertical_wall() {
        // An L-shaped wall standing in the XZ plane.
        let ring = vec![
            DVec3::new(0.0, 5.0, 0.0),
            DVec3::new(2.0, 5.0, 0.0),
            DVec3::new(2.0, 5.0, 1.0),
            DVec3::new(1.0, 5.0, 1.0),
            DVec3::new(1.0, 5.0, 3.0),
            DVec3::new(0.0, 5.0, 3.0),
        ];
        let mut idx = Vec::new();
        triangulate_ring(&ring, 10, &mut idx);
        assert_eq!(idx.len(), 12, "4 triangles");
        let area: f64 = idx
            .chunks(3)
            .map(|t| {
                let (a, b, c) = (
                    ring[(t[0] - 10) as usize],
                    ring[(t[1] - 10) as usize],
                    ring[(t[2] - 10) as usize],
                );
                (b - a).cross(c - a).length() / 2.0
            })
            .sum();
        assert!((area - 4.0).abs() < 1e-9, "{area}");
    }
}
