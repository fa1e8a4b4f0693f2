//! The tileset plugin's streaming in a Bevy app without a GPU: tiles are
//! read on the task pool and drawn, a tile that cannot be read is told once
//! while its parent stands in, children replace their parent once all are
//! in, and a respawned layer redraws its tiles without stale entities.

use super::*;
use crate::view::camera::{CameraRig, Pose};

/// A local tileset: a root (REPLACE, content) over four children, one of
/// whose content is missing. The contents are the fuzz seed triangle.
fn write_tileset(dir: &std::path::Path) {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../loaders/fuzz/corpus/b3dm/seed-triangle");
    for n in ["root", "a", "b", "c"] {
        std::fs::copy(&seed, dir.join(format!("{n}.b3dm"))).unwrap();
    }
    let child = |x: f64, y: f64, uri: &str| {
        format!(
            r#"{{"boundingVolume":{{"box":[{x},{y},0,5,0,0,0,5,0,0,0,1]}},"geometricError":0,"content":{{"uri":"{uri}"}}}}"#
        )
    };
    let kids = [
        child(-5.0, -5.0, "a.b3dm"),
        child(5.0, -5.0, "b.b3dm"),
        child(-5.0, 5.0, "c.b3dm"),
        child(5.0, 5.0, "missing.b3dm"),
    ];
    std::fs::write(
        dir.join("tileset.json"),
        format!(
            r#"{{"asset":{{"version":"1.0"}},"geometricError":100,"root":{{"boundingVolume":{{"box":[0,0,0,10,0,0,0,10,0,0,0,1]}},"geometricError":50,"refine":"REPLACE","content":{{"uri":"root.b3dm"}},"children":[{}]}}}}"#,
            kids.join(",")
        ),
    )
    .unwrap();
}

/// An app that runs only the tileset system over that tileset, seen from
/// 30 m above it (close enough to refine the root).
fn tiles_app(dir: &std::path::Path) -> (App, u64) {
    write_tileset(dir);
    let mut store =
        SceneStore::new(crate::scene::load::open_inputs(&[dir.join("tileset.json")]).unwrap());
    store.load_all_blocking();
    let slot = &mut store.layers[0];
    assert_eq!(slot.kind(), LayerKind::Tiles, "{:?}", slot.state);
    slot.spawned = true;
    let id = slot.id;
    let centre = slot.layer.as_ref().unwrap().bbox().unwrap().center();
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
        HashMap::from([(id, vec![(material, 1.0)])]),
        HashMap::new(),
    ))
    .insert_resource(store)
    .insert_resource(CameraRig::new(Pose::look_at(
        centre + DVec3::new(0.0, -1.0, 30.0),
        centre,
    )))
    .insert_resource(StreamBudget { bytes: 1 << 30 })
    .init_resource::<crate::stream::terrain::TerrainTiles>()
    .init_resource::<TilesetStreams>()
    .add_message::<StoreCommand>()
    .add_systems(Update, update_tilesets);
    (app, id)
}

fn run_until_settled(app: &mut App) {
    let started = Instant::now();
    loop {
        app.update();
        let w = app.world();
        if w.resource::<TilesetStreams>()
            .settled(w.resource::<SceneStore>())
        {
            return;
        }
        assert!(started.elapsed().as_secs() < 60, "tiles never settled");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// The tiles drawn, checked against the entities that carry a mesh.
fn drawn(app: &mut App, id: u64) -> Vec<TileId> {
    let stream = &app.world().resource::<TilesetStreams>().layers[&id];
    let mut tiles: Vec<TileId> = stream
        .resident
        .iter()
        .filter(|(_, r)| r.drawn && !r.parts.is_empty())
        .map(|(t, _)| *t)
        .collect();
    tiles.sort();
    let parts: usize = tiles.iter().map(|t| stream.resident[t].parts.len()).sum();
    let with_mesh = app
        .world_mut()
        .query_filtered::<&LayerEntity, With<Mesh3d>>()
        .iter(app.world())
        .count();
    assert_eq!(
        with_mesh, parts,
        "a mesh on exactly the drawn tiles' entities"
    );
    tiles
}

fn notices(app: &mut App) -> Vec<String> {
    app.world_mut()
        .resource_mut::<Messages<StoreCommand>>()
        .drain()
        .filter_map(|c| match c {
            StoreCommand::Notify(n) if n.error => Some(n.text),
            _ => None,
        })
        .collect()
}

#[test]
fn children_replace_the_root_and_a_missing_one_leaves_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    run_until_settled(&mut app);
    // Three children are in, the fourth failed: the root stays drawn in
    // their place (REPLACE refines only when every child is ready, so
    // there is never a hole), its children resident meanwhile.
    assert_eq!(drawn(&mut app, id), vec![0]);
    let stream = &app.world().resource::<TilesetStreams>().layers[&id];
    for child in [1, 2, 3] {
        assert!(stream.streamer.is_resident(child), "tile {child}");
    }
    let told = notices(&mut app);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("missing.b3dm"), "{told:?}");
    // A few more frames tell nothing new (the retry is quiet).
    for _ in 0..5 {
        app.update();
    }
    assert!(notices(&mut app).is_empty());
}

#[test]
fn children_replace_their_parent_once_all_are_in() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    std::fs::copy(dir.path().join("a.b3dm"), dir.path().join("missing.b3dm")).unwrap();
    run_until_settled(&mut app);
    assert_eq!(drawn(&mut app, id), vec![1, 2, 3, 4]);
    assert!(notices(&mut app).is_empty());
}

#[test]
fn a_respawned_layer_redraws_its_tiles_and_leaves_none_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    run_until_settled(&mut app);
    let before = drawn(&mut app, id);
    let tile_entities = |app: &mut App| -> Vec<Entity> {
        let mut q = app
            .world_mut()
            .query_filtered::<Entity, With<LayerEntity>>();
        let mut v: Vec<Entity> = q.iter(app.world()).collect();
        v.sort();
        v
    };
    let old = tile_entities(&mut app);
    assert!(!old.is_empty());
    // What a restyle does: a new layer material.
    let material = app
        .world_mut()
        .resource_mut::<Assets<StandardMaterial>>()
        .add(StandardMaterial::default());
    app.world_mut()
        .resource_mut::<LayerMaterials>()
        .0
        .insert(id, vec![(material, 1.0)]);
    run_until_settled(&mut app);
    assert_eq!(drawn(&mut app, id), before);
    let new = tile_entities(&mut app);
    assert_eq!(new.len(), old.len());
    assert!(
        new.iter().all(|e| !old.contains(e)),
        "the old tiles' entities are gone"
    );
}

/// A ray at a drawn tile's triangle finds that tile's feature with its
/// batch-table properties; the feature's triangles make a highlight; a ray
/// beside it finds nothing; an evicted layer is not picked.
#[test]
fn a_ray_picks_a_drawn_feature_and_its_properties() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    run_until_settled(&mut app);
    assert_eq!(drawn(&mut app, id), vec![0]);
    let streams = app.world().resource::<TilesetStreams>();
    let store = app.world().resource::<SceneStore>();
    let pick = streams.layers[&id].resident[&0].pick.clone().unwrap();
    // The seed triangle: vertex features [0, 1, 1], batch table
    // name ["a", "b"], height [10, 20].
    let m = &pick.meshes[0];
    let [a, b, c] = [0, 1, 2].map(|i| {
        let p = m.positions[m.indices[i] as usize];
        pick.anchor + DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64)
    });
    let normal = (b - a).cross(c - a).normalize();
    let centre = (a + b + c) / 3.0;
    let at = |p: DVec3| Ray {
        origin: p + normal * 50.0,
        dir: -normal,
    };
    let hit = streams.pick(store, &at(centre), 1e9, 0.0).expect("a hit");
    assert_eq!((hit.layer, hit.tile), (id, 0));
    assert!(hit.point.distance(centre) < 1e-3, "{:?}", hit.point);
    assert_eq!(hit.features.len(), 1);
    let f = &hit.features[0];
    assert_eq!((f.feature.id, f.feature.table), (0, Some(0)));
    assert_eq!(f.table.as_deref(), Some("batch table"));
    assert_eq!(
        f.properties,
        vec![
            ("name".to_string(), AttrValue::String("a".into())),
            ("height".to_string(), AttrValue::Float(10.0)),
        ]
    );
    let (mesh, anchor) = streams
        .feature_mesh(id, 0, 0)
        .expect("feature 0's triangle");
    assert_eq!(anchor, pick.anchor);
    assert_eq!(mesh.indices().map(|i| i.len()), Some(3));
    assert!(streams.feature_mesh(id, 0, 7).is_none(), "no such feature");
    // Beside the triangle, past its longest edge.
    let beside = centre + (a - centre) * 3.0;
    assert!(streams.pick(store, &at(beside), 1e9, 0.0).is_none());
    // A hidden layer is not picked.
    app.world_mut().resource_mut::<SceneStore>().layers[0]
        .reference
        .visible = false;
    let streams = app.world().resource::<TilesetStreams>();
    let store = app.world().resource::<SceneStore>();
    assert!(streams.pick(store, &at(centre), 1e9, 0.0).is_none());
}
