//! The Tools panel: search, attribute query, measurement, coordinate readout.
//! It reads [`Tools`] and asks for changes with `ToolCommand`s; the texts
//! being typed live in [`ToolInputs`] until they are sent.

use crate::render::layers::Ground;
use crate::scene::store::SceneStore;
use crate::tools::{MeasureMode, ToolCommand, Tools};
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use crate::view::picking::Selection;
use bevy_egui::egui;

/// What is being typed into the Tools panel.
pub struct ToolInputs {
    pub search: String,
    pub query: String,
    pub readout_crs: String,
    pub edits: super::tileset_edits::EditInputs,
}

impl Default for ToolInputs {
    fn default() -> Self {
        ToolInputs {
            search: String::new(),
            query: String::new(),
            readout_crs: Tools::default().readout_crs,
            edits: Default::default(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    tools: &Tools,
    inputs: &mut ToolInputs,
    store: &SceneStore,
    ground: &Ground,
    selection: &Selection,
    requests: &mut Requests,
) {
    ui.heading(l.t("tools.search"));
    let r =
        ui.add(egui::TextEdit::singleline(&mut inputs.search).hint_text(l.t("tools.search_hint")));
    if r.changed() {
        requests
            .tools
            .push(ToolCommand::Search(inputs.search.clone()));
    }
    let mut focus = None;
    egui::ScrollArea::vertical()
        .id_salt("search")
        .max_height(140.0)
        .show(ui, |ui| {
            for (slot, id, text) in &tools.search_hits {
                if ui
                    .selectable_label(selection.feature() == Some((*slot, *id)), text)
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
            egui::TextEdit::singleline(&mut inputs.query)
                .hint_text("height > 100 and use = '住宅'"),
        );
        if ui.button(l.t("tools.run")).clicked()
            || (r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
        {
            requests
                .tools
                .push(ToolCommand::Query(inputs.query.clone()));
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
                            .selectable_label(selection.feature() == Some((*slot, *id)), text)
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
        requests.focus(store, slot, id);
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
                requests.tools.push(ToolCommand::SetMode(mode));
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
    super::tileset_edits::show(ui, l, tools, store, &mut inputs.edits, requests);

    ui.separator();
    ui.heading(l.t("tools.readout"));
    ui.horizontal(|ui| {
        ui.label("CRS");
        if ui.text_edit_singleline(&mut inputs.readout_crs).changed() {
            requests
                .tools
                .push(ToolCommand::SetReadoutCrs(inputs.readout_crs.clone()));
        }
    });
    if let Some(text) = &tools.readout_line {
        ui.monospace(text);
        if ui.button(l.t("inspector.copy")).clicked() {
            ui.ctx().copy_text(text.clone());
        }
    }
}
