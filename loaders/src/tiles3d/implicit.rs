//! Implicit tiling (3D Tiles 1.1 §"Implicit Tiling"): a quadtree or
//! octree under one tile, whose available tiles and contents are told by
//! the availability bitstreams of *subtree* files, each covering
//! `subtreeLevels` levels. Expanded here into explicit tiles, walking only
//! the children of available tiles, so the work is proportional to what is
//! available, not to the size of the tree.

use super::store::{LocalStore, Store};
use super::tileset::Limits;
use cim_core::lod::tileset::{ContentRef, Tile, TileId, TileTree};
use serde_json::Value;

/// `implicitTiling` of a tile.
pub struct Implicit {
    /// 4 (quadtree) or 8 (octree).
    pub branching: u64,
    pub subtree_levels: u32,
    pub available_levels: u32,
    /// `subtrees.uri`, a template with `{level}`, `{x}`, `{y}`, `{z}`.
    pub subtree_uri: String,
}

impl Implicit {
    pub fn parse(v: &Value) -> Result<Implicit, String> {
        let branching = match v.get("subdivisionScheme").and_then(Value::as_str) {
            Some("QUADTREE") => 4,
            Some("OCTREE") => 8,
            other => return Err(format!("implicitTiling: subdivisionScheme {other:?}")),
        };
        let level = |k: &str| {
            v.get(k)
                .and_then(Value::as_u64)
                .filter(|&n| (1..=30).contains(&n))
                .map(|n| n as u32)
                .ok_or_else(|| format!("implicitTiling: {k} missing or out of 1..=30"))
        };
        Ok(Implicit {
            branching,
            subtree_levels: level("subtreeLevels")?,
            available_levels: level("availableLevels")?,
            subtree_uri: v
                .get("subtrees")
                .and_then(|s| s.get("uri"))
                .and_then(Value::as_str)
                .ok_or("implicitTiling: no subtrees.uri")?
                .to_string(),
        })
    }
}

/// Coordinates of an implicit tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Coord {
    level: u32,
    x: u64,
    y: u64,
    z: u64,
}

impl Coord {
    fn child(self, c: u64) -> Coord {
        Coord {
            level: self.level + 1,
            x: 2 * self.x + (c & 1),
            y: 2 * self.y + (c >> 1 & 1),
            z: 2 * self.z + (c >> 2 & 1),
        }
    }

    fn fill(self, template: &str) -> String {
        template
            .replace("{level}", &self.level.to_string())
            .replace("{x}", &self.x.to_string())
            .replace("{y}", &self.y.to_string())
            .replace("{z}", &self.z.to_string())
    }
}

/// One availability: a constant, or a bitstream (bit `i` is bit `i % 8`
/// of byte `i / 8`).
#[derive(Debug)]
enum Bits {
    Constant(bool),
    Stream(Vec<u8>),
}

impl Bits {
    fn get(&self, i: u64) -> bool {
        match self {
            Bits::Constant(c) => *c,
            Bits::Stream(b) => b
                .get((i / 8) as usize)
                .is_some_and(|byte| byte >> (i % 8) & 1 == 1),
        }
    }
}

/// A parsed subtree file.
#[derive(Debug)]
struct Subtree {
    tiles: Bits,
    contents: Vec<Bits>,
    children: Bits,
}

/// Everything the expansion needs about the implicit root.
pub struct Root<'a> {
    pub id: TileId,
    /// The tileset file that declared it (URIs resolve against it).
    pub from: &'a str,
    pub implicit: &'a Implicit,
    /// Content URI templates.
    pub contents: &'a [String],
}

/// Expands the implicit tree under `root` (already in `tree`, without
/// contents). Returns the problems met (a subtree that cannot be read
/// leaves its part of the tree out).
pub fn expand(
    tree: &mut TileTree,
    store: &Store,
    root: Root,
    limits: &Limits,
) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let top = Coord {
        level: 0,
        x: 0,
        y: 0,
        z: 0,
    };
    let mut subtrees = vec![(top, root.id)];
    while let Some((at, id)) = subtrees.pop() {
        let uri = at.fill(&root.implicit.subtree_uri);
        let subtree = store
            .resolve(root.from, &uri)
            .and_then(|rel| Ok((store.read(&rel)?, rel)))
            .and_then(|(bytes, rel)| parse_subtree(&bytes, root.implicit, store, &rel));
        match subtree {
            Ok(s) => walk(tree, store, &root, &s, at, id, limits, &mut subtrees)?,
            Err(e) => problems.push(format!("subtree {}: {e}", cim_core::message::quote(&uri))),
        }
    }
    Ok(problems)
}

/// Adds the available tiles and contents of one subtree rooted at `top`
/// (tile `top_id`) and queues its available child subtrees.
#[allow(clippy::too_many_arguments)]
fn walk(
    tree: &mut TileTree,
    store: &Store,
    root: &Root,
    s: &Subtree,
    top: Coord,
    top_id: TileId,
    limits: &Limits,
    subtrees: &mut Vec<(Coord, TileId)>,
) -> Result<(), String> {
    let n = root.implicit.branching;
    let levels = root.implicit.subtree_levels;
    let octree = n == 8;
    // (local level, Morton index within it, coordinates, tile)
    let mut queue = vec![(0u32, 0u64, top, top_id)];
    while let Some((l, m, at, id)) = queue.pop() {
        let bit = level_offset(n, l) + m;
        for (k, avail) in s.contents.iter().enumerate() {
            if avail.get(bit)
                && let Some(template) = root.contents.get(k)
            {
                let uri = store.resolve(root.from, &at.fill(template))?;
                tree.tiles[id as usize].contents.push(ContentRef {
                    uri,
                    bounds: None,
                    group: None,
                });
            }
        }
        if at.level + 1 >= root.implicit.available_levels {
            continue;
        }
        for c in 0..n {
            let child = at.child(if octree { c } else { c & 3 });
            let cm = m * n + c;
            let (available, is_subtree_root) = if l + 1 < levels {
                (s.tiles.get(level_offset(n, l + 1) + cm), false)
            } else {
                (s.children.get(cm), true)
            };
            if !available {
                continue;
            }
            let child_id = push_tile(tree, root, id, child, octree, limits)?;
            if is_subtree_root {
                subtrees.push((child, child_id));
            } else {
                queue.push((l + 1, cm, child, child_id));
            }
        }
    }
    Ok(())
}

fn push_tile(
    tree: &mut TileTree,
    root: &Root,
    parent: TileId,
    at: Coord,
    octree: bool,
    limits: &Limits,
) -> Result<TileId, String> {
    if tree.len() >= limits.max_tiles {
        return Err(format!("more than {} tiles", limits.max_tiles));
    }
    let r = tree.tile(root.id);
    let bounds = r
        .bounds
        .subdivide(at.level, at.x, at.y, octree.then_some(at.z))
        .ok_or("implicit tiling needs a box or region bounding volume")?;
    let tile = Tile {
        parent: Some(parent),
        children: Vec::new(),
        bounds,
        request_volume: None,
        world: r.world,
        geometric_error: r.geometric_error / 2f64.powi(at.level as i32),
        refine: r.refine,
        contents: Vec::new(),
        depth: r.depth + at.level,
        children_uri: None,
    };
    Ok(tree.push(tile))
}

/// Parses one subtree and expands it under a unit box root (no child
/// subtrees are read): the body of the `subtree` fuzz target.
#[doc(hidden)]
pub fn expand_one_for_fuzzing(bytes: &[u8], octree: bool, levels: u32) -> Result<usize, String> {
    use cim_core::lod::tileset::{BoundingVolume, Refine};
    let implicit = Implicit {
        branching: if octree { 8 } else { 4 },
        subtree_levels: levels,
        available_levels: levels + 2,
        subtree_uri: "{level}/{x}/{y}/{z}.subtree".into(),
    };
    let store = Store::Local(LocalStore::for_tileset(std::path::Path::new(
        "/nonexistent/tileset.json",
    )));
    let s = parse_subtree(bytes, &implicit, &store, "0/0/0/0.subtree")?;
    let mut tree = TileTree::default();
    let id = tree.push(Tile {
        parent: None,
        children: Vec::new(),
        bounds: BoundingVolume::Box {
            center: glam::DVec3::ZERO,
            half_axes: [glam::DVec3::X, glam::DVec3::Y, glam::DVec3::Z],
        },
        request_volume: None,
        world: glam::DMat4::IDENTITY,
        geometric_error: 1.0,
        refine: Refine::Add,
        contents: Vec::new(),
        depth: 0,
        children_uri: None,
    });
    let root = Root {
        id,
        from: "tileset.json",
        implicit: &implicit,
        contents: &["c/{level}_{x}_{y}_{z}.glb".to_string()],
    };
    let limits = Limits {
        max_tiles: 100_000,
        max_external: 0,
        ..Limits::default()
    };
    let mut subtrees = Vec::new();
    let top = Coord {
        level: 0,
        x: 0,
        y: 0,
        z: 0,
    };
    walk(
        &mut tree,
        &store,
        &root,
        &s,
        top,
        id,
        &limits,
        &mut subtrees,
    )?;
    Ok(tree.len())
}

/// Bits before local level `l`: (nˡ − 1) / (n − 1).
fn level_offset(n: u64, l: u32) -> u64 {
    (n.pow(l) - 1) / (n - 1)
}

/// Reads a subtree: binary (`subt` magic) or JSON.
fn parse_subtree(
    bytes: &[u8],
    implicit: &Implicit,
    store: &Store,
    rel: &str,
) -> Result<Subtree, String> {
    let (json, internal): (Value, &[u8]) = if bytes.starts_with(b"subt") {
        let word = |i: usize| -> Result<u64, String> {
            bytes
                .get(i..i + 8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .ok_or_else(|| "shorter than its 24-byte header".to_string())
        };
        let version = bytes
            .get(4..8)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
        if version != Some(1) {
            return Err(format!("version {version:?}, only 1 is defined"));
        }
        let (jl, bl) = (word(8)?, word(16)?);
        let end_json = 24u64.checked_add(jl).filter(|&e| e <= bytes.len() as u64);
        let end_json = end_json.ok_or("its JSON runs past the end")? as usize;
        let end_bin = (end_json as u64)
            .checked_add(bl)
            .filter(|&e| e <= bytes.len() as u64)
            .ok_or("its binary chunk runs past the end")? as usize;
        let json = serde_json::from_slice(&bytes[24..end_json])
            .map_err(|e| format!("invalid JSON: {e}"))?;
        (json, &bytes[end_json..end_bin])
    } else {
        let json = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
        (json, &[][..])
    };
    let buffers: Vec<Vec<u8>> = json
        .get("buffers")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|b| match b.get("uri").and_then(Value::as_str) {
            None => Ok(internal.to_vec()),
            Some(uri) => store.read(&store.resolve(rel, uri)?),
        })
        .collect::<Result<_, String>>()?;
    let views = json
        .get("bufferViews")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default();
    let n = implicit.branching;
    let levels = implicit.subtree_levels;
    // Bits of the tile and content bitstreams, and of the child subtree one.
    let tile_bits = (n.checked_pow(levels).ok_or("subtreeLevels too large")? - 1) / (n - 1);
    let child_bits = n.pow(levels);
    let bits = |v: Option<&Value>, len: u64, what: &str| -> Result<Bits, String> {
        let v = v.ok_or_else(|| format!("no {what}"))?;
        if let Some(c) = v.get("constant") {
            return Ok(Bits::Constant(c.as_u64() == Some(1)));
        }
        let view = v
            .get("bitstream")
            .or_else(|| v.get("bufferView"))
            .and_then(Value::as_u64)
            .and_then(|i| views.get(i as usize))
            .ok_or_else(|| format!("{what}: no constant and no valid bitstream"))?;
        let field = |k: &str| view.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
        let buf = buffers
            .get(field("buffer"))
            .ok_or_else(|| format!("{what}: its buffer does not exist"))?;
        let (off, len_b) = (field("byteOffset"), field("byteLength"));
        let data = off
            .checked_add(len_b)
            .and_then(|e| buf.get(off..e))
            .ok_or_else(|| format!("{what}: its buffer view runs past its buffer"))?;
        if (data.len() as u64) < len.div_ceil(8) {
            return Err(format!("{what}: {} bytes for {len} bits", data.len()));
        }
        Ok(Bits::Stream(data.to_vec()))
    };
    let contents = match json.get("contentAvailability") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| bits(Some(v), tile_bits, "contentAvailability"))
            .collect::<Result<_, _>>()?,
        Some(v) => vec![bits(Some(v), tile_bits, "contentAvailability")?],
        None => Vec::new(),
    };
    Ok(Subtree {
        tiles: bits(json.get("tileAvailability"), tile_bits, "tileAvailability")?,
        contents,
        children: bits(
            json.get("childSubtreeAvailability"),
            child_bits,
            "childSubtreeAvailability",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_offsets_of_a_quadtree() {
        assert_eq!([0, 1, 2, 3].map(|l| level_offset(4, l)), [0, 1, 5, 21]);
        assert_eq!(level_offset(8, 2), 9);
    }

    #[test]
    fn children_interleave_x_then_y_then_z() {
        let c = Coord {
            level: 1,
            x: 1,
            y: 0,
            z: 1,
        };
        assert_eq!(
            c.child(0b110),
            Coord {
                level: 2,
                x: 2,
                y: 1,
                z: 3
            }
        );
        assert_eq!(c.fill("{level}/{x}/{y}/{z}"), "1/1/0/1");
    }

    #[test]
    fn bitstreams_are_lsb_first() {
        let b = Bits::Stream(vec![0b0000_0101]);
        assert!(b.get(0) && !b.get(1) && b.get(2) && !b.get(9));
    }
}
