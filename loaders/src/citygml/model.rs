//! A CityGML file as read: its city objects with their attributes, the
//! thematic surfaces that bound them, and their polygons.

use cim_core::AttrValue;
use cim_core::model::geometry::Bbox;
use glam::DVec3;

/// Index of a city object in [`CityModel::objects`].
pub type ObjectId = u32;

/// Index of a thematic surface in [`CityModel::surfaces`].
pub type SurfaceId = u32;

/// What [`crate::citygml::read`] gives.
#[derive(Clone, Debug, Default)]
pub struct CityModel {
    /// `"1.0"`, `"2.0"` or `"3.0"`, from the CityGML namespace.
    pub version: Option<String>,
    /// The model's `srsName` (its envelope's, else its first geometry's),
    /// as written.
    pub srs_name: Option<String>,
    /// Parents before their parts.
    pub objects: Vec<CityObject>,
    pub surfaces: Vec<Surface>,
    pub polygons: Vec<Polygon>,
    /// What was wrong but did not stop the read, to show once.
    pub problems: Vec<String>,
    /// What was left out without loss (rings without area), for reports.
    pub notes: Vec<String>,
    /// Materials and textures polygons take ([`Polygon::look`]).
    pub looks: Vec<Look>,
    /// The appearance theme drawn (the first in the file).
    pub theme: Option<String>,
}

/// A city object: a building, building part, bridge, road, tree…
#[derive(Clone, Debug, PartialEq)]
pub struct CityObject {
    /// Its `gml:id`.
    pub id: Option<String>,
    /// Its class, the element's local name (`Building`, `BuildingPart`).
    pub class: String,
    /// The object it is part of (a building part's building).
    pub parent: Option<ObjectId>,
    /// Thematic and generic attributes, addresses, in file order.
    pub attributes: Vec<(String, AttrValue)>,
}

/// A thematic surface (`WallSurface`, `RoofSurface`, …) or opening
/// (`Window`, `Door`) bounding a city object.
#[derive(Clone, Debug, PartialEq)]
pub struct Surface {
    pub id: Option<String>,
    pub class: String,
    pub object: ObjectId,
}

/// One planar polygon (a `gml:Polygon`, `Triangle` or `Rectangle`).
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    pub object: ObjectId,
    pub surface: Option<SurfaceId>,
    /// The level of detail of the geometry property it is in
    /// (`lod2Solid` → 2); [`UNKNOWN_LOD`] outside one.
    pub lod: u8,
    /// The exterior, then the holes; none closed.
    pub rings: Vec<Vec<DVec3>>,
    /// Its material or texture, an index into [`CityModel::looks`].
    pub look: Option<u32>,
    /// Texture coordinates per ring point (image top-left at 0, 0), when
    /// textured.
    pub uvs: Option<Vec<Vec<[f32; 2]>>>,
}

/// An appearance a polygon takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Look {
    /// An X3D material's diffuse colour and opacity (sRGB RGBA).
    Colour([u8; 4]),
    /// A parameterized texture's image, as its `imageURI` names it
    /// (relative to the file).
    Texture(String),
}

/// [`Polygon::lod`] of geometry outside an `lodN…` property.
pub const UNKNOWN_LOD: u8 = u8::MAX;

impl CityModel {
    /// The objects that are no other object's part.
    pub fn roots(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.parent.is_none())
            .map(|(i, _)| i as ObjectId)
    }

    /// How many objects are buildings (`Building`; parts not counted).
    pub fn building_count(&self) -> usize {
        self.objects
            .iter()
            .filter(|o| o.class == "Building")
            .count()
    }

    /// The levels of detail the polygons are at, ascending.
    pub fn lods(&self) -> Vec<u8> {
        let mut seen = [false; 5];
        for p in &self.polygons {
            if let Some(s) = seen.get_mut(p.lod as usize) {
                *s = true;
            }
        }
        (0..5u8).filter(|&l| seen[l as usize]).collect()
    }

    /// The box around every polygon, in the file's coordinates.
    pub fn bbox(&self) -> Bbox {
        let mut b = Bbox::EMPTY;
        for p in self.polygons.iter().flat_map(|p| p.rings.iter().flatten()) {
            b.extend(*p);
        }
        b
    }

    /// The root object each object belongs to (itself for a root).
    pub fn root_of(&self) -> Vec<ObjectId> {
        let mut root: Vec<ObjectId> = Vec::with_capacity(self.objects.len());
        for (i, o) in self.objects.iter().enumerate() {
            // Parents come first, so theirs is known.
            root.push(o.parent.map_or(i as ObjectId, |p| root[p as usize]));
        }
        root
    }

    /// The level of detail drawn for each object: the finest its own
    /// polygons have (an object modelled at LOD1 and LOD2 is drawn at
    /// LOD2 only; polygons of unknown LOD are always drawn).
    pub fn drawn_lods(&self) -> Vec<Option<u8>> {
        let mut lod = vec![None; self.objects.len()];
        for p in self.polygons.iter().filter(|p| p.lod != UNKNOWN_LOD) {
            let l: &mut Option<u8> = &mut lod[p.object as usize];
            *l = Some(l.map_or(p.lod, |l| l.max(p.lod)));
        }
        lod
    }
}
