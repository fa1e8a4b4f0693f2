//! Layer meshing in a Bevy app without a GPU: nothing is meshed on the
//! main thread, chunks arrive within the per-frame budget, and a restyle
//! keeps the old meshes until the new ones are there.

use super::*;
use crate::render::layers::LayerEntity;
use std::time::Instant;

fn demo_app(upload_budget: usize) -> App {
    let mut store = SceneStore::new(crate::scene::load::open_inputs(&[]).unwrap());
    store.load_all_blocking();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, bevy::asset::AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .init_asset::<IconMaterial>()
        .init_asset::<FeatureMaterial>()
        .init_asset::<ShaderBuffer>()
        .init_asset::<GizmoAsset>()
        .insert_resource(store)
        .insert_resource(LayerBuilds {
            upload_budget,
            ..LayerBuilds::default()
        })
        .init_resource::<Ground>()
        .init_resource::<LayerMaterials>()
        .init_resource::<FeatureStyles>()
        .init_resource::<crate::scene::derived::StyleResults>()
        .add_message::<crate::scene::store::StoreCommand>()
        .add_systems(PreUpdate, crate::scene::derived::derive_styles)
        .add_systems(Update, (start_builds, receive_builds).chain());
    app
}

/// Vertices of the meshes of each layer's entities.
fn vertices_by_layer(app: &mut App) -> HashMap<u64, usize> {
    let mut out = HashMap::new();
    let mut q = app.world_mut().query::<(&LayerEntity, &Mesh3d)>();
    let world = app.world();
    let meshes = world.resource::<Assets<Mesh>>();
    for (le, m) in q.iter(world) {
        *out.entry(le.0).or_default() += meshes.get(&m.0).map_or(0, |m| m.count_vertices());
    }
    out
}

fn all_spawned(app: &App) -> bool {
    app.world()
        .resource::<SceneStore>()
        .layers
        .iter()
        .all(|s| s.spawned)
}

#[test]
fn layers_are_meshed_off_the_main_thread_and_uploaded_within_the_budget() {
    let budget = 20_000;
    let mut app = demo_app(budget);
    app.update();
    assert!(
        vertices_by_layer(&mut app).is_empty(),
        "the first frame only starts the builds"
    );
    let started = Instant::now();
    let mut before = 0;
    let mut frames_with_uploads = 0;
    while !all_spawned(&app) {
        assert!(started.elapsed().as_secs() < 60, "never spawned");
        std::thread::sleep(std::time::Duration::from_millis(2));
        app.update();
        let now: usize = vertices_by_layer(&mut app).values().sum();
        // A frame spawns chunks until the budget is spent: at most the
        // budget plus the one chunk that crossed it (chunks are ≤ 400 m).
        assert!(
            now - before < budget + 200_000,
            "{} vertices in one frame",
            now - before
        );
        frames_with_uploads += usize::from(now > before);
        before = now;
    }
    assert!(before > budget * 3, "the demo has {before} vertices");
    assert!(
        frames_with_uploads >= 3,
        "spread over frames: {frames_with_uploads}"
    );
    let drawn = vertices_by_layer(&mut app);
    let store = app.world().resource::<SceneStore>();
    for s in &store.layers {
        if s.kind() != LayerKind::Terrain {
            assert!(
                drawn.get(&s.id).copied().unwrap_or(0) > 0,
                "{} drawn",
                s.reference.name
            );
        }
    }
}

#[test]
fn a_reshaped_layer_keeps_its_old_meshes_until_the_new_ones_land() {
    let mut app = demo_app(UPLOAD_VERTICES_PER_FRAME);
    let started = Instant::now();
    while !all_spawned(&app) {
        assert!(started.elapsed().as_secs() < 60);
        app.update();
    }
    let id = {
        let mut store = app.world_mut().resource_mut::<SceneStore>();
        let slot = store
            .layers
            .iter_mut()
            .find(|s| s.kind() == LayerKind::Buildings)
            .unwrap();
        slot.reference.style.floor_height = Some(10.0);
        slot.restyle().unwrap();
        assert!(!slot.spawned);
        slot.id
    };
    let old = vertices_by_layer(&mut app)[&id];
    let started = Instant::now();
    while !all_spawned(&app) {
        assert!(started.elapsed().as_secs() < 60);
        app.update();
        assert!(
            vertices_by_layer(&mut app).get(&id).copied().unwrap_or(0) > 0,
            "the buildings never vanish while remeshing"
        );
    }
    let new = vertices_by_layer(&mut app)[&id];
    assert_eq!(old, new, "the same footprints, taller");
}
