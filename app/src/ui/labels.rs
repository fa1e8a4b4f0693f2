//! Feature labels from a field (`label_field` in a layer's style), drawn by
//! egui over the 3D view so Chinese text uses the same CJK font as the UI.
//! Labels stay upright and the same size on screen; candidates come from
//! each layer's R-tree around the camera, nearest first, and a label that
//! would overlap one already placed is dropped (greedy decluttering, as map
//! renderers do).

use crate::layers::Ground;
use crate::origin::RenderOrigin;
use crate::scene_state::SceneStore;
use bevy::prelude::*;
use bevy_egui::egui;
use cim_core::geometry::Geometry;
use cim_core::layer::LayerKind;
use glam::{DVec2, DVec3};

/// Most labels drawn in one frame.
const MAX_LABELS: usize = 150;
/// Candidates examined per layer per frame.
const MAX_CANDIDATES: usize = 4_000;

/// Where a feature's label sits: points at the point, lines at their middle
/// vertex, areas at their box centre, buildings on the roof.
fn label_anchor(g: &Geometry, prism: Option<(f64, f64)>, ground: &Ground) -> Option<DVec3> {
    let p = match g {
        Geometry::Point(p) => *p,
        Geometry::LineString(l) => *l.get(l.len() / 2)?,
        Geometry::MultiLineString(ls) => {
            let l = ls.iter().max_by_key(|l| l.len())?;
            *l.get(l.len() / 2)?
        }
        other => other.bbox()?.center(),
    };
    let z = match prism {
        Some((_, top)) => top + 2.0,
        None if p.z != 0.0 => p.z + 2.0,
        None => ground.height(p) + 2.0,
    };
    Some(DVec3::new(p.x, p.y, z))
}

#[allow(clippy::too_many_arguments)]
pub fn show(
    ctx: &egui::Context,
    clip: egui::Rect,
    store: &SceneStore,
    ground: &Ground,
    camera: &Camera,
    cam_t: &GlobalTransform,
    origin: &RenderOrigin,
    eye: DVec3,
) {
    let painter = ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Background,
            egui::Id::new("feature_labels"),
        ))
        .with_clip_rect(clip);
    let above = (eye.z - ground.height(eye)).max(10.0);
    let radius = (above * 2.5).clamp(300.0, 5_000.0);
    let mut candidates: Vec<(f64, DVec3, String)> = Vec::new();
    for slot in &store.layers {
        let Some(field) = slot.reference.style.label_field.as_deref() else {
            continue;
        };
        if !slot.reference.visible {
            continue;
        }
        let (Some(v), Some(ix)) = (slot.layer.as_ref().and_then(|l| l.vector()), &slot.index)
        else {
            continue;
        };
        let Some(fi) = v.field_index(field) else {
            continue;
        };
        let c = DVec2::new(eye.x, eye.y);
        for i in ix
            .bbox_candidates(c - DVec2::splat(radius), c + DVec2::splat(radius))
            .take(MAX_CANDIDATES)
        {
            let f = &v.features[i];
            let text = f
                .attributes
                .get(fi)
                .map(|a| a.to_string())
                .unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            let prism = if slot.kind() == LayerKind::Buildings {
                slot.prisms.get(i).copied().flatten()
            } else {
                None
            };
            if let Some(p) = label_anchor(&f.geometry, prism, ground) {
                candidates.push((p.distance_squared(eye), p, text));
            }
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let font = egui::FontId::proportional(13.0);
    let mut placed: Vec<egui::Rect> = Vec::new();
    for (_, p, text) in candidates {
        if placed.len() >= MAX_LABELS {
            break;
        }
        let world = origin.to_render(p);
        let Ok(screen) = camera.world_to_viewport(cam_t, world) else {
            continue;
        };
        let pos = egui::pos2(screen.x, screen.y);
        if !clip.contains(pos) {
            continue;
        }
        let galley = painter.layout_no_wrap(text, font.clone(), egui::Color32::WHITE);
        let rect = egui::Rect::from_center_size(
            pos - egui::vec2(0.0, galley.size().y * 0.5 + 4.0),
            galley.size() + egui::vec2(8.0, 4.0),
        );
        if placed.iter().any(|r| r.intersects(rect)) {
            continue;
        }
        painter.rect_filled(rect, 3.0, egui::Color32::from_black_alpha(150));
        painter.circle_filled(pos, 2.5, egui::Color32::from_rgb(255, 215, 90));
        painter.galley(
            rect.min + egui::vec2(4.0, 2.0),
            galley,
            egui::Color32::WHITE,
        );
        placed.push(rect);
    }
}
