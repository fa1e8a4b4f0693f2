//! The flood panel (内涝模拟): a scenario file to run and its progress, the
//! outputs on a time slider, the depth legend, a probe's depth over time
//! at a clicked point, and the buildings in water deeper than a threshold
//! (a click flies to one).

use crate::analysis::flood::{DEFAULT_THRESHOLD_M, DepthRamp, Flood, FloodViewCommand};
use crate::scene::store::SceneStore;
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use std::path::PathBuf;

/// What is typed into the panel.
#[derive(Default)]
pub struct FloodInputs {
    pub scenario: String,
}

/// Seconds as the clock reads them: `1:05:00`, `12:30`.
fn clock(s: f64) -> String {
    let s = s.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    flood: &Flood,
    inputs: &mut FloodInputs,
    requests: &mut Requests,
    commands: &mut Vec<FloodViewCommand>,
) {
    if inputs.scenario.is_empty()
        && let Some(p) = &flood.scenario
    {
        inputs.scenario = p.display().to_string();
    }
    ui.horizontal(|ui| {
        ui.label(l.t("flood.scenario"));
        ui.text_edit_singleline(&mut inputs.scenario);
    });
    ui.horizontal(|ui| {
        let can_run = !flood.running && !inputs.scenario.trim().is_empty();
        if ui
            .add_enabled(can_run, egui::Button::new(l.t("flood.run")))
            .clicked()
        {
            commands.push(FloodViewCommand::Run(PathBuf::from(inputs.scenario.trim())));
        }
        if flood.running && ui.button(l.t("flood.stop")).clicked() {
            commands.push(FloodViewCommand::Stop);
        }
        if !flood.running && flood.grid.is_some() && ui.button(l.t("flood.clear")).clicked() {
            commands.push(FloodViewCommand::Clear);
        }
    });
    if flood.running {
        let done = if flood.duration_s > 0.0 {
            (flood.progress_s / flood.duration_s) as f32
        } else {
            0.0
        };
        ui.add(egui::ProgressBar::new(done).text(format!(
            "{} / {}",
            clock(flood.progress_s),
            clock(flood.duration_s)
        )));
    }
    if let Some(s) = &flood.summary {
        ui.weak(format!(
            "{} ({}) · {} {} · {:.1} s · {} {:.1e}",
            s.backend.to_uppercase(),
            s.device,
            s.steps,
            l.t("flood.steps"),
            s.wall_s,
            l.t("flood.mass_error"),
            s.mass_error_rel
        ));
    }
    if flood.frames.is_empty() {
        if !flood.running {
            ui.weak(l.t("flood.hint"));
        }
        return;
    }
    time_slider(ui, l, flood, commands);
    legend(ui, l);
    arrows(ui, l, flood, commands);
    probe(ui, l, flood, commands);
    flooded(ui, l, store, flood, requests, commands);
}

fn time_slider(ui: &mut egui::Ui, l: Lang, flood: &Flood, commands: &mut Vec<FloodViewCommand>) {
    let last = flood.frames.len() - 1;
    let mut k = flood.shown.unwrap_or(last);
    ui.horizontal(|ui| {
        ui.label(l.t("flood.time"));
        let slider = egui::Slider::new(&mut k, 0..=last)
            .custom_formatter(|v, _| clock(flood.frames[v as usize].time_s))
            .custom_parser(|_| None);
        if ui.add(slider).changed() {
            commands.push(FloodViewCommand::Show(k));
        }
        let mut follow = flood.following;
        if ui.checkbox(&mut follow, l.t("flood.follow")).changed() {
            commands.push(if follow {
                FloodViewCommand::Follow
            } else {
                FloodViewCommand::Show(k)
            });
        }
    });
}

fn legend(ui: &mut egui::Ui, l: Lang) {
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(220.0), 12.0),
        egui::Sense::hover(),
    );
    let steps = 32;
    let w = rect.width() / steps as f32;
    let ramp = DepthRamp::default();
    for i in 0..steps {
        let [r, g, b, _] = ramp.colour(2.0 * i as f32 / (steps - 1) as f32);
        ui.painter().rect_filled(
            egui::Rect::from_min_size(
                egui::pos2(rect.left() + i as f32 * w, rect.top()),
                egui::vec2(w + 0.5, rect.height()),
            ),
            0.0,
            egui::Color32::from_rgb(r, g, b),
        );
    }
    ui.horizontal(|ui| {
        ui.label(l.t("flood.depth"));
        ui.label("0 … 2 m+");
    });
}

fn arrows(ui: &mut egui::Ui, l: Lang, flood: &Flood, commands: &mut Vec<FloodViewCommand>) {
    let mut on = flood.arrows;
    if ui.checkbox(&mut on, l.t("flood.arrows")).changed() {
        commands.push(FloodViewCommand::Arrows(on));
    }
}

fn probe(ui: &mut egui::Ui, l: Lang, flood: &Flood, commands: &mut Vec<FloodViewCommand>) {
    ui.separator();
    let mut probing = flood.probing;
    ui.checkbox(&mut probing, l.t("flood.probe"));
    if probing != flood.probing {
        // The tool's state lives with the analysis (the click system reads it).
        commands.push(FloodViewCommand::Probing(probing));
    }
    let Some(p) = flood.probe else {
        if probing {
            ui.weak(l.t("flood.probe_hint"));
        }
        return;
    };
    let series = flood.probe_series();
    let now = flood.shown.and_then(|k| series.get(k)).map_or(0.0, |s| s.1);
    let peak = series.iter().map(|s| s.1).fold(0.0f32, f32::max);
    ui.label(format!(
        "({:.1}, {:.1}) · {} {:.2} m · {} {:.2} m",
        p.point.x,
        p.point.y,
        l.t("flood.now"),
        now,
        l.t("flood.peak"),
        peak
    ));
    plot(ui, &series, flood.shown);
}

/// Depth over time as a line, the output shown marked.
fn plot(ui: &mut egui::Ui, series: &[(f64, f32)], shown: Option<usize>) {
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(260.0), 90.0),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_stroke(
        rect,
        0.0,
        egui::Stroke::new(1.0, egui::Color32::GRAY),
        egui::StrokeKind::Inside,
    );
    let (Some(first), Some(last)) = (series.first(), series.last()) else {
        return;
    };
    let span = (last.0 - first.0.min(0.0)).max(1e-9);
    let top = series.iter().map(|s| s.1).fold(0.1f32, f32::max);
    let at = |t: f64, h: f32| {
        egui::pos2(
            rect.left() + rect.width() * ((t - first.0.min(0.0)) / span) as f32,
            rect.bottom() - rect.height() * (h / top),
        )
    };
    let points: Vec<egui::Pos2> = series.iter().map(|&(t, h)| at(t, h)).collect();
    painter.add(egui::Shape::line(
        points,
        egui::Stroke::new(2.0, egui::Color32::from_rgb(40, 110, 200)),
    ));
    if let Some(&(t, h)) = shown.and_then(|k| series.get(k)) {
        painter.circle_filled(at(t, h), 3.5, egui::Color32::from_rgb(230, 120, 30));
    }
    painter.text(
        rect.left_top() + egui::vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        format!("{top:.2} m"),
        egui::FontId::proportional(11.0),
        egui::Color32::GRAY,
    );
}

fn flooded(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    flood: &Flood,
    requests: &mut Requests,
    commands: &mut Vec<FloodViewCommand>,
) {
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(l.t("flood.threshold"));
        let mut t = flood.threshold_m;
        let drag = egui::DragValue::new(&mut t)
            .range(0.0..=5.0)
            .speed(0.01)
            .suffix(" m");
        if ui.add(drag).changed() {
            commands.push(FloodViewCommand::Threshold(t));
        }
        if (flood.threshold_m - DEFAULT_THRESHOLD_M).abs() > 1e-6 && ui.small_button("↺").clicked()
        {
            commands.push(FloodViewCommand::Threshold(DEFAULT_THRESHOLD_M));
        }
    });
    ui.label(format!(
        "{} {}",
        flood.flooded.len(),
        l.t("flood.buildings_flooded")
    ));
    egui::ScrollArea::vertical()
        .id_salt("flooded")
        .max_height(160.0)
        .show(ui, |ui| {
            for f in flood.flooded.iter().take(200) {
                let Some(v) = store
                    .slot(f.layer)
                    .and_then(|s| s.layer.as_ref())
                    .and_then(|l| l.vector())
                else {
                    continue;
                };
                let Some(feature) = v.features.get(f.feature as usize) else {
                    continue;
                };
                // A name field when the layer has one, else the feature's number.
                let name = v
                    .fields
                    .iter()
                    .position(|fd| {
                        let n = fd.name.to_lowercase();
                        n == "name" || n.contains("名称")
                    })
                    .and_then(|k| feature.attributes.get(k))
                    .map(|a| a.to_string())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| format!("#{}", f.feature + 1));
                let text = format!("{name} · {:.2} m ({:.2})", f.depth_m, f.max_m);
                if ui.link(text).clicked() {
                    requests.focus(store, f.layer, feature.id);
                }
            }
        });
}
