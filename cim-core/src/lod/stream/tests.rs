use super::*;
use crate::lod::select;
use crate::lod::tests::{Line, line_view};
use crate::model::geometry::Bbox;

type Id = (u8, u32);

/// The cut of [`Line`] seen from `x` on the line, 10 m above it.
fn cut_from(x: f64) -> Vec<Id> {
    let mut cut = Vec::new();
    select(&Line, &line_view(x), &mut cut);
    cut
}

/// Nearer the origin first.
fn by_x(id: Id) -> f64 {
    Line.bounds(id).min.x
}

/// Panics unless `draw` covers [0, 1024) exactly once.
fn assert_no_holes(draw: &[Id]) {
    let mut spans: Vec<Bbox> = draw.iter().map(|&id| Line.bounds(id)).collect();
    spans.sort_by(|a, b| a.min.x.total_cmp(&b.min.x));
    let mut x = 0.0;
    for s in spans {
        assert_eq!(s.min.x, x, "a hole or an overlap at {x} in {draw:?}");
        x = s.max.x;
    }
    assert_eq!(x, 1024.0, "a hole at the end of {draw:?}");
}

/// Runs frames for `cut`, loading everything requested (1 byte each),
/// until the plan is complete; returns the last plan.
fn settle(s: &mut Streamer<Id>, cut: &[Id], now: Instant) -> StreamPlan<Id> {
    for _ in 0..100 {
        let plan = s.update(&Line, cut, by_x, usize::MAX, now);
        if plan.complete {
            return plan;
        }
        for id in plan.request {
            assert!(s.loaded(id, 1));
        }
    }
    panic!("never complete");
}

#[test]
fn requests_go_out_by_priority_and_at_most_max_in_flight() {
    let cut = cut_from(0.0);
    assert!(cut.len() > 4);
    let mut s = Streamer::new(4);
    let now = Instant::now();
    let plan = s.update(&Line, &cut, by_x, usize::MAX, now);
    assert!(plan.draw.is_empty() && !plan.complete);
    let mut nearest = cut.clone();
    nearest.sort_by(|a, b| by_x(*a).total_cmp(&by_x(*b)));
    assert_eq!(plan.request, nearest[..4]);
    assert_eq!(s.in_flight(), 4);
    // Nothing more while four are under way.
    assert!(
        s.update(&Line, &cut, by_x, usize::MAX, now)
            .request
            .is_empty()
    );
    assert!(s.loaded(plan.request[0], 10));
    assert_eq!(
        s.update(&Line, &cut, by_x, usize::MAX, now).request,
        nearest[4..5]
    );
    for &id in &nearest[1..5] {
        assert!(s.loaded(id, 10));
    }
    let done = settle(&mut s, &cut, now);
    assert_eq!(done.draw.len(), cut.len());
    assert_no_holes(&done.draw);
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn parents_stay_until_all_their_children_are_ready() {
    let now = Instant::now();
    let mut s = Streamer::new(1000);
    let far = cut_from(1000.0);
    settle(&mut s, &far, now);
    // Fly to the other end: the cut there is finer.
    let near = cut_from(0.0);
    let plan = s.update(&Line, &near, by_x, usize::MAX, now);
    assert_no_holes(&plan.draw);
    assert_eq!(plan.draw, far, "nothing new yet: the old cut stands in");
    // Load all but one new node: wherever that one is missing, an ancestor
    // is drawn instead of it and all its siblings.
    let (missing, rest) = plan.request.split_first().unwrap();
    for &id in rest {
        assert!(s.loaded(id, 1));
    }
    let plan = s.update(&Line, &near, by_x, usize::MAX, now);
    assert_no_holes(&plan.draw);
    assert!(!plan.complete);
    assert!(!plan.draw.contains(missing));
    let stand_in = plan
        .draw
        .iter()
        .find(|d| {
            Line.bounds(**d).min.x <= by_x(*missing) && by_x(*missing) < Line.bounds(**d).max.x
        })
        .unwrap();
    assert!(
        stand_in.0 < missing.0,
        "{stand_in:?} is not above {missing:?}"
    );
    assert!(s.loaded(*missing, 1));
    let plan = s.update(&Line, &near, by_x, usize::MAX, now);
    assert!(plan.complete);
    assert_eq!(plan.draw.len(), near.len());
    assert_no_holes(&plan.draw);
}

#[test]
fn children_stand_in_for_a_parent_still_loading_when_zooming_out() {
    let now = Instant::now();
    let mut s = Streamer::new(1000);
    let near = cut_from(0.0);
    settle(&mut s, &near, now);
    // Zoom out far above: the cut is the root alone, not loaded yet.
    let root_only = vec![(0u8, 0u32)];
    let plan = s.update(&Line, &root_only, by_x, usize::MAX, now);
    assert_eq!(plan.request, root_only);
    let mut drawn = plan.draw.clone();
    drawn.sort();
    let mut expected = near.clone();
    expected.sort();
    assert_eq!(drawn, expected, "the old, finer cut stays drawn");
    assert!(s.loaded((0, 0), 1));
    let plan = s.update(&Line, &root_only, by_x, usize::MAX, now);
    assert_eq!(plan.draw, root_only);
    assert!(plan.complete);
}

#[test]
fn the_least_recently_wanted_content_goes_first_and_drawn_content_never() {
    let now = Instant::now();
    let mut s = Streamer::new(1000);
    let far = cut_from(1000.0);
    settle(&mut s, &far, now);
    let near = cut_from(0.0);
    settle(&mut s, &near, now);
    let before = s.resident_bytes();
    assert!(before > near.len());
    // A budget below what is drawn: everything not drawn goes, nothing
    // drawn does, and the nodes above the cut (wanted this frame) last.
    let plan = s.update(&Line, &near, by_x, 0, now);
    assert_eq!(plan.draw.len(), near.len());
    assert_eq!(s.resident_bytes(), near.len());
    assert_eq!(plan.evict.len(), before - near.len());
    for id in &plan.draw {
        assert!(s.is_resident(*id));
    }
    let above: HashSet<Id> = ancestors(&Line, &near);
    let first_above = plan.evict.iter().position(|id| above.contains(id));
    let last_other = plan.evict.iter().rposition(|id| !above.contains(id));
    if let (Some(a), Some(o)) = (first_above, last_other) {
        assert!(
            o < a,
            "stale nodes go before the cut's ancestors: {:?}",
            plan.evict
        );
    }
}

#[test]
fn a_budget_keeps_resident_bytes_bounded_while_flying() {
    let now = Instant::now();
    let mut s = Streamer::new(8);
    let budget = 200;
    for step in 0..=64 {
        let cut = cut_from(step as f64 * 16.0);
        for _ in 0..20 {
            let plan = s.update(&Line, &cut, by_x, budget, now);
            let drawn: usize = plan.draw.len() * 3;
            assert!(s.resident_bytes() <= budget.max(drawn));
            for id in plan.request {
                s.loaded(id, 3);
            }
        }
    }
}

#[test]
fn a_failed_load_is_retried_with_backoff_and_its_parent_drawn_meanwhile() {
    let t0 = Instant::now();
    let mut s = Streamer::new(1000);
    let root_only = vec![(0u8, 0u32)];
    settle(&mut s, &root_only, t0);
    let two = vec![(1u8, 0u32), (1, 1)];
    let plan = s.update(&Line, &two, by_x, usize::MAX, t0);
    assert_eq!(plan.request, two);
    assert!(s.loaded((1, 0), 1));
    s.failed((1, 1), t0);
    let plan = s.update(&Line, &two, by_x, usize::MAX, t0);
    assert_eq!(
        plan.draw, root_only,
        "the parent until both children are there"
    );
    assert!(plan.request.is_empty());
    assert!(plan.complete, "a failure is not waited for");
    let later = t0 + FIRST_RETRY_WAIT;
    assert_eq!(
        s.update(&Line, &two, by_x, usize::MAX, later).request,
        vec![(1, 1)]
    );
    s.failed((1, 1), later);
    // The second wait is twice the first.
    assert!(
        s.update(&Line, &two, by_x, usize::MAX, later + FIRST_RETRY_WAIT)
            .request
            .is_empty()
    );
    let again = later + 2 * FIRST_RETRY_WAIT;
    assert_eq!(
        s.update(&Line, &two, by_x, usize::MAX, again).request,
        vec![(1, 1)]
    );
    assert!(s.loaded((1, 1), 1));
    assert_eq!(s.update(&Line, &two, by_x, usize::MAX, again).draw, two);
}

#[test]
fn a_failed_node_with_nothing_above_it_gets_its_parent_as_a_stand_in() {
    let t0 = Instant::now();
    let mut s = Streamer::new(1000);
    // Straight to the children: nothing above them was ever loaded.
    let two = vec![(1u8, 0u32), (1, 1)];
    s.update(&Line, &two, by_x, usize::MAX, t0);
    assert!(s.loaded((1, 0), 1));
    s.failed((1, 1), t0);
    let plan = s.update(&Line, &two, by_x, usize::MAX, t0);
    assert_eq!(plan.request, vec![(0, 0)], "the parent stands in");
    assert!(!plan.complete, "the stand-in is on its way");
    assert!(s.loaded((0, 0), 1));
    let plan = s.update(&Line, &two, by_x, usize::MAX, t0);
    assert_eq!(plan.draw, vec![(0, 0)]);
    assert!(plan.request.is_empty() && plan.complete);
}

/// The same, under an empty parent (a tileset's root without content,
/// loaded as 0 bytes): it has nothing to stand in with, so the child that
/// is in stays drawn and only the failed one leaves a hole.
#[test]
fn an_empty_parent_does_not_hide_the_children_that_are_in() {
    let t0 = Instant::now();
    let mut s = Streamer::new(1000);
    let two = vec![(1u8, 0u32), (1, 1)];
    s.update(&Line, &two, by_x, usize::MAX, t0);
    assert!(s.loaded((1, 0), 1));
    s.failed((1, 1), t0);
    let plan = s.update(&Line, &two, by_x, usize::MAX, t0);
    assert_eq!(plan.request, vec![(0, 0)]);
    assert!(s.loaded((0, 0), 0), "an empty tile");
    let plan = s.update(&Line, &two, by_x, usize::MAX, t0);
    assert_eq!(plan.draw, vec![(1, 0)]);
}

#[test]
fn loads_that_leave_the_view_are_cancelled_and_their_content_refused() {
    let now = Instant::now();
    let mut s = Streamer::new(1000);
    let near = cut_from(0.0);
    let plan = s.update(&Line, &near, by_x, usize::MAX, now);
    let deep = *plan.request.iter().max_by_key(|id| id.0).unwrap();
    let root_only = vec![(0u8, 0u32)];
    let plan = s.update(&Line, &root_only, by_x, usize::MAX, now);
    assert!(plan.cancel.contains(&deep));
    assert_eq!(s.in_flight(), 1, "only the root is loading");
    assert!(!s.loaded(deep, 5));
    assert_eq!(s.resident_bytes(), 0);
}

#[test]
fn set_bytes_counts_content_that_grows() {
    let now = Instant::now();
    let mut s = Streamer::new(4);
    let root_only = vec![(0u8, 0u32)];
    settle(&mut s, &root_only, now);
    assert_eq!(s.resident_bytes(), 1);
    s.set_bytes((0, 0), 4096);
    assert_eq!(s.resident_bytes(), 4096);
    s.set_bytes((5, 5), 7); // not resident: ignored
    assert_eq!(s.resident_bytes(), 4096);
}

#[test]
fn additive_ancestors_are_loaded_and_drawn_with_their_descendants() {
    let cut = cut_from(0.0);
    let root = Line.root();
    let mut s = Streamer::new(64);
    let now = Instant::now();
    let mut plan = s.update_additive(&Line, &cut, &[root], by_x, usize::MAX, now);
    assert!(
        plan.request.contains(&root),
        "the ADD ancestor is requested"
    );
    for _ in 0..10 {
        for id in plan.request.clone() {
            assert!(s.loaded(id, 1));
        }
        plan = s.update_additive(&Line, &cut, &[root], by_x, usize::MAX, now);
        if plan.complete {
            break;
        }
    }
    assert!(plan.complete);
    // The cut covers the line once, and the root is drawn as well.
    let (roots, rest): (Vec<Id>, Vec<Id>) = plan.draw.iter().partition(|&&id| id == root);
    assert_eq!(roots.len(), 1);
    assert_no_holes(&rest);
    // Not complete while the additive node is missing.
    let mut fresh = Streamer::new(64);
    let _ = settle(&mut fresh, &cut, now);
    let p = fresh.update_additive(&Line, &cut, &[root], by_x, usize::MAX, now);
    assert!(!p.complete && p.request == vec![root]);
}
