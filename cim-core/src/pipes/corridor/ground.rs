//! The ground surface the corridor analyses measure depth from: a DEM, or
//! the ground elevations a survey records at each line's points.

use super::utility::UtilityLine;
use crate::model::grid::Grid;
use glam::DVec2;

/// A ground surface: its elevation at a plan point, where known.
pub trait Ground {
    fn height(&self, p: DVec2) -> Option<f64>;
}

impl Ground for Grid {
    fn height(&self, p: DVec2) -> Option<f64> {
        self.sample(p.x, p.y)
    }
}

/// No surface: only the lines' own ground elevations count.
pub struct NoGround;

impl Ground for NoGround {
    fn height(&self, _: DVec2) -> Option<f64> {
        None
    }
}

/// The ground over parameter `t` of segment `i` of `line`: the surface's,
/// else the line's recorded ground interpolated.
pub fn ground_over(ground: &dyn Ground, line: &UtilityLine, i: usize, t: f64) -> Option<f64> {
    let p = line.plan[i].lerp(line.plan[i + 1], t);
    ground.height(p).or_else(|| {
        let g = line.ground.as_ref()?;
        Some(g[i] + (g[i + 1] - g[i]) * t)
    })
}
