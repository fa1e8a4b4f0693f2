//! The tileset plugin's streaming in a Bevy app without a GPU: tiles are
//! read on the task pool and drawn, a tile that cannot be read is told once
//! while its parent stands in, children replace their parent once all are
//! in, and a respawned layer redraws its tiles without stale entities.

use super::read::prepare;
use super::*;
use crate::render::feature_style::FeatureMaterial;
use crate::render::point_cloud::PointCloudMaterial;
use crate::view::camera::{CameraRig, Pose};
use bevy::render::storage::ShaderBuffer;
use cim_core::model::attr::AttrValue;
use cim_core::query::pick::Ray;
use glam::DVec3;
use std::sync::atomic::AtomicBool;

/// A local tileset: a root (REPLACE, content) over four children, one of
/// whose content is missing. The contents are a fuzz seed (`kind/name`,
/// e.g. `b3dm/seed-triangle`), the content type told by its magic.
fn write_tileset(dir: &std::path::Path, seed: &str) {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../loaders/fuzz/corpus")
        .join(seed);
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

/// An app that runs only the tileset system over that tileset (of the
/// seed triangle), seen from 30 m above it (close enough to refine the
/// root).
fn tiles_app(dir: &std::path::Path) -> (App, u64) {
    tiles_app_of(dir, "b3dm/seed-triangle")
}

fn tiles_app_of(dir: &std::path::Path, seed: &str) -> (App, u64) {
    write_tileset(dir, seed);
    app_for(&dir.join("tileset.json"), DVec3::new(0.0, -1.0, 30.0))
}

/// An app that runs only the tileset system over the tiles at `input`,
/// seen from `eye` off the centre of their extent.
fn app_for(input: &std::path::Path, eye: DVec3) -> (App, u64) {
    let mut store = SceneStore::new(crate::scene::load::open_inputs(&[input.into()]).unwrap());
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
        .init_asset::<FeatureMaterial>()
        .init_asset::<PointCloudMaterial>()
        .init_asset::<ShaderBuffer>()
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
    .insert_resource(CameraRig::new(Pose::look_at(centre + eye, centre)))
    .insert_resource(StreamBudget { bytes: 1 << 30 })
    .init_resource::<crate::stream::terrain::TerrainTiles>()
    .init_resource::<TilesetStreams>()
    .init_resource::<super::styling::TextureImages>()
    .init_resource::<crate::scene::derived::StyleResults>()
    .add_message::<StoreCommand>()
    .add_systems(PreUpdate, crate::scene::derived::derive_styles)
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

/// The corners of a resident tile's first triangle (scene CRS) and its
/// unit normal.
fn first_triangle(pick: &Pickable) -> ([DVec3; 3], DVec3) {
    let m = &pick.meshes[0];
    let [a, b, c] = [0, 1, 2].map(|i| {
        let p = m.positions[m.indices[i] as usize];
        pick.anchor + DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64)
    });
    ([a, b, c], (b - a).cross(c - a).normalize())
}

/// A ray falling square onto a plane of `normal` at `p`, from 50 m off.
fn ray_onto(p: DVec3, normal: DVec3) -> Ray {
    Ray {
        origin: p + normal * 50.0,
        dir: -normal,
    }
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
    let ([a, b, c], normal) = first_triangle(&pick);
    let centre = (a + b + c) / 3.0;
    let at = |p: DVec3| ray_onto(p, normal);
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

/// The style buffer and material of tile `tile`'s first mesh.
fn first_part(app: &App, id: u64, tile: TileId) -> (Vec<u8>, AlphaMode, Entity) {
    let resident = &app.world().resource::<TilesetStreams>().layers[&id].resident[&tile];
    let part = &resident.parts[0];
    let buffers = app.world().resource::<Assets<ShaderBuffer>>();
    let buffer = &resident.looks[part.looks].buffer;
    let records = buffers.get(buffer).unwrap().data.clone().unwrap();
    let materials = app.world().resource::<Assets<FeatureMaterial>>();
    let styling::PartMaterial::Surface(material) = &part.material else {
        panic!("a surface")
    };
    let mode = materials.get(material).unwrap().base.alpha_mode;
    (records, mode, part.entity)
}

/// Restyles the layer and runs frames until its resident meshes have the
/// new looks (worked out on the task pool); returns the error notices
/// told meanwhile.
fn restyle(app: &mut App, edit: impl FnOnce(&mut cim_core::scene::Style)) -> Vec<String> {
    let mut store = app.world_mut().resource_mut::<SceneStore>();
    let mut style = store.layers[0].reference.style.clone();
    edit(&mut style);
    // The store's own command (a tileset's restyle keeps its tiles).
    let layer = store.layers[0].id;
    store
        .apply(StoreCommand::SetStyle {
            layer,
            style: Box::new(style),
        })
        .unwrap();
    let mut told = Vec::new();
    let started = Instant::now();
    loop {
        app.update();
        told.extend(notices(app));
        let w = app.world();
        if w.resource::<TilesetStreams>()
            .settled(w.resource::<SceneStore>())
        {
            return told;
        }
        assert!(started.elapsed().as_secs() < 60, "the restyle never landed");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// A tileset's show and colour conditions reach the style buffer of each
/// resident mesh — tiles read before and after the restyle alike — and
/// ask for a discarding material; a new style or opacity rewrites buffers
/// and materials of the same entities, never the meshes.
#[test]
fn conditions_restyle_resident_tiles_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    run_until_settled(&mut app);
    let (plain, mode, entity) = first_part(&app, id, 0);
    assert_eq!(plain, [255, 255, 255, 255, 0, 0, 0, 0], "one plain record");
    assert_eq!(mode, AlphaMode::Opaque);
    // The seed triangle's features: name ["a", "b"], height [10, 20].
    restyle(&mut app, |s| {
        s.filter = Some("height > 15".into());
        s.conditions = vec![cim_core::style::conditions::ColorCondition {
            when: "name = 'b'".into(),
            color: "#ff0000".into(),
        }];
    });
    let (styled, mode, same) = first_part(&app, id, 0);
    assert_eq!(same, entity, "restyled in place");
    let hidden = crate::render::feature_style::HIDDEN as u8;
    assert_eq!(
        styled,
        [
            [255, 255, 255, 255, hidden, 0, 0, 0],
            [255, 0, 0, 255, 0, 0, 0, 0],
            [255, 255, 255, 255, hidden, 0, 0, 0]
        ]
        .concat(),
        "feature 0 hidden, feature 1 red, no feature hidden"
    );
    assert_eq!(mode, AlphaMode::Mask(0.5));
    // The hidden feature is seen through by picking, the shown one hit.
    let streams = app.world().resource::<TilesetStreams>();
    let store = app.world().resource::<SceneStore>();
    let pick = streams.layers[&id].resident[&0].pick.clone().unwrap();
    let ([a, b, c], normal) = first_triangle(&pick);
    let ray = ray_onto((a + b + c) / 3.0, normal);
    // The seed triangle's first vertex is feature 0's, the one hidden.
    assert!(streams.pick(store, &ray, 1e9, 0.0).is_none());
    // Tiles read after the restyle come styled: every child's mesh.
    std::fs::copy(dir.path().join("a.b3dm"), dir.path().join("missing.b3dm")).unwrap();
    let started = Instant::now();
    while drawn(&mut app, id) != [1, 2, 3, 4] {
        assert!(started.elapsed().as_secs() < 60, "the retry never came");
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for tile in [1, 2, 3, 4] {
        assert_eq!(first_part(&app, id, tile).0, styled, "tile {tile}");
    }
    // Half opacity blends; a bad condition is told and leaves the tiles
    // as the content draws them.
    app.world_mut().resource_mut::<SceneStore>().layers[0]
        .reference
        .opacity = 0.5;
    app.update();
    assert_eq!(first_part(&app, id, 1).1, AlphaMode::Blend);
    notices(&mut app);
    let told = restyle(&mut app, |s| s.filter = Some("height >".into()));
    assert_eq!(first_part(&app, id, 1).0, plain);
    assert!(
        told.iter().any(|t| t.contains("filter `height >`")),
        "{told:?}"
    );
}

/// A point cloud is drawn as points of the style's size in pixels
/// (`render::point_cloud`), changed in place by a restyle.
#[test]
fn point_clouds_take_the_style_point_size() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app_of(dir.path(), "pnts/seed-float-rgba");
    run_until_settled(&mut app);
    let size = |app: &App| {
        let part = &app.world().resource::<TilesetStreams>().layers[&id].resident[&0].parts[0];
        let styling::PartMaterial::Points(h) = &part.material else {
            panic!("a point cloud material")
        };
        let m = app.world().resource::<Assets<PointCloudMaterial>>();
        (part.entity, m.get(h).unwrap().params.x)
    };
    let (entity, px) = size(&app);
    assert_eq!(px, crate::render::point_cloud::DEFAULT_POINT_PX);
    // A ray passing a point 1.5 × the picking tolerance off: larger
    // points are hit further off.
    let ray = {
        let pick = app.world().resource::<TilesetStreams>().layers[&id].resident[&0]
            .pick
            .clone()
            .unwrap();
        let p = pick.meshes[0].positions[0];
        let p = pick.anchor + DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64);
        Ray {
            origin: p + DVec3::new(0.006 * 50.0 * 1.5, 0.0, 50.0),
            dir: DVec3::NEG_Z,
        }
    };
    let hit = |app: &App| {
        let w = app.world();
        let store = w.resource::<SceneStore>();
        w.resource::<TilesetStreams>()
            .pick(store, &ray, 1e9, 0.006)
            .is_some()
    };
    assert!(!hit(&app), "a 3 px point is missed");
    restyle(&mut app, |s| s.point_size = Some(20.0));
    assert!(hit(&app), "a 20 px point is hit");
    restyle(&mut app, |s| s.point_size = Some(6.0));
    assert_eq!(size(&app), (entity, 6.0));
    restyle(&mut app, |s| s.point_size = Some(1e9));
    assert_eq!(size(&app).1, crate::render::point_cloud::MAX_POINT_PX);
}

/// A read the streamer no longer wants reads nothing: a cancelled read of
/// a missing file says the view moved on, not that the file is missing;
/// and a stream that is dropped cancels what it still had under way.
#[test]
fn cancelled_reads_read_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    let tiles = {
        let store = app.world().resource::<SceneStore>();
        store.layers[0]
            .layer
            .as_ref()
            .unwrap()
            .tiles()
            .unwrap()
            .clone()
    };
    let missing = 4;
    let tree = cim_core::lod::streamed_tree::StreamedTree::new(
        tiles.source.clone(),
        tiles.placement.clone().unwrap(),
    );
    let read = |cancelled: bool| {
        let cancel = AtomicBool::new(cancelled);
        let job = super::read::TileRead::of(&tree, missing);
        prepare(&tiles, &job, None, &cancel).err().unwrap()
    };
    assert!(read(false).contains("missing.b3dm"), "{}", read(false));
    assert_eq!(read(true), "the view moved on");
    // The first frame starts the root's read; dropping the stream
    // cancels it.
    app.update();
    let flag = {
        let streams = app.world().resource::<TilesetStreams>();
        streams.layers[&id].reads.values().next().cloned()
    };
    let flag = flag.expect("a read under way");
    app.world_mut()
        .resource_mut::<TilesetStreams>()
        .layers
        .remove(&id);
    assert!(flag.load(Ordering::Relaxed));
}

/// The instances of an i3dm (each placed as a mesh of its own) share one
/// style buffer: a tile's features are styled once per table, not once
/// per mesh.
#[test]
fn the_meshes_of_a_tile_share_their_table_looks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app_of(dir.path(), "i3dm/seed-instances");
    run_until_settled(&mut app);
    let streams = app.world().resource::<TilesetStreams>();
    let resident = &streams.layers[&id].resident[&0];
    assert!(resident.parts.len() > 1, "{} meshes", resident.parts.len());
    assert_eq!(resident.looks.len(), 1);
    assert!(resident.parts.iter().all(|p| p.looks == 0));
}

/// An OSGB dataset opens with its root file read; the file its PagedLOD
/// pages in is read when the view comes close enough to refine the page,
/// and its tile then replaces the page's. From far away nothing more is
/// read.
#[test]
fn an_osgb_tree_grows_where_the_view_refines() {
    let seed = |name: &str| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../loaders/fuzz/corpus/osgb")
            .join(name)
    };
    let dir = tempfile::tempdir().unwrap();
    let block = dir.path().join("Data/Tile_A");
    std::fs::create_dir_all(&block).unwrap();
    std::fs::copy(seed("seed-group-plain"), block.join("Tile_A.osgb")).unwrap();
    std::fs::copy(seed("seed-zlib"), block.join("Tile_L2_0.osgb")).unwrap();

    let (mut far, id) = app_for(dir.path(), DVec3::new(0.0, -1.0, 1000.0));
    run_until_settled(&mut far);
    let stream = &far.world().resource::<TilesetStreams>().layers[&id];
    assert_eq!(stream.tree.grown_len(), 0, "nothing read from far away");
    assert_eq!(drawn(&mut far, id), vec![1, 2]);

    let (mut near, id) = app_for(dir.path(), DVec3::new(0.0, -0.5, 1.5));
    run_until_settled(&mut near);
    let stream = &near.world().resource::<TilesetStreams>().layers[&id];
    assert_eq!(stream.tree.grown_len(), 1, "the page's file, read");
    assert_eq!(stream.tree.tile(3).parent, Some(2));
    assert_eq!(drawn(&mut near, id), vec![1, 3], "the page replaced");
}

/// The pages of a real ContextCapture file draw one shared texture: the
/// budget counts it once, each page charged a share, not the whole.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_texture_the_pages_of_a_file_share_is_counted_once() {
    let data = std::path::PathBuf::from(std::env::var_os("CIM_TEST_DATA").unwrap());
    let tile = data.join("osgb/osgb-master/Tile_+005_+005_L22_000020t4.osgb");
    assert!(tile.is_file(), "{} is missing", tile.display());
    let (mut app, id) = app_for(&tile, DVec3::new(0.0, -20.0, 40.0));
    run_until_settled(&mut app);
    let streams = app.world().resource::<TilesetStreams>();
    let stream = &streams.layers[&id];
    let textured: Vec<&Resident> = stream
        .resident
        .values()
        .filter(|r| !r.parts.is_empty())
        .collect();
    assert!(textured.len() >= 2, "{} tiles drawn", textured.len());
    // One 1024 × 1024 texture, once.
    assert_eq!(stream.shared.total(), 1024 * 1024 * 4);
    let own: usize = stream.resident.values().map(|r| r.bytes).sum();
    let counted = streams.resident_bytes();
    assert!(
        counted <= own + stream.shared.total()
            && counted + textured.len() >= own + stream.shared.total(),
        "{counted} counted, {own} own + {} shared",
        stream.shared.total()
    );
}

/// A main camera whose viewport is not known yet (before its first
/// frame) selects nothing: tiles chosen for a guessed size would be asked
/// for in vain. Once it is gone (or known), streaming goes on.
#[test]
fn nothing_is_asked_for_before_the_viewport_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, id) = tiles_app(dir.path());
    // No render target: the camera's viewport stays unknown.
    let camera = app
        .world_mut()
        .spawn((Camera::default(), crate::view::camera::MainCamera))
        .id();
    for _ in 0..3 {
        app.update();
    }
    let streams = app.world().resource::<TilesetStreams>();
    assert!(streams.layers.is_empty(), "no stream started");
    app.world_mut().despawn(camera);
    run_until_settled(&mut app);
    assert!(!drawn(&mut app, id).is_empty());
}
