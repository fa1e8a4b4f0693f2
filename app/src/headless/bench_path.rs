//! Scripted camera paths for `cim bench --path`: the same flight over any
//! scene, scaled to where its data is, so frame times compare between
//! scenes, builds and machines. Pure geometry (no Bevy), tested below.

use crate::view::camera::Pose;
use cim_core::Bbox;
use glam::DVec3;

/// A camera path over a scene's extent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CameraPath {
    /// One turn around the centre, looking at it from above (overview).
    Orbit,
    /// Corner to corner at roof-top height plus, looking ahead and down.
    Flyover,
    /// Through the middle at eye height, looking along the way.
    Street,
}

/// The pose at `t` ∈ [0, 1] along `path` over `focus` (the box where the
/// data is); `ground` gives the terrain height at a point.
pub fn pose_at(path: CameraPath, focus: &Bbox, ground: &dyn Fn(DVec3) -> f64, t: f64) -> Pose {
    let c = focus.center();
    let s = focus.size();
    let half = (s.x.hypot(s.y) * 0.5).max(100.0);
    let t = t.clamp(0.0, 1.0);
    match path {
        CameraPath::Orbit => {
            let r = 1.2 * half;
            let a = std::f64::consts::TAU * t;
            let centre = DVec3::new(c.x, c.y, ground(c));
            let eye = DVec3::new(c.x + r * a.sin(), c.y - r * a.cos(), centre.z + 0.6 * r);
            Pose::look_at(eye, centre)
        }
        CameraPath::Flyover => {
            let (a, b) = (
                DVec3::new(focus.min.x, focus.min.y, 0.0),
                DVec3::new(focus.max.x, focus.max.y, 0.0),
            );
            let p = a.lerp(b, t);
            let height = (0.15 * half).max(s.z + 50.0).max(150.0);
            let eye = DVec3::new(p.x, p.y, ground(p) + height);
            let dir = (b - a).normalize_or(DVec3::Y);
            // 30° below the horizon.
            let ahead = height / 30f64.to_radians().tan();
            let target = DVec3::new(eye.x + dir.x * ahead, eye.y + dir.y * ahead, ground(p));
            Pose::look_at(eye, target)
        }
        CameraPath::Street => {
            // Along the longer side, through the centre.
            let dir = if s.x >= s.y { DVec3::X } else { DVec3::Y };
            let len = s.x.max(s.y).max(100.0);
            let p = c + dir * (len * (t - 0.5));
            let eye = DVec3::new(p.x, p.y, ground(p) + 1.7);
            let mut pose = Pose::look_at(eye, eye + dir * 100.0);
            pose.pitch = 3f64.to_radians();
            pose
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn focus() -> Bbox {
        Bbox {
            min: DVec3::new(38_448_000.0, 2_466_000.0, 0.0),
            max: DVec3::new(38_450_000.0, 2_467_000.0, 80.0),
        }
    }

    #[test]
    fn orbits_look_at_the_centre_from_a_constant_distance() {
        let f = focus();
        let ground = |_: DVec3| 10.0;
        let d: Vec<f64> = (0..8)
            .map(|i| {
                let p = pose_at(CameraPath::Orbit, &f, &ground, i as f64 / 8.0);
                let centre = DVec3::new(f.center().x, f.center().y, 10.0);
                assert!(p.forward().dot((centre - p.eye).normalize()) > 0.9999);
                p.eye.distance(centre)
            })
            .collect();
        assert!(d.iter().all(|x| (x - d[0]).abs() < 1e-6), "{d:?}");
        let start = pose_at(CameraPath::Orbit, &f, &ground, 0.0);
        let end = pose_at(CameraPath::Orbit, &f, &ground, 1.0);
        assert!(start.eye.distance(end.eye) < 1e-6, "a closed loop");
    }

    #[test]
    fn flyovers_and_streets_stay_above_the_ground_and_cross_the_data() {
        let f = focus();
        let hill = |p: DVec3| 50.0 + 0.01 * (p.x - f.min.x);
        for path in [CameraPath::Flyover, CameraPath::Street] {
            let first = pose_at(path, &f, &hill, 0.0);
            let last = pose_at(path, &f, &hill, 1.0);
            assert!(first.eye.distance(last.eye) >= 1000.0, "{path:?} travels");
            for i in 0..=10 {
                let p = pose_at(path, &f, &hill, i as f64 / 10.0);
                assert!(p.eye.z > hill(p.eye), "{path:?} above ground at {i}");
                assert!(p.pitch > 0.0, "{path:?} looks down a little");
            }
        }
        let street = pose_at(CameraPath::Street, &f, &hill, 0.5);
        assert!((street.eye.z - hill(street.eye) - 1.7).abs() < 1e-9);
    }
}
