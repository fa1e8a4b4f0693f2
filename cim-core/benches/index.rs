//! Timings of the spatial index, attribute queries and name search at city
//! scale (1 000 000 features), as plain wall-clock measurements.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-crs cargo bench -p cim-core --bench index
//! ```
//!
//! Without `--bench` on the command line (as under `cargo test
//! --all-targets`) it runs the same code on 10 000 features as a smoke test.

use cim_core::model::attr::{AttrType, AttrValue, Field};
use cim_core::model::geometry::{Geometry, Polygon};
use cim_core::model::layer::{Feature, FeatureId, VectorData};
use cim_core::query::Query;
use cim_core::query::index::{SelectMode, SpatialIndex};
use cim_core::query::search::SearchIndex;
use glam::{DVec2, DVec3};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Extent: a 20 km × 20 km city in CGCS2000 / GK zone 38 coordinates.
const X0: f64 = 38_490_000.0;
const Y0: f64 = 2_484_000.0;
const SIZE: f64 = 20_000.0;

fn random_xy(rng: &mut Rng) -> DVec2 {
    DVec2::new(X0 + rng.unit() * SIZE, Y0 + rng.unit() * SIZE)
}

fn points(n: usize, rng: &mut Rng) -> VectorData {
    VectorData {
        fields: Vec::new(),
        features: (0..n)
            .map(|i| Feature {
                id: FeatureId(i as u64),
                geometry: Geometry::Point(random_xy(rng).extend(0.0)),
                attributes: Vec::new(),
            })
            .collect(),
    }
}

/// Building footprints: rotated rectangles 10–40 m, with attributes.
fn buildings(n: usize, rng: &mut Rng) -> VectorData {
    let districts = ["福田", "南山", "罗湖", "宝安", "龙岗", "Futian", "Nanshan"];
    let kinds = ["花园", "大厦", "小区", "广场", "Tower", "Garden", "Plaza"];
    let uses = ["住宅", "商业", "办公", "工业", "教育"];
    let features = (0..n)
        .map(|i| {
            let c = random_xy(rng);
            let (w, h) = (10.0 + rng.unit() * 30.0, 10.0 + rng.unit() * 30.0);
            let a = rng.unit() * std::f64::consts::PI;
            let (s, co) = a.sin_cos();
            let corner =
                |dx: f64, dy: f64| DVec3::new(c.x + dx * co - dy * s, c.y + dx * s + dy * co, 0.0);
            let ring = vec![
                corner(-w / 2.0, -h / 2.0),
                corner(w / 2.0, -h / 2.0),
                corner(w / 2.0, h / 2.0),
                corner(-w / 2.0, h / 2.0),
            ];
            let name = format!(
                "{}{}{}号",
                rng.pick(&districts),
                rng.pick(&kinds),
                rng.next() % 500
            );
            Feature {
                id: FeatureId(i as u64),
                geometry: Geometry::Polygon(Polygon::new(ring)),
                attributes: vec![
                    AttrValue::String(name),
                    AttrValue::Float((rng.unit() * 200.0).round()),
                    AttrValue::Int((rng.next() % 60) as i64),
                    AttrValue::String(rng.pick(&uses).to_owned()),
                ],
            }
        })
        .collect();
    VectorData {
        fields: vec![
            Field::new("name", AttrType::String),
            Field::new("height", AttrType::Float),
            Field::new("floors", AttrType::Int),
            Field::new("use", AttrType::String),
        ],
        features,
    }
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1e6 {
        format!("{:.3} s", us / 1e6)
    } else if us >= 1e3 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{us:.2} µs")
    }
}

/// Times `f` once per query; prints mean, median, p99 and max.
fn per_query<T>(label: &str, n: usize, mut f: impl FnMut(usize) -> T) {
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let t = Instant::now();
            black_box(f(i));
            t.elapsed()
        })
        .collect();
    times.sort();
    let mean = times.iter().sum::<Duration>() / n as u32;
    println!(
        "{label:<52} n={n:<6} mean {:>10}  median {:>10}  p99 {:>10}  max {:>10}",
        fmt(mean),
        fmt(times[n / 2]),
        fmt(times[n * 99 / 100]),
        fmt(times[n - 1])
    );
}

/// Times `f` `reps` times; prints the best and the median.
fn repeated<T>(label: &str, reps: usize, mut f: impl FnMut() -> T) -> T {
    let mut out = None;
    let mut times = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        out = Some(black_box(f()));
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{label:<52} reps={reps:<3} best {:>10}  median {:>10}",
        fmt(times[0]),
        fmt(times[reps / 2])
    );
    out.expect("reps > 0")
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 1_000_000 } else { 10_000 };
    let q = if full { 100_000 } else { 1_000 };
    let reps = if full { 5 } else { 1 };
    println!(
        "cim-core index bench: {n} features ({})",
        if full {
            "full"
        } else {
            "smoke run; pass --bench for the full one"
        }
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // --- points --------------------------------------------------------
    let pts = points(n, &mut rng);
    let idx = repeated(&format!("build: {n} points"), reps, || {
        SpatialIndex::build(&pts)
    });
    assert_eq!(idx.len(), n);
    let probes: Vec<DVec2> = (0..q).map(|_| random_xy(&mut rng)).collect();
    per_query("nearest point (unbounded)", q, |i| {
        idx.nearest(&pts, probes[i], f64::INFINITY)
    });
    per_query("nearest 10 points", q, |i| {
        idx.nearest_k(&pts, probes[i], 10, f64::INFINITY)
    });
    let mut found = 0usize;
    per_query("box 200 m × 200 m, points (intersects)", q, |i| {
        let r = idx.in_box(&pts, probes[i], probes[i] + 200.0, SelectMode::Intersects);
        found += r.len();
        r
    });
    println!("  (mean {:.1} features per box)", found as f64 / q as f64);
    found = 0;
    per_query("box 1 km × 1 km, points (within)", q / 10, |i| {
        let r = idx.in_box(&pts, probes[i], probes[i] + 1000.0, SelectMode::Within);
        found += r.len();
        r
    });
    println!(
        "  (mean {:.0} features per box)",
        found as f64 / (q / 10) as f64
    );
    per_query("what is here, 5 m tolerance, points", q, |i| {
        idx.at_point(&pts, probes[i], 5.0)
    });
    drop(idx);
    drop(pts);

    // --- building footprints ------------------------------------------
    let b = buildings(n, &mut rng);
    let bidx = repeated(&format!("build: {n} polygons"), reps, || {
        SpatialIndex::build(&b)
    });
    per_query("nearest polygon (true edge distance)", q, |i| {
        bidx.nearest(&b, probes[i], f64::INFINITY)
    });
    found = 0;
    per_query("box 200 m × 200 m, polygons (intersects)", q, |i| {
        let r = bidx.in_box(&b, probes[i], probes[i] + 200.0, SelectMode::Intersects);
        found += r.len();
        r
    });
    println!("  (mean {:.1} features per box)", found as f64 / q as f64);
    per_query("what is here, 2 m tolerance, polygons", q, |i| {
        bidx.at_point(&b, probes[i], 2.0)
    });
    found = 0;
    per_query("lasso: 24-gon r = 300 m, polygons (within)", q / 10, |i| {
        let c = probes[i];
        let ring = (0..24)
            .map(|k| {
                let a = k as f64 / 24.0 * std::f64::consts::TAU;
                // A wobbly (concave) lasso.
                let r = 300.0 * (1.0 + 0.2 * (3.0 * a).sin());
                DVec3::new(c.x + r * a.cos(), c.y + r * a.sin(), 0.0)
            })
            .collect();
        let r = bidx.in_polygon(&b, &Polygon::new(ring), SelectMode::Within);
        found += r.len();
        r
    });
    println!(
        "  (mean {:.0} features per lasso)",
        found as f64 / (q / 10) as f64
    );
    drop(bidx);

    // --- attribute query ------------------------------------------------
    let text = "height > 100 and use = '住宅' or name like '%花园1%'";
    let filter = Query::parse(text).unwrap().compile(&b.fields).unwrap();
    let sel = repeated(&format!("query: {text}"), reps, || filter.select(&b));
    println!("  ({} of {n} selected)", sel.len());
    repeated("query: parse + compile", reps.max(3) * 100, || {
        Query::parse(text).unwrap().compile(&b.fields).unwrap()
    });

    // --- name search ----------------------------------------------------
    let s = repeated(
        &format!("search: build index over {n} features"),
        reps,
        || SearchIndex::from_vector(&b),
    );
    for query in [
        "南山花园123号",
        "花园12",
        "garden",
        "futian tower 4",
        "大厦",
    ] {
        let hits = s.search(query, 20);
        per_query(
            &format!("search '{query}' (top 20)"),
            if full { 20 } else { 3 },
            |_| s.search(query, 20),
        );
        println!(
            "  ({} shown, best {:?})",
            hits.len(),
            hits.first().map(|h| h.kind)
        );
    }
}
