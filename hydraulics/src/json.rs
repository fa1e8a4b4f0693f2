//! Results as `cim pipe simulate --json` prints them:
//!
//! ```json
//! {"units":"SI","periods":[{"time_s":0,
//!   "nodes":{"ID":{"head_m":…,"pressure_m":…,"demand_lps":…}},
//!   "links":{"ID":{"flow_lps":…,"velocity_ms":…,"status":"OPEN"}}}]}
//! ```
//!
//! Written as it goes (a 100 000-node network over a day is hundreds of
//! megabytes of text), numbers in Rust's shortest round-trip form.

use crate::Simulation;
use std::io::{self, Write};

/// Writes the simulation as JSON.
pub fn write(sim: &Simulation, mut w: impl Write) -> io::Result<()> {
    let node_ids: Vec<String> = sim.node_ids.iter().map(|s| quoted(s)).collect();
    let link_ids: Vec<String> = sim.link_ids.iter().map(|s| quoted(s)).collect();
    write!(w, "{{\"units\":\"SI\",\"periods\":[")?;
    for (i, p) in sim.periods.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write!(w, "{{\"time_s\":{},\"nodes\":{{", p.time_s)?;
        for (n, id) in node_ids.iter().enumerate() {
            if n > 0 {
                w.write_all(b",")?;
            }
            write!(
                w,
                "{id}:{{\"head_m\":{},\"pressure_m\":{},\"demand_lps\":{}}}",
                number(p.head_m[n]),
                number(p.pressure_m[n]),
                number(p.demand_lps[n])
            )?;
        }
        w.write_all(b"},\"links\":{")?;
        for (l, id) in link_ids.iter().enumerate() {
            if l > 0 {
                w.write_all(b",")?;
            }
            write!(
                w,
                "{id}:{{\"flow_lps\":{},\"velocity_ms\":{},\"status\":\"{}\"}}",
                number(p.flow_lps[l]),
                number(p.velocity_ms[l]),
                p.status[l].name()
            )?;
        }
        w.write_all(b"}}")?;
    }
    w.write_all(b"]}\n")
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A JSON number; NaN and infinities (which EPANET should never give) as
/// null.
fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}
