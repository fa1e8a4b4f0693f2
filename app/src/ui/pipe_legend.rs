//! The hydraulic results panel: what the pipes are coloured by (velocity,
//! flow, pressure), the colour ramp over the simulation's range, the step
//! the clock is at, and each network's state (running, failed, showing a
//! scenario: what it changes, and the way back to normal operation).

use crate::render::pipe_results::{
    LayerRun, PipeResults, PipeResultsCommand, Quantity, ScenarioShown,
};
use crate::scene::store::SceneStore;
use crate::ui::i18n::Lang;
use bevy_egui::egui;

/// Shows the panel; the chosen quantity comes back as a command.
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    results: &PipeResults,
    commands: &mut Vec<PipeResultsCommand>,
    open_table: &mut Option<u64>,
) {
    let mut quantity = results.quantity;
    ui.horizontal(|ui| {
        for q in Quantity::ALL {
            ui.radio_value(&mut quantity, q, l.t(q.key()));
        }
    });
    if quantity != results.quantity {
        commands.push(PipeResultsCommand::SetQuantity(quantity));
    }
    let mut animate = results.animate;
    if ui.checkbox(&mut animate, l.t("pipes.animate")).changed() {
        commands.push(PipeResultsCommand::SetAnimate(animate));
    }
    for (id, run) in &results.layers {
        let name = store.slot(*id).map_or("?", |s| s.reference.name.as_str());
        ui.separator();
        ui.strong(name);
        if let Some(label) = results.scenario_running.get(id) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{} {label}", l.t("pipes.scenario_running")));
            });
        }
        match run {
            LayerRun::Running => {
                ui.label(l.t("pipes.running"));
            }
            LayerRun::Failed(e) => {
                ui.colored_label(egui::Color32::LIGHT_RED, cim_core::message::clip(e, 300));
            }
            LayerRun::Ready(r) => {
                let t = r.sim.periods.get(r.period).map_or(0, |p| p.time_s);
                ui.label(format!(
                    "{} {}:{:02} / {} {}",
                    l.t("pipes.step"),
                    t / 3600,
                    t % 3600 / 60,
                    r.sim.periods.len(),
                    l.t("pipes.steps")
                ));
                ramp(ui, results.quantity, r.range(results.quantity));
                if ui.button(l.t("pipes.table")).clicked() {
                    *open_table = Some(*id);
                }
                if let Some(s) = &r.scenario {
                    scenario(ui, l, *id, s, commands);
                }
            }
        }
    }
}

/// A scenario shown in place of normal operation: what it is, what it
/// does to pressures, and the way back.
fn scenario(
    ui: &mut egui::Ui,
    l: Lang,
    layer: u64,
    s: &ScenarioShown,
    commands: &mut Vec<PipeResultsCommand>,
) {
    ui.separator();
    ui.strong(format!("{} {}", l.t("pipes.scenario"), s.label));
    ui.label(format!(
        "{} {} · {} {}",
        s.closed_links,
        l.t("pipes.closed_links"),
        s.out_of_service,
        l.t("pipes.out_of_service")
    ));
    let i = &s.impact;
    let low = format!(
        "{} {} {} m",
        i.newly_low.len(),
        l.t("pipes.newly_low"),
        s.floor_m
    );
    if i.newly_low.is_empty() {
        ui.label(low);
    } else {
        ui.colored_label(egui::Color32::LIGHT_RED, low);
    }
    ui.label(format!("{} {}", i.drops.len(), l.t("pipes.drops")));
    for c in i.drops.iter().take(5) {
        let t = c.time_s;
        ui.weak(format!(
            "{}  {:.2} → {:.2} m (−{:.2} m, {}:{:02})",
            cim_core::message::clip(&c.node, 16),
            c.base_m,
            c.after_m,
            c.drop_m(),
            t / 3600,
            t % 3600 / 60
        ));
    }
    for e in s.edits.iter().take(3) {
        ui.weak(e);
    }
    if ui.button(l.t("pipes.normal")).clicked() {
        commands.push(PipeResultsCommand::ShowNormal { layer });
    }
}

/// The ramp as a bar with its ends' values.
fn ramp(ui: &mut egui::Ui, q: Quantity, (lo, hi): (f64, f64)) {
    let ramp = q.ramp();
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(220.0), 12.0),
        egui::Sense::hover(),
    );
    let steps = 32;
    let w = rect.width() / steps as f32;
    for i in 0..steps {
        let [r, g, b, _] = ramp.sample(i as f32 / (steps - 1) as f32);
        let x = rect.left() + i as f32 * w;
        ui.painter().rect_filled(
            egui::Rect::from_min_size(
                egui::pos2(x, rect.top()),
                egui::vec2(w + 0.5, rect.height()),
            ),
            0.0,
            egui::Color32::from_rgb(r, g, b),
        );
    }
    ui.horizontal(|ui| {
        ui.label(format!("{lo:.2}"));
        ui.label("…");
        ui.label(format!("{hi:.2} {}", q.unit()));
    });
}
