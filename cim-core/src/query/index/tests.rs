use super::*;
use crate::model::geometry::Geometry;
use crate::model::layer::Feature;

/// Against brute force: every box a segment crosses (sampled densely
/// along it) is a candidate, and every candidate's box lies within
/// reach of the segment.
#[test]
fn segment_candidates_are_the_boxes_along_the_segment() {
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let features: Vec<Feature> = (0..2_000)
        .map(|i| {
            let (x, y) = (next() * 1000.0, next() * 1000.0);
            let (w, h) = (1.0 + next() * 20.0, 1.0 + next() * 20.0);
            Feature {
                id: FeatureId(i),
                geometry: Geometry::Polygon(Polygon::new(vec![
                    v(x, y),
                    v(x + w, y),
                    v(x + w, y + h),
                    v(x, y + h),
                ])),
                attributes: vec![],
            }
        })
        .collect();
    let data = VectorData {
        fields: vec![],
        features,
    };
    let ix = SpatialIndex::build(&data);
    for _ in 0..50 {
        let a = DVec2::new(next() * 1200.0 - 100.0, next() * 1200.0 - 100.0);
        let b = DVec2::new(next() * 1200.0 - 100.0, next() * 1200.0 - 100.0);
        let got: std::collections::HashSet<usize> = ix.segment_candidates(a, b).collect();
        for (i, f) in data.features.iter().enumerate() {
            let bb = f.geometry.bbox().unwrap();
            let inside =
                |p: DVec2| p.x >= bb.min.x && p.x <= bb.max.x && p.y >= bb.min.y && p.y <= bb.max.y;
            let hit = (0..=4000).any(|k| inside(a.lerp(b, k as f64 / 4000.0)));
            if hit {
                assert!(got.contains(&i), "box {i} on the segment was missed");
            }
            if got.contains(&i) {
                let c = DVec2::new(bb.min.x + bb.max.x, bb.min.y + bb.max.y) / 2.0;
                let reach = (bb.max - bb.min).truncate().length();
                assert!(
                    point_segment_distance(c, a, b) <= reach,
                    "box {i} is off the segment"
                );
            }
        }
    }
}

fn v(x: f64, y: f64) -> DVec3 {
    DVec3::new(x, y, 0.0)
}

fn data(geoms: Vec<Geometry>) -> VectorData {
    VectorData {
        fields: Vec::new(),
        features: geoms
            .into_iter()
            .enumerate()
            .map(|(i, g)| Feature {
                id: FeatureId(100 + i as u64),
                geometry: g,
                attributes: Vec::new(),
            })
            .collect(),
    }
}

/// 0: point (0,0); 1: line (10,0)-(10,10); 2: square 20..30 with a hole
/// 24..26; 3: big parcel -100..100 containing everything; 4: empty line.
fn sample() -> VectorData {
    let mut holed = Polygon::square(20.0, 0.0, 10.0);
    holed
        .interiors
        .push(Polygon::square(24.0, 4.0, 2.0).exterior);
    data(vec![
        Geometry::Point(v(0.0, 0.0)),
        Geometry::LineString(vec![v(10.0, 0.0), v(10.0, 10.0)]),
        Geometry::Polygon(holed),
        Geometry::Polygon(Polygon::square(-100.0, -100.0, 200.0)),
        Geometry::LineString(Vec::new()),
    ])
}

#[test]
fn distances_to_geometry() {
    let d = sample();
    let g = |i: usize| &d.features[i].geometry;
    assert_eq!(distance_2d(g(0), DVec2::new(3.0, 4.0)), 5.0);
    assert_eq!(distance_2d(g(1), DVec2::new(13.0, 5.0)), 3.0);
    assert_eq!(distance_2d(g(1), DVec2::new(13.0, 14.0)), 5.0);
    assert_eq!(distance_2d(g(2), DVec2::new(21.0, 1.0)), 0.0);
    // In the hole: distance to the hole's edge.
    assert!((distance_2d(g(2), DVec2::new(25.0, 5.5)) - 0.5).abs() < 1e-12);
    assert_eq!(distance_2d(g(2), DVec2::new(33.0, 14.0)), 5.0);
    assert_eq!(distance_2d(g(4), DVec2::ZERO), f64::INFINITY);
    let mesh = Geometry::Mesh {
        positions: vec![v(0.0, 0.0), v(4.0, 0.0), v(0.0, 4.0)],
        indices: vec![0, 1, 2],
    };
    assert_eq!(distance_2d(&mesh, DVec2::new(1.0, 1.0)), 0.0);
    assert_eq!(distance_2d(&mesh, DVec2::new(1.0, -2.0)), 2.0);
}

#[test]
fn nearest_uses_true_distance_not_bbox() {
    // A diagonal line whose bbox contains the query point, and a point
    // 1.5 away: the bbox distance of the line is 0 but its true distance
    // is ~7.07, so the point must win.
    let d = data(vec![
        Geometry::LineString(vec![v(0.0, 0.0), v(10.0, 10.0)]),
        Geometry::Point(v(10.0, 1.5)),
    ]);
    let idx = SpatialIndex::build(&d);
    let h = idx
        .nearest(&d, DVec2::new(10.0, 0.0), f64::INFINITY)
        .unwrap();
    assert_eq!((h.index, h.id, h.distance), (1, FeatureId(101), 1.5));
    let k = idx.nearest_k(&d, DVec2::new(10.0, 0.0), 5, f64::INFINITY);
    assert_eq!(k.len(), 2);
    assert!((k[1].distance - 50f64.sqrt()).abs() < 1e-12);
    assert!(idx.nearest(&d, DVec2::new(10.0, 0.0), 1.0).is_none());
    // With the point left out (hidden, say), the line is nearest.
    let h = idx
        .nearest_where(&d, DVec2::new(10.0, 0.0), f64::INFINITY, |i| i != 1)
        .unwrap();
    assert_eq!(h.index, 0);
    assert!(
        idx.nearest_where(&d, DVec2::new(10.0, 0.0), 2.0, |i| i != 1)
            .is_none()
    );
}

#[test]
fn nearest_matches_brute_force() {
    let mut s = 12345u64;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 1000.0
    };
    let mut geoms = Vec::new();
    for i in 0..600 {
        let (x, y) = (rnd(), rnd());
        geoms.push(match i % 3 {
            0 => Geometry::Point(v(x, y)),
            1 => Geometry::LineString(vec![v(x, y), v(x + rnd() / 10.0, y - rnd() / 10.0)]),
            _ => Geometry::Polygon(Polygon::square(x, y, rnd() / 20.0)),
        });
    }
    let d = data(geoms);
    let idx = SpatialIndex::build(&d);
    for _ in 0..200 {
        let p = DVec2::new(rnd(), rnd());
        let brute = d
            .features
            .iter()
            .map(|f| distance_2d(&f.geometry, p))
            .fold(f64::INFINITY, f64::min);
        let h = idx.nearest(&d, p, f64::INFINITY).unwrap();
        assert_eq!(h.distance, brute);
        let mut all: Vec<f64> = d
            .features
            .iter()
            .map(|f| distance_2d(&f.geometry, p))
            .collect();
        all.sort_by(f64::total_cmp);
        let k: Vec<f64> = idx
            .nearest_k(&d, p, 7, f64::INFINITY)
            .iter()
            .map(|h| h.distance)
            .collect();
        assert_eq!(k, all[..7]);
    }
}

#[test]
fn what_is_here_orders_small_before_large() {
    let d = sample();
    let idx = SpatialIndex::build(&d);
    assert_eq!(idx.len(), 4);
    let hits = idx.at_point(&d, DVec2::new(21.0, 1.0), 0.5);
    let ids: Vec<usize> = hits.iter().map(|h| h.index).collect();
    assert_eq!(ids, vec![2, 3]);
    // In the hole of polygon 2, only the parcel contains the point.
    let hits = idx.at_point(&d, DVec2::new(25.0, 5.0), 0.5);
    assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![3]);
    let hits = idx.at_point(&d, DVec2::new(10.4, 5.0), 0.5);
    assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![3, 1]);
    assert!((hits[1].distance - 0.4).abs() < 1e-12);
}

#[test]
fn box_selection_intersects_and_within() {
    let d = sample();
    let idx = SpatialIndex::build(&d);
    // Box crossing the line and the holed square's left edge.
    let (a, b) = (DVec2::new(5.0, 2.0), DVec2::new(22.0, 3.0));
    assert_eq!(idx.in_box(&d, a, b, SelectMode::Intersects), vec![1, 2, 3]);
    assert_eq!(
        idx.in_box(&d, a, b, SelectMode::Within),
        Vec::<usize>::new()
    );
    let (a, b) = (DVec2::new(-1.0, -1.0), DVec2::new(10.0, 10.0));
    assert_eq!(idx.in_box(&d, b, a, SelectMode::Within), vec![0, 1]);
    // A box inside the hole touches the parcel only.
    let (a, b) = (DVec2::new(24.5, 4.5), DVec2::new(25.5, 5.5));
    assert_eq!(idx.in_box(&d, a, b, SelectMode::Intersects), vec![3]);
    // A box whose bbox overlaps the diagonal line's bbox but not the line.
    let diag = data(vec![Geometry::LineString(vec![v(0.0, 0.0), v(10.0, 10.0)])]);
    let di = SpatialIndex::build(&diag);
    let (a, b) = (DVec2::new(6.0, 0.0), DVec2::new(9.0, 3.0));
    assert!(di.in_box(&diag, a, b, SelectMode::Intersects).is_empty());
    assert_eq!(di.bbox_candidates(a, b).collect::<Vec<_>>(), vec![0]);
}

#[test]
fn polygon_selection_respects_concavity() {
    // A U-shaped lasso: x 0..30, y 0..30 with a notch x 10..20, y 10..30.
    let lasso = Polygon::new(vec![
        v(0.0, 0.0),
        v(30.0, 0.0),
        v(30.0, 30.0),
        v(20.0, 30.0),
        v(20.0, 10.0),
        v(10.0, 10.0),
        v(10.0, 30.0),
        v(0.0, 30.0),
    ]);
    let d = data(vec![
        Geometry::Point(v(5.0, 25.0)),                            // in left arm
        Geometry::Point(v(15.0, 25.0)),                           // in the notch
        Geometry::LineString(vec![v(5.0, 25.0), v(25.0, 25.0)]),  // spans the notch
        Geometry::Polygon(Polygon::square(2.0, 2.0, 5.0)),        // inside
        Geometry::Polygon(Polygon::square(12.0, 15.0, 5.0)),      // in the notch
        Geometry::Polygon(Polygon::square(-50.0, -50.0, 100.0)),  // covers the lasso
        Geometry::LineString(vec![v(10.0, 20.0), v(20.0, 20.0)]), // notch, touching both arms
    ]);
    let idx = SpatialIndex::build(&d);
    assert_eq!(
        idx.in_polygon(&d, &lasso, SelectMode::Intersects),
        vec![0, 2, 3, 5, 6]
    );
    assert_eq!(idx.in_polygon(&d, &lasso, SelectMode::Within), vec![0, 3]);
}

#[test]
fn polygon_selection_with_hole() {
    let mut sel = Polygon::square(0.0, 0.0, 100.0);
    sel.interiors
        .push(Polygon::square(40.0, 40.0, 20.0).exterior);
    let d = data(vec![
        Geometry::Point(v(50.0, 50.0)),                       // in the hole
        Geometry::Polygon(Polygon::square(30.0, 30.0, 40.0)), // covers the hole
        Geometry::Polygon(Polygon::square(10.0, 10.0, 5.0)),
    ]);
    let idx = SpatialIndex::build(&d);
    assert_eq!(idx.in_polygon(&d, &sel, SelectMode::Intersects), vec![1, 2]);
    assert_eq!(idx.in_polygon(&d, &sel, SelectMode::Within), vec![2]);
}

#[test]
#[should_panic(expected = "not built from")]
fn querying_other_data_panics() {
    let idx = SpatialIndex::build(&sample());
    idx.nearest(&VectorData::default(), DVec2::ZERO, 1.0);
}
