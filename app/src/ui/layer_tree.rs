//! The layer tree: visibility, opacity, load state and zoom-to per layer.

use crate::scene::store::{SceneStore, SlotState, StoreCommand};
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use bevy_egui::egui;

/// A demo layer's translated name, or the layer's own name.
pub fn layer_label(l: Lang, store: &SceneStore, name: &str) -> String {
    if store.is_demo {
        let key = match name {
            "terrain" => Some("layer.terrain"),
            "buildings" => Some("layer.buildings"),
            "roads" => Some("layer.roads"),
            "water" => Some("layer.water"),
            "parks" => Some("layer.parks"),
            _ => None,
        };
        if let Some(k) = key {
            return l.t(k).to_owned();
        }
    }
    name.to_owned()
}

/// What the layer tree shows besides the store's layers.
pub struct TreeInputs<'a> {
    pub styled: &'a crate::scene::derived::StyleResults,
    pub ground_opacity: f32,
    /// The tilesets' resident features (property names for their styles).
    pub tilesets: Option<&'a crate::stream::tiles3d::TilesetStreams>,
    /// The terrain, to set tilesets down on.
    pub ground: &'a crate::render::layers::Ground,
}

/// Edits become requests (`StoreCommand`s, a flight, the ground opacity).
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    inputs: &TreeInputs,
    requests: &mut Requests,
    open_table: &mut Option<u64>,
) {
    let TreeInputs {
        styled,
        ground_opacity,
        tilesets,
        ground,
    } = *inputs;
    let edits = &mut requests.store;
    ui.heading(l.t("panel.layers"));
    if store.is_demo {
        ui.colored_label(
            egui::Color32::from_rgb(240, 200, 90),
            l.t("status.synthetic"),
        );
    }
    ui.label(format!("CRS: {}", store.crs.label()));
    ui.horizontal(|ui| {
        ui.label(l.t("view.ground_opacity"))
            .on_hover_text(l.t("view.ground_opacity_hint"));
        let mut a = ground_opacity;
        if ui
            .add(egui::Slider::new(&mut a, 0.0..=1.0).show_value(false))
            .changed()
        {
            requests.ground_opacity = Some(a);
        }
    });
    ui.separator();
    let mut zoom_to = None;
    let labels: Vec<String> = store
        .layers
        .iter()
        .map(|s| layer_label(l, store, &s.reference.name))
        .collect();
    egui::ScrollArea::vertical().show(ui, |ui| {
        // Top of the list draws on top: show in reverse drawing order.
        for (slot, label) in store.layers.iter().zip(labels).rev() {
            ui.horizontal(|ui| {
                let mut visible = slot.reference.visible;
                if ui.checkbox(&mut visible, label).changed() {
                    edits.push(StoreCommand::SetVisible {
                        layer: slot.id,
                        visible,
                    });
                }
                match &slot.state {
                    SlotState::Loading => {
                        ui.spinner();
                        ui.weak(l.t("layer.loading"));
                    }
                    SlotState::Failed(e) => {
                        ui.colored_label(
                            egui::Color32::from_rgb(255, 110, 100),
                            l.t("layer.failed"),
                        )
                        .on_hover_text(e);
                    }
                    SlotState::Ready => {
                        if let Some(layer) = &slot.layer {
                            let n = layer.feature_count();
                            if n > 0 {
                                ui.weak(format!("{n} {}", l.t("layer.features")));
                            }
                        }
                        if ui
                            .small_button("⌖")
                            .on_hover_text(l.t("layer.zoom"))
                            .clicked()
                        {
                            zoom_to = slot.layer.as_ref().and_then(|x| x.bbox());
                        }
                        if slot.layer.as_ref().is_some_and(|x| x.vector().is_some())
                            && ui
                                .small_button("▦")
                                .on_hover_text(l.t("layer.table"))
                                .clicked()
                        {
                            *open_table = Some(slot.id);
                        }
                    }
                }
            });
            ui.horizontal(|ui| {
                ui.add_space(18.0);
                ui.label(l.t("layer.opacity"));
                let mut opacity = slot.reference.opacity;
                if ui
                    .add(egui::Slider::new(&mut opacity, 0.0..=1.0).show_value(false))
                    .changed()
                {
                    edits.push(StoreCommand::SetOpacity {
                        layer: slot.id,
                        opacity,
                    });
                }
            });
            if slot.state == SlotState::Ready
                && slot.layer.as_ref().is_some_and(|x| x.vector().is_some())
            {
                ui.indent(("style", slot.id), |ui| {
                    egui::CollapsingHeader::new(l.t("style.title"))
                        .id_salt(("style_header", slot.id))
                        .show(ui, |ui| {
                            if let Some(style) = super::style_editor::show(ui, l, slot, styled) {
                                edits.push(StoreCommand::SetStyle {
                                    layer: slot.id,
                                    style: Box::new(style),
                                });
                            }
                        });
                });
            }
            if slot.state == SlotState::Ready && slot.kind() == cim_core::LayerKind::Tiles {
                ui.indent(("tile_style", slot.id), |ui| {
                    egui::CollapsingHeader::new(l.t("style.title"))
                        .id_salt(("tile_style_header", slot.id))
                        .show(ui, |ui| {
                            let names =
                                tilesets.map_or_else(Vec::new, |t| t.property_names(slot.id));
                            let values = |name: &str| {
                                let max = super::model_filter::MAX_CHOICES;
                                tilesets.map_or_else(Vec::new, |t| {
                                    t.property_values(slot.id, name, max)
                                })
                            };
                            let choices = super::model_filter::Choices {
                                storeys: values("storey"),
                                classes: values("class"),
                            };
                            if let Some(style) =
                                super::tile_style_editor::show(ui, l, slot, &names, &choices)
                            {
                                edits.push(StoreCommand::SetStyle {
                                    layer: slot.id,
                                    style: Box::new(style),
                                });
                            }
                        });
                    egui::CollapsingHeader::new(l.t("place.title"))
                        .id_salt(("tile_placement_header", slot.id))
                        .show(ui, |ui| {
                            edits.extend(super::tileset_placement::show(ui, l, slot, ground));
                        });
                });
            }
        }
    });
    if let Some(bb) = zoom_to {
        requests.frame(&bb);
    }
}
