//! Edits of the open scene as commands.
//!
//! Panels do not change the store in place: they write [`StoreCommand`]s,
//! which [`apply_store_commands`] applies in order at the start of the next
//! frame through [`SceneStore::apply`]. Each applied command moves the
//! edited slot's `tick` and the store's `revision`, so renderers follow
//! exactly what changed; the same commands are what undo, the
//! remote-control API and scenario variants will record and replay.

use super::{Notice, SceneStore};
use bevy::prelude::*;
use cim_core::scene::{ClipRegion, FlattenRegion, Placement, Style, View};
use cim_core::style::thematic::ThemeMode;

/// One edit of the open scene.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum StoreCommand {
    SetVisible {
        layer: u64,
        visible: bool,
    },
    /// Opacity 0–1 (clamped).
    SetOpacity {
        layer: u64,
        opacity: f32,
    },
    /// A new style: colours only (see `Style::shape`) recolour the layer,
    /// anything else remeshes it. A categorized or graduated theme without
    /// a field yet is kept and not applied (the user is still choosing).
    SetStyle {
        layer: u64,
        style: Box<Style>,
    },
    /// Saves a named view (replacing one of the same name).
    SaveView(View),
    /// A tileset's planning edits: where it is hidden and where flattened
    /// (saved in the document; every tile is drawn again with them).
    SetTileEdits {
        layer: u64,
        clip: Vec<ClipRegion>,
        flatten: Vec<FlattenRegion>,
    },
    /// Where a tileset is put: moved, turned and scaled from where it was
    /// read to be (`None`: back there); saved in the document, every tile
    /// drawn again.
    SetPlacement {
        layer: u64,
        placement: Option<Placement>,
    },
    /// The memory for streamed content, MiB (saved in the document; `None`
    /// goes back to the default).
    SetStreamBudget(Option<u64>),
    /// Adds a layer to the document and starts loading it.
    AddLayer(Box<cim_core::scene::LayerRef>),
    /// Writes the document to a file (it becomes the scene's file); the
    /// outcome is a notice.
    SaveTo(std::path::PathBuf),
    /// Removes the notice at this index (the message window's ✕).
    DismissNotice(usize),
    /// Tells the user something (a renderer or stream that lost data: an
    /// error notice makes a snapshot partial).
    Notify(Notice),
}

impl SceneStore {
    /// Applies one command. An unknown layer is an error; so is a style
    /// that cannot be applied (the layer then keeps a single colour).
    pub fn apply(&mut self, command: StoreCommand) -> Result<(), String> {
        match command {
            StoreCommand::SetVisible { layer, visible } => {
                self.edit(layer, |s| s.reference.visible = visible)?;
            }
            StoreCommand::SetOpacity { layer, opacity } => {
                let opacity = if opacity.is_finite() {
                    opacity.clamp(0.0, 1.0)
                } else {
                    1.0
                };
                self.edit(layer, |s| s.reference.opacity = opacity)?;
            }
            StoreCommand::SetStyle { layer, style } => {
                let incomplete = style
                    .theme
                    .as_ref()
                    .is_some_and(|t| t.mode != ThemeMode::Single && t.field.is_none());
                let result = self.edit(layer, |s| {
                    s.reference.style = *style;
                    if incomplete { Ok(()) } else { s.restyle() }
                })?;
                if let Err(e) = result {
                    let name = self.slot(layer).map_or("", |s| s.reference.name.as_str());
                    return Err(format!("{name}: {e}"));
                }
            }
            StoreCommand::SetTileEdits {
                layer,
                clip,
                flatten,
            } => {
                self.edit(layer, |s| s.set_tile_edits(clip, flatten))??;
            }
            StoreCommand::SetPlacement { layer, placement } => {
                self.edit(layer, |s| s.set_placement(placement))??;
            }
            StoreCommand::SaveView(view) => {
                self.doc.views.retain(|v| v.name != view.name);
                self.doc.views.push(view);
                self.revision += 1;
                self.dirty = true;
            }
            StoreCommand::SetStreamBudget(mb) => {
                self.doc.stream_budget_mb = mb.map(|m| m.max(1));
                self.revision += 1;
                self.dirty = true;
            }
            StoreCommand::AddLayer(reference) => {
                self.add_layer_slot(*reference);
            }
            StoreCommand::SaveTo(path) => {
                self.save_to(&path)?;
                self.notices.push(Notice {
                    error: false,
                    text: format!("Saved 已保存: {}", cim_core::message::path(&path)),
                });
            }
            StoreCommand::DismissNotice(i) => {
                if i < self.notices.len() {
                    self.notices.remove(i);
                }
            }
            StoreCommand::Notify(notice) => self.notices.push(notice),
        }
        Ok(())
    }

    /// Runs `f` on a slot and records the change.
    fn edit<T>(
        &mut self,
        layer: u64,
        f: impl FnOnce(&mut super::LayerSlot) -> T,
    ) -> Result<T, String> {
        let slot = self
            .slot_mut(layer)
            .ok_or_else(|| format!("no layer with id {layer}"))?;
        let out = f(slot);
        slot.tick += 1;
        self.revision += 1;
        self.dirty = true;
        Ok(out)
    }
}

/// Applies the frame's commands in the order they were written; a command
/// that fails leaves an error notice. Layers added start loading (in the
/// viewer, which has a `LoadChannel`).
pub fn apply_store_commands(
    mut store: ResMut<SceneStore>,
    mut commands: MessageReader<StoreCommand>,
    channel: Option<Res<super::LoadChannel>>,
) {
    let before = store.layers.len();
    for c in commands.read() {
        if let Err(text) = store.apply(c.clone()) {
            store.notices.push(Notice { error: true, text });
        }
    }
    if let Some(channel) = channel
        && store.layers.len() > before
    {
        let added: Vec<u64> = store.layers[before..].iter().map(|s| s.id).collect();
        channel.start_slots(&mut store, &added);
    }
}
