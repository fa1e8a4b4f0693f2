//! Planner tools in the scene: measurement (distance, polyline length,
//! area, height above terrain), a coordinate readout in any CRS, full-text
//! search and attribute queries. Results are shown in the Tools panel and
//! can be copied. The arithmetic lives in `cim_core::query::measure`, `search`
//! and `query`; this module only collects clicks and draws. The Tools panel
//! reads [`Tools`] and changes it through [`ToolCommand`]s.

use crate::render::layers::Ground;
use crate::scene::origin::RenderOrigin;
use crate::scene::store::SceneStore;
use crate::view::camera::{CameraRig, PointerDrag, Pose};
use crate::view::picking::CursorHit;
use bevy::prelude::*;
use cim_core::crs::CrsDef;
use cim_core::model::layer::FeatureId;
use cim_core::query::measure::{self, AngleStyle, GeoMeasurer, Readout};
use cim_core::query::search::SearchIndex;
use glam::DVec3;

/// Which measurement the clicks feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MeasureMode {
    #[default]
    Off,
    Distance,
    Polyline,
    Area,
    Height,
}

/// Tool state, shown by the Tools panel.
#[derive(Resource)]
pub struct Tools {
    pub mode: MeasureMode,
    pub points: Vec<DVec3>,
    pub readout_crs: String,
    readout: Option<(String, Result<Readout, String>)>,
    /// The cursor's position in the readout CRS (or why it cannot be).
    pub readout_line: Option<String>,
    pub search_text: String,
    pub search_hits: Vec<(u64, FeatureId, String)>,
    search_index: Option<(u64, SearchIndex, Vec<u64>)>,
    pub query_text: String,
    pub query_result: Result<Vec<(u64, FeatureId, String)>, String>,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            mode: MeasureMode::Off,
            points: Vec::new(),
            readout_crs: "EPSG:4490".into(),
            readout: None,
            readout_line: None,
            search_text: String::new(),
            search_hits: Vec::new(),
            search_index: None,
            query_text: String::new(),
            query_result: Ok(Vec::new()),
        }
    }
}

impl Tools {
    /// Text of the current measurement, one result per line.
    pub fn measurement(&self, store: &SceneStore, ground: &Ground) -> Vec<String> {
        let p = &self.points;
        let geo = GeoMeasurer::new(&store.crs).ok();
        match self.mode {
            MeasureMode::Off => Vec::new(),
            MeasureMode::Distance if p.len() >= 2 => {
                let d = measure::distances(p[0], p[1]);
                let mut v = vec![
                    format!("horizontal 水平 {:.3} m", d.horizontal),
                    format!("slant 斜距 {:.3} m", d.slant),
                    format!("vertical 高差 {:.3} m", d.vertical),
                ];
                if let Some(g) = &geo
                    && let Ok(gd) = g.distance(p[0], p[1])
                {
                    v.push(format!("geodesic 椭球面 {gd:.3} m"));
                }
                v
            }
            MeasureMode::Polyline if p.len() >= 2 => {
                vec![
                    format!("length 2D 平面长度 {:.3} m", measure::polyline_length_2d(p)),
                    format!("length 3D 空间长度 {:.3} m", measure::polyline_length_3d(p)),
                ]
            }
            MeasureMode::Area if p.len() >= 3 => {
                let mut v = vec![
                    format!(
                        "area (projected) 投影面积 {:.2} m²",
                        measure::planar_area(p)
                    ),
                    format!("perimeter 周长 {:.3} m", measure::planar_perimeter(p)),
                ];
                if let Some(g) = &geo
                    && let Ok(a) = g.ring_area(p)
                {
                    v.push(format!("area (geodesic) 椭球面积 {:.2} m²", a.abs()));
                }
                v
            }
            MeasureMode::Height if !p.is_empty() => {
                let q = p[p.len() - 1];
                match ground
                    .grid()
                    .and_then(|g| measure::height_above_terrain(q, g))
                {
                    Some(h) => vec![
                        format!("height above terrain 离地高度 {h:.3} m"),
                        format!("elevation 高程 {:.3} m", q.z),
                    ],
                    None => vec![format!("elevation 高程 {:.3} m (no terrain here)", q.z)],
                }
            }
            _ => vec!["click points in the view 在视图中点击取点".into()],
        }
    }

    /// Applies one command (searches and queries run at once).
    pub fn apply(&mut self, store: &SceneStore, command: ToolCommand) {
        match command {
            ToolCommand::SetMode(mode) => {
                self.mode = mode;
                self.points.clear();
            }
            ToolCommand::Search(text) => {
                self.search_text = text;
                if self.search_text.trim().is_empty() {
                    self.search_hits.clear();
                } else {
                    self.run_search(store);
                }
            }
            ToolCommand::Query(text) => {
                self.query_text = text;
                self.run_query(store);
            }
            ToolCommand::SetReadoutCrs(crs) => self.readout_crs = crs,
        }
    }

    /// The cursor position in the readout CRS.
    pub fn readout_text(&mut self, store: &SceneStore, p: DVec3) -> String {
        let stale = self
            .readout
            .as_ref()
            .is_none_or(|(c, _)| *c != self.readout_crs);
        if stale {
            let r = CrsDef::parse(&self.readout_crs)
                .map_err(|e| e.to_string())
                .and_then(|shown| {
                    Readout::new(&store.crs, &shown, AngleStyle::Decimal).map_err(|e| e.to_string())
                });
            self.readout = Some((self.readout_crs.clone(), r));
        }
        match &self.readout {
            Some((_, Ok(r))) => r.format(p).unwrap_or_else(|e| e.to_string()),
            Some((_, Err(e))) => e.clone(),
            None => String::new(),
        }
    }

    /// Runs the search box over all loaded vector layers.
    pub fn run_search(&mut self, store: &SceneStore) {
        let fresh = self
            .search_index
            .as_ref()
            .is_some_and(|(rev, _, _)| *rev == store.revision);
        if !fresh {
            let mut idx = SearchIndex::new();
            let mut ids = Vec::new();
            for slot in &store.layers {
                if let Some(v) = slot.layer.as_ref().and_then(|l| l.vector()) {
                    idx.add(ids.len(), v);
                    ids.push(slot.id);
                }
            }
            self.search_index = Some((store.revision, idx, ids));
        }
        let Some((_, idx, ids)) = &self.search_index else {
            return;
        };
        self.search_hits = idx
            .search(&self.search_text, 50)
            .into_iter()
            .filter_map(|h| {
                let slot = store.slot(*ids.get(h.layer)?)?;
                let v = slot.layer.as_ref()?.vector()?;
                let f = v.features.get(h.index)?;
                Some((
                    slot.id,
                    h.id,
                    f.attributes
                        .get(h.field)
                        .map(|a| a.to_string())
                        .unwrap_or_default(),
                ))
            })
            .collect();
    }

    /// Runs an attribute query over every loaded vector layer with the fields it names.
    pub fn run_query(&mut self, store: &SceneStore) {
        let q = match cim_core::query::Query::parse(&self.query_text) {
            Ok(q) => q,
            Err(e) => {
                self.query_result = Err(e.to_string());
                return;
            }
        };
        let mut hits = Vec::new();
        let mut last_err = None;
        for slot in &store.layers {
            let Some(v) = slot.layer.as_ref().and_then(|l| l.vector()) else {
                continue;
            };
            match q.compile(&v.fields) {
                Ok(filter) => {
                    let label = v.field_index("name");
                    for i in filter.select(v) {
                        let f = &v.features[i];
                        let text = label
                            .and_then(|li| f.attributes.get(li))
                            .map(|a| a.to_string())
                            .unwrap_or_else(|| format!("#{}", f.id.0));
                        hits.push((slot.id, f.id, text));
                    }
                }
                Err(e) => last_err = Some(e.to_string()),
            }
        }
        self.query_result = match (hits.is_empty(), last_err) {
            (true, Some(e)) => Err(e),
            _ => Ok(hits),
        };
    }
}

/// A change of the tools: what the Tools panel writes, applied at the start
/// of the next frame.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum ToolCommand {
    /// The measurement the clicks feed (its points start over).
    SetMode(MeasureMode),
    /// Full-text search over the loaded layers.
    Search(String),
    /// An attribute query over the loaded layers.
    Query(String),
    /// The CRS of the coordinate readout.
    SetReadoutCrs(String),
}

/// The flight that frames a feature (at least 150 m off), or `None` when it
/// is not loaded or has no extent.
pub fn focus_feature(
    store: &SceneStore,
    rig: &CameraRig,
    slot: u64,
    id: FeatureId,
) -> Option<Pose> {
    let f = store
        .slot(slot)
        .and_then(|s| s.layer.as_ref()?.vector()?.feature(id).cloned())?;
    let mut bb = f.geometry.bbox()?;
    bb.max.z = bb.max.z.max(bb.min.z + 60.0);
    let (yaw, fov) = (rig.pose.yaw, rig.fov_y);
    let mut to = Pose::framing(&bb, yaw, fov);
    let d = (to.eye - bb.center()).length().max(150.0);
    to.eye = bb.center() - to.forward() * d;
    Some(to)
}

pub struct ToolsPlugin;

impl Plugin for ToolsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Tools>()
            .add_message::<ToolCommand>()
            .add_systems(PreUpdate, apply_tool_commands)
            .add_systems(Update, (collect_points, update_readout, draw_measurement));
    }
}

pub(crate) fn apply_tool_commands(
    store: Res<SceneStore>,
    mut tools: ResMut<Tools>,
    mut commands: MessageReader<ToolCommand>,
) {
    for c in commands.read() {
        tools.apply(&store, c.clone());
    }
}

/// The readout of the cursor's position, when the cursor or the CRS moved.
fn update_readout(hit: Res<CursorHit>, store: Res<SceneStore>, mut tools: ResMut<Tools>) {
    let crs_moved = tools
        .readout
        .as_ref()
        .is_none_or(|(c, _)| *c != tools.readout_crs);
    if !hit.is_changed() && !crs_moved {
        return;
    }
    let line = hit.point.map(|p| tools.readout_text(&store, p));
    if line != tools.readout_line {
        tools.readout_line = line;
    }
}

fn collect_points(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    drag: Res<PointerDrag>,
    ui: Res<crate::ui::UiCapture>,
    hit: Res<CursorHit>,
    mut tools: ResMut<Tools>,
) {
    if tools.mode == MeasureMode::Off {
        return;
    }
    if keys.just_pressed(KeyCode::Escape) {
        tools.points.clear();
    }
    if buttons.just_released(MouseButton::Left)
        && !drag.dragged
        && !ui.pointer
        && let Some(p) = hit.point
    {
        let max = match tools.mode {
            MeasureMode::Distance => 2,
            MeasureMode::Height => 1,
            _ => usize::MAX,
        };
        if tools.points.len() >= max {
            tools.points.clear();
        }
        tools.points.push(p);
    }
}

fn draw_measurement(tools: Res<Tools>, origin: Res<RenderOrigin>, mut gizmos: Gizmos) {
    if tools.mode == MeasureMode::Off || tools.points.is_empty() {
        return;
    }
    let color = Color::srgb(1.0, 0.3, 0.1);
    let pts: Vec<Vec3> = tools.points.iter().map(|p| origin.to_render(*p)).collect();
    for p in &pts {
        gizmos.sphere(Isometry3d::from_translation(*p), 1.5, color);
    }
    let mut line = pts.clone();
    if tools.mode == MeasureMode::Area && pts.len() > 2 {
        line.push(pts[0]);
    }
    gizmos.linestrip(line, color);
    if tools.mode == MeasureMode::Distance && pts.len() == 2 {
        // The vertical and horizontal legs of a slant distance.
        let corner = Vec3::new(pts[1].x, pts[0].y, pts[1].z);
        gizmos.line(pts[0], corner, Color::srgb(0.2, 0.6, 1.0));
        gizmos.line(corner, pts[1], Color::srgb(0.2, 0.9, 0.4));
    }
}
