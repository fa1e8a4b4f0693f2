//! [`Transformer`]: moves points between any two [`CrsDef`]s.
//!
//! Every definition is reduced to a *chain*: a CRS that PROJ knows (its
//! "base") followed by our own exact steps (GCJ-02/BD-09 shifts, local TM,
//! similarity, Helmert). A transformation runs the source chain backwards to
//! its base, lets PROJ go from base to base (skipped when both bases are the
//! same definition), then runs the target chain forwards. This keeps PROJ in
//! charge of everything that needs the EPSG database (datum shifts, registry
//! projections) while the non-registry grids stay plain data.

use std::fmt;
use std::sync::{Mutex, MutexGuard};

use glam::DVec3;

use super::definition::CrsDef;
use super::error::CrsError;
use super::gcj02;
use super::local_grid::{Helmert, Similarity};
use super::proj_backend::{CrsOp, Ctx};
use super::tmerc::TransverseMercator;

/// Base CRS of the GCJ-02 and BD-09 chains: WGS 84 lon/lat.
const WEB_MAP_BASE: &str = "EPSG:4326";

/// A coordinate transformation between two CRSs.
///
/// Coordinates are always `DVec3(easting or longitude°, northing or latitude°,
/// height m)`, whatever the axis order of the EPSG definition; ECEF is `(X, Y, Z)`.
///
/// `Transformer` is `Send` **and** `Sync`: the PROJ operation sits behind a
/// mutex (a PROJ context must not be used by two threads at once), so sharing
/// one transformer between threads is safe but serializes its PROJ calls; for
/// parallel bulk work create one transformer per thread.
///
/// ```
/// use cim_core::crs::{CrsDef, DVec3, Transformer};
/// // CGCS2000 lon/lat → CGCS2000 / 3-degree Gauss-Kruger CM 120E.
/// let t = Transformer::new(&CrsDef::cgcs2000(), &CrsDef::parse("EPSG:4549").unwrap()).unwrap();
/// let p = t.transform(DVec3::new(120.0, 30.0, 12.5)).unwrap();
/// assert!((p.x - 500_000.0).abs() < 1e-6 && (p.y - 3_320_113.40).abs() < 0.01 && p.z == 12.5);
/// ```
pub struct Transformer {
    from: CrsDef,
    to: CrsDef,
    /// Steps from the source's base to the source (run backwards, inverted).
    from_steps: Vec<Step>,
    /// PROJ from base to base; `None` when both bases are the same CRS.
    proj: Option<Mutex<CrsOp>>,
    /// Steps from the target's base to the target.
    to_steps: Vec<Step>,
}

impl Transformer {
    /// Builds the transformation; fails with a message naming the definition at fault.
    pub fn new(from: &CrsDef, to: &CrsDef) -> Result<Transformer, CrsError> {
        let ctx = Ctx::new();
        let src = resolve(from, &ctx)?;
        let dst = resolve(to, &ctx)?;
        let proj = if src.base == dst.base {
            None
        } else {
            let op = CrsOp::new(ctx, &src.base, &dst.base).map_err(|e| match e {
                CrsError::NoTransformation { reason, .. } => CrsError::NoTransformation {
                    from: from.label(),
                    to: to.label(),
                    reason,
                },
                other => other,
            })?;
            Some(Mutex::new(op))
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            from_steps: src.steps,
            proj,
            to_steps: dst.steps,
        })
    }

    /// The source CRS.
    pub fn from(&self) -> &CrsDef {
        &self.from
    }

    /// The target CRS.
    pub fn to(&self) -> &CrsDef {
        &self.to
    }

    /// The transformation in the other direction.
    pub fn inverse(&self) -> Result<Transformer, CrsError> {
        Transformer::new(&self.to, &self.from)
    }

    /// Transforms one point.
    pub fn transform(&self, p: DVec3) -> Result<DVec3, CrsError> {
        let mut guard = self.lock();
        self.transform_locked(guard.as_deref_mut(), p)
    }

    /// Transforms points in place, taking the lock once. On error the points
    /// before the failing one are already transformed and the rest are not;
    /// the error names the failing input point.
    pub fn transform_many(&self, pts: &mut [DVec3]) -> Result<(), CrsError> {
        let mut guard = self.lock();
        for p in pts.iter_mut() {
            *p = self.transform_locked(guard.as_deref_mut(), *p)?;
        }
        Ok(())
    }

    fn lock(&self) -> Option<MutexGuard<'_, CrsOp>> {
        // A panic while holding the lock cannot leave PROJ half-updated in a
        // way that matters to the next call, so poisoning is ignored.
        self.proj
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    fn transform_locked(&self, op: Option<&mut CrsOp>, p: DVec3) -> Result<DVec3, CrsError> {
        let fail = |reason: String| CrsError::Point {
            point: p,
            from: self.from.label(),
            to: self.to.label(),
            reason,
        };
        if !p.is_finite() {
            return Err(fail("input is not a finite number".to_string()));
        }
        let mut q = p;
        for step in self.from_steps.iter().rev() {
            q = step.inverse(q);
        }
        if let Some(op) = op {
            q = op.trans(q).map_err(fail)?;
        }
        for step in &self.to_steps {
            q = step.forward(q);
        }
        if !q.is_finite() {
            return Err(fail(
                "no finite result (point outside the valid area of the CRS?)".to_string(),
            ));
        }
        Ok(q)
    }
}

impl fmt::Debug for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transformer")
            .field("from", &self.from.label())
            .field("to", &self.to.label())
            .field("uses_proj", &self.proj.is_some())
            .finish()
    }
}

/// One exact step of a chain, from the CRS below to the CRS above.
#[derive(Clone, Debug)]
enum Step {
    WgsToGcj,
    GcjToBd,
    Tm(TransverseMercator),
    Similarity(Similarity),
    Helmert(Helmert),
}

impl Step {
    fn forward(&self, p: DVec3) -> DVec3 {
        match self {
            Step::WgsToGcj => with_xy(p, gcj02::wgs84_to_gcj02(p.x, p.y)),
            Step::GcjToBd => with_xy(p, gcj02::gcj02_to_bd09(p.x, p.y)),
            Step::Tm(tm) => with_xy(p, tm.forward(p.x, p.y)),
            Step::Similarity(s) => s.forward(p),
            Step::Helmert(h) => h.forward(p),
        }
    }

    fn inverse(&self, p: DVec3) -> DVec3 {
        match self {
            Step::WgsToGcj => with_xy(p, gcj02::gcj02_to_wgs84(p.x, p.y)),
            Step::GcjToBd => with_xy(p, gcj02::bd09_to_gcj02(p.x, p.y)),
            Step::Tm(tm) => with_xy(p, tm.inverse(p.x, p.y)),
            Step::Similarity(s) => s.inverse(p),
            Step::Helmert(h) => h.inverse(p),
        }
    }
}

fn with_xy(p: DVec3, (x, y): (f64, f64)) -> DVec3 {
    DVec3::new(x, y, p.z)
}

/// A CRS as "PROJ base + our steps".
struct Chain {
    base: String,
    steps: Vec<Step>,
    geographic: bool,
}

/// Reduces a definition to its chain, validating parameters and bases.
fn resolve(def: &CrsDef, ctx: &Ctx) -> Result<Chain, CrsError> {
    Ok(match def {
        CrsDef::Code(code) => {
            let crs = ctx.create_crs(code)?;
            Chain {
                base: code.clone(),
                steps: Vec::new(),
                geographic: ctx.describe(&crs).geographic,
            }
        }
        CrsDef::Gcj02 => Chain {
            base: WEB_MAP_BASE.to_string(),
            steps: vec![Step::WgsToGcj],
            geographic: true,
        },
        CrsDef::Bd09 => Chain {
            base: WEB_MAP_BASE.to_string(),
            steps: vec![Step::WgsToGcj, Step::GcjToBd],
            geographic: true,
        },
        CrsDef::LocalTm(grid) => {
            grid.validate()?;
            let bad_base = |reason: &str| CrsError::Base {
                grid: "local transverse Mercator",
                base: grid.base.clone(),
                reason: reason.to_string(),
            };
            let crs = ctx.create_crs(&grid.base)?;
            let meta = ctx.describe(&crs);
            if meta.kind != "geographic" {
                return Err(bad_base(&format!(
                    "the base must be a geographic CRS, this one is {}",
                    meta.kind
                )));
            }
            if !ctx.first_axis_in_degrees(&crs) {
                return Err(bad_base("the base must measure angles in degrees"));
            }
            let ellipsoid = ctx
                .ellipsoid(&crs)
                .ok_or_else(|| bad_base("PROJ reports no ellipsoid for it"))?;
            Chain {
                base: grid.base.clone(),
                steps: vec![Step::Tm(grid.projection(&ellipsoid))],
                geographic: false,
            }
        }
        CrsDef::Similarity(grid) => {
            grid.validate()?;
            let mut chain = resolve_cartesian_base(&grid.base, "plane similarity", ctx)?;
            chain.steps.push(Step::Similarity(grid.clone()));
            chain
        }
        CrsDef::Helmert(grid) => {
            grid.validate()?;
            let mut chain = resolve_cartesian_base(&grid.base, "Helmert", ctx)?;
            chain.steps.push(Step::Helmert(grid.clone()));
            chain
        }
    })
}

/// Similarity and Helmert treat coordinates as Cartesian lengths: degrees make no sense.
fn resolve_cartesian_base(base: &CrsDef, grid: &'static str, ctx: &Ctx) -> Result<Chain, CrsError> {
    let chain = resolve(base, ctx)?;
    if chain.geographic {
        return Err(CrsError::Base {
            grid,
            base: base.label(),
            reason: "the base must be projected or geocentric (metres), not geographic".into(),
        });
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{HelmertConvention, LocalTm};

    fn code(s: &str) -> CrsDef {
        CrsDef::parse(s).unwrap()
    }

    fn tf(from: &CrsDef, to: &CrsDef) -> Transformer {
        Transformer::new(from, to).unwrap()
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Transformer>();
    }

    #[test]
    fn axis_order_is_lon_lat_for_epsg_4490_and_4326() {
        // EPSG:4490 is lat,lon in the registry; our interface is lon,lat.
        let t = tf(&CrsDef::cgcs2000(), &code("EPSG:4527")); // GK zone 39, CM 117°E, x_0 = 39 500 000
        let p = t.transform(DVec3::new(117.0, 40.0, 0.0)).unwrap();
        assert!((p.x - 39_500_000.0).abs() < 1e-6, "easting first: {p}");
        assert!((p.y - 4_429_529.03).abs() < 0.01, "northing second: {p}");
        let t = tf(&CrsDef::wgs84(), &code("EPSG:32650")); // UTM 50N, CM 117°E
        let p = t.transform(DVec3::new(117.0, 40.0, 0.0)).unwrap();
        assert!((p.x - 500_000.0).abs() < 1e-6 && p.y > 4.4e6);
    }

    #[test]
    fn web_mercator_and_ecef() {
        let t = tf(&CrsDef::wgs84(), &code("EPSG:3857"));
        let p = t.transform(DVec3::new(180.0, 0.0, 0.0)).unwrap();
        assert!((p.x - 20_037_508.342_789_244).abs() < 1e-6 && p.y.abs() < 1e-6);

        // PROJ's geocentric conversion agrees with our pure ENU/ECEF math.
        let t = tf(&code("EPSG:4490"), &code("EPSG:4479"));
        for g in [
            DVec3::new(116.39, 39.9, 50.0),
            DVec3::new(87.6, 43.8, 800.0),
        ] {
            let x = t.transform(g).unwrap();
            let ours = crate::crs::enu::geodetic_to_ecef(g);
            assert!((x - ours).length() < 1e-6, "{x} vs {ours}");
            let back = t.inverse().unwrap().transform(x).unwrap();
            let d = (back - g).abs();
            assert!(d.x < 1e-11 && d.y < 1e-11 && d.z < 1e-6, "{back}");
        }
        let t = tf(&CrsDef::wgs84(), &code("EPSG:4978"));
        let x = t.transform(DVec3::new(0.0, 0.0, 100.0)).unwrap();
        assert!(
            (x - DVec3::new(6_378_237.0, 0.0, 0.0)).length() < 1e-6,
            "{x}"
        );
    }

    #[test]
    fn gcj02_and_bd09_chains() {
        let t = tf(&CrsDef::wgs84(), &CrsDef::Gcj02);
        let p = t
            .transform(DVec3::new(121.5272106, 31.1774276, 4.0))
            .unwrap();
        assert!((p.x - 121.531541859215).abs() < 1e-9 && (p.y - 31.17530398364597).abs() < 1e-9);
        assert_eq!(p.z, 4.0);
        // GCJ-02 → BD-09 never touches PROJ.
        let t = tf(&CrsDef::Gcj02, &CrsDef::Bd09);
        assert!(t.proj.is_none());
        let b = t.transform(DVec3::new(116.404, 39.915, 0.0)).unwrap();
        assert!((b.x - 116.41036949371029).abs() < 1e-9);
        // BD-09 → GK zone and back, within a millimetre.
        let t = tf(&CrsDef::Bd09, &code("EPSG:4547"));
        let g = t.transform(b).unwrap();
        let back = t.inverse().unwrap().transform(g).unwrap();
        assert!((back - b).abs().max_element() < 1e-9);
    }

    #[test]
    fn local_tm_matches_proj_tmerc() {
        // A city grid as PROJ would define it, with the height-plane scale written out.
        let mut grid = LocalTm::gauss_kruger(120.3);
        grid.latitude_of_origin = 30.0;
        grid.false_easting = 50_000.0;
        grid.false_northing = -3_300_000.0;
        grid.scale_factor = 0.9999;
        grid.projection_height = 120.0;
        let k = grid.effective_scale(&crate::crs::Ellipsoid::CGCS2000);
        let proj_tm = CrsDef::parse(&format!(
            "+proj=tmerc +lat_0=30 +lon_0=120.3 +k={k:.17} +x_0=50000 +y_0=-3300000 +ellps=GRS80 +units=m"
        ))
        .unwrap();
        let ours = tf(&CrsDef::cgcs2000(), &CrsDef::LocalTm(grid.clone()));
        let theirs = tf(&CrsDef::cgcs2000(), &proj_tm);
        let back = tf(&CrsDef::LocalTm(grid), &CrsDef::cgcs2000());
        let mut worst: f64 = 0.0;
        for i in 0..=20 {
            for j in 0..=20 {
                let g = DVec3::new(117.3 + 0.3 * i as f64, 22.0 + 1.0 * j as f64, 10.0);
                let a = ours.transform(g).unwrap();
                let b = theirs.transform(g).unwrap();
                worst = worst.max((a - b).length());
                let r = back.transform(a).unwrap();
                assert!((r - g).abs().max_element() < 1e-10, "{g} -> {a} -> {r}");
            }
        }
        assert!(
            worst < 1e-6,
            "local TM differs from PROJ tmerc by {worst} m"
        );
    }

    #[test]
    fn similarity_and_helmert_chains() {
        let gk = code("EPSG:4549");
        let sim = CrsDef::Similarity(crate::crs::Similarity {
            name: "site".into(),
            base: Box::new(gk.clone()),
            dx: -500_000.0,
            dy: -3_300_000.0,
            rotation_deg: 0.0,
            scale: 1.0,
        });
        let g = DVec3::new(120.01, 29.8, 3.0);
        let a = tf(&CrsDef::cgcs2000(), &gk).transform(g).unwrap();
        let b = tf(&CrsDef::cgcs2000(), &sim).transform(g).unwrap();
        assert!((b - (a + DVec3::new(-500_000.0, -3_300_000.0, 0.0))).length() < 1e-6);
        // Site grid → GK directly equals undoing the shift; no PROJ needed.
        let t = tf(&sim, &gk);
        assert!(t.proj.is_none());
        assert!((t.transform(b).unwrap() - a).length() < 1e-6);

        // Helmert on CGCS2000 ECEF, checked against PROJ's own helmert pipeline.
        let helmert = crate::crs::Helmert {
            name: String::new(),
            base: Box::new(code("EPSG:4479")),
            tx: 12.3,
            ty: -45.6,
            tz: 7.8,
            rx: 0.5,
            ry: -1.2,
            rz: 2.1,
            scale_ppm: 3.4,
            convention: HelmertConvention::CoordinateFrame,
        };
        let t = tf(&CrsDef::cgcs2000(), &CrsDef::Helmert(helmert.clone()));
        let to_ecef = tf(&CrsDef::cgcs2000(), &code("EPSG:4479"));
        let mut pipeline = crate::crs::proj_backend::tests_support::proj_pipeline(
            "+proj=helmert +x=12.3 +y=-45.6 +z=7.8 +rx=0.5 +ry=-1.2 +rz=2.1 +s=3.4 +convention=coordinate_frame",
        );
        for g in [
            DVec3::new(116.4, 39.9, 30.0),
            DVec3::new(121.47, 31.23, -5.0),
        ] {
            let ours = t.transform(g).unwrap();
            let theirs = pipeline(to_ecef.transform(g).unwrap());
            assert!((ours - theirs).length() < 1e-6, "{ours} vs {theirs}");
            let back = t.inverse().unwrap().transform(ours).unwrap();
            assert!((back - g).abs().max_element() < 1e-9);
        }
    }

    #[test]
    fn clear_errors() {
        let err = |from: CrsDef, to: CrsDef| Transformer::new(&from, &to).unwrap_err().to_string();
        let e = err(CrsDef::Code("EPSG:99999".into()), CrsDef::wgs84());
        assert!(e.contains("EPSG:99999"), "{e}");
        let mut grid = LocalTm::gauss_kruger(120.0);
        grid.base = "EPSG:4549".into();
        let e = err(CrsDef::LocalTm(grid), CrsDef::wgs84());
        assert!(e.contains("EPSG:4549") && e.contains("geographic"), "{e}");
        let sim = CrsDef::Similarity(crate::crs::Similarity {
            name: String::new(),
            base: Box::new(CrsDef::Gcj02),
            dx: 0.0,
            dy: 0.0,
            rotation_deg: 0.0,
            scale: 1.0,
        });
        let e = err(sim, CrsDef::wgs84());
        assert!(e.contains("GCJ-02") && e.contains("not geographic"), "{e}");
        let t = tf(&CrsDef::wgs84(), &code("EPSG:4549"));
        let e = t
            .transform(DVec3::new(f64::NAN, 1.0, 0.0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("NaN") && e.contains("finite"), "{e}");
        // Latitude 95° is outside the domain of everything.
        let e = t
            .transform(DVec3::new(120.0, 95.0, 0.0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("120") && e.contains("95"), "{e}");
        let mut pts = [DVec3::new(120.0, 30.0, 0.0), DVec3::new(120.0, 95.0, 0.0)];
        assert!(t.transform_many(&mut pts).is_err());
        assert!(pts[0].x > 1e5, "first point transformed before the failure");
    }

    #[test]
    fn transform_many_matches_transform() {
        let t = tf(&CrsDef::cgcs2000(), &code("EPSG:4526"));
        let mut pts: Vec<DVec3> = (0..100)
            .map(|i| DVec3::new(112.5 + 0.03 * i as f64, 20.0 + 0.3 * i as f64, i as f64))
            .collect();
        let one: Vec<DVec3> = pts.iter().map(|p| t.transform(*p).unwrap()).collect();
        t.transform_many(&mut pts).unwrap();
        assert_eq!(pts, one);
        // Shared between threads.
        let t = std::sync::Arc::new(t);
        let handles: Vec<_> = (0..4)
            .map(|k| {
                let t = t.clone();
                std::thread::spawn(move || {
                    t.transform(DVec3::new(114.0, 22.0 + k as f64, 0.0))
                        .unwrap()
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap().x > 38_000_000.0);
        }
    }
}
