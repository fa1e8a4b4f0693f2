//! Scenario edits: what-ifs on an operating network, simulated by EPANET
//! like the network itself and compared with normal operation.
//!
//! A scenario holds links shut — a burst's isolation valves, a main taken
//! out for works, a pump stopped — and junctions taken out of service (the
//! customers cut off by the closure draw nothing). A shut link stays shut
//! for the whole run: its initial status is CLOSED, and the simple controls
//! and rules that act on it are disabled, as a crew's closed valve is not
//! reopened by the control system. [`compare`] then finds the junctions
//! whose pressure drops, and those pushed below a service floor.

use crate::epanet::Project;
use crate::simulation::Simulation;
use cim_core::pipes::isolation::{Isolation, IsolationValve};
use cim_core::pipes::{Network, NodeKind};
use epanet_sys as sys;
use std::collections::HashSet;

/// The usual service pressure floor, metres of head: 0.14 MPa, what
/// 城镇供水服务 (CJ/T 316) §3.3.1 asks at the far ends of a public network.
pub const SERVICE_FLOOR_M: f64 = 14.0;

/// Edits made to a network before it is simulated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scenario {
    /// Links (by ID) held closed for the whole run.
    pub closed_links: Vec<String>,
    /// Junctions (by ID) out of service: every demand category and the
    /// emitter set to zero.
    pub out_of_service: Vec<String>,
}

impl Scenario {
    /// A burst isolated: the links its valves sit on and the links left
    /// dry closed, the junctions that lose supply out of service.
    pub fn isolating(net: &Network, valves: &[IsolationValve], iso: &Isolation) -> Self {
        let mut links: Vec<u32> = iso
            .valves_to_close
            .iter()
            .map(|&v| valves[v].link)
            .chain(iso.isolated_links.iter().copied())
            .collect();
        links.sort_unstable();
        links.dedup();
        Scenario {
            closed_links: links
                .iter()
                .map(|&l| net.links[l as usize].id.clone())
                .collect(),
            out_of_service: iso
                .isolated_nodes
                .iter()
                .filter(|&&n| net.nodes[n as usize].kind == NodeKind::Junction)
                .map(|&n| net.nodes[n as usize].id.clone())
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.closed_links.is_empty() && self.out_of_service.is_empty()
    }

    /// Makes the edits on an opened project. Returns what was changed
    /// besides the edits asked for (the controls and rules disabled), or
    /// which ID is unknown.
    pub(crate) fn apply(&self, p: &mut Project) -> Result<Vec<String>, String> {
        let mut closed = Vec::new();
        for id in &self.closed_links {
            let i = p
                .link_index(id)
                .ok_or_else(|| format!("no link `{}` to close", cim_core::message::clip(id, 60)))?;
            if p.link_type(i) == sys::EN_LinkType_EN_GPV {
                return Err(format!(
                    "link `{id}` is a general-purpose valve, which EPANET cannot hold closed"
                ));
            }
            closed.push(i);
        }
        let shut: HashSet<usize> = closed.iter().copied().collect();
        let mut notes = Vec::new();
        // Controls and rules first, while their indices are those the file
        // gave them (a check valve's removal below deletes its controls).
        for c in 1..=p.count(sys::EN_CountType_EN_CONTROLCOUNT) {
            let link = p.control_link(c);
            if shut.contains(&link) {
                p.set_control_enabled(c, false)
                    .map_err(|e| format!("control {c}: {}", e.message))?;
                notes.push(format!(
                    "control {c} disabled: it acts on closed link {}",
                    p.link_id(link)
                ));
            }
        }
        for r in 1..=p.count(sys::EN_CountType_EN_RULECOUNT) {
            if let Some(&link) = p.rule_links(r).iter().find(|l| shut.contains(l)) {
                p.set_rule_enabled(r, false)
                    .map_err(|e| format!("rule {r}: {}", e.message))?;
                notes.push(format!(
                    "rule {r} disabled (all its actions): it acts on closed link {}",
                    p.link_id(link)
                ));
            }
        }
        for &i in &closed {
            let id = p.link_id(i);
            if p.link_type(i) == sys::EN_LinkType_EN_CVPIPE {
                // EPANET sets no status on a check-valve pipe; shut, a
                // plain pipe carries nothing either way just the same.
                p.make_plain_pipe(i)
                    .map_err(|c| format!("closing check-valve pipe `{id}`: {}", c.message))?;
                notes.push(format!("pipe {id}: its check valve set aside to close it"));
            }
            p.set_link_value(
                i,
                sys::EN_LinkProperty_EN_INITSTATUS,
                sys::EN_LinkStatusType_EN_CLOSED as f64,
            )
            .map_err(|c| format!("closing link `{id}`: {}", c.message))?;
        }
        for id in &self.out_of_service {
            let i = p
                .node_index(id)
                .ok_or_else(|| format!("no node `{}`", cim_core::message::clip(id, 60)))?;
            if p.node_type(i) != sys::EN_NodeType_EN_JUNCTION {
                continue; // Tanks and reservoirs have no customers.
            }
            let zero = |c: crate::epanet::Code| format!("node `{id}`: {}", c.message);
            p.set_base_demands(i, 0.0).map_err(zero)?;
            p.set_node_value(i, sys::EN_NodeProperty_EN_EMITTER, 0.0)
                .map_err(zero)?;
        }
        Ok(notes)
    }
}

/// One junction's pressure after the edits against normal operation, at
/// one reporting step.
#[derive(Clone, Debug, PartialEq)]
pub struct PressureChange {
    pub node: String,
    pub time_s: u64,
    /// Pressure head in normal operation, metres.
    pub base_m: f64,
    /// Pressure head after the edits, metres.
    pub after_m: f64,
}

impl PressureChange {
    pub fn drop_m(&self) -> f64 {
        self.base_m - self.after_m
    }
}

/// How the edits change the junctions' pressures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Impact {
    /// Junctions below the floor after the edits at a step where they were
    /// not before, each at its lowest such step; lowest first.
    pub newly_low: Vec<PressureChange>,
    /// Every junction whose pressure drops (by more than 1 mm), at the
    /// step of its largest drop; largest first.
    pub drops: Vec<PressureChange>,
    /// The lowest pressure after the edits, of any junction in service.
    pub lowest: Option<PressureChange>,
}

/// Compares a scenario's simulation with normal operation, step by step
/// (steps matched by time), junction by junction. Junctions in `skip` —
/// those out of service — are left out: their pressure means nothing.
pub fn compare(
    base: &Simulation,
    after: &Simulation,
    floor_m: f64,
    skip: &HashSet<&str>,
) -> Impact {
    let base_index: std::collections::HashMap<&str, usize> = base
        .node_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let steps: Vec<(usize, usize)> = after
        .periods
        .iter()
        .enumerate()
        .filter_map(|(a, p)| {
            let b = base.periods.iter().position(|q| q.time_s == p.time_s)?;
            Some((a, b))
        })
        .collect();
    let mut impact = Impact::default();
    for (i, id) in after.node_ids.iter().enumerate() {
        let junction = after.node_kinds.get(i) == Some(&NodeKind::Junction);
        let Some(&j) = base_index.get(id.as_str()) else {
            continue;
        };
        if !junction || skip.contains(id.as_str()) {
            continue;
        }
        let at = |&(a, b): &(usize, usize)| PressureChange {
            node: id.clone(),
            time_s: after.periods[a].time_s,
            base_m: base.periods[b].pressure_m[j],
            after_m: after.periods[a].pressure_m[i],
        };
        let changes: Vec<PressureChange> = steps.iter().map(at).collect();
        let by = |f: fn(&PressureChange) -> f64| {
            move |x: &&PressureChange, y: &&PressureChange| f(x).total_cmp(&f(y))
        };
        if let Some(c) = changes
            .iter()
            .filter(|c| c.after_m < floor_m && c.base_m >= floor_m)
            .min_by(by(|c| c.after_m))
        {
            impact.newly_low.push(c.clone());
        }
        if let Some(c) = changes.iter().max_by(by(PressureChange::drop_m))
            && c.drop_m() > 1e-3
        {
            impact.drops.push(c.clone());
        }
        if let Some(c) = changes.iter().min_by(by(|c| c.after_m))
            && impact.lowest.as_ref().is_none_or(|l| c.after_m < l.after_m)
        {
            impact.lowest = Some(c.clone());
        }
    }
    impact
        .newly_low
        .sort_by(|a, b| a.after_m.total_cmp(&b.after_m));
    impact
        .drops
        .sort_by(|a, b| b.drop_m().total_cmp(&a.drop_m()));
    impact
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::Period;

    fn sim(pressures: &[[f64; 3]]) -> Simulation {
        Simulation {
            node_ids: vec!["J1".into(), "J2".into(), "R".into()],
            node_kinds: vec![NodeKind::Junction, NodeKind::Junction, NodeKind::Reservoir],
            periods: pressures
                .iter()
                .enumerate()
                .map(|(t, p)| Period {
                    time_s: t as u64 * 3600,
                    pressure_m: p.to_vec(),
                    ..Period::default()
                })
                .collect(),
            ..Simulation::default()
        }
    }

    #[test]
    fn drops_and_newly_low_junctions_are_found_step_by_step() {
        let base = sim(&[[30.0, 12.0, 0.0], [28.0, 20.0, 0.0]]);
        let after = sim(&[[29.0, 11.0, -5.0], [10.0, 13.0, -5.0]]);
        let i = compare(&base, &after, 14.0, &HashSet::new());
        // J1 falls to 10 m at 3600 s (from 28); J2 to 13 at 3600 s from 20
        // (at 0 s it was already below 14 m: not new).
        let low: Vec<(&str, u64)> = i
            .newly_low
            .iter()
            .map(|c| (c.node.as_str(), c.time_s))
            .collect();
        assert_eq!(low, [("J1", 3600), ("J2", 3600)]);
        assert_eq!(i.drops[0].node, "J1");
        assert_eq!(i.drops[0].drop_m(), 18.0);
        assert_eq!(i.drops[1].drop_m(), 7.0);
        assert_eq!(
            i.lowest.as_ref().unwrap().after_m,
            10.0,
            "the reservoir is no junction"
        );
        let skipped = compare(&base, &after, 14.0, &HashSet::from(["J1"]));
        assert_eq!(skipped.drops.len(), 1);
        assert_eq!(skipped.lowest.unwrap().node, "J2");
    }

    #[test]
    fn steps_are_matched_by_time() {
        let base = sim(&[[30.0, 30.0, 0.0], [30.0, 30.0, 0.0]]);
        let mut after = sim(&[[20.0, 30.0, 0.0]]);
        after.periods[0].time_s = 3600;
        let i = compare(&base, &after, 14.0, &HashSet::new());
        assert_eq!(i.drops.len(), 1);
        assert_eq!(i.drops[0].time_s, 3600);
        assert!(i.newly_low.is_empty());
    }
}
