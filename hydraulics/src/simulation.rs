//! An extended-period simulation: EPANET run over the file's duration,
//! nodes' heads, pressures and demands and links' flows, velocities and
//! statuses taken at every reporting step (`[TIMES]` REPORT START and
//! REPORT STEP, as EPANET's own output file), in SI units.

use crate::HydraulicsError;
use crate::epanet::{Code, Project};
use crate::scenario::Scenario;
use cim_core::pipes::units::FOOT_M;
use cim_core::pipes::{FlowUnits, NodeKind};
use epanet_sys as sys;
use std::path::Path;

/// A link's state at a reporting time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Open,
    Closed,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Closed => "CLOSED",
        }
    }
}

/// Results at one reporting time; vectors in EPANET's index order (the
/// simulation's `node_ids` / `link_ids`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Period {
    /// Seconds from the start of the simulation.
    pub time_s: u64,
    /// Hydraulic head, metres.
    pub head_m: Vec<f64>,
    /// Pressure head (head − elevation), metres of water.
    pub pressure_m: Vec<f64>,
    /// Demand met (negative: inflow, e.g. a reservoir feeding), L/s.
    pub demand_lps: Vec<f64>,
    /// Flow, positive from the link's start node to its end, L/s.
    pub flow_lps: Vec<f64>,
    /// Mean velocity, metres per second.
    pub velocity_ms: Vec<f64>,
    pub status: Vec<LinkState>,
}

/// A finished simulation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Simulation {
    pub node_ids: Vec<String>,
    /// Each node's kind, in `node_ids`' order.
    pub node_kinds: Vec<NodeKind>,
    pub link_ids: Vec<String>,
    /// The flow units the file was written in (results are converted).
    pub source_units: Option<FlowUnits>,
    pub periods: Vec<Period>,
    /// EPANET's warnings (negative pressures, unbalanced system, …), each
    /// with the time it was raised.
    pub warnings: Vec<String>,
    /// What a scenario changed besides its own edits (controls and rules
    /// disabled).
    pub edits: Vec<String>,
}

/// Runs EPANET on the input file `inp`.
pub fn simulate(inp: &Path) -> Result<Simulation, HydraulicsError> {
    simulate_scenario(inp, &Scenario::default())
}

/// Runs EPANET on the input file `inp` with a scenario's edits made.
pub fn simulate_scenario(inp: &Path, scenario: &Scenario) -> Result<Simulation, HydraulicsError> {
    let scratch = tempfile::tempdir()?;
    let report = scratch.path().join("epanet.rpt");
    let input_error = |c: Code| HydraulicsError::Input {
        path: inp.to_path_buf(),
        detail: report_errors(&report).unwrap_or(c.message),
    };
    let mut p = Project::open(inp, &report).map_err(input_error)?;
    let units = flow_units(p.flow_units());
    let nodes = p.count(sys::EN_CountType_EN_NODECOUNT);
    let links = p.count(sys::EN_CountType_EN_LINKCOUNT);
    let edits = scenario
        .apply(&mut p)
        .map_err(|detail| HydraulicsError::Scenario {
            path: inp.to_path_buf(),
            detail,
        })?;
    let mut sim = Simulation {
        node_ids: (1..=nodes).map(|i| p.node_id(i)).collect(),
        node_kinds: (1..=nodes).map(|i| node_kind(p.node_type(i))).collect(),
        edits,
        link_ids: (1..=links).map(|i| p.link_id(i)).collect(),
        source_units: units,
        ..Simulation::default()
    };
    let report_start = p.time_param(sys::EN_TimeParameter_EN_REPORTSTART);
    let report_step = p.time_param(sys::EN_TimeParameter_EN_REPORTSTEP).max(1);
    let mut elevation = Vec::new();
    p.node_values(sys::EN_NodeProperty_EN_ELEVATION, &mut elevation);
    let units = units.unwrap_or(FlowUnits::Lps);
    let length = units.length_m();
    elevation.iter_mut().for_each(|e| *e *= length);
    let solve_error = |time_s: i64, c: Code| HydraulicsError::Solve {
        path: inp.to_path_buf(),
        time_s: time_s.max(0) as u64,
        detail: c.message,
    };
    p.start_hydraulics().map_err(|c| solve_error(0, c))?;
    let mut last = 0;
    loop {
        let (t, warning) = p.run().map_err(|c| solve_error(last, c))?;
        last = t;
        if warning > 0 {
            sim.warnings
                .push(format!("at {t} s: {}", crate::epanet::message(warning)));
        }
        if t >= report_start && (t - report_start) % report_step == 0 {
            sim.periods.push(period(&p, t as u64, units, &elevation));
        }
        if p.advance().map_err(|c| solve_error(t, c))? <= 0 {
            break;
        }
    }
    Ok(sim)
}

/// The results EPANET holds now, in SI.
fn period(p: &Project, time_s: u64, units: FlowUnits, elevation: &[f64]) -> Period {
    let (length, flow) = (units.length_m(), units.to_lps());
    let velocity = if units.is_us() { FOOT_M } else { 1.0 };
    let read_nodes = |what, scale: f64| {
        let mut v = Vec::new();
        p.node_values(what, &mut v);
        v.iter_mut().for_each(|x| *x *= scale);
        v
    };
    let read_links = |what, scale: f64| {
        let mut v = Vec::new();
        p.link_values(what, &mut v);
        v.iter_mut().for_each(|x| *x *= scale);
        v
    };
    let head_m = read_nodes(sys::EN_NodeProperty_EN_HEAD, length);
    // EPANET's pressure is (head − elevation) in the file's pressure units
    // (psi, kPa, bar or m); pressure head in metres is the difference itself.
    let pressure_m = head_m.iter().zip(elevation).map(|(h, z)| h - z).collect();
    let status = read_links(sys::EN_LinkProperty_EN_STATUS, 1.0)
        .into_iter()
        .map(|s| {
            if s == sys::EN_LinkStatusType_EN_CLOSED as f64 {
                LinkState::Closed
            } else {
                LinkState::Open
            }
        })
        .collect();
    Period {
        time_s,
        pressure_m,
        head_m,
        demand_lps: read_nodes(sys::EN_NodeProperty_EN_DEMAND, flow),
        flow_lps: read_links(sys::EN_LinkProperty_EN_FLOW, flow),
        velocity_ms: read_links(sys::EN_LinkProperty_EN_VELOCITY, velocity),
        status,
    }
}

fn node_kind(t: sys::EN_NodeType) -> NodeKind {
    match t {
        sys::EN_NodeType_EN_RESERVOIR => NodeKind::Reservoir,
        sys::EN_NodeType_EN_TANK => NodeKind::Tank,
        _ => NodeKind::Junction,
    }
}

fn flow_units(u: sys::EN_FlowUnits) -> Option<FlowUnits> {
    Some(match u {
        sys::EN_FlowUnits_EN_CFS => FlowUnits::Cfs,
        sys::EN_FlowUnits_EN_GPM => FlowUnits::Gpm,
        sys::EN_FlowUnits_EN_MGD => FlowUnits::Mgd,
        sys::EN_FlowUnits_EN_IMGD => FlowUnits::Imgd,
        sys::EN_FlowUnits_EN_AFD => FlowUnits::Afd,
        sys::EN_FlowUnits_EN_LPS => FlowUnits::Lps,
        sys::EN_FlowUnits_EN_LPM => FlowUnits::Lpm,
        sys::EN_FlowUnits_EN_MLD => FlowUnits::Mld,
        sys::EN_FlowUnits_EN_CMH => FlowUnits::Cmh,
        sys::EN_FlowUnits_EN_CMD => FlowUnits::Cmd,
        sys::EN_FlowUnits_EN_CMS => FlowUnits::Cms,
        _ => return None,
    })
}

/// The error lines of EPANET's report (it explains what `EN_open` refused
/// and where), at most 20.
fn report_errors(report: &Path) -> Option<String> {
    let text = std::fs::read_to_string(report).ok()?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('*'))
        .skip_while(|l| !l.starts_with("Error"))
        .take(20)
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
