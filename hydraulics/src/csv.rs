//! Results as one CSV table in long form, a row per element per reporting
//! step — what spreadsheets and pandas read directly:
//!
//! ```text
//! time_s,element,id,head_m,pressure_m,demand_lps,flow_lps,velocity_ms,status
//! 0,node,J1,102.4,22.4,1.5,,,
//! 0,link,P1,,,,12.3,0.97,OPEN
//! ```
//!
//! Node rows leave the link columns empty and the other way round. IDs are
//! quoted as RFC 4180 asks when they hold a comma, quote or line break.
//! Written as it goes, like `json`.

use crate::Simulation;
use std::io::{self, Write};

pub const HEADER: &str =
    "time_s,element,id,head_m,pressure_m,demand_lps,flow_lps,velocity_ms,status";

/// An RFC 4180 field.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number, empty when not finite.
fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// Writes every step of `sim`.
pub fn write(sim: &Simulation, mut w: impl Write) -> io::Result<()> {
    let nodes: Vec<String> = sim.node_ids.iter().map(|s| field(s)).collect();
    let links: Vec<String> = sim.link_ids.iter().map(|s| field(s)).collect();
    writeln!(w, "{HEADER}")?;
    for p in &sim.periods {
        for (n, id) in nodes.iter().enumerate() {
            writeln!(
                w,
                "{},node,{id},{},{},{},,,",
                p.time_s,
                number(p.head_m[n]),
                number(p.pressure_m[n]),
                number(p.demand_lps[n])
            )?;
        }
        for (l, id) in links.iter().enumerate() {
            writeln!(
                w,
                "{},link,{id},,,,{},{},{}",
                p.time_s,
                number(p.flow_lps[l]),
                number(p.velocity_ms[l]),
                p.status[l].name()
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkState, Period};

    #[test]
    fn rows_per_element_and_step_with_quoted_ids() {
        let sim = Simulation {
            node_ids: vec!["J,1".into()],
            link_ids: vec!["P\"1".into()],
            periods: vec![Period {
                time_s: 3600,
                head_m: vec![10.5],
                pressure_m: vec![2.5],
                demand_lps: vec![f64::NAN],
                flow_lps: vec![-1.25],
                velocity_ms: vec![0.5],
                status: vec![LinkState::Closed],
            }],
            ..Simulation::default()
        };
        let mut out = Vec::new();
        write(&sim, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{HEADER}\n3600,node,\"J,1\",10.5,2.5,,,,\n3600,link,\"P\"\"1\",,,,-1.25,0.5,CLOSED\n"
            )
        );
    }
}
