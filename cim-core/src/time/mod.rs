//! The one time model shared by everything that changes over time: the sun,
//! simulation results (flood depth grids, pipe pressures), live feeds and
//! scenario playback all read the same [`SceneClock`].
//!
//! Time is UTC seconds since the Unix epoch, in `f64` (sub-millisecond over
//! centuries). Time-varying data implement [`TimeVarying`] so the viewer's
//! single time slider can span all of them.

use serde::{Deserialize, Serialize};

pub mod instant;
pub mod series;

/// Seconds since 1970-01-01T00:00:00Z.
pub type UnixSeconds = f64;

/// The scene's clock: the current instant, the range the slider spans and
/// playback state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneClock {
    pub current: UnixSeconds,
    pub start: UnixSeconds,
    pub end: UnixSeconds,
    #[serde(default)]
    pub playing: bool,
    /// Simulated seconds per wall-clock second.
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// Hours east of UTC used for display (China Standard Time is +8).
    #[serde(default = "default_utc_offset")]
    pub display_utc_offset_hours: f64,
}

fn default_speed() -> f64 {
    600.0
}
fn default_utc_offset() -> f64 {
    8.0
}

impl SceneClock {
    /// A clock spanning one local day (`utc_offset_hours` east of UTC),
    /// set to local time `hour`.
    pub fn for_local_day(
        year: i32,
        month: u32,
        day: u32,
        hour: f64,
        utc_offset_hours: f64,
    ) -> Self {
        let midnight = unix_from_civil(year, month, day) - utc_offset_hours * 3600.0;
        SceneClock {
            current: midnight + hour * 3600.0,
            start: midnight,
            end: midnight + 86_400.0,
            playing: false,
            speed: default_speed(),
            display_utc_offset_hours: utc_offset_hours,
        }
    }

    /// Advances by `dt` wall-clock seconds when playing, wrapping at the end.
    pub fn tick(&mut self, dt: f64) {
        if !self.playing || self.end <= self.start {
            return;
        }
        self.current += dt * self.speed;
        if self.current > self.end {
            self.current = self.start + (self.current - self.end) % (self.end - self.start);
        }
    }

    /// Widens the range to include a data set's time span.
    pub fn include(&mut self, span: (UnixSeconds, UnixSeconds)) {
        self.start = self.start.min(span.0);
        self.end = self.end.max(span.1);
    }

    /// `YYYY-MM-DD hh:mm` in the display time zone.
    pub fn display(&self) -> String {
        format_local(self.current, self.display_utc_offset_hours)
    }
}

/// Anything whose state depends on scene time (simulation results, feeds).
pub trait TimeVarying {
    /// The instants this data covers, if bounded.
    fn time_span(&self) -> Option<(UnixSeconds, UnixSeconds)>;
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm,
/// <https://howardhinnant.github.io/date_algorithms.html>).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + if m <= 2 { 1 } else { 0 }) as i32;
    (y, m, d)
}

/// Unix seconds of midnight UTC on a civil date.
pub fn unix_from_civil(y: i32, m: u32, d: u32) -> UnixSeconds {
    days_from_civil(y, m, d) as f64 * 86_400.0
}

/// Formats an instant as `YYYY-MM-DD hh:mm` at a UTC offset.
pub fn format_local(t: UnixSeconds, utc_offset_hours: f64) -> String {
    let local = t + utc_offset_hours * 3600.0;
    let days = (local / 86_400.0).floor();
    let (y, m, d) = civil_from_days(days as i64);
    let secs = (local - days * 86_400.0).round() as i64;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60
    )
}

/// The sun's position seen from a place on Earth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SunPosition {
    /// Degrees clockwise from true north.
    pub azimuth_deg: f64,
    /// Degrees above the horizon (refraction not applied).
    pub elevation_deg: f64,
}

impl SunPosition {
    /// Unit vector towards the sun in a local east-north-up frame.
    pub fn direction_enu(&self) -> [f64; 3] {
        let (az, el) = (
            self.azimuth_deg.to_radians(),
            self.elevation_deg.to_radians(),
        );
        [az.sin() * el.cos(), az.cos() * el.cos(), el.sin()]
    }
}

/// Solar position by the NOAA Solar Calculator's equations (Meeus,
/// *Astronomical Algorithms*, ch. 25, low-precision form): about 0.01°
/// between ±60° latitude for the years 1800–2100, ample for lighting and
/// sunlight studies.
///
/// ```
/// use cim_core::time::{solar_position, unix_from_civil};
/// // Zhuhai at local solar noon near the June solstice: sun almost overhead.
/// let t = unix_from_civil(2024, 6, 21) + 4.5 * 3600.0; // 12:30 CST
/// let s = solar_position(113.5, 22.3, t);
/// assert!(s.elevation_deg > 85.0);
/// ```
pub fn solar_position(lon_deg: f64, lat_deg: f64, t: UnixSeconds) -> SunPosition {
    let jd = t / 86_400.0 + 2_440_587.5;
    let jc = (jd - 2_451_545.0) / 36_525.0;
    let geom_mean_long = (280.46646 + jc * (36_000.769_83 + jc * 0.0003032)).rem_euclid(360.0);
    let geom_mean_anom = 357.52911 + jc * (35_999.050_29 - 0.0001537 * jc);
    let ecc = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc);
    let m = geom_mean_anom.to_radians();
    let eq_ctr = m.sin() * (1.914602 - jc * (0.004817 + 0.000014 * jc))
        + (2.0 * m).sin() * (0.019993 - 0.000101 * jc)
        + (3.0 * m).sin() * 0.000289;
    let true_long = geom_mean_long + eq_ctr;
    let omega = (125.04 - 1934.136 * jc).to_radians();
    let app_long = true_long - 0.00569 - 0.00478 * omega.sin();
    let mean_obliq =
        23.0 + (26.0 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60.0) / 60.0;
    let obliq = (mean_obliq + 0.00256 * omega.cos()).to_radians();
    let decl = (obliq.sin() * app_long.to_radians().sin()).asin();
    let y = (obliq / 2.0).tan().powi(2);
    let l0 = geom_mean_long.to_radians();
    let eq_time_min = 4.0
        * (y * (2.0 * l0).sin() - 2.0 * ecc * m.sin() + 4.0 * ecc * y * m.sin() * (2.0 * l0).cos()
            - 0.5 * y * y * (4.0 * l0).sin()
            - 1.25 * ecc * ecc * (2.0 * m).sin())
        .to_degrees();
    let minutes_utc = (t / 60.0).rem_euclid(1440.0);
    let true_solar_time = (minutes_utc + eq_time_min + 4.0 * lon_deg).rem_euclid(1440.0);
    let hour_angle = (true_solar_time / 4.0 - 180.0).to_radians();
    let lat = lat_deg.to_radians();
    let cos_zenith =
        (lat.sin() * decl.sin() + lat.cos() * decl.cos() * hour_angle.cos()).clamp(-1.0, 1.0);
    let zenith = cos_zenith.acos();
    let elevation_deg = 90.0 - zenith.to_degrees();
    // Azimuth from the spherical triangle, measured clockwise from north.
    let az = (hour_angle.sin()).atan2(hour_angle.cos() * lat.sin() - decl.tan() * lat.cos());
    let azimuth_deg = (az.to_degrees() + 180.0).rem_euclid(360.0);
    SunPosition {
        azimuth_deg,
        elevation_deg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 19_000, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(format_local(0.0, 8.0), "1970-01-01 08:00");
    }

    /// Reference values from NREL's SPA through pvlib 0.16.1:
    /// `pvlib.solarposition.get_solarposition(pd.DatetimeIndex([...],
    /// tz='UTC'), 22.3, 113.5, method='nrel_numpy')`, azimuth and
    /// `90 - zenith` (geometric elevation, no refraction), rounded to 0.001°.
    #[test]
    fn matches_nrel_spa_reference_points() {
        // (UTC y, m, d, hour, lon, lat, azimuth, elevation)
        type Case = (i32, u32, u32, f64, f64, f64, f64, f64);
        let cases: &[Case] = &[
            (2024, 6, 21, 2.0, 113.5, 22.3, 80.752, 56.020),
            (2024, 12, 21, 6.0, 113.5, 22.3, 208.501, 38.666),
            (2025, 3, 20, 9.5, 113.5, 22.3, 263.859, 14.635),
        ];
        for &(y, m, d, h, lon, lat, az, el) in cases {
            let s = solar_position(lon, lat, unix_from_civil(y, m, d) + h * 3600.0);
            assert!(
                (s.azimuth_deg - az).abs() < 0.1,
                "{y}-{m}-{d} {h}h: azimuth {} vs {az}",
                s.azimuth_deg
            );
            assert!(
                (s.elevation_deg - el).abs() < 0.1,
                "{y}-{m}-{d} {h}h: elevation {} vs {el}",
                s.elevation_deg
            );
        }
    }

    #[test]
    fn clock_wraps_within_its_day() {
        let mut c = SceneClock::for_local_day(2024, 6, 21, 23.9, 8.0);
        c.playing = true;
        c.speed = 3600.0;
        c.tick(1.0);
        assert!(c.current >= c.start && c.current < c.start + 3600.0);
        assert_eq!(
            SceneClock::for_local_day(2024, 6, 21, 14.5, 8.0).display(),
            "2024-06-21 14:30"
        );
    }
}
