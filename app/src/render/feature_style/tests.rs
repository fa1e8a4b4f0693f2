//! The feature-style plugin in a Bevy app without a GPU: restyles and
//! selections reach the layer's GPU buffer, and a colour-only restyle
//! does not remesh.

use super::*;
use crate::scene::store::SlotState;
use crate::view::picking::{Picked, Selection};
use cim_core::model::layer::LayerKind;

/// An app with the demo buildings loaded, "spawned" (styled as
/// `spawn_ready_layers` does), and the plugin's systems.
fn styled_demo() -> (App, u64) {
    let mut store = SceneStore::new(crate::scene::load::open_inputs(&[]).unwrap());
    store.load_all_blocking();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, bevy::asset::AssetPlugin::default()))
        .init_asset::<ShaderBuffer>()
        .init_resource::<FeatureStyles>()
        .init_resource::<Selection>()
        .add_message::<crate::scene::store::StoreCommand>()
        .add_systems(PreUpdate, crate::scene::derived::derive_styles)
        .add_plugins(crate::scene::clock::ClockPlugin {
            clock: cim_core::time::SceneClock::for_local_day(2024, 6, 21, 12.0, 8.0),
        })
        .add_systems(
            PostUpdate,
            (
                follow_styles,
                appearances::follow_clock,
                follow_selection,
                upload_styles,
            )
                .chain(),
        );
    let slot = store
        .layers
        .iter_mut()
        .find(|s| s.kind() == LayerKind::Buildings && s.state == SlotState::Ready)
        .expect("the demo has buildings");
    slot.spawned = true;
    let id = slot.id;
    let mut styled = crate::scene::derived::StyleResults::default();
    assert!(styled.refresh(&store).is_empty());
    let slot = store.slot(id).unwrap();
    let colors = style_colors(slot, styled.for_slot(slot));
    let tick = slot.style_tick;
    let world = app.world_mut();
    let buffer = world.resource_scope(|world, mut styles: Mut<FeatureStyles>| {
        let mut buffers = world.resource_mut::<Assets<ShaderBuffer>>();
        styles.insert_layer(id, colors.into_iter(), tick, &mut buffers)
    });
    world.insert_resource(store);
    world.insert_resource(styled);
    world.insert_resource(TestBuffer(buffer));
    (app, id)
}

#[derive(Resource)]
struct TestBuffer(Handle<ShaderBuffer>);

/// Feature `i`'s record as the GPU buffer holds it.
fn gpu_record(app: &App, i: usize) -> ([u8; 4], u32) {
    let h = &app.world().resource::<TestBuffer>().0;
    let data = app
        .world()
        .resource::<Assets<ShaderBuffer>>()
        .get(h)
        .unwrap()
        .data
        .clone()
        .unwrap();
    let r = &data[i * STRIDE..(i + 1) * STRIDE];
    (
        [r[0], r[1], r[2], r[3]],
        u32::from_le_bytes([r[4], r[5], r[6], r[7]]),
    )
}

#[test]
fn a_colour_restyle_reaches_the_buffer_without_remeshing() {
    let (mut app, id) = styled_demo();
    app.update();
    let before = gpu_record(&app, 0).0;
    {
        let mut store = app.world_mut().resource_mut::<SceneStore>();
        let slot = store.slot_mut(id).unwrap();
        // From categories (the demo's `use`) to a single colour.
        slot.reference.style.category_field = None;
        slot.reference.style.color = Some("#12ab34".into());
        slot.restyle().unwrap();
        assert!(slot.spawned, "a colour change keeps the meshes");
    }
    app.update();
    let after = gpu_record(&app, 0).0;
    assert_ne!(before, after);
    assert_eq!(after, [0x12, 0xab, 0x34, 255]);
    // A change of shape (the height) needs new meshes.
    let mut store = app.world_mut().resource_mut::<SceneStore>();
    let slot = store.slot_mut(id).unwrap();
    slot.reference.style.floor_height = Some(7.5);
    slot.restyle().unwrap();
    assert!(!slot.spawned, "a height change remeshes");
}

#[test]
fn the_selection_is_highlighted_in_the_buffer_and_cleared_when_it_moves() {
    let (mut app, id) = styled_demo();
    let fid = |app: &App, i: usize| {
        let store = app.world().resource::<SceneStore>();
        store
            .slot(id)
            .unwrap()
            .layer
            .as_ref()
            .unwrap()
            .vector()
            .unwrap()
            .features[i]
            .id
    };
    let (a, b) = (fid(&app, 3), fid(&app, 7));
    app.world_mut().resource_mut::<Selection>().0 = Some(Picked::Feature(id, a));
    app.update();
    assert_eq!(gpu_record(&app, 3).1, HIGHLIGHT);
    assert_eq!(gpu_record(&app, 7).1, 0);
    app.world_mut().resource_mut::<Selection>().0 = Some(Picked::Feature(id, b));
    app.update();
    assert_eq!(gpu_record(&app, 3).1, 0);
    assert_eq!(gpu_record(&app, 7).1, HIGHLIGHT);
    app.world_mut().resource_mut::<Selection>().0 = None;
    app.update();
    assert_eq!(gpu_record(&app, 7).1, 0);
}

#[test]
fn recolouring_sets_only_the_features_named_and_hides_by_flag() {
    let mut styles = FeatureStyles::default();
    styles.insert_cpu_only(1, [[9, 9, 9, 255]; 4].into_iter());
    assert_eq!(
        styles.set_feature_colors(1, &[(1, [1, 2, 3, 4]), (3, [5, 6, 7, 8])]),
        2
    );
    assert_eq!(styles.color(1, 0), Some([9, 9, 9, 255]));
    assert_eq!(styles.color(1, 1), Some([1, 2, 3, 4]));
    assert_eq!(styles.color(1, 3), Some([5, 6, 7, 8]));
    styles.set_flag(1, &[2], HIDDEN, true);
    styles.set_flag(1, &[2], HIGHLIGHT, true);
    styles.set_flag(1, &[2], HIDDEN, false);
    assert_eq!(styles.flags(1, 2), Some(HIGHLIGHT));
    // Unknown layers and features are ignored.
    assert_eq!(styles.set_feature_colors(2, &[(0, [0; 4])]), 0);
    assert_eq!(styles.flags(1, 4), None);
}

#[test]
fn features_appear_at_the_instant_in_their_time_field() {
    use crate::scene::clock::{Clock, ClockCommand};
    let (mut app, id) = styled_demo();
    app.update();
    let years: Vec<i64> = {
        let store = app.world().resource::<SceneStore>();
        let v = store
            .slot(id)
            .unwrap()
            .layer
            .as_ref()
            .unwrap()
            .vector()
            .unwrap();
        let col = v.fields.iter().position(|f| f.name == "year").unwrap();
        v.features
            .iter()
            .map(|f| f.attributes[col].as_f64().unwrap() as i64)
            .collect()
    };
    let (first, last) = (*years.iter().min().unwrap(), *years.iter().max().unwrap());
    assert!(first < last, "the demo's buildings are of several years");
    let mid = (first + last) / 2;
    {
        let mut store = app.world_mut().resource_mut::<SceneStore>();
        let slot = store.slot_mut(id).unwrap();
        slot.reference.style.time_field = Some("year".into());
        slot.restyle().unwrap();
        assert!(slot.spawned, "appearing is a flag, not a remesh");
    }
    let at = |year: i64| cim_core::time::unix_from_civil(year as i32, 1, 1) - 8.0 * 3600.0;
    let set = |app: &mut App, year: i64| {
        app.world_mut()
            .write_message(ClockCommand::SetCurrent(at(year)));
        app.update();
        app.update();
    };
    // The first frame with the field widens the clock to the layer's years.
    set(&mut app, mid);
    let clock = app.world().resource::<Clock>().0.clone();
    assert!(
        clock.start <= at(first) && clock.end >= at(last),
        "{clock:?}"
    );
    set(&mut app, mid);
    let hidden_at = |app: &App| -> Vec<bool> {
        (0..years.len())
            .map(|i| gpu_record(app, i).1 & HIDDEN_AT_TIME != 0)
            .collect()
    };
    let want: Vec<bool> = years.iter().map(|&y| y > mid).collect();
    assert_eq!(hidden_at(&app), want, "built after {mid}: not there yet");
    set(&mut app, last);
    assert!(hidden_at(&app).iter().all(|h| !h), "all built by {last}");
    // The clock stops at the start of its range: the first year's.
    set(&mut app, first - 1);
    let want: Vec<bool> = years.iter().map(|&y| y > first).collect();
    assert_eq!(hidden_at(&app), want, "only the first year's built");
    // Without the field, every feature is drawn again.
    {
        let mut store = app.world_mut().resource_mut::<SceneStore>();
        let slot = store.slot_mut(id).unwrap();
        slot.reference.style.time_field = None;
        slot.restyle().unwrap();
    }
    app.update();
    assert!(hidden_at(&app).iter().all(|h| !h));
    assert!(!app.world().resource::<FeatureStyles>().has_hidden(id));
    // A field that is not there is the restyle's error; nothing is hidden.
    let mut store = app.world_mut().resource_mut::<SceneStore>();
    let slot = store.slot_mut(id).unwrap();
    slot.reference.style.time_field = Some("built".into());
    let e = slot.restyle().unwrap_err();
    assert!(e.contains("time_field") && e.contains("`built`"), "{e}");
    app.update();
    assert!(hidden_at(&app).iter().all(|h| !h));
}
