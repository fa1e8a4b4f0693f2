//! Storey isolation and class filters for a building model (IFC; any
//! tileset whose features have `storey` / `class` properties): picked in
//! the layer's style editor, written as its show filter in the query
//! language (`storey = 'Erdgeschoss' and class not in ('IfcSlab')`), so
//! they are saved with the document and applied as any filter is.

use crate::ui::i18n::Lang;
use bevy_egui::egui;

/// Most classes offered, most storeys offered.
pub const MAX_CHOICES: usize = 64;

/// What the layer's resident features offer to filter by.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Choices {
    pub storeys: Vec<String>,
    pub classes: Vec<String>,
}

impl Choices {
    pub fn is_empty(&self) -> bool {
        self.storeys.is_empty() && self.classes.is_empty()
    }
}

/// What is picked, kept in egui's memory per layer.
#[derive(Clone, Debug, Default, PartialEq)]
struct Picked {
    storey: Option<String>,
    hidden: Vec<String>,
}

/// A string literal of the query language.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The show filter of `storey` alone with the classes `hidden` left out;
/// empty when everything is shown.
///
/// ```
/// use cim_app::ui::model_filter::filter;
/// assert_eq!(filter(None, &[]), "");
/// assert_eq!(filter(Some("EG"), &[]), "storey = 'EG'");
/// assert_eq!(
///     filter(Some("Dach'geschoss"), &["IfcSlab", "IfcRoof"]),
///     "storey = 'Dach''geschoss' and class not in ('IfcSlab', 'IfcRoof')"
/// );
/// ```
pub fn filter(storey: Option<&str>, hidden: &[&str]) -> String {
    let mut parts = Vec::new();
    if let Some(s) = storey {
        parts.push(format!("storey = {}", literal(s)));
    }
    if !hidden.is_empty() {
        let list: Vec<String> = hidden.iter().map(|c| literal(c)).collect();
        parts.push(format!("class not in ({})", list.join(", ")));
    }
    parts.join(" and ")
}

/// The storey picker and class checkboxes of layer `layer`; a pick
/// rewrites `show` (the draft filter) and returns true.
pub fn show(ui: &mut egui::Ui, l: Lang, layer: u64, choices: &Choices, show: &mut String) -> bool {
    let id = ui.id().with(("model_filter", layer));
    let mut picked: Picked = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    let before = picked.clone();
    if !choices.storeys.is_empty() {
        ui.horizontal(|ui| {
            ui.label(l.t("model.storey"));
            let all = l.t("model.all_storeys");
            egui::ComboBox::from_id_salt(("model_storey", layer))
                .selected_text(picked.storey.as_deref().unwrap_or(all))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut picked.storey, None, all);
                    for s in &choices.storeys {
                        ui.selectable_value(&mut picked.storey, Some(s.clone()), s);
                    }
                });
        });
    }
    if !choices.classes.is_empty() {
        egui::CollapsingHeader::new(l.t("model.classes"))
            .id_salt(("model_classes", layer))
            .show(ui, |ui| {
                for c in &choices.classes {
                    let mut on = !picked.hidden.contains(c);
                    if ui.checkbox(&mut on, c).changed() {
                        if on {
                            picked.hidden.retain(|h| h != c);
                        } else {
                            picked.hidden.push(c.clone());
                        }
                    }
                }
            });
    }
    let changed = picked != before;
    if changed {
        let hidden: Vec<&str> = picked.hidden.iter().map(String::as_str).collect();
        *show = filter(picked.storey.as_deref(), &hidden);
    }
    ui.data_mut(|d| d.insert_temp(id, picked));
    changed
}
