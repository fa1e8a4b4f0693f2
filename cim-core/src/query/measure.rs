//! Measurements for the viewer's tools: distances, lengths, areas, heights
//! above terrain and coordinate readouts.
//!
//! Two families:
//!
//! * **Planar** functions ([`distances`], [`polyline_length_2d`],
//!   [`polyline_length_3d`], [`planar_area`]) work on coordinates of a
//!   projected CRS (metres) as they are. They measure on the map grid, so
//!   they carry the projection's scale error: about +0.03 % at 100 km from a
//!   Gauss–Krüger central meridian, more in Web Mercator.
//! * **Geodesic** measures ([`Geod`], [`GeoMeasurer`]) work on the
//!   ellipsoid with Karney's algorithms (C. F. F. Karney, *Algorithms for
//!   geodesics*, J. Geodesy 87, 43–55, 2013, <https://doi.org/10.1007/s00190-012-0578-z>),
//!   as implemented by the `geographiclib-rs` crate: distances accurate to
//!   about 15 nm and polygon areas exact to round-off, for any distance. A
//!   [`GeoMeasurer`] first brings points in any CRS to longitude/latitude
//!   through a [`Transformer`].
//!
//! [`format_coordinate`] and [`Readout`] turn a point into the text of the
//! viewer's coordinate readout.

use crate::crs::{CrsDef, CrsError, Ellipsoid, Transformer, crs_info, is_geographic};
use crate::model::geometry::{Polygon, ring_signed_area};
use crate::model::grid::Grid;
use geographiclib_rs::{Geodesic, InverseGeodesic, PolygonArea, Winding};
use glam::DVec3;

// ---------------------------------------------------------------------------
// Planar
// ---------------------------------------------------------------------------

/// The three distances between two points of a projected CRS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distances {
    /// In the XY plane.
    pub horizontal: f64,
    /// Straight-line 3D distance.
    pub slant: f64,
    /// Height difference `b.z - a.z` (positive when `b` is higher).
    pub vertical: f64,
}

/// Horizontal, slant and vertical distance from `a` to `b` (projected CRS
/// coordinates, metres).
///
/// ```
/// use cim_core::query::measure::distances;
/// use glam::DVec3;
/// let d = distances(DVec3::new(500_000.0, 2_494_000.0, 10.0), DVec3::new(500_030.0, 2_494_040.0, 130.0));
/// assert_eq!((d.horizontal, d.vertical), (50.0, 120.0));
/// assert_eq!(d.slant, 130.0);
/// ```
pub fn distances(a: DVec3, b: DVec3) -> Distances {
    let d = b - a;
    Distances {
        horizontal: d.truncate().length(),
        slant: d.length(),
        vertical: d.z,
    }
}

/// Length of a polyline in the XY plane.
pub fn polyline_length_2d(points: &[DVec3]) -> f64 {
    points
        .windows(2)
        .map(|w| w[0].truncate().distance(w[1].truncate()))
        .sum()
}

/// Length of a polyline in 3D (along the slopes).
pub fn polyline_length_3d(points: &[DVec3]) -> f64 {
    points.windows(2).map(|w| w[0].distance(w[1])).sum()
}

/// Planar area of a ring (shoelace formula, either orientation; the ring
/// need not be closed), in CRS units².
///
/// ```
/// use cim_core::query::measure::planar_area;
/// use glam::DVec3;
/// let tri = [DVec3::new(0.0, 0.0, 0.0), DVec3::new(4.0, 0.0, 0.0), DVec3::new(0.0, 3.0, 9.0)];
/// assert_eq!(planar_area(&tri), 6.0);
/// ```
pub fn planar_area(ring: &[DVec3]) -> f64 {
    ring_signed_area(without_closing_point(ring)).abs()
}

/// Planar area of a polygon, holes subtracted.
pub fn planar_polygon_area(polygon: &Polygon) -> f64 {
    planar_area(&polygon.exterior)
        - polygon
            .interiors
            .iter()
            .map(|r| planar_area(r))
            .sum::<f64>()
}

/// Perimeter of a ring in the XY plane (closing edge included).
pub fn planar_perimeter(ring: &[DVec3]) -> f64 {
    let ring = without_closing_point(ring);
    match ring {
        [] | [_] => 0.0,
        [first, .., last] => polyline_length_2d(ring) + last.truncate().distance(first.truncate()),
    }
}

fn without_closing_point(ring: &[DVec3]) -> &[DVec3] {
    match ring {
        [first, rest @ .., last] if !rest.is_empty() && first == last => &ring[..ring.len() - 1],
        _ => ring,
    }
}

/// Height of `p` above the terrain `dem` (bilinear sample under `p`; both in
/// the same CRS and vertical datum). `None` outside the DEM or over nodata.
///
/// ```
/// use cim_core::{Grid, query::measure::height_above_terrain};
/// use glam::DVec3;
/// let mut dem = Grid::new(2, 2, 0.0, 20.0, 10.0, 10.0);
/// dem.data = vec![10.0, 10.0, 10.0, 10.0];
/// assert_eq!(height_above_terrain(DVec3::new(5.0, 5.0, 42.5), &dem), Some(32.5));
/// assert_eq!(height_above_terrain(DVec3::new(-5.0, 5.0, 42.5), &dem), None);
/// ```
pub fn height_above_terrain(p: DVec3, dem: &Grid) -> Option<f64> {
    dem.sample(p.x, p.y).map(|ground| p.z - ground)
}

// ---------------------------------------------------------------------------
// Geodesic
// ---------------------------------------------------------------------------

/// The solution of the inverse geodesic problem between two points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeodesicInverse {
    /// Length of the geodesic, metres.
    pub distance: f64,
    /// Azimuth at the first point, degrees clockwise from north.
    pub azimuth1: f64,
    /// Forward azimuth at the second point, degrees clockwise from north.
    pub azimuth2: f64,
}

/// Geodesic calculations on one ellipsoid; points are `DVec3(lon°, lat°, h)`
/// and heights are ignored.
///
/// The worked example of Karney (2013), §9 (WGS 84, φ₁ = −30°, φ₂ = 29.9°,
/// λ₁₂ = 179.8°: a nearly antipodal pair where older methods fail):
///
/// ```
/// use cim_core::query::measure::Geod;
/// use glam::DVec3;
/// let g = Geod::wgs84();
/// let r = g.inverse(DVec3::new(0.0, -30.0, 0.0), DVec3::new(179.8, 29.9, 0.0));
/// assert!((r.distance - 19_989_832.827_610).abs() < 1e-5);
/// assert!((r.azimuth1 - 161.890_524_736).abs() < 1e-8);
/// assert!((r.azimuth2 - 18.090_737_246).abs() < 1e-8);
/// ```
///
/// And the area of a 1°×1° cell on the equator:
///
/// ```
/// use cim_core::query::measure::Geod;
/// use glam::DVec3;
/// let cell = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)].map(|(x, y)| DVec3::new(x, y, 0.0));
/// assert!((Geod::wgs84().ring_area(&cell) - 12_308_778_361.469).abs() < 0.01);
/// ```
#[derive(Clone, Debug)]
pub struct Geod {
    geodesic: Geodesic,
    ellipsoid: Ellipsoid,
}

impl Geod {
    pub fn new(ellipsoid: Ellipsoid) -> Geod {
        Geod {
            geodesic: Geodesic::new(ellipsoid.a, ellipsoid.f),
            ellipsoid,
        }
    }

    /// The CGCS2000 ellipsoid (a = 6 378 137 m, 1/f = 298.257222101).
    pub fn cgcs2000() -> Geod {
        Geod::new(Ellipsoid::CGCS2000)
    }

    /// The WGS 84 ellipsoid (a = 6 378 137 m, 1/f = 298.257223563).
    pub fn wgs84() -> Geod {
        Geod::new(Ellipsoid::WGS84)
    }

    pub fn ellipsoid(&self) -> Ellipsoid {
        self.ellipsoid
    }

    /// Distance and azimuths from `a` to `b`.
    pub fn inverse(&self, a: DVec3, b: DVec3) -> GeodesicInverse {
        let (distance, azimuth1, azimuth2, _arc): (f64, f64, f64, f64) =
            self.geodesic.inverse(a.y, a.x, b.y, b.x);
        GeodesicInverse {
            distance,
            azimuth1,
            azimuth2,
        }
    }

    /// Geodesic distance from `a` to `b`, metres.
    pub fn distance(&self, a: DVec3, b: DVec3) -> f64 {
        self.geodesic.inverse(a.y, a.x, b.y, b.x)
    }

    /// Length of a polyline along geodesics, metres.
    pub fn polyline_length(&self, points: &[DVec3]) -> f64 {
        points.windows(2).map(|w| self.distance(w[0], w[1])).sum()
    }

    /// Area (m², either orientation) and perimeter (m) of the region
    /// bounded by geodesics through the ring's vertices.
    pub fn ring_area_perimeter(&self, ring: &[DVec3]) -> (f64, f64) {
        let ring = without_closing_point(ring);
        if ring.len() < 3 {
            return (0.0, 2.0 * self.polyline_length(ring));
        }
        let mut pa = PolygonArea::new(&self.geodesic, Winding::CounterClockwise);
        for p in ring {
            pa.add_point(p.y, p.x);
        }
        let (perimeter, area, _) = pa.compute(true);
        (area.abs(), perimeter)
    }

    /// Area of a ring, m² (either orientation).
    pub fn ring_area(&self, ring: &[DVec3]) -> f64 {
        self.ring_area_perimeter(ring).0
    }

    /// Area of a polygon, holes subtracted, m².
    pub fn polygon_area(&self, polygon: &Polygon) -> f64 {
        self.ring_area(&polygon.exterior)
            - polygon
                .interiors
                .iter()
                .map(|r| self.ring_area(r))
                .sum::<f64>()
    }
}

/// Geodesic measurement of points given in any CRS: they are transformed to
/// longitude/latitude first, then measured on the ellipsoid.
///
/// [`GeoMeasurer::new`] measures on CGCS2000 (EPSG:4490 and its ellipsoid)
/// unless the source CRS is WGS 84-based (its name says "WGS 84", or it is
/// GCJ-02/BD-09), which gets EPSG:4326 and the WGS 84 ellipsoid. The two
/// ellipsoids differ by 0.1 mm in the semi-minor axis, so the choice only
/// matters through the datum transformation.
pub struct GeoMeasurer {
    to_geographic: Transformer,
    geod: Geod,
}

impl GeoMeasurer {
    /// A measurer for points in `crs`.
    pub fn new(crs: &CrsDef) -> Result<GeoMeasurer, CrsError> {
        let wgs84_based = match crs {
            CrsDef::Gcj02 | CrsDef::Bd09 => true,
            _ => crs_info(crs).is_ok_and(|i| i.name.contains("WGS 84")),
        };
        if wgs84_based {
            GeoMeasurer::with_geographic(crs, &CrsDef::wgs84(), Ellipsoid::WGS84)
        } else {
            GeoMeasurer::with_geographic(crs, &CrsDef::cgcs2000(), Ellipsoid::CGCS2000)
        }
    }

    /// A measurer that brings points from `crs` to the geographic CRS
    /// `geographic` and measures on `ellipsoid` (which should be that CRS's).
    pub fn with_geographic(
        crs: &CrsDef,
        geographic: &CrsDef,
        ellipsoid: Ellipsoid,
    ) -> Result<GeoMeasurer, CrsError> {
        Ok(GeoMeasurer {
            to_geographic: Transformer::new(crs, geographic)?,
            geod: Geod::new(ellipsoid),
        })
    }

    pub fn geod(&self) -> &Geod {
        &self.geod
    }

    /// `p` as `DVec3(lon°, lat°, h)`.
    pub fn to_lon_lat(&self, p: DVec3) -> Result<DVec3, CrsError> {
        self.to_geographic.transform(p)
    }

    fn all_to_lon_lat(&self, points: &[DVec3]) -> Result<Vec<DVec3>, CrsError> {
        let mut pts = points.to_vec();
        self.to_geographic.transform_many(&mut pts)?;
        Ok(pts)
    }

    /// Geodesic distance between two points, metres.
    pub fn distance(&self, a: DVec3, b: DVec3) -> Result<f64, CrsError> {
        Ok(self.geod.distance(self.to_lon_lat(a)?, self.to_lon_lat(b)?))
    }

    /// Horizontal (geodesic on the ellipsoid), vertical (`b.z - a.z`, in the
    /// source CRS's heights) and slant distance (`√(horizontal² +
    /// vertical²)`, which neglects the Earth's curvature: 8 mm error at 1 km
    /// for a 100 m climb, grows with the square of the distance).
    pub fn distances(&self, a: DVec3, b: DVec3) -> Result<Distances, CrsError> {
        let horizontal = self.distance(a, b)?;
        let vertical = b.z - a.z;
        Ok(Distances {
            horizontal,
            slant: horizontal.hypot(vertical),
            vertical,
        })
    }

    /// Geodesic length of a polyline, metres.
    pub fn polyline_length(&self, points: &[DVec3]) -> Result<f64, CrsError> {
        Ok(self.geod.polyline_length(&self.all_to_lon_lat(points)?))
    }

    /// Geodesic area of a ring, m².
    pub fn ring_area(&self, ring: &[DVec3]) -> Result<f64, CrsError> {
        Ok(self.geod.ring_area(&self.all_to_lon_lat(ring)?))
    }

    /// Geodesic area of a polygon, holes subtracted, m².
    pub fn polygon_area(&self, polygon: &Polygon) -> Result<f64, CrsError> {
        let mut area = self.ring_area(&polygon.exterior)?;
        for hole in &polygon.interiors {
            area -= self.ring_area(hole)?;
        }
        Ok(area)
    }
}

// ---------------------------------------------------------------------------
// Coordinate readout
// ---------------------------------------------------------------------------

/// How geographic coordinates are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AngleStyle {
    /// Decimal degrees with 9 decimals (0.1 mm): `114.057860000°E`.
    #[default]
    Decimal,
    /// Degrees, minutes and seconds with 4 decimals (3 mm): `114°03'28.2960"E`.
    Dms,
}

fn hemisphere(v: f64, pos: char, neg: char) -> char {
    if v < 0.0 { neg } else { pos }
}

fn decimal_angle(v: f64, pos: char, neg: char) -> String {
    let s = format!("{:.9}", v.abs());
    // "-0.000000000" must not print as a southern/western zero.
    let h = if s.bytes().all(|b| b == b'0' || b == b'.') {
        pos
    } else {
        hemisphere(v, pos, neg)
    };
    format!("{s}°{h}")
}

fn dms_angle(v: f64, pos: char, neg: char) -> String {
    const UNITS_PER_SECOND: u64 = 10_000;
    // Round once, in integer units of 0.0001", so 59.99999" carries over.
    let units = (v.abs() * 3600.0 * UNITS_PER_SECOND as f64).round() as u64;
    let (deg, rest) = (
        units / (3600 * UNITS_PER_SECOND),
        units % (3600 * UNITS_PER_SECOND),
    );
    let (min, sec) = (
        rest / (60 * UNITS_PER_SECOND),
        rest % (60 * UNITS_PER_SECOND),
    );
    let h = if units == 0 {
        pos
    } else {
        hemisphere(v, pos, neg)
    };
    format!(
        "{deg}°{min:02}'{:02}.{:04}\"{h}",
        sec / UNITS_PER_SECOND,
        sec % UNITS_PER_SECOND
    )
}

/// Formats a point that is already in the CRS it is to be shown in:
/// longitude/latitude for a geographic CRS, in `style`, or easting/northing
/// in metres (3 decimals) for any other; the height follows in metres.
///
/// ```
/// use cim_core::query::measure::{format_coordinate_as, AngleStyle};
/// use glam::DVec3;
/// let p = DVec3::new(114.05786, 22.5431, 12.3456);
/// assert_eq!(format_coordinate_as(p, true, AngleStyle::Decimal), "114.057860000°E, 22.543100000°N, H 12.346 m");
/// assert_eq!(format_coordinate_as(p, true, AngleStyle::Dms), "114°03'28.2960\"E, 22°32'35.1600\"N, H 12.346 m");
/// let q = DVec3::new(38_500_123.4567, 2_494_000.0, -3.0);
/// assert_eq!(format_coordinate_as(q, false, AngleStyle::Dms), "E 38500123.457 m, N 2494000.000 m, H -3.000 m");
/// ```
pub fn format_coordinate_as(p: DVec3, geographic: bool, style: AngleStyle) -> String {
    let h = format!("H {:.3} m", p.z);
    if !geographic {
        return format!("E {:.3} m, N {:.3} m, {h}", p.x, p.y);
    }
    let (lon, lat) = match style {
        AngleStyle::Decimal => (decimal_angle(p.x, 'E', 'W'), decimal_angle(p.y, 'N', 'S')),
        AngleStyle::Dms => (dms_angle(p.x, 'E', 'W'), dms_angle(p.y, 'N', 'S')),
    };
    format!("{lon}, {lat}, {h}")
}

/// Formats a point given in `crs` (decimal degrees for a geographic CRS,
/// metres otherwise). Asks PROJ whether `crs` is geographic on every call;
/// a [`Readout`] asks once.
pub fn format_coordinate(p: DVec3, crs: &CrsDef) -> String {
    format_coordinate_as(p, is_geographic(crs), AngleStyle::Decimal)
}

/// [`format_coordinate`] in degrees, minutes and seconds (metres for a
/// projected CRS).
pub fn format_coordinate_dms(p: DVec3, crs: &CrsDef) -> String {
    format_coordinate_as(p, is_geographic(crs), AngleStyle::Dms)
}

/// The viewer's coordinate readout: points of the scene CRS shown in a CRS
/// the user picked.
pub struct Readout {
    transformer: Transformer,
    geographic: bool,
    pub style: AngleStyle,
}

impl Readout {
    pub fn new(scene: &CrsDef, shown: &CrsDef, style: AngleStyle) -> Result<Readout, CrsError> {
        Ok(Readout {
            transformer: Transformer::new(scene, shown)?,
            geographic: is_geographic(shown),
            style,
        })
    }

    /// The CRS points are shown in.
    pub fn shown(&self) -> &CrsDef {
        self.transformer.to()
    }

    /// `p` (scene CRS) in the shown CRS.
    pub fn coordinates(&self, p: DVec3) -> Result<DVec3, CrsError> {
        self.transformer.transform(p)
    }

    /// `p` (scene CRS) formatted in the shown CRS.
    pub fn format(&self, p: DVec3) -> Result<String, CrsError> {
        Ok(format_coordinate_as(
            self.coordinates(p)?,
            self.geographic,
            self.style,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f64, y: f64) -> DVec3 {
        DVec3::new(x, y, 0.0)
    }

    #[test]
    fn planar_measures() {
        let d = distances(DVec3::new(1.0, 2.0, 3.0), DVec3::new(4.0, 6.0, -9.0));
        assert_eq!(
            d,
            Distances {
                horizontal: 5.0,
                slant: 13.0,
                vertical: -12.0
            }
        );
        let line = [
            DVec3::new(0.0, 0.0, 0.0),
            DVec3::new(3.0, 4.0, 12.0),
            DVec3::new(3.0, 4.0, 0.0),
        ];
        assert_eq!(polyline_length_2d(&line), 5.0);
        assert_eq!(polyline_length_3d(&line), 25.0);
        assert_eq!(polyline_length_2d(&line[..1]), 0.0);
        // Shoelace: an L-shape of area 3 at Gauss–Krüger magnitudes, both
        // orientations, with and without a closing point.
        let (x0, y0) = (38_500_000.0, 2_494_000.0);
        let mut l: Vec<DVec3> = [
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 1.0),
            (1.0, 1.0),
            (1.0, 2.0),
            (0.0, 2.0),
        ]
        .iter()
        .map(|&(x, y)| v(x0 + x, y0 + y))
        .collect();
        assert_eq!(planar_area(&l), 3.0);
        assert_eq!(planar_perimeter(&l), 8.0);
        l.push(l[0]);
        assert_eq!(planar_area(&l), 3.0);
        assert_eq!(planar_perimeter(&l), 8.0);
        l.reverse();
        assert_eq!(planar_area(&l), 3.0);
        let mut poly = Polygon::new(l);
        poly.interiors.push(vec![
            v(x0 + 0.25, y0 + 0.25),
            v(x0 + 0.75, y0 + 0.25),
            v(x0 + 0.75, y0 + 0.75),
            v(x0 + 0.25, y0 + 0.75),
        ]);
        assert_eq!(planar_polygon_area(&poly), 2.75);
        assert_eq!(planar_area(&[v(0.0, 0.0), v(1.0, 1.0)]), 0.0);
    }

    // Reference values from pyproj 3.7.2 (PROJ 9.5.1), which wraps
    // GeographicLib (Karney 2013), produced by:
    //
    //   from pyproj import Geod, Transformer
    //   g = Geod(ellps="GRS80")       # = CGCS2000 ellipsoid
    //   w = Geod(ellps="WGS84")
    //   w.polygon_area_perimeter([0, 1, 1, 0], [0, 0, 1, 1])
    //     -> (12308778361.469452, 443770.91724830196)
    //   g.polygon_area_perimeter([0, 1, 1, 0], [0, 0, 1, 1])
    //     -> (12308778361.063599, 443770.91724101006)
    //   g.inv(116.391, 39.907, 121.4737, 31.2304)
    //     -> (152.90475994637984, -24.128932498935853, 1066761.3360807386)
    //   outer = [(114.05, 22.54), (114.06, 22.54), (114.06, 22.55), (114.05, 22.55)]
    //   hole = [(114.052, 22.542), (114.054, 22.542), (114.054, 22.544), (114.052, 22.544)]
    //   g.polygon_area_perimeter(*zip(*outer)) -> (1139080.4774303436, 4272.012679253908)
    //   g.polygon_area_perimeter(*zip(*hole))  -> (45563.864218592644, 854.4083553320551)
    //   t = Transformer.from_crs("EPSG:4547", "EPSG:4490", always_xy=True)
    //   sq = [(650000, 2494000), (651000, 2494000), (651000, 2495000), (650000, 2495000)]
    //   ll = [t.transform(x, y) for x, y in sq]
    //   g.polygon_area_perimeter(*zip(*ll))            -> (999440.7763720267, 3998.881388111624)
    //   g.inv(*ll[0], *ll[1])[2]                        -> 999.7203478484319
    //   g.line_length(*zip(*ll[:3]))                    -> 1999.4388361330348

    #[test]
    fn geodesic_cell_areas_at_the_equator() {
        let cell = [v(0.0, 0.0), v(1.0, 0.0), v(1.0, 1.0), v(0.0, 1.0)];
        let (a, p) = Geod::wgs84().ring_area_perimeter(&cell);
        assert!((a - 12_308_778_361.469452).abs() < 1e-3, "{a}");
        assert!((p - 443_770.917248302).abs() < 1e-6, "{p}");
        let a = Geod::cgcs2000().ring_area(&cell);
        assert!((a - 12_308_778_361.063599).abs() < 1e-3, "{a}");
        // Orientation and a closing point do not matter.
        let mut cw: Vec<DVec3> = cell.iter().rev().copied().collect();
        cw.push(cw[0]);
        assert!((Geod::cgcs2000().ring_area(&cw) - a).abs() < 1e-3);
    }

    #[test]
    fn geodesic_distance_and_holes() {
        let g = Geod::cgcs2000();
        let bj = v(116.391, 39.907);
        let sh = v(121.4737, 31.2304);
        let r = g.inverse(bj, sh);
        assert!((r.distance - 1_066_761.336_080_7).abs() < 1e-6, "{r:?}");
        assert!((r.azimuth1 - 152.904_759_946_38).abs() < 1e-9, "{r:?}");
        assert!((g.distance(sh, bj) - r.distance).abs() < 1e-6);
        let outer = vec![
            v(114.05, 22.54),
            v(114.06, 22.54),
            v(114.06, 22.55),
            v(114.05, 22.55),
        ];
        let hole = vec![
            v(114.052, 22.542),
            v(114.054, 22.542),
            v(114.054, 22.544),
            v(114.052, 22.544),
        ];
        let (a, p) = g.ring_area_perimeter(&outer);
        assert!((a - 1_139_080.477_430_3).abs() < 1e-4, "{a}");
        assert!((p - 4_272.012_679_253_9).abs() < 1e-6, "{p}");
        let poly = Polygon {
            exterior: outer,
            interiors: vec![hole],
        };
        let net = g.polygon_area(&poly);
        assert!(
            (net - (1_139_080.477_430_3 - 45_563.864_218_592)).abs() < 1e-4,
            "{net}"
        );
        assert_eq!(g.ring_area(&[bj, sh]), 0.0);
    }

    #[test]
    fn measuring_gauss_kruger_coordinates_geodesically() {
        // A 1 km grid square 150 km east of the CM 114°E: on the grid it is
        // 1 000 000 m²; on the ellipsoid it is 0.056 % smaller (scale error).
        let sq = [
            v(650_000.0, 2_494_000.0),
            v(651_000.0, 2_494_000.0),
            v(651_000.0, 2_495_000.0),
            v(650_000.0, 2_495_000.0),
        ];
        let m = GeoMeasurer::new(&CrsDef::parse("EPSG:4547").unwrap()).unwrap();
        assert_eq!(m.geod().ellipsoid(), Ellipsoid::CGCS2000);
        let ll = m.to_lon_lat(sq[0]).unwrap();
        assert!(
            (ll.x - 115.458055636659).abs() < 1e-9 && (ll.y - 22.537034078801).abs() < 1e-9,
            "{ll}"
        );
        let area = m.ring_area(&sq).unwrap();
        assert!((area - 999_440.776_372).abs() < 1e-3, "{area}");
        assert_eq!(planar_area(&sq), 1e6);
        let d = m.distance(sq[0], sq[1]).unwrap();
        assert!((d - 999.720_347_848).abs() < 1e-6, "{d}");
        let len = m.polyline_length(&sq[..3]).unwrap();
        assert!((len - 1_999.438_836_133).abs() < 1e-6, "{len}");
        let ds = m
            .distances(sq[0] + DVec3::Z * 5.0, sq[1] + DVec3::Z * 105.0)
            .unwrap();
        assert_eq!(ds.vertical, 100.0);
        assert!((ds.slant - d.hypot(100.0)).abs() < 1e-9);
        let poly = Polygon {
            exterior: sq.to_vec(),
            interiors: vec![],
        };
        assert!((m.polygon_area(&poly).unwrap() - area).abs() < 1e-9);
        // Geographic input goes through unchanged.
        let g = GeoMeasurer::new(&CrsDef::cgcs2000()).unwrap();
        let cell = [v(0.0, 0.0), v(1.0, 0.0), v(1.0, 1.0), v(0.0, 1.0)];
        assert!((g.ring_area(&cell).unwrap() - 12_308_778_361.063599).abs() < 1e-3);
        // A WGS 84-based CRS measures on WGS 84.
        let w = GeoMeasurer::new(&CrsDef::parse("EPSG:32650").unwrap()).unwrap();
        assert_eq!(w.geod().ellipsoid(), Ellipsoid::WGS84);
    }

    #[test]
    fn degree_and_dms_formatting() {
        let f = |x: f64, y: f64, s| format_coordinate_as(DVec3::new(x, y, 0.0), true, s);
        assert_eq!(
            f(-0.5, -33.25, AngleStyle::Decimal),
            "0.500000000°W, 33.250000000°S, H 0.000 m"
        );
        assert_eq!(
            f(-1e-12, 0.0, AngleStyle::Decimal),
            "0.000000000°E, 0.000000000°N, H 0.000 m"
        );
        // 0.99999999999° rounds up to a whole degree, not 0°59'60".
        assert_eq!(
            f(0.999_999_999_99, 10.0, AngleStyle::Dms),
            "1°00'00.0000\"E, 10°00'00.0000\"N, H 0.000 m"
        );
        assert_eq!(
            f(-122.5, 45.0 + 1.0 / 3600.0, AngleStyle::Dms),
            "122°30'00.0000\"W, 45°00'01.0000\"N, H 0.000 m"
        );
        assert_eq!(
            f(180.0, -90.0, AngleStyle::Dms),
            "180°00'00.0000\"E, 90°00'00.0000\"S, H 0.000 m"
        );
    }

    #[test]
    fn readout_in_a_crs_the_user_picks() {
        let gk = CrsDef::parse("EPSG:4547").unwrap();
        let p = DVec3::new(650_000.0, 2_494_000.0, 7.25);
        assert_eq!(
            format_coordinate(p, &gk),
            "E 650000.000 m, N 2494000.000 m, H 7.250 m"
        );
        let mut r = Readout::new(&gk, &CrsDef::cgcs2000(), AngleStyle::Decimal).unwrap();
        assert_eq!(r.shown(), &CrsDef::cgcs2000());
        let s = r.format(p).unwrap();
        assert!(
            s.starts_with("115.458055637°E, 22.537034079°N, H 7.250"),
            "{s}"
        );
        let ll = r.coordinates(p).unwrap();
        assert_eq!(format_coordinate(ll, &CrsDef::cgcs2000()), s);
        r.style = AngleStyle::Dms;
        let dms = r.format(p).unwrap();
        assert_eq!(format_coordinate_dms(ll, &CrsDef::cgcs2000()), dms);
        assert!(
            dms.starts_with("115°27'29.0003\"E, 22°32'13.3227\"N"),
            "{dms}"
        );
    }

    #[test]
    fn terrain_height() {
        // A plane z = 100 + 0.1 x over a 3×3 DEM with 10 m cells.
        let mut dem = Grid::new(3, 3, 0.0, 30.0, 10.0, 10.0);
        for r in 0..3 {
            for c in 0..3 {
                let (x, _) = dem.cell_center(c, r);
                dem.set(c, r, (100.0 + 0.1 * x) as f32);
            }
        }
        let h = height_above_terrain(DVec3::new(12.0, 17.0, 150.0), &dem).unwrap();
        assert!((h - (150.0 - 101.2)).abs() < 1e-4, "{h}");
        assert_eq!(
            height_above_terrain(DVec3::new(31.0, 17.0, 150.0), &dem),
            None
        );
        dem.nodata = Some(-9999.0);
        dem.set(1, 1, -9999.0);
        assert_eq!(
            height_above_terrain(DVec3::new(12.0, 17.0, 150.0), &dem),
            None
        );
    }
}
