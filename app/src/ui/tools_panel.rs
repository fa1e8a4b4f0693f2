//! The Tools panel: search, attribute query, measurement, coordinate readout.

use crate::render::layers::Ground;
use crate::scene::store::SceneStore;
use crate::tools::{MeasureMode, Tools, focus_feature};
use crate::ui::i18n::Lang;
use crate::view::camera::CameraRig;
use crate::view::picking::{CursorHit, Selection};
use bevy_egui::egui;

#[allow(clippy::too_many_arguments)]
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    tools: &mut Tools,
    store: &SceneStore,
    ground: &Ground,
    hit: &CursorHit,
    rig: &mut CameraRig,
    selection: &mut Selection,
) {
    ui.heading(l.t("tools.search"));
    let r = ui.add(
        egui::TextEdit::singleline(&mut tools.search_text).hint_text(l.t("tools.search_hint")),
    );
    if r.changed() {
        if tools.search_text.trim().is_empty() {
            tools.search_hits.clear();
        } else {
            tools.run_search(store);
        }
    }
    let mut focus = None;
    egui::ScrollArea::vertical()
        .id_salt("search")
        .max_height(140.0)
        .show(ui, |ui| {
            for (slot, id, text) in &tools.search_hits {
                if ui
                    .selectable_label(selection.0 == Some((*slot, *id)), text)
                    .clicked()
                {
                    focus = Some((*slot, *id));
                }
            }
        });

    ui.separator();
    ui.heading(l.t("tools.query"));
    ui.horizontal(|ui| {
        let r = ui.add(
            egui::TextEdit::singleline(&mut tools.query_text)
                .hint_text("height > 100 and use = '住宅'"),
        );
        if ui.button(l.t("tools.run")).clicked()
            || (r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
        {
            tools.run_query(store);
        }
    });
    match &tools.query_result {
        Err(e) => {
            ui.colored_label(egui::Color32::from_rgb(255, 110, 100), e);
        }
        Ok(hits) if !tools.query_text.is_empty() => {
            ui.label(format!("{} {}", hits.len(), l.t("layer.features")));
            egui::ScrollArea::vertical()
                .id_salt("query")
                .max_height(140.0)
                .show(ui, |ui| {
                    for (slot, id, text) in hits.iter().take(500) {
                        if ui
                            .selectable_label(selection.0 == Some((*slot, *id)), text)
                            .clicked()
                        {
                            focus = Some((*slot, *id));
                        }
                    }
                });
        }
        Ok(_) => {}
    }
    if let Some((slot, id)) = focus {
        focus_feature(store, rig, selection, slot, id);
    }

    ui.separator();
    ui.heading(l.t("tools.measure"));
    ui.horizontal_wrapped(|ui| {
        for (mode, key) in [
            (MeasureMode::Off, "tools.off"),
            (MeasureMode::Distance, "tools.distance"),
            (MeasureMode::Polyline, "tools.polyline"),
            (MeasureMode::Area, "tools.area"),
            (MeasureMode::Height, "tools.height"),
        ] {
            if ui.selectable_label(tools.mode == mode, l.t(key)).clicked() {
                tools.mode = mode;
                tools.points.clear();
            }
        }
    });
    let lines = tools.measurement(store, ground);
    for line in &lines {
        ui.monospace(line);
    }
    if !lines.is_empty() && ui.button(l.t("inspector.copy")).clicked() {
        ui.ctx().copy_text(lines.join("\n"));
    }

    ui.separator();
    ui.heading(l.t("tools.readout"));
    ui.horizontal(|ui| {
        ui.label("CRS");
        ui.text_edit_singleline(&mut tools.readout_crs);
    });
    if let Some(p) = hit.point {
        let text = tools.readout_text(store, p);
        ui.monospace(&text);
        if ui.button(l.t("inspector.copy")).clicked() {
            ui.ctx().copy_text(text);
        }
    }
}
