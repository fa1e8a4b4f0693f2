//! Basemaps of a scene: imagery or map tiles draped on the terrain (or on
//! the base plane of a scene without terrain), as the scene document
//! records them. Reading the tiles is `cim_loaders::tiles::tile_source`'s job;
//! composing them for a patch of ground is [`crate::imagery::compose`].
//!
//! A scene may stack several basemaps, drawn in order: Tianditu's imagery
//! (`img`) with its annotation layer (`cia`) on top is the usual pair.
//!
//! ```toml
//! [[basemap]]
//! name = "天地图影像"
//! kind = "xyz"
//! url = "https://t{s}.tianditu.gov.cn/DataServer?T=img_c&x={x}&y={y}&l={z}&tk=KEY"
//! subdomains = ["0", "1", "2", "3", "4", "5", "6", "7"]
//! tms = "cgcs2000"       # Tianditu `_c`; "web_mercator" (the default) for `_w`
//! max_zoom = 18
//!
//! [[basemap]]
//! name = "注记"
//! kind = "xyz"
//! url = "https://t{s}.tianditu.gov.cn/DataServer?T=cia_c&x={x}&y={y}&l={z}&tk=KEY"
//! subdomains = ["0", "1", "2", "3", "4", "5", "6", "7"]
//! tms = "cgcs2000"
//! ```
//!
//! A single `[basemap]` table is read as a stack of one.

use crate::imagery::tiles::TileMatrixSet;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::PathBuf;

/// Where basemap tiles come from. Serialized with a `kind` tag:
/// `"xyz"`, `"wmts"` or `"folder"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TileSource {
    /// A URL template with `{z}`, `{x}`, `{y}` (or `{-y}`, `{quadkey}`,
    /// `{s}`; see [`crate::imagery::tiles::expand_tile_url`]): OpenStreetMap, AMap,
    /// Tianditu's DataServer, most tile CDNs.
    Xyz {
        url: String,
        /// Values for `{s}`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        subdomains: Vec<String>,
        #[serde(default)]
        tms: TmsRef,
        /// Levels (matrix identifiers) outside `min_zoom..=max_zoom` are not
        /// requested; past `max_zoom` the finest level is magnified.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_zoom: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_zoom: Option<u32>,
    },
    /// An OGC WMTS 1.0 service: `url` is its GetCapabilities URL or a local
    /// capabilities file. Empty `style`, `tile_matrix_set` and `format` take
    /// the layer's defaults (see [`crate::imagery::tiles::WmtsCapabilities::resolve`]).
    Wmts {
        url: String,
        layer: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        style: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        tile_matrix_set: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        format: String,
    },
    /// Tiles on disk (an export of a tile cache, a mounted share), at
    /// `path/pattern`, e.g. `tiles/{z}/{x}/{y}.png`.
    Folder {
        path: PathBuf,
        #[serde(default = "default_pattern")]
        pattern: String,
        #[serde(default)]
        tms: TmsRef,
    },
}

fn default_pattern() -> String {
    "{z}/{x}/{y}.png".to_string()
}

/// A built-in tile matrix set, by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TmsRef {
    /// [`TileMatrixSet::web_mercator`]: EPSG:3857, z 0..=22.
    #[default]
    WebMercator,
    /// [`TileMatrixSet::cgcs2000_geographic`]: EPSG:4490, levels 1..=18.
    Cgcs2000,
}

impl TmsRef {
    pub fn tile_matrix_set(self) -> TileMatrixSet {
        match self {
            TmsRef::WebMercator => TileMatrixSet::web_mercator(),
            TmsRef::Cgcs2000 => TileMatrixSet::cgcs2000_geographic(),
        }
    }
}

/// One basemap of a scene: where its tiles come from, and how it is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Basemap {
    /// Shown in the layer panel; may be empty.
    pub name: String,
    pub visible: bool,
    /// 0–1; a basemap over another blends with it.
    pub opacity: f32,
    pub source: TileSource,
}

impl Basemap {
    pub fn new(source: TileSource) -> Basemap {
        Basemap {
            name: String::new(),
            visible: true,
            opacity: 1.0,
            source,
        }
    }
}

/// The keys [`Basemap`] adds to its source's table.
const OWN_KEYS: [&str; 3] = ["name", "visible", "opacity"];

impl Serialize for Basemap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut t = toml::Table::try_from(&self.source).map_err(S::Error::custom)?;
        if !self.name.is_empty() {
            t.insert("name".into(), self.name.clone().into());
        }
        if !self.visible {
            t.insert("visible".into(), false.into());
        }
        if self.opacity != 1.0 {
            t.insert("opacity".into(), f64::from(self.opacity).into());
        }
        t.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Basemap {
    /// The source's own table with `name`, `visible` and `opacity` beside
    /// its keys (serde's `flatten` cannot be used: the source refuses
    /// unknown keys, which catches misspelt settings).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Basemap, D::Error> {
        use serde::de::Error;
        let mut t = toml::Table::deserialize(d)?;
        let mut b = Basemap::new(TileSource::Folder {
            path: PathBuf::new(),
            pattern: default_pattern(),
            tms: TmsRef::default(),
        });
        for key in OWN_KEYS {
            let Some(v) = t.remove(key) else { continue };
            match (key, v) {
                ("name", toml::Value::String(s)) => b.name = s,
                ("visible", toml::Value::Boolean(v)) => b.visible = v,
                ("opacity", toml::Value::Float(f)) if (0.0..=1.0).contains(&f) => {
                    b.opacity = f as f32
                }
                ("opacity", toml::Value::Integer(i)) if (0..=1).contains(&i) => {
                    b.opacity = i as f32
                }
                (key, v) => {
                    return Err(D::Error::custom(format!(
                        "basemap `{key}` = {v}: expected {}",
                        match key {
                            "name" => "a string",
                            "visible" => "true or false",
                            _ => "a number from 0 to 1",
                        }
                    )));
                }
            }
        }
        b.source = toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| D::Error::custom(format!("basemap: {}", e.message())))?;
        Ok(b)
    }
}

/// Reads `basemap` as either one table or an array of tables (not with an
/// untagged enum: that would replace the error naming the bad key with
/// "did not match any variant").
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Basemap>, D::Error> {
    use serde::de::Error;
    let convert = |v: toml::Value| -> Result<Basemap, D::Error> {
        v.try_into()
            .map_err(|e: toml::de::Error| D::Error::custom(e.message()))
    };
    match toml::Value::deserialize(d)? {
        toml::Value::Array(items) => items.into_iter().map(convert).collect(),
        v @ toml::Value::Table(_) => Ok(vec![convert(v)?]),
        other => Err(D::Error::custom(format!(
            "basemap: expected a table or an array of tables, found {}",
            other.type_str()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Doc {
        #[serde(rename = "basemap", deserialize_with = "one_or_many")]
        basemaps: Vec<Basemap>,
    }

    #[test]
    fn a_stack_of_basemaps_round_trips() {
        let text = r#"
[[basemap]]
name = "影像"
kind = "xyz"
url = "https://t{s}.example/img?x={x}&y={y}&l={z}"
subdomains = ["0", "1"]
tms = "cgcs2000"
max_zoom = 18

[[basemap]]
name = "注记"
opacity = 0.5
visible = false
kind = "folder"
path = "labels"
"#;
        let d: Doc = toml::from_str(text).unwrap();
        assert_eq!(d.basemaps.len(), 2);
        assert_eq!(d.basemaps[0].name, "影像");
        assert!(d.basemaps[0].visible);
        assert!(matches!(
            d.basemaps[0].source,
            TileSource::Xyz {
                tms: TmsRef::Cgcs2000,
                max_zoom: Some(18),
                ..
            }
        ));
        assert_eq!(d.basemaps[1].opacity, 0.5);
        assert!(!d.basemaps[1].visible);
        assert_eq!(
            d.basemaps[1].source,
            TileSource::Folder {
                path: "labels".into(),
                pattern: "{z}/{x}/{y}.png".into(),
                tms: TmsRef::WebMercator
            }
        );
        let back: Doc = toml::from_str(&toml::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn a_single_table_is_a_stack_of_one() {
        let d: Doc = toml::from_str("[basemap]\nkind = \"folder\"\npath = \"tiles\"\n").unwrap();
        assert_eq!(d.basemaps.len(), 1);
        assert_eq!(d.basemaps[0].name, "");
        let d: Doc = toml::from_str(
            "[basemap]\nkind = \"wmts\"\nurl = \"caps.xml\"\nlayer = \"img\"\ntile_matrix_set = \"c\"\n",
        )
        .unwrap();
        assert!(matches!(
            d.basemaps[0].source,
            TileSource::Wmts { ref tile_matrix_set, .. } if tile_matrix_set == "c"
        ));
    }

    #[test]
    fn bad_settings_name_the_key() {
        let e = |t: &str| toml::from_str::<Doc>(t).unwrap_err().to_string();
        assert!(e("[basemap]\nkind = \"xyz\"\nurl = \"u\"\nmaxzoom = 3\n").contains("maxzoom"));
        assert!(e("[basemap]\nkind = \"folder\"\npath = \"t\"\nopacity = 2\n").contains("opacity"));
        assert!(e("[basemap]\nkind = \"tms\"\npath = \"t\"\n").contains("tms"));
        assert!(e("basemap = 3\n").contains("table"));
    }
}
