//! What CityGML's names mean to the reader: the classes read as objects
//! and as thematic surfaces, the version a namespace names, the level of
//! detail a geometry property names, and how an attribute is named and
//! typed.

use cim_core::AttrValue;
use quick_xml::events::BytesStart;

/// Classes read as city objects when they are not a `cityObjectMember`'s
/// child: the parts and contents of one.
pub(super) const PART_CLASSES: &[&str] = &[
    "BuildingPart",
    "BuildingInstallation",
    "IntBuildingInstallation",
    "BuildingRoom",
    "Room",
    "BuildingFurniture",
    "BuildingConstructiveElement",
    "BridgePart",
    "BridgeInstallation",
    "BridgeConstructionElement",
    "BridgeConstructiveElement",
    "BridgeRoom",
    "TunnelPart",
    "TunnelInstallation",
    "HollowSpace",
    "Dynamizer",
];

/// Classes read as thematic surfaces of the object they bound.
pub(super) const SURFACE_CLASSES: &[&str] = &[
    "WallSurface",
    "RoofSurface",
    "GroundSurface",
    "ClosureSurface",
    "FloorSurface",
    "OuterFloorSurface",
    "CeilingSurface",
    "OuterCeilingSurface",
    "InteriorWallSurface",
    "Window",
    "Door",
    "WaterSurface",
    "WaterGroundSurface",
    "WaterClosureSurface",
    "TrafficArea",
    "AuxiliaryTrafficArea",
    "GenericThematicSurface",
];

/// XML's predefined entities.
pub(super) fn predefined(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// The CityGML version the root's namespaces name.
pub(super) fn version_of(e: &BytesStart) -> Option<String> {
    let mut found = None;
    for a in e.attributes().flatten() {
        let v = a.value.as_ref();
        for ver in ["3.0", "2.0", "1.0"] {
            if v == format!("http://www.opengis.net/citygml/{ver}") {
                // The default namespace decides; any other names one too.
                if a.key.as_ref() == "xmlns" || found.is_none() {
                    found = Some(ver.to_string());
                }
            }
        }
    }
    found
}

/// `lod2Solid` → 2: a geometry property's level of detail.
pub(super) fn lod_of(name: &str) -> Option<u8> {
    let rest = name.strip_prefix("lod")?;
    let mut c = rest.chars();
    let d = c.next()?.to_digit(10).filter(|&d| d <= 4)?;
    c.next().filter(char::is_ascii_uppercase)?;
    Some(d as u8)
}

/// An attribute's name: the properties (lower-case elements) from the
/// object down to the leaf, and the leaf, dot-joined (`name`,
/// `externalReference.targetResource`, `address.LocalityName`).
pub(super) fn attribute_name<'a>(path: impl Iterator<Item = &'a str>, leaf: &'a str) -> String {
    let mut parts: Vec<&str> = path
        .filter(|n| n.starts_with(|c: char| c.is_ascii_lowercase()) && *n != "xalAddress")
        .collect();
    parts.push(leaf);
    parts.join(".")
}

/// A value typed by its generic attribute's kind, or, for thematic
/// attributes, as a number when it reads as one (codes with leading
/// zeros stay text).
pub(super) fn typed(text: &str, kind: Option<&str>) -> AttrValue {
    let t = text.trim();
    let number = || -> Option<AttrValue> {
        if t.len() > 1 && t.starts_with('0') && !t.starts_with("0.") {
            return None;
        }
        if let Ok(i) = t.parse::<i64>() {
            return Some(AttrValue::Int(i));
        }
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(AttrValue::Float)
    };
    match kind {
        Some(k) if k.starts_with("int") => t
            .parse()
            .map_or(AttrValue::String(t.into()), AttrValue::Int),
        Some(k) if k.starts_with("double") || k.starts_with("measure") => t
            .parse()
            .map_or(AttrValue::String(t.into()), AttrValue::Float),
        Some(_) => AttrValue::String(t.into()),
        None => number().unwrap_or_else(|| AttrValue::String(t.into())),
    }
}
