//! The one memory budget of streamed content: terrain tiles and their
//! drapes, 3D Tiles; OSGB and tiled IFC content next. Each streamed source
//! keeps its resident bytes under what the budget leaves it (see
//! `cim_core::lod::stream::Streamer`). Set by `CIM_STREAM_BUDGET_MB`, else
//! the scene document's `stream_budget_mb` (which
//! `StoreCommand::SetStreamBudget` edits), else [`DEFAULT_BUDGET_MB`].

use bevy::prelude::*;

/// Default budget, MiB: a city's terrain and imagery in view several times
/// over, small beside a workstation's memory.
pub const DEFAULT_BUDGET_MB: usize = 1024;

/// Bytes of streamed content that may stay resident (content being drawn
/// excepted). `CIM_STREAM_BUDGET_MB` sets it.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamBudget {
    pub bytes: usize,
}

impl StreamBudget {
    /// From `CIM_STREAM_BUDGET_MB` (a whole number of MiB), else
    /// [`DEFAULT_BUDGET_MB`].
    pub fn from_env() -> StreamBudget {
        StreamBudget::for_scene(None)
    }

    /// From `CIM_STREAM_BUDGET_MB`, else the document's `doc_mb`, else
    /// [`DEFAULT_BUDGET_MB`].
    pub fn for_scene(doc_mb: Option<u64>) -> StreamBudget {
        let mb = std::env::var("CIM_STREAM_BUDGET_MB")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .or(doc_mb.map(|m| m as usize))
            .unwrap_or(DEFAULT_BUDGET_MB);
        StreamBudget {
            bytes: mb.saturating_mul(1 << 20),
        }
    }
}

/// Keeps [`StreamBudget`] on what the scene document says.
pub struct StreamBudgetPlugin;

impl Plugin for StreamBudgetPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<StreamBudget>()
            .add_systems(PreUpdate, follow_document);
    }
}

fn follow_document(store: Res<crate::scene::store::SceneStore>, mut budget: ResMut<StreamBudget>) {
    if !store.is_changed() {
        return;
    }
    let wanted = StreamBudget::for_scene(store.doc.stream_budget_mb);
    if *budget != wanted {
        *budget = wanted;
    }
}

impl Default for StreamBudget {
    fn default() -> Self {
        StreamBudget::from_env()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::store::{SceneStore, StoreCommand, apply_store_commands};

    #[test]
    fn the_document_sets_the_budget_and_a_command_changes_it() {
        if std::env::var_os("CIM_STREAM_BUDGET_MB").is_some() {
            return; // The environment wins; nothing to see here.
        }
        let mut opened = crate::scene::load::open_inputs(&[]).unwrap();
        opened.doc.stream_budget_mb = Some(256);
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(SceneStore::new(opened))
            .add_message::<StoreCommand>()
            .add_systems(PreUpdate, apply_store_commands.before(follow_document))
            .add_plugins(StreamBudgetPlugin);
        app.update();
        assert_eq!(app.world().resource::<StreamBudget>().bytes, 256 << 20);
        app.world_mut()
            .write_message(StoreCommand::SetStreamBudget(Some(4096)));
        app.update();
        assert_eq!(app.world().resource::<StreamBudget>().bytes, 4096 << 20);
        let store = app.world().resource::<SceneStore>();
        assert_eq!(store.doc.stream_budget_mb, Some(4096));
        assert!(
            store
                .doc
                .to_toml_string()
                .contains("stream_budget_mb = 4096")
        );
    }
}
