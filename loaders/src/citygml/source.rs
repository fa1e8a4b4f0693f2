//! A CityGML model as a [`TileSource`]: its top-level objects (buildings,
//! bridges, …) grouped by place into tiles of at most [`PER_TILE`], each
//! tile's content triangulated when the view first needs it, under
//! coarser tiles of boxes ([`super::coarse`]) for the view from afar.
//!
//! The tree's frame is the file's own coordinates (its `srsName`'s
//! horizontal CRS, or scene coordinates for a local engineering CRS); the
//! scene places it through that CRS as it does any layer.

use super::mesh::{Drawing, boxes, content};
use super::model::{CityModel, ObjectId};
use super::srs::Srs;
use crate::tiles3d::grouping::{grouped, tile};
use cim_core::Bbox;
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::{ContentRef, TileId, TileTree};
use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::TextureImage;
use cim_core::model::tile_content::{MetadataEntity, TileContent};
use glam::{DMat4, DVec3};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

/// The largest texture image file read.
pub const MAX_IMAGE_FILE_BYTES: u64 = 256 << 20;

/// The most top-level objects in one tile.
pub const PER_TILE: usize = 256;

/// An opened CityGML model.
#[derive(Debug)]
pub struct CityGmlSource {
    pub model: CityModel,
    pub srs: Option<Srs>,
    tree: TileTree,
    /// The roots in each content tile, by the number its URI names.
    groups: Vec<Vec<ObjectId>>,
    /// Each group's centre: its content's coordinates are relative to it.
    origins: Vec<DVec3>,
    /// The objects each coarse tile boxes (`coarse=N`).
    coarse: Vec<Vec<ObjectId>>,
    /// Each top-level object's box.
    boxes: HashMap<ObjectId, Bbox>,
    root_of: Vec<ObjectId>,
    drawn_lod: Vec<Option<u8>>,
    polygons_of: HashMap<ObjectId, Vec<u32>>,
    problems: Vec<String>,
    /// The file's folder, which texture images are named relative to.
    dir: Option<PathBuf>,
    /// Images decoded for tiles still holding them: tiles share a
    /// texture atlas without decoding it twice, and an image no tile
    /// holds is freed.
    images: Mutex<HashMap<String, Weak<TextureImage>>>,
}

impl CityGmlSource {
    /// Builds the tile tree over `model`, read from a file in `dir` (the
    /// folder its texture images are in).
    pub fn new(model: CityModel, dir: Option<PathBuf>) -> CityGmlSource {
        let srs = model.srs_name.as_deref().map(super::srs::parse);
        let root_of = model.root_of();
        let drawn_lod = model.drawn_lods();
        let mut polygons_of: HashMap<ObjectId, Vec<u32>> = HashMap::new();
        let mut boxes: HashMap<ObjectId, Bbox> = HashMap::new();
        for (i, p) in model.polygons.iter().enumerate() {
            let root = root_of[p.object as usize];
            polygons_of.entry(root).or_default().push(i as u32);
            let b = boxes.entry(root).or_insert(Bbox::EMPTY);
            for q in p.rings.iter().flatten() {
                b.extend(*q);
            }
        }
        // Roots with geometry, by place.
        let mut roots: Vec<(ObjectId, Bbox)> = boxes.iter().map(|(o, b)| (*o, *b)).collect();
        roots.sort_by_key(|r| r.0);
        let mut groups = Vec::new();
        let mut origins = Vec::new();
        let tree = grouped(
            DMat4::IDENTITY,
            roots,
            PER_TILE,
            &|r: &(ObjectId, Bbox)| r.1,
            &mut |tree: &mut TileTree, parent: TileId, group: Vec<(ObjectId, Bbox)>| {
                let b = group.iter().fold(Bbox::EMPTY, |a, r| a.union(&r.1));
                let uri = format!("group={}", groups.len());
                groups.push(group.into_iter().map(|r| r.0).collect());
                origins.push(b.center());
                let contents = vec![ContentRef {
                    uri,
                    bounds: None,
                    group: None,
                }];
                let mut t = tile(DMat4::IDENTITY, Some(parent), contents, 0.0, b, None);
                t.depth = tree.tile(parent).depth + 1;
                tree.push(t);
            },
        );
        let mut problems = model.problems.clone();
        if let (Some(name), Some(s)) = (&model.srs_name, &srs)
            && s.horizontal.is_none()
            && !name.starts_with('#')
        {
            problems.push(format!(
                "srsName \"{}\" is no CRS PROJ knows: its coordinates are taken as the scene's",
                cim_core::message::clip(name, 200)
            ));
        }
        let mut tree = tree;
        let coarse = super::coarse::add_levels(&mut tree, &groups, &boxes, PER_TILE);
        CityGmlSource {
            model,
            srs,
            tree,
            groups,
            origins,
            coarse,
            boxes,
            root_of,
            drawn_lod,
            polygons_of,
            problems,
            dir,
            images: Mutex::default(),
        }
    }

    /// The texture image `uri` names, decoded (or shared, while a tile
    /// holds it).
    fn image(&self, uri: &str) -> Result<Arc<TextureImage>, String> {
        let mut kept = self.images.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(img) = kept.get(uri).and_then(Weak::upgrade) {
            return Ok(img);
        }
        let dir = self.dir.as_deref().ok_or("no folder to read images from")?;
        let name = uri.replace('\\', "/");
        let path = crate::osgb::child_path(dir, &name)
            .ok_or("the image's name leaves the file's folder")?;
        let bytes = crate::read_file_limited(&path, MAX_IMAGE_FILE_BYTES, 1.0)
            .map_err(|e| e.to_string())?;
        let img = Arc::new(crate::tiles3d::gltf_content::decode_image(&bytes)?);
        kept.retain(|_, w| w.strong_count() > 0);
        kept.insert(uri.to_string(), Arc::downgrade(&img));
        Ok(img)
    }

    /// The contents drawing objects in full (the leaves), not as the
    /// boxes of coarser levels.
    pub fn full_contents(&self) -> impl Iterator<Item = &ContentRef> {
        self.tree
            .tiles
            .iter()
            .flat_map(|t| &t.contents)
            .filter(|c| c.uri.starts_with("group="))
    }

    /// The horizontal CRS of the model, when it has one PROJ knows.
    pub fn crs(&self) -> Option<cim_core::crs::CrsDef> {
        self.srs.as_ref().and_then(|s| s.horizontal.clone())
    }
}

impl TileSource for CityGmlSource {
    fn tree(&self) -> &TileTree {
        &self.tree
    }

    fn read(&self, c: &ContentRef) -> Result<TileContent, String> {
        let missing = || format!("{}: no such group of city objects", c.uri);
        let number = |prefix: &str| c.uri.strip_prefix(prefix)?.parse::<usize>().ok();
        let d = Drawing {
            model: &self.model,
            root_of: &self.root_of,
            drawn_lod: &self.drawn_lod,
            polygons_of: &self.polygons_of,
            images: &|uri| self.image(uri),
        };
        if let Some(list) = number("coarse=").and_then(|n| self.coarse.get(n)) {
            return Ok(boxes(&d, list, &self.boxes));
        }
        let n = number("group=")
            .filter(|&n| n < self.groups.len())
            .ok_or_else(missing)?;
        Ok(content(&d, &self.groups[n], self.origins[n]))
    }

    fn is_ecef(&self) -> bool {
        false
    }

    fn problems(&self) -> Vec<String> {
        self.problems.clone()
    }

    fn metadata(&self, _tile: TileId) -> Vec<MetadataEntity> {
        let m = &self.model;
        let text = |s: &str| AttrValue::String(s.to_string());
        let mut properties = vec![
            (
                "version".into(),
                m.version.as_deref().map_or(AttrValue::Null, text),
            ),
            (
                "srsName".into(),
                m.srs_name.as_deref().map_or(AttrValue::Null, text),
            ),
            ("objects".into(), AttrValue::Int(m.objects.len() as i64)),
            (
                "buildings".into(),
                AttrValue::Int(m.building_count() as i64),
            ),
        ];
        if let Some(v) = self.srs.as_ref().and_then(|s| s.vertical.as_deref()) {
            properties.push(("height system".into(), text(v)));
        }
        vec![MetadataEntity {
            scope: "model".into(),
            class: Some("CityModel".into()),
            about: None,
            properties,
        }]
    }
}
