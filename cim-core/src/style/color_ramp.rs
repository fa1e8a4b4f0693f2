//! Named colour ramps and categorical palettes, as QGIS and matplotlib offer
//! them, for thematic maps and DEM colouring.
//!
//! A [`ColorRamp`] is a list of sRGB stops on `t ∈ [0, 1]`, sampled by
//! piecewise-linear interpolation of the 8-bit sRGB components (what
//! matplotlib's `LinearSegmentedColormap` and QGIS's gradient ramps do). The
//! stop lists are the published ones:
//!
//! * `viridis`, `magma`, `plasma`: matplotlib's perceptually uniform maps
//!   (van der Walt & Smith, 2015), nine evenly spaced samples of the 256-entry
//!   tables; the in-between error is below 2/255 per channel.
//! * `turbo`: Google's improved rainbow (Mikhailov, 2019), 33 entries of
//!   the published 256-entry table.
//! * `spectral`, `YlOrRd`, `Blues`, `Greens`, `Reds`, `RdYlGn`, `RdBu`,
//!   `greys`: ColorBrewer (Brewer & Harrower, colorbrewer2.org), the largest
//!   published class count (9 sequential, 11 diverging).
//! * `terrain`: a hypsometric tint in the tradition of Imhof's relief maps:
//!   green lowlands → yellow-tan → brown → grey rock → white peaks.
//!
//! Names are matched case-insensitively and a `_r` suffix gives the reversed
//! ramp, as in matplotlib:
//!
//! ```
//! use cim_core::style::color_ramp::ColorRamp;
//! let v = ColorRamp::by_name("viridis").unwrap();
//! assert_eq!(v.sample(0.0), [0x44, 0x01, 0x54, 255]);
//! assert_eq!(v.sample(1.0), [0xfd, 0xe7, 0x25, 255]);
//! assert_eq!(ColorRamp::by_name("Viridis_r").unwrap().sample(0.0), [0xfd, 0xe7, 0x25, 255]);
//! assert!(ColorRamp::by_name("no-such-ramp").is_none());
//! ```
//!
//! For categories, [`categorical_color`] cycles through ColorBrewer `Set3`
//! followed by `Paired` (24 colours), and [`cim_category_color`] knows the
//! usual CIM land-use categories (住宅, 商业, 办公 …) in both languages.

/// A colour ramp: sRGB stops at increasing positions in `[0, 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColorRamp {
    name: String,
    stops: Vec<(f32, [u8; 4])>,
}

/// The built-in ramp names, in the order a UI should list them.
const NAMES: &[&str] = &[
    "viridis", "magma", "plasma", "turbo", "spectral", "YlOrRd", "Blues", "Greens", "Reds",
    "RdYlGn", "RdBu", "greys", "terrain",
];

const VIRIDIS: &[u32] = &[
    0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21908c, 0x27ad81, 0x5dc863, 0xaadc32, 0xfde725,
];
const MAGMA: &[u32] = &[
    0x000004, 0x1d1147, 0x51127c, 0x832681, 0xb73779, 0xe75263, 0xfc8961, 0xfec488, 0xfcfdbf,
];
const PLASMA: &[u32] = &[
    0x0d0887, 0x4c02a1, 0x7e03a8, 0xaa2395, 0xcc4778, 0xe66c5c, 0xf89540, 0xfdc527, 0xf0f921,
];
const SPECTRAL: &[u32] = &[
    0x9e0142, 0xd53e4f, 0xf46d43, 0xfdae61, 0xfee08b, 0xffffbf, 0xe6f598, 0xabdda4, 0x66c2a5,
    0x3288bd, 0x5e4fa2,
];
const YLORRD: &[u32] = &[
    0xffffcc, 0xffeda0, 0xfed976, 0xfeb24c, 0xfd8d3c, 0xfc4e2a, 0xe31a1c, 0xbd0026, 0x800026,
];
const BLUES: &[u32] = &[
    0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b,
];
const GREENS: &[u32] = &[
    0xf7fcf5, 0xe5f5e0, 0xc7e9c0, 0xa1d99b, 0x74c476, 0x41ab5d, 0x238b45, 0x006d2c, 0x00441b,
];
const REDS: &[u32] = &[
    0xfff5f0, 0xfee0d2, 0xfcbba1, 0xfc9272, 0xfb6a4a, 0xef3b2c, 0xcb181d, 0xa50f15, 0x67000d,
];
const RDYLGN: &[u32] = &[
    0xa50026, 0xd73027, 0xf46d43, 0xfdae61, 0xfee08b, 0xffffbf, 0xd9ef8b, 0xa6d96a, 0x66bd63,
    0x1a9850, 0x006837,
];
const RDBU: &[u32] = &[
    0x67001f, 0xb2182b, 0xd6604d, 0xf4a582, 0xfddbc7, 0xf7f7f7, 0xd1e5f0, 0x92c5de, 0x4393c3,
    0x2166ac, 0x053061,
];
const GREYS: &[u32] = &[
    0xffffff, 0xf0f0f0, 0xd9d9d9, 0xbdbdbd, 0x969696, 0x737373, 0x525252, 0x252525, 0x000000,
];
/// Hypsometric tint: (position, colour).
const TERRAIN: &[(f32, u32)] = &[
    (0.00, 0x2e7d46), // deep green lowland
    (0.15, 0x5f9e4f),
    (0.30, 0xa3c06e), // light green
    (0.45, 0xe3d9a0), // tan
    (0.60, 0xc7a16b), // light brown
    (0.75, 0x94704c), // brown
    (0.88, 0xa9a29c), // grey rock
    (1.00, 0xffffff), // snow
];

/// ColorBrewer `Set3` (12) followed by `Paired` (12): the categorical palette.
const CATEGORICAL: [u32; 24] = [
    0x8dd3c7, 0xffffb3, 0xbebada, 0xfb8072, 0x80b1d3, 0xfdb462, 0xb3de69, 0xfccde5, 0xd9d9d9,
    0xbc80bd, 0xccebc5, 0xffed6f, // Set3
    0xa6cee3, 0x1f78b4, 0xb2df8a, 0x33a02c, 0xfb9a99, 0xe31a1c, 0xfdbf6f, 0xff7f00, 0xcab2d6,
    0x6a3d9a, 0xffff99, 0xb15928, // Paired
];

fn rgb(c: u32) -> [u8; 4] {
    [(c >> 16) as u8, (c >> 8) as u8, c as u8, 255]
}

/// Google's Turbo (Mikhailov 2019, Apache-2.0): every 8th entry of the
/// published 256-entry sRGB table plus the last, as (table index, colour).
/// Linear interpolation between them stays within 3/255 of the full table.
const TURBO: &[(u8, u32)] = &[
    (0, 0x30123b),
    (8, 0x392a73),
    (16, 0x4040a2),
    (24, 0x4456c7),
    (32, 0x466be3),
    (40, 0x4680f6),
    (48, 0x4294ff),
    (56, 0x37a8fa),
    (64, 0x28bceb),
    (72, 0x1ccdd8),
    (80, 0x18ddc2),
    (88, 0x1fe9af),
    (96, 0x32f298),
    (104, 0x4ef97d),
    (112, 0x6dfe62),
    (120, 0x8bff4b),
    (128, 0xa4fc3c),
    (136, 0xb9f635),
    (144, 0xcdec34),
    (152, 0xdfdf37),
    (160, 0xeecf3a),
    (168, 0xf8be39),
    (176, 0xfdac34),
    (184, 0xfe962b),
    (192, 0xfb7e21),
    (200, 0xf46617),
    (208, 0xeb500e),
    (216, 0xdf3f08),
    (224, 0xd02f05),
    (232, 0xbe2102),
    (240, 0xa91601),
    (248, 0x920b01),
    (255, 0x7a0403),
];

impl ColorRamp {
    /// A ramp from explicit stops. Positions are clamped to `[0, 1]` and
    /// must not decrease; `None` when there are no stops or they decrease.
    pub fn new(name: impl Into<String>, stops: Vec<(f32, [u8; 4])>) -> Option<ColorRamp> {
        let ok = !stops.is_empty()
            && stops.iter().all(|(t, _)| t.is_finite())
            && stops.windows(2).all(|w| w[0].0 <= w[1].0);
        ok.then(|| ColorRamp {
            name: name.into(),
            stops: stops
                .into_iter()
                .map(|(t, c)| (t.clamp(0.0, 1.0), c))
                .collect(),
        })
    }

    /// A ramp through `colors` at even spacing (`None` when empty).
    pub fn from_colors(name: impl Into<String>, colors: &[[u8; 4]]) -> Option<ColorRamp> {
        let n = colors.len();
        let denom = (n.max(2) - 1) as f32;
        let stops = colors
            .iter()
            .enumerate()
            .map(|(i, c)| (i as f32 / denom, *c))
            .collect();
        ColorRamp::new(name, stops)
    }

    /// A built-in ramp by name (case-insensitive; a `_r` suffix reverses it).
    pub fn by_name(name: &str) -> Option<ColorRamp> {
        let trimmed = name.trim();
        if let Some(base) = trimmed
            .strip_suffix("_r")
            .or_else(|| trimmed.strip_suffix("_R"))
        {
            return ColorRamp::by_name(base).map(|r| r.reversed());
        }
        let canonical = *NAMES.iter().find(|n| n.eq_ignore_ascii_case(trimmed))?;
        let even = |hex: &[u32]| {
            let colors: Vec<[u8; 4]> = hex.iter().map(|&c| rgb(c)).collect();
            ColorRamp::from_colors(canonical, &colors)
        };
        match canonical {
            "viridis" => even(VIRIDIS),
            "magma" => even(MAGMA),
            "plasma" => even(PLASMA),
            "spectral" => even(SPECTRAL),
            "YlOrRd" => even(YLORRD),
            "Blues" => even(BLUES),
            "Greens" => even(GREENS),
            "Reds" => even(REDS),
            "RdYlGn" => even(RDYLGN),
            "RdBu" => even(RDBU),
            "greys" => even(GREYS),
            "turbo" => ColorRamp::new(
                canonical,
                TURBO
                    .iter()
                    .map(|&(i, c)| (i as f32 / 255.0, rgb(c)))
                    .collect(),
            ),
            "terrain" => ColorRamp::new(
                canonical,
                TERRAIN.iter().map(|&(t, c)| (t, rgb(c))).collect(),
            ),
            _ => None,
        }
    }

    /// The built-in ramp names (each also available reversed with `_r`).
    pub fn names() -> &'static [&'static str] {
        NAMES
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn stops(&self) -> &[(f32, [u8; 4])] {
        &self.stops
    }

    /// The colour at `t` (clamped to `[0, 1]`; NaN reads as 0).
    pub fn sample(&self, t: f32) -> [u8; 4] {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let s = &self.stops;
        // First stop at or after t.
        let i = s.partition_point(|(p, _)| *p < t);
        if i == 0 {
            return s[0].1;
        }
        if i == s.len() {
            return s[s.len() - 1].1;
        }
        let (p0, c0) = s[i - 1];
        let (p1, c1) = s[i];
        let f = if p1 > p0 { (t - p0) / (p1 - p0) } else { 1.0 };
        std::array::from_fn(|k| (c0[k] as f32 + (c1[k] as f32 - c0[k] as f32) * f).round() as u8)
    }

    /// `n` colours evenly spread from one end of the ramp to the other (the
    /// middle for `n == 1`): the class colours of a graduated map.
    pub fn classes(&self, n: usize) -> Vec<[u8; 4]> {
        match n {
            0 => Vec::new(),
            1 => vec![self.sample(0.5)],
            _ => (0..n)
                .map(|i| self.sample(i as f32 / (n - 1) as f32))
                .collect(),
        }
    }

    /// The same ramp running the other way (name gets/loses `_r`).
    pub fn reversed(&self) -> ColorRamp {
        let name = match self.name.strip_suffix("_r") {
            Some(base) => base.to_owned(),
            None => format!("{}_r", self.name),
        };
        ColorRamp {
            name,
            stops: self
                .stops
                .iter()
                .rev()
                .map(|&(t, c)| (1.0 - t, c))
                .collect(),
        }
    }
}

/// Number of colours in the categorical palette.
pub const CATEGORICAL_LEN: usize = CATEGORICAL.len();

/// The `i`-th categorical colour (ColorBrewer Set3 then Paired, cycling).
///
/// ```
/// use cim_core::style::color_ramp::{categorical_color, CATEGORICAL_LEN};
/// assert_eq!(categorical_color(0), [0x8d, 0xd3, 0xc7, 255]);
/// assert_eq!(categorical_color(CATEGORICAL_LEN), categorical_color(0));
/// ```
pub fn categorical_color(i: usize) -> [u8; 4] {
    rgb(CATEGORICAL[i % CATEGORICAL.len()])
}

/// The colour of a well-known CIM land-use category (Chinese or English
/// name), or of the empty value; `None` for anything else.
pub fn cim_category_color(value: &str) -> Option<[u8; 4]> {
    Some(match value {
        "住宅" | "residential" | "Residential" => [226, 214, 190, 255],
        "商业" | "commercial" | "Commercial" => [222, 160, 110, 255],
        "办公" | "office" | "Office" => [150, 176, 206, 255],
        "工业" | "industrial" | "Industrial" => [170, 170, 165, 255],
        "学校" | "school" | "School" | "教育" => [214, 130, 120, 255],
        "" => NULL_COLOR,
        _ => return None,
    })
}

/// The colour for missing values (null, empty, NaN).
pub const NULL_COLOR: [u8; 4] = [205, 205, 200, 255];

/// A category's colour without any context: the CIM table, else a stable
/// pastel from an FNV-1a hash of the value (the viewer's historical
/// behaviour for `category_field`).
///
/// ```
/// use cim_core::style::color_ramp::category_color;
/// assert_eq!(category_color("住宅"), [226, 214, 190, 255]);
/// assert_eq!(category_color("湿地"), category_color("湿地"));
/// ```
pub fn category_color(value: &str) -> [u8; 4] {
    cim_category_color(value).unwrap_or_else(|| {
        let h = value
            .bytes()
            .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
        [
            150 + (h & 0x5f) as u8,
            150 + ((h >> 8) & 0x5f) as u8,
            150 + ((h >> 16) & 0x5f) as u8,
            255,
        ]
    })
}

/// `#rrggbb` (or `#rrggbbaa` when not opaque), the inverse of
/// [`crate::scene::parse_hex_color`].
pub fn to_hex(c: [u8; 4]) -> String {
    if c[3] == 255 {
        format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
    } else {
        format!("#{:02x}{:02x}{:02x}{:02x}", c[0], c[1], c[2], c[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::parse_hex_color;

    #[test]
    fn every_named_ramp_exists_and_has_its_published_ends() {
        for name in ColorRamp::names() {
            let r = ColorRamp::by_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(r.name(), *name);
            assert!(r.stops().len() >= 2, "{name}");
            assert_eq!(r.stops().first().unwrap().0, 0.0, "{name}");
            assert_eq!(r.stops().last().unwrap().0, 1.0, "{name}");
            let rev = ColorRamp::by_name(&format!("{name}_r")).unwrap();
            assert_eq!(rev.name(), format!("{name}_r"));
            let back = rev.reversed();
            assert_eq!(back.name(), *name);
            for i in 0..=20 {
                let t = i as f32 / 20.0;
                // Equal up to rounding of half-way values.
                let close = |a: [u8; 4], b: [u8; 4]| (0..4).all(|k| a[k].abs_diff(b[k]) <= 1);
                assert!(close(rev.sample(1.0 - t), r.sample(t)), "{name} {t}");
                assert!(close(back.sample(t), r.sample(t)), "{name} {t}");
            }
        }
        let ends = |n: &str| {
            let r = ColorRamp::by_name(n).unwrap();
            (to_hex(r.sample(0.0)), to_hex(r.sample(1.0)))
        };
        assert_eq!(ends("YlOrRd"), ("#ffffcc".into(), "#800026".into()));
        assert_eq!(ends("blues"), ("#f7fbff".into(), "#08306b".into()));
        assert_eq!(ends("RDYLGN"), ("#a50026".into(), "#006837".into()));
        assert_eq!(ends("greys"), ("#ffffff".into(), "#000000".into()));
        assert_eq!(ends("magma"), ("#000004".into(), "#fcfdbf".into()));
        assert_eq!(ends("terrain").1, "#ffffff");
    }

    #[test]
    fn sampling_interpolates_between_stops() {
        let r = ColorRamp::from_colors("bw", &[[0, 0, 0, 255], [200, 100, 50, 255]]).unwrap();
        assert_eq!(r.sample(0.5), [100, 50, 25, 255]);
        assert_eq!(r.sample(-3.0), [0, 0, 0, 255]);
        assert_eq!(r.sample(7.0), [200, 100, 50, 255]);
        assert_eq!(r.sample(f32::NAN), [0, 0, 0, 255]);
        // Midpoint of viridis is its 5th stop exactly.
        let v = ColorRamp::by_name("viridis").unwrap();
        assert_eq!(to_hex(v.sample(0.5)), "#21908c");
        // Hard step: two stops at the same position.
        let step = ColorRamp::new(
            "step",
            vec![
                (0.0, [0, 0, 0, 255]),
                (0.5, [0, 0, 0, 255]),
                (0.5, [255, 255, 255, 255]),
                (1.0, [255, 255, 255, 255]),
            ],
        )
        .unwrap();
        assert_eq!(step.sample(0.49), [0, 0, 0, 255]);
        assert_eq!(step.sample(0.51), [255, 255, 255, 255]);
        assert!(ColorRamp::new("bad", vec![(0.5, [0; 4]), (0.2, [0; 4])]).is_none());
        assert!(ColorRamp::new("empty", vec![]).is_none());
        assert_eq!(v.classes(3)[1], v.sample(0.5));
        assert_eq!(v.classes(1), vec![v.sample(0.5)]);
    }

    #[test]
    fn turbo_runs_dark_blue_through_green_to_dark_red() {
        let t = ColorRamp::by_name("turbo").unwrap();
        let [r0, g0, b0, _] = t.sample(0.0);
        assert!(b0 > r0 && b0 > g0, "{:?}", t.sample(0.0));
        let [r5, g5, b5, _] = t.sample(0.5);
        assert!(g5 > r5 && g5 > b5, "{:?}", t.sample(0.5));
        let [r1, g1, b1, _] = t.sample(1.0);
        assert!(r1 > 100 && r1 > 4 * g1.max(b1), "{:?}", t.sample(1.0));
        assert_eq!(to_hex(t.sample(0.0)), "#30123b");
        assert_eq!(to_hex(t.sample(128.0 / 255.0)), "#a4fc3c");
    }

    #[test]
    fn terrain_goes_green_to_brown_to_white() {
        let t = ColorRamp::by_name("terrain").unwrap();
        let [r, g, b, _] = t.sample(0.05);
        assert!(g > r && g > b);
        let [r, g, b, _] = t.sample(0.72);
        assert!(r > g && g > b);
        assert_eq!(t.sample(1.0), [255, 255, 255, 255]);
    }

    #[test]
    fn categorical_palette_is_distinct_and_hex_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..CATEGORICAL_LEN {
            let c = categorical_color(i);
            assert!(seen.insert(c), "duplicate {c:?}");
            assert_eq!(parse_hex_color(&to_hex(c)), Some(c));
        }
        const { assert!(CATEGORICAL_LEN >= 12) };
        assert_eq!(parse_hex_color(&to_hex([1, 2, 3, 4])), Some([1, 2, 3, 4]));
        assert_eq!(cim_category_color("Office"), cim_category_color("办公"));
        assert_eq!(cim_category_color("湿地"), None);
        let c = category_color("湿地");
        assert!(c[..3].iter().all(|&v| (150..=245).contains(&v)), "{c:?}");
    }
}
