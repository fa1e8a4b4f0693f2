//! The built-in demo city: a synthetic ~2.2 × 2.2 km district near Zhuhai
//! (~113.5°E, 22.3°N), generated deterministically so every install, test
//! and screenshot shows the same city.
//!
//! It is georeferenced in CGCS2000 / 3-degree Gauss-Krüger zone 38
//! (EPSG:4526, eastings with the zone prefix, ≈ 38 448 500 m) on purpose:
//! those magnitudes are exactly what breaks naive f32 rendering.
//!
//! Everything here is invented: terrain with a hill and a meandering river,
//! a rotated road grid, parks, and a few thousand buildings whose form and
//! height follow a simple zoning model (CBD towers, residential slabs,
//! low-rise housing, industry, schools). The UI labels it as synthetic.

use crate::crs::CrsDef;
use crate::model::attr::{AttrType, AttrValue, Field};
use crate::model::geometry::{Geometry, Polygon};
use crate::model::grid::Grid;
use crate::model::layer::{Feature, FeatureId, Layer, LayerContent, LayerKind, VectorData};
use crate::scene::{FORMAT_VERSION, LayerRef, SceneDoc, Style, View};
use crate::time::SceneClock;
use glam::{DVec2, DVec3};
use std::sync::OnceLock;

/// The demo's CRS: CGCS2000 / 3-degree Gauss-Krüger zone 38.
pub const DEMO_CRS: &str = "EPSG:4526";
/// District centre, ≈ 113.5002°E 22.3000°N (`cs2cs EPSG:4490 EPSG:4526`
/// gives 2467105.4754 N, 38448477.7568 E for 22.3°N 113.5°E).
pub const DEMO_CENTER: DVec3 = DVec3::new(38_448_500.0, 2_467_100.0, 0.0);
/// Half the side of the built district, metres.
const HALF: f64 = 1_100.0;
/// Terrain covers a little more than the district.
const TERRAIN_HALF: f64 = 1_300.0;
const TERRAIN_CELL: f64 = 10.0;
/// Road grid rotation (radians) and spacing (metres).
const GRID_ANGLE: f64 = 0.17;
const BLOCK: f64 = 140.0;
const RIVER_WIDTH: f64 = 70.0;
/// Water surface height, metres.
pub const WATER_LEVEL: f64 = 0.6;

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and, unlike a library
/// RNG whose sampling may change between versions, fixed forever, which
/// keeps the demo city identical across builds.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    pub fn index(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
}

/// The generated city, in scene CRS (EPSG:4526).
#[derive(Clone, Debug)]
pub struct DemoCity {
    pub terrain: Grid,
    pub buildings: VectorData,
    pub roads: VectorData,
    pub water: VectorData,
    pub parks: VectorData,
}

/// The demo's layer names, in drawing order.
pub const LAYER_NAMES: [&str; 5] = ["terrain", "water", "parks", "roads", "buildings"];

impl DemoCity {
    /// Generates the city from a seed (the built-in demo uses seed 2024).
    pub fn generate(seed: u64) -> DemoCity {
        let mut rng = SplitMix64::new(seed);
        let terrain = make_terrain();
        let water = make_water();
        let roads = make_roads(&terrain);
        let (buildings, parks) = make_blocks(&terrain, &mut rng);
        DemoCity {
            terrain,
            buildings,
            roads,
            water,
            parks,
        }
    }

    /// The built-in city, generated once per process.
    pub fn builtin() -> &'static DemoCity {
        static CITY: OnceLock<DemoCity> = OnceLock::new();
        CITY.get_or_init(|| DemoCity::generate(2024))
    }

    /// One layer by name (see [`LAYER_NAMES`]).
    pub fn layer(&self, name: &str) -> Option<Layer> {
        let (kind, content) = match name {
            "terrain" => (
                LayerKind::Terrain,
                LayerContent::Raster(self.terrain.clone()),
            ),
            "buildings" => (
                LayerKind::Buildings,
                LayerContent::Vector(self.buildings.clone()),
            ),
            "roads" => (LayerKind::Roads, LayerContent::Vector(self.roads.clone())),
            "water" => (LayerKind::Areas, LayerContent::Vector(self.water.clone())),
            "parks" => (LayerKind::Areas, LayerContent::Vector(self.parks.clone())),
            _ => return None,
        };
        Some(Layer {
            name: name.to_owned(),
            format: "builtin".into(),
            crs: Some(CrsDef::parse(DEMO_CRS).expect("EPSG:4526 parses")),
            kind,
            content,
        })
    }
}

/// A `builtin:` source such as `demo/buildings`.
pub fn builtin_layer(name: &str) -> Option<Layer> {
    DemoCity::builtin().layer(name.strip_prefix("demo/")?)
}

/// The demo scene document: every demo layer plus named views.
pub fn demo_scene() -> SceneDoc {
    let c = DEMO_CENTER;
    let style = |color: &str| Style {
        color: Some(color.into()),
        ..Default::default()
    };
    let layer = |name: &str, kind, st: Style| LayerRef {
        layer: None,
        name: name.into(),
        source: format!("builtin:demo/{name}"),
        kind,
        visible: true,
        opacity: 1.0,
        style: st,
        placement: None,
        clip: Vec::new(),
        flatten: Vec::new(),
    };
    let view = |name: &str, eye: [f64; 3], target: [f64; 3]| View {
        name: name.into(),
        eye: [c.x + eye[0], c.y + eye[1], eye[2]],
        target: [c.x + target[0], c.y + target[1], target[2]],
    };
    SceneDoc {
        format_version: FORMAT_VERSION,
        name: "Demo city (synthetic) · 演示城市（合成数据）".into(),
        description: "A synthetic district generated by CIM Studio near Zhuhai; not real data."
            .into(),
        crs: CrsDef::parse(DEMO_CRS).expect("EPSG:4526 parses"),
        origin: [c.x, c.y, 0.0],
        stream_budget_mb: None,
        layers: vec![
            layer("terrain", LayerKind::Terrain, Style::default()),
            layer("water", LayerKind::Areas, style("#3f7fbf")),
            layer("parks", LayerKind::Areas, style("#5d9c48")),
            layer(
                "roads",
                LayerKind::Roads,
                Style {
                    color: Some("#4a4d52".into()),
                    width_field: Some("width".into()),
                    label_field: Some("name".into()),
                    ..Default::default()
                },
            ),
            layer(
                "buildings",
                LayerKind::Buildings,
                Style {
                    height_field: Some("height".into()),
                    category_field: Some("use".into()),
                    label_field: Some("name".into()),
                    ..Default::default()
                },
            ),
        ],
        views: vec![
            view("overview", [-1500.0, -1900.0, 1300.0], [0.0, 50.0, 0.0]),
            view("cbd", [-250.0, -420.0, 260.0], [200.0, 250.0, 60.0]),
            view("river", [-1150.0, -650.0, 120.0], [0.0, -330.0, 0.0]),
            view("top", [0.0, -1.0, 3200.0], [0.0, 0.0, 0.0]),
        ],
        clock: Some(SceneClock::for_local_day(2024, 6, 21, 15.0, 8.0)),
        basemaps: Vec::new(),
        flood: None,
    }
}

/// District-local frame: metres east/north of [`DEMO_CENTER`].
fn world(p: DVec2, z: f64) -> DVec3 {
    DVec3::new(DEMO_CENTER.x + p.x, DEMO_CENTER.y + p.y, z)
}

/// Road-grid frame → district-local frame.
fn from_grid(u: f64, v: f64) -> DVec2 {
    let (s, c) = GRID_ANGLE.sin_cos();
    DVec2::new(u * c - v * s, u * s + v * c)
}

/// The river's centre line: northing of the river at a local easting.
fn river_y(x: f64) -> f64 {
    -360.0 + 110.0 * (x / 380.0).sin() + 35.0 * (x / 150.0 + 1.0).sin()
}

fn river_distance(p: DVec2) -> f64 {
    // Vertical distance is a good enough proxy for a gently curving river.
    (p.y - river_y(p.x)).abs()
}

fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Ground height in metres at a local point.
fn ground_height(p: DVec2) -> f64 {
    let hill = |cx: f64, cy: f64, h: f64, r: f64| {
        h * (-((p.x - cx).powi(2) + (p.y - cy).powi(2)) / (2.0 * r * r)).exp()
    };
    let base = 3.0
        + 0.0015 * (p.y + 1300.0)
        + 0.8 * (p.x / 97.0).sin() * (p.y / 131.0).cos()
        + hill(950.0, 950.0, 85.0, 260.0)
        + hill(-1050.0, 1000.0, 40.0, 200.0);
    // Carve the river bed, with sloping banks.
    let d = river_distance(p);
    let bank = smoothstep(RIVER_WIDTH * 0.5 - 10.0, RIVER_WIDTH * 0.5 + 40.0, d);
    base * bank + (-3.0) * (1.0 - bank)
}

fn make_terrain() -> Grid {
    let n = (2.0 * TERRAIN_HALF / TERRAIN_CELL) as usize + 1;
    let x0 = DEMO_CENTER.x - TERRAIN_HALF - TERRAIN_CELL / 2.0;
    let y0 = DEMO_CENTER.y + TERRAIN_HALF + TERRAIN_CELL / 2.0;
    let mut g = Grid::new(n, n, x0, y0, TERRAIN_CELL, TERRAIN_CELL);
    for row in 0..n {
        for col in 0..n {
            let (x, y) = g.cell_center(col, row);
            let h = ground_height(DVec2::new(x - DEMO_CENTER.x, y - DEMO_CENTER.y));
            g.set(col, row, h as f32);
        }
    }
    g
}

fn terrain_at(t: &Grid, p: DVec2) -> f64 {
    let w = world(p, 0.0);
    t.sample(w.x, w.y).unwrap_or_else(|| ground_height(p))
}

fn make_water() -> VectorData {
    let mut north = Vec::new();
    let mut south = Vec::new();
    let mut x = -TERRAIN_HALF;
    while x <= TERRAIN_HALF + 1e-9 {
        let y = river_y(x);
        north.push(world(DVec2::new(x, y + RIVER_WIDTH / 2.0), WATER_LEVEL));
        south.push(world(DVec2::new(x, y - RIVER_WIDTH / 2.0), WATER_LEVEL));
        x += 20.0;
    }
    south.reverse();
    let mut ring = north;
    ring.extend(south);
    VectorData {
        fields: vec![
            Field::new("name", AttrType::String),
            Field::new("kind", AttrType::String),
        ],
        features: vec![Feature {
            id: FeatureId(0),
            geometry: Geometry::Polygon(Polygon::new(ring)),
            attributes: vec!["前山河 Qianshan River".into(), "河流".into()],
        }],
    }
}

const ROAD_NAMES_EW: [&str; 8] = [
    "迎宾大道",
    "凤凰路",
    "海湾路",
    "九洲大道",
    "情侣路",
    "翠香路",
    "人民路",
    "前河路",
];
const ROAD_NAMES_NS: [&str; 8] = [
    "吉大路",
    "景山路",
    "香洲路",
    "柠溪路",
    "前山路",
    "南屏路",
    "兴业路",
    "港湾路",
];

fn make_roads(t: &Grid) -> VectorData {
    let mut out = VectorData {
        fields: vec![
            Field::new("id", AttrType::Int),
            Field::new("name", AttrType::String),
            Field::new("class", AttrType::String),
            Field::new("width", AttrType::Float),
        ],
        features: Vec::new(),
    };
    let n = (HALF / BLOCK) as i32;
    for dir in 0..2 {
        for i in -n..=n {
            let major = i % 2 == 0;
            let width = if major { 32.0 } else { 16.0 };
            let names = if dir == 0 {
                &ROAD_NAMES_EW
            } else {
                &ROAD_NAMES_NS
            };
            let name = if major {
                names[((i + n) / 2) as usize % names.len()].to_string()
            } else if dir == 0 {
                format!("纬{}路", i + n + 1)
            } else {
                format!("经{}路", i + n + 1)
            };
            let fixed = i as f64 * BLOCK;
            let mut line = Vec::new();
            let mut s = -HALF;
            while s <= HALF + 1e-9 {
                let p = if dir == 0 {
                    from_grid(s, fixed)
                } else {
                    from_grid(fixed, s)
                };
                if p.x.abs() <= HALF && p.y.abs() <= HALF {
                    // Roads over the river are bridges at bank height.
                    let z = terrain_at(t, p).max(3.0);
                    line.push(world(p, z));
                }
                s += 25.0;
            }
            if line.len() >= 2 {
                let id = out.features.len() as u64;
                out.features.push(Feature {
                    id: FeatureId(id),
                    geometry: Geometry::LineString(line),
                    attributes: vec![
                        AttrValue::Int(id as i64),
                        name.into(),
                        if major { "主干道" } else { "次干道" }.into(),
                        AttrValue::Float(width),
                    ],
                });
            }
        }
    }
    out
}

const ESTATES: [&str; 16] = [
    "海湾", "金湾", "香洲", "翠湖", "滨江", "锦绣", "凤凰", "华发", "珠光", "情侣", "九洲", "拱北",
    "前山", "南屏", "唐家", "吉大",
];
const HOMES: [&str; 8] = [
    "花园", "新城", "名苑", "雅居", "华庭", "豪庭", "家园", "公寓",
];

#[derive(Clone, Copy, PartialEq, Debug)]
enum Zone {
    Cbd,
    HighRise,
    LowRise,
    Industrial,
    School,
    Park,
}

struct BuildingSpec {
    /// Footprint in road-grid coordinates (u, v).
    footprint: Vec<DVec2>,
    height: f64,
    floor_height: f64,
    usage: &'static str,
    name: String,
}

fn rect(cu: f64, cv: f64, w: f64, d: f64) -> Vec<DVec2> {
    vec![
        DVec2::new(cu - w / 2.0, cv - d / 2.0),
        DVec2::new(cu + w / 2.0, cv - d / 2.0),
        DVec2::new(cu + w / 2.0, cv + d / 2.0),
        DVec2::new(cu - w / 2.0, cv + d / 2.0),
    ]
}

/// An L-shaped podium filling the corner of a lot.
fn l_shape(cu: f64, cv: f64, w: f64, d: f64, arm: f64) -> Vec<DVec2> {
    let (u0, v0) = (cu - w / 2.0, cv - d / 2.0);
    vec![
        DVec2::new(u0, v0),
        DVec2::new(u0 + w, v0),
        DVec2::new(u0 + w, v0 + arm),
        DVec2::new(u0 + arm, v0 + arm),
        DVec2::new(u0 + arm, v0 + d),
        DVec2::new(u0, v0 + d),
    ]
}

fn zone_of(center: DVec2, height: f64, rng: &mut SplitMix64, idx: usize) -> Zone {
    let cbd = DVec2::new(200.0, 250.0);
    let d = center.distance(cbd);
    if height > 22.0 || [17, 58, 101, 140].contains(&idx) {
        Zone::Park
    } else if d < 330.0 {
        Zone::Cbd
    } else if center.x < -500.0 && center.y < -650.0 {
        Zone::Industrial
    } else if [33, 77, 120, 160].contains(&idx) {
        Zone::School
    } else if d < 750.0 || rng.chance(0.35) {
        Zone::HighRise
    } else {
        Zone::LowRise
    }
}

fn layout_block(
    zone: Zone,
    cu: f64,
    cv: f64,
    size: f64,
    rng: &mut SplitMix64,
    estate: &str,
    out: &mut Vec<BuildingSpec>,
) {
    let half = size / 2.0;
    match zone {
        Zone::Park => {}
        Zone::Cbd => {
            for (qu, qv) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
                let (lu, lv) = (cu + qu * half / 2.0, cv + qv * half / 2.0);
                let tower = rng.range(26.0, 38.0);
                let h = rng.range(90.0, 235.0);
                out.push(BuildingSpec {
                    footprint: rect(lu, lv, tower, tower * rng.range(0.8, 1.2)),
                    height: h,
                    floor_height: 4.2,
                    usage: if rng.chance(0.6) { "办公" } else { "商业" },
                    name: format!("{estate}国际中心{}座", ["A", "B", "C", "D"][out.len() % 4]),
                });
                if rng.chance(0.7) {
                    let podium = half * 0.9;
                    out.push(BuildingSpec {
                        footprint: l_shape(lu, lv, podium, podium, podium * 0.3),
                        height: rng.range(12.0, 24.0),
                        floor_height: 5.0,
                        usage: "商业",
                        name: format!("{estate}广场"),
                    });
                }
            }
        }
        Zone::HighRise => {
            let rows = 4;
            let cols = 3;
            for r in 0..rows {
                for c in 0..cols {
                    if rng.chance(0.08) {
                        continue;
                    }
                    let lu = cu - half + (c as f64 + 0.5) * size / cols as f64;
                    let lv = cv - half + (r as f64 + 0.5) * size / rows as f64;
                    let floors = 18 + rng.index(16);
                    out.push(BuildingSpec {
                        footprint: rect(lu, lv, rng.range(28.0, 36.0), rng.range(13.0, 16.0)),
                        height: floors as f64 * 3.0,
                        floor_height: 3.0,
                        usage: "住宅",
                        name: format!("{estate}{}", HOMES[rng.index(HOMES.len())]),
                    });
                }
            }
        }
        Zone::LowRise => {
            for r in 0..5 {
                for c in 0..5 {
                    if rng.chance(0.1) {
                        continue;
                    }
                    let lu = cu - half + (c as f64 + 0.5) * size / 5.0;
                    let lv = cv - half + (r as f64 + 0.5) * size / 5.0;
                    let floors = 3 + rng.index(7);
                    let (w, d) = (rng.range(11.0, 17.0), rng.range(10.0, 14.0));
                    out.push(BuildingSpec {
                        footprint: rect(lu + rng.range(-2.0, 2.0), lv, w, d),
                        height: floors as f64 * 3.0,
                        floor_height: 3.0,
                        usage: if rng.chance(0.15) { "商业" } else { "住宅" },
                        name: format!("{estate}{}", HOMES[rng.index(HOMES.len())]),
                    });
                }
            }
        }
        Zone::Industrial => {
            for k in 0..2 {
                let lv = cv - half / 2.0 + k as f64 * half;
                out.push(BuildingSpec {
                    footprint: rect(
                        cu,
                        lv,
                        size * rng.range(0.6, 0.85),
                        half * rng.range(0.6, 0.8),
                    ),
                    height: rng.range(10.0, 18.0),
                    floor_height: 6.0,
                    usage: "工业",
                    name: format!("{estate}科技园{}号厂房", k + 1),
                });
            }
        }
        Zone::School => {
            out.push(BuildingSpec {
                footprint: l_shape(
                    cu - half * 0.35,
                    cv + half * 0.2,
                    half * 1.1,
                    half * 1.0,
                    16.0,
                ),
                height: 18.0,
                floor_height: 3.6,
                usage: "学校",
                name: format!("{estate}中学教学楼"),
            });
            out.push(BuildingSpec {
                footprint: rect(cu + half * 0.55, cv + half * 0.6, 30.0, 24.0),
                height: 12.0,
                floor_height: 6.0,
                usage: "学校",
                name: format!("{estate}中学体育馆"),
            });
        }
    }
}

fn make_blocks(t: &Grid, rng: &mut SplitMix64) -> (VectorData, VectorData) {
    let mut buildings = VectorData {
        fields: vec![
            Field::new("id", AttrType::Int),
            Field::new("name", AttrType::String),
            Field::new("height", AttrType::Float),
            Field::new("floors", AttrType::Int),
            Field::new("use", AttrType::String),
            Field::new("year", AttrType::Int),
            Field::new("ground", AttrType::Float),
        ],
        features: Vec::new(),
    };
    let mut parks = VectorData {
        fields: vec![
            Field::new("name", AttrType::String),
            Field::new("area", AttrType::Float),
        ],
        features: Vec::new(),
    };
    let n = (HALF / BLOCK) as i32;
    let mut idx = 0usize;
    for j in -n..n {
        for i in -n..n {
            let (cu, cv) = ((i as f64 + 0.5) * BLOCK, (j as f64 + 0.5) * BLOCK);
            let center = from_grid(cu, cv);
            idx += 1;
            let road_half = |k: i32| -> f64 { if k % 2 == 0 { 16.0 } else { 8.0 } };
            let inset = road_half(i)
                .max(road_half(i + 1))
                .max(road_half(j))
                .max(road_half(j + 1))
                + 7.0;
            let size = BLOCK - 2.0 * inset;
            let corners = rect(cu, cv, BLOCK - 2.0 * inset, BLOCK - 2.0 * inset);
            let all_inside = corners.iter().all(|c| {
                let p = from_grid(c.x, c.y);
                p.x.abs() < HALF && p.y.abs() < HALF
            });
            let near_river = corners
                .iter()
                .any(|c| river_distance(from_grid(c.x, c.y)) < RIVER_WIDTH / 2.0 + 25.0);
            if !all_inside || near_river {
                continue;
            }
            let ground = corners
                .iter()
                .map(|c| terrain_at(t, from_grid(c.x, c.y)))
                .fold(f64::MIN, f64::max);
            let zone = zone_of(center, ground, rng, idx);
            let estate = ESTATES[rng.index(ESTATES.len())];
            if zone == Zone::Park {
                let ring: Vec<DVec3> = corners
                    .iter()
                    .map(|c| {
                        let p = from_grid(c.x, c.y);
                        world(p, terrain_at(t, p))
                    })
                    .collect();
                let area = Polygon::new(ring.clone()).area();
                parks.features.push(Feature {
                    id: FeatureId(parks.features.len() as u64),
                    geometry: Geometry::Polygon(Polygon::new(ring)),
                    attributes: vec![format!("{estate}公园").into(), AttrValue::Float(area)],
                });
                continue;
            }
            let mut specs = Vec::new();
            layout_block(zone, cu, cv, size, rng, estate, &mut specs);
            for (k, spec) in specs.into_iter().enumerate() {
                let pts: Vec<DVec2> = spec.footprint.iter().map(|q| from_grid(q.x, q.y)).collect();
                // Sit the building on the lowest ground under it, so no
                // corner floats above the terrain.
                let base = pts
                    .iter()
                    .map(|p| terrain_at(t, *p))
                    .fold(f64::MAX, f64::min);
                let ring: Vec<DVec3> = pts.iter().map(|p| world(*p, base)).collect();
                let id = buildings.features.len() as u64;
                let floors = (spec.height / spec.floor_height).round().max(1.0) as i64;
                buildings.features.push(Feature {
                    id: FeatureId(id),
                    geometry: Geometry::Polygon(Polygon::new(ring)),
                    attributes: vec![
                        AttrValue::Int(id as i64),
                        format!("{} {}栋", spec.name, k + 1).into(),
                        AttrValue::Float((spec.height * 10.0).round() / 10.0),
                        AttrValue::Int(floors),
                        spec.usage.into(),
                        AttrValue::Int(1995 + rng.index(29) as i64),
                        AttrValue::Float((base * 100.0).round() / 100.0),
                    ],
                });
            }
        }
    }
    (buildings, parks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let a = DemoCity::generate(2024);
        let b = DemoCity::generate(2024);
        assert_eq!(a.buildings, b.buildings);
        assert_eq!(a.terrain, b.terrain);
        assert_eq!(a.roads, b.roads);
        let c = DemoCity::generate(7);
        assert_ne!(a.buildings, c.buildings);
    }

    #[test]
    fn the_city_has_a_few_thousand_sensible_buildings() {
        let city = DemoCity::builtin();
        let n = city.buildings.features.len();
        assert!((1_500..6_000).contains(&n), "{n} buildings");
        let hi = city.buildings.field_index("height").unwrap();
        let use_i = city.buildings.field_index("use").unwrap();
        let mut uses = std::collections::BTreeSet::new();
        for f in &city.buildings.features {
            let h = f.attributes[hi].as_f64().unwrap();
            assert!((3.0..=250.0).contains(&h), "height {h}");
            uses.insert(f.attributes[use_i].to_string());
            // Every building is on land inside the district.
            let b = f.geometry.bbox().unwrap();
            assert!(
                (b.center().x - DEMO_CENTER.x).abs() < HALF
                    && (b.center().y - DEMO_CENTER.y).abs() < HALF
            );
            let local = DVec2::new(b.center().x - DEMO_CENTER.x, b.center().y - DEMO_CENTER.y);
            assert!(
                river_distance(local) > RIVER_WIDTH / 2.0,
                "building in the river"
            );
        }
        for u in ["住宅", "商业", "办公", "工业", "学校"] {
            assert!(uses.contains(u), "no {u} buildings: {uses:?}");
        }
        assert!(city.parks.features.len() >= 4);
        assert!(city.roads.features.len() >= 20);
    }

    #[test]
    fn terrain_has_a_river_valley_and_hills() {
        let t = &DemoCity::builtin().terrain;
        let (lo, hi) = t.min_max().unwrap();
        assert!(lo < 0.0 && hi > 60.0, "{lo}..{hi}");
        let river = world(DVec2::new(0.0, river_y(0.0)), 0.0);
        assert!(t.sample(river.x, river.y).unwrap() < WATER_LEVEL);
    }

    #[test]
    fn demo_scene_references_every_demo_layer() {
        let doc = demo_scene();
        for l in &doc.layers {
            let name = l.source.strip_prefix("builtin:").unwrap();
            assert!(builtin_layer(name).is_some(), "{name}");
        }
        assert!(doc.view("overview").is_some());
        let back =
            SceneDoc::from_toml_str(&doc.to_toml_string(), std::path::Path::new("demo")).unwrap();
        assert_eq!(back, doc);
    }
}
