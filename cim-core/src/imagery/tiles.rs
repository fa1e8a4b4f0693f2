//! Tile matrix sets: how a tiled basemap (XYZ, WMTS, a folder of tiles) cuts
//! a CRS into pyramids of image tiles, following OGC WMTS 1.0 (OGC 07-057r7)
//! and the OGC Two-Dimensional Tile Matrix Set standard (OGC 17-083r2).
//!
//! * [`TileMatrixSet`] / [`TileMatrix`]: the pyramid; built in for Web
//!   Mercator ([`TileMatrixSet::web_mercator`]) and the CGCS2000 geographic
//!   grid of Tianditu's `_c` services ([`TileMatrixSet::cgcs2000_geographic`]),
//!   or read from a WMTS capabilities document ([`parse_wmts_capabilities`]).
//! * [`TileId`], [`TileMatrixSet::tile_bounds`], [`TileMatrixSet::tiles_covering`]
//!   and [`TileMatrixSet::matrix_for_resolution`]: the tile arithmetic.
//! * [`expand_tile_url`]: `{z}/{x}/{y}`, `{-y}`, `{s}`, `{quadkey}` and the
//!   WMTS `{TileMatrix}`/`{TileRow}`/`{TileCol}` URL templates.
//!
//! Coordinates follow the crate convention: easting/longitude first, whatever
//! the CRS's registered axis order (only WMTS documents are read in the
//! registry's order and converted on the way in). No I/O here: fetching and
//! decoding tiles is `cim-loaders`' job.

use std::f64::consts::PI;

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::crs::{CrsDef, is_geographic, is_north_first};
use crate::model::geometry::Bbox;

/// The "standardized rendering pixel size" of OGC WMTS 1.0 §6.1.1 (and
/// 17-083r2 §6.1.1): 0.28 mm. Scale denominators convert to CRS units per
/// pixel with it.
pub const STANDARD_PIXEL_SIZE_M: f64 = 0.28e-3;

/// The pixel size of 96 DPI (0.2645833 mm). ArcGIS Server, and after it
/// Tianditu, write scale denominators with it instead of the standard size;
/// see [`parse_wmts_capabilities`] for how such documents are recognised.
pub const PIXEL_SIZE_96_DPI_M: f64 = 0.0254 / 96.0;

/// Metres per degree for scale computations in geographic CRSs: the length
/// of one degree along the equator of a 6 378 137 m sphere, as OGC WMTS 1.0
/// Annex E (and 17-083r2 §6.1.1) prescribe (≈ 111 319.49 m).
pub const METRES_PER_DEGREE: f64 = 2.0 * PI * 6_378_137.0 / 360.0;

/// Half the side of the Web Mercator square (EPSG:3857): π·6 378 137 m.
pub const WEB_MERCATOR_HALF_EXTENT: f64 = PI * 6_378_137.0;

/// Metres per CRS unit for scale ↔ resolution conversion: [`METRES_PER_DEGREE`]
/// for geographic CRSs, 1 for metric ones.
pub fn metres_per_unit(geographic: bool) -> f64 {
    if geographic { METRES_PER_DEGREE } else { 1.0 }
}

/// CRS units per pixel for a scale denominator (OGC WMTS 1.0 §6.1.1:
/// `resolution = scale × 0.28 mm / metres_per_unit`).
pub fn scale_to_resolution(scale_denominator: f64, metres_per_unit: f64) -> f64 {
    scale_denominator * STANDARD_PIXEL_SIZE_M / metres_per_unit
}

/// The scale denominator of a resolution (inverse of [`scale_to_resolution`]).
pub fn resolution_to_scale(resolution: f64, metres_per_unit: f64) -> f64 {
    resolution * metres_per_unit / STANDARD_PIXEL_SIZE_M
}

/// Why tile metadata could not be read or a tile URL not be built.
#[derive(Debug, thiserror::Error)]
pub enum TilesError {
    /// The capabilities document is not well-formed XML.
    #[error("WMTS capabilities are not well-formed XML: {0}")]
    Xml(String),
    /// Well-formed, but not a usable WMTS capabilities document.
    #[error("WMTS capabilities: {0}")]
    Capabilities(String),
    /// A layer, style, tile matrix set or format the capabilities do not offer.
    #[error("WMTS capabilities: {0}")]
    NotOffered(String),
    /// A URL template with a placeholder we do not know or cannot fill.
    #[error("tile URL template \"{template}\": {detail}")]
    Template { template: String, detail: String },
}

/// One level of a tile pyramid (OGC 17-083r2 §6.1.1 TileMatrix).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TileMatrix {
    /// The identifier used in requests (`{z}` / `{TileMatrix}`).
    pub id: String,
    /// CRS units per pixel.
    pub resolution: f64,
    /// Corner of the top-left tile's top-left pixel, easting/longitude first.
    pub top_left: (f64, f64),
    pub tile_width: u32,
    pub tile_height: u32,
    /// Number of tile columns.
    pub matrix_width: u64,
    /// Number of tile rows.
    pub matrix_height: u64,
}

impl TileMatrix {
    /// The CRS extent of one tile: (width, height) in CRS units.
    pub fn tile_span(&self) -> (f64, f64) {
        (
            self.resolution * f64::from(self.tile_width),
            self.resolution * f64::from(self.tile_height),
        )
    }

    /// The extent of the whole matrix in CRS units (z = 0).
    pub fn bounds(&self) -> Bbox {
        let (sx, sy) = self.tile_span();
        let (x0, y1) = self.top_left;
        Bbox {
            min: DVec3::new(x0, y1 - sy * self.matrix_height as f64, 0.0),
            max: DVec3::new(x0 + sx * self.matrix_width as f64, y1, 0.0),
        }
    }

    /// The scale denominator of this level (0.28 mm pixels).
    pub fn scale_denominator(&self, metres_per_unit: f64) -> f64 {
        resolution_to_scale(self.resolution, metres_per_unit)
    }
}

/// A tile: its matrix (an index into [`TileMatrixSet::matrices`]), column
/// (left to right) and row (top to bottom), as in WMTS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TileId {
    pub matrix: usize,
    pub col: u64,
    pub row: u64,
}

/// A tile pyramid in one CRS (OGC 17-083r2 TileMatrixSet).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TileMatrixSet {
    pub id: String,
    pub crs: CrsDef,
    /// Levels, normally coarse to fine.
    pub matrices: Vec<TileMatrix>,
}

impl TileMatrixSet {
    /// Web Mercator (EPSG:3857), OGC 17-083r2 Annex D.1 "WebMercatorQuad"
    /// (WMTS 1.0 Annex E.4 "GoogleMapsCompatible"), zoom levels 0..=22: what
    /// XYZ services (OpenStreetMap, AMap, Tianditu `_w`, ...) use. Level `z` is
    /// 2^z × 2^z tiles of 256 px from (−π·a, π·a), ids `"0"`..`"22"`.
    pub fn web_mercator() -> TileMatrixSet {
        let world = 2.0 * WEB_MERCATOR_HALF_EXTENT;
        TileMatrixSet {
            id: "WebMercatorQuad".to_string(),
            crs: CrsDef::Code("EPSG:3857".to_string()),
            matrices: (0..=22u32)
                .map(|z| TileMatrix {
                    id: z.to_string(),
                    resolution: world / 256.0 / f64::from(1u32 << z),
                    top_left: (-WEB_MERCATOR_HALF_EXTENT, WEB_MERCATOR_HALF_EXTENT),
                    tile_width: 256,
                    tile_height: 256,
                    matrix_width: 1 << z,
                    matrix_height: 1 << z,
                })
                .collect(),
        }
    }

    /// CGCS2000 longitude/latitude (EPSG:4490) as Tianditu's `_c` services
    /// (`vec_c`, `img_c`, `cva_c`, ...) tile it: levels 1..=18 (ids `"1"`..`"18"`),
    /// 256 px tiles from (−180°, 90°), level 1 at 0.703125°/px so the world is
    /// 2 × 1 tiles, halving per level. This is the geometry of OGC 17-083r2
    /// Annex D.2 "WorldCRS84Quad" shifted by one level (its level 0 is 1 × 1
    /// tiles with the lower half empty); source: Tianditu's published
    /// GetCapabilities (`TileMatrixSet` "c").
    pub fn cgcs2000_geographic() -> TileMatrixSet {
        TileMatrixSet {
            id: "c".to_string(),
            crs: CrsDef::cgcs2000(),
            matrices: (1..=18u32)
                .map(|level| TileMatrix {
                    id: level.to_string(),
                    resolution: 0.703125 / f64::from(1u32 << (level - 1)),
                    top_left: (-180.0, 90.0),
                    tile_width: 256,
                    tile_height: 256,
                    matrix_width: 1 << level,
                    matrix_height: 1 << (level - 1),
                })
                .collect(),
        }
    }

    /// The index of the matrix with identifier `id`.
    pub fn matrix_index(&self, id: &str) -> Option<usize> {
        self.matrices.iter().position(|m| m.id == id)
    }

    /// The CRS extent of a tile (z = 0). Panics if `tile.matrix` is out of range.
    pub fn tile_bounds(&self, tile: &TileId) -> Bbox {
        let m = &self.matrices[tile.matrix];
        let (sx, sy) = m.tile_span();
        let x0 = m.top_left.0 + sx * tile.col as f64;
        let y1 = m.top_left.1 - sy * tile.row as f64;
        Bbox {
            min: DVec3::new(x0, y1 - sy, 0.0),
            max: DVec3::new(x0 + sx, y1, 0.0),
        }
    }

    /// The tiles of matrix `matrix` that intersect `bbox` (in the set's CRS),
    /// row by row, clamped to the matrix; none if `bbox` misses it or is empty.
    /// Tiles that only touch `bbox` along an edge are left out.
    pub fn tiles_covering(&self, matrix: usize, bbox: &Bbox) -> impl Iterator<Item = TileId> {
        let m = &self.matrices[matrix];
        let (sx, sy) = m.tile_span();
        let (x0, y1) = m.top_left;
        let cols = index_range(
            (bbox.min.x - x0) / sx,
            (bbox.max.x - x0) / sx,
            m.matrix_width,
        );
        let rows = index_range(
            (y1 - bbox.max.y) / sy,
            (y1 - bbox.min.y) / sy,
            m.matrix_height,
        );
        let (cols, rows) = if bbox.is_empty() {
            (0..0, 0..0)
        } else {
            (cols, rows)
        };
        rows.flat_map(move |row| cols.clone().map(move |col| TileId { matrix, col, row }))
    }

    /// The level to read for output pixels of `resolution` CRS units: the
    /// finest matrix whose resolution is at least `resolution / √2`, i.e. the
    /// nearest level on a log scale (at most √2 × oversampled, so no more
    /// than about twice the tiles strictly needed). Coarser than every
    /// matrix gives the coarsest one; 0 for an empty set.
    pub fn matrix_for_resolution(&self, resolution: f64) -> usize {
        let limit = resolution / std::f64::consts::SQRT_2;
        let finest = |a: &(usize, &TileMatrix), b: &(usize, &TileMatrix)| {
            a.1.resolution.total_cmp(&b.1.resolution)
        };
        self.matrices
            .iter()
            .enumerate()
            .filter(|(_, m)| m.resolution >= limit)
            .min_by(finest)
            .or_else(|| self.matrices.iter().enumerate().max_by(finest))
            .map_or(0, |(i, _)| i)
    }
}

/// Tile indices `[floor(lo), ceil(hi) − 1]` clamped to `0..n`.
fn index_range(lo: f64, hi: f64, n: u64) -> std::ops::Range<u64> {
    if lo.is_nan() || hi.is_nan() || n == 0 {
        return 0..0;
    }
    let n_f = n as f64;
    let first = lo.floor().clamp(0.0, n_f);
    let last = (hi.ceil() - 1.0).max(lo.floor()).clamp(-1.0, n_f - 1.0);
    if last < first {
        return 0..0;
    }
    first as u64..last as u64 + 1
}

// ---------------------------------------------------------------------------
// URL templates

/// What fills the placeholders of a tile URL template.
#[derive(Clone, Copy, Debug)]
pub struct TileUrlVars<'a> {
    /// The matrix identifier (`{z}`, `{TileMatrix}`).
    pub matrix_id: &'a str,
    pub col: u64,
    pub row: u64,
    /// Rows in the matrix, for `{-y}` (TMS numbering from the bottom).
    pub matrix_height: u64,
    /// Subdomains for `{s}`, chosen by `(x + y) % n` so a tile always maps to
    /// the same host (good for HTTP caches).
    pub subdomains: &'a [String],
    /// WMTS `{Style}`.
    pub style: &'a str,
    /// WMTS `{TileMatrixSet}`.
    pub tile_matrix_set: &'a str,
}

/// Expands a tile URL (or path) template. Placeholders, case-insensitive as
/// WMTS clients treat them: `{z}`/`{TileMatrix}`, `{x}`/`{TileCol}`,
/// `{y}`/`{TileRow}`, `{-y}` (row counted from the bottom, as in OSGeo TMS),
/// `{s}` (a subdomain), `{quadkey}` (Bing Maps: needs a numeric matrix id),
/// `{Style}` and `{TileMatrixSet}` (OGC WMTS 1.0 §10.2.1 ResourceURL).
/// Anything else in braces is an error naming it, so a typo does not turn
/// into thousands of failing requests.
///
/// ```
/// use cim_core::imagery::tiles::{TileUrlVars, expand_tile_url};
/// let v = TileUrlVars { matrix_id: "3", col: 6, row: 2, matrix_height: 8,
///     subdomains: &["a".into(), "b".into()], style: "default", tile_matrix_set: "w" };
/// assert_eq!(expand_tile_url("https://{s}.t/{z}/{x}/{-y}.png", &v).unwrap(),
///            "https://a.t/3/6/5.png");
/// ```
pub fn expand_tile_url(template: &str, vars: &TileUrlVars<'_>) -> Result<String, TilesError> {
    let err = |detail: String| TilesError::Template {
        template: template.to_string(),
        detail,
    };
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| err("a '{' without its '}'".to_string()))?;
        let name = &after[..close];
        match name.to_ascii_lowercase().as_str() {
            "z" | "tilematrix" => out.push_str(vars.matrix_id),
            "x" | "tilecol" => out.push_str(&vars.col.to_string()),
            "y" | "tilerow" => out.push_str(&vars.row.to_string()),
            "-y" => {
                let flipped = vars
                    .matrix_height
                    .checked_sub(vars.row + 1)
                    .ok_or_else(|| err(format!("row {} is outside the matrix", vars.row)))?;
                out.push_str(&flipped.to_string());
            }
            "s" => {
                if vars.subdomains.is_empty() {
                    return Err(err("{s} needs a list of subdomains".to_string()));
                }
                let i = (vars.col.wrapping_add(vars.row) % vars.subdomains.len() as u64) as usize;
                out.push_str(&vars.subdomains[i]);
            }
            "quadkey" => {
                let level: u32 = vars.matrix_id.parse().map_err(|_| {
                    err(format!(
                        "{{quadkey}} needs a numeric zoom level, not matrix \"{}\"",
                        vars.matrix_id
                    ))
                })?;
                out.push_str(&quadkey(level, vars.col, vars.row));
            }
            "style" => out.push_str(vars.style),
            "tilematrixset" => out.push_str(vars.tile_matrix_set),
            _ => {
                return Err(err(format!(
                    "unknown placeholder {{{name}}} (known: z x y -y s quadkey TileMatrix \
                     TileRow TileCol Style TileMatrixSet)"
                )));
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Bing Maps quadkey of a tile: one base-4 digit per level, most significant
/// first, digit = x bit + 2 × y bit.
pub fn quadkey(level: u32, col: u64, row: u64) -> String {
    (1..=level)
        .rev()
        .map(|i| {
            let bit = 1u64 << (i - 1);
            let d = u8::from(col & bit != 0) + 2 * u8::from(row & bit != 0);
            char::from(b'0' + d)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// WMTS capabilities

/// What a WMTS 1.0 GetCapabilities document offers (the parts needed to
/// request tiles).
#[derive(Clone, Debug, PartialEq)]
pub struct WmtsCapabilities {
    pub layers: Vec<WmtsLayer>,
    pub tile_matrix_sets: Vec<TileMatrixSet>,
    /// The KVP GetTile endpoint (OperationsMetadata/GetTile/DCP/HTTP/Get
    /// href), for layers without a ResourceURL.
    pub get_tile_kvp: Option<String>,
}

/// One `Contents/Layer`.
#[derive(Clone, Debug, PartialEq)]
pub struct WmtsLayer {
    pub identifier: String,
    pub title: String,
    /// MIME types, e.g. `image/png`; Tianditu writes `tiles`.
    pub formats: Vec<String>,
    pub styles: Vec<WmtsStyle>,
    /// Identifiers of the tile matrix sets the layer is offered in.
    pub tile_matrix_sets: Vec<String>,
    /// REST templates of resourceType `tile`.
    pub resource_urls: Vec<WmtsResourceUrl>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WmtsStyle {
    pub identifier: String,
    pub is_default: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WmtsResourceUrl {
    pub format: String,
    pub template: String,
}

impl WmtsCapabilities {
    pub fn layer(&self, identifier: &str) -> Option<&WmtsLayer> {
        self.layers.iter().find(|l| l.identifier == identifier)
    }

    pub fn tile_matrix_set(&self, identifier: &str) -> Option<&TileMatrixSet> {
        self.tile_matrix_sets.iter().find(|s| s.id == identifier)
    }

    /// Resolves a request for `layer` into the tile matrix set and a URL
    /// template with only `{TileMatrix}`, `{TileRow}` and `{TileCol}` left
    /// (for [`expand_tile_url`]). Empty `style`, `tile_matrix_set` or
    /// `format` pick the layer's default style, its first matrix set and its
    /// first format. A ResourceURL (REST) is preferred; otherwise a KVP
    /// GetTile URL is built from OperationsMetadata (WMTS 1.0 §7.2.2).
    pub fn resolve(
        &self,
        layer: &str,
        style: &str,
        tile_matrix_set: &str,
        format: &str,
    ) -> Result<(TileMatrixSet, String), TilesError> {
        let l = self.layer(layer).ok_or_else(|| {
            TilesError::NotOffered(format!(
                "no layer \"{layer}\" (offered: {})",
                list(self.layers.iter().map(|l| l.identifier.as_str()))
            ))
        })?;
        let style = if style.is_empty() {
            l.styles
                .iter()
                .find(|s| s.is_default)
                .or(l.styles.first())
                .map_or("default", |s| s.identifier.as_str())
        } else {
            style
        };
        let set_id = if tile_matrix_set.is_empty() {
            l.tile_matrix_sets
                .first()
                .map(String::as_str)
                .ok_or_else(|| {
                    TilesError::Capabilities(format!("layer \"{layer}\" links no tile matrix set"))
                })?
        } else if l.tile_matrix_sets.iter().any(|s| s == tile_matrix_set) {
            tile_matrix_set
        } else {
            return Err(TilesError::NotOffered(format!(
                "layer \"{layer}\" is not offered in tile matrix set \"{tile_matrix_set}\" \
                 (offered: {})",
                list(l.tile_matrix_sets.iter().map(String::as_str))
            )));
        };
        let set = self.tile_matrix_set(set_id).ok_or_else(|| {
            TilesError::Capabilities(format!(
                "layer \"{layer}\" links tile matrix set \"{set_id}\", which is not defined"
            ))
        })?;
        let format = if format.is_empty() {
            l.resource_urls
                .first()
                .map(|r| r.format.as_str())
                .or(l.formats.first().map(String::as_str))
                .unwrap_or("image/png")
        } else {
            format
        };
        let vars_keep = |t: &str| -> String {
            // Fill Style and TileMatrixSet now; keep the per-tile placeholders.
            let mut out = String::new();
            let mut rest = t;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let Some(close) = rest[open..].find('}') else {
                    out.push_str(&rest[open..]);
                    rest = "";
                    break;
                };
                let ph = &rest[open..open + close + 1];
                match ph[1..ph.len() - 1].to_ascii_lowercase().as_str() {
                    "style" => out.push_str(style),
                    "tilematrixset" => out.push_str(set_id),
                    _ => out.push_str(ph),
                }
                rest = &rest[open + close + 1..];
            }
            out.push_str(rest);
            out
        };
        let template = if let Some(r) = l
            .resource_urls
            .iter()
            .find(|r| r.format.eq_ignore_ascii_case(format))
            .or(l.resource_urls.first().filter(|_| l.formats.is_empty()))
        {
            vars_keep(&r.template)
        } else if let Some(href) = &self.get_tile_kvp {
            let sep = if !href.contains('?') {
                "?"
            } else if href.ends_with('?') || href.ends_with('&') {
                ""
            } else {
                "&"
            };
            format!(
                "{href}{sep}SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={}&STYLE={}\
                 &TILEMATRIXSET={}&TILEMATRIX={{TileMatrix}}&TILEROW={{TileRow}}\
                 &TILECOL={{TileCol}}&FORMAT={}",
                query_escape(layer),
                query_escape(style),
                query_escape(set_id),
                query_escape(format)
            )
        } else {
            return Err(TilesError::Capabilities(format!(
                "layer \"{layer}\" has no ResourceURL for {format} and the document \
                 names no GetTile (KVP) endpoint"
            )));
        };
        Ok((set.clone(), template))
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Percent-encodes a KVP value (RFC 3986 unreserved characters, `/` and `:` kept).
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads a WMTS 1.0 GetCapabilities document (OGC 07-057r7 §7.1): layers
/// with their formats, styles, TileMatrixSetLinks and `tile` ResourceURLs;
/// tile matrix sets; the KVP GetTile endpoint. Elements are matched by local
/// name, so namespace prefixes do not matter.
///
/// Two conversions make the matrices usable as they are:
///
/// * **Axis order.** `TopLeftCorner` is in the CRS's registered axis order
///   (§6.1.1), so `90 -180` for EPSG:4326/4490 and northing first for the
///   CGCS2000 Gauss–Krüger CRSs; it is swapped to easting first. Some servers
///   ignore this (Tianditu's Web Mercator set "w" writes `20037508.34
///   -20037508.34`, northing first in an easting-first CRS; others write
///   `-180 90` for EPSG:4326): for world CRSs (geographic, Web Mercator) a
///   corner that cannot be a top-left corner of that world but is one when
///   swapped is swapped.
/// * **96 DPI scales.** The standard converts scale denominators with a
///   0.28 mm pixel. ArcGIS-style servers, Tianditu among them, use 96 DPI
///   (level 1 = 1 : 295 829 355.45 for 0.703125°/px). For world CRSs, a set
///   whose matrices span exactly the world width only at 96 DPI, and none at
///   0.28 mm, is read at 96 DPI.
///
/// `SupportedCRS` may be `EPSG:4490`, an OGC URN (`urn:ogc:def:crs:EPSG::4490`,
/// `urn:ogc:def:crs:OGC:1.3:CRS84`) or an OGC HTTP URI; the Web Mercator
/// aliases EPSG:900913/3785/102100/102113 become EPSG:3857.
pub fn parse_wmts_capabilities(xml: &str) -> Result<WmtsCapabilities, TilesError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| TilesError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Capabilities" {
        return Err(TilesError::Capabilities(format!(
            "the root element is <{}>, not <Capabilities>",
            root.tag_name().name()
        )));
    }
    let contents = child(root, "Contents")
        .ok_or_else(|| TilesError::Capabilities("no <Contents> element".to_string()))?;

    let mut layers = Vec::new();
    for l in children(contents, "Layer") {
        let identifier = child_text(l, "Identifier").ok_or_else(|| {
            TilesError::Capabilities("a <Layer> without <ows:Identifier>".to_string())
        })?;
        let styles = children(l, "Style")
            .filter_map(|s| {
                Some(WmtsStyle {
                    identifier: child_text(s, "Identifier")?,
                    is_default: s
                        .attribute("isDefault")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                })
            })
            .collect();
        let resource_urls = children(l, "ResourceURL")
            .filter(|r| {
                r.attribute("resourceType")
                    .is_none_or(|t| t.eq_ignore_ascii_case("tile"))
            })
            .filter_map(|r| {
                Some(WmtsResourceUrl {
                    format: r.attribute("format").unwrap_or_default().to_string(),
                    template: r.attribute("template")?.to_string(),
                })
            })
            .collect();
        layers.push(WmtsLayer {
            title: child_text(l, "Title").unwrap_or_else(|| identifier.clone()),
            identifier,
            formats: children(l, "Format").filter_map(text).collect(),
            styles,
            tile_matrix_sets: children(l, "TileMatrixSetLink")
                .filter_map(|link| child_text(link, "TileMatrixSet"))
                .collect(),
            resource_urls,
        });
    }

    let tile_matrix_sets = children(contents, "TileMatrixSet")
        .map(parse_tile_matrix_set)
        .collect::<Result<Vec<_>, _>>()?;

    let get_tile_kvp = root
        .descendants()
        .filter(|n| n.tag_name().name() == "Operation" && n.attribute("name") == Some("GetTile"))
        .flat_map(|op| op.descendants().filter(|n| n.tag_name().name() == "Get"))
        .find(|get| {
            // Without a GetEncoding constraint KVP is allowed (§7.1.1.1).
            let encodings: Vec<String> = get
                .descendants()
                .filter(|n| n.tag_name().name() == "Value")
                .filter_map(text)
                .collect();
            encodings.is_empty() || encodings.iter().any(|e| e.eq_ignore_ascii_case("KVP"))
        })
        .and_then(|get| {
            get.attributes()
                .find(|a| a.name() == "href")
                .map(|a| a.value().trim().to_string())
        });

    Ok(WmtsCapabilities {
        layers,
        tile_matrix_sets,
        get_tile_kvp,
    })
}

fn parse_tile_matrix_set(node: roxmltree::Node<'_, '_>) -> Result<TileMatrixSet, TilesError> {
    let id = child_text(node, "Identifier").ok_or_else(|| {
        TilesError::Capabilities("a <TileMatrixSet> without <ows:Identifier>".to_string())
    })?;
    let bad =
        |detail: String| TilesError::Capabilities(format!("tile matrix set \"{id}\": {detail}"));
    let crs_text =
        child_text(node, "SupportedCRS").ok_or_else(|| bad("no <ows:SupportedCRS>".to_string()))?;
    let crs = wmts_crs(&crs_text).map_err(|e| bad(format!("SupportedCRS \"{crs_text}\": {e}")))?;
    let geographic = is_geographic(&crs);
    let north_first = is_north_first(&crs);
    let world = world_extent(&crs, geographic);

    struct Raw {
        id: String,
        scale: f64,
        corner: (f64, f64),
        tw: u32,
        th: u32,
        mw: u64,
        mh: u64,
    }
    let mut raws = Vec::new();
    for m in children(node, "TileMatrix") {
        let mid = child_text(m, "Identifier")
            .ok_or_else(|| bad("a <TileMatrix> without <ows:Identifier>".to_string()))?;
        let field = |name: &'static str| -> Result<String, TilesError> {
            child_text(m, name).ok_or_else(|| bad(format!("tile matrix \"{mid}\" has no <{name}>")))
        };
        let num = |name: &'static str| -> Result<f64, TilesError> {
            let t = field(name)?;
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| {
                    bad(format!(
                        "tile matrix \"{mid}\": <{name}> \"{t}\" is not a positive number"
                    ))
                })
        };
        let int = |name: &'static str| -> Result<u64, TilesError> {
            let t = field(name)?;
            t.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                bad(format!(
                    "tile matrix \"{mid}\": <{name}> \"{t}\" is not a positive whole number"
                ))
            })
        };
        let corner_text = field("TopLeftCorner")?;
        let nums: Vec<f64> = corner_text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| {
                bad(format!(
                    "tile matrix \"{mid}\": TopLeftCorner \"{corner_text}\" is not two numbers"
                ))
            })?;
        let [a, b] = nums[..] else {
            return Err(bad(format!(
                "tile matrix \"{mid}\": TopLeftCorner \"{corner_text}\" is not two numbers"
            )));
        };
        let mut corner = if north_first { (b, a) } else { (a, b) };
        if let Some(w) = world
            && !is_top_left_of(corner, w)
            && is_top_left_of((corner.1, corner.0), w)
        {
            corner = (corner.1, corner.0);
        }
        let tw = int("TileWidth")?;
        let th = int("TileHeight")?;
        if tw > 65_536 || th > 65_536 {
            return Err(bad(format!(
                "tile matrix \"{mid}\": tiles of {tw} × {th} px"
            )));
        }
        raws.push(Raw {
            scale: num("ScaleDenominator")?,
            corner,
            tw: tw as u32,
            th: th as u32,
            mw: int("MatrixWidth")?,
            mh: int("MatrixHeight")?,
            id: mid,
        });
    }
    if raws.is_empty() {
        return Err(bad("no <TileMatrix>".to_string()));
    }

    let mpu = metres_per_unit(geographic);
    let pixel = match world {
        Some(w) => {
            let spans_world = |pixel: f64, r: &Raw| {
                let width = r.scale * pixel / mpu * f64::from(r.tw) * r.mw as f64;
                ((width / (w[2] - w[0])) - 1.0).abs() < 1e-6
            };
            let standard = raws.iter().any(|r| spans_world(STANDARD_PIXEL_SIZE_M, r));
            let dpi96 = raws.iter().any(|r| spans_world(PIXEL_SIZE_96_DPI_M, r));
            if dpi96 && !standard {
                PIXEL_SIZE_96_DPI_M
            } else {
                STANDARD_PIXEL_SIZE_M
            }
        }
        None => STANDARD_PIXEL_SIZE_M,
    };
    let matrices = raws
        .into_iter()
        .map(|r| TileMatrix {
            id: r.id,
            resolution: r.scale * pixel / mpu,
            top_left: r.corner,
            tile_width: r.tw,
            tile_height: r.th,
            matrix_width: r.mw,
            matrix_height: r.mh,
        })
        .collect();
    Ok(TileMatrixSet { id, crs, matrices })
}

/// `[min x, min y, max x, max y]` of the world in CRSs whose world is known.
fn world_extent(crs: &CrsDef, geographic: bool) -> Option<[f64; 4]> {
    if geographic {
        Some([-180.0, -90.0, 180.0, 90.0])
    } else if *crs == CrsDef::Code("EPSG:3857".to_string()) {
        let h = WEB_MERCATOR_HALF_EXTENT;
        Some([-h, -h, h, h])
    } else {
        None
    }
}

/// Whether `p` can be the top-left corner of a matrix inside `world`.
fn is_top_left_of(p: (f64, f64), world: [f64; 4]) -> bool {
    let tol = (world[2] - world[0]) * 1e-6;
    p.0 >= world[0] - tol && p.0 < world[2] - tol && p.1 > world[1] + tol && p.1 <= world[3] + tol
}

/// A WMTS `SupportedCRS` as a [`CrsDef`].
fn wmts_crs(s: &str) -> Result<CrsDef, crate::crs::CrsError> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    // urn:ogc:def:crs:AUTH:[version]:CODE and http(s)://www.opengis.net/def/crs/AUTH/version/CODE
    let parts: Option<(String, String)> = if lower.starts_with("urn:ogc:def:crs:") {
        let p: Vec<&str> = s.split(':').collect();
        (p.len() >= 6).then(|| (p[4].to_string(), p[p.len() - 1].to_string()))
    } else if lower.contains("opengis.net/def/crs/") {
        let p: Vec<&str> = s.trim_end_matches('/').split('/').collect();
        (p.len() >= 3).then(|| (p[p.len() - 3].to_string(), p[p.len() - 1].to_string()))
    } else {
        None
    };
    let text = match parts {
        Some((auth, code)) => format!("{}:{code}", auth.to_ascii_uppercase()),
        None => s.to_string(),
    };
    let def = CrsDef::parse_syntax(&text)?;
    Ok(match &def {
        CrsDef::Code(c)
            if matches!(
                c.as_str(),
                "EPSG:900913"
                    | "EPSG:3785"
                    | "EPSG:102100"
                    | "EPSG:102113"
                    | "ESRI:102100"
                    | "ESRI:102113"
            ) =>
        {
            CrsDef::Code("EPSG:3857".to_string())
        }
        _ => def,
    })
}

fn children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> Option<roxmltree::Node<'a, 'i>> {
    children(node, name).next()
}

fn text(node: roxmltree::Node<'_, '_>) -> Option<String> {
    let t = node.text()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &'static str) -> Option<String> {
    child(node, name).and_then(text)
}

#[cfg(test)]
mod tests;
