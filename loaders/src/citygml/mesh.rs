//! A group of a CityGML model's buildings as one tile's content:
//! triangles textured, in their material's colour, or coloured by
//! thematic surface, with three feature id sets —
//! the building (or other top-level object), the object each polygon
//! belongs to (a building part), and the thematic surface — over
//! property tables of their attributes.

use super::model::{CityModel, Look, ObjectId, Polygon, UNKNOWN_LOD};
use cim_core::AttrValue;
use cim_core::Bbox;
use cim_core::model::polygon3d::{newell_normal, triangulate};
use cim_core::model::tile_content::{
    Alpha, ContentMaterial, ContentMesh, FeatureIds, NO_FEATURE, PropertyTable, TextureImage,
    TileContent,
};
use glam::{DMat4, DVec3};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Reads the image a texture's `imageURI` names.
pub type ImageReader<'a> = &'a (dyn Fn(&str) -> Result<Arc<TextureImage>, String> + Sync);

/// What [`content`] needs besides the model: each object's root and the
/// level of detail drawn for it, and where texture images come from.
pub struct Drawing<'a> {
    pub model: &'a CityModel,
    pub root_of: &'a [ObjectId],
    pub drawn_lod: &'a [Option<u8>],
    /// The polygons of each root, drawn or not.
    pub polygons_of: &'a HashMap<ObjectId, Vec<u32>>,
    pub images: ImageReader<'a>,
}

impl Drawing<'_> {
    /// Whether polygon `p` is drawn: its object's finest level, or any
    /// level when unknown.
    fn drawn(&self, p: &Polygon) -> bool {
        p.lod == UNKNOWN_LOD || self.drawn_lod[p.object as usize] == Some(p.lod)
    }
}

/// One mesh of a tile: the untextured polygons, or those of one texture.
struct Part {
    mesh: ContentMesh,
    /// Feature ids per vertex: object, part, surface.
    ids: [Vec<u32>; 3],
}

impl Part {
    fn new(origin: DVec3, texture: Option<Arc<TextureImage>>) -> Part {
        Part {
            mesh: ContentMesh {
                transform: DMat4::from_translation(origin),
                material: ContentMaterial {
                    double_sided: true,
                    texture,
                    ..ContentMaterial::default()
                },
                ..ContentMesh::default()
            },
            ids: Default::default(),
        }
    }
}

/// The content of the root objects `roots`, in coordinates relative to
/// `origin` (f32 offsets; the mesh's transform adds `origin` back): one
/// mesh of the untextured polygons — in their material's colour, else
/// their surface's — and one per texture image.
pub fn content(d: &Drawing, roots: &[ObjectId], origin: DVec3) -> TileContent {
    let m = d.model;
    let mut rows = Rows::default();
    let mut parts: BTreeMap<Option<u32>, Part> = BTreeMap::new();
    let mut images: HashMap<u32, Option<Arc<TextureImage>>> = HashMap::new();
    let mut warnings = Vec::new();
    for &root in roots {
        for &pi in d.polygons_of.get(&root).into_iter().flatten() {
            let p = &m.polygons[pi as usize];
            if !d.drawn(p) {
                continue;
            }
            let tris = triangulate(&p.rings);
            if tris.is_empty() {
                continue;
            }
            let normal = newell_normal(&p.rings[0]).unwrap_or(DVec3::Z);
            let look = p.look.and_then(|l| Some((l, m.looks.get(l as usize)?)));
            let texture = match (look, &p.uvs) {
                (Some((l, Look::Texture(uri))), Some(uvs)) => images
                    .entry(l)
                    .or_insert_with(|| {
                        (d.images)(uri)
                            .map_err(|e| warnings.push(format!("texture {uri}: {e}")))
                            .ok()
                    })
                    .clone()
                    .map(|img| (l, img, uvs)),
                _ => None,
            };
            let colour = match (look, &texture) {
                (_, Some(_)) => [255; 4],
                (Some((_, Look::Colour(c))), None) => *c,
                _ => {
                    let surface = p.surface.map(|s| m.surfaces[s as usize].class.as_str());
                    colour_of(&m.objects[root as usize].class, surface, normal)
                }
            };
            let key = texture.as_ref().map(|t| t.0);
            let part = parts
                .entry(key)
                .or_insert_with(|| Part::new(origin, texture.as_ref().map(|t| t.1.clone())));
            let mesh = &mut part.mesh;
            let base = mesh.positions.len() as u32;
            let feature = [
                rows.building(root),
                rows.part(p.object),
                p.surface.map_or(NO_FEATURE, |s| rows.surface(s)),
            ];
            for q in p.rings.iter().flatten() {
                mesh.positions.push((*q - origin).as_vec3().to_array());
                mesh.normals.push(normal.as_vec3().to_array());
                mesh.colors.push(colour);
                for (set, f) in part.ids.iter_mut().zip(feature) {
                    set.push(f);
                }
            }
            if let Some((_, _, uvs)) = &texture {
                mesh.uvs.extend(uvs.iter().flatten());
            }
            mesh.indices.extend(tris.iter().map(|i| base + i));
        }
    }
    let tables = rows.tables(d);
    let parts_differ = rows.parts.len() != rows.buildings.len()
        || rows.parts.iter().any(|&o| d.root_of[o as usize] != o);
    let meshes = parts
        .into_values()
        .map(|Part { mut mesh, ids }| {
            let [buildings, parts, surfaces] = ids;
            let set = |ids, table, label: &str| FeatureIds {
                ids,
                table: Some(table),
                label: Some(label.into()),
            };
            mesh.features.push(set(buildings, 0, "object"));
            if parts_differ {
                mesh.features.push(set(parts, 1, "part"));
            }
            if !rows.surfaces.is_empty() {
                mesh.features.push(set(surfaces, 2, "surface"));
            }
            if mesh.colors.iter().any(|c| c[3] < 255) {
                mesh.material.alpha = Alpha::Blend;
            }
            mesh
        })
        .collect();
    TileContent {
        meshes,
        feature_count: rows.buildings.len(),
        tables,
        warnings,
        ..TileContent::default()
    }
}

/// The boxes of the top-level objects `roots` (their polygons' bounds):
/// tops and sides, coloured as a flat roof and walls would be, with the
/// objects' feature ids and table. Relative to the boxes' centre.
pub fn boxes(d: &Drawing, roots: &[ObjectId], bounds: &HashMap<ObjectId, Bbox>) -> TileContent {
    let m = d.model;
    let all = roots
        .iter()
        .filter_map(|r| bounds.get(r))
        .fold(Bbox::EMPTY, |a, b| a.union(b));
    let origin = all.center();
    let mut rows = Rows::default();
    let mut part = Part::new(origin, None);
    for &root in roots {
        let Some(b) = bounds.get(&root) else { continue };
        let (lo, hi) = (b.min, b.max);
        let c = [
            DVec3::new(lo.x, lo.y, 0.0),
            DVec3::new(hi.x, lo.y, 0.0),
            DVec3::new(hi.x, hi.y, 0.0),
            DVec3::new(lo.x, hi.y, 0.0),
        ];
        let at = |p: DVec3, z: f64| DVec3::new(p.x, p.y, z);
        let mut faces = vec![c.map(|p| at(p, hi.z)).to_vec()];
        for k in 0..4 {
            let (a, b) = (c[k], c[(k + 1) % 4]);
            faces.push(vec![at(a, lo.z), at(b, lo.z), at(b, hi.z), at(a, hi.z)]);
        }
        let feature = rows.building(root);
        let class = &m.objects[root as usize].class;
        for face in faces {
            let Some(normal) = newell_normal(&face) else {
                continue;
            };
            let colour = colour_of(class, None, normal);
            let mesh = &mut part.mesh;
            let base = mesh.positions.len() as u32;
            for q in &face {
                mesh.positions.push((*q - origin).as_vec3().to_array());
                mesh.normals.push(normal.as_vec3().to_array());
                mesh.colors.push(colour);
                part.ids[0].push(feature);
            }
            mesh.indices.extend([0, 1, 2, 0, 2, 3].map(|i| base + i));
        }
    }
    let tables = vec![object_table(d, "objects", &rows.buildings)];
    let Part { mut mesh, ids } = part;
    let [objects, _, _] = ids;
    mesh.features.push(FeatureIds {
        ids: objects,
        table: Some(0),
        label: Some("object".into()),
    });
    TileContent {
        meshes: if mesh.indices.is_empty() {
            Vec::new()
        } else {
            vec![mesh]
        },
        feature_count: rows.buildings.len(),
        tables,
        ..TileContent::default()
    }
}

/// The rows of the three tables, in the order features are met, and
/// each feature's row.
#[derive(Default)]
struct Rows {
    buildings: Vec<ObjectId>,
    parts: Vec<ObjectId>,
    surfaces: Vec<u32>,
    building_row: HashMap<ObjectId, u32>,
    part_row: HashMap<ObjectId, u32>,
    surface_row: HashMap<u32, u32>,
}

impl Rows {
    fn building(&mut self, o: ObjectId) -> u32 {
        row(&mut self.building_row, &mut self.buildings, o)
    }
    fn part(&mut self, o: ObjectId) -> u32 {
        row(&mut self.part_row, &mut self.parts, o)
    }
    fn surface(&mut self, s: u32) -> u32 {
        row(&mut self.surface_row, &mut self.surfaces, s)
    }

    /// The objects table, the parts table (the same columns) and the
    /// surfaces table.
    fn tables(&self, d: &Drawing) -> Vec<PropertyTable> {
        let m = d.model;
        let surfaces: Vec<_> = self
            .surfaces
            .iter()
            .map(|&s| &m.surfaces[s as usize])
            .collect();
        vec![
            object_table(d, "objects", &self.buildings),
            object_table(d, "parts", &self.parts),
            PropertyTable {
                name: "surfaces".into(),
                class: None,
                count: surfaces.len(),
                columns: vec![
                    (
                        "gml:id".into(),
                        surfaces.iter().map(|s| text(s.id.as_deref())).collect(),
                    ),
                    (
                        "class".into(),
                        surfaces.iter().map(|s| text(Some(&s.class))).collect(),
                    ),
                ],
            },
        ]
    }
}

fn row<K: Copy + Eq + std::hash::Hash>(
    index: &mut HashMap<K, u32>,
    rows: &mut Vec<K>,
    k: K,
) -> u32 {
    *index.entry(k).or_insert_with(|| {
        rows.push(k);
        rows.len() as u32 - 1
    })
}

fn text(s: Option<&str>) -> AttrValue {
    s.map_or(AttrValue::Null, |s| AttrValue::String(s.to_string()))
}

/// Most columns of one table.
pub const MAX_COLUMNS: usize = 1024;

/// A table of objects: `gml:id`, `class`, `lod` (drawn), `parent` (its
/// `gml:id`), then every attribute any of them has (null where one
/// lacks it), in the order first met, up to [`MAX_COLUMNS`].
fn object_table(d: &Drawing, name: &str, objs: &[ObjectId]) -> PropertyTable {
    let m = d.model;
    let rows: Vec<Vec<(String, AttrValue)>> = objs
        .iter()
        .map(|&o| {
            let obj = &m.objects[o as usize];
            let lod =
                d.drawn_lod[o as usize].map_or(AttrValue::Null, |l| AttrValue::Int(i64::from(l)));
            let parent = obj.parent.and_then(|p| m.objects[p as usize].id.as_deref());
            let mut row = vec![
                ("gml:id".to_string(), text(obj.id.as_deref())),
                ("class".to_string(), text(Some(&obj.class))),
                ("lod".to_string(), lod),
                ("parent".to_string(), text(parent)),
            ];
            row.extend(obj.attributes.iter().cloned());
            row
        })
        .collect();
    PropertyTable::from_rows(name, &rows, MAX_COLUMNS)
}

/// The colour of a polygon (sRGB): by its top-level object's class
/// (terrain, vegetation, water, roads), else by its thematic surface, or,
/// without one (LOD1 blocks, solids), roofs by facing up.
fn colour_of(object: &str, surface: Option<&str>, normal: DVec3) -> [u8; 4] {
    match object {
        "ReliefFeature" | "TINRelief" => return [164, 176, 132, 255],
        "PlantCover" | "SolitaryVegetationObject" => return [92, 140, 72, 255],
        "WaterBody" => return [70, 130, 190, 255],
        "LandUse" => return [204, 196, 160, 255],
        "Road" | "Railway" | "Track" | "Square" | "Waterway" | "TransportationComplex" => {
            return [112, 112, 118, 255];
        }
        _ => {}
    }
    match surface {
        Some("RoofSurface") => [178, 82, 64, 255],
        Some("GroundSurface" | "FloorSurface" | "OuterFloorSurface") => [128, 124, 118, 255],
        Some("Window") => [104, 146, 186, 255],
        Some("Door") => [122, 88, 58, 255],
        Some("ClosureSurface") => [196, 196, 196, 255],
        Some("WaterSurface" | "WaterGroundSurface" | "WaterClosureSurface") => [64, 128, 192, 255],
        Some("TrafficArea" | "AuxiliaryTrafficArea") => [96, 96, 100, 255],
        Some(_) => [226, 220, 206, 255],
        None if normal.z.abs() > 0.7 => [184, 110, 92, 255],
        None => [216, 210, 198, 255],
    }
}
