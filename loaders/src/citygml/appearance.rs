//! CityGML appearances: X3D materials (a diffuse colour and transparency)
//! and parameterized textures (an image and texture coordinates per
//! ring), of one theme, on the polygons they target.
//!
//! 2.0 writes a texture's targets as `<app:target uri="#poly">` around
//! its `TexCoordList`; 3.0 as `<app:TextureAssociation>` holding a
//! `<app:target>#poly</app:target>` and the list. Materials name their
//! targets as text in both. A target may be a polygon or any geometry
//! holding polygons (a `MultiSurface`, a `Solid`): every polygon in it
//! takes the look. Appearances often come before the geometry they target
//! (a building's `app:appearance` precedes its `lod2Solid`; a model's
//! `appearanceMember`s may come first or last), so looks are resolved
//! once the whole file is read.

use super::model::{CityModel, Look};
use std::collections::HashMap;

/// A look as read, with the ids of what it is on (hashed, see
/// [`super::read`]).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SurfaceData {
    pub look: Look,
    /// Polygons (or geometry) it is on, and for textures the texture
    /// coordinates of their rings by ring id.
    pub targets: Vec<Target>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Target {
    pub geometry: u64,
    pub rings: Vec<(u64, Vec<[f32; 2]>)>,
}

/// Reads the surface data of `appearance` / `appearanceMember` subtrees,
/// an element at a time.
#[derive(Default)]
pub(super) struct LookReader {
    /// The theme drawn: the first met.
    pub theme: Option<String>,
    /// Themes met besides it.
    pub other_themes: Vec<String>,
    /// The current appearance's theme.
    current_theme: Option<String>,
    data: Option<SurfaceData>,
    target: Option<Target>,
    pub out: Vec<SurfaceData>,
    /// Georeferenced textures met (not drawn).
    pub georeferenced: usize,
    /// Texture coordinate lists that are not pairs of numbers.
    pub bad_coordinates: usize,
}

impl LookReader {
    /// Element `name` opens; `link` is its `uri` or `ring` attribute.
    pub fn start(&mut self, name: &str, link: Option<&str>, hash: impl Fn(&str) -> u64) {
        match name {
            "Appearance" => self.current_theme = None,
            "X3DMaterial" => {
                self.data = Some(SurfaceData {
                    look: Look::Colour([204, 204, 204, 255]),
                    targets: Vec::new(),
                })
            }
            "ParameterizedTexture" => {
                self.data = Some(SurfaceData {
                    look: Look::Texture(String::new()),
                    targets: Vec::new(),
                })
            }
            "GeoreferencedTexture" => self.georeferenced += 1,
            // 2.0: the target polygon on the element.
            "target" => {
                if let Some(uri) = link.and_then(|l| l.strip_prefix('#')) {
                    self.target = Some(Target {
                        geometry: hash(uri),
                        rings: Vec::new(),
                    });
                }
            }
            "TextureAssociation" => self.target = Some(Target::default()),
            _ => {}
        }
    }

    /// Element `name` closes, with its text (for text-only elements) and
    /// `link`.
    pub fn end(&mut self, name: &str, text: &str, link: Option<&str>, hash: impl Fn(&str) -> u64) {
        match name {
            "theme" => self.current_theme = Some(text.to_string()),
            "diffuseColor" => {
                if let (Some(c), Some(rgb)) = (self.colour(), floats(text))
                    && let [r, g, b] = rgb.as_slice()
                {
                    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                    c[..3].copy_from_slice(&[byte(*r), byte(*g), byte(*b)]);
                }
            }
            "transparency" => {
                if let (Some(c), Ok(t)) = (self.colour(), text.trim().parse::<f32>()) {
                    c[3] = ((1.0 - t.clamp(0.0, 1.0)) * 255.0).round() as u8;
                }
            }
            "imageURI" => {
                if let Some(SurfaceData {
                    look: Look::Texture(uri),
                    ..
                }) = &mut self.data
                {
                    *uri = text.to_string();
                }
            }
            "textureCoordinates" => {
                let (Some(t), Some(ring)) = (&mut self.target, link) else {
                    return;
                };
                match floats(text).filter(|v| v.len() % 2 == 0) {
                    Some(v) => {
                        let st = v.chunks_exact(2).map(|p| [p[0], 1.0 - p[1]]).collect();
                        t.rings.push((hash(ring.trim_start_matches('#')), st));
                    }
                    None => self.bad_coordinates += 1,
                }
            }
            "target" => {
                // 3.0, and 2.0 materials: the target as text.
                if let Some(id) = text.trim().strip_prefix('#') {
                    match (&mut self.target, &mut self.data) {
                        (Some(t), _) if link.is_none() => t.geometry = hash(id),
                        (None, Some(d)) => d.targets.push(Target {
                            geometry: hash(id),
                            rings: Vec::new(),
                        }),
                        _ => {}
                    }
                } else if link.is_some() {
                    self.end_target();
                }
            }
            "TextureAssociation" => self.end_target(),
            "X3DMaterial" | "ParameterizedTexture" => {
                let Some(d) = self.data.take() else { return };
                let theme = self.current_theme.clone().unwrap_or_default();
                match &self.theme {
                    None => self.theme = Some(theme),
                    Some(t) if *t != theme => {
                        if !self.other_themes.contains(&theme) {
                            self.other_themes.push(theme);
                        }
                        return;
                    }
                    Some(_) => {}
                }
                if !d.targets.is_empty() {
                    self.out.push(d);
                }
            }
            _ => {}
        }
    }

    /// The colour of the material being read.
    fn colour(&mut self) -> Option<&mut [u8; 4]> {
        match &mut self.data {
            Some(SurfaceData {
                look: Look::Colour(c),
                ..
            }) => Some(c),
            _ => None,
        }
    }

    fn end_target(&mut self) {
        if let (Some(t), Some(d)) = (self.target.take(), &mut self.data) {
            d.targets.push(t);
        }
    }
}

fn floats(text: &str) -> Option<Vec<f32>> {
    text.split_ascii_whitespace()
        .map(|v| v.parse::<f32>().ok().filter(|f| f.is_finite()))
        .collect()
}

/// Puts each look on the polygons it targets: `geometry` maps a geometry
/// id's hash to its polygons, `rings` a ring id's hash to its polygon and
/// ring. A texture goes over a material on the same polygon. Returns how
/// many targets name nothing in the file.
pub(super) fn resolve(
    model: &mut CityModel,
    data: Vec<SurfaceData>,
    geometry: &HashMap<u64, (u32, u32)>,
    rings: &HashMap<u64, (u32, u32)>,
) -> usize {
    let mut missing = 0;
    for d in data {
        let look = model.looks.len() as u32;
        let textured = matches!(d.look, Look::Texture(_));
        model.looks.push(d.look);
        for t in d.targets {
            let Some(&(a, b)) = geometry.get(&t.geometry) else {
                missing += 1;
                continue;
            };
            for p in &mut model.polygons[a as usize..b as usize] {
                if !textured && p.uvs.is_some() {
                    continue;
                }
                p.look = Some(look);
                if textured {
                    p.uvs = Some(p.rings.iter().map(|r| vec![[0.0; 2]; r.len()]).collect());
                }
            }
            for (ring, st) in t.rings {
                let Some(&(pi, ri)) = rings.get(&ring) else {
                    missing += 1;
                    continue;
                };
                let Some(p) = model.polygons.get_mut(pi as usize) else {
                    continue;
                };
                let (Some(uvs), Some(r)) = (&mut p.uvs, p.rings.get(ri as usize)) else {
                    continue;
                };
                // The list may repeat the closing point, as the ring did.
                if st.len() == r.len() || st.len() == r.len() + 1 {
                    uvs[ri as usize].copy_from_slice(&st[..r.len()]);
                }
            }
        }
    }
    missing
}
