//! Where a tileset stands: moved (east, north, up), turned and scaled
//! about the centre of its extent from where it was read to be, or set
//! down on the terrain. A draft until Apply, then a
//! `StoreCommand::SetPlacement` (saved as the document's
//! `[layer.placement]`; the tiles are drawn again in their new place).

use crate::render::layers::Ground;
use crate::scene::store::{LayerSlot, StoreCommand};
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use cim_core::scene::Placement;

/// The placement that stands `unmoved` (the tileset's extent where it was
/// read to be) on the ground under its centre: the offset's height such
/// that the lowest point of its bounds, scaled about the centre, lies on
/// the terrain at the moved centre.
///
/// ```
/// use cim_app::ui::tileset_placement::clamped;
/// use cim_core::{Bbox, DVec3, scene::Placement};
/// let unmoved = Bbox { min: DVec3::new(0.0, 0.0, 10.0), max: DVec3::new(10.0, 10.0, 30.0) };
/// let p = Placement { offset: [5.0, 0.0, 0.0], heading_deg: 0.0, scale: 2.0 };
/// // The ground is 3 m high: the base (20 m − 2 × 10 m below the centre) goes there.
/// assert_eq!(clamped(&p, &unmoved, |_| 3.0).offset, [5.0, 0.0, 3.0]);
/// ```
pub fn clamped(
    p: &Placement,
    unmoved: &cim_core::Bbox,
    ground: impl Fn(cim_core::DVec3) -> f64,
) -> Placement {
    let c = unmoved.center();
    let at = c + cim_core::DVec3::new(p.offset[0], p.offset[1], 0.0);
    let base = c.z + p.scale * (unmoved.min.z - c.z);
    Placement {
        offset: [p.offset[0], p.offset[1], ground(at) - base],
        ..*p
    }
}

/// The placement being edited, kept in egui's memory per layer.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    /// The layer's placement the draft started from: a change of it from
    /// elsewhere starts the draft over.
    from: Option<Placement>,
    placement: Placement,
}

const HOME: Placement = Placement {
    offset: [0.0; 3],
    heading_deg: 0.0,
    scale: 1.0,
};

/// The placement editor of one tileset layer; returns the command to send.
pub fn show(ui: &mut egui::Ui, l: Lang, slot: &LayerSlot, ground: &Ground) -> Option<StoreCommand> {
    let tiles = slot.layer.as_ref()?.tiles()?;
    let unmoved = tiles.unmoved.as_ref()?.extent()?;
    let id = ui.id().with(("tile_placement", slot.id));
    let current = slot.reference.placement;
    let mut draft = ui
        .data(|d| d.get_temp::<Draft>(id))
        .filter(|d| d.from == current)
        .unwrap_or(Draft {
            from: current,
            placement: current.unwrap_or(HOME),
        });
    let p = &mut draft.placement;
    egui::Grid::new(("placement_grid", slot.id))
        .num_columns(2)
        .show(ui, |ui| {
            for (i, key) in ["place.east", "place.north", "place.up"]
                .into_iter()
                .enumerate()
            {
                ui.label(l.t(key));
                ui.add(
                    egui::DragValue::new(&mut p.offset[i])
                        .speed(0.5)
                        .suffix(" m"),
                );
                ui.end_row();
            }
            // No ranges: a DragValue would clamp the document's own values
            // (Apply refuses a scale of 0 or less).
            ui.label(l.t("place.heading"));
            ui.add(
                egui::DragValue::new(&mut p.heading_deg)
                    .speed(0.5)
                    .suffix("°"),
            );
            ui.end_row();
            ui.label(l.t("place.scale"));
            ui.add(egui::DragValue::new(&mut p.scale).speed(0.01));
            ui.end_row();
        });
    let mut send = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ground.is_set(), egui::Button::new(l.t("place.clamp")))
            .on_hover_text(l.t("place.clamp_hint"))
            .clicked()
        {
            *p = clamped(p, &unmoved, |at| ground.height(at));
        }
        let changed = Some(*p) != current && !(current.is_none() && *p == HOME);
        if ui
            .add_enabled(
                changed && p.check().is_ok(),
                egui::Button::new(l.t("table.apply")),
            )
            .clicked()
        {
            send = Some(StoreCommand::SetPlacement {
                layer: slot.id,
                placement: (*p != HOME).then_some(*p),
            });
        }
        if ui
            .add_enabled(current.is_some(), egui::Button::new(l.t("place.reset")))
            .clicked()
        {
            *p = HOME;
            send = Some(StoreCommand::SetPlacement {
                layer: slot.id,
                placement: None,
            });
        }
    });
    ui.data_mut(|d| d.insert_temp(id, draft));
    send
}
