//! Flow direction: chevrons moving along the pipes of a simulated network,
//! the way the water flows at the step the clock is at, faster where it
//! is faster (speeds exaggerated so walking pace shows). Drawn as gizmos
//! each frame, only for pipes near the camera: their centre lines are
//! indexed in a plan grid once per layer, a frame visits the cells within
//! a radius that grows with the camera's height, chevrons spaced so their
//! number stays bounded (at most `MAX_CHEVRONS`).

use crate::render::centre_lines::CentreLineColours;
use crate::render::pipe_results::{LayerRun, PipeResults};
use bevy::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Chevrons drawn per frame at most.
const MAX_CHEVRONS: usize = 20_000;
/// Plan grid cell of the line index, metres.
const CELL: f32 = 100.0;
/// Drawn speed over water speed.
const SPEED_UP: f32 = 15.0;

/// A layer's centre lines by plan cell, and signed speeds by feature at
/// one step.
pub struct LayerFlow {
    lines: Arc<crate::render::centre_lines::FeatureLines>,
    cells: HashMap<(i32, i32), Vec<usize>>,
    /// (step, per feature: velocity signed by the flow's direction along
    /// the drawn line, m/s).
    speeds: Option<(usize, HashMap<u32, f32>)>,
}

fn cell(p: Vec3) -> (i32, i32) {
    ((p.x / CELL).floor() as i32, (p.y / CELL).floor() as i32)
}

fn index(
    lines: &Arc<crate::render::centre_lines::FeatureLines>,
) -> HashMap<(i32, i32), Vec<usize>> {
    let mut cells: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
    for (i, (_, line)) in lines.lines.iter().enumerate() {
        let mut seen = Vec::new();
        for p in line {
            let c = cell(*p);
            if !seen.contains(&c) {
                seen.push(c);
                cells.entry(c).or_default().push(i);
            }
        }
    }
    cells
}

pub fn animate_flow(
    results: Res<PipeResults>,
    lines: Query<(&CentreLineColours, &GlobalTransform)>,
    camera: Query<&GlobalTransform, With<Camera3d>>,
    time: Res<Time>,
    mut gizmos: Gizmos,
    mut layers: Local<HashMap<u64, LayerFlow>>,
) {
    if !results.animate {
        return;
    }
    let Ok(cam) = camera.single() else { return };
    let mut budget = MAX_CHEVRONS;
    for (c, anchor) in &lines {
        let Some(LayerRun::Ready(r)) = results.layers.get(&c.layer) else {
            continue;
        };
        let flow = layers.entry(c.layer).or_insert_with(|| LayerFlow {
            lines: c.lines.clone(),
            cells: index(&c.lines),
            speeds: None,
        });
        if !Arc::ptr_eq(&flow.lines, &c.lines) {
            *flow = LayerFlow {
                lines: c.lines.clone(),
                cells: index(&c.lines),
                speeds: None,
            };
        }
        if flow.speeds.as_ref().is_none_or(|s| s.0 != r.period) {
            let Some(period) = r.sim.periods.get(r.period) else {
                continue;
            };
            let speeds = (0..r.sim.link_ids.len())
                .filter_map(|i| {
                    let v = period.velocity_ms[i].abs() as f32;
                    Some((r.feature(i)?, v.copysign(period.flow_lps[i] as f32)))
                })
                .collect();
            flow.speeds = Some((r.period, speeds));
        }
        let speeds = &flow.speeds.as_ref().expect("set above").1;
        // The camera in the layer's frame: where to look, how far.
        let to_local = anchor.affine().inverse();
        let eye = to_local.transform_point3(cam.translation());
        let ground_z = flow
            .lines
            .lines
            .first()
            .and_then(|l| l.1.first())
            .map_or(0.0, |p| p.z);
        let height = (eye.z - ground_z).abs().max(10.0);
        let radius = (height * 4.0).clamp(150.0, 4_000.0);
        let spacing = (radius / 40.0).max(3.0);
        let size = spacing * 0.18;
        let phase = time.elapsed_secs();
        let (c0, c1) = (
            cell(eye - Vec3::splat(radius)),
            cell(eye + Vec3::splat(radius)),
        );
        let mut drawn: HashSet<usize> = HashSet::new();
        for cx in c0.0..=c1.0 {
            for cy in c0.1..=c1.1 {
                let Some(ids) = flow.cells.get(&(cx, cy)) else {
                    continue;
                };
                for &i in ids {
                    if budget == 0 || !drawn.insert(i) {
                        continue;
                    }
                    let (feature, line) = &flow.lines.lines[i];
                    let Some(&v) = speeds.get(feature) else {
                        continue;
                    };
                    if v.abs() < 1e-3 {
                        continue;
                    }
                    budget = budget.saturating_sub(chevrons(
                        &mut gizmos,
                        anchor,
                        line,
                        v,
                        phase,
                        spacing,
                        size,
                        budget,
                    ));
                }
            }
        }
    }
}

/// Draws chevrons along `line`, pointing and moving with speed `v`
/// (negative: against the line's direction); returns how many.
#[allow(clippy::too_many_arguments)]
fn chevrons(
    gizmos: &mut Gizmos,
    anchor: &GlobalTransform,
    line: &[Vec3],
    v: f32,
    time: f32,
    spacing: f32,
    size: f32,
    budget: usize,
) -> usize {
    let colour = Color::srgba(1.0, 1.0, 1.0, 0.9);
    let offset = (time * v.abs().max(0.05) * SPEED_UP).rem_euclid(spacing);
    let sign = v.signum();
    let mut drawn = 0;
    let mut start = 0.0;
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = a.distance(b);
        if len <= 0.0 {
            continue;
        }
        let dir = (b - a) / len * sign;
        // Chevron positions along the whole line at `offset + k·spacing`,
        // measured from the end the water enters.
        let base = if sign > 0.0 { offset } else { spacing - offset };
        let mut s = base + ((start - base) / spacing).ceil().max(0.0) * spacing;
        while s <= start + len {
            if drawn == budget {
                return drawn;
            }
            let p = a + (b - a) * ((s - start) / len);
            // Across the pipe, level (a riser's chevrons lie east–west).
            let across = dir.cross(Vec3::Z);
            let across = if across.length_squared() > 1e-6 {
                across
            } else {
                dir.cross(Vec3::X)
            };
            let side = across.normalize_or_zero() * size * 0.6;
            let tip = anchor.transform_point(p);
            let back = p - dir * size;
            gizmos.line(anchor.transform_point(back + side), tip, colour);
            gizmos.line(anchor.transform_point(back - side), tip, colour);
            drawn += 1;
            s += spacing;
        }
        start += len;
    }
    drawn
}
