//! Opening scenes and loading layers: command-line inputs → a scene
//! document; a layer reference → a [`Layer`] in the scene CRS. No Bevy here,
//! so the viewer (on a background thread) and `cim snapshot` (blocking) share
//! one code path.

use anyhow::{Context, Result, bail};
use cim_core::crs::{CrsDef, Transformer};
use cim_core::lod::tile_source::{Frame, TilePlacement};
use cim_core::message::quote;
use cim_core::model::grid::Grid;
use cim_core::model::layer::{Layer, LayerContent, LayerKind};
use cim_core::scene::demo;
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
    /// Data files on the command line already read to choose the scene
    /// CRS; their layers take these results instead of reading the files a
    /// second time (0.75 s for a million footprints).
    pub preloaded: Vec<Preloaded>,
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
            preloaded: Vec::new(),
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
            preloaded: Vec::new(),
        },
        None => {
            // The scene takes the CRS of the first file that opens, so a
            // bad file first on the command line costs its layer only.
            let mut preloaded = Vec::new();
            let mut chosen = None;
            for p in &data {
                let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                let results = if is_url(p) {
                    vec![cim_loaders::tiles3d::source::load_url(&p.to_string_lossy())]
                } else {
                    cim_loaders::load_all(&abs)
                };
                let crs = results
                    .iter()
                    .find_map(|r| r.as_ref().ok())
                    .map(|l| scene_crs_for(&l.layer));
                preloaded.push(Preloaded {
                    source: layer_ref_for_file(&abs).source,
                    results,
                });
                if let Some(crs) = crs {
                    chosen = Some((*p, crs));
                    break;
                }
            }
            let Some((first, crs)) = chosen else {
                let errors: Vec<String> = preloaded
                    .iter()
                    .flat_map(|p| p.results.iter())
                    .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
                    .collect();
                bail!("no data file could be opened:\n  {}", errors.join("\n  "));
            };
            let (crs, origin) = crs.with_context(|| {
                format!(
                    "{}: cannot choose a scene CRS",
                    cim_core::message::path(first)
                )
            })?;
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
                    stream_budget_mb: None,
                    layers: Vec::new(),
                    views: Vec::new(),
                    clock: None,
                    basemaps: Vec::new(),
                    flood: None,
                },
                path: None,
                is_demo: false,
                preloaded,
            }
        }
    };
    for p in data {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        opened.doc.layers.extend(layer_refs_for_file(&abs));
    }
    Ok(opened)
}

fn is_url(p: &Path) -> bool {
    let s = p.to_string_lossy();
    s.starts_with("http://") || s.starts_with("https://")
}

/// The layers a data file opened on its own shows: the file as one layer,
/// except an EPANET network, whose pipes and nodes are two (the nodes:
/// junctions, tanks and reservoirs, drawn as points).
pub fn layer_refs_for_file(p: &Path) -> Vec<LayerRef> {
    let whole = layer_ref_for_file(p);
    if !cim_loaders::pipes::is_inp(p) {
        return vec![whole];
    }
    // The names the reader gives its two layers.
    let name = cim_loaders::layer_name(p);
    let nodes = LayerRef {
        layer: Some(format!("{name} nodes")),
        name: format!("{} nodes", whole.name),
        ..whole.clone()
    };
    let pipes = LayerRef {
        layer: Some(name),
        ..whole
    };
    vec![pipes, nodes]
}

/// A layer reference for a data file, drawn as its geometry suggests.
pub fn layer_ref_for_file(p: &Path) -> LayerRef {
    LayerRef {
        layer: None,
        name: cim_loaders::tiles3d::folder_name(p).unwrap_or_else(|| {
            p.file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        source: p.to_string_lossy().into_owned(),
        kind: LayerKind::Auto,
        visible: true,
        opacity: 1.0,
        style: Style::default(),
        placement: None,
        clip: Vec::new(),
        flatten: Vec::new(),
    }
}

/// Picks a projected scene CRS for a layer: its own when projected, else
/// the UTM zone of its centre (metres are needed for 3D).
fn scene_crs_for(layer: &Layer) -> Result<(CrsDef, DVec3)> {
    let bbox = layer.bbox().context("the layer is empty")?;
    if let Some(t) = layer.tiles() {
        // A tileset in a CRS of its own (an OSGB dataset's metadata.xml)
        // keeps it; its tree's coordinates are in it.
        if let Some(crs) = layer
            .crs
            .as_ref()
            .filter(|c| !t.source.is_ecef() && !cim_core::crs::is_geographic(c))
        {
            let c = bbox.center();
            return Ok((crs.clone(), DVec3::new(c.x.round(), c.y.round(), 0.0)));
        }
        return scene_crs_for_tiles(t.source.is_ecef(), bbox.center());
    }
    // EPANET files carry no CRS and their coordinates are planar (a
    // city's grid, or the modeller's own): taken as scene coordinates, as a
    // tileset in a local frame is, unless a `.prj` beside the file says.
    if layer.crs.is_none() && layer.format == "EPANET" {
        return scene_crs_for_tiles(false, bbox.center());
    }
    let crs = layer.crs.clone().unwrap_or_else(CrsDef::wgs84);
    let c = bbox.center();
    if !cim_core::crs::is_geographic(&crs) {
        return Ok((crs, DVec3::new(c.x.round(), c.y.round(), 0.0)));
    }
    let to_wgs = Transformer::new(&crs, &CrsDef::wgs84())?;
    let ll = to_wgs.transform(DVec3::new(c.x, c.y, 0.0))?;
    let utm = utm_zone(ll)?;
    let o = Transformer::new(&crs, &utm)?.transform(DVec3::new(c.x, c.y, 0.0))?;
    Ok((utm, DVec3::new(o.x.round(), o.y.round(), 0.0)))
}

/// A scene CRS for a tileset opened on its own: the UTM zone of a
/// georeferenced one's centre (`c`, ECEF); for one in a local frame, whose
/// coordinates are taken as scene coordinates, CGCS2000 3° Gauss-Krüger
/// CM 114° E (EPSG:4547, the Pearl River Delta's zone).
fn scene_crs_for_tiles(ecef: bool, c: DVec3) -> Result<(CrsDef, DVec3)> {
    if !ecef {
        return Ok((
            CrsDef::parse("EPSG:4547")?,
            DVec3::new(c.x.round(), c.y.round(), 0.0),
        ));
    }
    let utm = utm_zone(cim_core::crs::enu::ecef_to_geodetic(c))?;
    let o = Transformer::new(&CrsDef::parse("EPSG:4978")?, &utm)?.transform(c)?;
    Ok((utm, DVec3::new(o.x.round(), o.y.round(), o.z.round())))
}

/// The WGS 84 UTM zone (EPSG:326xx north, 327xx south) of a lon/lat.
pub(crate) fn utm_zone(ll: DVec3) -> Result<CrsDef> {
    let zone = (((ll.x + 180.0) / 6.0).floor() as i32).clamp(0, 59) + 1;
    let code = if ll.y >= 0.0 { 32600 } else { 32700 } + zone;
    Ok(CrsDef::parse(&format!("EPSG:{code}"))?)
}

/// Quads per side of a terrain tile (65 × 65 vertices).
const TERRAIN_TILE_QUADS: usize = 64;

/// A loaded layer plus anything the user should know about it.
pub struct LoadedLayer {
    pub layer: Layer,
    /// Things the user should know that leave the layer as asked for (a
    /// CRS assumed, a side file ignored).
    pub warnings: Vec<String>,
    /// Data that was left out (features that could not be placed): the
    /// layer shows, but not all of it.
    pub losses: Vec<String>,
    /// R-tree over the features (built on the loader thread: a million
    /// footprints take a fraction of a second).
    pub index: Option<cim_core::query::index::SpatialIndex>,
    /// Level-of-detail quadtree over a raster (under a second for 10⁸ cells).
    pub terrain: Option<cim_core::lod::terrain::TerrainQuadtree>,
    /// Where the full-resolution cells of a raster held as an overview are
    /// read from (see `cim_core::lod::terrain::paged`).
    pub detail: Option<cim_core::model::grid_source::SharedSource>,
}

/// Where a layer's data is: the source, and which of its layers.
///
/// `source` is a file name taken literally, so any character works (`#`
/// too); `layer` picks a layer of a file that holds several. Documents
/// written before the `layer` key named it after a `#` in the source
/// (`roads.gpkg#streets`): that still works when the literal file does not
/// exist and the part before the `#` does.
fn locate(r: &LayerRef, doc_dir: Option<&Path>) -> (Source, Option<String>) {
    let literal = SceneDoc::resolve_source(&r.source, doc_dir);
    if r.layer.is_some() {
        return (literal, r.layer.clone());
    }
    if let Source::File(p) = &literal
        && !p.exists()
        && let Some((file, sub)) = r.source.rsplit_once('#')
        && let Source::File(q) = SceneDoc::resolve_source(file, doc_dir)
        && q.exists()
    {
        return (Source::File(q), Some(sub.to_string()));
    }
    (literal, None)
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
    let (source, sub) = locate(r, doc_dir);
    let shown = quote(&r.source).into_owned();
    let mut warnings = Vec::new();
    let mut losses = Vec::new();
    let mut detail = None;
    let mut layer = match source {
        Source::Builtin(name) => demo::builtin_layer(&name)
            .ok_or_else(|| format!("builtin:{}: no such built-in layer", quote(&name)))?,
        Source::Url(u) if cim_loaders::tiles3d::names_json(&u) => {
            let loaded = match preloaded.and_then(|mut r| r.pop()) {
                Some(r) => r,
                None => cim_loaders::tiles3d::source::load_url(&u),
            }
            .map_err(|e| e.to_string())?;
            warnings.extend(loaded.warnings);
            loaded.layer
        }
        Source::Url(u) => {
            return Err(format!(
                "{}: remote sources other than 3D Tiles tilesets (…/tileset.json) are not supported yet",
                quote(&u)
            ));
        }
        Source::File(p) => {
            let path = cim_core::message::path(&p);
            if !p.exists() {
                return Err(format!("{path}: no such file"));
            }
            // One result per layer: a zip with one damaged member still
            // yields the others.
            let mut results = preloaded.unwrap_or_else(|| cim_loaders::load_all(&p));
            if results.is_empty() {
                return Err(format!("{path}: holds no layers"));
            }
            let names = || {
                let n: Vec<String> = results
                    .iter()
                    .filter_map(|r| r.as_ref().ok())
                    .map(|l| quote(&l.layer.name).into_owned())
                    .collect();
                n.join(", ")
            };
            let idx = match &sub {
                Some(f) => results
                    .iter()
                    .position(|r| r.as_ref().is_ok_and(|l| l.layer.name == *f))
                    .ok_or_else(|| {
                        format!(
                            "{path}: no layer named `{}` (readable layers: {})",
                            quote(f),
                            names()
                        )
                    })?,
                None => {
                    let ok = results.iter().position(|r| r.is_ok()).unwrap_or(0);
                    if results.len() > 1 {
                        warnings.push(format!(
                            "{path}: holds {} layers; showing the first readable one (set `layer = \"NAME\"` beside `source` to pick another: {})",
                            results.len(),
                            names()
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
            detail = loaded.detail;
            loaded.layer
        }
    };
    if r.kind != LayerKind::Auto {
        layer.kind = r.kind;
    }
    let total = layer.feature_count();
    let mut dropped = drop_unplaceable(&mut layer);
    match layer.crs.clone() {
        None => warnings.push(format!(
            "{shown}: declares no CRS; assuming the scene CRS {}",
            scene_crs.label()
        )),
        Some(crs) if crs != *scene_crs => {
            if let (Some(d), Some(g)) = (detail.take(), layer.grid()) {
                // Pages are read in the file's CRS; a reprojected grid has
                // other cells.
                let full = d.0.shape();
                warnings.push(format!(
                    "{shown}: {} × {} cells, shown at {} × {} (cells of {} m): full resolution \
                     streams only for DEMs in the scene CRS ({}), and this one is in {}",
                    full.width,
                    full.height,
                    g.width,
                    g.height,
                    g.dx.max(g.dy),
                    scene_crs.label(),
                    crs.label()
                ));
            }
            dropped += reproject(&mut layer, &crs, scene_crs).map_err(|e| {
                format!(
                    "{shown}: cannot reproject from {} to {}: {e}",
                    crs.label(),
                    scene_crs.label()
                )
            })?;
            dropped += drop_unplaceable(&mut layer);
        }
        Some(_) => {}
    }
    if dropped > 0 {
        if dropped == total {
            return Err(format!(
                "{shown}: none of its {total} features can be placed (coordinates not finite, \
                 beyond ±{:e} or outside what {} can hold)",
                cim_core::model::geometry::MAX_COORDINATE,
                scene_crs.label()
            ));
        }
        losses.push(format!(
            "{shown}: {dropped} of {total} features left out: coordinates not finite, beyond \
             ±{:e} or outside what {} can hold",
            cim_core::model::geometry::MAX_COORDINATE,
            scene_crs.label()
        ));
    }
    place_tiles(&mut layer, r).map_err(|e| format!("{shown}: cannot place its tiles: {e}"))?;
    if let Some(t) = layer.tiles() {
        // External tilesets or subtrees that could not be read: the
        // tileset shows without them.
        losses.extend(
            t.source
                .problems()
                .into_iter()
                .map(|p| format!("{shown}: part of the tileset is left out: {p}")),
        );
    }
    if let LayerContent::Raster(g) = &mut layer.content {
        let inf = g.drop_infinite();
        if inf > 0 {
            losses.push(format!(
                "{shown}: {inf} infinite heights treated as no data"
            ));
        }
        if let Some(why) = g.unusable() {
            return Err(format!("{shown}: cannot be drawn as terrain: {why}"));
        }
    }
    // Resolved once here: `Auto` would otherwise be worked out from every
    // feature each time a renderer, picker or label asks (each frame).
    layer.kind = layer.effective_kind();
    let index = layer
        .vector()
        .map(cim_core::query::index::SpatialIndex::build);
    let terrain = layer
        .grid()
        .map(|g| cim_core::lod::terrain::TerrainQuadtree::build(g, TERRAIN_TILE_QUADS));
    Ok(LoadedLayer {
        layer,
        warnings,
        losses,
        index,
        terrain,
        detail,
    })
}

/// Drops a vector layer's features that cannot be placed (see
/// `VectorData::drop_unplaceable`) and says how many went.
fn drop_unplaceable(layer: &mut Layer) -> usize {
    match &mut layer.content {
        LayerContent::Vector(v) => v.drop_unplaceable(),
        LayerContent::Raster(_) | LayerContent::Tiles(_) => 0,
    }
}

/// A tileset in a local frame (no CRS) is taken to be in scene
/// coordinates, as other layers without a CRS are; then the document's
/// `placement`, if any, moves it about the centre of its extent, and its
/// clip and flatten regions apply.
fn place_tiles(layer: &mut Layer, r: &LayerRef) -> Result<(), String> {
    let LayerContent::Tiles(t) = &mut layer.content else {
        return Ok(());
    };
    t.edits = std::sync::Arc::new(r.tile_edits()?);
    let placed = match t.placement.take() {
        Some(p) => p,
        None => std::sync::Arc::new(TilePlacement::new(
            t.source.tree(),
            Frame::Local(glam::DMat4::IDENTITY),
        )?),
    };
    t.unmoved = Some(placed);
    *t = t.moved(r.placement.as_ref())?;
    Ok(())
}

/// Transforms a layer into `to`: vectors point by point; grids are
/// resampled (bilinear) onto a grid in the target CRS of similar resolution.
/// A feature with a point that cannot be transformed is dropped; returns
/// how many were.
pub fn reproject(layer: &mut Layer, from: &CrsDef, to: &CrsDef) -> Result<usize, String> {
    let fwd = Transformer::new(from, to).map_err(|e| e.to_string())?;
    let mut dropped = 0;
    match &mut layer.content {
        LayerContent::Vector(v) => {
            let before = v.features.len();
            v.features.retain_mut(|f| {
                let mut ok = true;
                f.geometry.map_points(|p| match fwd.transform(*p) {
                    Ok(q) => *p = q,
                    Err(_) => ok = false,
                });
                ok
            });
            dropped = before - v.features.len();
        }
        LayerContent::Raster(g) => {
            let inv = Transformer::new(to, from).map_err(|e| e.to_string())?;
            *g = resample_grid(g, &fwd, &inv)?;
        }
        LayerContent::Tiles(t) => {
            // Tiles are placed, not rewritten: each content is brought into
            // the scene CRS through `fwd` as it streams in.
            let frame = Frame::Ecef(std::sync::Arc::new(fwd), glam::DMat4::IDENTITY);
            t.placement = Some(std::sync::Arc::new(TilePlacement::new(
                t.source.tree(),
                frame,
            )?));
        }
    }
    layer.crs = Some(to.clone());
    Ok(dropped)
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

#[cfg(test)]
mod tests {
    use super::*;
    use cim_core::scene::Placement;

    fn doc_layer(source: &str, layer: Option<&str>) -> LayerRef {
        let mut r = layer_ref_for_file(Path::new(source));
        r.layer = layer.map(str::to_string);
        r
    }

    /// A local tileset (one tile, a sphere of radius 10 m at the origin)
    /// is moved by the document's placement about the centre of its extent.
    #[test]
    fn a_tileset_is_placed_as_the_document_says() {
        let dir = tempfile::tempdir().unwrap();
        let seed =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../loaders/fuzz/corpus/b3dm/seed-triangle");
        std::fs::copy(seed, dir.path().join("a.b3dm")).unwrap();
        std::fs::write(
            dir.path().join("tileset.json"),
            r#"{"asset":{"version":"1.0"},"geometricError":1,"root":{"boundingVolume":{"sphere":[0,0,0,10]},"geometricError":0,"refine":"ADD","content":{"uri":"a.b3dm"}}}"#,
        )
        .unwrap();
        let crs = CrsDef::parse("EPSG:4547").unwrap();
        let mut r = layer_ref_for_file(&dir.path().join("tileset.json"));
        assert_eq!(r.name, dir.path().file_name().unwrap().to_string_lossy());
        let plain = load_layer(&r, None, &crs, None)
            .unwrap()
            .layer
            .bbox()
            .unwrap();
        assert!(plain.center().length() < 1e-9, "{plain:?}");
        r.placement = Some(Placement {
            offset: [38_500_000.0, 2_500_000.0, 5.0],
            heading_deg: 30.0,
            scale: 2.0,
        });
        let moved = load_layer(&r, None, &crs, None)
            .unwrap()
            .layer
            .bbox()
            .unwrap();
        assert!((moved.center() - DVec3::new(38_500_000.0, 2_500_000.0, 5.0)).length() < 1e-6);
        assert!(
            (moved.size().z - 40.0).abs() < 1e-9,
            "scaled twice: {moved:?}"
        );
        r.placement = Some(Placement {
            offset: [0.0; 3],
            heading_deg: 0.0,
            scale: 0.0,
        });
        let Err(e) = load_layer(&r, None, &crs, None) else {
            panic!("a zero scale is refused")
        };
        assert!(e.contains("scale above 0"), "{e}");
    }

    #[test]
    fn sources_are_literal_and_the_kind_is_resolved_once() {
        let dir = tempfile::tempdir().unwrap();
        let gj = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Polygon",
             "coordinates":[[[113.55,22.27],[113.56,22.27],[113.56,22.28],[113.55,22.27]]]}}]}"#;
        let named = dir.path().join("a#b.geojson");
        std::fs::write(&named, gj).unwrap();
        let scene = CrsDef::parse("EPSG:4526").unwrap();
        let r = doc_layer(named.to_str().unwrap(), None);
        let loaded = load_layer(&r, None, &scene, None).unwrap();
        assert_eq!(loaded.layer.feature_count(), 1);
        assert_eq!(loaded.layer.kind, LayerKind::Areas, "Auto resolved at load");
        // The older `file#layer` form still finds a layer of a real file.
        let plain = dir.path().join("roads.geojson");
        std::fs::write(&plain, gj).unwrap();
        let legacy = doc_layer(&format!("{}#roads", plain.display()), None);
        assert!(load_layer(&legacy, None, &scene, None).is_ok());
        let wrong = doc_layer(plain.to_str().unwrap(), Some("nope"));
        let e = load_layer(&wrong, None, &scene, None).err().unwrap();
        assert!(
            e.contains("no layer named `nope`") && e.contains("roads"),
            "{e}"
        );
    }

    #[test]
    fn unplaceable_features_are_left_out_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pts.geojson");
        std::fs::write(
            &p,
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[113.55,22.27]}},
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1e300,22.27]}}]}"#,
        )
        .unwrap();
        let scene = CrsDef::parse("EPSG:4526").unwrap();
        let loaded = load_layer(&doc_layer(p.to_str().unwrap(), None), None, &scene, None).unwrap();
        assert_eq!(loaded.layer.feature_count(), 1);
        assert!(
            loaded.losses[0].contains("1 of 2 features left out"),
            "{:?}",
            loaded.losses
        );
    }
}
