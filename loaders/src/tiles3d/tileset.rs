//! `tileset.json` (3D Tiles 1.0 and 1.1) → [`TileTree`]: bounding
//! volumes, transform chains, refinement, one or several contents per tile,
//! external tilesets (followed once, cycles refused) and implicit tiling.

use super::implicit::{self, Implicit};
use super::store::{HttpStore, LocalStore, Store};
use cim_core::lod::tileset::{BoundingVolume, ContentRef, Refine, Tile, TileId, TileTree};
use glam::{DMat4, DVec3};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Bounds on what one tileset may expand to (hostile or broken input).
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_tiles: usize,
    pub max_external: usize,
    /// Longest an HTTP request may take (a stalled server fails the file).
    pub http_timeout: std::time::Duration,
    /// Where HTTP downloads are kept (`None`: not kept).
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_tiles: 4_000_000,
            max_external: 100_000,
            http_timeout: super::store::HTTP_TIMEOUT,
            cache_dir: super::store::default_cache_dir(),
        }
    }
}

/// A problem with one part of a tileset; the rest still loads.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartError {
    /// The file the problem is in or about, relative to the tileset root.
    pub uri: String,
    pub message: String,
}

/// A tileset read from disk.
#[derive(Debug)]
pub struct Tileset {
    pub tree: TileTree,
    /// `asset.version` of the root tileset.
    pub version: String,
    /// Whether glTF content is y-up (the default; `asset.gltfUpAxis: "Z"`
    /// in 3D Tiles 1.0 says otherwise).
    pub y_up: bool,
    /// External tilesets followed (each is a tile content).
    pub external_tilesets: usize,
    /// Parts that could not be read: an external tileset or subtree that
    /// is missing, cyclic or malformed.
    pub errors: Vec<PartError>,
    pub store: Store,
    /// The root tileset's `schema` (read from `schemaUri` when it names
    /// one), `metadata` and `groups` (3D Tiles 1.1 metadata), and each
    /// tile's and content's (tile, content index) `metadata`.
    pub schema: Option<Value>,
    pub metadata: Option<Value>,
    pub groups: Option<Value>,
    pub tile_metadata: HashMap<TileId, Value>,
    pub content_metadata: HashMap<(TileId, usize), Value>,
}

impl Tileset {
    /// Contents over all tiles, external tilesets included.
    pub fn content_count(&self) -> usize {
        self.tree.content_count() + self.external_tilesets
    }

    /// The root tile's refinement.
    pub fn refine(&self) -> Option<Refine> {
        self.tree.root().map(|r| self.tree.tile(r).refine)
    }
}

/// Reads the tileset at `path` and every external tileset and subtree it
/// names. A root tileset that cannot be read is an error; a broken part of
/// it is recorded in [`Tileset::errors`].
pub fn open(path: &Path, limits: &Limits) -> Result<Tileset, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or("a tileset path must name a file")?;
    open_in(Store::Local(LocalStore::for_tileset(path)), name, limits)
}

/// [`open`] for a tileset on a web server (`http://…/tileset.json`).
pub fn open_url(url: &str, limits: &Limits) -> Result<Tileset, String> {
    let store = Store::Http(HttpStore::new(
        url,
        limits.http_timeout,
        limits.cache_dir.clone(),
    )?);
    // Normalised, so every URI resolves against the same form.
    let root = store.resolve(url, url)?;
    open_in(store, root, limits)
}

/// Opens the tileset file `name` of `store`.
fn open_in(store: Store, name: String, limits: &Limits) -> Result<Tileset, String> {
    let json = parse_json(&store.read(&name)?)?;
    let asset = json
        .get("asset")
        .ok_or("no `asset`: not a 3D Tiles tileset")?;
    let version = asset
        .get("version")
        .and_then(Value::as_str)
        .ok_or("no asset.version")?
        .to_string();
    let y_up = asset.get("gltfUpAxis").and_then(Value::as_str) != Some("Z");
    let mut ts = Tileset {
        tree: TileTree::default(),
        version,
        y_up,
        external_tilesets: 0,
        errors: Vec::new(),
        store,
        schema: json.get("schema").cloned(),
        metadata: json.get("metadata").cloned(),
        groups: json.get("groups").cloned(),
        tile_metadata: HashMap::new(),
        content_metadata: HashMap::new(),
    };
    if let Some(uri) = json.get("schemaUri").and_then(Value::as_str) {
        ts.schema = read_schema(&ts.store, &name, uri, &mut ts.errors);
    }
    let mut externals = Vec::new();
    let mut walker = Walker {
        ts: &mut ts,
        limits,
        externals: &mut externals,
    };
    walker.tileset(
        &json,
        &name,
        None,
        DMat4::IDENTITY,
        0,
        std::slice::from_ref(&name),
    )?;
    // External tilesets, breadth first, each under the tile naming it.
    let mut next = 0;
    while next < externals.len() {
        let ext = externals[next].clone();
        next += 1;
        let mut walker = Walker {
            ts: &mut ts,
            limits,
            externals: &mut externals,
        };
        if let Err(e) = walker.external(&ext) {
            ts.errors.push(PartError {
                uri: ext.uri.clone(),
                message: e,
            });
        }
    }
    Ok(ts)
}

/// The metadata schema a tileset names by `schemaUri`; one that cannot be
/// read is a part error (the tiles still load, without metadata classes).
fn read_schema(store: &Store, from: &str, uri: &str, errors: &mut Vec<PartError>) -> Option<Value> {
    let read = || parse_json(&store.read(&store.resolve(from, uri)?)?);
    read()
        .map_err(|message| {
            errors.push(PartError {
                uri: uri.to_string(),
                message,
            })
        })
        .ok()
}

fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))
}

/// An external tileset to read and hang under `parent`.
#[derive(Clone, Debug)]
struct External {
    uri: String,
    parent: TileId,
    world: DMat4,
    depth: u32,
    /// The tilesets above it, to refuse cycles.
    chain: Vec<String>,
}

struct Walker<'a> {
    ts: &'a mut Tileset,
    limits: &'a Limits,
    externals: &'a mut Vec<External>,
}

impl Walker<'_> {
    fn external(&mut self, ext: &External) -> Result<(), String> {
        if ext.chain.contains(&ext.uri) {
            return Err(format!(
                "external tileset cycle: {} → {} (a tileset that includes itself)",
                ext.chain.join(" → "),
                ext.uri
            ));
        }
        if self.ts.external_tilesets > self.limits.max_external {
            return Err(format!(
                "more than {} external tilesets",
                self.limits.max_external
            ));
        }
        let json = parse_json(&self.ts.store.read(&ext.uri)?)?;
        let mut chain = ext.chain.clone();
        chain.push(ext.uri.clone());
        self.tileset(
            &json,
            &ext.uri,
            Some(ext.parent),
            ext.world,
            ext.depth,
            &chain,
        )
    }

    /// Adds the tiles of one tileset document (`from`: its path below the
    /// root) under `parent`.
    fn tileset(
        &mut self,
        json: &Value,
        from: &str,
        parent: Option<TileId>,
        world: DMat4,
        depth: u32,
        chain: &[String],
    ) -> Result<(), String> {
        let root = json.get("root").ok_or("no `root` tile")?;
        let inherited = parent.map_or(Refine::Replace, |p| self.ts.tree.tile(p).refine);
        let mut stack = vec![(root, parent, world, depth, inherited)];
        while let Some((v, parent, world, depth, inherited)) = stack.pop() {
            let id = self
                .tile(v, from, parent, world, depth, inherited, chain)
                .map_err(|e| format!("tile at depth {depth}: {e}"))?;
            let (world, refine) = {
                let t = self.ts.tree.tile(id);
                (t.world, t.refine)
            };
            if let Some(children) = v.get("children").and_then(Value::as_array) {
                for c in children.iter().rev() {
                    stack.push((c, Some(id), world, depth + 1, refine));
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn tile(
        &mut self,
        v: &Value,
        from: &str,
        parent: Option<TileId>,
        parent_world: DMat4,
        depth: u32,
        inherited: Refine,
        chain: &[String],
    ) -> Result<TileId, String> {
        if self.ts.tree.len() >= self.limits.max_tiles {
            return Err(format!("more than {} tiles", self.limits.max_tiles));
        }
        let bounds = bounding_volume(v.get("boundingVolume").ok_or("no boundingVolume")?)?;
        let request_volume = v
            .get("viewerRequestVolume")
            .map(bounding_volume)
            .transpose()?;
        let geometric_error = v
            .get("geometricError")
            .and_then(Value::as_f64)
            .filter(|e| e.is_finite() && *e >= 0.0)
            .ok_or("no valid geometricError")?;
        let refine = match v.get("refine").and_then(Value::as_str) {
            Some(r) if r.eq_ignore_ascii_case("ADD") => Refine::Add,
            Some(r) if r.eq_ignore_ascii_case("REPLACE") => Refine::Replace,
            Some(r) => return Err(format!("refine {}", cim_core::message::quote(r))),
            None => inherited,
        };
        let world = match v.get("transform") {
            Some(t) => parent_world * matrix(t)?,
            None => parent_world,
        };
        let implicit = v.get("implicitTiling").map(Implicit::parse).transpose()?;
        let mut contents = Vec::new();
        let mut templates = Vec::new();
        let mut externals = Vec::new();
        let mut content_metadata = Vec::new();
        for c in content_values(v) {
            let uri = c
                .get("uri")
                .or_else(|| c.get("url"))
                .and_then(Value::as_str)
                .ok_or("a content without uri")?;
            if implicit.is_some() {
                templates.push(uri.to_string());
                continue;
            }
            let resolved = match self.ts.store.resolve(from, uri) {
                Ok(r) => r,
                Err(e) => {
                    self.ts.errors.push(PartError {
                        uri: uri.to_string(),
                        message: e,
                    });
                    continue;
                }
            };
            if super::names_json(&resolved) {
                externals.push(resolved);
                continue;
            }
            if let Some(m) = c.get("metadata") {
                content_metadata.push((contents.len(), m.clone()));
            }
            contents.push(ContentRef {
                uri: resolved,
                bounds: c.get("boundingVolume").map(bounding_volume).transpose()?,
                group: c.get("group").and_then(Value::as_u64).map(|g| g as u32),
            });
        }
        let id = self.ts.tree.push(Tile {
            parent,
            children: Vec::new(),
            bounds,
            request_volume,
            world,
            geometric_error,
            refine,
            contents,
            depth,
            children_uri: None,
        });
        if let Some(m) = v.get("metadata") {
            self.ts.tile_metadata.insert(id, m.clone());
        }
        for (k, m) in content_metadata {
            self.ts.content_metadata.insert((id, k), m);
        }
        for uri in externals {
            self.ts.external_tilesets += 1;
            self.externals.push(External {
                uri,
                parent: id,
                world,
                depth: depth + 1,
                chain: chain.to_vec(),
            });
        }
        if let Some(imp) = implicit {
            let problems = implicit::expand(
                &mut self.ts.tree,
                &self.ts.store,
                implicit::Root {
                    id,
                    from,
                    implicit: &imp,
                    contents: &templates,
                },
                self.limits,
            )?;
            self.ts
                .errors
                .extend(problems.into_iter().map(|message| PartError {
                    uri: from.to_string(),
                    message,
                }));
        }
        Ok(id)
    }
}

/// `content` (1.0) or `contents` (1.1).
fn content_values(tile: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = tile.get("content").into_iter().collect();
    if let Some(a) = tile.get("contents").and_then(Value::as_array) {
        out.extend(a);
    }
    out
}

fn numbers<const N: usize>(v: &Value, what: &str) -> Result<[f64; N], String> {
    let a = v
        .as_array()
        .filter(|a| a.len() == N)
        .ok_or_else(|| format!("{what} is not {N} numbers"))?;
    let mut out = [0.0; N];
    for (o, x) in out.iter_mut().zip(a) {
        *o = x
            .as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| format!("{what} holds a non-number"))?;
    }
    Ok(out)
}

fn matrix(v: &Value) -> Result<DMat4, String> {
    Ok(DMat4::from_cols_array(&numbers::<16>(v, "transform")?))
}

/// Parses a `boundingVolume` (box, region or sphere; the first one given).
pub fn bounding_volume(v: &Value) -> Result<BoundingVolume, String> {
    if let Some(b) = v.get("box") {
        let b = numbers::<12>(b, "box")?;
        let col = |i: usize| DVec3::new(b[i], b[i + 1], b[i + 2]);
        return Ok(BoundingVolume::Box {
            center: col(0),
            half_axes: [col(3), col(6), col(9)],
        });
    }
    if let Some(r) = v.get("region") {
        return Ok(BoundingVolume::Region(numbers::<6>(r, "region")?));
    }
    if let Some(s) = v.get("sphere") {
        let s = numbers::<4>(s, "sphere")?;
        return Ok(BoundingVolume::Sphere {
            center: DVec3::new(s[0], s[1], s[2]),
            radius: s[3].abs(),
        });
    }
    Err("a bounding volume with no box, region or sphere".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bounding_volumes_parse() {
        assert!(matches!(
            bounding_volume(&json!({"region": [0, 0, 1, 1, 0, 10]})).unwrap(),
            BoundingVolume::Region(_)
        ));
        assert!(bounding_volume(&json!({"box": [0, 0, 0]})).is_err());
        assert!(bounding_volume(&json!({})).is_err());
    }

    #[test]
    fn external_tileset_uris_are_recognised() {
        assert!(super::super::names_json("city/Tileset.JSON"));
        assert!(super::super::names_json("http://h/a/sub.json?v=2"));
        assert!(!super::super::names_json("a.b3dm"));
    }
}
