//! An IFC model as a [`TileSource`]: its elements grouped by place into
//! tiles of at most [`PER_TILE`], each tile's content their triangles,
//! coloured by class, with one feature id per element over a table of its
//! attributes (GlobalId, class, name, object type, storey) and its
//! property sets' and quantities' values.
//!
//! The tree's frame is the model's engineering coordinates moved by its
//! `IfcMapConversion` into its map CRS, when it has one; otherwise they
//! are taken as scene coordinates.

use super::model::{Element, IfcModel};
use crate::tiles3d::grouping::{grouped, tile};
use cim_core::AttrValue;
use cim_core::Bbox;
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::{ContentRef, TileId, TileTree};
use cim_core::model::tile_content::{
    Alpha, ContentMaterial, ContentMesh, FeatureIds, MetadataEntity, PropertyTable, TileContent,
};
use glam::{DMat4, DVec3};

/// The most elements in one tile.
pub const PER_TILE: usize = 512;

/// Most columns of a tile's element table.
pub const MAX_COLUMNS: usize = 1024;

/// An opened IFC model.
#[derive(Debug)]
pub struct IfcSource {
    pub model: IfcModel,
    tree: TileTree,
    /// The elements of each content tile (`group=N`), and its centre.
    groups: Vec<(Vec<u32>, DVec3)>,
    crs: Option<cim_core::crs::CrsDef>,
}

/// The projected CRS an `IfcMapConversion` maps the model into, when PROJ
/// knows it (a geographic one cannot take metres of easting).
fn map_crs(model: &IfcModel) -> Option<cim_core::crs::CrsDef> {
    let (_, name) = model.georef.as_ref()?;
    cim_core::crs::CrsDef::parse(name)
        .ok()
        .filter(|c| !cim_core::crs::is_geographic(c))
}

impl IfcSource {
    pub fn new(model: IfcModel) -> IfcSource {
        let crs = map_crs(&model);
        let world = match (&crs, &model.georef) {
            (Some(_), Some((m, _))) => *m,
            _ => DMat4::IDENTITY,
        };
        let items: Vec<(u32, Bbox)> = model
            .elements
            .iter()
            .enumerate()
            .map(|(i, e)| (i as u32, e.bbox()))
            .collect();
        let mut groups = Vec::new();
        let tree = grouped(
            world,
            items,
            PER_TILE,
            &|i: &(u32, Bbox)| i.1,
            &mut |tree: &mut TileTree, parent: TileId, group: Vec<(u32, Bbox)>| {
                let b = group.iter().fold(Bbox::EMPTY, |a, i| a.union(&i.1));
                let uri = format!("group={}", groups.len());
                groups.push((group.into_iter().map(|i| i.0).collect(), b.center()));
                let contents = vec![ContentRef {
                    uri,
                    bounds: None,
                    group: None,
                }];
                let mut t = tile(world, Some(parent), contents, 0.0, b, None);
                t.depth = tree.tile(parent).depth + 1;
                tree.push(t);
            },
        );
        IfcSource {
            model,
            tree,
            groups,
            crs,
        }
    }

    /// The map CRS the model is placed in, when its georeference names
    /// one PROJ knows.
    pub fn crs(&self) -> Option<cim_core::crs::CrsDef> {
        self.crs.clone()
    }
}

impl TileSource for IfcSource {
    fn tree(&self) -> &TileTree {
        &self.tree
    }

    fn read(&self, c: &ContentRef) -> Result<TileContent, String> {
        let (elements, origin) = c
            .uri
            .strip_prefix("group=")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| self.groups.get(n))
            .ok_or_else(|| format!("{}: no such group of elements", c.uri))?;
        Ok(content(&self.model, elements, *origin))
    }

    fn is_ecef(&self) -> bool {
        false
    }

    fn problems(&self) -> Vec<String> {
        let p = &self.model.problems;
        match p.len() {
            0 => Vec::new(),
            n => vec![format!(
                "{n} element(s) without geometry (first: {})",
                cim_core::message::clip(&p[0], 300)
            )],
        }
    }

    fn metadata(&self, _tile: TileId) -> Vec<MetadataEntity> {
        let m = &self.model;
        let mut properties = vec![
            ("schema".into(), AttrValue::String(m.schema.clone())),
            ("elements".into(), AttrValue::Int(m.element_count() as i64)),
        ];
        if let Some((_, crs)) = &m.georef {
            properties.push(("map CRS".into(), AttrValue::String(crs.clone())));
        }
        vec![MetadataEntity {
            scope: "model".into(),
            class: Some("IfcProject".into()),
            about: None,
            properties,
        }]
    }
}

/// Elements `ids` relative to `origin`, a feature each: one mesh of the
/// opaque triangles and one of the see-through ones (glass), so that only
/// those are blended.
fn content(model: &IfcModel, ids: &[u32], origin: DVec3) -> TileContent {
    let mut opaque = Part::default();
    let mut clear = Part::default();
    for (row, &i) in ids.iter().enumerate() {
        let e = &model.elements[i as usize];
        let shift = (e.origin - origin).as_vec3();
        let colours: Vec<[u8; 4]> = e.vertex_colours(colour_of(&e.class)).collect();
        for part in [&mut opaque, &mut clear] {
            part.begin();
        }
        for t in e.indices.chunks_exact(3) {
            let part = if colours[t[0] as usize][3] < 255 {
                &mut clear
            } else {
                &mut opaque
            };
            for &k in t {
                part.vertex(e, k, shift, colours[k as usize], row as u32);
            }
        }
    }
    let meshes: Vec<ContentMesh> = [(opaque, Alpha::Opaque), (clear, Alpha::Blend)]
        .into_iter()
        .filter(|(p, _)| !p.mesh.indices.is_empty())
        .map(|(p, alpha)| p.finish(origin, alpha))
        .collect();
    let elements: Vec<&Element> = ids.iter().map(|&i| &model.elements[i as usize]).collect();
    let text = |s: Option<&str>| s.map_or(AttrValue::Null, |s| AttrValue::String(s.into()));
    let rows: Vec<Vec<(String, AttrValue)>> = elements
        .iter()
        .map(|e| {
            let storey = e
                .storey
                .and_then(|s| model.storeys[s as usize].name.as_deref());
            let mut row = vec![
                ("GlobalId".to_string(), text(Some(&e.global_id))),
                ("class".to_string(), text(Some(&e.class))),
                ("Name".to_string(), text(e.name.as_deref())),
                ("ObjectType".to_string(), text(e.object_type.as_deref())),
                ("storey".to_string(), text(storey)),
                (
                    "express id".to_string(),
                    AttrValue::Int(i64::from(e.express_id)),
                ),
            ];
            row.extend(e.properties.iter().cloned());
            row
        })
        .collect();
    let table = PropertyTable::from_rows("elements", &rows, MAX_COLUMNS);
    TileContent {
        meshes,
        feature_count: elements.len(),
        tables: vec![table],
        ..TileContent::default()
    }
}

/// The triangles of one tile drawn one way, as they are gathered: each
/// element's vertices added once (on first use) and their feature ids.
#[derive(Default)]
struct Part {
    mesh: ContentMesh,
    features: Vec<u32>,
    /// The current element's vertex → this part's, `u32::MAX` if unused.
    at: Vec<u32>,
}

impl Part {
    /// Starts the next element.
    fn begin(&mut self) {
        self.at.clear();
    }

    fn vertex(&mut self, e: &Element, k: u32, shift: glam::Vec3, colour: [u8; 4], row: u32) {
        let k = k as usize;
        if self.at.len() < e.positions.len() {
            self.at.resize(e.positions.len(), u32::MAX);
        }
        if self.at[k] == u32::MAX {
            self.at[k] = self.mesh.positions.len() as u32;
            let m = &mut self.mesh;
            m.positions
                .push((glam::Vec3::from_array(e.positions[k]) + shift).to_array());
            m.normals.push(e.normals[k]);
            m.colors.push(colour);
            self.features.push(row);
        }
        let v = self.at[k];
        self.mesh.indices.push(v);
    }

    fn finish(self, origin: DVec3, alpha: Alpha) -> ContentMesh {
        ContentMesh {
            transform: DMat4::from_translation(origin),
            material: ContentMaterial {
                double_sided: true,
                alpha,
                ..ContentMaterial::default()
            },
            features: vec![FeatureIds {
                ids: self.features,
                table: Some(0),
                label: Some("element".into()),
            }],
            ..self.mesh
        }
    }
}

/// An element's colour by its class (sRGB RGBA), as BIM viewers default
/// to when a model carries no styles: glass see-through.
fn colour_of(class: &str) -> [u8; 4] {
    let c = class
        .trim_end_matches("StandardCase")
        .trim_end_matches("ElementedCase");
    match c {
        "IfcWall" | "IfcCurtainWall" => [232, 228, 218, 255],
        "IfcSlab" | "IfcFooting" | "IfcPile" => [170, 170, 172, 255],
        "IfcRoof" => [176, 84, 66, 255],
        "IfcWindow" | "IfcPlate" => [130, 178, 214, 140],
        "IfcDoor" => [150, 110, 72, 255],
        "IfcBeam" | "IfcColumn" | "IfcMember" => [200, 190, 170, 255],
        "IfcStair" | "IfcStairFlight" | "IfcRamp" | "IfcRampFlight" => [196, 186, 168, 255],
        "IfcRailing" => [110, 110, 116, 255],
        "IfcSite" | "IfcGeographicElement" => [150, 168, 120, 255],
        "IfcFurnishingElement" | "IfcFurniture" => [186, 140, 96, 255],
        "IfcPavement" | "IfcCourse" | "IfcRoad" => [96, 96, 100, 255],
        "IfcKerb" => [190, 190, 186, 255],
        c if c.starts_with("IfcFlow") || c.starts_with("IfcPipe") || c.starts_with("IfcDuct") => {
            [70, 130, 190, 255]
        }
        _ => [210, 206, 196, 255],
    }
}
