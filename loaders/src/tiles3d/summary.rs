//! What `cim inspect TILESET [--deep]` reports about a tileset: the tree's
//! counts, and with `deep` every content read and counted.
//!
//! JSON keys (stable): `version`, `tile_count`, `content_count`,
//! `max_depth`, `refine`, `external_tilesets`, `errors` (`[{uri,
//! message}]`: parts that could not be read), and with `--deep`
//! `triangle_count`, `point_count`, `instance_count`, `feature_count`.
//! External tilesets count as contents and their tiles as tiles;
//! triangles are counted once per mesh, not per instance.

use super::tileset::{PartError, Tileset};
use cim_core::lod::tileset::BoundingVolume;
use cim_core::model::tile_content::TileContent;
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TilesetSummary {
    pub version: String,
    pub tile_count: usize,
    pub content_count: usize,
    pub max_depth: u32,
    pub refine: Option<&'static str>,
    pub external_tilesets: usize,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub deep: Option<DeepCounts>,
    pub errors: Vec<PartError>,
}

/// Counts over every content (`--deep`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeepCounts {
    pub triangle_count: usize,
    pub point_count: usize,
    pub instance_count: usize,
    pub feature_count: usize,
}

impl DeepCounts {
    fn add(&mut self, c: &TileContent) {
        self.triangle_count += c.triangle_count();
        self.point_count += c.point_count();
        self.instance_count += c.instance_count;
        self.feature_count += c.feature_count;
    }
}

/// Reads every content of `tree` with `read` (on all cores) and counts
/// them; each one that fails is added to `errors`.
fn deep_counts(
    tree: &cim_core::lod::tileset::TileTree,
    read: impl Fn(&cim_core::lod::tileset::ContentRef) -> Result<TileContent, String> + Sync,
    errors: &mut Vec<PartError>,
) -> DeepCounts {
    let contents: Vec<_> = tree.tiles.iter().flat_map(|t| &t.contents).collect();
    let results = parallel_map(&contents, |c| read(c));
    let mut counts = DeepCounts::default();
    for (c, r) in contents.iter().zip(results) {
        match r {
            Ok(content) => counts.add(&content),
            Err(message) => errors.push(PartError {
                uri: c.uri.clone(),
                message,
            }),
        }
    }
    counts
}

/// Summarises `ts`; with `deep`, reads every content (on all cores) and
/// adds each one that fails to `errors`.
pub fn summarise(ts: &Tileset, deep: bool) -> TilesetSummary {
    let mut errors = ts.errors.clone();
    let deep = deep.then(|| deep_counts(&ts.tree, |c| super::read_content(ts, c), &mut errors));
    TilesetSummary {
        version: ts.version.clone(),
        tile_count: ts.tree.len(),
        content_count: ts.content_count(),
        max_depth: ts.tree.max_depth(),
        refine: ts.refine().map(|r| r.as_str()),
        external_tilesets: ts.external_tilesets,
        deep,
        errors,
    }
}

/// Summarises any tile source (an OSGB dataset, say) as a tileset: its
/// tree's counts as read when it opens, its `problems` as errors; with
/// `deep`, the whole tree (every deferred branch read) and every content
/// read (on all cores) and counted.
pub fn summarise_source(
    src: &dyn cim_core::lod::tile_source::TileSource,
    version: &str,
    deep: bool,
) -> TilesetSummary {
    let mut problems = src.problems();
    let whole;
    let tree = if deep {
        let (t, p) = super::whole_tree::whole_tree(src);
        problems.extend(p);
        whole = t;
        &whole
    } else {
        src.tree()
    };
    let mut errors: Vec<PartError> = problems
        .into_iter()
        .map(|message| PartError {
            uri: String::new(),
            message,
        })
        .collect();
    let deep = deep.then(|| deep_counts(tree, |c| src.read(c), &mut errors));
    let refine = tree.tiles.first().map(|t| t.refine.as_str());
    TilesetSummary {
        version: version.to_string(),
        tile_count: tree.len(),
        content_count: tree.content_count(),
        max_depth: tree.max_depth(),
        refine,
        external_tilesets: 0,
        deep,
        errors,
    }
}

/// The root's extent in WGS 84 `[west, south, east, north]` degrees, when
/// the tileset is georeferenced (a region, or a box/sphere whose transform
/// puts it near the Earth's surface).
pub fn wgs84_extent(ts: &Tileset) -> Option<[f64; 4]> {
    let root = ts.tree.tile(ts.tree.root()?);
    if let BoundingVolume::Region([w, s, e, n, ..]) = root.bounds {
        return Some([w, s, e, n].map(f64::to_degrees));
    }
    let points = root.bounds.hull_points(&root.world);
    // Earth-centred coordinates lie some 6 350–6 400 km from the centre.
    let on_earth = points.iter().all(|p| (6.3e6..6.5e6).contains(&p.length()));
    if !on_earth {
        return None;
    }
    let ecef = cim_core::crs::CrsDef::parse("EPSG:4978").ok()?;
    crate::crs::points_to_wgs84(&ecef, points).ok()
}

/// `f` over `items` on every core, results in order.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a content reader panicked"))
            .collect()
    })
}

impl std::fmt::Display for TilesetSummary {
    /// The lines `cim inspect` prints under the tileset's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "  {:<13} {} tiles, {} contents ({} external tilesets), depth {}, refine {}, version {}",
            "tileset",
            self.tile_count,
            self.content_count,
            self.external_tilesets,
            self.max_depth,
            self.refine.unwrap_or("-"),
            cim_core::message::quote(&self.version)
        )?;
        if let Some(d) = &self.deep {
            writeln!(
                f,
                "  {:<13} {} triangles, {} points, {} instances, {} features",
                "content", d.triangle_count, d.point_count, d.instance_count, d.feature_count
            )?;
        }
        for e in &self.errors {
            let message = cim_core::message::clip(&e.message, 2000);
            if e.uri.is_empty() {
                writeln!(f, "  error: {message}")?;
            } else {
                writeln!(
                    f,
                    "  error: {}: {message}",
                    cim_core::message::quote(&e.uri)
                )?;
            }
        }
        Ok(())
    }
}
