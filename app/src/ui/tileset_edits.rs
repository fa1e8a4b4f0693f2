//! Planning edits of a tileset from the area being measured: hide the
//! tileset inside it (room for a proposed building) or flatten it there to
//! a height (压平). The regions go to the store as
//! `StoreCommand::SetTileEdits`, are saved with the document and shown in
//! snapshots.

use crate::scene::store::{SceneStore, StoreCommand};
use crate::tools::{MeasureMode, Tools};
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use cim_core::model::layer::LayerKind;
use cim_core::scene::{ClipRegion, FlattenRegion};

/// What is being chosen in the section.
#[derive(Default)]
pub struct EditInputs {
    /// The tileset edited (slot id).
    layer: Option<u64>,
    /// The flatten height, scene-CRS metres; the area's lowest corner
    /// until edited.
    height: Option<f64>,
}

pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    tools: &Tools,
    store: &SceneStore,
    inputs: &mut EditInputs,
    requests: &mut Requests,
) {
    let tilesets: Vec<(u64, &str)> = store
        .layers
        .iter()
        .filter(|s| s.kind() == LayerKind::Tiles && s.layer.is_some())
        .map(|s| (s.id, s.reference.name.as_str()))
        .collect();
    if tilesets.is_empty() {
        return;
    }
    ui.separator();
    ui.heading(l.t("edits.title"));
    let layer = match inputs
        .layer
        .filter(|id| tilesets.iter().any(|(t, _)| t == id))
    {
        Some(id) => id,
        None => tilesets[0].0,
    };
    inputs.layer = Some(layer);
    let name = |id: u64| tilesets.iter().find(|(t, _)| *t == id).map_or("", |t| t.1);
    egui::ComboBox::from_id_salt("edit_tileset")
        .selected_text(name(layer))
        .show_ui(ui, |ui| {
            for (id, n) in &tilesets {
                ui.selectable_value(&mut inputs.layer, Some(*id), *n);
            }
        });
    let Some(slot) = store.slot(layer) else {
        return;
    };
    let (clip, flatten) = (&slot.reference.clip, &slot.reference.flatten);
    let area =
        (tools.mode == MeasureMode::Area && tools.points.len() >= 3).then_some(&tools.points);
    match area {
        None => {
            ui.weak(l.t("edits.hint"));
        }
        Some(points) => {
            let polygon: Vec<[f64; 2]> = points.iter().map(|p| [p.x, p.y]).collect();
            let lowest = points.iter().map(|p| p.z).fold(f64::INFINITY, f64::min);
            // To the centimetre (and never "-0.0").
            let lowest = (lowest * 100.0).round() / 100.0 + 0.0;
            let height = inputs.height.get_or_insert(lowest);
            ui.horizontal(|ui| {
                if ui.button(l.t("edits.clip")).clicked() {
                    let mut clip = clip.clone();
                    clip.push(ClipRegion {
                        polygon: polygon.clone(),
                    });
                    requests.store.push(StoreCommand::SetTileEdits {
                        layer,
                        clip,
                        flatten: flatten.clone(),
                    });
                }
            });
            ui.horizontal(|ui| {
                let flat = ui.button(l.t("edits.flatten")).clicked();
                ui.add(egui::DragValue::new(height).speed(0.1).suffix(" m"));
                if flat {
                    let mut flatten = flatten.clone();
                    flatten.push(FlattenRegion {
                        polygon,
                        height: *height,
                    });
                    requests.store.push(StoreCommand::SetTileEdits {
                        layer,
                        clip: clip.clone(),
                        flatten,
                    });
                }
            });
        }
    }
    if area.is_none() {
        inputs.height = None;
    }
    if !clip.is_empty() || !flatten.is_empty() {
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} {} · {} {}",
                l.t("edits.clipped"),
                clip.len(),
                l.t("edits.flattened"),
                flatten.len()
            ));
            if ui.button(l.t("edits.clear")).clicked() {
                requests.store.push(StoreCommand::SetTileEdits {
                    layer,
                    clip: Vec::new(),
                    flatten: Vec::new(),
                });
            }
        });
    }
}
