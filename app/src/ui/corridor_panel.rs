//! The pipe-corridor panel (管线综合分析): a clearance and collision
//! check of the scene's utility lines with the violations listed (a click
//! flies there and highlights the pair), a section along the measured line
//! shown as its drawing and exported as SVG or PNG, and a dig inside the
//! measured area with the lines it reaches.

use crate::analysis::corridor::{Corridor, CorridorCommand, CorridorResult, Outcome};
use crate::scene::store::{Notice, SceneStore, StoreCommand};
use crate::tools::{MeasureMode, Tools};
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use cim_core::pipes::corridor::clearance::ViolationKind;
use cim_core::pipes::corridor::excavation::Impact;
use cim_core::pipes::corridor::svg::{SvgOptions, to_svg};
use cim_core::{Bbox, DVec3};

/// What is typed into the panel, and the drawing made of the last section.
pub struct CorridorInputs {
    along_m: f64,
    depth_m: f64,
    margin_m: f64,
    /// (result generation, the section's SVG, its texture).
    drawing: Option<(u64, String, egui::TextureHandle)>,
    show_drawing: bool,
}

impl Default for CorridorInputs {
    fn default() -> Self {
        CorridorInputs {
            along_m: 0.0,
            depth_m: 2.0,
            margin_m: 0.5,
            drawing: None,
            show_drawing: false,
        }
    }
}

/// Flies to a spot, a 30 m box around it.
fn fly_to(requests: &mut Requests, at: DVec3) {
    let r = DVec3::splat(15.0);
    requests.frame(&Bbox {
        min: at - r,
        max: at + r,
    });
}

fn kind_name(l: Lang, k: ViolationKind) -> &'static str {
    match k {
        ViolationKind::Collision => l.t("corridor.collision"),
        ViolationKind::Vertical => l.t("corridor.vertical"),
        ViolationKind::Horizontal => l.t("corridor.horizontal"),
    }
}

fn impact_name(l: Lang, i: Impact) -> &'static str {
    match i {
        Impact::Exposed => l.t("corridor.exposed"),
        Impact::WithinMargin => l.t("corridor.within_margin"),
        Impact::UnknownDepth => l.t("corridor.unknown_depth"),
        Impact::Near => l.t("corridor.near"),
        Impact::Below => l.t("corridor.below"),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    tools: &Tools,
    store: &SceneStore,
    corridor: &Corridor,
    inputs: &mut CorridorInputs,
    requests: &mut Requests,
    commands: &mut Vec<CorridorCommand>,
) {
    ui.add_enabled_ui(!corridor.running, |ui| {
        ui.horizontal(|ui| {
            if ui.button(l.t("corridor.check")).clicked() {
                commands.push(CorridorCommand::CheckClearance);
            }
            if ui.button(l.t("corridor.cover")).clicked() {
                commands.push(CorridorCommand::CheckCover);
            }
        });
        let path = matches!(tools.mode, MeasureMode::Distance | MeasureMode::Polyline)
            && tools.points.len() >= 2;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(path, egui::Button::new(l.t("corridor.section")))
                .clicked()
            {
                commands.push(CorridorCommand::Section {
                    path: tools.points.iter().map(|p| p.truncate()).collect(),
                    along_m: inputs.along_m,
                });
                inputs.show_drawing = true;
            }
            ui.label(l.t("corridor.along"));
            ui.add(
                egui::DragValue::new(&mut inputs.along_m)
                    .range(0.0..=50.0)
                    .speed(0.5)
                    .suffix(" m"),
            );
        });
        let area = tools.mode == MeasureMode::Area && tools.points.len() >= 3;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(area, egui::Button::new(l.t("corridor.dig")))
                .clicked()
            {
                commands.push(CorridorCommand::Dig {
                    outline: tools.points.iter().map(|p| p.truncate()).collect(),
                    depth_m: inputs.depth_m,
                    margin_m: inputs.margin_m,
                });
            }
            ui.label(l.t("corridor.depth"));
            ui.add(
                egui::DragValue::new(&mut inputs.depth_m)
                    .range(0.1..=50.0)
                    .speed(0.1)
                    .suffix(" m"),
            );
        });
        if !path && !area {
            ui.weak(l.t("corridor.hint"));
        }
    });
    if corridor.running {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(l.t("corridor.running"));
        });
    }
    let Some(r) = &corridor.result else { return };
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} {} · {:.2} s",
            r.lines.lines.len(),
            l.t("corridor.lines"),
            r.seconds
        ));
        if ui.small_button(l.t("corridor.clear")).clicked() {
            commands.push(CorridorCommand::Clear);
        }
    });
    match &r.outcome {
        Outcome::Clearance(c) => {
            clearance_list(ui, l, r, c, requests, commands);
            crate::ui::export::button(ui, l, "GeoJSON", requests, || {
                export_violations(store, r, c)
            });
        }
        Outcome::Cover(c) => {
            ui.label(format!(
                "{} {} · {} {}",
                c.checked,
                l.t("corridor.checked"),
                c.shortfalls.len(),
                l.t("corridor.shallow")
            ));
            if !c.without_rule.is_empty() {
                let names: Vec<&str> = c.without_rule.iter().map(String::as_str).collect();
                ui.weak(format!("{}: {}", l.t("corridor.unruled"), names.join(", ")));
            }
            egui::ScrollArea::vertical()
                .id_salt("cover_short")
                .max_height(240.0)
                .show(ui, |ui| {
                    for s in &c.shortfalls {
                        let line = &r.lines.lines[s.line];
                        let text = format!(
                            "{} {} · {:.2} m < {:.2} m · {:.1} m",
                            line.id,
                            line.utility.name_zh(),
                            s.cover_m,
                            s.required_m,
                            s.length_m
                        );
                        if ui.selectable_label(false, text).clicked() {
                            commands.push(CorridorCommand::Highlight(vec![s.line]));
                            fly_to(requests, s.at);
                        }
                    }
                });
        }
        Outcome::Dig(hits) => {
            egui::ScrollArea::vertical()
                .id_salt("dig_hits")
                .max_height(240.0)
                .show(ui, |ui| {
                    for h in hits {
                        let line = &r.lines.lines[h.line];
                        let text = format!(
                            "{} · {} {} · {:.1} m{}",
                            impact_name(l, h.impact),
                            line.id,
                            line.utility.name_zh(),
                            h.inside_m,
                            h.clearance_m
                                .map_or(String::new(), |c| format!(" · {c:+.2} m"))
                        );
                        if ui.selectable_label(false, text).clicked() {
                            commands.push(CorridorCommand::Highlight(vec![h.line]));
                            fly_to(requests, h.at);
                        }
                    }
                });
        }
        Outcome::Section(s) => {
            ui.label(format!(
                "{} {} · {:.1} m",
                s.cuts.len(),
                l.t("corridor.cut"),
                s.length_m
            ));
            if ui.button(l.t("corridor.show_drawing")).clicked() {
                inputs.show_drawing = true;
            }
        }
    }
    drawing_window(ui.ctx(), l, store, corridor, inputs, requests);
}

fn clearance_list(
    ui: &mut egui::Ui,
    l: Lang,
    r: &CorridorResult,
    c: &cim_core::pipes::corridor::clearance::ClearanceReport,
    requests: &mut Requests,
    commands: &mut Vec<CorridorCommand>,
) {
    let count = |k| c.violations.iter().filter(|v| v.kind == k).count();
    ui.label(format!(
        "{} {} · {} {} · {} {}",
        kind_name(l, ViolationKind::Collision),
        count(ViolationKind::Collision),
        kind_name(l, ViolationKind::Vertical),
        count(ViolationKind::Vertical),
        kind_name(l, ViolationKind::Horizontal),
        count(ViolationKind::Horizontal)
    ));
    if !c.unruled.is_empty() {
        let pairs: Vec<String> = c.unruled.iter().map(|(a, b)| format!("{a}–{b}")).collect();
        ui.weak(format!("{}: {}", l.t("corridor.unruled"), pairs.join(", ")));
    }
    egui::ScrollArea::vertical()
        .id_salt("violations")
        .max_height(280.0)
        .show_rows(ui, 18.0, c.violations.len(), |ui, rows| {
            for v in &c.violations[rows] {
                let (a, b) = (&r.lines.lines[v.a], &r.lines.lines[v.b]);
                let text = format!(
                    "{} · {}–{} · {:.2} m{}",
                    kind_name(l, v.kind),
                    a.id,
                    b.id,
                    v.clearance_m,
                    v.required_m.map_or(String::new(), |m| format!(" < {m:.2}"))
                );
                if ui.selectable_label(false, text).clicked() {
                    commands.push(CorridorCommand::Highlight(vec![v.a, v.b]));
                    fly_to(requests, v.at);
                }
            }
        });
}

/// The section's drawing in a window, with its exports.
fn drawing_window(
    ctx: &egui::Context,
    l: Lang,
    store: &SceneStore,
    corridor: &Corridor,
    inputs: &mut CorridorInputs,
    requests: &mut Requests,
) {
    let Some(CorridorResult {
        lines,
        outcome: Outcome::Section(section),
        ..
    }) = &corridor.result
    else {
        return;
    };
    if inputs
        .drawing
        .as_ref()
        .is_none_or(|d| d.0 != corridor.generation)
    {
        let title = cim_core::pipes::corridor::svg::title(!section.runs.is_empty(), l == Lang::Zh);
        let svg = to_svg(
            section,
            &lines.lines,
            &SvgOptions {
                title: title.to_string(),
                exaggeration: if section.runs.is_empty() { 1.0 } else { 10.0 },
                chinese: l == Lang::Zh,
                ..SvgOptions::default()
            },
        );
        match crate::headless::svg_png::render_rgba(&svg) {
            Ok((w, h, rgba)) => {
                let image =
                    egui::ColorImage::from_rgba_premultiplied([w as usize, h as usize], &rgba);
                let texture =
                    ctx.load_texture("corridor_section", image, egui::TextureOptions::LINEAR);
                inputs.drawing = Some((corridor.generation, svg, texture));
            }
            Err(e) => {
                inputs.show_drawing = false;
                requests.store.push(StoreCommand::Notify(Notice {
                    error: true,
                    text: format!("section drawing: {e:#}"),
                }));
                return;
            }
        }
    }
    let Some((_, svg, texture)) = &inputs.drawing else {
        return;
    };
    let mut open = inputs.show_drawing;
    egui::Window::new(l.t("corridor.drawing"))
        .open(&mut open)
        .resizable(true)
        .default_width(960.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                for (ext, label) in [("svg", "SVG"), ("png", "PNG")] {
                    crate::ui::export::button(ui, l, label, requests, || export(store, svg, ext));
                }
            });
            let size = texture.size_vec2();
            let w = ui.available_width().min(size.x);
            ui.image((texture.id(), egui::vec2(w, size.y * w / size.x)));
        });
    inputs.show_drawing = open;
}

/// Writes the drawing beside the scene document (or in the working
/// folder), named by the time; the notice says where or why not.
fn export(store: &SceneStore, svg: &str, ext: &str) -> Notice {
    let path = super::export::path(store, "section", "drawing", ext);
    let bytes = match ext {
        "png" => crate::headless::svg_png::render(svg).map_err(|e| format!("{e:#}")),
        _ => Ok(svg.as_bytes().to_vec()),
    };
    let r = bytes.and_then(|b| std::fs::write(&path, b).map_err(|e| e.to_string()));
    super::export::written(&path, r)
}

/// The violations as GeoJSON points (scene CRS) with what the CLI's
/// `--geojson` gives them.
fn export_violations(
    store: &SceneStore,
    r: &CorridorResult,
    c: &cim_core::pipes::corridor::clearance::ClearanceReport,
) -> Notice {
    let path = super::export::path(store, "clearance", "violations", "geojson");
    let features: Vec<_> = c
        .violations
        .iter()
        .map(|v| {
            let (a, b) = (&r.lines.lines[v.a], &r.lines.lines[v.b]);
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [v.at.x, v.at.y, v.at.z]},
                "properties": {
                    "kind": v.kind.key(), "a": a.id, "utility_a": a.utility.key(),
                    "b": b.id, "utility_b": b.utility.key(),
                    "required_m": v.required_m, "clearance_m": v.clearance_m, "places": v.places,
                },
            })
        })
        .collect();
    let doc = serde_json::json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": store.crs.label()}},
        "features": features,
    });
    let r = serde_json::to_vec(&doc)
        .map_err(|e| e.to_string())
        .and_then(|b| std::fs::write(&path, b).map_err(|e| e.to_string()));
    super::export::written(&path, r)
}
