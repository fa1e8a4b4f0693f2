//! Analyses run in the viewer on the scene's data (their arithmetic in
//! `cim-core`): `corridor`, the pipe-corridor checks over utility lines;
//! `burst`, isolating a broken pipe of a network; `flood`, flood scenarios
//! run and their water shown.

pub mod burst;
pub mod corridor;
pub mod flood;

/// What the analysis plugins' tests share: a Bevy app without a GPU that
/// has per-feature styles, and grey styles for the layers they mark.
#[cfg(test)]
pub(crate) mod test_app {
    use crate::render::feature_style::FeatureStyles;
    use crate::scene::store::StoreCommand;
    use bevy::prelude::*;
    use bevy::render::storage::ShaderBuffer;

    /// An app with style buffers and the store's notices, no window.
    pub fn styled_app() -> App {
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, bevy::asset::AssetPlugin::default()))
            .init_asset::<ShaderBuffer>()
            .init_resource::<FeatureStyles>()
            .add_message::<StoreCommand>();
        app
    }

    /// Grey styles for `(layer, features)` each, as a spawned layer has.
    pub fn style_layers(app: &mut App, layers: &[(u64, usize)]) {
        app.world_mut()
            .resource_scope(|world, mut styles: Mut<FeatureStyles>| {
                let mut buffers = world.resource_mut::<Assets<ShaderBuffer>>();
                for &(id, n) in layers {
                    styles.insert_layer(id, std::iter::repeat_n([200; 4], n), 0, &mut buffers);
                }
            });
    }
}
