//! Opening scenes and loading layers: command-line inputs → a scene
//! document; a layer reference → a [`Layer`] in the scene CRS. No Bevy here,
//! so the viewer (on a background thread) and `cim snapshot` (blocking) share
//! one code path.

use anyhow::{Context, Result, bail};
use cim_core::crs::{CrsDef, Transformer};
use cim_core::demo;
use cim_core::grid::Grid;
use cim_core::layer::{Layer, LayerContent, LayerKind};
use cim_core::scene::{FORMAT_VERSION, LayerRef, SceneDoc, Source, Style};
use glam::DVec3;
use std::path::{Path, PathBuf};

/// A scene ready to load: its document and where it was read from.
pub struct OpenedScene {
    pub doc: SceneDoc,
    /// The document's path; `None` for the demo or a set of data files.
    pub path: Option<PathBuf>,
    /// True for the built-in synthetic demo city.
    pub is_demo: bool,
    /// The first data file on the command line, already read to choose the
    /// scene CRS; its layer takes these results instead of reading the file
    /// a second time (0.75 s for a million footprints).
    pub preloaded: Option<Preloaded>,
}

/// What `load_all` returned for one file.
pub type LoadResults = Vec<Result<cim_loaders::Loaded, cim_loaders::LoadError>>;

/// Results read ahead for the layer whose `source` this is.
pub struct Preloaded {
    pub source: String,
    pub results: LoadResults,
}

impl OpenedScene {
    pub fn doc_dir(&self) -> Option<PathBuf> {
        self.path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_owned))
    }
}

pub fn is_scene_doc(p: &Path) -> bool {
    p.to_string_lossy().ends_with(".cim.toml")
}

/// Turns command-line inputs into a scene: nothing → the demo city; one
/// `*.cim.toml` → that document; data files → a new scene holding them
/// (added to the document when one is given as well).
pub fn open_inputs(inputs: &[PathBuf]) -> Result<OpenedScene> {
    if inputs.is_empty() {
        return Ok(OpenedScene {
            doc: demo::demo_scene(),
            path: None,
            is_demo: true,
            preloaded: None,
        });
    }
    let docs: Vec<&PathBuf> = inputs.iter().filter(|p| is_scene_doc(p)).collect();
    if docs.len() > 1 {
        bail!("open one scene document at a time (got {})", docs.len());
    }
    let data: Vec<&PathBuf> = inputs.iter().filter(|p| !is_scene_doc(p)).collect();
    let mut opened = match docs.first() {
        Some(p) => OpenedScene {
            doc: SceneDoc::load(p)?,
            path: Some((*p).clone()),
            is_demo: false,
            preloaded: None,
        },
        None => {
            let first = data[0];
            if !first.exists() {
                bail!("{}: no such file", first.display());
            }
            let results = cim_loaders::load_all(first);
            let layer = match results.iter().find_map(|r| r.as_ref().ok()) {
                Some(l) => &l.layer,
                None => match results.into_iter().next() {
                    Some(Err(e)) => {
                        return Err(anyhow::Error::new(e))
                            .with_context(|| format!("cannot open {}", first.display()));
                    }
                    _ => bail!("{}: no layers", first.display()),
                },
            };
            let (crs, origin) = scene_crs_for(layer)?;
            let abs = std::fs::canonicalize(first).unwrap_or_else(|_| first.clone());
            OpenedScene {
                doc: SceneDoc {
                    format_version: FORMAT_VERSION,
                    name: first
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    description: String::new(),
                    crs,
                    origin: origin.to_array(),
                    layers: Vec::new(),
                    views: Vec::new(),
                    clock: None,
                    basemaps: Vec::new(),
                },
                path: None,
                is_demo: false,
                preloaded: Some(Preloaded {
                    source: layer_ref_for_file(&abs).source,
                    results,
                }),
            }
        }
    };
    for p in data {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        opened.doc.layers.push(layer_ref_for_file(&abs));
    }
    Ok(opened)
}

/// A layer reference for a data file, drawn as its geometry suggests.
pub fn layer_ref_for_file(p: &Path) -> LayerRef {
    LayerRef {
        name: p
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source: p.to_string_lossy().into_owned(),
        kind: LayerKind::Auto,
        visible: true,
        opacity: 1.0,
        style: Style::default(),
    }
}

/// Picks a projected scene CRS for a layer: its own when projected, else
/// the UTM zone of its centre (metres are needed for 3D).
fn scene_crs_for(layer: &Layer) -> Result<(CrsDef, DVec3)> {
    let crs = layer.crs.clone().unwrap_or_else(CrsDef::wgs84);
    let bbox = layer.bbox().context("the layer is empty")?;
    let c = bbox.center();
    if !cim_core::crs::is_geographic(&crs) {
        return Ok((crs, DVec3::new(c.x.round(), c.y.round(), 0.0)));
    }
    let to_wgs = Transformer::new(&crs, &CrsDef::wgs84())?;
    let ll = to_wgs.transform(DVec3::new(c.x, c.y, 0.0))?;
    let zone = (((ll.x + 180.0) / 6.0).floor() as i32).clamp(0, 59) + 1;
    let code = if ll.y >= 0.0 {
        32600 + zone
    } else {
        32700 + zone
    };
    let utm = CrsDef::parse(&format!("EPSG:{code}"))?;
    let o = Transformer::new(&crs, &utm)?.transform(DVec3::new(c.x, c.y, 0.0))?;
    Ok((utm, DVec3::new(o.x.round(), o.y.round(), 0.0)))
}

/// Quads per side of a terrain tile (65 × 65 vertices).
const TERRAIN_TILE_QUADS: usize = 64;

/// A loaded layer plus anything the user should know about it.
pub struct LoadedLayer {
    pub layer: Layer,
    pub warnings: Vec<String>,
    /// R-tree over the features (built on the loader thread: a million
    /// footprints take a fraction of a second).
    pub index: Option<cim_core::index::SpatialIndex>,
    /// Level-of-detail quadtree over a raster (under a second for 10⁸ cells).
    pub terrain: Option<cim_core::terrain_lod::TerrainQuadtree>,
}

/// Loads one layer of a scene and brings it into the scene CRS.
/// Errors name the source and the problem.
/// `preloaded`: this source's `load_all` results when already read.
pub fn load_layer(
    r: &LayerRef,
    doc_dir: Option<&Path>,
    scene_crs: &CrsDef,
    preloaded: Option<LoadResults>,
) -> Result<LoadedLayer, String> {
    let (source, fragment) = match r.source.rsplit_once('#') {
        Some((s, f)) if !s.starts_with("builtin:") => (s, Some(f)),
        _ => (r.source.as_str(), None),
    };
    let mut warnings = Vec::new();
    let mut layer = match SceneDoc::resolve_source(source, doc_dir) {
        Source::Builtin(name) => demo::builtin_layer(&name)
            .ok_or_else(|| format!("builtin:{name}: no such built-in layer"))?,
        Source::Url(u) => return Err(format!("{u}: remote sources are not supported yet")),
        Source::File(p) => {
            if !p.exists() {
                return Err(format!("{}: no such file", p.display()));
            }
            // One result per layer: a zip with one damaged member still
            // yields the others.
            let mut results = preloaded.unwrap_or_else(|| cim_loaders::load_all(&p));
            if results.is_empty() {
                return Err(format!("{}: holds no layers", p.display()));
            }
            let idx = match fragment {
                Some(f) => results
                    .iter()
                    .position(|r| r.as_ref().is_ok_and(|l| l.layer.name == f))
                    .ok_or_else(|| format!("{}: no layer named `{f}`", p.display()))?,
                None => {
                    let ok = results.iter().position(|r| r.is_ok()).unwrap_or(0);
                    if results.len() > 1 {
                        warnings.push(format!(
                            "{}: holds {} layers; showing the first readable one (add `#NAME` to the source to pick another)",
                            p.display(),
                            results.len()
                        ));
                    }
                    ok
                }
            };
            for (i, r) in results.iter().enumerate() {
                if i != idx
                    && let Err(e) = r
                {
                    warnings.push(e.to_string());
                }
            }
            let loaded = results.swap_remove(idx).map_err(|e| e.to_string())?;
            warnings.extend(loaded.warnings);
            loaded.layer
        }
    };
    if r.kind != LayerKind::Auto {
        layer.kind = r.kind;
    }
    match layer.crs.clone() {
        None => warnings.push(format!(
            "{}: declares no CRS; assuming the scene CRS {}",
            r.source,
            scene_crs.label()
        )),
        Some(crs) if crs != *scene_crs => {
            reproject(&mut layer, &crs, scene_crs).map_err(|e| {
                format!(
                    "{}: cannot reproject from {} to {}: {e}",
                    r.source,
                    crs.label(),
                    scene_crs.label()
                )
            })?;
        }
        Some(_) => {}
    }
    let index = layer.vector().map(cim_core::index::SpatialIndex::build);
    let terrain = layer
        .grid()
        .map(|g| cim_core::terrain_lod::TerrainQuadtree::build(g, TERRAIN_TILE_QUADS));
    Ok(LoadedLayer {
        layer,
        warnings,
        index,
        terrain,
    })
}

/// Transforms a layer into `to`: vectors point by point; grids are
/// resampled (bilinear) onto a grid in the target CRS of similar resolution.
pub fn reproject(layer: &mut Layer, from: &CrsDef, to: &CrsDef) -> Result<(), String> {
    let fwd = Transformer::new(from, to).map_err(|e| e.to_string())?;
    match &mut layer.content {
        LayerContent::Vector(v) => {
            let mut failed = 0usize;
            for f in &mut v.features {
                f.geometry.map_points(|p| match fwd.transform(*p) {
                    Ok(q) => *p = q,
                    Err(_) => failed += 1,
                });
            }
            if failed > 0 {
                return Err(format!("{failed} points could not be transformed"));
            }
        }
        LayerContent::Raster(g) => {
            let inv = Transformer::new(to, from).map_err(|e| e.to_string())?;
            *g = resample_grid(g, &fwd, &inv)?;
        }
    }
    layer.crs = Some(to.clone());
    Ok(())
}

fn resample_grid(src: &Grid, fwd: &Transformer, inv: &Transformer) -> Result<Grid, String> {
    let bb = src.bbox();
    let mut out_bb = cim_core::Bbox::EMPTY;
    for (x, y) in [
        (bb.min.x, bb.min.y),
        (bb.max.x, bb.min.y),
        (bb.max.x, bb.max.y),
        (bb.min.x, bb.max.y),
        (bb.center().x, bb.min.y),
        (bb.center().x, bb.max.y),
    ] {
        out_bb.extend(
            fwd.transform(DVec3::new(x, y, 0.0))
                .map_err(|e| e.to_string())?,
        );
    }
    // Keep about the same number of cells.
    let cell = ((out_bb.size().x * out_bb.size().y) / (src.width * src.height) as f64).sqrt();
    let w = ((out_bb.size().x / cell).ceil() as usize).clamp(2, 16_384);
    let h = ((out_bb.size().y / cell).ceil() as usize).clamp(2, 16_384);
    let mut g = Grid::new(w, h, out_bb.min.x, out_bb.max.y, cell, cell);
    g.nodata = Some(f32::NAN);
    for r in 0..h {
        for c in 0..w {
            let (x, y) = g.cell_center(c, r);
            let v = inv
                .transform(DVec3::new(x, y, 0.0))
                .ok()
                .and_then(|s| src.sample(s.x, s.y));
            g.set(c, r, v.map_or(f32::NAN, |v| v as f32));
        }
    }
    Ok(g)
}
