//! Utility lines as corridor analyses see them: what each carries, how it
//! is laid, its cross-section and its centre line in 3D.
//!
//! The classes are GB 50289-2016's (城市工程管线综合规划规范): water
//! supply, drainage (sewer and storm together), reclaimed water, gas by
//! pressure class, heat, power and telecom — the rows of its clearance
//! tables. Names are read as CJJ 61-2017 (城市地下管线探测技术规程,
//! appendix B) writes them — 给水/JS, 排水/PS (雨水 YS, 污水 WS, 合流 HS),
//! 燃气/RQ, 热力/RL, 电力/DL, 通信/TX — or in English.

use glam::{DVec2, DVec3};
use serde::Serialize;
use std::fmt;

/// What a line carries (GB 50289-2016's utility classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Utility {
    /// 给水 (potable and fire water).
    Water,
    /// 排水: sewer, storm or combined (GB 50289 gives them one row).
    Drainage,
    /// 再生水 (中水).
    Reclaimed,
    /// 燃气.
    Gas,
    /// 热力 (hot water or steam).
    Heat,
    /// 电力.
    Power,
    /// 通信.
    Telecom,
}

impl Utility {
    pub const ALL: [Utility; 7] = [
        Utility::Water,
        Utility::Drainage,
        Utility::Reclaimed,
        Utility::Gas,
        Utility::Heat,
        Utility::Power,
        Utility::Telecom,
    ];

    /// The name rule tables and JSON use (`water`, `drainage` …).
    pub fn key(self) -> &'static str {
        match self {
            Utility::Water => "water",
            Utility::Drainage => "drainage",
            Utility::Reclaimed => "reclaimed",
            Utility::Gas => "gas",
            Utility::Heat => "heat",
            Utility::Power => "power",
            Utility::Telecom => "telecom",
        }
    }

    /// The Chinese name drawings label it with.
    pub fn name_zh(self) -> &'static str {
        match self {
            Utility::Water => "给水",
            Utility::Drainage => "排水",
            Utility::Reclaimed => "再生水",
            Utility::Gas => "燃气",
            Utility::Heat => "热力",
            Utility::Power => "电力",
            Utility::Telecom => "通信",
        }
    }

    /// CJJ 61-2017 appendix B's colour for the class (sRGB); reclaimed
    /// water, a 给水 subclass there (中水), shares its sky blue.
    pub fn color(self) -> [u8; 3] {
        match self {
            Utility::Water | Utility::Reclaimed => [0, 255, 255],
            Utility::Drainage => [76, 57, 38],
            Utility::Gas => [255, 0, 255],
            Utility::Heat => [255, 128, 0],
            Utility::Power => [255, 0, 0],
            Utility::Telecom => [0, 255, 0],
        }
    }

    /// Reads a class name as surveys write it: Chinese names and CJJ 61
    /// codes (大类 and 小类), or English. `None` when it is none of these.
    ///
    /// ```
    /// use cim_core::pipes::corridor::Utility;
    /// assert_eq!(Utility::parse("污水"), Some(Utility::Drainage));
    /// assert_eq!(Utility::parse("RQ"), Some(Utility::Gas));
    /// assert_eq!(Utility::parse("Telecom"), Some(Utility::Telecom));
    /// assert_eq!(Utility::parse("road"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Utility> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
        // Reclaimed before water: 中水 and 再生水 contain 水.
        if has(&["再生水", "中水"]) || matches!(lower.as_str(), "zs" | "reclaimed" | "recycled")
        {
            return Some(Utility::Reclaimed);
        }
        if has(&["排水", "污水", "雨水", "合流"])
            || matches!(
                lower.as_str(),
                "ps" | "ys"
                    | "ws"
                    | "hs"
                    | "drainage"
                    | "sewer"
                    | "storm"
                    | "wastewater"
                    | "combined"
            )
        {
            return Some(Utility::Drainage);
        }
        if has(&["给水", "供水", "上水", "自来水", "消防水", "输水", "配水"])
            || matches!(
                lower.as_str(),
                "js" | "jy" | "ss" | "jp" | "water" | "water_supply" | "water supply" | "potable"
            )
        {
            return Some(Utility::Water);
        }
        if has(&["燃气", "煤气", "天然气", "液化气"])
            || matches!(lower.as_str(), "rq" | "mq" | "tr" | "yh" | "gas")
        {
            return Some(Utility::Gas);
        }
        if has(&["热力", "供热", "热水", "蒸汽"])
            || matches!(
                lower.as_str(),
                "rl" | "rs" | "zq" | "heat" | "heating" | "district_heating" | "steam"
            )
        {
            return Some(Utility::Heat);
        }
        if has(&["电力", "供电", "路灯", "交通信号"])
            || matches!(
                lower.as_str(),
                "dl" | "gd" | "ld" | "xh" | "power" | "electric" | "electricity"
            )
        {
            return Some(Utility::Power);
        }
        if has(&["通信", "电信", "电话", "有线电视", "信息网络", "广播"])
            || matches!(
                lower.as_str(),
                "tx" | "dx"
                    | "dh"
                    | "ds"
                    | "xx"
                    | "telecom"
                    | "communication"
                    | "communications"
                    | "fibre"
                    | "fiber"
            )
        {
            return Some(Utility::Telecom);
        }
        None
    }

    /// The class a layer's name gives (`给水管线`, `gas_mains`, `雨水-2024`):
    /// the whole name, else its first word that names one.
    ///
    /// ```
    /// use cim_core::pipes::corridor::Utility;
    /// assert_eq!(Utility::from_name("gas_mains"), Some(Utility::Gas));
    /// assert_eq!(Utility::from_name("雨水管线"), Some(Utility::Drainage));
    /// assert_eq!(Utility::from_name("roads"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Utility> {
        Utility::parse(name).or_else(|| name.split(['_', '-', '.', ' ']).find_map(Utility::parse))
    }
}

impl fmt::Display for Utility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Gas pressure classes of GB 50028 that GB 50289's gas rows follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GasPressure {
    /// 低压, below 0.01 MPa.
    Low,
    /// 中压 B, 0.01–0.2 MPa.
    MediumB,
    /// 中压 A, 0.2–0.4 MPa.
    MediumA,
    /// 次高压 B, 0.4–0.8 MPa.
    SubHighB,
    /// 次高压 A, 0.8–1.6 MPa.
    SubHighA,
}

impl GasPressure {
    pub fn key(self) -> &'static str {
        match self {
            GasPressure::Low => "low",
            GasPressure::MediumB => "medium-b",
            GasPressure::MediumA => "medium-a",
            GasPressure::SubHighB => "sub-high-b",
            GasPressure::SubHighA => "sub-high-a",
        }
    }

    /// From a class name (`低压`, `中压A`, `次高压B`, `medium-a` …) or a
    /// gauge pressure in MPa (`0.35`).
    ///
    /// ```
    /// use cim_core::pipes::corridor::GasPressure;
    /// assert_eq!(GasPressure::parse("中压A"), Some(GasPressure::MediumA));
    /// assert_eq!(GasPressure::parse("0.35"), Some(GasPressure::MediumA));
    /// assert_eq!(GasPressure::parse("low"), Some(GasPressure::Low));
    /// ```
    pub fn parse(s: &str) -> Option<GasPressure> {
        let t = s.trim().replace([' ', '_'], "-").to_ascii_lowercase();
        if let Ok(mpa) = t.trim_end_matches("mpa").parse::<f64>() {
            return match mpa {
                p if !(0.0..=1.6).contains(&p) => None,
                p if p < 0.01 => Some(GasPressure::Low),
                p if p <= 0.2 => Some(GasPressure::MediumB),
                p if p <= 0.4 => Some(GasPressure::MediumA),
                p if p <= 0.8 => Some(GasPressure::SubHighB),
                _ => Some(GasPressure::SubHighA),
            };
        }
        let grade_a = t.ends_with('a');
        if t.starts_with("次高压") || t.starts_with("sub-high") {
            Some(if grade_a {
                GasPressure::SubHighA
            } else {
                GasPressure::SubHighB
            })
        } else if t.starts_with("中压") || t.starts_with("medium") {
            Some(if grade_a {
                GasPressure::MediumA
            } else {
                GasPressure::MediumB
            })
        } else if t.starts_with("低压") || t == "low" {
            Some(GasPressure::Low)
        } else {
            None
        }
    }
}

/// How a line is laid: straight in the soil, or inside a protective pipe,
/// duct bank or trench (GB 50289 distinguishes them for power and
/// telecom, and for heat).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Laying {
    /// 直埋.
    Direct,
    /// 保护管 / 排管 / 管块 / 管沟 / 通道.
    Protected,
}

impl Laying {
    pub fn parse(s: &str) -> Option<Laying> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if t.contains("直埋") || matches!(lower.as_str(), "direct" | "buried" | "direct_buried") {
            Some(Laying::Direct)
        } else if [
            "保护管",
            "套管",
            "排管",
            "管块",
            "管沟",
            "沟道",
            "通道",
            "管道",
            "隧道",
        ]
        .iter()
        .any(|w| t.contains(w))
            || matches!(
                lower.as_str(),
                "conduit" | "duct" | "protected" | "trench" | "tunnel" | "sleeve"
            )
        {
            Some(Laying::Protected)
        } else {
            None
        }
    }
}

/// A line's outer cross-section.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Section {
    /// A pipe of this outer diameter.
    Circle { diameter_m: f64 },
    /// A box culvert, duct bank or trench, width across and height.
    Rect { width_m: f64, height_m: f64 },
}

impl Section {
    /// Half the plan width: centre line to outer wall, sideways.
    pub fn half_width(&self) -> f64 {
        match *self {
            Section::Circle { diameter_m } => diameter_m / 2.0,
            Section::Rect { width_m, .. } => width_m / 2.0,
        }
    }

    /// Half the height: centre line to outer top or bottom.
    pub fn half_height(&self) -> f64 {
        match *self {
            Section::Circle { diameter_m } => diameter_m / 2.0,
            Section::Rect { height_m, .. } => height_m / 2.0,
        }
    }

    /// The size class name tables use: the diameter in millimetres of a
    /// pipe (its width for a box).
    pub fn size_mm(&self) -> f64 {
        self.half_width() * 2000.0
    }

    /// Reads a size as pipe surveys write it, in millimetres: `300`,
    /// `DN300`, `Φ300`, `d=300`, or a box `400×300` / `400X300` /
    /// `400*300` (width × height). `None` for anything else or for sizes
    /// outside 1 mm – 20 m.
    ///
    /// ```
    /// use cim_core::pipes::corridor::Section;
    /// assert_eq!(Section::parse_mm("DN300"), Some(Section::Circle { diameter_m: 0.3 }));
    /// assert_eq!(
    ///     Section::parse_mm("1200×800"),
    ///     Some(Section::Rect { width_m: 1.2, height_m: 0.8 })
    /// );
    /// assert_eq!(Section::parse_mm("big"), None);
    /// ```
    pub fn parse_mm(s: &str) -> Option<Section> {
        let t = s.trim();
        let t = t
            .trim_start_matches(|c: char| c.is_alphabetic() || "=Φφ∅ø".contains(c))
            .trim();
        let number = |v: &str| -> Option<f64> {
            let mm: f64 = v.trim().trim_end_matches("mm").trim().parse().ok()?;
            (1.0..=20_000.0).contains(&mm).then_some(mm / 1000.0)
        };
        match t.split_once(['×', 'x', 'X', '*']) {
            Some((w, h)) => Some(Section::Rect {
                width_m: number(w)?,
                height_m: number(h)?,
            }),
            None => Some(Section::Circle {
                diameter_m: number(t)?,
            }),
        }
    }
}

/// One utility line: a pipe, cable duct or trench between two survey
/// points (or a polyline of them).
#[derive(Clone, Debug, PartialEq)]
pub struct UtilityLine {
    pub id: String,
    pub utility: Utility,
    /// Gas lines only.
    pub pressure: Option<GasPressure>,
    pub laying: Laying,
    /// `None` when the data gives no size: the line is checked as its
    /// centre line (clearances are then measured to it, not its wall).
    pub section: Option<Section>,
    /// Centre line in plan, metres, at least two points.
    pub plan: Vec<DVec2>,
    /// Elevation of the centre line at each plan point (metres), when
    /// known; vertical checks and cover need it.
    pub z: Option<Vec<f64>>,
    /// Ground elevation above each plan point, when the data records it
    /// (a DEM, when given, is used instead).
    pub ground: Option<Vec<f64>>,
    /// Under a carriageway or elsewhere, when the data says.
    pub location: Option<Location>,
}

/// Where a line runs, for its minimum cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// 机动车道 (车行道).
    Roadway,
    /// 非机动车道, 人行道, green.
    Other,
}

impl Location {
    pub fn parse(s: &str) -> Option<Location> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if t.contains("非机动") || ["人行道", "绿化", "绿地"].iter().any(|w| t.contains(w))
        {
            Some(Location::Other)
        } else if ["机动车道", "车行道", "快车道", "慢车道"]
            .iter()
            .any(|w| t.contains(w))
        {
            Some(Location::Roadway)
        } else {
            match lower.as_str() {
                "roadway" | "carriageway" | "road" => Some(Location::Roadway),
                "other" | "sidewalk" | "footway" | "pavement" | "green" | "verge" => {
                    Some(Location::Other)
                }
                _ => None,
            }
        }
    }
}

impl UtilityLine {
    pub fn half_width(&self) -> f64 {
        self.section.map_or(0.0, |s| s.half_width())
    }

    pub fn half_height(&self) -> f64 {
        self.section.map_or(0.0, |s| s.half_height())
    }

    /// The centre line's elevation at parameter `t` (0–1) of segment `i`.
    pub fn z_at(&self, i: usize, t: f64) -> Option<f64> {
        let z = self.z.as_ref()?;
        Some(z[i] + (z[i + 1] - z[i]) * t)
    }

    /// The 3D centre point at parameter `t` of segment `i` (z 0 when
    /// unknown).
    pub fn point_at(&self, i: usize, t: f64) -> DVec3 {
        let p = self.plan[i].lerp(self.plan[i + 1], t);
        p.extend(self.z_at(i, t).unwrap_or(0.0))
    }

    pub fn segments(&self) -> impl Iterator<Item = (DVec2, DVec2)> + '_ {
        self.plan.windows(2).map(|w| (w[0], w[1]))
    }

    pub fn length(&self) -> f64 {
        self.segments().map(|(a, b)| a.distance(b)).sum()
    }
}
