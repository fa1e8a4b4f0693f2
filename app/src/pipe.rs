//! `cim pipe …`: pipe networks from the command line — `simulate` (EPANET,
//! SI results), `isolate` (burst isolation), `check` (connectivity),
//! `trace` (upstream/downstream by the simulated flows).

use crate::cli::{PipeCommand, TraceDirection};
use anyhow::{Context, Result, anyhow, bail};
use cim_core::pipes::graph::Adjacency;
use cim_core::pipes::isolation::{self, IsolationValve, Isolator};
use cim_core::pipes::trace::{Direction, trace};
use cim_core::pipes::{Network, connectivity};
use serde_json::json;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn run(cmd: PipeCommand) -> Result<ExitCode> {
    match cmd {
        PipeCommand::Simulate {
            network,
            json,
            csv,
            close,
            out_of_service,
        } => simulate(
            &network,
            json,
            csv.as_deref(),
            &cim_hydraulics::Scenario {
                closed_links: close,
                out_of_service,
            },
        ),
        PipeCommand::Isolate {
            network,
            link,
            valves,
            failed_valves,
            sources,
            hydrants,
            snap,
            valve_snap,
            json,
            simulate,
            min_pressure,
        } => {
            if cim_loaders::pipes::is_inp(&network) {
                isolate(
                    &network,
                    &link,
                    valves.as_deref(),
                    &failed_valves,
                    hydrants.as_deref(),
                    json,
                    simulate.then_some(min_pressure),
                )
            } else {
                if simulate {
                    bail!(
                        "--simulate: {} is a GIS layer, with no hydraulic model (demands, sources, roughness) to simulate; it takes an EPANET .inp",
                        cim_core::message::path(&network)
                    );
                }
                crate::pipe_gis::isolate_lines(crate::pipe_gis::LinesIsolate {
                    path: &network,
                    link: &link,
                    valves: valves.as_deref(),
                    failed: &failed_valves,
                    sources: &sources,
                    hydrants: hydrants.as_deref(),
                    snap,
                    valve_snap,
                    json,
                })
            }
        }
        PipeCommand::Check {
            network,
            snap,
            gap,
            json,
        } => {
            if cim_loaders::pipes::is_inp(&network) {
                check(&network, json)
            } else {
                check_lines(&network, snap, gap, json)
            }
        }
        PipeCommand::Trace {
            network,
            node,
            direction,
            time,
            json,
        } => trace_from(&network, &node, direction, time, json),
        PipeCommand::Clearance {
            corridor,
            parallel_deg,
            geojson,
        } => crate::pipe_corridor::clearance(&corridor, parallel_deg, geojson.as_deref()),
        PipeCommand::Cover {
            corridor,
            under,
            step,
        } => crate::pipe_corridor::cover(&corridor, under, step),
        PipeCommand::Section {
            corridor,
            line,
            along_m,
            step,
            exaggeration,
            out,
            english,
        } => crate::pipe_corridor::section(
            &corridor,
            crate::pipe_corridor::SectionArgs {
                line: &line,
                corridor: along_m,
                step,
                exaggeration,
                out: out.as_deref(),
                english,
            },
        ),
        PipeCommand::Dig {
            corridor,
            polygon,
            depth,
            bottom,
            margin,
            step,
        } => crate::pipe_corridor::dig(
            &corridor,
            crate::pipe_corridor::DigArgs {
                polygon: &polygon,
                depth,
                bottom,
                margin,
                step,
            },
        ),
    }
}

fn read(path: &Path) -> Result<Network> {
    cim_loaders::pipes::inp::read(path).map_err(|e| anyhow!(e))
}

/// "NET.inp: no link `ID`".
fn missing(path: &Path, what: &str, id: &str) -> String {
    format!(
        "{}: no {what} `{}`",
        cim_core::message::path(path),
        cim_core::message::clip(id, 60)
    )
}

fn simulate(
    path: &Path,
    json: bool,
    csv: Option<&Path>,
    scenario: &cim_hydraulics::Scenario,
) -> Result<ExitCode> {
    // Our reader first: its errors name the line, and a network that is
    // not whole is refused before EPANET solves a part of it.
    let net = read(path)?;
    let sim = cim_hydraulics::simulate_scenario(path, scenario)?;
    print_warnings(&sim.warnings, &sim.edits);
    if let Some(csv) = csv {
        let file = std::fs::File::create(csv).with_context(|| cim_core::message::path(csv))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        cim_hydraulics::csv::write(&sim, &mut w)
            .and_then(|()| w.flush())
            .with_context(|| cim_core::message::path(csv))?;
    }
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    if json {
        cim_hydraulics::json::write(&sim, &mut out)?;
    } else {
        write_summary(&net, &sim, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// EPANET's warnings and what a scenario changed besides its edits, on
/// stderr.
fn print_warnings(warnings: &[String], edits: &[String]) {
    for w in warnings {
        eprintln!("cim: warning: EPANET {}", cim_core::message::lines(w, 500));
    }
    for e in edits {
        eprintln!("cim: scenario: {e}");
    }
}

/// Per reporting step: the lowest and highest pressure (where) and the
/// fastest flow.
fn write_summary(net: &Network, sim: &cim_hydraulics::Simulation, mut w: impl Write) -> Result<()> {
    let units = sim.source_units.map_or("?", |u| u.name());
    writeln!(
        w,
        "{}: {} nodes, {} links, {} reporting steps (file in {units}; results in SI)",
        net.title.lines().next().unwrap_or("network"),
        sim.node_ids.len(),
        sim.link_ids.len(),
        sim.periods.len()
    )?;
    writeln!(
        w,
        "{:>9}  {:>22}  {:>22}  {:>22}",
        "time", "min pressure m", "max pressure m", "max velocity m/s"
    )?;
    let extreme = |values: &[f64], ids: &[String], max: bool| {
        let pick = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .reduce(|a, b| if (b.1 > a.1) == max { b } else { a });
        pick.map_or(String::from("-"), |(i, v)| {
            format!("{v:.2} ({})", cim_core::message::clip(&ids[i], 12))
        })
    };
    for p in &sim.periods {
        let (h, m) = (p.time_s / 3600, p.time_s % 3600 / 60);
        writeln!(
            w,
            "{:>6}:{m:02}  {:>22}  {:>22}  {:>22}",
            h,
            extreme(&p.pressure_m, &sim.node_ids, false),
            extreme(&p.pressure_m, &sim.node_ids, true),
            extreme(
                &p.velocity_ms.iter().map(|v| v.abs()).collect::<Vec<_>>(),
                &sim.link_ids,
                true
            ),
        )?;
    }
    Ok(())
}

fn isolate(
    path: &Path,
    link: &str,
    valve_file: Option<&Path>,
    failed: &[String],
    hydrant_file: Option<&Path>,
    json: bool,
    simulate_floor: Option<f64>,
) -> Result<ExitCode> {
    let net = read(path)?;
    let (valves, source): (Vec<IsolationValve>, String) = match valve_file {
        Some(f) => (
            cim_loaders::pipes::valves::read(f, &net).map_err(|e| anyhow!(e))?,
            format!("valve layer {}", cim_core::message::path(f)),
        ),
        None => (isolation::valve_links(&net), "the network's valves".into()),
    };
    // Hydrant points in the network's own coordinates.
    let hydrants = match hydrant_file {
        Some(f) => crate::pipe_gis::points_as_they_are(f)?,
        None => Vec::new(),
    };
    report_isolation(IsolationRequest {
        path,
        net: &net,
        valves: &valves,
        source: &source,
        link,
        failed,
        json,
        extra: serde_json::Map::new(),
        hydrants: &hydrants,
        simulate_floor,
    })
}

/// How far (metres) a hydrant point may lie from its pipe.
const HYDRANT_SNAP_M: f64 = 5.0;

/// An isolation to find and print.
pub(crate) struct IsolationRequest<'a> {
    pub path: &'a Path,
    pub net: &'a Network,
    pub valves: &'a [IsolationValve],
    /// Where the valves came from (printed).
    pub source: &'a str,
    pub link: &'a str,
    pub failed: &'a [String],
    pub json: bool,
    /// Keys joining the JSON.
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub hydrants: &'a [(String, cim_core::DVec2)],
    /// For an .inp: simulate the isolation against this pressure floor (m).
    pub simulate_floor: Option<f64>,
}

/// Isolates the link and prints the outcome.
pub(crate) fn report_isolation(r: IsolationRequest) -> Result<ExitCode> {
    let IsolationRequest {
        path,
        net,
        valves,
        source,
        link,
        failed,
        json,
        mut extra,
        hydrants,
        simulate_floor,
    } = r;
    let broken = net
        .link(link)
        .with_context(|| missing(path, "link", link))?;
    let failed_idx = failed
        .iter()
        .map(|id| {
            valves.iter().position(|v| &v.id == id).ok_or_else(|| {
                anyhow!(
                    "--failed-valve: no valve `{}` in {source}",
                    cim_core::message::clip(id, 60)
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let started = std::time::Instant::now();
    let iso = Isolator::new(net, valves, &failed_idx).isolate(broken);
    let took = started.elapsed();
    let out_of_service = cim_core::pipes::snap_points::on_dry_pipes(
        net,
        hydrants,
        HYDRANT_SNAP_M,
        &iso.isolated_links,
    );
    if !hydrants.is_empty() {
        extra.insert("hydrants_out_of_service".into(), json!(out_of_service));
    }
    let after = match simulate_floor {
        Some(floor) => {
            let scenario = cim_hydraulics::Scenario::isolating(net, valves, &iso);
            Some(after_closing(path, scenario, floor)?)
        }
        None => None,
    };
    if let Some(a) = &after {
        extra.insert("after_closing".into(), a.to_json());
    }
    let node_ids = |v: &[u32]| {
        v.iter()
            .map(|&n| net.nodes[n as usize].id.clone())
            .collect::<Vec<_>>()
    };
    let link_ids = |v: &[u32]| {
        v.iter()
            .map(|&l| net.links[l as usize].id.clone())
            .collect::<Vec<_>>()
    };
    let valve_ids: Vec<&str> = iso
        .valves_to_close
        .iter()
        .map(|&i| valves[i].id.as_str())
        .collect();
    if json {
        let out = json!({
            "link": link,
            "valves_to_close": valve_ids,
            "isolated_nodes": node_ids(&iso.isolated_nodes),
            "isolated_links": link_ids(&iso.isolated_links),
            "affected_demand_lps": iso.affected_demand_lps,
            "affected_length_m": iso.affected_length_m,
            "segment_nodes": node_ids(&iso.segment_nodes),
            "segment_links": link_ids(&iso.segment_links),
            "failed_valves": failed,
            "valves_from": source,
        });
        let mut out = out;
        if let Some(o) = out.as_object_mut() {
            o.extend(extra);
        }
        println!("{out}");
    } else {
        println!(
            "isolating link {} ({source}, {} valves)",
            cim_core::message::clip(link, 60),
            valves.len()
        );
        println!(
            "close {} valve(s): {}",
            valve_ids.len(),
            valve_ids.join(", ")
        );
        println!(
            "{} node(s) and {} link(s) lose supply ({} in the broken segment): {:.2} L/s of base demand, {:.0} m of pipe",
            iso.isolated_nodes.len(),
            iso.isolated_links.len(),
            iso.segment_links.len(),
            iso.affected_demand_lps,
            iso.affected_length_m
        );
        if !hydrants.is_empty() {
            println!(
                "{} of {} hydrant(s) out of service: {}",
                out_of_service.len(),
                hydrants.len(),
                out_of_service.join(", ")
            );
        }
        if let Some(a) = &after {
            a.print();
        }
        eprintln!("cim: found in {:.2} ms", took.as_secs_f64() * 1e3);
    }
    Ok(ExitCode::SUCCESS)
}

/// A network simulated with an isolation made, against normal operation.
struct AfterClosing {
    scenario: cim_hydraulics::Scenario,
    floor_m: f64,
    impact: cim_hydraulics::scenario::Impact,
    edits: Vec<String>,
    warnings: Vec<String>,
}

/// How many of the largest drops are printed.
const DROPS_SHOWN: usize = 20;

/// Simulates normal operation and the scenario side by side (two EPANET
/// projects, two threads) and compares them.
fn after_closing(
    path: &Path,
    scenario: cim_hydraulics::Scenario,
    floor_m: f64,
) -> Result<AfterClosing> {
    let (base, after) = std::thread::scope(|s| {
        let base = s.spawn(|| cim_hydraulics::simulate(path));
        let after = cim_hydraulics::simulate_scenario(path, &scenario);
        (base.join(), after)
    });
    let base = base.map_err(|_| anyhow!("the simulation crashed"))??;
    let after = after?;
    let skip: std::collections::HashSet<&str> =
        scenario.out_of_service.iter().map(String::as_str).collect();
    let impact = cim_hydraulics::scenario::compare(&base, &after, floor_m, &skip);
    Ok(AfterClosing {
        floor_m,
        impact,
        edits: after.edits,
        warnings: after.warnings,
        scenario,
    })
}

impl AfterClosing {
    fn to_json(&self) -> serde_json::Value {
        use cim_hydraulics::scenario::PressureChange;
        let change = |c: &PressureChange| {
            json!({
                "node": c.node,
                "time_s": c.time_s,
                "pressure_m": c.after_m,
                "base_pressure_m": c.base_m,
                "drop_m": c.drop_m(),
            })
        };
        json!({
            "closed_links": self.scenario.closed_links,
            "out_of_service": self.scenario.out_of_service,
            "pressure_floor_m": self.floor_m,
            "newly_low": self.impact.newly_low.iter().map(change).collect::<Vec<_>>(),
            "largest_drops": self.impact.drops.iter().take(DROPS_SHOWN).map(change).collect::<Vec<_>>(),
            "junctions_with_drops": self.impact.drops.len(),
            "lowest": self.impact.lowest.as_ref().map(change),
            "edits": self.edits,
            "warnings": self.warnings,
        })
    }

    fn print(&self) {
        let clock = |t: u64| format!("{}:{:02}", t / 3600, t % 3600 / 60);
        let i = &self.impact;
        println!(
            "simulated with {} link(s) closed and {} junction(s) out of service: {} junction(s) fall below {} m, {} lose pressure",
            self.scenario.closed_links.len(),
            self.scenario.out_of_service.len(),
            i.newly_low.len(),
            self.floor_m,
            i.drops.len()
        );
        if let Some(l) = &i.lowest {
            println!(
                "lowest pressure in service: {:.2} m at {} ({}; normally {:.2} m)",
                l.after_m,
                cim_core::message::clip(&l.node, 30),
                clock(l.time_s),
                l.base_m
            );
        }
        for c in i.drops.iter().take(10) {
            println!(
                "  {:<12} {:>8.2} m → {:>8.2} m  (−{:.2} m at {})",
                cim_core::message::clip(&c.node, 12),
                c.base_m,
                c.after_m,
                c.drop_m(),
                clock(c.time_s)
            );
        }
        print_warnings(&self.warnings, &self.edits);
    }
}

fn check(path: &Path, json: bool) -> Result<ExitCode> {
    let net = cim_loaders::pipes::inp::read_parts(path).map_err(|e| anyhow!(e))?;
    let report = connectivity::check(&net, &Adjacency::new(&net));
    let ids = |v: &[u32]| {
        v.iter()
            .map(|&n| net.nodes[n as usize].id.clone())
            .collect::<Vec<_>>()
    };
    if json {
        let out = json!({
            "nodes": net.nodes.len(),
            "links": net.links.len(),
            "islands": report.islands.iter().map(|i| ids(i)).collect::<Vec<_>>(),
            "unconnected": ids(&report.unconnected),
            "dead_ends": ids(&report.dead_ends),
        });
        println!("{out}");
    } else {
        println!("{} nodes, {} links", net.nodes.len(), net.links.len());
        match cim_loaders::pipes::inp::disconnected(&net, &report) {
            Some(d) => println!("{d}"),
            None => println!("connected: every node is reached by a reservoir or tank"),
        }
        println!("{} dead end(s)", report.dead_ends.len());
    }
    let whole = report.islands.is_empty() && report.unconnected.is_empty();
    Ok(if whole {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn trace_from(
    path: &Path,
    node: &str,
    direction: TraceDirection,
    time: Option<u64>,
    json: bool,
) -> Result<ExitCode> {
    let net = read(path)?;
    let start = net
        .node(node)
        .with_context(|| missing(path, "node", node))?;
    let sim = cim_hydraulics::simulate(path)?;
    let period = match time {
        None => sim.periods.first(),
        Some(t) => sim.periods.iter().find(|p| p.time_s == t),
    };
    let Some(period) = period else {
        let times: Vec<String> = sim
            .periods
            .iter()
            .take(10)
            .map(|p| p.time_s.to_string())
            .collect();
        bail!(
            "--time: no reporting step at {} s (steps: {} …)",
            time.unwrap_or(0),
            times.join(", ")
        );
    };
    // Flows by the network's link order.
    let mut flows = vec![0.0; net.links.len()];
    for (i, id) in sim.link_ids.iter().enumerate() {
        if let Some(l) = net.link(id) {
            flows[l as usize] = period.flow_lps[i];
        }
    }
    let dir = match direction {
        TraceDirection::Up => Direction::Upstream,
        TraceDirection::Down => Direction::Downstream,
    };
    let t = trace(&net, &Adjacency::new(&net), start, Some(&flows), dir);
    let nodes: Vec<&str> = t
        .nodes
        .iter()
        .map(|&n| net.nodes[n as usize].id.as_str())
        .collect();
    let links: Vec<&str> = t
        .links
        .iter()
        .map(|&l| net.links[l as usize].id.as_str())
        .collect();
    if json {
        println!(
            "{}",
            json!({"time_s": period.time_s, "nodes": nodes, "links": links})
        );
    } else {
        println!(
            "at {} s, {} of {node}: {} node(s), {} link(s)\nnodes: {}",
            period.time_s,
            if dir == Direction::Upstream {
                "upstream"
            } else {
                "downstream"
            },
            nodes.len(),
            links.len(),
            nodes.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A line layer joined into a network: what the build did and what it
/// left (components, dead ends, gaps).
fn check_lines(path: &Path, snap: f64, gap: f64, json: bool) -> Result<ExitCode> {
    use cim_core::pipes::topology::build;
    if !(snap >= 0.0 && gap >= snap) {
        bail!("--snap must be ≥ 0 and --gap ≥ --snap");
    }
    let planar = crate::pipe_corridor::planar_layers(&[path.to_path_buf()])?;
    let work = planar.work;
    let v = &planar.layers[0].1;
    let pipes = crate::pipe_gis::line_pipes(v);
    let t = build(&pipes, snap, gap);
    let net = &t.network;
    let report = connectivity::check(net, &Adjacency::new(net));
    let components = report.islands.len();
    let largest = report.islands.first().map_or(0, Vec::len);
    if json {
        let gaps: Vec<_> = t
            .gaps
            .iter()
            .map(|g| {
                let p = net.nodes[g.node as usize].position.unwrap_or_default();
                json!({"x": p.x, "y": p.y, "to_x": g.nearest.x, "to_y": g.nearest.y, "distance_m": g.distance_m})
            })
            .collect();
        let out = json!({
            "crs": work.label(),
            "pipes": pipes.len(),
            "nodes": net.nodes.len(),
            "links": net.links.len(),
            "snapped_ends": t.snapped_ends,
            "split_pipes": t.splits,
            "skipped": t.skipped,
            "components": components,
            "largest_component_nodes": largest,
            "dead_ends": report.dead_ends.len(),
            "gaps": gaps,
        });
        println!("{out}");
    } else {
        println!(
            "{} pipes → {} nodes, {} links ({} ends snapped within {snap} m, {} pipes split at T-junctions; coordinates in {})",
            pipes.len(),
            net.nodes.len(),
            net.links.len(),
            t.snapped_ends,
            t.splits,
            work.label()
        );
        println!(
            "{components} connected component(s), the largest {largest} nodes; {} dead ends",
            report.dead_ends.len()
        );
        println!("{} gap(s) under {gap} m:", t.gaps.len());
        for g in t.gaps.iter().take(20) {
            let p = net.nodes[g.node as usize].position.unwrap_or_default();
            println!(
                "  ({:.2}, {:.2}) is {:.2} m from ({:.2}, {:.2})",
                p.x, p.y, g.distance_m, g.nearest.x, g.nearest.y
            );
        }
    }
    Ok(if components <= 1 && t.gaps.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
