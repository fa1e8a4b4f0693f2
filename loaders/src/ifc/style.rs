//! The colours IFC geometry is drawn in, from the file's presentation
//! styles (ISO 16739 §8.18 *IfcPresentationAppearanceResource*), resolved
//! as IfcOpenShell resolves them:
//!
//! - a representation item's own style: `IfcStyledItem.Item` → `Styles`
//!   (IFC2x3 through an `IfcPresentationStyleAssignment`) →
//!   `IfcSurfaceStyle.Styles` → `IfcSurfaceStyleRendering` (or
//!   `…Shading`): `SurfaceColour` scaled by a `DiffuseColour` ratio, or the
//!   `DiffuseColour` itself when it is a colour; alpha is
//!   `1 − Transparency`;
//! - else the style of the element's material: `IfcRelAssociatesMaterial`
//!   → the material (through layer sets and their usages, lists,
//!   constituent and profile sets: the first material with a style) →
//!   `IfcMaterialDefinitionRepresentation` → `IfcStyledRepresentation` →
//!   its styled items' styles.
//!
//! Colours are sRGB bytes, as the file's values are shown by every BIM
//! viewer (IFC does not say, and none linearises them).

use ifc_lite_core::{AttributeValue, DecodedEntity, EntityDecoder, IfcType};
use rustc_hash::FxHashMap;

/// sRGB RGBA bytes.
pub type Rgba = [u8; 4];

/// How deep a chain of styles or material sets is followed.
const MAX_DEPTH: usize = 8;
/// Most entities one lookup follows (a hostile file can list many).
const MAX_STEPS: usize = 256;

/// What the relation scan found about materials.
#[derive(Debug, Default)]
pub struct MaterialLinks {
    /// Element (or type) → its material select (`IfcRelAssociatesMaterial`).
    pub of_element: FxHashMap<u32, u32>,
    /// `IfcMaterial` → its representations (`IfcMaterialDefinitionRepresentation`).
    pub representations: FxHashMap<u32, Vec<u32>>,
    /// Representation item → the `IfcStyledItem`s styling it (IFC-Lite's
    /// own index of them refuses files over 256 MiB).
    pub styled: FxHashMap<u32, Vec<u32>>,
}

/// Colours looked up by one geometry thread, remembered by entity.
pub struct Styles<'l> {
    links: &'l MaterialLinks,
    items: FxHashMap<u32, Option<Rgba>>,
    materials: FxHashMap<u32, Option<Rgba>>,
}

impl<'l> Styles<'l> {
    pub fn new(links: &'l MaterialLinks) -> Self {
        Styles {
            links,
            items: FxHashMap::default(),
            materials: FxHashMap::default(),
        }
    }

    /// The colour of representation item `item`'s own style.
    pub fn item(&mut self, d: &mut EntityDecoder, item: u32) -> Option<Rgba> {
        if let Some(c) = self.items.get(&item) {
            return *c;
        }
        let mut steps = MAX_STEPS;
        let c = item_style(d, &self.links.styled, item, 0, &mut steps);
        self.items.insert(item, c);
        c
    }

    /// The colour of the material element `element` is associated with.
    pub fn element(&mut self, d: &mut EntityDecoder, element: u32) -> Option<Rgba> {
        let select = *self.links.of_element.get(&element)?;
        self.material(d, select)
    }

    /// The colour of a material select (`IfcMaterial`, a layer set, …):
    /// its first material's with a style.
    pub fn material(&mut self, d: &mut EntityDecoder, select: u32) -> Option<Rgba> {
        if let Some(c) = self.materials.get(&select) {
            return *c;
        }
        let mut steps = MAX_STEPS;
        let c = self.select(d, select, 0, &mut steps);
        self.materials.insert(select, c);
        c
    }

    fn select(
        &self,
        d: &mut EntityDecoder,
        id: u32,
        depth: usize,
        steps: &mut usize,
    ) -> Option<Rgba> {
        if depth > MAX_DEPTH || !take(steps) {
            return None;
        }
        let e = d.decode_by_id(id).ok()?;
        // The attribute listing (or naming) the parts a set is made of.
        let parts = match e.ifc_type {
            IfcType::IfcMaterial => return self.represented(d, id, steps),
            IfcType::IfcMaterialLayerSetUsage | IfcType::IfcMaterialProfileSetUsage => 0,
            IfcType::IfcMaterialLayerSet | IfcType::IfcMaterialList => 0,
            IfcType::IfcMaterialLayer => 0,
            IfcType::IfcMaterialProfileSet | IfcType::IfcMaterialConstituentSet => 2,
            IfcType::IfcMaterialProfile | IfcType::IfcMaterialConstituent => 2,
            _ => return None,
        };
        refs(&e, parts)
            .into_iter()
            .find_map(|p| self.select(d, p, depth + 1, steps))
    }

    /// The style of an `IfcMaterial`'s representations.
    fn represented(&self, d: &mut EntityDecoder, material: u32, steps: &mut usize) -> Option<Rgba> {
        for &rep in self.links.representations.get(&material)? {
            let r = d.decode_by_id(rep).ok()?;
            for styled_rep in refs(&r, 2) {
                let Ok(sr) = d.decode_by_id(styled_rep) else {
                    continue;
                };
                for item in refs(&sr, 3) {
                    if let Some(c) = styled_item(d, item, steps) {
                        return Some(c);
                    }
                }
            }
        }
        None
    }
}

/// One step of a bounded walk: whether any are left.
fn take(steps: &mut usize) -> bool {
    *steps = steps.saturating_sub(1);
    *steps > 0
}

/// The references in attribute `at` (a list, or one).
fn refs(e: &DecodedEntity, at: usize) -> Vec<u32> {
    match e.get(at) {
        Some(AttributeValue::EntityRef(r)) => vec![*r],
        Some(AttributeValue::List(l)) => l.iter().filter_map(|v| v.as_entity_ref()).collect(),
        _ => Vec::new(),
    }
}

/// The colour of a representation item's style; a boolean result without
/// one takes its first operand's (what is left of it is what is drawn).
fn item_style(
    d: &mut EntityDecoder,
    styled: &FxHashMap<u32, Vec<u32>>,
    item: u32,
    depth: usize,
    steps: &mut usize,
) -> Option<Rgba> {
    if depth > MAX_DEPTH || !take(steps) {
        return None;
    }
    let own = styled.get(&item).map(Vec::as_slice).unwrap_or_default();
    if let Some(c) = own.iter().find_map(|&s| styled_item(d, s, steps)) {
        return Some(c);
    }
    let e = d.decode_by_id(item).ok()?;
    match e.ifc_type {
        IfcType::IfcBooleanResult | IfcType::IfcBooleanClippingResult => {
            item_style(d, styled, e.get_ref(1)?, depth + 1, steps)
        }
        _ => None,
    }
}

/// The surface colour of an `IfcStyledItem`.
fn styled_item(d: &mut EntityDecoder, id: u32, steps: &mut usize) -> Option<Rgba> {
    if !take(steps) {
        return None;
    }
    let e = d.decode_by_id(id).ok()?;
    if e.ifc_type != IfcType::IfcStyledItem {
        return None;
    }
    refs(&e, 1).into_iter().find_map(|s| style(d, s, 0, steps))
}

/// The colour of a presentation style (or an assignment of them).
fn style(d: &mut EntityDecoder, id: u32, depth: usize, steps: &mut usize) -> Option<Rgba> {
    if depth > MAX_DEPTH || !take(steps) {
        return None;
    }
    let e = d.decode_by_id(id).ok()?;
    match e.ifc_type {
        IfcType::IfcPresentationStyleAssignment => refs(&e, 0)
            .into_iter()
            .find_map(|s| style(d, s, depth + 1, steps)),
        IfcType::IfcSurfaceStyle => {
            let shadings: Vec<DecodedEntity> = refs(&e, 2)
                .into_iter()
                .filter_map(|s| d.decode_by_id(s).ok())
                .collect();
            // A rendering says more than a plain shading: prefer it.
            let pick = shadings
                .iter()
                .find(|s| s.ifc_type == IfcType::IfcSurfaceStyleRendering)
                .or_else(|| {
                    shadings
                        .iter()
                        .find(|s| s.ifc_type == IfcType::IfcSurfaceStyleShading)
                })?;
            shading(d, pick)
        }
        _ => None,
    }
}

/// The colour of an `IfcSurfaceStyleShading` / `…Rendering`.
fn shading(d: &mut EntityDecoder, s: &DecodedEntity) -> Option<Rgba> {
    let surface = rgb(d, s.get_ref(0)?)?;
    let transparency = s.get_float(1).filter(|t| t.is_finite()).unwrap_or(0.0);
    let diffuse = match (s.ifc_type == IfcType::IfcSurfaceStyleRendering)
        .then(|| s.get(2))
        .flatten()
    {
        Some(AttributeValue::EntityRef(c)) => rgb(d, *c).unwrap_or(surface),
        Some(v @ AttributeValue::Typed { .. }) => match v.as_float() {
            Some(f) => surface.map(|c| c * f),
            None => surface,
        },
        _ => surface,
    };
    let byte = |c: f64| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
    Some([
        byte(diffuse[0]),
        byte(diffuse[1]),
        byte(diffuse[2]),
        byte(1.0 - transparency),
    ])
}

/// An `IfcColourRgb`'s components.
fn rgb(d: &mut EntityDecoder, id: u32) -> Option<[f64; 3]> {
    let c = d.decode_by_id(id).ok()?;
    if c.ifc_type != IfcType::IfcColourRgb {
        return None;
    }
    let v = |k| c.get_float(k).filter(|v| v.is_finite());
    Some([v(1)?, v(2)?, v(3)?])
}
