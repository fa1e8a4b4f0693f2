use super::*;
use cim_core::scene::{FORMAT_VERSION, Style};

fn layer(name: &str, source: &str) -> LayerRef {
    LayerRef {
        layer: None,
        name: name.into(),
        source: source.into(),
        kind: LayerKind::Auto,
        visible: true,
        opacity: 1.0,
        style: Style::default(),
        placement: None,
        clip: Vec::new(),
        flatten: Vec::new(),
    }
}

fn store(layers: Vec<LayerRef>) -> SceneStore {
    let demo = cim_core::scene::demo::demo_scene();
    SceneStore::new(OpenedScene {
        doc: SceneDoc {
            format_version: FORMAT_VERSION,
            layers,
            ..demo
        },
        path: None,
        is_demo: false,
        preloaded: Vec::new(),
    })
}

/// The viewer's path: a Bevy app loads on background threads and the
/// store records each result; a bad layer fails alone, with a notice.
#[test]
fn the_app_loads_layers_in_the_background_and_a_bad_one_fails_alone() {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(AsyncLoading)
        .add_plugins(ScenePlugin::new(store(vec![
            layer("buildings", "builtin:demo/buildings"),
            layer("gone", "/no/such/dir/gone.geojson"),
        ])));
    let started = std::time::Instant::now();
    while !app.world().resource::<SceneStore>().all_loaded() {
        assert!(started.elapsed().as_secs() < 60, "layers never loaded");
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let s = app.world().resource::<SceneStore>();
    assert_eq!(s.layers[0].state, SlotState::Ready);
    assert_eq!(s.layers[0].kind(), LayerKind::Buildings);
    assert!(s.layers[0].index.is_some(), "indexed on the loader thread");
    assert!(matches!(&s.layers[1].state, SlotState::Failed(e) if e.contains("gone.geojson")));
    assert!(
        s.notices
            .iter()
            .any(|n| n.error && n.text.contains("gone.geojson"))
    );
}

/// A load that runs past the deadline fails its layer in the viewer
/// too (it would otherwise show "loading" for ever).
#[test]
fn overdue_background_loads_fail_with_a_notice() {
    let mut s = store(vec![layer("slow", "builtin:demo/buildings")]);
    s.load_timeout = std::time::Duration::ZERO;
    s.layers[0].loading_since = Some(std::time::Instant::now());
    std::thread::sleep(std::time::Duration::from_millis(2));
    s.fail_overdue_loads();
    assert!(matches!(&s.layers[0].state, SlotState::Failed(e) if e.contains("within")));
    assert!(
        s.notices
            .iter()
            .any(|n| n.error && n.text.contains("did not finish"))
    );
}

/// Edits are commands: each moves its slot's tick and the revision,
/// marks the document dirty; bad ones are refused with a reason.
#[test]
fn commands_edit_the_store_and_tick_the_slot() {
    let mut s = store(vec![layer("roads", "builtin:demo/roads")]);
    s.load_all_blocking();
    let id = s.layers[0].id;
    let (tick, rev) = (s.layers[0].tick, s.revision);
    s.apply(StoreCommand::SetOpacity {
        layer: id,
        opacity: 7.0,
    })
    .unwrap();
    assert_eq!(s.layers[0].reference.opacity, 1.0, "clamped");
    s.apply(StoreCommand::SetVisible {
        layer: id,
        visible: false,
    })
    .unwrap();
    assert!(!s.layers[0].reference.visible);
    assert_eq!(s.layers[0].tick, tick + 2);
    assert_eq!(s.revision, rev + 2);
    assert!(s.dirty);
    assert!(
        s.apply(StoreCommand::SetVisible {
            layer: 999,
            visible: true
        })
        .unwrap_err()
        .contains("999")
    );
    // A theme still without its field is kept, not applied.
    let mut style = s.layers[0].reference.style.clone();
    style.theme = Some(cim_core::style::thematic::ThemeSpec {
        mode: cim_core::style::thematic::ThemeMode::Categorized,
        ..Default::default()
    });
    let style_tick = s.layers[0].style_tick;
    s.apply(StoreCommand::SetStyle {
        layer: id,
        style: Box::new(style.clone()),
    })
    .unwrap();
    assert_eq!(s.layers[0].reference.style, style);
    assert_eq!(s.layers[0].style_tick, style_tick, "not restyled yet");
    // A field that does not exist: the layer keeps its single colour,
    // and the classification says why, naming the layer.
    style.theme.as_mut().unwrap().field = Some("no_such_field".into());
    s.apply(StoreCommand::SetStyle {
        layer: id,
        style: Box::new(style),
    })
    .unwrap();
    let mut styled = crate::scene::derived::StyleResults::default();
    let errors = styled.refresh(&s);
    assert!(
        errors.len() == 1 && errors[0].contains("roads") && errors[0].contains("no_such_field"),
        "{errors:?}"
    );
    assert!(styled.theme(id).is_none());
}

/// The Bevy path: commands written in one frame are applied at the
/// start of the next, in order.
#[test]
fn the_app_applies_written_commands_in_order() {
    let mut s = store(vec![layer("roads", "builtin:demo/roads")]);
    s.load_all_blocking();
    let id = s.layers[0].id;
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(ScenePlugin::new(s));
    app.world_mut().write_message(StoreCommand::SetOpacity {
        layer: id,
        opacity: 0.2,
    });
    app.world_mut().write_message(StoreCommand::SetOpacity {
        layer: id,
        opacity: 0.6,
    });
    app.update();
    let s = app.world().resource::<SceneStore>();
    assert_eq!(s.layers[0].reference.opacity, 0.6);
}

/// A tileset of one empty 20 × 20 × 2 m box tile, in `dir`.
fn one_tile_tileset(dir: &std::path::Path) -> PathBuf {
    let tileset = dir.join("tileset.json");
    std::fs::write(
        &tileset,
        r#"{"asset":{"version":"1.1"},"geometricError":1,"root":{"boundingVolume":{"box":[0,0,0,10,0,0,0,10,0,0,0,1]},"geometricError":0}}"#,
    )
    .unwrap();
    tileset
}

/// A placement is a command: the tileset moves from where it was read
/// to be (a second placement does not add to the first), is saved in
/// the document, and goes back with `None`; a bad one changes nothing.
#[test]
fn a_tileset_placement_is_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let tileset = one_tile_tileset(dir.path());
    let mut s = store(vec![layer("mesh", tileset.to_str().unwrap())]);
    s.load_all_blocking();
    let id = s.layers[0].id;
    let extent = |s: &SceneStore| {
        let t = s.layers[0].layer.as_ref().unwrap().tiles().unwrap();
        t.placement.as_ref().unwrap().extent().unwrap()
    };
    let home = extent(&s);
    let moved = |offset: [f64; 3], scale: f64| Placement {
        offset,
        heading_deg: 0.0,
        scale,
    };
    for _ in 0..2 {
        s.apply(StoreCommand::SetPlacement {
            layer: id,
            placement: Some(moved([100.0, 0.0, 2.0], 2.0)),
        })
        .unwrap();
        let e = extent(&s);
        assert!(
            (e.min.x - (home.center().x + 100.0 - 20.0)).abs() < 1e-9,
            "{e:?}"
        );
        assert!((e.max.z - (home.max.z * 2.0 + 2.0)).abs() < 1e-9, "{e:?}");
    }
    let saved = dir.path().join("saved.cim.toml");
    s.save_to(&saved).unwrap();
    let doc = SceneDoc::load(&saved).unwrap();
    assert_eq!(doc.layers[0].placement.unwrap().offset, [100.0, 0.0, 2.0]);
    let bad = s.apply(StoreCommand::SetPlacement {
        layer: id,
        placement: Some(moved([0.0; 3], 0.0)),
    });
    assert!(bad.unwrap_err().contains("mesh"));
    assert_eq!(
        s.layers[0].reference.placement.unwrap().scale,
        2.0,
        "unchanged"
    );
    s.apply(StoreCommand::SetPlacement {
        layer: id,
        placement: None,
    })
    .unwrap();
    assert_eq!(extent(&s), home, "back where it was read to be");
}

/// Clip and flatten regions are a command: checked, kept in the
/// document, given to the tileset (a new edits value, which redraws
/// its tiles); a bad region or a layer that is not a tileset changes
/// nothing.
#[test]
fn tileset_edits_are_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let tileset = one_tile_tileset(dir.path());
    let mut s = store(vec![
        layer("mesh", tileset.to_str().unwrap()),
        layer("plan", "builtin:demo/roads"),
    ]);
    s.load_all_blocking();
    let (mesh, plan) = (s.layers[0].id, s.layers[1].id);
    let edits_of = |s: &SceneStore| {
        s.layers[0]
            .layer
            .as_ref()
            .unwrap()
            .tiles()
            .unwrap()
            .edits
            .clone()
    };
    let before = edits_of(&s);
    let square = vec![[0.0, 0.0], [5.0, 0.0], [5.0, 5.0], [0.0, 5.0]];
    s.apply(StoreCommand::SetTileEdits {
        layer: mesh,
        clip: vec![ClipRegion {
            polygon: square.clone(),
        }],
        flatten: vec![FlattenRegion {
            polygon: square.clone(),
            height: 2.0,
        }],
    })
    .unwrap();
    let after = edits_of(&s);
    assert!(!Arc::ptr_eq(&before, &after), "a new value: tiles redraw");
    assert_eq!((after.clip.len(), after.flatten[0].1), (1, 2.0));
    assert_eq!(s.layers[0].reference.clip[0].polygon, square);
    let saved = dir.path().join("saved.cim.toml");
    s.save_to(&saved).unwrap();
    let doc = SceneDoc::load(&saved).unwrap();
    assert_eq!(
        doc.layers[0].flatten[0].height, 2.0,
        "saved in the document"
    );
    let bad = s
        .apply(StoreCommand::SetTileEdits {
            layer: mesh,
            clip: vec![ClipRegion {
                polygon: vec![[0.0, 0.0], [f64::NAN, 1.0], [1.0, 1.0]],
            }],
            flatten: Vec::new(),
        })
        .unwrap_err();
    assert!(bad.contains("mesh") && bad.contains("finite"), "{bad}");
    assert!(Arc::ptr_eq(&after, &edits_of(&s)), "unchanged");
    assert_eq!(s.layers[0].reference.flatten.len(), 1);
    let not_tiles = s
        .apply(StoreCommand::SetTileEdits {
            layer: plan,
            clip: Vec::new(),
            flatten: Vec::new(),
        })
        .unwrap_err();
    assert!(not_tiles.contains("not a loaded tileset"), "{not_tiles}");
}

/// Adding a layer, saving and dismissing a notice are commands too: the
/// added layer loads in the background, the save leaves a notice.
#[test]
fn layers_are_added_and_the_scene_saved_by_command() {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(AsyncLoading)
        .add_plugins(ScenePlugin::new(store(vec![layer(
            "roads",
            "builtin:demo/roads",
        )])));
    app.world_mut()
        .write_message(StoreCommand::AddLayer(Box::new(layer(
            "parks",
            "builtin:demo/parks",
        ))));
    let started = std::time::Instant::now();
    loop {
        app.update();
        let s = app.world().resource::<SceneStore>();
        if s.layers.len() == 2 && s.all_loaded() {
            break;
        }
        assert!(started.elapsed().as_secs() < 60, "never loaded");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let s = app.world().resource::<SceneStore>();
    assert_eq!(s.layers[1].state, SlotState::Ready);
    assert!(s.dirty);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.cim.toml");
    let notices = s.notices.len();
    app.world_mut()
        .write_message(StoreCommand::SaveTo(path.clone()));
    app.update();
    let s = app.world().resource::<SceneStore>();
    assert!(path.exists() && !s.dirty);
    assert_eq!(s.path.as_deref(), Some(path.as_path()));
    assert_eq!(s.notices.len(), notices + 1);
    assert!(s.notices.last().unwrap().text.contains("saved.cim.toml"));
    let saved = SceneDoc::load(&path).unwrap();
    assert_eq!(saved.layers.len(), 2);
    app.world_mut()
        .write_message(StoreCommand::DismissNotice(notices));
    app.update();
    assert_eq!(app.world().resource::<SceneStore>().notices.len(), notices);
}

/// `cim snapshot`'s path: the same results, in layer order.
#[test]
fn blocking_loads_record_results_in_layer_order() {
    let mut s = store(vec![
        layer("gone", "/no/such/dir/a.geojson"),
        layer("roads", "builtin:demo/roads"),
        layer("gone2", "/no/such/dir/b.geojson"),
    ]);
    s.load_all_blocking();
    assert_eq!(s.layers[1].state, SlotState::Ready);
    let errors: Vec<&str> = s
        .notices
        .iter()
        .filter(|n| n.error)
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("a.geojson") && errors[1].contains("b.geojson"));
}
