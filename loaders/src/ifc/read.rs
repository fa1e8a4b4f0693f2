//! An IFC file (STEP, ISO 10303-21; IFC2X3, IFC4, IFC4X3) read through
//! IFC-Lite: `ifc-lite-core` indexes and decodes the entities,
//! `ifc-lite-geometry` makes each element's triangles — extrusions,
//! B-reps, face sets, swept solids, mapped items, booleans and clipping,
//! with the openings that void it cut out — on all cores.
//!
//! An element is an `IfcProduct` (an entity whose seventh attribute is an
//! `IfcProductDefinitionShape`); it counts when one of its shape
//! representations is identified `Body`, and is drawn — unless it is an
//! opening or a space — when one is, or is a surface model (a site's
//! `Facetation`) or has no identifier, as IfcOpenShell draws it.

use super::model::{Element, IfcModel, Storey};
use super::style::{MaterialLinks, Styles};
use cim_core::AttrValue;
use glam::{DMat4, DVec3};
use ifc_lite_core::AttributeValue;
use ifc_lite_core::{
    EntityDecoder, EntityIndex, EntityScanner, GeoRefExtractor, GeoRefSource, IfcType,
    build_entity_index,
};
use ifc_lite_geometry::{GeometryRouter, propagate_voids_to_parts};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::Arc;

/// Classes counted but not drawn: the volumes openings cut, and rooms.
const NOT_DRAWN: &[&str] = &["IfcOpeningElement", "IfcSpace", "IfcOpeningStandardCase"];

/// Relations read in the scan, by the entities they relate.
#[derive(Default)]
struct Relations {
    /// Element → the openings voiding it.
    voids: FxHashMap<u32, Vec<u32>>,
    /// Element → the spatial structure containing it.
    contained_in: HashMap<u32, u32>,
    /// Part → the whole it is aggregated into.
    part_of: HashMap<u32, u32>,
    /// Element → its property sets and quantities.
    defined_by: HashMap<u32, Vec<u32>>,
    /// Elements' materials and the materials' styles.
    materials: MaterialLinks,
}

/// Reads the IFC text `content`. `Err` when it is not STEP/IFC at all,
/// or when IFC-Lite fails on it (a panic in its parser is caught: fuzzing
/// found one on a malformed relation); elements whose geometry fails are
/// told in [`IfcModel::problems`].
pub fn read(content: &str) -> Result<IfcModel, String> {
    std::panic::catch_unwind(|| read_guarded(content))
        .unwrap_or_else(|_| Err("the IFC reader (IFC-Lite) failed on this file's entities".into()))
}

fn read_guarded(content: &str) -> Result<IfcModel, String> {
    let schema = header_schema(content)
        .ok_or("no FILE_SCHEMA in a STEP header (ISO-10303-21): not an IFC file")?;
    let index = Arc::new(build_entity_index(content));
    let mut decoder = EntityDecoder::with_arc_index(content, index.clone());
    let mut rel = Relations::default();
    let mut types: Vec<(u32, IfcType)> = Vec::new();
    let mut storey_ids: Vec<u32> = Vec::new();
    let mut scanner = EntityScanner::new(content);
    while let Some((id, type_name, start, end)) = scanner.next_entity() {
        let ty = IfcType::from_str(type_name);
        let (whole, parts) = match type_name {
            "IFCRELVOIDSELEMENT" => (4, 5),
            "IFCRELCONTAINEDINSPATIALSTRUCTURE" => (5, 4),
            "IFCRELAGGREGATES" => (4, 5),
            "IFCRELDEFINESBYPROPERTIES" => (5, 4),
            "IFCRELASSOCIATESMATERIAL" => (5, 4),
            "IFCMATERIALDEFINITIONREPRESENTATION" => (3, 2),
            "IFCSTYLEDITEM" => (0, 0),
            "IFCBUILDINGSTOREY" => {
                storey_ids.push(id);
                types.push((id, ty));
                continue;
            }
            _ => {
                types.push((id, ty));
                continue;
            }
        };
        let Ok(e) = decoder.decode_at_with_id(id, start, end) else {
            continue;
        };
        let whole = e.get_ref(whole);
        let parts = e
            .get_refs(parts)
            .or_else(|| e.get_ref(parts).map(|p| vec![p]));
        let (Some(whole), Some(parts)) = (whole, parts) else {
            continue;
        };
        for p in parts {
            match type_name {
                "IFCRELVOIDSELEMENT" => rel.voids.entry(whole).or_default().push(p),
                "IFCRELCONTAINEDINSPATIALSTRUCTURE" => {
                    rel.contained_in.insert(p, whole);
                }
                "IFCRELDEFINESBYPROPERTIES" => rel.defined_by.entry(p).or_default().push(whole),
                "IFCRELASSOCIATESMATERIAL" => {
                    rel.materials.of_element.insert(p, whole);
                }
                "IFCSTYLEDITEM" => {
                    rel.materials.styled.entry(whole).or_default().push(id);
                }
                "IFCMATERIALDEFINITIONREPRESENTATION" => {
                    let reps = rel.materials.representations.entry(whole).or_default();
                    reps.push(p);
                }
                _ => {
                    rel.part_of.insert(p, whole);
                }
            }
        }
        types.push((id, ty));
    }
    let _ = propagate_voids_to_parts(&mut rel.voids, content, &mut decoder);
    let scale = decoder.length_unit_scale();
    let storeys: Vec<Storey> = storey_ids
        .iter()
        .map(|&id| {
            let e = decoder.decode_by_id(id).ok();
            Storey {
                name: e.as_ref().and_then(|e| e.get_string(2)).map(str::to_string),
                elevation: e.as_ref().and_then(|e| e.get_float(9)).map(|z| z * scale),
                element_count: 0,
            }
        })
        .collect();
    let storey_of: HashMap<u32, u32> = storey_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();

    let mut model = IfcModel {
        schema,
        storeys,
        ..IfcModel::default()
    };
    let mut drawn: Vec<(u32, String)> = Vec::new();
    // Only products have shapes (an unknown class may be one); a class is
    // looked up in the schema once.
    let mut is_product: FxHashMap<&IfcType, bool> = FxHashMap::default();
    let products: Vec<u32> = types
        .iter()
        .filter(|(_, t)| {
            *is_product.entry(t).or_insert_with(|| {
                matches!(t, IfcType::Unknown(_)) || t.is_subtype_of(IfcType::IfcProduct)
            })
        })
        .map(|(id, _)| *id)
        .collect();
    let shapes = with_decoders(content, &index, &products, |d, &id| {
        product_shape(d, id).map(|s| (id, s))
    });
    for (id, (class, body)) in shapes.into_iter().flatten() {
        if body {
            *model.body_classes.entry(class.clone()).or_insert(0) += 1;
        }
        if !NOT_DRAWN.contains(&class.as_str()) {
            drawn.push((id, class));
        }
    }
    let (elements, problems) = geometry(content, &index, &rel, drawn);
    model.problems = problems;
    model.elements = elements
        .into_iter()
        .map(|mut e| {
            e.storey = storey_for(e.express_id, &rel, &storey_of);
            e.properties = properties(&mut decoder, rel.defined_by.get(&e.express_id));
            e
        })
        .collect();
    for e in &model.elements {
        if let Some(s) = e.storey {
            model.storeys[s as usize].element_count += 1;
        }
    }
    model.georef = GeoRefExtractor::extract(&mut decoder, &types)
        .ok()
        .flatten()
        // A site's latitude and longitude are too often a default to
        // place a model by: only a map conversion does.
        .filter(|g| {
            matches!(
                g.source,
                Some(GeoRefSource::MapConversion | GeoRefSource::EPSetMapConversion)
            )
        })
        .and_then(|g| Some((DMat4::from_cols_array(&g.to_matrix()), g.crs_name.clone()?)));
    Ok(model)
}

/// `f` over `items` on all cores, each thread with a decoder of its own
/// over the shared index; the results in order.
fn with_decoders<T: Sync, R: Send>(
    content: &str,
    index: &Arc<EntityIndex>,
    items: &[T],
    f: impl Fn(&mut EntityDecoder, &T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                s.spawn(|| {
                    let mut d = EntityDecoder::with_arc_index(content, index.clone());
                    part.iter().map(|i| f(&mut d, i)).collect::<Vec<R>>()
                })
            })
            .collect();
        let joined = handles.into_iter().map(|h| h.join());
        // A thread's panic is the reader's: `read` tells it.
        joined
            .flat_map(|r| r.unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// The `FILE_SCHEMA` of a STEP header: `IFC2X3`, `IFC4`, `IFC4X3_ADD2`.
fn header_schema(content: &str) -> Option<String> {
    let head = &content[..content.len().min(64 << 10)];
    if !head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("ISO-10303-21")
    {
        return None;
    }
    let at = head.find("FILE_SCHEMA")?;
    let rest = &head[at..];
    let open = rest.find('\'')? + 1;
    let close = open + rest[open..].find('\'')?;
    Some(rest[open..close].trim().to_string())
}

/// The class of entity `id` when it is a product with a shape, and
/// whether one of its representations is identified `Body` (what is
/// counted) — one without an identifier, or a `Facetation` or `Surface`,
/// is drawn too, as IfcOpenShell draws it (a site's terrain), but not
/// counted.
fn product_shape(decoder: &mut EntityDecoder, id: u32) -> Option<(String, bool)> {
    let e = decoder.decode_by_id(id).ok()?;
    let shape = decoder.decode_by_id(e.get_ref(6)?).ok()?;
    if shape.ifc_type != IfcType::IfcProductDefinitionShape {
        return None;
    }
    let mut body = false;
    let mut unnamed = false;
    for r in shape.get_refs(2)? {
        let Ok(rep) = decoder.decode_by_id(r) else {
            continue;
        };
        match rep.get_string(1) {
            Some("Body") => body = true,
            None | Some("" | "Facetation" | "Surface") => unnamed = true,
            Some(_) => {}
        }
    }
    (body || unnamed).then(|| (e.ifc_type.name().to_string(), body))
}

/// Most properties one element keeps.
pub const MAX_PROPERTIES: usize = 500;

/// An element's properties and quantities, `SetName.Name`, from its
/// property sets (`IfcPropertySingleValue`s) and element quantities
/// (`IfcQuantityLength`, `…Area`, `…Volume`, `…Count`, `…Weight`,
/// `…Time`), in file order.
fn properties(decoder: &mut EntityDecoder, sets: Option<&Vec<u32>>) -> Vec<(String, AttrValue)> {
    let mut out = Vec::new();
    for &set in sets.into_iter().flatten() {
        let Ok(s) = decoder.decode_by_id(set) else {
            continue;
        };
        let set_name = s.get_string(2).unwrap_or("").to_string();
        let (list, value_at) = match s.ifc_type {
            IfcType::IfcPropertySet => (4, 2),
            IfcType::IfcElementQuantity => (5, 3),
            _ => continue,
        };
        for p in s.get_refs(list).unwrap_or_default() {
            if out.len() >= MAX_PROPERTIES {
                return out;
            }
            let Ok(p) = decoder.decode_by_id(p) else {
                continue;
            };
            let (Some(name), Some(v)) = (p.get_string(0), p.get(value_at)) else {
                continue;
            };
            out.push((format!("{set_name}.{name}"), value(v)));
        }
    }
    out
}

/// A STEP value (`IFCLABEL('x')`, `IFCBOOLEAN(.T.)`, `2.5`) as an
/// attribute value.
fn value(v: &AttributeValue) -> AttrValue {
    if let Some(e) = v.as_enum() {
        return match e {
            "T" | "TRUE" => AttrValue::Bool(true),
            "F" | "FALSE" => AttrValue::Bool(false),
            other => AttrValue::String(other.to_string()),
        };
    }
    if let Some(s) = v.as_string() {
        return AttrValue::String(s.to_string());
    }
    if let AttributeValue::Integer(i) = v {
        return AttrValue::Int(*i);
    }
    v.as_float().map_or(AttrValue::Null, AttrValue::Float)
}

/// The storey an element is in: its container's, or its whole's (a
/// stair flight's stair), up the aggregation.
fn storey_for(id: u32, rel: &Relations, storey_of: &HashMap<u32, u32>) -> Option<u32> {
    let mut at = id;
    for _ in 0..64 {
        if let Some(s) = storey_of.get(&at) {
            return Some(*s);
        }
        at = match rel.contained_in.get(&at).or_else(|| rel.part_of.get(&at)) {
            Some(&next) => next,
            None => return None,
        };
    }
    None
}

/// Elements one decoder meshes before a fresh one takes over.
const DECODER_SPAN: usize = 2048;

/// Every element's triangles, on all cores (each thread its own decoder
/// over the shared index, and its own geometry router).
fn geometry(
    content: &str,
    index: &Arc<EntityIndex>,
    rel: &Relations,
    elements: Vec<(u32, String)>,
) -> (Vec<Element>, Vec<String>) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    let chunk = elements.len().div_ceil(threads).max(1);
    let results: Vec<(Vec<Element>, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = elements
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut decoder = EntityDecoder::with_arc_index(content, index.clone());
                    let router = GeometryRouter::with_units(content, &mut decoder);
                    let units = (
                        decoder.length_unit_scale(),
                        decoder.plane_angle_to_radians(),
                    );
                    let mut styles = Styles::new(&rel.materials);
                    let mut out = (Vec::new(), Vec::new());
                    for (n, (id, class)) in part.iter().enumerate() {
                        // A decoder keeps every entity it decodes: a fresh
                        // one now and then bounds what a large model keeps.
                        if n % DECODER_SPAN == DECODER_SPAN - 1 {
                            decoder = EntityDecoder::with_arc_index(content, index.clone());
                            decoder.seed_unit_scales(units.0, units.1);
                        }
                        let mut made = Made {
                            router: &router,
                            decoder: &mut decoder,
                            styles: &mut styles,
                            voids: &rel.voids,
                        };
                        match made.element(*id, class) {
                            Ok(Some(e)) => out.0.push(e),
                            Ok(None) => {}
                            Err(why) => out.1.push(format!("#{id} ({class}): {why}")),
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                // A thread that failed outside an element loses its part,
                // which is told rather than dropped in silence.
                h.join().unwrap_or_else(|_| {
                    let lost = "a geometry thread failed: its elements are not drawn";
                    (Vec::new(), vec![lost.to_string()])
                })
            })
            .collect()
    });
    let mut elements = Vec::new();
    let mut problems = Vec::new();
    for (e, p) in results {
        elements.extend(e);
        problems.extend(p);
    }
    elements.sort_by_key(|e| e.express_id);
    (elements, problems)
}

/// What makes one element's triangles, on one geometry thread.
struct Made<'a, 'd, 'l> {
    router: &'a GeometryRouter,
    decoder: &'a mut EntityDecoder<'d>,
    styles: &'a mut Styles<'l>,
    voids: &'a FxHashMap<u32, Vec<u32>>,
}

impl Made<'_, '_, '_> {
    /// One element: its attributes, triangles and their colours (`None`
    /// when it has no triangles).
    fn element(&mut self, id: u32, class: &str) -> Result<Option<Element>, String> {
        let e = self.decoder.decode_by_id(id).map_err(|e| e.to_string())?;
        // A kernel failing on one element fails that element only.
        // Per styled item; the voided walk only for an element with
        // openings (given none it yields no parts in IFC-Lite 28.2).
        let parts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if self.voids.contains_key(&id) {
                self.router
                    .process_element_with_submeshes_and_voids(&e, self.decoder, self.voids)
            } else {
                self.router.process_element_with_submeshes(&e, self.decoder)
            }
        }))
        .map_err(|_| "the geometry kernel failed on it".to_string())?
        .map_err(|e| e.to_string())?;
        let parts_are_materials = parts.ids_are_materials;
        let mut meshes = parts
            .sub_meshes
            .into_iter()
            .filter(|p| !p.mesh.indices.is_empty());
        let Some(first) = meshes.next() else {
            return Ok(None);
        };
        let origin = DVec3::from_array(first.mesh.origin);
        let text = |k: usize| e.get_string(k).map(str::to_string);
        let mut out = Element {
            express_id: id,
            global_id: text(0).unwrap_or_default(),
            class: class.to_string(),
            name: text(2),
            object_type: text(4),
            origin,
            ..Element::default()
        };
        let element_colour = self.styles.element(self.decoder, id);
        for part in std::iter::once(first).chain(meshes) {
            let own = if parts_are_materials {
                self.styles.material(self.decoder, part.geometry_id)
            } else {
                self.styles.item(self.decoder, part.geometry_id)
            };
            out.add_part(&part.mesh, origin, own.or(element_colour))?;
        }
        Ok(Some(out))
    }
}
