//! Feature labels from a field (`label_field` in a layer's style), drawn by
//! egui over the 3D view so Chinese text uses the same CJK font as the UI.
//! Labels stay upright and the same size on screen; candidates come from
//! each layer's R-tree around the camera, nearest first, and a label that
//! would overlap one already placed is dropped (greedy decluttering, as map
//! renderers do).

use crate::render::layers::Ground;
use crate::scene::origin::RenderOrigin;
use crate::scene::store::SceneStore;
use bevy::prelude::*;
use bevy_egui::egui;
use cim_core::model::geometry::Geometry;
use cim_core::model::layer::LayerKind;
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

/// A feature's label before placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub at: DVec3,
    pub text: String,
    /// Pixels to keep clear above the anchor (a point's icon).
    pub lift_px: f32,
}

/// Label candidates near the camera at `eye`, nearest first: for every
/// labelled, visible layer, the features nearest the camera (by the
/// layer's R-tree) within a radius that grows with the camera's height,
/// whose anchor `in_view` accepts — at most [`MAX_CANDIDATES`] per layer,
/// after examining at most four times as many, however large the layer.
pub fn candidates(
    store: &SceneStore,
    styled: &crate::scene::derived::StyleResults,
    styles: &crate::render::feature_style::FeatureStyles,
    ground: &Ground,
    eye: DVec3,
    in_view: &dyn Fn(DVec3) -> bool,
) -> Vec<Candidate> {
    let above = (eye.z - ground.height(eye)).max(10.0);
    let radius = (above * 2.5).clamp(300.0, 5_000.0);
    let mut out: Vec<(f64, Candidate)> = Vec::new();
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
        let lift_px = if slot.kind() == LayerKind::Points {
            crate::render::point_icons::ICON_PX
        } else {
            0.0
        };
        let mut taken = 0;
        for (i, _) in ix
            .nearest_boxes(DVec2::new(eye.x, eye.y))
            .take_while(|(_, d)| *d <= radius)
            .take(4 * MAX_CANDIDATES)
        {
            if styles.is_hidden(slot.id, i) {
                continue;
            }
            let f = &v.features[i];
            let prism = if slot.kind() == LayerKind::Buildings {
                styled.prism(slot.id, i)
            } else {
                None
            };
            let Some(at) = label_anchor(&f.geometry, prism, ground).filter(|at| in_view(*at))
            else {
                continue;
            };
            let text = f
                .attributes
                .get(fi)
                .map(|a| a.to_string())
                .unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            out.push((at.distance_squared(eye), Candidate { at, text, lift_px }));
            taken += 1;
            if taken == MAX_CANDIDATES {
                break;
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}

/// A label placed on screen (pixels, y down).
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    /// The feature's anchor on screen.
    pub anchor: Vec2,
    /// The label's box (text plus padding), above the anchor.
    pub rect: Rect,
    pub text: String,
}

/// Padding around the text, pixels (x, y).
pub const PADDING: Vec2 = Vec2::new(4.0, 2.0);
/// Gap between the anchor and the box, pixels.
const GAP: f32 = 4.0;

/// Greedy decluttering: candidates in order (nearest first), each placed
/// above its anchor unless its box would overlap one already placed or its
/// anchor is off `bounds`; at most `MAX_LABELS · scale²` labels (so a
/// high-resolution snapshot keeps the density of the screen). `project`
/// gives a scene point's pixel position; `measure` a text's size.
pub fn declutter(
    candidates: Vec<Candidate>,
    bounds: Rect,
    project: impl Fn(DVec3) -> Option<Vec2>,
    mut measure: impl FnMut(&str) -> Vec2,
    scale: f32,
) -> Vec<Placed> {
    let max = (MAX_LABELS as f32 * scale.max(1.0).powi(2)) as usize;
    let mut placed: Vec<Placed> = Vec::new();
    for Candidate { at, text, lift_px } in candidates {
        if placed.len() >= max {
            break;
        }
        let Some(anchor) = project(at) else { continue };
        if !bounds.contains(anchor) {
            continue;
        }
        let size = measure(&text) + 2.0 * PADDING * scale;
        let rect = Rect::from_center_size(
            anchor - Vec2::new(0.0, size.y * 0.5 + (GAP + lift_px) * scale),
            size,
        );
        if placed.iter().any(|l| !l.rect.intersect(rect).is_empty()) {
            continue;
        }
        placed.push(Placed { anchor, rect, text });
    }
    placed
}

#[allow(clippy::too_many_arguments)]
pub fn show(
    ctx: &egui::Context,
    clip: egui::Rect,
    store: &SceneStore,
    styled: &crate::scene::derived::StyleResults,
    styles: &crate::render::feature_style::FeatureStyles,
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
    let font = egui::FontId::proportional(13.0);
    let project = |p: DVec3| camera.world_to_viewport(cam_t, origin.to_render(p)).ok();
    let in_view = |p: DVec3| project(p).is_some_and(|s| clip.contains(egui::pos2(s.x, s.y)));
    let placed = declutter(
        candidates(store, styled, styles, ground, eye, &in_view),
        Rect::new(clip.min.x, clip.min.y, clip.max.x, clip.max.y),
        project,
        |text| {
            let g = painter.layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::WHITE);
            Vec2::new(g.size().x, g.size().y)
        },
        1.0,
    );
    for l in placed {
        let rect = egui::Rect::from_min_max(
            egui::pos2(l.rect.min.x, l.rect.min.y),
            egui::pos2(l.rect.max.x, l.rect.max.y),
        );
        painter.rect_filled(rect, 3.0, egui::Color32::from_black_alpha(150));
        painter.circle_filled(
            egui::pos2(l.anchor.x, l.anchor.y),
            2.5,
            egui::Color32::from_rgb(255, 215, 90),
        );
        // Laid out again: egui caches the galley of the measuring pass.
        let galley = painter.layout_no_wrap(l.text, font.clone(), egui::Color32::WHITE);
        painter.galley(
            rect.min + egui::vec2(PADDING.x, PADDING.y),
            galley,
            egui::Color32::WHITE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_labels_are_dropped_nearest_first() {
        // Anchors 0, 10 and 100 px apart on a line; 40 px wide labels.
        let c = |x: f64, text: &str| Candidate {
            at: DVec3::new(x, 0.0, 0.0),
            text: text.into(),
            lift_px: 0.0,
        };
        let cands = vec![c(0.0, "a"), c(10.0, "b"), c(100.0, "c"), c(-500.0, "off")];
        let placed = declutter(
            cands,
            Rect::new(-200.0, -200.0, 200.0, 200.0),
            |p| Some(Vec2::new(p.x as f32, 50.0)),
            |_| Vec2::new(40.0, 12.0),
            1.0,
        );
        let texts: Vec<&str> = placed.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "c"]);
        // The box stands above its anchor.
        assert!(placed[0].rect.max.y < placed[0].anchor.y);
        assert_eq!(placed[0].rect.width(), 48.0);
    }
}
