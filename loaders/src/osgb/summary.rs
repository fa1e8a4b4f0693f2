//! What `cim inspect FILE.osgb [--deep]` reports: the file's own counts,
//! and with `--deep` the counts over the file and every PagedLOD child
//! file under it that exists on disk.
//!
//! JSON keys (stable): `osgb_version`, `vertex_count`, `triangle_count`,
//! `texture_count`, `paged_lod_children` (the file names the file's
//! PagedLOD nodes page in), `errors` (`[{uri, message}]`: child files that
//! could not be read), and with `--deep` `deep`: `{file_count,
//! missing_count, max_depth, vertex_count, triangle_count,
//! texture_count}`.

use super::{OsgbStats, child_path, read_file};
use crate::tiles3d::tileset::PartError;
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The most files `--deep` reads (a dataset of 10 000 blocks has far
/// more; this is for looking at one block).
pub const MAX_DEEP_FILES: usize = 100_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OsgbSummary {
    pub osgb_version: u32,
    pub vertex_count: usize,
    pub triangle_count: usize,
    pub texture_count: usize,
    pub paged_lod_children: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deep: Option<DeepOsgb>,
    pub errors: Vec<PartError>,
}

/// Counts over a file and the PagedLOD child files under it (`--deep`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeepOsgb {
    /// Files read, the inspected one included.
    pub file_count: usize,
    /// Child files named but not on disk (a dataset copied in part).
    pub missing_count: usize,
    /// PagedLOD levels below the file.
    pub max_depth: usize,
    pub vertex_count: usize,
    pub triangle_count: usize,
    pub texture_count: usize,
}

impl DeepOsgb {
    fn add(&mut self, s: &OsgbStats) {
        self.file_count += 1;
        self.vertex_count += s.vertex_count;
        self.triangle_count += s.triangle_count;
        self.texture_count += s.texture_count;
    }
}

/// Summarises the file at `path`; with `deep`, follows its PagedLOD
/// children level by level (each level read on all cores).
pub fn summarise(path: &Path, deep: bool) -> Result<OsgbSummary, String> {
    let file = read_file(path).map_err(|e| e.to_string())?;
    let st = file
        .stats()
        .map_err(|e| format!("{}: {e}", crate::show(path)))?;
    let mut out = OsgbSummary {
        osgb_version: file.version,
        vertex_count: st.vertex_count,
        triangle_count: st.triangle_count,
        texture_count: st.texture_count,
        paged_lod_children: st.paged_lod_children.clone(),
        deep: None,
        errors: Vec::new(),
    };
    if deep {
        let mut d = DeepOsgb::default();
        d.add(&st);
        let root = path.parent().unwrap_or(Path::new("."));
        let mut seen: HashSet<PathBuf> = HashSet::from([path.to_path_buf()]);
        let mut level = children_of(path, &st, &mut seen, &mut d, &mut out.errors, root);
        while !level.is_empty() && d.file_count < MAX_DEEP_FILES {
            level.truncate(MAX_DEEP_FILES - d.file_count);
            d.max_depth += 1;
            let results = crate::tiles3d::summary::parallel_map(&level, |p| {
                read_file(p)
                    .map_err(|e| e.to_string())
                    .and_then(|f| f.stats())
            });
            let mut next = Vec::new();
            for (p, r) in level.iter().zip(results) {
                match r {
                    Ok(st) => {
                        d.add(&st);
                        next.extend(children_of(
                            p,
                            &st,
                            &mut seen,
                            &mut d,
                            &mut out.errors,
                            root,
                        ));
                    }
                    Err(message) => out.errors.push(PartError {
                        uri: relative(p, root),
                        message,
                    }),
                }
            }
            level = next;
        }
        out.deep = Some(d);
    }
    Ok(out)
}

/// The child files of the file at `path` (whose counts are `st`) that
/// exist and were not met before; the others are counted or reported.
fn children_of(
    path: &Path,
    st: &OsgbStats,
    seen: &mut HashSet<PathBuf>,
    d: &mut DeepOsgb,
    errors: &mut Vec<PartError>,
    root: &Path,
) -> Vec<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for name in &st.paged_lod_children {
        let Some(p) = child_path(dir, name) else {
            errors.push(PartError {
                uri: name.clone(),
                message: format!(
                    "{}: the child file name leaves the folder; not followed",
                    relative(path, root)
                ),
            });
            continue;
        };
        if !p.is_file() {
            d.missing_count += 1;
        } else if seen.insert(p.clone()) {
            out.push(p);
        }
    }
    out
}

/// `p` relative to `root`, for messages.
fn relative(p: &Path, root: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

impl std::fmt::Display for OsgbSummary {
    /// The lines `cim inspect` prints under the file's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "  {:<13} {} vertices, {} triangles, {} textures, {} PagedLOD child files, version {}",
            "osgb",
            self.vertex_count,
            self.triangle_count,
            self.texture_count,
            self.paged_lod_children.len(),
            self.osgb_version
        )?;
        if let Some(d) = &self.deep {
            writeln!(
                f,
                "  {:<13} {} files ({} named but missing), {} levels: {} vertices, {} triangles, {} textures",
                "deep",
                d.file_count,
                d.missing_count,
                d.max_depth,
                d.vertex_count,
                d.triangle_count,
                d.texture_count
            )?;
        }
        for e in &self.errors {
            writeln!(
                f,
                "  error: {}: {}",
                cim_core::message::quote(&e.uri),
                cim_core::message::clip(&e.message, 2000)
            )?;
        }
        Ok(())
    }
}
