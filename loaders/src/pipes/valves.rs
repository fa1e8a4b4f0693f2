//! Isolation valve layers: where a network's shut-off valves are, as a CSV
//! table with a header naming at least the columns `link` and `node` (the
//! valve sits on that link next to that node) and optionally `id` — the
//! layout of WNTR's valve layers (`wntr.network.generate_valve_layer`).
//! EPANET files carry only control valves, so real isolation valves come
//! from the utility's GIS as such a table.

use crate::LoadError;
use cim_core::pipes::Network;
use cim_core::pipes::isolation::IsolationValve;
use std::path::Path;

const FORMAT: &str = "valve layer (CSV)";

/// Reads a valve layer for `net`.
pub fn read(path: &Path, net: &Network) -> Result<Vec<IsolationValve>, LoadError> {
    let bytes = crate::read_file_limited(path, super::inp::MAX_BYTES, super::inp::INP_FACTOR)?;
    let invalid = |detail: String| LoadError::Invalid {
        path: path.to_path_buf(),
        format: FORMAT,
        detail,
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid("not UTF-8 text".into()))?;
    parse(text, net).map_err(invalid)
}

/// Parses a valve table; errors are `line N: what`.
///
/// ```
/// # use cim_core::pipes::{Network, Node, NodeKind, Link, LinkKind, LinkStatus};
/// # let mut net = Network::default();
/// # for id in ["A", "B"] {
/// #     net.add_node(Node { id: id.into(), kind: NodeKind::Junction, elevation_m: 0.0,
/// #         base_demand_lps: 0.0, position: None, source_line: None }).unwrap();
/// # }
/// # net.add_link("P", "A", "B", |from, to| Link { id: "P".into(), kind: LinkKind::Pipe, from, to,
/// #     length_m: 1.0, diameter_mm: 100.0, initial_status: LinkStatus::Open,
/// #     vertices: vec![], source_line: None }).unwrap();
/// use cim_loaders::pipes::valves::parse;
/// let v = parse("id,link,node\nV1,P,B\n", &net).unwrap();
/// assert_eq!((v[0].id.as_str(), v[0].link, v[0].node), ("V1", 0, 1));
/// assert!(parse("link,node\nP,Q\n", &net).unwrap_err().starts_with("line 2:"));
/// ```
pub fn parse(text: &str, net: &Network) -> Result<Vec<IsolationValve>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.is_empty());
    let (_, header) = lines.next().ok_or("empty file: no header")?;
    let columns: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let column = |name: &str| columns.iter().position(|c| c == name);
    let (Some(link_col), Some(node_col)) = (column("link"), column("node")) else {
        return Err(format!(
            "line 1: the header must name columns `link` and `node`, not `{}`",
            cim_core::message::clip(header, 80)
        ));
    };
    let id_col = column("id").or(column(""));
    let mut out = Vec::new();
    for (number, line) in lines {
        let cells: Vec<&str> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let show = |s: &str| cim_core::message::clip(s, 60).into_owned();
        let (link_id, node_id) = (cell(link_col), cell(node_col));
        let link = net.link(link_id).ok_or_else(|| {
            format!(
                "line {number}: link `{}` is not in the network",
                show(link_id)
            )
        })?;
        let node = net.node(node_id).ok_or_else(|| {
            format!(
                "line {number}: node `{}` is not in the network",
                show(node_id)
            )
        })?;
        let l = &net.links[link as usize];
        if node != l.from && node != l.to {
            return Err(format!(
                "line {number}: node `{}` is not an end of link `{}`",
                show(node_id),
                show(link_id)
            ));
        }
        let id = match id_col.map(cell) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => format!("V{}", out.len()),
        };
        out.push(IsolationValve { id, link, node });
    }
    Ok(out)
}
