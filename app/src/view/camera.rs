//! The camera: a pose in scene CRS (f64 eye, heading, pitch) turned into a
//! render-space transform through the floating origin. Interaction:
//! orbit about the point under the cursor, pan by grabbing the ground, zoom
//! towards the cursor, WASD fly mode, north-up reset and smooth fly-to.

use crate::scene::origin::{CameraGeoPosition, OriginSet, RenderOrigin};
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use cim_core::model::geometry::Bbox;
use cim_core::query::pick::Ray;
use cim_core::scene::View;
use glam::{DQuat, DVec3};

/// Marks the 3D scene camera.
#[derive(Component)]
pub struct MainCamera;

/// A camera pose in scene CRS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    pub eye: DVec3,
    /// Heading, radians clockwise from grid north.
    pub yaw: f64,
    /// Radians below the horizon (positive looks down).
    pub pitch: f64,
}

impl Pose {
    pub fn forward(&self) -> DVec3 {
        let (sy, cy) = self.yaw.sin_cos();
        let (sp, cp) = self.pitch.sin_cos();
        DVec3::new(sy * cp, cy * cp, -sp)
    }

    pub fn right(&self) -> DVec3 {
        DVec3::new(self.yaw.cos(), -self.yaw.sin(), 0.0)
    }

    /// The pose looking from `eye` at `target`.
    pub fn look_at(eye: DVec3, target: DVec3) -> Pose {
        let d = target - eye;
        Pose {
            eye,
            yaw: d.x.atan2(d.y),
            pitch: (-d.z).atan2(d.x.hypot(d.y)),
        }
    }

    pub fn from_view(v: &View) -> Pose {
        Pose::look_at(DVec3::from_array(v.eye), DVec3::from_array(v.target))
    }

    /// A pose that frames a box from the south-west-ish current heading.
    pub fn framing(bbox: &Bbox, yaw: f64, fov_y: f64) -> Pose {
        let c = bbox.center();
        let s = bbox.size();
        let radius = (s.x.hypot(s.y) * 0.5).max(s.z).max(2.0);
        let dist = radius / (fov_y * 0.5).tan() * 0.8;
        let mut p = Pose {
            eye: c,
            yaw,
            pitch: 45f64.to_radians(),
        };
        p.eye = c - p.forward() * dist;
        p
    }
}

/// Smooth transition between two poses.
#[derive(Clone, Copy, Debug)]
pub struct Flight {
    pub from: Pose,
    pub to: Pose,
    pub t: f64,
    pub duration: f64,
}

/// The camera's state: where it is and how it is being moved.
#[derive(Resource, Clone, Debug)]
pub struct CameraRig {
    pub pose: Pose,
    pub fly_mode: bool,
    pub flight: Option<Flight>,
    pub fov_y: f64,
}

impl CameraRig {
    pub fn new(pose: Pose) -> Self {
        CameraRig {
            pose,
            fly_mode: false,
            flight: None,
            fov_y: 45f64.to_radians(),
        }
    }

    /// Starts a smooth flight to `to`.
    pub fn fly_to(&mut self, to: Pose) {
        let d = (to.eye - self.pose.eye).length();
        self.flight = Some(Flight {
            from: self.pose,
            to,
            t: 0.0,
            duration: (0.6 + d / 3000.0).min(2.5),
        });
    }

    /// Rotates the camera about a vertical axis and a horizontal axis
    /// through `pivot`, keeping the pivot where it is on screen.
    pub fn orbit(&mut self, pivot: DVec3, d_yaw: f64, d_pitch: f64) {
        let new_pitch = (self.pose.pitch + d_pitch).clamp(2f64.to_radians(), 89.5f64.to_radians());
        let d_pitch = new_pitch - self.pose.pitch;
        let yaw_q = DQuat::from_rotation_z(-d_yaw);
        let mut v = yaw_q * (self.pose.eye - pivot);
        let yaw = self.pose.yaw + d_yaw;
        let right = Pose {
            eye: DVec3::ZERO,
            yaw,
            pitch: 0.0,
        }
        .right();
        // Looking further down is a negative turn about the right axis.
        v = DQuat::from_axis_angle(right, -d_pitch) * v;
        self.pose = Pose {
            eye: pivot + v,
            yaw,
            pitch: new_pitch,
        };
    }

    /// Moves towards (`amount` > 0) or away from a point, keeping it under the cursor.
    pub fn zoom_towards(&mut self, point: DVec3, amount: f64) {
        let v = point - self.pose.eye;
        let f = if amount > 0.0 {
            1.0 - 0.8f64.powf(amount)
        } else {
            1.0 - 1.25f64.powf(-amount)
        };
        let step = v * f;
        if amount > 0.0 && (v - step).length() < 2.0 {
            return;
        }
        self.pose.eye += step;
    }
}

fn smoothstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn lerp_angle(a: f64, b: f64, t: f64) -> f64 {
    let d = (b - a + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI;
    a + d * t
}

/// Advances a flight; returns the pose at the new time.
pub fn advance_flight(f: &mut Flight, dt: f64) -> Pose {
    f.t = (f.t + dt / f.duration).min(1.0);
    let s = smoothstep(f.t);
    let mut eye = f.from.eye.lerp(f.to.eye, s);
    // Rise a little mid-flight for long hops, so the flight reads as a hop.
    let hop = (f.to.eye - f.from.eye).truncate().length() * 0.15;
    eye.z += hop * (std::f64::consts::PI * s).sin();
    Pose {
        eye,
        yaw: lerp_angle(f.from.yaw, f.to.yaw, s),
        pitch: f.from.pitch + (f.to.pitch - f.from.pitch) * s,
    }
}

/// A scene-space ray through a viewport position.
pub fn viewport_ray(
    camera: &Camera,
    transform: &GlobalTransform,
    origin: &RenderOrigin,
    pos: Vec2,
) -> Option<Ray> {
    let r = camera.viewport_to_world(transform, pos).ok()?;
    Some(Ray {
        origin: origin.from_render(r.origin),
        dir: cim_core::scene::georef::RenderFrame::dir_from_render(
            Vec3::from(r.direction).as_dvec3(),
        ),
    })
}

pub struct CameraPlugin {
    pub initial: Pose,
}

/// A change of the camera asked for by another plugin (a panel's zoom-to,
/// a saved view, later tours and the remote-control API), applied at the
/// start of the next frame. Input handling (`CameraControlsPlugin`) moves
/// the rig itself.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub enum CameraCommand {
    /// A smooth flight to a pose.
    FlyTo(Pose),
    /// Fly with the keys instead of orbiting around the cursor.
    SetFlyMode(bool),
}

impl CameraRig {
    /// Applies one command.
    pub fn apply(&mut self, command: CameraCommand) {
        match command {
            CameraCommand::FlyTo(to) => self.fly_to(to),
            CameraCommand::SetFlyMode(on) => self.fly_mode = on,
        }
    }

    /// A flight that frames `bb`, keeping the heading.
    pub fn framing(&self, bb: &cim_core::Bbox) -> CameraCommand {
        CameraCommand::FlyTo(Pose::framing(bb, self.pose.yaw, self.fov_y))
    }
}

pub(crate) fn apply_camera_commands(
    mut rig: ResMut<CameraRig>,
    mut commands: MessageReader<CameraCommand>,
) {
    for c in commands.read() {
        rig.apply(*c);
    }
}

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(CameraRig::new(self.initial))
            .add_message::<CameraCommand>()
            .add_systems(PreUpdate, apply_camera_commands)
            .add_systems(Startup, spawn_camera)
            .add_systems(Update, (frame_scene_once_loaded, fit_haze))
            .add_systems(PostUpdate, apply_rig.before(OriginSet));
    }
}

fn spawn_camera(mut commands: Commands, rig: Res<CameraRig>, origin: Res<RenderOrigin>) {
    commands.spawn((
        MainCamera,
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection {
            fov: rig.fov_y as f32,
            near: 0.5,
            far: 200_000.0,
            ..default()
        }),
        Transform::from_translation(origin.to_render(rig.pose.eye)),
        haze(HAZE_VISIBILITY),
    ));
}

/// Visibility of the distance haze near the ground, metres.
const HAZE_VISIBILITY: f64 = 25_000.0;

fn haze(visibility: f64) -> DistanceFog {
    DistanceFog {
        color: Color::srgb(0.72, 0.80, 0.90),
        directional_light_color: Color::srgba(1.0, 0.95, 0.85, 0.4),
        directional_light_exponent: 30.0,
        falloff: FogFalloff::from_visibility_colors(
            visibility as f32,
            Color::srgb(0.55, 0.62, 0.70),
            Color::srgb(0.80, 0.86, 0.93),
        ),
    }
}

/// Haze is a near-ground effect: from high up, looking down through less
/// air, the view stays clear. Visibility grows with height above ground.
fn fit_haze(
    rig: Res<CameraRig>,
    ground: Res<crate::render::layers::Ground>,
    mut last: Local<f64>,
    mut q: Query<&mut DistanceFog, With<MainCamera>>,
) {
    let above = (rig.pose.eye.z - ground.height(rig.pose.eye)).max(0.0);
    let visibility = HAZE_VISIBILITY.max(12.0 * above);
    // Rebuilding the falloff is cheap, but skip frames where nothing moved.
    if (visibility - *last).abs() < 0.02 * *last {
        return;
    }
    *last = visibility;
    for mut fog in &mut q {
        *fog = haze(visibility);
    }
}

/// A scene without named views is framed once all its layers have loaded.
fn frame_scene_once_loaded(
    store: Res<crate::scene::store::SceneStore>,
    mut rig: ResMut<CameraRig>,
    mut done: Local<bool>,
) {
    if *done || !store.doc.views.is_empty() {
        return;
    }
    if store.all_loaded() {
        *done = true;
        if let Some(bb) = focus_bbox(&store) {
            let fov = rig.fov_y;
            rig.pose = Pose::framing(&bb, 30f64.to_radians(), fov);
        }
    }
}

/// Writes the rig's pose to the camera transform (after input, before the
/// origin rebases and transforms propagate).
pub fn apply_rig(
    time: Res<Time>,
    mut rig: ResMut<CameraRig>,
    origin: Res<RenderOrigin>,
    mut geo: ResMut<CameraGeoPosition>,
    mut q: Query<&mut Transform, With<MainCamera>>,
) {
    if let Some(mut f) = rig.flight {
        rig.pose = advance_flight(&mut f, time.delta_secs_f64().min(0.1));
        rig.flight = (f.t < 1.0).then_some(f);
    }
    geo.0 = rig.pose.eye;
    // Use the origin the rebase is about to choose, so this frame is already exact.
    let frame = origin
        .0
        .rebase_for(rig.pose.eye)
        .map_or(origin.0, cim_core::scene::georef::RenderFrame::new);
    for mut t in &mut q {
        let fwd = cim_core::scene::georef::RenderFrame::dir_to_render(rig.pose.forward()).as_vec3();
        *t = Transform::from_translation(frame.to_render(rig.pose.eye)).looking_to(fwd, Vec3::Y);
    }
}

/// Interactive controls; the viewer adds this, snapshots do not.
pub struct CameraControlsPlugin;

impl Plugin for CameraControlsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PointerDrag>().add_systems(
            Update,
            camera_controls.after(crate::view::picking::update_cursor_hit),
        );
    }
}

/// What the pointer is doing; shared with picking so a drag is not a click.
#[derive(Resource, Default, Debug)]
pub struct PointerDrag {
    pub button: Option<MouseButton>,
    pub start: Vec2,
    pub anchor: Option<DVec3>,
    pub dragged: bool,
    pub last_click: f64,
}

/// Input the controls read; kept apart from the systems so it is testable.
#[allow(clippy::too_many_arguments)]
fn camera_controls(
    time: Res<Time>,
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    hit: Res<crate::view::picking::CursorHit>,
    ui: Res<crate::ui::UiCapture>,
    mut drag: ResMut<PointerDrag>,
    mut rig: ResMut<CameraRig>,
    ground: Res<crate::render::layers::Ground>,
    underground: Res<crate::render::underground::UndergroundView>,
    store: Res<crate::scene::store::SceneStore>,
) {
    let dt = time.delta_secs_f64();
    let cursor = hit.cursor;
    // Keyboard (ignored while typing in a text field).
    if !ui.keyboard {
        if keys.just_pressed(KeyCode::KeyF) {
            rig.fly_mode = !rig.fly_mode;
        }
        if keys.just_pressed(KeyCode::KeyN) {
            let pivot = hit
                .center_point
                .unwrap_or(rig.pose.eye + rig.pose.forward() * 500.0);
            let mut to = rig.clone();
            to.orbit(pivot, -to.pose.yaw, 0.0);
            let pose = to.pose;
            rig.fly_to(pose);
        }
        if (keys.just_pressed(KeyCode::Home) || keys.just_pressed(KeyCode::KeyH))
            && let Some(bb) = scene_bbox(&store)
        {
            let yaw = rig.pose.yaw;
            let fov = rig.fov_y;
            rig.fly_to(Pose::framing(&bb, yaw, fov));
        }
        let digits = [
            KeyCode::Digit1,
            KeyCode::Digit2,
            KeyCode::Digit3,
            KeyCode::Digit4,
            KeyCode::Digit5,
            KeyCode::Digit6,
            KeyCode::Digit7,
            KeyCode::Digit8,
            KeyCode::Digit9,
        ];
        for (i, k) in digits.iter().enumerate() {
            if keys.just_pressed(*k)
                && let Some(v) = store.doc.views.get(i)
            {
                rig.fly_to(Pose::from_view(v));
            }
        }
        // Fly mode: WASD horizontal, Q/E down/up; speed follows height.
        if rig.fly_mode {
            let above = (rig.pose.eye.z - ground.height(rig.pose.eye)).max(5.0);
            let speed = above.clamp(10.0, 5_000.0)
                * if keys.pressed(KeyCode::ShiftLeft) {
                    3.0
                } else {
                    1.0
                };
            let fwd = DVec3::new(rig.pose.yaw.sin(), rig.pose.yaw.cos(), 0.0);
            let right = rig.pose.right();
            let mut mv = DVec3::ZERO;
            for (k, d) in [
                (KeyCode::KeyW, fwd),
                (KeyCode::KeyS, -fwd),
                (KeyCode::KeyD, right),
                (KeyCode::KeyA, -right),
                (KeyCode::KeyE, DVec3::Z),
                (KeyCode::KeyQ, -DVec3::Z),
            ] {
                if keys.pressed(k) {
                    mv += d;
                }
            }
            if mv != DVec3::ZERO {
                rig.flight = None;
                rig.pose.eye += mv.normalize() * speed * dt;
            }
        }
    }
    if ui.pointer && drag.button.is_none() {
        return;
    }
    // Start of a drag.
    for b in [MouseButton::Left, MouseButton::Right, MouseButton::Middle] {
        if buttons.just_pressed(b) && drag.button.is_none() {
            drag.button = Some(b);
            drag.start = cursor.unwrap_or_default();
            drag.anchor = hit.point;
            drag.dragged = false;
            rig.flight = None;
        }
    }
    if let (Some(b), Some(c)) = (drag.button, cursor) {
        if (c - drag.start).length() > 3.0 {
            drag.dragged = true;
        }
        let d = motion.delta;
        if drag.dragged && d != Vec2::ZERO {
            match b {
                MouseButton::Left if !rig.fly_mode => {
                    // Pan: keep the grabbed point under the cursor.
                    if let (Some(g), Some(ray)) = (drag.anchor, hit.ray)
                        && ray.dir.z.abs() > 1e-6
                    {
                        let t = (g.z - ray.origin.z) / ray.dir.z;
                        if t > 0.0 {
                            let now = ray.at(t);
                            let shift = DVec3::new(g.x - now.x, g.y - now.y, 0.0);
                            // Near the horizon the plane hit runs off; cap the step.
                            let cap = (rig.pose.eye - g).length() * 0.5;
                            rig.pose.eye += shift.clamp_length_max(cap);
                        }
                    }
                }
                _ if rig.fly_mode => {
                    rig.pose.yaw += d.x as f64 * 0.003;
                    rig.pose.pitch = (rig.pose.pitch + d.y as f64 * 0.003).clamp(-1.5, 1.5);
                }
                _ => {
                    let pivot = drag
                        .anchor
                        .unwrap_or(rig.pose.eye + rig.pose.forward() * 300.0);
                    rig.orbit(pivot, d.x as f64 * 0.005, d.y as f64 * 0.004);
                }
            }
        }
    }
    if let Some(b) = drag.button
        && buttons.just_released(b)
    {
        if b == MouseButton::Left && !drag.dragged {
            // Double click: fly towards the point.
            let now = time.elapsed_secs_f64();
            if now - drag.last_click < 0.35
                && let Some(p) = hit.point
            {
                let mut to = rig.pose;
                let dist = (p - to.eye).length() / 3.0;
                to.eye = p - to.forward() * dist.max(20.0);
                rig.fly_to(to);
            }
            drag.last_click = now;
        }
        drag.button = None;
    }
    // Wheel: zoom towards the cursor.
    let notches = match scroll.unit {
        MouseScrollUnit::Line => scroll.delta.y as f64,
        MouseScrollUnit::Pixel => scroll.delta.y as f64 / 40.0,
    };
    if notches != 0.0 && !ui.pointer {
        rig.flight = None;
        let target = hit
            .point
            .unwrap_or(rig.pose.eye + rig.pose.forward() * 500.0);
        rig.zoom_towards(target, notches);
    }
    // Never below ground, unless the ground is see-through.
    let floor = ground.height(rig.pose.eye) + 1.5;
    if rig.pose.eye.z < floor && !rig.fly_mode && !underground.allows_camera_below_ground() {
        rig.pose.eye.z = floor;
    }
}

/// The union of all loaded layers' extents.
pub fn scene_bbox(store: &crate::scene::store::SceneStore) -> Option<Bbox> {
    store
        .layers
        .iter()
        .filter_map(|s| s.layer.as_ref()?.bbox())
        .reduce(|a, b| a.union(&b))
}

/// Where the data is: the 2nd–98th percentile box of feature centres
/// (plus any raster's extent), so a few outlying features (a road leaving
/// town) do not push the first view kilometres away.
pub fn focus_bbox(store: &crate::scene::store::SceneStore) -> Option<Bbox> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut zs = (f64::INFINITY, f64::NEG_INFINITY);
    let mut rasters: Option<Bbox> = None;
    for layer in store.layers.iter().filter_map(|s| s.layer.as_ref()) {
        match layer.vector() {
            Some(v) => {
                // At most ~50 000 samples per layer.
                let step = (v.features.len() / 50_000).max(1);
                for f in v.features.iter().step_by(step) {
                    if let Some(b) = f.geometry.bbox() {
                        let c = b.center();
                        xs.push(c.x);
                        ys.push(c.y);
                        zs = (zs.0.min(b.min.z), zs.1.max(b.max.z));
                    }
                }
            }
            None => {
                if let Some(b) = layer.bbox() {
                    rasters = Some(rasters.map_or(b, |r| r.union(&b)));
                }
            }
        }
    }
    if xs.is_empty() {
        return rasters.or_else(|| scene_bbox(store));
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    let lo = DVec3::new(pct(&mut xs, 0.02), pct(&mut ys, 0.02), zs.0);
    let hi = DVec3::new(pct(&mut xs, 0.98), pct(&mut ys, 0.98), zs.1);
    let vb = Bbox { min: lo, max: hi };
    Some(rasters.map_or(vb, |r| r.union(&vb)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orbit_keeps_distance_to_the_pivot_and_looks_the_same_way_at_it() {
        let pivot = DVec3::new(38_448_500.0, 2_467_100.0, 20.0);
        let mut rig = CameraRig::new(Pose::look_at(
            DVec3::new(38_448_000.0, 2_466_500.0, 600.0),
            pivot,
        ));
        let d0 = (rig.pose.eye - pivot).length();
        rig.orbit(pivot, 0.7, 0.2);
        assert!(((rig.pose.eye - pivot).length() - d0).abs() < 1e-6);
        // The pivot is still straight ahead (it was at the centre).
        let dir = (pivot - rig.pose.eye).normalize();
        assert!(
            dir.dot(rig.pose.forward()) > 1.0 - 1e-9,
            "{dir} vs {}",
            rig.pose.forward()
        );
    }

    #[test]
    fn look_at_and_forward_agree() {
        let p = Pose::look_at(DVec3::ZERO, DVec3::new(100.0, 100.0, -100.0));
        let f = p.forward();
        assert!((f - DVec3::new(1.0, 1.0, -1.0).normalize()).length() < 1e-12);
        assert!((p.yaw.to_degrees() - 45.0).abs() < 1e-9);
        assert!(p.right().dot(f).abs() < 1e-12);
    }

    #[test]
    fn zoom_keeps_the_target_on_the_same_ray() {
        let mut rig = CameraRig::new(Pose::look_at(
            DVec3::new(0.0, 0.0, 500.0),
            DVec3::new(0.0, 400.0, 0.0),
        ));
        let target = DVec3::new(50.0, 300.0, 0.0);
        let before = (target - rig.pose.eye).normalize();
        rig.zoom_towards(target, 2.0);
        let after = (target - rig.pose.eye).normalize();
        assert!(before.dot(after) > 1.0 - 1e-12);
        assert!((target - rig.pose.eye).length() < 0.7 * 581.0);
    }

    #[test]
    fn flights_end_exactly_at_the_target() {
        let a = Pose {
            eye: DVec3::ZERO,
            yaw: 3.0,
            pitch: 0.5,
        };
        let b = Pose {
            eye: DVec3::new(1000.0, 0.0, 100.0),
            yaw: -3.0,
            pitch: 0.8,
        };
        let mut f = Flight {
            from: a,
            to: b,
            t: 0.0,
            duration: 1.0,
        };
        let mut p = a;
        for _ in 0..20 {
            p = advance_flight(&mut f, 0.1);
        }
        assert!((p.eye - b.eye).length() < 1e-9);
        assert!(
            (p.yaw.sin() - b.yaw.sin()).abs() < 1e-9 && (p.yaw.cos() - b.yaw.cos()).abs() < 1e-9
        );
    }
}
