//! The flow units of EPANET input files and their SI equivalents.
//!
//! EPANET's unit system follows the flow units: CFS, GPM, MGD, IMGD and AFD
//! put lengths and heads in feet and diameters in inches (US customary);
//! the others in metres and millimetres (SI). Factors are those of EPANET
//! 2.2's `initunits()` (`src/input1.c`), with 1 ft = 0.3048 m exactly.

use serde::{Deserialize, Serialize};

/// One foot in metres.
pub const FOOT_M: f64 = 0.3048;
/// One inch in millimetres.
pub const INCH_MM: f64 = 25.4;
/// One cubic foot in litres.
const CUBIC_FOOT_L: f64 = 28.316_846_592;

/// The flow units of a network file (EPANET `[OPTIONS] UNITS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowUnits {
    Cfs,
    Gpm,
    Mgd,
    Imgd,
    Afd,
    Lps,
    Lpm,
    Mld,
    Cmh,
    Cmd,
    Cms,
}

impl FlowUnits {
    /// The units an `[OPTIONS]` `UNITS` value names (case-insensitive).
    ///
    /// ```
    /// use cim_core::pipes::FlowUnits;
    /// assert_eq!(FlowUnits::parse("gpm"), Some(FlowUnits::Gpm));
    /// assert_eq!(FlowUnits::parse("furlongs"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "CFS" => Self::Cfs,
            "GPM" => Self::Gpm,
            "MGD" => Self::Mgd,
            "IMGD" => Self::Imgd,
            "AFD" => Self::Afd,
            "LPS" => Self::Lps,
            "LPM" => Self::Lpm,
            "MLD" => Self::Mld,
            "CMH" => Self::Cmh,
            "CMD" => Self::Cmd,
            "CMS" => Self::Cms,
            _ => return None,
        })
    }

    /// Whether lengths are in feet and diameters in inches.
    pub fn is_us(self) -> bool {
        matches!(
            self,
            Self::Cfs | Self::Gpm | Self::Mgd | Self::Imgd | Self::Afd
        )
    }

    /// Litres per second in one unit of flow.
    ///
    /// ```
    /// use cim_core::pipes::FlowUnits;
    /// assert!((FlowUnits::Gpm.to_lps() - 0.063_090_196).abs() < 1e-9);
    /// assert_eq!(FlowUnits::Cmh.to_lps() * 3.6, 1.0);
    /// ```
    pub fn to_lps(self) -> f64 {
        match self {
            Self::Cfs => CUBIC_FOOT_L,
            // US gallon: 231 in³.
            Self::Gpm => 3.785_411_784 / 60.0,
            Self::Mgd => 3.785_411_784e6 / 86_400.0,
            // Imperial gallon: 4.546 09 L.
            Self::Imgd => 4.546_09e6 / 86_400.0,
            // Acre-foot: 43 560 ft³.
            Self::Afd => 43_560.0 * CUBIC_FOOT_L / 86_400.0,
            Self::Lps => 1.0,
            Self::Lpm => 1.0 / 60.0,
            Self::Mld => 1e6 / 86_400.0,
            Self::Cmh => 1000.0 / 3600.0,
            Self::Cmd => 1000.0 / 86_400.0,
            Self::Cms => 1000.0,
        }
    }

    /// Metres in one unit of length, head or elevation.
    pub fn length_m(self) -> f64 {
        if self.is_us() { FOOT_M } else { 1.0 }
    }

    /// Millimetres in one unit of pipe diameter.
    pub fn diameter_mm(self) -> f64 {
        if self.is_us() { INCH_MM } else { 1.0 }
    }

    /// The name EPANET files use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cfs => "CFS",
            Self::Gpm => "GPM",
            Self::Mgd => "MGD",
            Self::Imgd => "IMGD",
            Self::Afd => "AFD",
            Self::Lps => "LPS",
            Self::Lpm => "LPM",
            Self::Mld => "MLD",
            Self::Cmh => "CMH",
            Self::Cmd => "CMD",
            Self::Cms => "CMS",
        }
    }
}
