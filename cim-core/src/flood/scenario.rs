//! The flood scenario file (`cim flood run SCENARIO.toml`): the grid, the
//! water at the start, friction, the edge, rain, inflows and the run. File
//! paths are kept as written (resolved against the scenario's folder by
//! whoever reads them); everything else is checked here, so a bad scenario
//! is refused before a cell is read.
//!
//! ```toml
//! [grid]
//! dem = "dem.asc"            # ESRI ASCII grid or GeoTIFF, metres
//! [initial]
//! depth = "h0.asc"           # optional, same grid
//! [friction]
//! manning = 0.03             # or a raster path
//! [boundary]
//! type = "closed"            # "closed" | "open" | "level"
//! # level_m = 2.5            # with "level": the water level held beyond
//! [rain]                     # [time_s, mm/h] steps, or a design storm
//! series = [[0, 50.0], [3600, 0.0]]
//! [[inflow]]
//! x = 500.0
//! y = 20.0
//! series = [[0, 0.0], [600, 20.0]]   # [time_s, m3/s], linear between
//! [infiltration]           # optional: a constant rate or Green–Ampt
//! rate_mm_h = 5.0
//! # green_ampt = { Ks_mm_h = 10.0, psi_mm = 110.0, delta_theta = 0.3 }
//! [city]                   # optional
//! buildings = "buildings.shp"        # footprints raise the bed
//! building_height_m = 10.0           # by this (default 10 m)
//! [[city.friction]]                  # land use: Manning's n inside
//! layer = "roads.geojson"
//! manning = 0.015
//! [run]
//! duration_s = 3600
//! output_every_s = 300
//! backend = "auto"           # "auto" | "cpu" | "gpu"
//! ```

use serde::Deserialize;

/// Why a scenario file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub grid: GridSection,
    #[serde(default)]
    pub initial: InitialSection,
    #[serde(default)]
    pub friction: FrictionSection,
    #[serde(default)]
    pub boundary: BoundarySection,
    pub rain: Option<RainSection>,
    #[serde(default)]
    pub inflow: Vec<InflowSection>,
    #[serde(default)]
    pub city: CitySection,
    pub infiltration: Option<InfiltrationSection>,
    pub drainage: Option<DrainageSection>,
    pub run: RunSection,
}

/// What the storm drains take away (雨水管网, without its hydraulics: each
/// takes water up to its capacity while there is any): the network's
/// capacity as a rain rate over an area, and storm inlets (雨水口) at
/// points, each up to its own capacity.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DrainageSection {
    /// The drained rate, mm/h (a network designed for a P-year storm
    /// drains its rate), over `area` or the whole study area.
    pub rate_mm_h: Option<f64>,
    /// Polygons where `rate_mm_h` applies.
    pub area: Option<String>,
    /// A point layer of storm inlets.
    pub inlets: Option<String>,
    /// Each inlet's capacity, L/s, unless `capacity_field` gives its own.
    #[serde(default = "default_inlet_capacity")]
    pub inlet_capacity_l_s: f64,
    /// The inlets' field holding their capacity (L/s).
    pub capacity_field: Option<String>,
}

/// A grated gutter inlet takes some 20 L/s (CJJ 37 / GB 50014 put one
/// single-grate inlet at 15–20 L/s).
fn default_inlet_capacity() -> f64 {
    20.0
}

/// Infiltration: one of a constant rate or Green–Ampt's parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InfiltrationSection {
    pub rate_mm_h: Option<f64>,
    pub green_ampt: Option<GreenAmpt>,
}

/// Green–Ampt soil parameters, in the units soil tables give them.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case, reason = "the method's own symbols")]
pub struct GreenAmpt {
    /// Saturated hydraulic conductivity, mm/h.
    pub Ks_mm_h: f64,
    /// Wetting-front suction head, mm.
    pub psi_mm: f64,
    /// Moisture deficit (θs − θi), 0–1.
    pub delta_theta: f64,
}

/// The city model on the grid: building footprints, land-use friction.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CitySection {
    /// A polygon layer of building footprints: the bed is raised inside
    /// them, so water parts round them and rain runs off their roofs.
    pub buildings: Option<String>,
    #[serde(default = "default_building_height")]
    pub building_height_m: f64,
    /// Polygon layers whose insides take a Manning's n (later ones over
    /// earlier ones and over `[friction]`).
    #[serde(default)]
    pub friction: Vec<FrictionZone>,
}

impl Default for CitySection {
    fn default() -> Self {
        CitySection {
            buildings: None,
            building_height_m: default_building_height(),
            friction: Vec::new(),
        }
    }
}

fn default_building_height() -> f64 {
    10.0
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrictionZone {
    pub layer: String,
    pub manning: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GridSection {
    /// The bed: an ESRI ASCII grid or a GeoTIFF, metres.
    pub dem: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InitialSection {
    /// Depths at the start (same grid as the DEM); dry without.
    pub depth: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrictionSection {
    pub manning: Manning,
}

impl Default for FrictionSection {
    fn default() -> Self {
        FrictionSection {
            manning: Manning::Uniform(0.03),
        }
    }
}

/// Manning's n: one value, or a raster of the DEM's grid.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Manning {
    Uniform(f64),
    Raster(String),
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BoundarySection {
    #[serde(rename = "type", default)]
    pub kind: BoundaryKind,
    /// The level held beyond the edge, m (`type = "level"`).
    pub level_m: Option<f64>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BoundaryKind {
    #[default]
    Closed,
    Open,
    Level,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RainSection {
    /// `[time_s, mm/h]`: each rate held until the next time.
    pub series: Option<Vec<[f64; 2]>>,
    pub design: Option<DesignStorm>,
    /// `[time_s, "raster"]`: rain rasters (mm/h per cell, on the DEM's
    /// grid — radar rainfall, a forecast), each held until the next time;
    /// `""` for no rain from then on.
    pub rasters: Option<Vec<(f64, String)>>,
}

/// A design storm from a city's storm-intensity formula (暴雨强度公式)
/// `q = 167·A1·(1 + C·lg P) / (t + b)^n` (L/(s·ha), t in minutes, as GB
/// 50014 室外排水设计标准 writes it), shaped as a Chicago hyetograph.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case, reason = "the formula's own symbols")]
pub struct DesignStorm {
    pub A1: f64,
    pub C: f64,
    pub b: f64,
    pub n: f64,
    pub P_years: f64,
    pub duration_min: f64,
    /// Where the peak falls, as a fraction of the duration (0–1).
    pub peak_ratio: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InflowSection {
    pub x: f64,
    pub y: f64,
    /// `[time_s, m3/s]`, linear between, held after the last.
    pub series: Vec<[f64; 2]>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    pub duration_s: f64,
    pub output_every_s: f64,
    #[serde(default)]
    pub backend: Backend,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Auto,
    Cpu,
    Gpu,
}

/// The most outputs a run may write (each is a whole grid).
pub const MAX_OUTPUTS: f64 = 10_000.0;

impl Scenario {
    /// Reads and checks a scenario.
    pub fn from_toml_str(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text)?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), ScenarioError> {
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        let r = &self.run;
        if !(r.duration_s.is_finite() && r.duration_s > 0.0) {
            return bad(format!(
                "[run] duration_s must be above 0, not {}",
                r.duration_s
            ));
        }
        if !(r.output_every_s.is_finite() && r.output_every_s > 0.0) {
            return bad(format!(
                "[run] output_every_s must be above 0, not {}",
                r.output_every_s
            ));
        }
        if r.duration_s / r.output_every_s > MAX_OUTPUTS {
            return bad(format!(
                "[run] {} outputs asked for (duration_s / output_every_s); at most {MAX_OUTPUTS}",
                (r.duration_s / r.output_every_s).ceil()
            ));
        }
        if let Manning::Uniform(n) = self.friction.manning
            && !(n.is_finite() && (0.0..=1.0).contains(&n))
        {
            return bad(format!("[friction] manning {n} is not a Manning's n (0–1)"));
        }
        if let Some(rain) = &self.rain {
            match (&rain.series, &rain.design, &rain.rasters) {
                (Some(s), None, None) => check_series("[rain] series", s, "mm/h")?,
                (None, Some(d), None) => d.check()?,
                (None, None, Some(r)) => {
                    let times: Vec<[f64; 2]> = r.iter().map(|(t, _)| [*t, 0.0]).collect();
                    check_series("[rain] rasters", &times, "raster")?;
                }
                _ => return bad("[rain] needs one of series, design or rasters".into()),
            }
        }
        self.infiltration()?;
        match (self.boundary.kind, self.boundary.level_m) {
            (BoundaryKind::Level, Some(l)) if l.is_finite() => {}
            (BoundaryKind::Level, _) => {
                return bad("[boundary] type = \"level\" needs a level_m (m)".into());
            }
            (_, Some(_)) => {
                return bad("[boundary] level_m goes with type = \"level\"".into());
            }
            _ => {}
        }
        let h = self.city.building_height_m;
        if !(h.is_finite() && h > 0.0) {
            return bad(format!("[city] building_height_m must be above 0, not {h}"));
        }
        for z in &self.city.friction {
            if !(z.manning.is_finite() && (0.0..=1.0).contains(&z.manning)) {
                return bad(format!(
                    "[[city.friction]] {}: manning {} is not a Manning's n (0–1)",
                    z.layer, z.manning
                ));
            }
        }
        if let Some(d) = &self.drainage {
            match d.rate_mm_h {
                Some(r) if !(r.is_finite() && r >= 0.0) => {
                    return bad(format!("[drainage] rate_mm_h must be ≥ 0, not {r}"));
                }
                None if d.area.is_some() => {
                    return bad("[drainage] area goes with a rate_mm_h".into());
                }
                None if d.inlets.is_none() => {
                    return bad("[drainage] needs a rate_mm_h, inlets or both".into());
                }
                _ => {}
            }
            let c = d.inlet_capacity_l_s;
            if !(c.is_finite() && c >= 0.0) {
                return bad(format!(
                    "[drainage] inlet_capacity_l_s must be ≥ 0, not {c}"
                ));
            }
        }
        for (k, f) in self.inflow.iter().enumerate() {
            if !(f.x.is_finite() && f.y.is_finite()) {
                return bad(format!("[[inflow]] {}: x and y must be numbers", k + 1));
            }
            check_series(&format!("[[inflow]] {}: series", k + 1), &f.series, "m3/s")?;
        }
        Ok(())
    }

    /// The infiltration law the scenario asks for.
    pub fn infiltration(&self) -> Result<crate::flood::infiltration::Infiltration, ScenarioError> {
        use crate::flood::infiltration::Infiltration;
        let Some(i) = &self.infiltration else {
            return Ok(Infiltration::None);
        };
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        match (i.rate_mm_h, i.green_ampt) {
            (Some(r), None) if r.is_finite() && r >= 0.0 => Ok(Infiltration::Constant {
                rate_ms: r / 3_600_000.0,
            }),
            (None, Some(g))
                if [g.Ks_mm_h, g.psi_mm, g.delta_theta]
                    .iter()
                    .all(|v| v.is_finite())
                    && g.Ks_mm_h >= 0.0
                    && g.psi_mm >= 0.0
                    && (0.0..=1.0).contains(&g.delta_theta) =>
            {
                Ok(Infiltration::GreenAmpt {
                    ks_ms: g.Ks_mm_h / 3_600_000.0,
                    suction_m: g.psi_mm / 1000.0,
                    deficit: g.delta_theta,
                })
            }
            (Some(_), Some(_)) | (None, None) => {
                bad("[infiltration] needs one of rate_mm_h or green_ampt".into())
            }
            _ => bad(format!(
                "[infiltration]: rates and heads must be ≥ 0 and delta_theta within 0–1, not {i:?}"
            )),
        }
    }

    /// The rain as held steps `(from time s, rate m/s)`, in time order.
    /// (Rain rasters are read by the caller: their rates are their
    /// cells'.)
    pub fn rain_steps(&self) -> Vec<(f64, f64)> {
        let Some(rain) = &self.rain else {
            return Vec::new();
        };
        match (&rain.series, &rain.design) {
            (Some(s), _) => s.iter().map(|&[t, mmh]| (t, mmh / 3_600_000.0)).collect(),
            (None, Some(d)) => d.hyetograph(60.0),
            _ => Vec::new(),
        }
    }
}

/// Times must rise; values must be finite and not negative.
fn check_series(what: &str, s: &[[f64; 2]], unit: &str) -> Result<(), ScenarioError> {
    if s.is_empty() {
        return Err(ScenarioError::Invalid(format!("{what} is empty")));
    }
    for (k, p) in s.iter().enumerate() {
        if !(p[0].is_finite() && p[1].is_finite() && p[1] >= 0.0) {
            return Err(ScenarioError::Invalid(format!(
                "{what}: entry {} [{}, {}] needs a time and a {unit} value ≥ 0",
                k + 1,
                p[0],
                p[1]
            )));
        }
        if k > 0 && p[0] <= s[k - 1][0] {
            return Err(ScenarioError::Invalid(format!(
                "{what}: times must rise (entry {} at {} s)",
                k + 1,
                p[0]
            )));
        }
    }
    Ok(())
}

/// The value of held steps `(from, value)` at `t` (0 before the first).
pub fn held(steps: &[(f64, f64)], t: f64) -> f64 {
    match steps.partition_point(|s| s.0 <= t) {
        0 => 0.0,
        k => steps[k - 1].1,
    }
}

/// The value of a `[time, value]` series at `t`: linear between points,
/// the first value before them and the last after.
pub fn linear(series: &[[f64; 2]], t: f64) -> f64 {
    let k = series.partition_point(|p| p[0] <= t);
    match k {
        0 => series.first().map_or(0.0, |p| p[1]),
        k if k == series.len() => series[k - 1][1],
        k => {
            let ([t0, v0], [t1, v1]) = (series[k - 1], series[k]);
            v0 + (v1 - v0) * (t - t0) / (t1 - t0)
        }
    }
}

impl DesignStorm {
    fn check(&self) -> Result<(), ScenarioError> {
        let ok = [
            self.A1,
            self.C,
            self.b,
            self.n,
            self.P_years,
            self.duration_min,
        ]
        .iter()
        .all(|v| v.is_finite())
            && self.A1 > 0.0
            && self.b >= 0.0
            && (0.0..1.0).contains(&self.n)
            && self.P_years > 0.0
            && self.duration_min > 0.0
            && (0.0..=1.0).contains(&self.peak_ratio);
        if ok {
            Ok(())
        } else {
            Err(ScenarioError::Invalid(format!(
                "[rain] design: A1 > 0, b ≥ 0, 0 ≤ n < 1, P_years > 0, duration_min > 0 and 0 ≤ peak_ratio ≤ 1 are needed, not {self:?}"
            )))
        }
    }

    /// `A1 (1 + C lg P)`: the formula's numerator in mm/min.
    fn a(&self) -> f64 {
        self.A1 * (1.0 + self.C * self.P_years.log10())
    }

    /// Rain depth (mm) of the storm's most intense `t` minutes by the
    /// formula: `a t / (t + b)^n`.
    pub fn depth_mm(&self, t: f64) -> f64 {
        self.a() * t / (t + self.b).powf(self.n)
    }

    /// The Chicago hyetograph (Keifer & Chu 1957, "Synthetic storm pattern
    /// for drainage design", *J. Hydraulics Div. ASCE* 83(4)) in held
    /// steps of `step_s` seconds, each step's rate its exact mean: every
    /// window around the peak, split `peak_ratio` before it, holds the
    /// depth the formula gives for its length, so the cumulative depth at
    /// `s` minutes from the start is `r F((rD − s)…)` — worked out from
    /// `F(T) = depth_mm(T)` on each side of the peak.
    ///
    /// ```
    /// use cim_core::flood::scenario::DesignStorm;
    /// let d = DesignStorm { A1: 9.2, C: 0.7, b: 6.6, n: 0.62, P_years: 50.0,
    ///     duration_min: 120.0, peak_ratio: 0.4 };
    /// let steps = d.hyetograph(60.0);
    /// assert_eq!(steps.len(), 121, "120 minutes, then none");
    /// let total_mm: f64 = steps.iter().map(|s| s.1 * 60.0 * 1000.0).sum();
    /// assert!((total_mm - d.depth_mm(120.0)).abs() < 1e-9);
    /// // The wettest minute is the one at 40 % of the storm.
    /// let peak = steps.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0;
    /// assert!((peak / 60.0 - 48.0).abs() <= 1.0);
    /// ```
    pub fn hyetograph(&self, step_s: f64) -> Vec<(f64, f64)> {
        let (total, r) = (self.duration_min, self.peak_ratio);
        let peak = r * total;
        // Cumulative depth (mm) from the start to `s` minutes.
        let cumulative = |s: f64| -> f64 {
            let s = s.clamp(0.0, total);
            let before = if r > 0.0 {
                r * self.depth_mm(peak / r)
            } else {
                0.0
            };
            if s <= peak {
                // What falls from s to the peak is r F((peak − s) / r).
                let rest = if r > 0.0 {
                    r * self.depth_mm((peak - s) / r)
                } else {
                    0.0
                };
                before - rest
            } else {
                let after = 1.0 - r;
                before + after * self.depth_mm((s - peak) / after)
            }
        };
        let step_min = step_s / 60.0;
        let n = (total / step_min).ceil() as usize;
        let mut steps: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let (a, b) = (k as f64 * step_min, ((k + 1) as f64 * step_min).min(total));
                let mm = cumulative(b) - cumulative(a);
                (a * 60.0, mm / 1000.0 / ((b - a) * 60.0))
            })
            .collect();
        steps.push((total * 60.0, 0.0));
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[grid]
dem = "dem.asc"
[initial]
depth = "h0.asc"
[friction]
manning = 0.03
[boundary]
type = "open"
[rain]
series = [[0, 50.0], [3600, 0.0]]
[[inflow]]
x = 500.0
y = 20.0
series = [[0, 0.0], [600, 20.0]]
[run]
duration_s = 3600
output_every_s = 300
backend = "auto"
"#;

    #[test]
    fn the_documented_scenario_reads() {
        let s = Scenario::from_toml_str(FULL).unwrap();
        assert_eq!(s.boundary.kind, BoundaryKind::Open);
        assert_eq!(s.friction.manning, Manning::Uniform(0.03));
        assert_eq!(s.inflow[0].series[1], [600.0, 20.0]);
        let rain = s.rain_steps();
        assert_eq!(held(&rain, 10.0), 50.0 / 3_600_000.0);
        assert_eq!(held(&rain, 3600.0), 0.0);
        assert_eq!(linear(&s.inflow[0].series, 300.0), 10.0);
        assert_eq!(linear(&s.inflow[0].series, 9000.0), 20.0);
    }

    #[test]
    fn bad_scenarios_are_refused_saying_what_is_wrong() {
        for (edit, want) in [
            (
                FULL.replace("duration_s = 3600", "duration_s = -1"),
                "duration_s must be above 0",
            ),
            (FULL.replace("[600, 20.0]", "[0, 20.0]"), "times must rise"),
            (
                FULL.replace("manning = 0.03", "manning = 7"),
                "not a Manning's n",
            ),
            (
                FULL.replace("[run]", "[city]\nbuilding_height_m = 0\n[run]"),
                "building_height_m must be above 0",
            ),
            (
                FULL.replace("[run]", "[infiltration]\nrate_mm_h = -1\n[run]"),
                "must be ≥ 0",
            ),
            (
                FULL.replace("type = \"open\"", "type = \"level\""),
                "needs a level_m",
            ),
            (
                FULL.replace("type = \"open\"", "type = \"leaky\""),
                "unknown variant",
            ),
            (FULL.replace("[run]", "[run]\nspeed = 2"), "unknown field"),
            (
                FULL.replace("output_every_s = 300", "output_every_s = 0.01"),
                "outputs asked for",
            ),
            (
                FULL.replace("[run]", "[drainage]\nrate_mm_h = -30\n[run]"),
                "rate_mm_h must be ≥ 0",
            ),
            (
                FULL.replace("[run]", "[drainage]\narea = \"a.geojson\"\n[run]"),
                "area goes with a rate_mm_h",
            ),
            (
                FULL.replace("[run]", "[drainage]\n[run]"),
                "needs a rate_mm_h, inlets or both",
            ),
            (
                FULL.replace("[rain]", "[rain]\nrasters = [[0, \"r.asc\"]]"),
                "needs one of series, design or rasters",
            ),
            (
                FULL.replace(
                    "series = [[0, 50.0], [3600, 0.0]]",
                    "rasters = [[600, \"a.asc\"], [0, \"b.asc\"]]",
                ),
                "times must rise",
            ),
        ] {
            let e = Scenario::from_toml_str(&edit).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn a_design_storm_keeps_the_formulas_depth_for_every_window_round_its_peak() {
        let d = DesignStorm {
            A1: 9.2,
            C: 0.7,
            b: 6.6,
            n: 0.62,
            P_years: 50.0,
            duration_min: 120.0,
            peak_ratio: 0.4,
        };
        let steps = d.hyetograph(60.0);
        // The 10 minutes around the peak (4 before, 6 after) hold F(10).
        let mm: f64 = steps
            .iter()
            .filter(|s| (44.0 * 60.0..54.0 * 60.0).contains(&s.0))
            .map(|s| s.1 * 60_000.0)
            .sum();
        assert!(
            (mm - d.depth_mm(10.0)).abs() < 1e-9,
            "{mm} vs {}",
            d.depth_mm(10.0)
        );
    }
}
