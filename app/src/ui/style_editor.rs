//! Per-layer thematic styling, as QGIS's symbology page: single symbol,
//! categorized or graduated colour by an attribute (classes by equal
//! interval, quantile or Jenks natural breaks along a named colour ramp),
//! and the legend that explains the colours. Edits go into the layer's
//! style in the scene document, so they are saved with it.

use crate::scene::store::LayerSlot;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use cim_core::model::attr::AttrType;
use cim_core::scene::Style;
use cim_core::style::color_ramp::ColorRamp;
use cim_core::style::thematic::{ClassMethod, Legend, ThemeMode};

/// Legend rows shown before "… and N more".
const LEGEND_ROWS: usize = 24;

fn swatch(ui: &mut egui::Ui, c: [u8; 4]) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(16.0, 12.0), egui::Sense::hover());
    ui.painter().rect_filled(
        rect,
        2.0,
        egui::Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]),
    );
}

/// The legend of a styled layer.
pub fn legend(ui: &mut egui::Ui, l: Lang, legend: &Legend) {
    if !legend.title.is_empty() {
        ui.weak(&legend.title);
    }
    for e in legend.entries.iter().take(LEGEND_ROWS) {
        ui.horizontal(|ui| {
            swatch(ui, e.color);
            ui.label(&e.label);
            ui.weak(format!("({})", e.count));
        });
    }
    if legend.entries.len() > LEGEND_ROWS {
        ui.weak(format!(
            "… {} {}",
            legend.entries.len() - LEGEND_ROWS,
            l.t("style.more")
        ));
    }
}

/// The style editor of one vector layer; returns the new style when the
/// user changed it (applied as a `StoreCommand::SetStyle`).
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    slot: &LayerSlot,
    styled: &crate::scene::derived::StyleResults,
) -> Option<Style> {
    let layer = slot.layer.clone()?;
    let v = layer.vector()?;
    let mut spec = slot.reference.style.effective_theme(&layer);
    let before = spec.clone();
    let mut time_field = slot.reference.style.time_field.clone();
    egui::Grid::new(("style_grid", slot.id))
        .num_columns(2)
        .show(ui, |ui| {
            ui.label(l.t("style.mode"));
            egui::ComboBox::from_id_salt(("style_mode", slot.id))
                .selected_text(mode_label(l, spec.mode))
                .show_ui(ui, |ui| {
                    for m in [
                        ThemeMode::Single,
                        ThemeMode::Categorized,
                        ThemeMode::Graduated,
                    ] {
                        ui.selectable_value(&mut spec.mode, m, mode_label(l, m));
                    }
                });
            ui.end_row();
            if spec.mode != ThemeMode::Single {
                let numeric_only = spec.mode == ThemeMode::Graduated;
                ui.label(l.t("style.field"));
                egui::ComboBox::from_id_salt(("style_field", slot.id))
                    .selected_text(spec.field.clone().unwrap_or_default())
                    .show_ui(ui, |ui| {
                        for f in &v.fields {
                            let numeric = matches!(f.ty, AttrType::Int | AttrType::Float);
                            if numeric_only && !numeric {
                                continue;
                            }
                            ui.selectable_value(&mut spec.field, Some(f.name.clone()), &f.name);
                        }
                    });
                ui.end_row();
            }
            if spec.mode == ThemeMode::Graduated {
                ui.label(l.t("style.method"));
                egui::ComboBox::from_id_salt(("style_method", slot.id))
                    .selected_text(method_label(l, spec.method))
                    .show_ui(ui, |ui| {
                        for m in [
                            ClassMethod::EqualInterval,
                            ClassMethod::Quantile,
                            ClassMethod::NaturalBreaks,
                        ] {
                            ui.selectable_value(&mut spec.method, m, method_label(l, m));
                        }
                    });
                ui.end_row();
                ui.label(l.t("style.classes"));
                ui.add(egui::Slider::new(&mut spec.classes, 2..=12));
                ui.end_row();
            }
            if spec.mode != ThemeMode::Single {
                ui.label(l.t("style.ramp"));
                let current = spec
                    .ramp
                    .clone()
                    .unwrap_or_else(|| l.t("style.default").into());
                egui::ComboBox::from_id_salt(("style_ramp", slot.id))
                    .selected_text(current)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut spec.ramp, None, l.t("style.default"));
                        for name in ColorRamp::names() {
                            ui.selectable_value(&mut spec.ramp, Some((*name).to_owned()), *name);
                        }
                    });
                ui.end_row();
            }
            // Features drawn from the date, date-time or year in a field,
            // as the scene clock passes it.
            ui.label(l.t("style.time_field"));
            egui::ComboBox::from_id_salt(("style_time", slot.id))
                .selected_text(
                    time_field
                        .clone()
                        .unwrap_or_else(|| l.t("style.always").into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut time_field, None, l.t("style.always"));
                    for f in &v.fields {
                        ui.selectable_value(&mut time_field, Some(f.name.clone()), &f.name);
                    }
                });
            ui.end_row();
        });
    if let Some(t) = styled.theme(slot.id)
        && t.legend.entries.len() > 1
    {
        legend(ui, l, &t.legend);
    }
    let style = &slot.reference.style;
    if spec == before && time_field == style.time_field {
        return None;
    }
    Some(Style {
        theme: if spec == before {
            style.theme.clone()
        } else {
            Some(spec)
        },
        time_field,
        ..style.clone()
    })
}

fn mode_label(l: Lang, m: ThemeMode) -> &'static str {
    match m {
        ThemeMode::Single => l.t("style.single"),
        ThemeMode::Categorized => l.t("style.categorized"),
        ThemeMode::Graduated => l.t("style.graduated"),
    }
}

fn method_label(l: Lang, m: ClassMethod) -> &'static str {
    match m {
        ClassMethod::EqualInterval => l.t("style.equal_interval"),
        ClassMethod::Quantile => l.t("style.quantile"),
        ClassMethod::NaturalBreaks => l.t("style.natural_breaks"),
        ClassMethod::Manual => l.t("style.manual"),
    }
}
