//! The terrain plugin's streaming, in a Bevy app without a GPU: tiles are
//! meshed on the task pool, drawn without holes while the camera moves,
//! and kept within the byte budget.

use super::*;
use crate::view::camera::{CameraRig, Pose};
use cim_core::lod::LodTree;

/// A Bevy app that runs only the terrain system over the demo city's
/// terrain (loaded for real), seen from `pose`.
fn terrain_app(budget_bytes: usize, pose: Pose) -> (App, u64) {
    let mut store = SceneStore::new(crate::scene::load::open_inputs(&[]).unwrap());
    store.load_all_blocking();
    let mut terrain = None;
    for s in &mut store.layers {
        s.spawned = s.kind() == LayerKind::Terrain;
        if s.spawned {
            terrain = Some(s.id);
        }
    }
    let terrain = terrain.expect("the demo has terrain");
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, bevy::asset::AssetPlugin::default()))
        .init_asset::<Mesh>()
        .init_asset::<StandardMaterial>()
        .init_asset::<Image>();
    let material = app
        .world_mut()
        .resource_mut::<Assets<StandardMaterial>>()
        .add(StandardMaterial::default());
    app.insert_resource(LayerMaterials(
        HashMap::from([(terrain, vec![(material, 1.0)])]),
        HashMap::new(),
    ))
    .insert_resource(store)
    .insert_resource(CameraRig::new(pose))
    .insert_resource(Drapes::inactive())
    .insert_resource(StreamBudget {
        bytes: budget_bytes,
    })
    .init_resource::<TerrainTiles>()
    .add_message::<StoreCommand>()
    .add_systems(Update, update_terrain_lod);
    (app, terrain)
}

/// Holds the demo DEM of slot `id` as every 4th cell, with `source` (given
/// the full grid) for its full resolution: as a GeoTIFF too large to hold.
fn hold_as_overview(
    app: &mut App,
    id: u64,
    source: impl FnOnce(cim_core::Grid) -> Arc<dyn cim_core::model::grid_source::GridSource>,
) {
    let mut store = app.world_mut().resource_mut::<SceneStore>();
    let slot = store.slot_mut(id).unwrap();
    let mut layer = (**slot.layer.as_ref().unwrap()).clone();
    let full = layer.grid().unwrap().clone();
    let overview = full.subsample(4);
    slot.terrain = Some(Arc::new(cim_core::lod::terrain::TerrainQuadtree::build(
        &overview, 64,
    )));
    layer.content = cim_core::LayerContent::Raster(overview);
    slot.layer = Some(Arc::new(layer));
    slot.terrain_detail = Some(cim_core::model::grid_source::SharedSource(source(full)));
}

/// The demo terrain's box.
fn terrain_box(app: &App, id: u64) -> Bbox {
    let store = app.world().resource::<SceneStore>();
    let tree = store.slot(id).unwrap().terrain.clone().unwrap();
    tree.bounds(tree.root())
}

/// Straight down (nearly) onto the middle of `b` from `height` metres.
fn above(b: &Bbox, height: f64) -> Pose {
    let c = (b.min + b.max) / 2.0;
    Pose::look_at(c + DVec3::new(0.0, -1.0, height), c)
}

fn run_until_settled(app: &mut App) {
    let started = Instant::now();
    loop {
        app.update();
        let w = app.world();
        if w.resource::<TerrainTiles>()
            .settled(w.resource::<SceneStore>())
        {
            return;
        }
        assert!(started.elapsed().as_secs() < 60, "terrain never settled");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Runs frames until the terrain settles, checking each that what is
/// drawn covers the wanted cut (`cut`, else the view's as it grows) with no
/// hole, and at the end that it is exactly that cut. Returns it.
fn settle_without_holes(app: &mut App, id: u64, cut: Option<&[NodeId]>) -> Vec<NodeId> {
    let started = Instant::now();
    loop {
        app.update();
        let want = cut.map_or_else(|| wanted_cut(app, id), <[NodeId]>::to_vec);
        assert_covers(&drawn(app, id), &want);
        let w = app.world();
        if w.resource::<TerrainTiles>()
            .settled(w.resource::<SceneStore>())
        {
            break;
        }
        assert!(started.elapsed().as_secs() < 60, "never settled");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let mut low = drawn(app, id);
    let mut want = cut.map_or_else(|| wanted_cut(app, id), <[NodeId]>::to_vec);
    low.sort();
    want.sort();
    assert_eq!(low, want, "settled: exactly the wanted cut");
    low
}

/// The nodes drawn, checked against the entities that carry a mesh.
fn drawn(app: &mut App, id: u64) -> Vec<NodeId> {
    let nodes: Vec<NodeId> = app.world().resource::<TerrainTiles>().layers[&id]
        .resident
        .iter()
        .filter(|(_, t)| t.drawn)
        .map(|(n, _)| *n)
        .collect();
    let with_mesh = app
        .world_mut()
        .query_filtered::<(), (With<LayerEntity>, With<Mesh3d>)>()
        .iter(app.world())
        .count();
    assert_eq!(
        with_mesh,
        nodes.len(),
        "an entity with a mesh per drawn tile"
    );
    nodes
}

fn is_above(a: NodeId, mut n: NodeId) -> bool {
    while let Some(p) = n.parent() {
        if p == a {
            return true;
        }
        n = p;
    }
    false
}

/// Panics unless `draw` has no overlaps and covers every node of `cut`
/// (itself, an ancestor or its descendants).
fn assert_covers(draw: &[NodeId], cut: &[NodeId]) {
    for &a in draw {
        for &b in draw {
            assert!(!is_above(a, b), "{a:?} and {b:?} overlap");
        }
    }
    for &c in cut {
        assert!(
            draw.iter()
                .any(|&d| d == c || is_above(d, c) || is_above(c, d)),
            "a hole at {c:?}"
        );
    }
}

/// The cut the view wants now (the system's own `Local`, recomputed).
fn wanted_cut(app: &App, id: u64) -> Vec<NodeId> {
    let w = app.world();
    let rig = w.resource::<CameraRig>();
    let store = w.resource::<SceneStore>();
    let tree = store.slot(id).unwrap().terrain.clone().unwrap();
    let frustum = cim_core::lod::Frustum::new(
        rig.pose.eye,
        rig.pose.forward(),
        rig.fov_y * 1.2,
        1920.0 / 1080.0 * 1.1,
    );
    let view = cim_core::lod::LodView {
        camera: rig.pose.eye,
        viewport_height_px: 1080.0,
        fov_y_rad: rig.fov_y,
        max_screen_error_px: MAX_SCREEN_ERROR_PX,
        drape: None,
        frustum: Some(&frustum),
    };
    let mut cut = Vec::new();
    match w.resource::<TerrainTiles>().layers.get(&id) {
        Some(t) => cim_core::lod::select(&t.tree, &view, &mut cut),
        None => cim_core::lod::select(&*tree, &view, &mut cut),
    }
    cut
}

#[test]
fn tiles_stream_in_and_parents_stand_in_while_the_camera_descends() {
    let (mut app, id) = terrain_app(usize::MAX, Pose::look_at(DVec3::ZERO, DVec3::X));
    let b = terrain_box(&app, id);
    let extent = (b.max.x - b.min.x).max(b.max.y - b.min.y);
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, extent * 2.0);
    // The first frame only asks for meshes: nothing is meshed on the main
    // thread.
    app.update();
    assert!(drawn(&mut app, id).is_empty());
    run_until_settled(&mut app);
    let high = drawn(&mut app, id);
    assert!(!high.is_empty());
    assert_covers(&high, &wanted_cut(&app, id));
    // Down to 150 m: the view wants finer tiles than are loaded; the
    // coarser ones stand in until they are, frame after frame.
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, 150.0);
    let low_cut = wanted_cut(&app, id);
    assert!(low_cut.iter().map(|n| n.level).max() > high.iter().map(|n| n.level).max());
    settle_without_holes(&mut app, id, Some(&low_cut));
}

#[test]
fn resident_tiles_stay_within_the_budget() {
    let (mut app, id) = terrain_app(0, Pose::look_at(DVec3::ZERO, DVec3::X));
    let b = terrain_box(&app, id);
    let extent = (b.max.x - b.min.x).max(b.max.y - b.min.y);
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, extent * 2.0);
    run_until_settled(&mut app);
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, 150.0);
    run_until_settled(&mut app);
    // One more frame: what the last one evicted is despawned.
    app.update();
    let tiles = &app.world().resource::<TerrainTiles>().layers[&id];
    let drawn_bytes: usize = tiles
        .resident
        .values()
        .filter(|t| t.drawn)
        .map(|t| t.mesh_bytes)
        .sum();
    assert!(drawn_bytes > 0);
    assert_eq!(
        tiles.streamer.resident_bytes(),
        drawn_bytes,
        "with no budget, only what is drawn stays"
    );
    let resident = tiles.resident.len();
    let entities = app
        .world_mut()
        .query_filtered::<(), With<LayerEntity>>()
        .iter(app.world())
        .count();
    assert_eq!(entities, resident, "evicted tiles are despawned");
}

#[test]
fn a_respawned_layer_gets_new_tiles_and_loses_the_old_ones() {
    let (mut app, id) = terrain_app(usize::MAX, Pose::look_at(DVec3::ZERO, DVec3::X));
    let b = terrain_box(&app, id);
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, 2_000.0);
    run_until_settled(&mut app);
    let old: Vec<Entity> = app
        .world_mut()
        .query_filtered::<Entity, With<LayerEntity>>()
        .iter(app.world())
        .collect();
    assert!(!old.is_empty());
    // What `layer_meshing` does when the layer is restyled: a new material.
    let fresh = app
        .world_mut()
        .resource_mut::<Assets<StandardMaterial>>()
        .add(StandardMaterial::default());
    app.world_mut()
        .resource_mut::<LayerMaterials>()
        .0
        .insert(id, vec![(fresh, 1.0)]);
    run_until_settled(&mut app);
    app.update();
    let now: Vec<Entity> = app
        .world_mut()
        .query_filtered::<Entity, With<LayerEntity>>()
        .iter(app.world())
        .collect();
    assert!(!now.is_empty());
    assert!(
        old.iter().all(|e| !now.contains(e)),
        "the old tiles are gone"
    );
}

#[test]
fn a_dem_held_as_an_overview_streams_full_resolution_pages_near_the_camera() {
    let (mut app, id) = terrain_app(usize::MAX, Pose::look_at(DVec3::ZERO, DVec3::X));
    // The demo DEM held as every 4th cell, the full grid read a window at a
    // time: as a GeoTIFF too large to hold is.
    hold_as_overview(&mut app, id, |full| Arc::new(full));
    let b = terrain_box(&app, id);
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, 3_000.0);
    run_until_settled(&mut app);
    let page_level = app.world().resource::<TerrainTiles>().layers[&id]
        .tree
        .page_level()
        .expect("paged");
    assert!(drawn(&mut app, id).iter().all(|n| n.level <= page_level));
    // Low over the middle: pages are read, and their full-resolution tiles
    // drawn, without holes on the way.
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, 40.0);
    let low = settle_without_holes(&mut app, id, None);
    let tiles = &app.world().resource::<TerrainTiles>().layers[&id];
    assert!(
        low.iter().any(|n| n.level > page_level),
        "full resolution near the camera: {low:?}"
    );
    let (pages, page_bytes) = tiles.tree.pages_resident();
    assert!(pages > 0 && page_bytes > 0);
    assert!(tiles.streamer.resident_bytes() > page_bytes);
}

#[test]
fn a_page_that_cannot_be_read_is_told_once_and_its_overview_stands_in() {
    #[derive(Debug)]
    struct Damaged(cim_core::model::grid_source::GridShape);
    impl cim_core::model::grid_source::GridSource for Damaged {
        fn shape(&self) -> cim_core::model::grid_source::GridShape {
            self.0
        }
        fn read_window(
            &self,
            c: usize,
            r: usize,
            _: usize,
            _: usize,
        ) -> Result<cim_core::Grid, String> {
            Err(format!("dem.tif: the tile at ({c}, {r}) is damaged"))
        }
    }
    let (mut app, id) = terrain_app(usize::MAX, Pose::look_at(DVec3::ZERO, DVec3::X));
    hold_as_overview(&mut app, id, |full| {
        Arc::new(Damaged(cim_core::model::grid_source::GridShape::of(&full)))
    });
    let b = terrain_box(&app, id);
    app.world_mut().resource_mut::<CameraRig>().pose = above(&b, 40.0);
    run_until_settled(&mut app);
    for _ in 0..5 {
        app.update();
    }
    let draw = drawn(&mut app, id);
    assert!(!draw.is_empty(), "the overview stands in");
    assert_covers(&draw, &wanted_cut(&app, id));
    let told: Vec<String> = app
        .world_mut()
        .resource_mut::<Messages<StoreCommand>>()
        .drain()
        .filter_map(|c| match c {
            StoreCommand::Notify(n) if n.error => Some(n.text),
            _ => None,
        })
        .collect();
    assert_eq!(told.len(), 1, "told once: {told:?}");
    assert!(
        told[0].contains("dem.tif") && told[0].contains("damaged"),
        "{told:?}"
    );
}
