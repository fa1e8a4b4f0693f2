//! What a layer's style decides about its features — building prisms (the
//! base and top of each footprint, `cim_core::style::extrusion`) and
//! thematic classes with their colours and legend
//! (`cim_core::style::thematic`), a tileset's show and colour conditions
//! (`cim_core::style::conditions`) — worked out whenever a slot is restyled
//! or its data arrives, and kept beside the store, not in it: the store
//! holds what the user said, [`StyleResults`] what follows from it.
//! Picking, labels, meshing, the style buffers and the legend read it.

use crate::scene::store::{LayerSlot, Notice, SceneStore, SlotState, StoreCommand};
use bevy::prelude::*;
use cim_core::scene::Style;
use cim_core::style::conditions::ConditionalStyle;
use cim_core::style::thematic::Thematic;
use std::collections::HashMap;
use std::sync::Arc;

/// Base and top (metres) of each feature's prism; `None` for features
/// that are not extruded.
pub type Prisms = Vec<Option<(f64, f64)>>;

/// One layer's results.
#[derive(Clone, Debug)]
pub struct Styled {
    /// The slot's `style_tick` they were made for.
    pub style_tick: u64,
    /// The data they were made from (its address).
    data: usize,
    /// The style shape the prisms were made for.
    shape: Style,
    pub prisms: Arc<Prisms>,
    pub theme: Option<Arc<Thematic>>,
    /// A tileset's show and colour conditions (`None` for other layers, and
    /// for a style that does not parse: the tiles are drawn as they are).
    pub tile_conditions: Option<Arc<ConditionalStyle>>,
}

/// Every layer's style results, by slot id.
#[derive(Resource, Default, Debug)]
pub struct StyleResults {
    layers: HashMap<u64, Styled>,
}

impl StyleResults {
    pub fn get(&self, layer: u64) -> Option<&Styled> {
        self.layers.get(&layer)
    }

    /// The results of `slot` if they follow its current style and data.
    pub fn for_slot(&self, slot: &LayerSlot) -> Option<&Styled> {
        let r = self.layers.get(&slot.id)?;
        (r.style_tick == slot.style_tick
            && slot.layer.as_ref().is_some_and(|l| address(l) == r.data))
        .then_some(r)
    }

    /// Whether the results of `layer` follow its current style.
    pub fn is_current(&self, store: &SceneStore, layer: u64) -> bool {
        store.slot(layer).and_then(|s| self.for_slot(s)).is_some()
    }

    /// Feature `i`'s prism in `layer`.
    pub fn prism(&self, layer: u64, i: usize) -> Option<(f64, f64)> {
        self.layers.get(&layer)?.prisms.get(i).copied().flatten()
    }

    pub fn theme(&self, layer: u64) -> Option<&Thematic> {
        self.layers.get(&layer)?.theme.as_deref()
    }

    /// Brings every loaded layer's results up to its style; returns the
    /// styling errors (a bad theme: the layer keeps its single colour).
    pub fn refresh(&mut self, store: &SceneStore) -> Vec<String> {
        self.layers.retain(|id, _| store.slot(*id).is_some());
        let mut errors = Vec::new();
        for slot in &store.layers {
            let (SlotState::Ready, Some(layer)) = (&slot.state, &slot.layer) else {
                continue;
            };
            if self.is_current(store, slot.id) {
                continue;
            }
            let style = &slot.reference.style;
            let shape = style.shape();
            let old = self.layers.remove(&slot.id);
            let prisms = match old {
                Some(o) if o.data == address(layer) && o.shape == shape => o.prisms,
                _ => Arc::new(cim_core::style::extrusion::prisms(layer, style)),
            };
            let theme = layer.vector().and_then(|v| {
                let base = style.symbol_color(layer.effective_kind());
                cim_core::style::thematic::classify(v, &style.effective_theme(layer), base)
                    .map_err(|e| errors.push(format!("layer `{}`: {e}", slot.reference.name)))
                    .ok()
                    .map(Arc::new)
            });
            let tile_conditions = layer.tiles().and_then(|_| {
                style
                    .tile_conditions()
                    .map_err(|e| errors.push(format!("layer `{}`: {e}", slot.reference.name)))
                    .ok()
                    .map(Arc::new)
            });
            self.layers.insert(
                slot.id,
                Styled {
                    style_tick: slot.style_tick,
                    data: address(layer),
                    shape,
                    prisms,
                    theme,
                    tile_conditions,
                },
            );
        }
        errors
    }
}

fn address(layer: &Arc<cim_core::Layer>) -> usize {
    Arc::as_ptr(layer) as usize
}

/// Follows restyles and arrivals; styling errors become error notices.
pub fn derive_styles(
    store: Res<SceneStore>,
    mut results: ResMut<StyleResults>,
    mut notify: MessageWriter<StoreCommand>,
) {
    // Only slots that moved: a cheap check before taking the results
    // mutably (which would mark them changed every frame).
    let stale = store.layers.iter().any(|s| {
        s.state == SlotState::Ready && s.layer.is_some() && !results.is_current(&store, s.id)
    }) || results.layers.len() > store.layers.len();
    if !stale {
        return;
    }
    for text in results.refresh(&store) {
        notify.write(StoreCommand::Notify(Notice { error: true, text }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::store::ScenePlugin;

    fn demo_app() -> (App, u64) {
        let mut store = SceneStore::new(crate::scene::load::open_inputs(&[]).unwrap());
        store.load_all_blocking();
        let id = store
            .layers
            .iter()
            .find(|s| s.kind() == cim_core::LayerKind::Buildings)
            .unwrap()
            .id;
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, ScenePlugin::new(store)));
        app.update();
        (app, id)
    }

    fn restyle(app: &mut App, id: u64, edit: impl FnOnce(&mut Style)) {
        let mut style = app
            .world()
            .resource::<SceneStore>()
            .slot(id)
            .unwrap()
            .reference
            .style
            .clone();
        edit(&mut style);
        app.world_mut().write_message(StoreCommand::SetStyle {
            layer: id,
            style: Box::new(style),
        });
        app.update();
    }

    /// A colour change keeps the prisms (the same allocation); a height
    /// change makes new ones; a bad theme is an error notice naming the
    /// layer, and the layer keeps its single colour.
    #[test]
    fn results_follow_restyles_and_keep_what_did_not_change() {
        let (mut app, id) = demo_app();
        let first = app
            .world()
            .resource::<StyleResults>()
            .get(id)
            .unwrap()
            .clone();
        assert!(first.prisms.iter().any(|p| p.is_some()));
        restyle(&mut app, id, |s| s.color = Some("#336699".into()));
        let results = app.world().resource::<StyleResults>();
        assert!(results.is_current(app.world().resource::<SceneStore>(), id));
        assert!(Arc::ptr_eq(&results.get(id).unwrap().prisms, &first.prisms));
        restyle(&mut app, id, |s| s.floor_height = Some(9.0));
        assert!(!Arc::ptr_eq(
            &app.world()
                .resource::<StyleResults>()
                .get(id)
                .unwrap()
                .prisms,
            &first.prisms
        ));
        restyle(&mut app, id, |s| {
            s.theme = Some(cim_core::style::thematic::ThemeSpec {
                mode: cim_core::style::thematic::ThemeMode::Graduated,
                field: Some("no_such_field".into()),
                ..Default::default()
            })
        });
        app.update();
        let store = app.world().resource::<SceneStore>();
        let name = &store.slot(id).unwrap().reference.name;
        assert!(
            store.notices.iter().any(|n| n.error
                && n.text.contains(name.as_str())
                && n.text.contains("no_such_field")),
            "{:?}",
            store.notices
        );
        assert!(app.world().resource::<StyleResults>().theme(id).is_none());
    }
}
