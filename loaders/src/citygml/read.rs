//! CityGML 1.0, 2.0 and 3.0 read in one streaming pass (`quick-xml`):
//! city objects, their attributes, thematic surfaces and polygons.
//!
//! Elements are matched by local name, whatever their prefixes: the three
//! versions name the same things alike (`bldg:boundedBy` in 2.0 and
//! `boundary` in 3.0 both hold `WallSurface`s; `lod2Solid`,
//! `lod2MultiSurface` in both). A polygon referenced from elsewhere by
//! `xlink:href` (a solid made of its boundary surfaces' polygons) is drawn
//! once, and takes the surface and level of detail of either side.
//!
//! Entities other than XML's five and character references are not
//! expanded (an entity bomb reads as text left out), and no single token
//! may exceed [`MAX_TOKEN`] bytes, so memory stays proportional to the
//! geometry read.

use super::appearance::{self, LookReader};
use super::capped::Capped;
pub use super::capped::MAX_TOKEN;
use super::implicit::{self, Implicit, MAX_PLACED_POLYGONS, Prototype};
use super::model::{CityModel, CityObject, ObjectId, Polygon, Surface, SurfaceId, UNKNOWN_LOD};
use super::names::{
    PART_CLASSES, SURFACE_CLASSES, attribute_name, lod_of, predefined, typed, version_of,
};
use cim_core::AttrValue;
use glam::DVec3;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;

/// Deepest element nesting read (CityGML needs about 20 levels; each
/// element's context is looked up through the levels above it).
pub const MAX_DEPTH: usize = 256;

/// Most attributes one object keeps.
pub const MAX_ATTRIBUTES: usize = 1000;

/// What an open element is to the reader.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Plain,
    Object(ObjectId),
    Surface(SurfaceId),
    /// An `lodN…` geometry property.
    Lod(u8),
    Polygon,
    Ring {
        interior: bool,
    },
    /// A generic attribute (`gen:stringAttribute`, `gen:StringAttribute`).
    Generic,
    /// Nothing inside is read (envelopes).
    Skip,
    /// An appearance (`appearance`, `appearanceMember`) and what is in
    /// it, read by [`LookReader`].
    Appearance,
    /// An `ImplicitGeometry`: a placement of a prototype.
    Implicit(u32),
    /// Its prototype (`relativeGMLGeometry`, 3.0 `relativeGeometry`).
    Prototype,
}

struct Open {
    name: String,
    role: Role,
    had_child: bool,
    /// `srsDimension` given on this element.
    dim: Option<usize>,
    /// Hash of its `gml:id`, and the polygons before it: a geometry
    /// another may reference.
    id: Option<u64>,
    first_polygon: usize,
    /// Its `uri` or `ring` attribute (appearances' links).
    link: Option<String>,
}

/// A reference to geometry by `xlink:href`.
struct Ref {
    target: String,
    surface: Option<SurfaceId>,
    lod: u8,
}

#[derive(Default)]
struct PolygonBuild {
    rings: Vec<Vec<DVec3>>,
    id: Option<u64>,
}

struct GenericBuild {
    kind: String,
    name: Option<String>,
    value: Option<String>,
}

/// Reads a CityGML document. `Err` when it is not one, or when it breaks
/// off (truncated, broken XML, a token past [`MAX_TOKEN`]) before any
/// city object is complete; breaking off later keeps the objects read
/// before and says so in [`CityModel::problems`], as it does for single
/// polygons or references.
pub fn read(input: impl BufRead) -> Result<CityModel, String> {
    let mut r = Reader::from_reader(Capped::new(input));
    let mut p = Parser::default();
    let mut buf = Vec::new();
    let broken = loop {
        r.get_mut().reset();
        let ev = match r.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => break Some(format!("XML error at byte {}: {e}", r.error_position())),
        };
        match ev {
            Event::Start(e) => {
                if let Err(why) = p.start(&e) {
                    break Some(why);
                }
            }
            Event::Empty(e) => {
                if let Err(why) = p.start(&e) {
                    break Some(why);
                }
                p.end();
            }
            Event::End(_) => p.end(),
            Event::Text(t) => p.text(&t),
            Event::CData(t) => p.text(&t),
            Event::GeneralRef(g) => match g.resolve_char_ref() {
                Ok(Some(c)) => p.text(c.encode_utf8(&mut [0; 4])),
                _ => match predefined(&g) {
                    Some(c) => p.text(c),
                    None => p.unknown_entities += 1,
                },
            },
            Event::Eof if p.open.is_empty() => break None,
            Event::Eof => {
                let inside = p.open.last().map_or("", |o| o.name.as_str());
                break Some(format!("the file ends inside <{inside}>: truncated"));
            }
            _ => {}
        }
        buf.clear();
    };
    if !p.seen_root {
        return Err(broken.unwrap_or_else(|| "no XML elements: not a CityGML file".into()));
    }
    if let Some(why) = broken {
        p.cut(why)?;
    }
    Ok(p.finish())
}

/// How much of each list was read before a top-level object.
#[derive(Clone, Copy, Default)]
struct Mark {
    objects: usize,
    surfaces: usize,
    polygons: usize,
    refs: usize,
    implicits: usize,
}

#[derive(Default)]
struct Parser {
    model: CityModel,
    open: Vec<Open>,
    seen_root: bool,
    text: String,
    polygon: Option<PolygonBuild>,
    ring: Vec<DVec3>,
    generic: Option<GenericBuild>,
    /// Polygon ranges by the hash of their geometry's `gml:id`.
    ranges: HashMap<u64, (u32, u32)>,
    /// Rings (polygon, ring) by the hash of their `gml:id`.
    rings: HashMap<u64, (u32, u32)>,
    looks: LookReader,
    refs: Vec<Ref>,
    unknown_entities: usize,
    /// Objects, surfaces and polygons before the top-level object being
    /// read: what is complete if the file breaks off inside it.
    complete: Mark,
    bad_numbers: usize,
    flat_rings: usize,
    attributes_over: usize,
    orphan_holes: usize,
    implicits: Vec<Implicit>,
}

fn hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Parser {
    fn start(&mut self, e: &BytesStart) -> Result<(), String> {
        let name = e.local_name().as_ref().to_string();
        let (mut id, mut srs, mut dim, mut href, mut attr_name) = (None, None, None, None, None);
        let mut link = None;
        for a in e.attributes().flatten() {
            let key = a.key.local_name();
            let value = || {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .ok()
            };
            match key.as_ref() {
                "id" => id = value(),
                "srsName" => srs = value(),
                "srsDimension" => dim = value().and_then(|v| v.trim().parse::<usize>().ok()),
                "href" => href = value(),
                "name" => attr_name = value(),
                "uri" | "ring" => link = value(),
                _ => {}
            }
        }
        if !self.seen_root {
            self.seen_root = true;
            if name != "CityModel" {
                return Err(format!("the root element is <{name}>, not a CityModel"));
            }
            self.model.version = version_of(e);
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("elements nested deeper than {MAX_DEPTH} levels"));
        }
        if let Some(parent) = self.open.last_mut() {
            parent.had_child = true;
        }
        if self.model.srs_name.is_none() {
            self.model.srs_name = srs;
        }
        self.text.clear();
        let role = self.role_of(&name, id.as_deref(), attr_name)?;
        if role == Role::Appearance {
            self.looks.start(&name, link.as_deref(), hash);
        }
        match (href, role) {
            (Some(h), Role::Prototype) => {
                if let (Some(i), Some(id)) = (self.implicit(), h.strip_prefix('#')) {
                    self.implicits[i].prototype = Prototype::Href(hash(id));
                }
            }
            (Some(h), _) => self.reference(h),
            _ => {}
        }
        if role == Role::Polygon {
            self.polygon = Some(PolygonBuild {
                rings: Vec::new(),
                id: id.as_deref().map(hash),
            });
        }
        if matches!(role, Role::Ring { .. }) {
            self.ring.clear();
        }
        // Geometry another element may reference.
        let id = id.filter(|_| self.lod().is_some()).as_deref().map(hash);
        self.open.push(Open {
            name,
            role,
            had_child: false,
            dim: dim.filter(|d| (2..=3).contains(d)),
            id,
            first_polygon: self.model.polygons.len(),
            link,
        });
        Ok(())
    }

    /// What element `name` is, here.
    fn role_of(
        &mut self,
        name: &str,
        id: Option<&str>,
        attr_name: Option<String>,
    ) -> Result<Role, String> {
        let parent = self.open.last();
        if let Some(p) = parent.filter(|p| matches!(p.role, Role::Skip | Role::Appearance)) {
            return Ok(p.role);
        }
        let member = parent.is_some_and(|p| {
            matches!(
                p.name.as_str(),
                "cityObjectMember" | "featureMember" | "member"
            ) && self.open.len() == 2
        });
        let in_geometry = self.lod().is_some()
            || self
                .open
                .iter()
                .any(|o| matches!(o.role, Role::Polygon | Role::Ring { .. }));
        if name == "Envelope" {
            return Ok(Role::Skip);
        }
        if matches!(name, "appearance" | "appearanceMember") {
            return Ok(Role::Appearance);
        }
        if name == "ImplicitGeometry" {
            let Some(object) = self.object() else {
                return Ok(Role::Skip);
            };
            self.implicits.push(Implicit {
                object,
                surface: self.surface(),
                lod: self.lod().unwrap_or(UNKNOWN_LOD),
                matrix: None,
                reference: None,
                prototype: Prototype::None,
            });
            return Ok(Role::Implicit(self.implicits.len() as u32 - 1));
        }
        if matches!(name, "relativeGMLGeometry" | "relativeGeometry") && self.implicit().is_some() {
            return Ok(Role::Prototype);
        }
        if member || (!in_geometry && self.object().is_some() && PART_CLASSES.contains(&name)) {
            let i = self.model.objects.len() as ObjectId;
            if member {
                self.complete = Mark {
                    objects: self.model.objects.len(),
                    surfaces: self.model.surfaces.len(),
                    polygons: self.model.polygons.len(),
                    refs: self.refs.len(),
                    implicits: self.implicits.len(),
                };
            }
            self.model.objects.push(CityObject {
                id: id.map(str::to_string),
                class: name.to_string(),
                parent: if member { None } else { self.object() },
                attributes: Vec::new(),
            });
            return Ok(Role::Object(i));
        }
        let Some(object) = self.object() else {
            return Ok(Role::Plain);
        };
        if !in_geometry && SURFACE_CLASSES.contains(&name) {
            let i = self.model.surfaces.len() as SurfaceId;
            self.model.surfaces.push(Surface {
                id: id.map(str::to_string),
                class: name.to_string(),
                object,
            });
            return Ok(Role::Surface(i));
        }
        if let Some(lod) = lod_of(name) {
            return Ok(Role::Lod(lod));
        }
        match name {
            "Polygon" | "Triangle" | "Rectangle" | "PolygonPatch" if self.polygon.is_none() => {
                return Ok(Role::Polygon);
            }
            "LinearRing" if self.polygon.is_some() => {
                let interior = parent
                    .is_some_and(|p| matches!(p.name.as_str(), "interior" | "innerBoundaryIs"));
                return Ok(Role::Ring { interior });
            }
            _ => {}
        }
        if name.ends_with("Attribute") && name != "genericAttribute" && !in_geometry {
            self.generic = Some(GenericBuild {
                kind: name.to_ascii_lowercase(),
                name: attr_name,
                value: None,
            });
            return Ok(Role::Generic);
        }
        Ok(Role::Plain)
    }

    fn text(&mut self, t: &str) {
        // Within MAX_TOKEN per run; a leaf's runs joined.
        if self.text.len() < MAX_TOKEN as usize {
            self.text.push_str(t);
        }
    }

    fn end(&mut self) {
        let Some(o) = self.open.pop() else { return };
        let text = std::mem::take(&mut self.text);
        match o.role {
            Role::Appearance => {
                let text = if o.had_child { "" } else { text.trim() };
                self.looks.end(&o.name, text, o.link.as_deref(), hash);
            }
            Role::Polygon => self.end_polygon(),
            Role::Prototype => {
                let (a, b) = (o.first_polygon as u32, self.model.polygons.len() as u32);
                if let Some(i) = self.implicit().filter(|_| b > a) {
                    self.implicits[i].prototype = Prototype::Inline(a, b);
                }
            }
            Role::Ring { interior } => self.end_ring(interior, o.id),
            Role::Generic => self.end_generic(),
            _ if !o.had_child && !text.is_empty() => self.leaf(&o, text.trim()),
            _ => {}
        }
        if let Some(h) = o.id {
            let (a, b) = (o.first_polygon as u32, self.model.polygons.len() as u32);
            if b > a {
                self.ranges.entry(h).or_insert((a, b));
            }
        }
    }

    /// A text-only element: coordinates, a generic attribute's name or
    /// value, or an attribute of the object it is in.
    fn leaf(&mut self, o: &Open, text: &str) {
        if self.open.iter().any(|f| f.role == Role::Skip) {
            return;
        }
        let in_ring = matches!(self.open.last(), Some(f) if matches!(f.role, Role::Ring { .. }));
        match o.name.as_str() {
            "posList" | "pos" if in_ring => {
                let dim = o.dim.or_else(|| self.dim()).unwrap_or(3);
                self.coordinates(text.split_ascii_whitespace(), dim);
                return;
            }
            "pos" if self.open.iter().any(|f| f.name == "referencePoint") => {
                let v: Vec<f64> = text
                    .split_ascii_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                if let (Some(i), [x, y, rest @ ..]) = (self.implicit(), v.as_slice()) {
                    let z = rest.first().copied().unwrap_or(0.0);
                    let p = DVec3::new(*x, *y, z);
                    self.implicits[i].reference = p.is_finite().then_some(p);
                }
                return;
            }
            "transformationMatrix" => {
                let v: Vec<f64> = text
                    .split_ascii_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                if let (Some(i), Ok(m)) = (self.implicit(), <[f64; 16]>::try_from(v)) {
                    self.implicits[i].matrix = m.iter().all(|x| x.is_finite()).then_some(m);
                }
                return;
            }
            // Coordinates of anything else (an address's point, an
            // envelope) are no attribute.
            "posList" | "pos" | "coordinates" | "lowerCorner" | "upperCorner" if !in_ring => {
                return;
            }
            "coordinates" => {
                let tuples: Vec<&str> = text.split_ascii_whitespace().collect();
                let dim = tuples.first().map_or(3, |t| t.split(',').count());
                self.coordinates(tuples.iter().flat_map(|t| t.split(',')), dim);
                return;
            }
            _ => {}
        }
        if let Some(g) = &mut self.generic {
            match o.name.as_str() {
                "name" if g.name.is_none() => g.name = Some(text.to_string()),
                "value" => g.value = Some(text.to_string()),
                _ => {}
            }
            return;
        }
        if self.lod().is_some() || self.polygon.is_some() {
            return;
        }
        // Attributes of the object itself, not of its surfaces.
        let Some(at) = self
            .open
            .iter()
            .rposition(|f| matches!(f.role, Role::Object(_) | Role::Surface(_)))
        else {
            return;
        };
        let Role::Object(obj) = self.open[at].role else {
            return;
        };
        let path = self.open[at + 1..].iter().map(|f| f.name.as_str());
        let name = attribute_name(path, &o.name);
        let value = typed(text, None);
        let attrs = &mut self.model.objects[obj as usize].attributes;
        if attrs.len() >= MAX_ATTRIBUTES {
            self.attributes_over += 1;
            return;
        }
        match attrs.iter_mut().find(|(n, _)| *n == name) {
            // Repeated (several gml:names, addresses): joined.
            Some((_, AttrValue::String(s))) if s.len() < 4096 => {
                s.push_str("; ");
                s.push_str(&value.to_string());
            }
            Some(_) => {}
            None => attrs.push((name, value)),
        }
    }

    fn coordinates<'a>(&mut self, numbers: impl Iterator<Item = &'a str>, dim: usize) {
        let mut v = [0.0f64; 3];
        let mut k = 0;
        for n in numbers {
            let Ok(x) = n.parse::<f64>() else {
                self.bad_numbers += 1;
                return;
            };
            v[k] = x;
            k += 1;
            if k == dim {
                self.ring
                    .push(DVec3::new(v[0], v[1], if dim == 3 { v[2] } else { 0.0 }));
                k = 0;
            }
        }
        if k != 0 {
            self.bad_numbers += 1;
        }
    }

    fn end_ring(&mut self, interior: bool, id: Option<u64>) {
        let mut ring = std::mem::take(&mut self.ring);
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        let Some(p) = &mut self.polygon else { return };
        if !ring.iter().all(|q| q.is_finite()) {
            self.bad_numbers += 1;
            return;
        }
        if cim_core::model::polygon3d::newell_normal(&ring).is_none() {
            // No area: nothing to draw is lost.
            self.flat_rings += 1;
            return;
        }
        if interior && p.rings.is_empty() {
            // A hole without its exterior: nothing to cut it from.
            self.orphan_holes += 1;
            return;
        }
        if let Some(h) = id {
            let at = (self.model.polygons.len() as u32, p.rings.len() as u32);
            self.rings.insert(h, at);
        }
        p.rings.push(ring);
    }

    fn end_polygon(&mut self) {
        let Some(p) = self.polygon.take() else { return };
        let Some(object) = self.object() else { return };
        if p.rings.is_empty() {
            return;
        }
        let i = self.model.polygons.len() as u32;
        if let Some(h) = p.id {
            self.ranges.entry(h).or_insert((i, i + 1));
        }
        self.model.polygons.push(Polygon {
            object,
            surface: self.surface(),
            lod: self.lod().unwrap_or(UNKNOWN_LOD),
            rings: p.rings,
            look: None,
            uvs: None,
        });
    }

    fn end_generic(&mut self) {
        let Some(g) = self.generic.take() else { return };
        let (Some(name), Some(obj)) = (g.name, self.object()) else {
            return;
        };
        let value = typed(g.value.as_deref().unwrap_or(""), Some(&g.kind));
        let attrs = &mut self.model.objects[obj as usize].attributes;
        if attrs.len() >= MAX_ATTRIBUTES {
            self.attributes_over += 1;
            return;
        }
        attrs.push((name, value));
    }

    /// `href` met: geometry reused, when in a geometry property.
    fn reference(&mut self, href: String) {
        let (Some(lod), Some(target)) = (self.lod(), href.strip_prefix('#')) else {
            return;
        };
        self.refs.push(Ref {
            target: target.to_string(),
            surface: self.surface(),
            lod,
        });
    }

    /// The innermost open implicit geometry.
    fn implicit(&self) -> Option<usize> {
        self.open.iter().rev().find_map(|o| match o.role {
            Role::Implicit(i) => Some(i as usize),
            _ => None,
        })
    }

    /// The innermost open city object.
    fn object(&self) -> Option<ObjectId> {
        self.open.iter().rev().find_map(|o| match o.role {
            Role::Object(i) => Some(i),
            _ => None,
        })
    }

    /// The thematic surface open inside the innermost object.
    fn surface(&self) -> Option<SurfaceId> {
        for o in self.open.iter().rev() {
            match o.role {
                Role::Surface(s) => return Some(s),
                Role::Object(_) => return None,
                _ => {}
            }
        }
        None
    }

    /// The level of detail of the geometry property open inside the
    /// innermost object.
    fn lod(&self) -> Option<u8> {
        for o in self.open.iter().rev() {
            match o.role {
                Role::Lod(l) => return Some(l),
                Role::Object(_) | Role::Surface(_) => return None,
                _ => {}
            }
        }
        None
    }

    fn dim(&self) -> Option<usize> {
        self.open.iter().rev().find_map(|o| o.dim)
    }

    /// The file broke off (`why`): keeps the top-level objects completed
    /// before, or fails when there are none.
    fn cut(&mut self, why: String) -> Result<(), String> {
        if self.object().is_some() {
            let m = self.complete;
            self.model.objects.truncate(m.objects);
            self.model.surfaces.truncate(m.surfaces);
            self.model.polygons.truncate(m.polygons);
            self.refs.truncate(m.refs);
            self.implicits.truncate(m.implicits);
            let p = m.polygons;
            self.ranges.retain(|_, r| r.1 as usize <= p);
        }
        if self.model.objects.is_empty() {
            return Err(why);
        }
        self.model.problems.push(format!(
            "{why}; the {} object(s) completed before are kept",
            self.model.objects.len()
        ));
        self.open.clear();
        Ok(())
    }

    /// Resolves references and sums up what was wrong.
    fn finish(mut self) -> CityModel {
        let mut dangling = Vec::new();
        for r in std::mem::take(&mut self.refs) {
            let Some(&(a, b)) = self.ranges.get(&hash(&r.target)) else {
                dangling.push(r.target);
                continue;
            };
            for p in &mut self.model.polygons[a as usize..b as usize] {
                if p.surface.is_none() {
                    p.surface = r.surface;
                }
                if p.lod == UNKNOWN_LOD {
                    p.lod = r.lod;
                }
            }
        }
        let looks = std::mem::take(&mut self.looks);
        let unlooked = appearance::resolve(&mut self.model, looks.out, &self.ranges, &self.rings);
        self.model.theme = looks.theme;
        let placed = implicit::place(
            &mut self.model,
            std::mem::take(&mut self.implicits),
            &self.ranges,
        );
        if !looks.other_themes.is_empty() {
            let theme = self.model.theme.as_deref().unwrap_or("");
            self.model.notes.push(format!(
                "appearance theme \"{theme}\" drawn; not drawn: {}",
                cim_core::message::clip(&looks.other_themes.join(", "), 400)
            ));
        }
        let problems = &mut self.model.problems;
        if let Some(first) = dangling.first() {
            problems.push(format!(
                "{} geometry reference(s) to nothing in the file (first: #{})",
                dangling.len(),
                cim_core::message::clip(first, 200)
            ));
        }
        let mut tell = |n: usize, what: &str| {
            if n > 0 {
                problems.push(format!("{n} {what}"));
            }
        };
        tell(
            self.attributes_over,
            &format!("attribute(s) past {MAX_ATTRIBUTES} on one object, left out"),
        );
        tell(
            self.orphan_holes,
            "hole(s) in polygons without an exterior, left out",
        );
        tell(
            self.bad_numbers,
            "coordinate list(s) with text that is not a number or an incomplete point, cut short",
        );
        tell(
            self.unknown_entities,
            "reference(s) to entities XML does not define, left out",
        );
        tell(
            placed.unresolved,
            "implicit geometries without a prototype in the file or a reference point, not drawn",
        );
        tell(
            placed.over,
            &format!("implicit geometries past {MAX_PLACED_POLYGONS} placed polygons, not drawn"),
        );
        tell(
            looks.georeferenced,
            "georeferenced texture(s), not drawn yet",
        );
        tell(
            looks.bad_coordinates,
            "texture coordinate list(s) that are not pairs of numbers, left out",
        );
        tell(
            unlooked,
            "appearance target(s) naming no polygon or ring in the file",
        );
        if self.flat_rings > 0 {
            self.model.notes.push(format!(
                "{} ring(s) without area (fewer than three distinct points, or in a line), left out",
                self.flat_rings
            ));
        }
        self.model
    }
}
