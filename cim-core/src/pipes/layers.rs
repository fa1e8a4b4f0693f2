//! A network as map layers: its links as a pipe layer (lines the renderer
//! draws as tubes underground) and its nodes as a point layer, each row
//! carrying the network's attributes.
//!
//! Heights: EPANET's node elevation is the datum its pressures refer to,
//! the pipe's centre line at the node; a pipe's inverts (its bottom) are
//! those elevations less half its diameter, in the renderer's
//! `start_inv`/`end_inv` fields. A reservoir's "elevation" is its water
//! level (the head it holds), not where it is built: it is drawn at the
//! lowest of its neighbours' elevations instead.

use crate::DVec3;
use crate::model::attr::{AttrType, AttrValue, Field};
use crate::model::geometry::Geometry;
use crate::model::layer::{Feature, FeatureId, Layer, LayerContent, LayerKind, VectorData};
use crate::pipes::{LinkKind, LinkStatus, Network, NodeKind};

/// Field names of the pipe layer, in order.
pub const LINK_FIELDS: [(&str, AttrType); 8] = [
    ("id", AttrType::String),
    ("kind", AttrType::String),
    ("from", AttrType::String),
    ("to", AttrType::String),
    ("diameter", AttrType::Float),
    ("length_m", AttrType::Float),
    ("start_inv", AttrType::Float),
    ("end_inv", AttrType::Float),
];

/// Field names of the node layer, in order.
pub const NODE_FIELDS: [(&str, AttrType); 4] = [
    ("id", AttrType::String),
    ("kind", AttrType::String),
    ("elevation_m", AttrType::Float),
    ("base_demand_lps", AttrType::Float),
];

/// The height each node is drawn at (see the module's note on reservoirs).
pub fn drawn_elevations(net: &Network) -> Vec<f64> {
    let mut z: Vec<f64> = net.nodes.iter().map(|n| n.elevation_m).collect();
    let mut lowest = vec![f64::INFINITY; net.nodes.len()];
    for l in &net.links {
        for (at, other) in [(l.from, l.to), (l.to, l.from)] {
            let o = &net.nodes[other as usize];
            if o.kind != NodeKind::Reservoir {
                let slot = &mut lowest[at as usize];
                *slot = slot.min(o.elevation_m);
            }
        }
    }
    for (i, n) in net.nodes.iter().enumerate() {
        if n.kind == NodeKind::Reservoir && lowest[i].is_finite() {
            z[i] = lowest[i];
        }
    }
    z
}

fn fields(list: &[(&str, AttrType)]) -> Vec<Field> {
    list.iter()
        .map(|(name, ty)| Field {
            name: name.to_string(),
            ty: *ty,
        })
        .collect()
}

/// The links with a position at both ends as a pipe layer, feature `i`
/// being link `i` (links without positions are left out and counted).
pub fn links_layer(net: &Network, name: &str, format: &str) -> (Layer, usize) {
    let mut features = Vec::with_capacity(net.links.len());
    let mut unplaced = 0;
    let drawn = drawn_elevations(net);
    for (i, l) in net.links.iter().enumerate() {
        let (a, b) = (&net.nodes[l.from as usize], &net.nodes[l.to as usize]);
        let (Some(pa), Some(pb)) = (a.position, b.position) else {
            unplaced += 1;
            continue;
        };
        let radius_m = l.diameter_mm / 2000.0;
        let (za, zb) = (drawn[l.from as usize], drawn[l.to as usize]);
        // Vertices take heights along the way, by distance.
        let mut plan: Vec<_> = std::iter::once(pa)
            .chain(l.vertices.iter().copied())
            .chain(std::iter::once(pb))
            .collect();
        plan.dedup();
        let total: f64 = plan.windows(2).map(|w| w[0].distance(w[1])).sum();
        let mut run = 0.0;
        let mut line = Vec::with_capacity(plan.len());
        for (k, p) in plan.iter().enumerate() {
            if k > 0 {
                run += plan[k - 1].distance(*p);
            }
            let t = if total > 0.0 { run / total } else { 0.0 };
            line.push(DVec3::new(p.x, p.y, za + (zb - za) * t));
        }
        if line.len() < 2 {
            unplaced += 1;
            continue;
        }
        let kind = match l.kind {
            LinkKind::Pipe if l.initial_status == LinkStatus::CheckValve => "pipe (check valve)",
            LinkKind::Pipe => "pipe",
            LinkKind::Pump => "pump",
            LinkKind::Valve(_) => "valve",
        };
        features.push(Feature {
            id: FeatureId(i as u64),
            geometry: Geometry::LineString(line),
            attributes: vec![
                AttrValue::String(l.id.clone()),
                AttrValue::String(kind.into()),
                AttrValue::String(a.id.clone()),
                AttrValue::String(b.id.clone()),
                AttrValue::Float(l.diameter_mm),
                AttrValue::Float(l.length_m),
                AttrValue::Float(za - radius_m),
                AttrValue::Float(zb - radius_m),
            ],
        });
    }
    let layer = Layer {
        name: name.to_string(),
        format: format.to_string(),
        crs: None,
        kind: LayerKind::Pipes,
        content: LayerContent::Vector(VectorData {
            fields: fields(&LINK_FIELDS),
            features,
        }),
    };
    (layer, unplaced)
}

/// The nodes with a position as a point layer, feature `i` being node `i`,
/// at their elevation.
pub fn nodes_layer(net: &Network, name: &str, format: &str) -> Layer {
    let drawn = drawn_elevations(net);
    let features = net
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let p = n.position?;
            Some(Feature {
                id: FeatureId(i as u64),
                geometry: Geometry::Point(DVec3::new(p.x, p.y, drawn[i])),
                attributes: vec![
                    AttrValue::String(n.id.clone()),
                    AttrValue::String(n.kind.name().into()),
                    AttrValue::Float(n.elevation_m),
                    AttrValue::Float(n.base_demand_lps),
                ],
            })
        })
        .collect();
    Layer {
        name: name.to_string(),
        format: format.to_string(),
        crs: None,
        kind: LayerKind::Points,
        content: LayerContent::Vector(VectorData {
            fields: fields(&NODE_FIELDS),
            features,
        }),
    }
}
