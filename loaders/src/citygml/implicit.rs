//! Implicit geometries (CityGML's shared prototypes: one tree, lamp post
//! or bench modelled once, placed many times): each placement's polygons
//! are the prototype's, moved by its `transformationMatrix` (4×4, row
//! major, in the prototype's own coordinates) and then by its
//! `referencePoint` (OGC 12-019 §10.2.7; OGC 20-010 §8.2.4).
//!
//! The prototype is either inline (its polygons read where they stand,
//! in the prototype's local coordinates) or named by `xlink:href` (often
//! the first placement's inline geometry). Inline prototypes are not
//! drawn where they stand: only their placements are.

use super::model::{CityModel, ObjectId, SurfaceId};
use glam::{DMat4, DVec3};
use std::collections::HashMap;

/// Most polygons placements may add in one file: a prototype of many
/// polygons placed at every one of thousands of points could otherwise
/// grow without bound.
pub const MAX_PLACED_POLYGONS: usize = 20_000_000;

/// One placement of a prototype, as read.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Implicit {
    pub object: ObjectId,
    pub surface: Option<SurfaceId>,
    pub lod: u8,
    /// Row-major 4×4; identity when the file gives none.
    pub matrix: Option<[f64; 16]>,
    pub reference: Option<DVec3>,
    pub prototype: Prototype,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Prototype {
    /// Not given (or a library object in another file).
    None,
    /// The polygons `a..b` read inline.
    Inline(u32, u32),
    /// The geometry whose `gml:id` hashes to this.
    Href(u64),
}

/// What placing gave.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Placed {
    pub placed: usize,
    /// Placements without a prototype, or whose `href` names nothing.
    pub unresolved: usize,
    /// Placements left out past [`MAX_PLACED_POLYGONS`].
    pub over: usize,
}

/// Appends every placement's polygons to `model`, then removes the inline
/// prototypes; `geometry` maps a geometry id's hash to its polygons.
pub(super) fn place(
    model: &mut CityModel,
    implicits: Vec<Implicit>,
    geometry: &HashMap<u64, (u32, u32)>,
) -> Placed {
    let mut out = Placed::default();
    let mut added = 0;
    let inline: Vec<(u32, u32)> = implicits
        .iter()
        .filter_map(|i| match i.prototype {
            Prototype::Inline(a, b) => Some((a, b)),
            _ => None,
        })
        .collect();
    for imp in implicits {
        let range = match imp.prototype {
            Prototype::Inline(a, b) => Some((a, b)),
            Prototype::Href(h) => geometry.get(&h).copied(),
            Prototype::None => None,
        };
        let (Some((a, b)), Some(reference)) = (range, imp.reference) else {
            out.unresolved += 1;
            continue;
        };
        if added + (b - a) as usize > MAX_PLACED_POLYGONS {
            out.over += 1;
            continue;
        }
        let m = imp
            .matrix
            .map_or(DMat4::IDENTITY, |m| DMat4::from_cols_array(&m).transpose());
        let place = |q: DVec3| reference + m.transform_point3(q);
        for i in a..b {
            let Some(mut p) = model.polygons.get(i as usize).cloned() else {
                break;
            };
            for q in p.rings.iter_mut().flatten() {
                *q = place(*q);
            }
            p.object = imp.object;
            p.surface = p.surface.or(imp.surface);
            p.lod = imp.lod;
            model.polygons.push(p);
        }
        added += (b - a) as usize;
        out.placed += 1;
    }
    // Inline prototypes stand in their own coordinates: not drawn there.
    let mut gone = vec![false; model.polygons.len()];
    for (a, b) in inline {
        gone[a as usize..b as usize].fill(true);
    }
    let mut k = 0;
    model.polygons.retain(|_| {
        k += 1;
        !gone[k - 1]
    });
    out
}
