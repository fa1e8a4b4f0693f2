//! A tile's decoded content brought into the scene CRS: every vertex
//! through the tile's f64 transform chain and the tileset's
//! [`Frame`](super::tile_source::Frame) (PROJ for earth-centred tilesets),
//! then stored in f32 relative to one f64 anchor per tile, so the GPU
//! never sees a large coordinate.
//!
//! Normals are worked out again from the placed triangles (smooth,
//! area-weighted): the map from the tileset's frame to a projected CRS is
//! not linear, and a recomputed normal is right whatever it is.

use crate::lod::tile_source::Frame;
use crate::model::tile_content::{ContentMaterial, FeatureIds, PropertyTable, TileContent};
use glam::{DMat4, DVec3, Vec3};

/// Where a tile's content goes: its transform chain, the tree's frame,
/// and the scene point its vertices are stored relative to (the centre of
/// its scene bounds). Made by
/// [`StreamedTree::place_of`](crate::lod::streamed_tree::StreamedTree::place_of).
#[derive(Clone, Debug)]
pub struct TilePlace {
    /// The tile's frame → the tree's frame.
    pub world: DMat4,
    pub frame: Frame,
    pub anchor: DVec3,
}

/// One drawable piece of a placed tile, in scene axes (x east, y north,
/// z up) relative to [`PlacedContent::anchor`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlacedMesh {
    pub positions: Vec<[f32; 3]>,
    /// Empty for points.
    pub normals: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    /// sRGB, or empty.
    pub colors: Vec<[u8; 4]>,
    /// A triangle list; empty for points.
    pub indices: Vec<u32>,
    /// Feature ids per vertex (see [`FeatureIds`]); instance features
    /// become one id over all of an instance's vertices.
    pub features: Vec<FeatureIds>,
    pub material: ContentMaterial,
    pub points: bool,
}

/// A tile's contents placed in the scene.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlacedContent {
    /// Scene-CRS point the f32 positions are relative to (the tile's
    /// bounds centre).
    pub anchor: DVec3,
    pub meshes: Vec<PlacedMesh>,
    /// The features' properties, which [`FeatureIds::table`] indexes.
    pub tables: Vec<PropertyTable>,
    /// Bytes held (CPU side; about the same uploaded).
    pub bytes: usize,
}

impl PlacedContent {
    /// Works out [`PlacedContent::bytes`] again (after edits).
    pub fn measure(&mut self) {
        self.bytes = self
            .meshes
            .iter()
            .map(|m| {
                m.positions.len() * 12
                    + m.normals.len() * 12
                    + m.uvs.len() * 8
                    + m.colors.len() * 4
                    + m.indices.len() * 4
                    + m.features.iter().map(|f| f.ids.len() * 4).sum::<usize>()
                    + m.material.texture.as_ref().map_or(0, |t| t.rgba.len())
            })
            .sum();
    }
}

/// Places the `contents` of a tile at `at`, taking their arrays (an instanced
/// mesh is copied once per further instance: fine for the dozens of trees
/// an i3dm holds; a forest wants GPU instancing).
pub fn place(at: &TilePlace, contents: Vec<TileContent>) -> Result<PlacedContent, String> {
    let anchor = at.anchor;
    // One content: feature ids keep pointing at the right tables.
    let mut content = TileContent::default();
    for c in contents {
        content.append(c);
    }
    let mut out = PlacedContent {
        anchor,
        tables: std::mem::take(&mut content.tables),
        ..PlacedContent::default()
    };
    {
        for m in content.meshes {
            let instances = if m.instances.is_empty() {
                vec![DMat4::IDENTITY]
            } else {
                m.instances.clone()
            };
            let last = instances.len() - 1;
            let mut m = m;
            for (k, inst) in instances.iter().enumerate() {
                let world = at.world * m.transform * *inst;
                let positions = to_scene(&m.positions, &world, &at.frame, anchor)?;
                let normals = smooth_normals(&positions, &m.indices);
                // The last instance takes the arrays; the others copy them.
                let taken = if k == last {
                    std::mem::take(&mut m)
                } else {
                    m.clone()
                };
                let mut features = taken.features;
                features.extend(instance_features(
                    &taken.instance_features,
                    k,
                    positions.len(),
                ));
                out.meshes.push(PlacedMesh {
                    positions,
                    normals,
                    uvs: taken.uvs,
                    colors: taken.colors,
                    indices: taken.indices,
                    features,
                    material: taken.material,
                    points: false,
                });
            }
        }
        for p in content.points {
            let world = at.world * p.transform;
            out.meshes.push(PlacedMesh {
                positions: to_scene(&p.positions, &world, &at.frame, anchor)?,
                colors: p.colors,
                features: p.features,
                points: true,
                ..PlacedMesh::default()
            });
        }
    }
    out.measure();
    Ok(out)
}

/// Instance `k`'s feature in each instance feature set, as ids over its
/// `n` vertices.
fn instance_features(sets: &[FeatureIds], k: usize, n: usize) -> Vec<FeatureIds> {
    sets.iter()
        .filter_map(|set| {
            Some(FeatureIds {
                ids: vec![*set.ids.get(k)?; n],
                table: set.table,
                label: set.label.clone(),
            })
        })
        .collect()
}

fn to_scene(
    positions: &[[f32; 3]],
    world: &DMat4,
    frame: &Frame,
    anchor: DVec3,
) -> Result<Vec<[f32; 3]>, String> {
    let mut pts: Vec<DVec3> = positions
        .iter()
        .map(|p| world.transform_point3(DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64)))
        .collect();
    frame.to_scene(&mut pts)?;
    Ok(pts
        .into_iter()
        .map(|p| (p - anchor).as_vec3().to_array())
        .collect())
}

/// Area-weighted vertex normals of a triangle list.
///
/// ```
/// use cim_core::lod::place_content::smooth_normals;
/// let n = smooth_normals(&[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], &[0, 1, 2]);
/// assert_eq!(n, vec![[0.0, 0.0, 1.0]; 3]);
/// ```
pub fn smooth_normals(positions: &[[f32; 3]], indices: &[u32]) -> Vec<[f32; 3]> {
    let mut acc = vec![Vec3::ZERO; positions.len()];
    for t in indices.chunks_exact(3) {
        let [a, b, c] = [t[0], t[1], t[2]].map(|i| Vec3::from(positions[i as usize]));
        // The cross product's length is twice the area: larger triangles
        // weigh more.
        let n = (b - a).cross(c - a);
        for i in t {
            acc[*i as usize] += n;
        }
    }
    acc.into_iter()
        .map(|n| n.try_normalize().unwrap_or(Vec3::Z).to_array())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lod::tile_source::TilePlacement;
    use crate::lod::tileset::{BoundingVolume, Refine, Tile, TileTree};
    use crate::model::tile_content::ContentMesh;

    fn one_tile(world: DMat4) -> TileTree {
        let mut tree = TileTree::default();
        tree.push(Tile {
            parent: None,
            children: vec![],
            bounds: BoundingVolume::Sphere {
                center: DVec3::ZERO,
                radius: 10.0,
            },
            request_volume: None,
            world,
            geometric_error: 1.0,
            refine: Refine::Replace,
            contents: vec![],
            depth: 0,
            children_uri: None,
        });
        tree
    }

    #[test]
    fn vertices_follow_the_chain_and_stay_small_around_the_anchor() {
        // A tile far out in a local frame, put at a Gauss-Krüger easting.
        let tree = one_tile(DMat4::from_translation(DVec3::new(100.0, 0.0, 0.0)));
        let offset = DVec3::new(38_500_000.0, 2_500_000.0, 0.0);
        let placement =
            TilePlacement::new(&tree, Frame::Local(DMat4::from_translation(offset))).unwrap();
        let content = TileContent {
            meshes: vec![ContentMesh {
                transform: DMat4::from_translation(DVec3::new(0.0, 5.0, 0.0)),
                positions: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                indices: vec![0, 1, 2],
                instances: vec![DMat4::IDENTITY, DMat4::from_translation(DVec3::Z)],
                ..ContentMesh::default()
            }],
            ..TileContent::default()
        };
        let at = TilePlace {
            world: tree.tile(0).world,
            frame: placement.frame.clone(),
            anchor: placement.bounds[0].center(),
        };
        let placed = place(&at, vec![content]).unwrap();
        assert_eq!(placed.anchor, offset + DVec3::new(100.0, 0.0, 0.0));
        assert_eq!(placed.meshes.len(), 2, "one mesh per instance");
        assert_eq!(placed.meshes[0].positions[1], [1.0, 5.0, 0.0]);
        assert_eq!(placed.meshes[1].positions[0], [0.0, 5.0, 1.0]);
        assert_eq!(placed.meshes[0].normals[0], [0.0, 0.0, 1.0]);
    }
}
