//! What a ray meets among the drawn tiles — the feature hit and its
//! properties, seen through what the style hides — and a feature's
//! triangles for the selection highlight.

use super::TilesetStreams;
use crate::scene::store::SceneStore;
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use cim_core::lod::pick_content::{ContentHit, HitFeature, Pickable};
use cim_core::lod::tileset::TileId;
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::NO_FEATURE;
use cim_core::query::pick::Ray;
use cim_core::scene::georef::RenderFrame;
use glam::DVec3;

/// Where a ray meets a drawn tile.
#[derive(Clone, Debug)]
pub struct TileHit {
    pub layer: u64,
    pub tile: TileId,
    pub t: f64,
    pub point: DVec3,
    /// The features hit, one per feature id set, with their properties.
    pub features: Vec<FeatureHit>,
    /// The tile's place in its tree, for the inspector.
    pub about: TileAbout,
}

/// What the inspector says of a tile: its level, geometric error and
/// contents (taken from the stream's tree, which grows as it streams).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TileAbout {
    pub depth: u32,
    pub geometric_error: f64,
    pub contents: Vec<String>,
}

/// A feature hit and its properties.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureHit {
    pub feature: HitFeature,
    /// Its property table's name (and class).
    pub table: Option<String>,
    pub properties: Vec<(String, AttrValue)>,
}

impl TilesetStreams {
    /// The nearest drawn tile content a ray meets before `max_t`, in a
    /// visible layer; points are hit within `point_tolerance` × distance
    /// (about six pixels' worth; more for points drawn larger).
    pub fn pick(
        &self,
        store: &SceneStore,
        ray: &Ray,
        max_t: f64,
        point_tolerance: f64,
    ) -> Option<TileHit> {
        let mut best: Option<(u64, TileId, &Pickable, ContentHit)> = None;
        for (&layer, stream) in &self.layers {
            if !store.slot(layer).is_some_and(|s| s.reference.visible) {
                continue;
            }
            // Larger points are hit further off (the tolerance is about
            // six pixels: the radius of points drawn up to 6 px, plus 3).
            let radius_px = f64::from(stream.look.point_px) / 2.0 + 3.0;
            let point_tolerance = point_tolerance * (radius_px / 6.0).max(1.0);
            for (&tile, r) in &stream.resident {
                let (true, Some(pick)) = (r.drawn, r.pick.as_deref()) else {
                    continue;
                };
                let reach = best.as_ref().map_or(max_t, |b| b.3.t);
                // Features the style hides are seen through.
                let shown = |mesh: usize, vertex: u32| {
                    let looks = r.parts.get(mesh).and_then(|p| r.looks.get(p.looks));
                    let Some(styled) = looks.map(|l| &l.styled).filter(|s| s.hides) else {
                        return true;
                    };
                    let ids = pick.meshes.get(mesh).and_then(|m| m.features.first());
                    let id = ids.and_then(|f| f.ids.get(vertex as usize).copied());
                    !styled.hides_feature(id.unwrap_or(NO_FEATURE))
                };
                if let Some(hit) = pick.pick_where(ray, reach, point_tolerance, shown) {
                    best = Some((layer, tile, pick, hit));
                }
            }
        }
        let (layer, tile, pick, hit) = best?;
        let features = pick
            .features_of(&hit)
            .into_iter()
            .map(|feature| {
                let table = feature.table.and_then(|t| pick.tables.get(t as usize));
                FeatureHit {
                    table: table.map(|t| match &t.class {
                        Some(c) => format!("{} ({c})", t.name),
                        None => t.name.clone(),
                    }),
                    properties: table.map_or_else(Vec::new, |t| {
                        t.row(feature.id as usize)
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v.clone()))
                            .collect()
                    }),
                    feature,
                }
            })
            .collect();
        let about = self.layers.get(&layer)?.tree.get(tile).map(|t| TileAbout {
            depth: t.depth,
            geometric_error: t.geometric_error,
            contents: t.contents.iter().map(|c| c.uri.clone()).collect(),
        })?;
        Some(TileHit {
            layer,
            tile,
            t: hit.t,
            point: hit.point,
            features,
            about,
        })
    }

    /// The triangles of feature `feature` (first feature id set) of a
    /// resident tile, as a mesh around the returned anchor: what a
    /// highlight draws.
    pub fn feature_mesh(&self, layer: u64, tile: TileId, feature: u32) -> Option<(Mesh, DVec3)> {
        let resident = self.layers.get(&layer)?.resident.get(&tile)?;
        if !resident.drawn {
            return None;
        }
        let pick = resident.pick.as_ref()?;
        let mut positions = Vec::new();
        let mut indices = Vec::new();
        for m in pick.meshes.iter().filter(|m| !m.points) {
            let Some(set) = m.features.first() else {
                continue;
            };
            for tri in m.indices.chunks_exact(3) {
                if set.ids.get(tri[0] as usize) != Some(&feature) {
                    continue;
                }
                let corners = tri.iter().filter_map(|&i| m.positions.get(i as usize));
                let corners: Vec<[f32; 3]> = corners.map(RenderFrame::offset_to_render).collect();
                if corners.len() == 3 {
                    indices.extend(positions.len() as u32..positions.len() as u32 + 3);
                    positions.extend(corners);
                }
            }
        }
        if indices.is_empty() {
            return None;
        }
        let mesh = Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::RENDER_WORLD,
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_indices(Indices::U32(indices));
        Some((mesh, pick.anchor))
    }

    /// The names of the properties a tileset's resident features have
    /// (sorted, each once): what its style's conditions can look at.
    pub fn property_names(&self, layer: u64) -> Vec<String> {
        let Some(stream) = self.layers.get(&layer) else {
            return Vec::new();
        };
        let names: std::collections::BTreeSet<&str> = stream
            .resident
            .values()
            .filter_map(|r| r.pick.as_deref())
            .flat_map(|p| &p.tables)
            .flat_map(|t| t.columns.iter().map(|(n, _)| n.as_str()))
            .collect();
        names.into_iter().map(str::to_owned).collect()
    }

    /// The distinct text values of property `name` over a tileset's
    /// resident features (sorted, at most `max`).
    pub fn property_values(&self, layer: u64, name: &str, max: usize) -> Vec<String> {
        let Some(stream) = self.layers.get(&layer) else {
            return Vec::new();
        };
        let mut values = std::collections::BTreeSet::new();
        let columns = stream
            .resident
            .values()
            .filter_map(|r| r.pick.as_deref())
            .flat_map(|p| &p.tables)
            .flat_map(|t| t.columns.iter().filter(|(n, _)| n == name));
        for (_, column) in columns {
            values.extend(column.iter().filter_map(|v| v.as_str()));
            if values.len() >= max {
                break;
            }
        }
        values.into_iter().take(max).map(str::to_owned).collect()
    }
}
