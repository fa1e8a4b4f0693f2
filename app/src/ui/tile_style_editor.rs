//! The style of a tileset layer: which features are shown (a query over
//! their properties) and their colour by conditions, the first that holds
//! (3D Tiles Styling's `show` and `color` conditions, in the query
//! language; `cim_core::style::conditions`). What is typed is a draft,
//! checked as it is typed and applied — as a `StoreCommand::SetStyle`, so
//! it is saved with the document — with Apply or Enter.

use crate::scene::store::LayerSlot;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use cim_core::scene::Style;
use cim_core::style::conditions::ColorCondition;

/// Property names listed as a hint, at most.
const HINT_NAMES: usize = 12;

/// The style being edited, kept in egui's memory per layer.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    /// The layer's style the draft started from: another edit of it (a
    /// document reload, an undo) starts the draft over.
    from: Style,
    show: String,
    /// sRGB RGBA (kept as typed: egui's colours are premultiplied, and a
    /// see-through colour would not come back the same).
    tint: Option<[u8; 4]>,
    conditions: Vec<(String, [u8; 4])>,
    /// Point clouds' point diameter, pixels (`None`: the default).
    point_size: Option<f64>,
}

impl Draft {
    fn of(style: &Style) -> Draft {
        let color = |s: &str| cim_core::scene::parse_hex_color(s.trim());
        Draft {
            from: style.clone(),
            show: style.filter.clone().unwrap_or_default(),
            tint: style.color.as_deref().and_then(color),
            conditions: style
                .conditions
                .iter()
                .map(|c| (c.when.clone(), color(&c.color).unwrap_or([255, 0, 0, 255])))
                .collect(),
            point_size: style.point_size,
        }
    }

    /// The layer's style with the draft in it.
    fn style(&self) -> Style {
        let show = self.show.trim();
        Style {
            filter: (!show.is_empty()).then(|| show.to_owned()),
            color: self.tint.map(hex),
            conditions: self
                .conditions
                .iter()
                .map(|(when, c)| ColorCondition {
                    when: when.trim().to_owned(),
                    color: hex(*c),
                })
                .collect(),
            point_size: self.point_size,
            ..self.from.clone()
        }
    }
}

fn hex([r, g, b, a]: [u8; 4]) -> String {
    if a == 255 {
        format!("#{r:02x}{g:02x}{b:02x}")
    } else {
        format!("#{r:02x}{g:02x}{b:02x}{a:02x}")
    }
}

/// A colour swatch that opens a picker; `c` changes only when the user
/// picks.
fn color_button(ui: &mut egui::Ui, c: &mut [u8; 4]) {
    let mut shown = egui::Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]);
    let alpha = egui::color_picker::Alpha::OnlyBlend;
    if egui::color_picker::color_edit_button_srgba(ui, &mut shown, alpha).changed() {
        *c = shown.to_srgba_unmultiplied();
    }
}

/// The editor of one tileset layer's style; returns the style to apply.
/// `properties`: names the resident tiles' features have (a hint);
/// `choices`: their storeys and classes, picked to write the show filter.
pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    slot: &LayerSlot,
    properties: &[String],
    choices: &super::model_filter::Choices,
) -> Option<Style> {
    let id = ui.id().with(("tile_style", slot.id));
    let style = &slot.reference.style;
    let mut draft = ui
        .data(|d| d.get_temp::<Draft>(id))
        .filter(|d| d.from == *style)
        .unwrap_or_else(|| Draft::of(style));
    let mut entered = false;
    let mut edit = |ui: &mut egui::Ui, text: &mut String, hint: &str| {
        let r = ui.add(
            egui::TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(150.0),
        );
        entered |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    };
    egui::Grid::new(("tile_style_grid", slot.id))
        .num_columns(2)
        .show(ui, |ui| {
            ui.label(l.t("tstyle.show"));
            edit(ui, &mut draft.show, "Height > 10");
            ui.end_row();
            ui.label(l.t("tstyle.tint"));
            ui.horizontal(|ui| {
                let mut on = draft.tint.is_some();
                ui.checkbox(&mut on, "");
                let mut c = draft.tint.unwrap_or([255; 4]);
                if on {
                    color_button(ui, &mut c);
                }
                draft.tint = on.then_some(c);
            });
            ui.end_row();
            ui.label(l.t("tstyle.point_size"));
            let default = f64::from(crate::render::point_cloud::DEFAULT_POINT_PX);
            let mut px = draft.point_size.unwrap_or(default);
            let max = f64::from(crate::render::point_cloud::MAX_POINT_PX);
            if ui
                .add(
                    egui::Slider::new(&mut px, 1.0..=max)
                        .suffix(" px")
                        .logarithmic(true),
                )
                .changed()
            {
                draft.point_size = Some(px.round());
            }
            ui.end_row();
        });
    if !choices.is_empty() {
        super::model_filter::show(ui, l, slot.id, choices, &mut draft.show);
    }
    ui.label(l.t("tstyle.conditions"));
    let mut remove = None;
    for (i, (when, color)) in draft.conditions.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            color_button(ui, color);
            edit(ui, when, "Height >= 12");
            if ui.small_button("×").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        draft.conditions.remove(i);
    }
    if ui.small_button(l.t("tstyle.add")).clicked() {
        let palette = [
            (215, 48, 39),
            (252, 141, 89),
            (254, 224, 144),
            (145, 191, 219),
        ];
        let (r, g, b) = palette[draft.conditions.len() % palette.len()];
        draft.conditions.push((String::new(), [r, g, b, 255]));
    }
    if !properties.is_empty() {
        let mut names = properties[..properties.len().min(HINT_NAMES)].join(", ");
        if properties.len() > HINT_NAMES {
            names.push_str(" …");
        }
        ui.weak(format!("{}: {names}", l.t("tstyle.properties")));
    }
    let new = draft.style();
    let checked = new.tile_conditions();
    if let Err(e) = &checked {
        ui.colored_label(egui::Color32::from_rgb(230, 90, 70), e.to_string());
    }
    // Against the style as the draft writes it (colours in lower case,
    // conditions trimmed): opening the editor changes nothing.
    let changed = new != Draft::of(style).style();
    let apply = ui
        .add_enabled(
            changed && checked.is_ok(),
            egui::Button::new(l.t("table.apply")),
        )
        .clicked();
    ui.data_mut(|d| d.insert_temp(id, draft));
    ((apply || entered) && changed && checked.is_ok()).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_gives_back_the_style_it_was_made_from() {
        let style = Style {
            filter: Some("Height > 5".into()),
            color: Some("#e0e0e0".into()),
            conditions: vec![
                ColorCondition {
                    when: "Height >= 12".into(),
                    color: "#d73027".into(),
                },
                ColorCondition {
                    when: "用途 = '住宅'".into(),
                    color: "#fc8d5980".into(),
                },
            ],
            label_field: Some("name".into()),
            point_size: Some(5.0),
            ..Style::default()
        };
        assert_eq!(Draft::of(&style).style(), style);
        let mut d = Draft::of(&style);
        d.show = "  ".into();
        d.tint = None;
        let cleared = d.style();
        assert_eq!((cleared.filter, cleared.color), (None, None));
        assert_eq!(
            cleared.label_field.as_deref(),
            Some("name"),
            "the rest kept"
        );
    }
}
