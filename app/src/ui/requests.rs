//! What the panels ask of the other plugins in a frame. Panels read the
//! resources they show and never write another plugin's resources: they
//! collect [`Requests`], which the UI system sends at the end of the frame
//! as each owner's commands (the store's, the camera's, the selection's,
//! the tools', the underground view's), applied at the start of the next.

use crate::render::underground::SetGroundOpacity;
use crate::scene::store::{SceneStore, StoreCommand};
use crate::tools::ToolCommand;
use crate::view::camera::{CameraCommand, CameraRig};
use crate::view::picking::{Picked, Select};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use cim_core::model::layer::FeatureId;

/// The frame's requests, by owner.
pub struct Requests {
    pub store: Vec<StoreCommand>,
    pub camera: Vec<CameraCommand>,
    pub select: Option<Select>,
    pub tools: Vec<ToolCommand>,
    pub ground_opacity: Option<f32>,
    /// The camera as it is (for framing).
    rig: CameraRig,
}

impl Requests {
    pub fn new(rig: &CameraRig) -> Requests {
        Requests {
            store: Vec::new(),
            camera: Vec::new(),
            select: None,
            tools: Vec::new(),
            ground_opacity: None,
            rig: rig.clone(),
        }
    }

    /// Fly to frame a box.
    pub fn frame(&mut self, bb: &cim_core::Bbox) {
        self.camera.push(self.rig.framing(bb));
    }

    /// Select a feature (or nothing).
    pub fn select(&mut self, feature: Option<(u64, FeatureId)>) {
        self.select = Some(Select(feature.map(|(l, f)| Picked::Feature(l, f))));
    }

    /// Select a feature and fly to it.
    pub fn focus(&mut self, store: &SceneStore, slot: u64, id: FeatureId) {
        self.select(Some((slot, id)));
        if let Some(to) = crate::tools::focus_feature(store, &self.rig, slot, id) {
            self.camera.push(CameraCommand::FlyTo(to));
        }
    }
}

/// Where the requests go.
#[derive(SystemParam)]
pub struct RequestWriters<'w> {
    store: MessageWriter<'w, StoreCommand>,
    camera: MessageWriter<'w, CameraCommand>,
    select: MessageWriter<'w, Select>,
    tools: MessageWriter<'w, ToolCommand>,
    ground: MessageWriter<'w, SetGroundOpacity>,
}

impl RequestWriters<'_> {
    /// Sends the requests, in the order they were made per owner.
    pub fn send(&mut self, r: Requests) {
        self.store.write_batch(r.store);
        self.camera.write_batch(r.camera);
        self.tools.write_batch(r.tools);
        if let Some(s) = r.select {
            self.select.write(s);
        }
        if let Some(a) = r.ground_opacity {
            self.ground.write(SetGroundOpacity(a));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::underground::UndergroundView;
    use crate::tools::{MeasureMode, Tools};
    use crate::view::camera::Pose;
    use crate::view::picking::Selection;
    use glam::DVec3;

    /// The requests a panel would make in one frame.
    #[derive(Resource)]
    struct Made(Option<Requests>);

    fn send(made: ResMut<Made>, mut out: RequestWriters) {
        if let Some(r) = made.into_inner().0.take() {
            out.send(r);
        }
    }

    /// Panels' requests reach each owner as its commands, applied the next
    /// frame: the camera flies, the selection and the ground opacity
    /// change, the search runs. Nothing is written before.
    #[test]
    fn requests_become_the_owners_commands() {
        let mut store = SceneStore::new(crate::scene::load::open_inputs(&[]).unwrap());
        store.load_all_blocking();
        let roads = store
            .layers
            .iter()
            .find(|s| s.reference.name.contains("roads") || s.reference.source.contains("roads"))
            .expect("the demo has roads");
        let v = roads.layer.as_ref().unwrap().vector().unwrap();
        let (slot, fid) = (roads.id, v.features[0].id);
        let rig = CameraRig::new(Pose::look_at(DVec3::new(0.0, -10.0, 5_000.0), DVec3::ZERO));
        let mut r = Requests::new(&rig);
        r.focus(&store, slot, fid);
        r.ground_opacity = Some(0.3);
        r.tools.push(ToolCommand::SetMode(MeasureMode::Area));
        r.tools.push(ToolCommand::Search("路".into()));

        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(store)
            .insert_resource(rig)
            .init_resource::<Selection>()
            .init_resource::<Tools>()
            .insert_resource(UndergroundView::default())
            .add_message::<StoreCommand>()
            .add_message::<CameraCommand>()
            .add_message::<Select>()
            .add_message::<ToolCommand>()
            .add_message::<SetGroundOpacity>()
            .add_systems(
                PreUpdate,
                (
                    crate::view::camera::apply_camera_commands,
                    crate::view::picking::apply_select,
                    crate::render::underground::apply_ground_opacity,
                    crate::tools::apply_tool_commands,
                ),
            )
            .add_systems(Update, send)
            .insert_resource(Made(Some(r)));
        app.update();
        let w = app.world();
        assert_eq!(
            w.resource::<Selection>().0,
            None,
            "not before the next frame"
        );
        assert!(w.resource::<CameraRig>().flight.is_none());
        app.update();
        let w = app.world();
        assert_eq!(w.resource::<Selection>().feature(), Some((slot, fid)));
        let flight = w.resource::<CameraRig>().flight.as_ref().expect("flying");
        assert!(flight.to.eye.distance(flight.from.eye) > 100.0);
        assert_eq!(w.resource::<UndergroundView>().ground_opacity, 0.3);
        let tools = w.resource::<Tools>();
        assert_eq!(tools.mode, MeasureMode::Area);
        assert!(!tools.search_hits.is_empty(), "the demo has roads named 路");
    }
}
