//! Streaming the content of a level-of-detail tree: which nodes to load,
//! which to draw while the rest is on its way, and which to drop.
//!
//! [`select`](super::select) gives the cut a view *wants*. Content (a mesh,
//! a texture, a glTF) takes time to arrive, so a [`Streamer`] turns the
//! wanted cut into a [`StreamPlan`] each frame:
//!
//! - **Draw without holes.** A wanted node whose content is not resident is
//!   stood in for: by its nearest resident ancestor when zooming in (a
//!   parent stays until *all* its wanted children are ready, the REPLACE
//!   rule of OGC 3D Tiles §"Refinement"), or by the descendants drawn last
//!   frame when zooming out.
//! - **Load by priority.** Missing nodes are requested in the caller's
//!   priority order, at most `max_in_flight` at a time; loads that left the
//!   cut are cancelled; failed loads are retried with exponential backoff.
//! - **Stay within a byte budget.** Resident content over the budget is
//!   evicted least recently used first; what is drawn is never evicted.
//!
//! The streamer holds only bookkeeping: the caller owns the content, starts
//! and cancels loads, reports them with [`Streamer::loaded`] or
//! [`Streamer::failed`], and frees what the plan evicts.

use super::LodTree;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// The first retry of a failed load waits this long; each further failure
/// doubles the wait, up to [`MAX_RETRY_WAIT`].
pub const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
enum State {
    /// A load is under way; `failures` before it.
    Loading { failures: u32 },
    /// Content is in memory; `used` is the last frame it was wanted.
    Resident { bytes: usize, used: u64 },
    /// The last load failed; not requested again before `retry_at`.
    Failed { failures: u32, retry_at: Instant },
}

/// What to do this frame (see [`Streamer::update`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamPlan<Id> {
    /// Resident nodes to draw: the wanted cut as far as it is loaded, with
    /// stand-ins for the rest. They never overlap.
    pub draw: Vec<Id>,
    /// Loads to start, highest priority first.
    pub request: Vec<Id>,
    /// Loads under way that are no longer wanted: stop them if you can;
    /// their content is refused if it arrives.
    pub cancel: Vec<Id>,
    /// Resident content to free.
    pub evict: Vec<Id>,
    /// Every wanted node is drawn, or failed and waits for a retry: nothing
    /// more will arrive for this view (what a snapshot waits for).
    pub complete: bool,
}

/// The bookkeeping of one tree's streamed content.
#[derive(Debug)]
pub struct Streamer<Id> {
    nodes: HashMap<Id, State>,
    frame: u64,
    resident_bytes: usize,
    /// Nodes whose load is under way (so a frame looks at these, not at
    /// every node ever seen).
    loading: HashSet<Id>,
    max_in_flight: usize,
    drawn: Vec<Id>,
}

impl<Id: Copy + Eq + Hash> Streamer<Id> {
    /// A streamer that keeps at most `max_in_flight` loads under way.
    pub fn new(max_in_flight: usize) -> Streamer<Id> {
        Streamer {
            nodes: HashMap::new(),
            frame: 0,
            resident_bytes: 0,
            loading: HashSet::new(),
            max_in_flight: max_in_flight.max(1),
            drawn: Vec::new(),
        }
    }

    /// Bytes of resident content, as reported by [`Streamer::loaded`] and
    /// [`Streamer::set_bytes`].
    pub fn resident_bytes(&self) -> usize {
        self.resident_bytes
    }

    /// Loads under way.
    pub fn in_flight(&self) -> usize {
        self.loading.len()
    }

    pub fn is_resident(&self, id: Id) -> bool {
        matches!(self.nodes.get(&id), Some(State::Resident { .. }))
    }

    /// Plans a frame for the wanted `cut` (from [`select`](super::select)):
    /// what to draw, load, cancel and evict so that resident content stays
    /// within `budget_bytes` (drawn content excepted). `priority` orders
    /// requests, lowest first (e.g. the distance to the camera).
    pub fn update<T>(
        &mut self,
        tree: &T,
        cut: &[Id],
        priority: impl Fn(Id) -> f64,
        budget_bytes: usize,
        now: Instant,
    ) -> StreamPlan<Id>
    where
        T: LodTree<Id = Id> + ?Sized,
    {
        self.update_additive(tree, cut, &[], priority, budget_bytes, now)
    }

    /// [`update`](Self::update) where the nodes of `additive` — ancestors
    /// of the cut refined by *adding* children (3D Tiles `refine: ADD`) —
    /// are wanted too: loaded like the cut, and drawn with their
    /// descendants once resident (so the draw set may then overlap).
    pub fn update_additive<T>(
        &mut self,
        tree: &T,
        cut: &[Id],
        additive: &[Id],
        priority: impl Fn(Id) -> f64,
        budget_bytes: usize,
        now: Instant,
    ) -> StreamPlan<Id>
    where
        T: LodTree<Id = Id> + ?Sized,
    {
        self.frame += 1;
        let wanted: HashSet<Id> = cut.iter().copied().collect();
        let above = ancestors(tree, cut);
        for id in wanted.iter().chain(&above) {
            if let Some(State::Resident { used, .. }) = self.nodes.get_mut(id) {
                *used = self.frame;
            }
        }
        let mut draw = self.draw_set(tree, &wanted, &above);
        for &id in additive {
            if self.is_resident(id) && !draw.contains(&id) {
                draw.push(id);
            }
        }
        let cancel = self.cancel_unwanted(&wanted, &above);
        let wanted_all: Vec<Id> = cut.iter().chain(additive).copied().collect();
        let request = self.requests(tree, &wanted_all, &priority, now);
        let evict = self.evict_over(budget_bytes, &draw);
        // Nothing more on its way: every wanted node is in or failed, and
        // no stand-in for a failed one is still loading.
        let complete = self.loading.is_empty()
            && wanted_all.iter().all(|id| {
                matches!(
                    self.nodes.get(id),
                    Some(State::Resident { .. } | State::Failed { .. })
                )
            });
        self.drawn.clone_from(&draw);
        StreamPlan {
            draw,
            request,
            cancel,
            evict,
            complete,
        }
    }

    /// The content of a requested node arrived, `bytes` large. Returns
    /// `false` when the load was cancelled meanwhile: drop the content.
    pub fn loaded(&mut self, id: Id, bytes: usize) -> bool {
        if !self.loading.remove(&id) {
            return false;
        }
        self.resident_bytes += bytes;
        self.nodes.insert(
            id,
            State::Resident {
                bytes,
                used: self.frame,
            },
        );
        true
    }

    /// A requested node's load failed at `now`: it is requested again,
    /// while still wanted, after a wait that doubles with each failure
    /// ([`FIRST_RETRY_WAIT`] … [`MAX_RETRY_WAIT`]).
    pub fn failed(&mut self, id: Id, now: Instant) {
        let Some(State::Loading { failures }) = self.nodes.get(&id).copied() else {
            return;
        };
        self.loading.remove(&id);
        let failures = failures + 1;
        let wait = FIRST_RETRY_WAIT
            .saturating_mul(1 << (failures - 1).min(16))
            .min(MAX_RETRY_WAIT);
        self.nodes.insert(
            id,
            State::Failed {
                failures,
                retry_at: now + wait,
            },
        );
    }

    /// A resident node's content grew or shrank (e.g. a texture arrived
    /// for a mesh).
    pub fn set_bytes(&mut self, id: Id, new_bytes: usize) {
        if let Some(State::Resident { bytes, .. }) = self.nodes.get_mut(&id) {
            self.resident_bytes = self.resident_bytes - *bytes + new_bytes;
            *bytes = new_bytes;
        }
    }

    /// The nodes to draw: from the root down through the nodes above the
    /// cut, each subtree drawn by its wanted nodes if they are all covered,
    /// else by the subtree's root if resident, else as far as it goes.
    fn draw_set<T>(&self, tree: &T, wanted: &HashSet<Id>, above: &HashSet<Id>) -> Vec<Id>
    where
        T: LodTree<Id = Id> + ?Sized,
    {
        // Last frame's drawn nodes under each wanted node, to stand in for
        // it while it loads (zooming out).
        let mut under: HashMap<Id, Vec<Id>> = HashMap::new();
        for &d in &self.drawn {
            if wanted.contains(&d) || !self.is_resident(d) {
                continue;
            }
            let mut a = tree.parent(d);
            while let Some(p) = a {
                if wanted.contains(&p) {
                    under.entry(p).or_default().push(d);
                    break;
                }
                a = tree.parent(p);
            }
        }
        let root = tree.root();
        let mut out = Vec::new();
        if wanted.contains(&root) || above.contains(&root) {
            self.cover(tree, root, wanted, above, &under, &mut out);
        }
        out
    }

    /// Appends the nodes that draw the subtree of `id` to `out`; `true`
    /// when they cover all of its wanted nodes.
    fn cover<T>(
        &self,
        tree: &T,
        id: Id,
        wanted: &HashSet<Id>,
        above: &HashSet<Id>,
        under: &HashMap<Id, Vec<Id>>,
        out: &mut Vec<Id>,
    ) -> bool
    where
        T: LodTree<Id = Id> + ?Sized,
    {
        if wanted.contains(&id) {
            if self.is_resident(id) {
                out.push(id);
                return true;
            }
            if let Some(stand_ins) = under.get(&id) {
                out.extend(stand_ins);
                return true;
            }
            return false;
        }
        let start = out.len();
        let mut children = Vec::new();
        tree.children_into(id, &mut children);
        let mut all = true;
        for c in children {
            if wanted.contains(&c) || above.contains(&c) {
                all &= self.cover(tree, c, wanted, above, under, out);
            }
        }
        // A parent stands in for children not all in — unless it has
        // nothing to draw (an empty tile, 0 bytes: most tilesets' root),
        // when the children that are in are better than nothing.
        if !all && self.is_resident(id) && !self.is_empty(id) {
            out.truncate(start);
            out.push(id);
            return true;
        }
        all
    }

    /// Whether a resident node holds nothing to draw (loaded with 0 bytes).
    fn is_empty(&self, id: Id) -> bool {
        matches!(self.nodes.get(&id), Some(State::Resident { bytes: 0, .. }))
    }

    /// Forgets loads under way for nodes neither wanted nor above the cut
    /// (those above stand in for their children when they arrive).
    fn cancel_unwanted(&mut self, wanted: &HashSet<Id>, above: &HashSet<Id>) -> Vec<Id> {
        let cancel: Vec<Id> = self
            .loading
            .iter()
            .filter(|id| !wanted.contains(id) && !above.contains(id))
            .copied()
            .collect();
        for id in &cancel {
            self.nodes.remove(id);
            self.loading.remove(id);
        }
        cancel
    }

    /// Wanted nodes neither resident, loading nor waiting out a failure,
    /// by priority, as many as may start; for a wanted node waiting out a
    /// failure with nothing above it resident or loading, its nearest
    /// ancestor not known to fail, as a stand-in (so a tile that cannot be
    /// read leaves its parent's coarser content, not a hole).
    fn requests<T>(
        &mut self,
        tree: &T,
        cut: &[Id],
        priority: &impl Fn(Id) -> f64,
        now: Instant,
    ) -> Vec<Id>
    where
        T: LodTree<Id = Id> + ?Sized,
    {
        let free = self.max_in_flight.saturating_sub(self.loading.len());
        if free == 0 {
            return Vec::new();
        }
        let mut missing: Vec<(f64, Id, u32)> = Vec::new();
        let mut stand_ins = HashSet::new();
        for &id in cut {
            match self.nodes.get(&id) {
                None => missing.push((priority(id), id, 0)),
                Some(State::Failed { failures, retry_at }) if *retry_at <= now => {
                    missing.push((priority(id), id, *failures));
                }
                Some(State::Failed { .. }) => {
                    let mut a = tree.parent(id);
                    while let Some(p) = a {
                        match self.nodes.get(&p) {
                            None => {
                                if stand_ins.insert(p) {
                                    missing.push((priority(p), p, 0));
                                }
                                break;
                            }
                            Some(State::Failed { .. }) => a = tree.parent(p),
                            Some(_) => break,
                        }
                    }
                }
                _ => {}
            }
        }
        missing.sort_by(|a, b| a.0.total_cmp(&b.0));
        missing.truncate(free);
        missing
            .into_iter()
            .map(|(_, id, failures)| {
                self.nodes.insert(id, State::Loading { failures });
                self.loading.insert(id);
                id
            })
            .collect()
    }

    /// Evicts resident nodes not drawn, least recently wanted first, until
    /// the resident bytes fit `budget`.
    fn evict_over(&mut self, budget: usize, draw: &[Id]) -> Vec<Id> {
        if self.resident_bytes <= budget {
            return Vec::new();
        }
        let drawn: HashSet<&Id> = draw.iter().collect();
        let mut lru: Vec<(u64, usize, Id)> = self
            .nodes
            .iter()
            .filter_map(|(id, s)| match s {
                State::Resident { bytes, used } if !drawn.contains(id) => {
                    Some((*used, *bytes, *id))
                }
                _ => None,
            })
            .collect();
        // Oldest first; of the same age, the largest first.
        lru.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut evict = Vec::new();
        for (_, bytes, id) in lru {
            if self.resident_bytes <= budget {
                break;
            }
            self.nodes.remove(&id);
            self.resident_bytes -= bytes;
            evict.push(id);
        }
        evict
    }
}

/// Every ancestor of the nodes of `cut`.
fn ancestors<T: LodTree + ?Sized>(tree: &T, cut: &[T::Id]) -> HashSet<T::Id>
where
    T::Id: Eq + Hash,
{
    let mut above = HashSet::new();
    for &id in cut {
        let mut a = tree.parent(id);
        while let Some(p) = a {
            if !above.insert(p) {
                break;
            }
            a = tree.parent(p);
        }
    }
    above
}

#[cfg(test)]
mod tests;
