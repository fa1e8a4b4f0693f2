//! The scene document (`*.cim.toml`): what a user saves and shares.
//!
//! It records the scene CRS and its f64 origin, the layers (where each comes
//! from, how it is drawn), named views (camera bookmarks) and the clock. It
//! never embeds layer data: sources are paths (relative to the document),
//! URLs, or `builtin:` names for generated data such as the demo city.
//!
//! Documents carry a `format_version`; a reader refuses documents newer than
//! it understands instead of silently dropping what it cannot read. Saving is
//! atomic (temp file + rename) and keeps the previous copy as `*.bak`.

pub mod basemap;
pub mod demo;
pub mod georef;

use crate::crs::CrsDef;
use crate::lod::tile_edits::TileEdits;
use crate::model::geometry::Polygon;
use crate::model::layer::LayerKind;
use crate::scene::basemap::Basemap;
use crate::style::conditions::{ColorCondition, ConditionError, ConditionalStyle};
use crate::style::thematic::ThemeSpec;
use crate::time::SceneClock;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The newest document format this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    #[error("{}: cannot read: {source}", crate::message::path(.path))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a valid scene document: {message}", crate::message::path(.path))]
    Malformed { path: PathBuf, message: String },
    #[error("{}: no `format_version`; is this a CIM Studio scene document (*.cim.toml)?", crate::message::path(.path))]
    MissingVersion { path: PathBuf },
    #[error(
        "{}: written in scene format version {found}, newer than this CIM Studio reads (up to {supported}); please upgrade",
        crate::message::path(.path)
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{}: cannot save: {source}", crate::message::path(.path))]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A scene document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneDoc {
    pub format_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The scene CRS: layers are transformed into it for display.
    pub crs: CrsDef,
    /// Scene-CRS point the scene is built around (x, y, z), in f64.
    pub origin: [f64; 3],
    /// Memory for streamed content (terrain tiles, drapes, 3D Tiles), MiB;
    /// `CIM_STREAM_BUDGET_MB` overrides it, and without either 1024.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_budget_mb: Option<u64>,
    #[serde(default, rename = "layer")]
    pub layers: Vec<LayerRef>,
    #[serde(default, rename = "view")]
    pub views: Vec<View>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<SceneClock>,
    /// Imagery or map tiles draped on the ground, bottom first: `[[basemap]]`
    /// (or one `[basemap]` table).
    #[serde(
        default,
        rename = "basemap",
        deserialize_with = "crate::scene::basemap::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub basemaps: Vec<Basemap>,
    /// A flood scenario run when the scene opens, its water shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flood: Option<FloodRef>,
}

/// A flood scenario as the document names it: `[flood] scenario = "…"`
/// (a `cim flood run` scenario file, relative to the document) and the
/// depth (m) at which a building counts as flooded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloodRef {
    pub scenario: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_m: Option<f64>,
}

/// A layer as the document references it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerRef {
    pub name: String,
    /// A path (relative to the document), a URL, or `builtin:NAME`. Taken
    /// literally: any character may appear in a file name, `#` too.
    pub source: String,
    /// Which layer of a source that holds several (a GeoPackage table, a
    /// file in a zip archive); the first readable one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default)]
    pub kind: LayerKind,
    #[serde(default = "yes")]
    pub visible: bool,
    #[serde(default = "one")]
    pub opacity: f32,
    #[serde(default, skip_serializing_if = "Style::is_default")]
    pub style: Style,
    /// Where a tileset is put, when its own placement is not what the scene
    /// needs (a local-frame model, a tileset a few metres off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// A tileset is not drawn inside these: `[[layer.clip]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clip: Vec<ClipRegion>,
    /// A tileset is lowered to a height inside these (压平):
    /// `[[layer.flatten]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flatten: Vec<FlattenRegion>,
}

/// Where a tileset is hidden: a polygon in scene-CRS x, y.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClipRegion {
    pub polygon: Vec<[f64; 2]>,
}

/// Where a tileset is flattened: a polygon in scene-CRS x, y and the
/// height (scene-CRS z, metres) nothing inside it rises above.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlattenRegion {
    pub polygon: Vec<[f64; 2]>,
    pub height: f64,
}

/// Most corners an edit polygon may have.
const MAX_EDIT_CORNERS: usize = 100_000;

/// A planning polygon as a [`Polygon`], checked: at least three finite
/// corners, not too many.
fn edit_polygon(corners: &[[f64; 2]]) -> Result<Polygon, String> {
    if corners.len() < 3 || corners.len() > MAX_EDIT_CORNERS {
        return Err(format!(
            "an edit polygon needs 3 to {MAX_EDIT_CORNERS} corners (got {})",
            corners.len()
        ));
    }
    if corners.iter().flatten().any(|v| !v.is_finite()) {
        return Err("an edit polygon has a corner that is not a finite number".into());
    }
    Ok(Polygon::new(
        corners
            .iter()
            .map(|c| glam::DVec3::new(c[0], c[1], 0.0))
            .collect(),
    ))
}

impl LayerRef {
    /// The layer's clip and flatten regions as tileset edits, checked.
    ///
    /// ```
    /// use cim_core::scene::SceneDoc;
    /// let doc = SceneDoc::from_toml_str(concat!(
    ///     "format_version = 1\nname = \"s\"\ncrs = \"EPSG:4547\"\norigin = [0.0, 0.0, 0.0]\n",
    ///     "[[layer]]\nname = \"mesh\"\nsource = \"tileset.json\"\n",
    ///     "[[layer.flatten]]\npolygon = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]\nheight = 4.5\n",
    /// ), std::path::Path::new("s.cim.toml")).unwrap();
    /// let edits = doc.layers[0].tile_edits().unwrap();
    /// assert_eq!(edits.flatten[0].1, 4.5);
    /// assert!(edits.clip.is_empty());
    /// ```
    pub fn tile_edits(&self) -> Result<TileEdits, String> {
        let clip = self
            .clip
            .iter()
            .map(|c| edit_polygon(&c.polygon))
            .collect::<Result<_, _>>()?;
        let flatten = self
            .flatten
            .iter()
            .map(|f| {
                if !f.height.is_finite() {
                    return Err(format!(
                        "a flatten height must be a finite number (got {})",
                        f.height
                    ));
                }
                Ok((edit_polygon(&f.polygon)?, f.height))
            })
            .collect::<Result<_, _>>()?;
        Ok(TileEdits { clip, flatten })
    }
}

/// A move, turn and scale of a tileset about the centre of its extent
/// in the scene CRS: `p' = c + offset + R(heading) · scale · (p − c)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// Scene-CRS metres (east, north, up).
    #[serde(default)]
    pub offset: [f64; 3],
    /// Turn about the vertical, degrees clockwise from north (as a
    /// compass: 90 turns north to east).
    #[serde(default)]
    pub heading_deg: f64,
    #[serde(default = "one_f64")]
    pub scale: f64,
}

fn one_f64() -> f64 {
    1.0
}

impl Placement {
    /// The affine map it is, about `centre`.
    ///
    /// ```
    /// use cim_core::scene::Placement;
    /// use cim_core::DVec3;
    /// let p = Placement { offset: [10.0, 0.0, 0.0], heading_deg: 90.0, scale: 2.0 };
    /// let m = p.matrix(DVec3::new(100.0, 100.0, 0.0));
    /// // One metre north of the centre goes two metres east, then 10 m on.
    /// let q = m.transform_point3(DVec3::new(100.0, 101.0, 0.0));
    /// assert!((q - DVec3::new(112.0, 100.0, 0.0)).length() < 1e-9);
    /// ```
    pub fn matrix(&self, centre: glam::DVec3) -> glam::DMat4 {
        use glam::{DMat4, DVec3};
        DMat4::from_translation(centre + DVec3::from_array(self.offset))
            * DMat4::from_rotation_z(-self.heading_deg.to_radians())
            * DMat4::from_scale(DVec3::splat(self.scale))
            * DMat4::from_translation(-centre)
    }

    /// Finite numbers and a positive scale.
    pub fn check(&self) -> Result<(), String> {
        let finite = self
            .offset
            .iter()
            .chain([&self.heading_deg, &self.scale])
            .all(|v| v.is_finite());
        if !finite || self.scale <= 0.0 {
            return Err(format!(
                "placement needs finite numbers and a scale above 0 (got {self:?})"
            ));
        }
        Ok(())
    }
}

fn yes() -> bool {
    true
}
fn one() -> f32 {
    1.0
}

/// Per-layer drawing settings. Every field is optional so documents stay
/// short and later versions can add settings without breaking older files.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Style {
    /// `#rrggbb` or `#rrggbbaa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Field holding a building's height in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_field: Option<String>,
    /// Field holding a building's floor count (height = floors × floor_height).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floors_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_height: Option<f64>,
    /// Field holding a line's width in metres (roads) or diameter (pipes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Field whose value picks a colour (categorised styling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_field: Option<String>,
    /// Field shown as the feature's label and in search results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_field: Option<String>,
    /// Only features matching this attribute query are drawn (the query
    /// language of `cim_core::query`, e.g. `height > 50 and use = '住宅'`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Field holding when each feature appears (a date, date-time or year,
    /// e.g. a building's construction year): a feature is drawn from that
    /// instant of the scene clock on; features without one always are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_field: Option<String>,
    /// Pipes: field holding the cover depth (ground to pipe top), metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_field: Option<String>,
    /// Pipes: cover depth used when no field gives one, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<f64>,
    /// Pipes: fields holding the invert (pipe bottom) elevation at the
    /// line's first and last vertex; they win over depths when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_invert_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_invert_field: Option<String>,
    /// Terrain: bake a hillshade (light from the north-west) into the tint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hillshade: Option<bool>,
    /// Thematic styling (`[layer.style.theme]`); supersedes `category_field`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ThemeSpec>,
    /// Tilesets: colour by feature property, the first that holds
    /// (`[[layer.style.conditions]]`, see `style::conditions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ColorCondition>,
    /// Tilesets: the diameter of points (point clouds), pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_size: Option<f64>,
}

impl Style {
    pub fn is_default(&self) -> bool {
        *self == Style::default()
    }

    /// The style less what only colours, labels or filters features
    /// (`color`, `category_field`, `theme`, `label_field`, `filter`,
    /// `time_field`, `conditions`, `point_size`): two styles with the same shape draw the same geometry, so a restyle
    /// between them needs new colours or flags, not new meshes.
    ///
    /// ```
    /// use cim_core::scene::Style;
    /// let a = Style { color: Some("#ff0000".into()), height_field: Some("h".into()), ..Style::default() };
    /// let b = Style { color: Some("#00ff00".into()), ..a.clone() };
    /// let c = Style { height_field: Some("floors".into()), ..a.clone() };
    /// assert_eq!(a.shape(), b.shape());
    /// assert_ne!(a.shape(), c.shape());
    /// ```
    pub fn shape(&self) -> Style {
        Style {
            color: None,
            category_field: None,
            theme: None,
            label_field: None,
            filter: None,
            time_field: None,
            conditions: Vec::new(),
            point_size: None,
            ..self.clone()
        }
    }

    /// A tileset's style: show features matching `filter`, coloured by the
    /// first of `conditions` that holds, else by `color`, else left as the
    /// content draws them (white multiplies nothing).
    ///
    /// ```
    /// use cim_core::scene::Style;
    /// let s = Style { filter: Some("Height > 5".into()), ..Style::default() };
    /// assert!(!s.tile_conditions().unwrap().is_uniform());
    /// assert!(Style::default().tile_conditions().unwrap().is_uniform());
    /// ```
    pub fn tile_conditions(&self) -> Result<ConditionalStyle, ConditionError> {
        ConditionalStyle::new(
            self.filter.as_deref(),
            &self.conditions,
            self.rgba().unwrap_or([255; 4]),
        )
    }

    /// The single-symbol colour of a layer of `kind`: the style's `color`,
    /// else the kind's default (sRGB RGBA).
    pub fn symbol_color(&self, kind: LayerKind) -> [u8; 4] {
        self.rgba().unwrap_or(match kind {
            LayerKind::Buildings => [215, 210, 200, 255],
            LayerKind::Roads => [75, 78, 84, 255],
            LayerKind::Areas => [120, 160, 110, 255],
            LayerKind::Pipes => [40, 120, 200, 255],
            LayerKind::Points => [230, 80, 50, 255],
            LayerKind::Terrain | LayerKind::Tiles | LayerKind::Auto => [160, 160, 160, 255],
        })
    }

    /// The thematic styling in effect: `theme` when set, else categorized
    /// on `category_field` (documents written before themes existed), else
    /// a single symbol in `color`.
    pub fn theme_spec(&self) -> ThemeSpec {
        if let Some(t) = &self.theme {
            return t.clone();
        }
        match &self.category_field {
            Some(f) => ThemeSpec::categorized(f.clone()),
            None => ThemeSpec {
                color: self.color.clone(),
                ..Default::default()
            },
        }
    }

    /// The theme a layer is drawn with: [`Style::theme_spec`], except that
    /// a pipe layer of surveyed utility lines left unstyled (no theme,
    /// category or colour) is coloured by class as CJJ 61 draws them.
    pub fn effective_theme(&self, layer: &crate::model::layer::Layer) -> ThemeSpec {
        let unstyled =
            self.theme.is_none() && self.category_field.is_none() && self.color.is_none();
        if unstyled
            && layer.effective_kind() == LayerKind::Pipes
            && let Some(t) = layer
                .vector()
                .and_then(crate::pipes::corridor::from_layer::utility_theme)
        {
            return t;
        }
        self.theme_spec()
    }

    /// Parses `color` as linear-ish sRGB bytes.
    pub fn rgba(&self) -> Option<[u8; 4]> {
        parse_hex_color(self.color.as_deref()?)
    }
}

/// Parses `#rrggbb` / `#rrggbbaa`.
pub fn parse_hex_color(s: &str) -> Option<[u8; 4]> {
    let h = s.strip_prefix('#')?;
    let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2)?, 16).ok();
    match h.len() {
        6 => Some([byte(0)?, byte(2)?, byte(4)?, 255]),
        8 => Some([byte(0)?, byte(2)?, byte(4)?, byte(6)?]),
        _ => None,
    }
}

/// A camera bookmark, in scene CRS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    pub eye: [f64; 3],
    pub target: [f64; 3],
}

impl SceneDoc {
    /// Parses a document from text; `path` only labels errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<SceneDoc, SceneError> {
        // Parser messages quote the offending line, which can be megabytes.
        let malformed = |message: String| SceneError::Malformed {
            path: path.to_owned(),
            message: crate::message::clip(&message, 600).into_owned(),
        };
        // Check the version before the schema so a newer file gets the
        // "please upgrade" message, not a confusing field error.
        let value: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| malformed(e.to_string()))?;
        let version = match value.get("format_version") {
            None => {
                return Err(SceneError::MissingVersion {
                    path: path.to_owned(),
                });
            }
            Some(v) => v
                .as_integer()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| malformed("`format_version` must be a positive integer".into()))?,
        };
        if version > FORMAT_VERSION {
            return Err(SceneError::TooNew {
                path: path.to_owned(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let doc: SceneDoc = toml::from_str(text).map_err(|e| malformed(e.to_string()))?;
        doc.check_numbers().map_err(malformed)?;
        Ok(doc)
    }

    /// Refuses numbers that would leave nothing to see: a non-finite or
    /// absurd origin, a view whose eye and target coincide or are not
    /// finite, an opacity outside 0..=1.
    fn check_numbers(&self) -> Result<(), String> {
        let placeable = |p: &[f64; 3]| {
            p.iter()
                .all(|v| v.is_finite() && v.abs() <= crate::model::geometry::MAX_COORDINATE)
        };
        if !placeable(&self.origin) {
            return Err(format!(
                "`origin` {:?} is not a point on Earth (finite, within ±{:e})",
                self.origin,
                crate::model::geometry::MAX_COORDINATE
            ));
        }
        for v in &self.views {
            let name = crate::message::quote(&v.name);
            if !placeable(&v.eye) || !placeable(&v.target) {
                return Err(format!(
                    "view `{name}`: eye and target must be finite points"
                ));
            }
            if v.eye == v.target {
                return Err(format!(
                    "view `{name}`: eye and target are the same point, so it looks nowhere"
                ));
            }
        }
        for l in &self.layers {
            if !(0.0..=1.0).contains(&l.opacity) {
                return Err(format!(
                    "layer `{}`: opacity {} is outside 0 to 1",
                    crate::message::quote(&l.name),
                    l.opacity
                ));
            }
        }
        Ok(())
    }

    /// Scene documents are small; anything larger is not one.
    pub const MAX_BYTES: u64 = 16 << 20;

    /// Reads and parses the document at `path`. Only a regular file of at
    /// most [`Self::MAX_BYTES`] is read (a FIFO would block for ever).
    pub fn load(path: &Path) -> Result<SceneDoc, SceneError> {
        use std::io::Read;
        let io = |source| SceneError::Io {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(io(std::io::Error::other("not a regular file")));
        }
        if meta.len() > Self::MAX_BYTES {
            return Err(io(std::io::Error::other(format!(
                "{} bytes; a scene document is at most {} bytes",
                meta.len(),
                Self::MAX_BYTES
            ))));
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(Self::MAX_BYTES)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            io(std::io::Error::other(format!(
                "not UTF-8 text (invalid byte at {})",
                e.utf8_error().valid_up_to()
            )))
        })?;
        Self::from_toml_str(&text, path)
    }

    pub fn to_toml_string(&self) -> String {
        // Serialising our own plain structs cannot fail.
        toml::to_string_pretty(self).expect("scene document serialises")
    }

    /// Saves atomically: writes a temp file beside `path`, syncs it, keeps the
    /// existing document as `<path>.bak`, then renames the temp file over
    /// `path`. A crash at any point leaves either the old or the new
    /// document complete.
    pub fn save(&self, path: &Path) -> Result<(), SceneError> {
        let err = |source| SceneError::Save {
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = path
            .file_name()
            .ok_or_else(|| err(std::io::Error::other("not a file path")))?;
        let mut tmp_name = file_name.to_owned();
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = dir.join(tmp_name);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_toml_string().as_bytes())?;
            f.sync_all()?;
            Ok(())
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        if path.exists() {
            let mut bak = file_name.to_owned();
            bak.push(".bak");
            std::fs::copy(path, dir.join(bak)).map_err(err)?;
        }
        std::fs::rename(&tmp, path).map_err(err)?;
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn view(&self, name: &str) -> Option<&View> {
        self.views.iter().find(|v| v.name == name)
    }

    /// Resolves a layer source against the document's folder.
    pub fn resolve_source(source: &str, doc_dir: Option<&Path>) -> Source {
        if let Some(name) = source.strip_prefix("builtin:") {
            Source::Builtin(name.to_owned())
        } else if source.starts_with("http://") || source.starts_with("https://") {
            Source::Url(source.to_owned())
        } else {
            let p = Path::new(source);
            Source::File(match doc_dir {
                Some(d) if p.is_relative() => d.join(p),
                _ => p.to_owned(),
            })
        }
    }
}

/// Where a layer's data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Builtin(String),
    File(PathBuf),
    Url(String),
}

#[cfg(test)]
mod tests;
