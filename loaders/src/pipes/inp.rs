//! EPANET 2.2/2.3 input files (`.inp`): the network — junctions, reservoirs,
//! tanks, pipes, pumps, valves with their demands, statuses, coordinates and
//! vertices — in SI units (`cim_core::pipes`), checked as EPANET checks it
//! and more: every error names the line.
//!
//! The sections that drive a simulation but not the network's shape
//! (patterns, curves, controls, rules, energy, quality, times, report) are
//! recognised and left to EPANET itself, which reads the same file when it
//! simulates (`cim-hydraulics`). Like EPANET, sections may come in any order:
//! the lines are split into sections first, then read nodes before links
//! before what refers to them. Format: EPANET 2.2 Users Manual, Appendix C
//! ("Command Line EPANET", the input file format).

use crate::LoadError;
use cim_core::DVec2;
use cim_core::pipes::connectivity::{self, Connectivity};
use cim_core::pipes::graph::Adjacency;
use cim_core::pipes::{
    FlowUnits, Link, LinkKind, LinkStatus, Network, NetworkError, Node, NodeKind, ValveType,
};
use std::collections::HashSet;
use std::path::Path;

const FORMAT: &str = "EPANET .inp";
/// Largest input file read (a 1 M-node network is about 150 MB).
pub const MAX_BYTES: u64 = 2 << 30;
/// `.inp` bytes → memory while a network is read: the text (1×), a
/// 24-byte record per line (about 1×), the network — each node and link an
/// ID twice (in its record and the index) and f64 fields, about 100 bytes
/// where the file spends 20 (5×). Measured: 7.1× (465 MB above the
/// process's own) for a generated 65 MB file of a million junctions and
/// pipes with coordinates.
pub const INP_FACTOR: f64 = 8.0;
/// EPANET's longest ID (`MAXID`).
pub const MAX_ID_CHARS: usize = 31;

/// Every section EPANET 2.3 reads.
const SECTIONS: &[&str] = &[
    "TITLE",
    "JUNCTIONS",
    "RESERVOIRS",
    "TANKS",
    "PIPES",
    "PUMPS",
    "VALVES",
    "CONTROLS",
    "RULES",
    "DEMANDS",
    "SOURCES",
    "EMITTERS",
    "PATTERNS",
    "CURVES",
    "QUALITY",
    "STATUS",
    "ROUGHNESS",
    "ENERGY",
    "REACTIONS",
    "MIXING",
    "REPORT",
    "TIMES",
    "OPTIONS",
    "COORDINATES",
    "VERTICES",
    "LABELS",
    "BACKDROP",
    "TAGS",
    "LEAKAGE",
];

/// One data line of a section, as stored between the phases: its text is
/// split into tokens only when a phase reads it (holding every line's
/// tokens at once took ten times the file's size).
struct Stored<'a> {
    section: &'static str,
    number: u32,
    text: &'a str,
}

impl<'a> Stored<'a> {
    fn line(&self) -> Line<'a> {
        Line {
            section: self.section,
            number: self.number,
            tokens: if self.section == "TITLE" {
                vec![self.text]
            } else {
                tokenize(self.text)
            },
        }
    }
}

/// One data line: its section, number and tokens.
struct Line<'a> {
    section: &'static str,
    number: u32,
    tokens: Vec<&'a str>,
}

/// Reads an EPANET input file into a network. The network must be whole:
/// every node linked, every group of nodes reached by a reservoir or tank.
pub fn read(path: &Path) -> Result<Network, LoadError> {
    let net = read_parts(path)?;
    let report = connectivity::check(&net, &Adjacency::new(&net));
    match disconnected(&net, &report) {
        None => Ok(net),
        Some(detail) => Err(invalid(path, detail)),
    }
}

/// Reads an EPANET input file whether or not its network is whole (for
/// `cim pipe check`, which lists the pieces).
pub fn read_parts(path: &Path) -> Result<Network, LoadError> {
    let bytes = crate::read_file_limited(path, MAX_BYTES, INP_FACTOR)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        invalid(path, format!("line {line}: not UTF-8 text"))
    })?;
    parse(text).map_err(|e| invalid(path, e))
}

fn invalid(path: &Path, detail: String) -> LoadError {
    LoadError::Invalid {
        path: path.to_path_buf(),
        format: FORMAT,
        detail,
    }
}

/// Parses the text of an input file; errors are `line N: what`.
pub fn parse(text: &str) -> Result<Network, String> {
    let lines = split(text)?;
    let mut reader = Reader {
        net: Network::default(),
        units: FlowUnits::Gpm,
        demands_replaced: HashSet::new(),
    };
    reader.net.title = title(&lines);
    // Phases as EPANET's second pass needs them: units first (every value
    // depends on them), nodes before the links that join them, both before
    // the sections that refer to either.
    let phase = |sections: &'static [&'static str]| phase(&lines, sections);
    for l in phase(&["OPTIONS"]) {
        reader.option(&l)?;
    }
    reader.net.flow_units = Some(reader.units);
    for l in phase(&["JUNCTIONS", "RESERVOIRS", "TANKS"]) {
        reader.node(&l)?;
    }
    for l in phase(&["PIPES", "PUMPS", "VALVES"]) {
        match l.section {
            "PIPES" => reader.pipe(&l)?,
            "PUMPS" => reader.pump(&l)?,
            _ => reader.valve(&l)?,
        }
    }
    const REFER: &[&str] = &[
        "DEMANDS",
        "STATUS",
        "COORDINATES",
        "VERTICES",
        "EMITTERS",
        "QUALITY",
        "SOURCES",
        "MIXING",
        "LEAKAGE",
        "ROUGHNESS",
    ];
    for l in phase(REFER) {
        match l.section {
            "DEMANDS" => reader.demand(&l)?,
            "STATUS" => reader.status(&l)?,
            "COORDINATES" => reader.coordinate(&l)?,
            "VERTICES" => reader.vertex(&l)?,
            "MIXING" => reader.names_node(&l, true)?,
            "LEAKAGE" | "ROUGHNESS" => reader.names_link(&l)?,
            _ => reader.names_node(&l, false)?,
        }
    }
    Ok(reader.net)
}

/// The message for a network that is not whole, naming each piece's line.
pub fn disconnected(net: &Network, report: &Connectivity) -> Option<String> {
    let mut out = Vec::new();
    if let Some(&n) = report.unconnected.first() {
        out.push(format!(
            "{} has no links ({} such node(s))",
            net.node_place(n),
            report.unconnected.len()
        ));
    }
    for island in report.islands.iter().take(5) {
        out.push(format!(
            "{} and {} other node(s) joined to it are reached by no reservoir or tank",
            net.node_place(island[0]),
            island.len() - 1
        ));
    }
    if report.islands.len() > 5 {
        out.push(format!("{} more such groups", report.islands.len() - 5));
    }
    (!out.is_empty()).then(|| format!("network is disconnected: {}", out.join("; ")))
}

/// The lines of `sections`, in file order, split into tokens one at a time.
fn phase<'a, 'b>(
    lines: &'b [Stored<'a>],
    sections: &'b [&'b str],
) -> impl Iterator<Item = Line<'a>> + 'b {
    lines
        .iter()
        .filter(move |l| sections.contains(&l.section))
        .map(Stored::line)
}

fn split(text: &str) -> Result<Vec<Stored<'_>>, String> {
    let mut section: Option<&'static str> = None;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i as u32 + 1;
        let content = raw.split(';').next().unwrap_or("").trim();
        let content = content.strip_prefix('\u{feff}').unwrap_or(content);
        if content.is_empty() {
            continue;
        }
        if content.starts_with('[') {
            let name = content
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_uppercase();
            if name == "END" {
                break;
            }
            section = Some(
                SECTIONS
                    .iter()
                    .find(|s| **s == name)
                    .copied()
                    .ok_or_else(|| {
                        format!("line {number}: unknown section `{}`", quote(content))
                    })?,
            );
            continue;
        }
        let Some(section) = section else {
            return Err(format!(
                "line {number}: data before the first [SECTION] heading"
            ));
        };
        out.push(Stored {
            section,
            number,
            text: content,
        });
    }
    Ok(out)
}

/// Splits on white space; a double-quoted token may hold spaces.
fn tokenize(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let (token, after) = match rest.strip_prefix('"') {
            Some(q) => match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            },
            None => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        out.push(token);
        rest = after.trim_start();
    }
    out
}

fn title(lines: &[Stored]) -> String {
    lines
        .iter()
        .filter(|l| l.section == "TITLE")
        .map(|l| l.text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn quote(s: &str) -> String {
    cim_core::message::clip(s, 60).into_owned()
}

struct Reader {
    net: Network,
    units: FlowUnits,
    /// Junctions whose [JUNCTIONS] demand a [DEMANDS] line has replaced.
    demands_replaced: HashSet<u32>,
}

impl Reader {
    fn option(&mut self, l: &Line) -> Result<(), String> {
        if l.tokens[0].eq_ignore_ascii_case("UNITS") {
            let value = field(l, 1, "units")?;
            self.units = FlowUnits::parse(value).ok_or_else(|| {
                format!("line {}: unknown flow units `{}`", l.number, quote(value))
            })?;
        }
        Ok(())
    }

    fn node(&mut self, l: &Line) -> Result<(), String> {
        let id = id(l, 0)?;
        let kind = match l.section {
            "JUNCTIONS" => NodeKind::Junction,
            "RESERVOIRS" => NodeKind::Reservoir,
            _ => NodeKind::Tank,
        };
        let elevation = number(l, 1, "elevation")?;
        let demand = match kind {
            NodeKind::Junction => optional_number(l, 2, "demand")?.unwrap_or(0.0),
            _ => 0.0,
        };
        if kind == NodeKind::Tank {
            // Initial, minimum and maximum level, diameter, minimum volume.
            for (i, what) in [
                "initial level",
                "minimum level",
                "maximum level",
                "diameter",
            ]
            .iter()
            .enumerate()
            {
                number(l, 2 + i, what)?;
            }
            optional_number(l, 6, "minimum volume")?;
        }
        self.net
            .add_node(Node {
                id: id.to_string(),
                kind,
                elevation_m: elevation * self.units.length_m(),
                base_demand_lps: demand * self.units.to_lps(),
                position: None,
                source_line: Some(l.number),
            })
            .map(drop)
            .map_err(|e| at(l, e))
    }

    fn pipe(&mut self, l: &Line) -> Result<(), String> {
        let length = positive(l, 3, "length")?;
        let diameter = positive(l, 4, "diameter")?;
        positive(l, 5, "roughness")?;
        optional_number(l, 6, "minor loss")?;
        let status = match l.tokens.get(7) {
            None => LinkStatus::Open,
            Some(s) => parse_status(s)
                .ok_or_else(|| format!("line {}: unknown pipe status `{}`", l.number, quote(s)))?,
        };
        let (units, line) = (self.units, l.number);
        self.add_link(l, |from, to, id| Link {
            id,
            kind: LinkKind::Pipe,
            from,
            to,
            length_m: length * units.length_m(),
            diameter_mm: diameter * units.diameter_mm(),
            initial_status: status,
            vertices: Vec::new(),
            source_line: Some(line),
        })
    }

    fn pump(&mut self, l: &Line) -> Result<(), String> {
        let params = &l.tokens[3.min(l.tokens.len())..];
        if params.is_empty() {
            return Err(format!(
                "line {}: pump has neither HEAD curve nor POWER",
                l.number
            ));
        }
        for pair in params.chunks(2) {
            let key = pair[0].to_ascii_uppercase();
            let Some(value) = pair.get(1) else {
                return Err(format!(
                    "line {}: `{}` without a value",
                    l.number,
                    quote(pair[0])
                ));
            };
            match key.as_str() {
                "HEAD" | "PATTERN" => {}
                "POWER" | "SPEED" => {
                    parse_number(value).ok_or_else(|| bad_number(l, value, &key))?;
                }
                _ => {
                    return Err(format!(
                        "line {}: unknown pump keyword `{}`",
                        l.number,
                        quote(pair[0])
                    ));
                }
            }
        }
        let line = l.number;
        self.add_link(l, |from, to, id| Link {
            id,
            kind: LinkKind::Pump,
            from,
            to,
            length_m: 0.0,
            diameter_mm: 0.0,
            initial_status: LinkStatus::Open,
            vertices: Vec::new(),
            source_line: Some(line),
        })
    }

    fn valve(&mut self, l: &Line) -> Result<(), String> {
        let diameter = positive(l, 3, "diameter")?;
        let kind = field(l, 4, "valve type")?;
        let kind = ValveType::parse(kind)
            .ok_or_else(|| format!("line {}: unknown valve type `{}`", l.number, quote(kind)))?;
        let setting = field(l, 5, "setting")?;
        if !matches!(kind, ValveType::Gpv) {
            parse_number(setting).ok_or_else(|| bad_number(l, setting, "setting"))?;
        }
        optional_number(l, 6, "minor loss")?;
        let (units, line) = (self.units, l.number);
        self.add_link(l, |from, to, id| Link {
            id,
            kind: LinkKind::Valve(kind),
            from,
            to,
            length_m: 0.0,
            diameter_mm: diameter * units.diameter_mm(),
            initial_status: LinkStatus::Open,
            vertices: Vec::new(),
            source_line: Some(line),
        })
    }

    fn add_link(
        &mut self,
        l: &Line,
        make: impl FnOnce(u32, u32, String) -> Link,
    ) -> Result<(), String> {
        let link = id(l, 0)?.to_string();
        let (from, to) = (id(l, 1)?, id(l, 2)?);
        let owned = link.clone();
        self.net
            .add_link(&link, from, to, |a, b| make(a, b, owned))
            .map(drop)
            .map_err(|e| at(l, e))
    }

    fn demand(&mut self, l: &Line) -> Result<(), String> {
        let node = self.existing_node(l, 0)?;
        if self.net.nodes[node as usize].kind != NodeKind::Junction {
            return Err(format!(
                "line {}: demand for `{}`, which is not a junction",
                l.number,
                quote(l.tokens[0])
            ));
        }
        let demand = number(l, 1, "demand")? * self.units.to_lps();
        let n = &mut self.net.nodes[node as usize];
        // EPANET: a junction's first [DEMANDS] line replaces its [JUNCTIONS]
        // demand; later ones add categories.
        if self.demands_replaced.insert(node) {
            n.base_demand_lps = 0.0;
        }
        n.base_demand_lps += demand;
        Ok(())
    }

    fn status(&mut self, l: &Line) -> Result<(), String> {
        let link = self.existing_link(l, 0)?;
        let value = field(l, 1, "status or setting")?;
        let k = &mut self.net.links[link as usize];
        match parse_status(value) {
            Some(LinkStatus::CheckValve) | None => {
                parse_number(value).ok_or_else(|| {
                    format!(
                        "line {}: `{}` is neither OPEN, CLOSED nor a setting",
                        l.number,
                        quote(value)
                    )
                })?;
                // A setting: a pump's speed (0 closes it), a valve's.
                if k.kind == LinkKind::Pump && parse_number(value) == Some(0.0) {
                    k.initial_status = LinkStatus::Closed;
                }
            }
            Some(s) => {
                if k.kind == LinkKind::Pipe && k.initial_status == LinkStatus::CheckValve {
                    return Err(format!(
                        "line {}: pipe `{}` has a check valve; its status cannot be set",
                        l.number,
                        quote(&k.id)
                    ));
                }
                k.initial_status = s;
            }
        }
        Ok(())
    }

    fn coordinate(&mut self, l: &Line) -> Result<(), String> {
        let node = self.existing_node(l, 0)?;
        let p = DVec2::new(number(l, 1, "x")?, number(l, 2, "y")?);
        self.net.nodes[node as usize].position = Some(p);
        Ok(())
    }

    fn vertex(&mut self, l: &Line) -> Result<(), String> {
        let link = self.existing_link(l, 0)?;
        let p = DVec2::new(number(l, 1, "x")?, number(l, 2, "y")?);
        self.net.links[link as usize].vertices.push(p);
        Ok(())
    }

    fn names_node(&mut self, l: &Line, tank: bool) -> Result<(), String> {
        let node = self.existing_node(l, 0)?;
        if tank && self.net.nodes[node as usize].kind != NodeKind::Tank {
            return Err(format!(
                "line {}: `{}` is not a tank",
                l.number,
                quote(l.tokens[0])
            ));
        }
        Ok(())
    }

    fn names_link(&mut self, l: &Line) -> Result<(), String> {
        self.existing_link(l, 0).map(drop)
    }

    fn existing_node(&self, l: &Line, i: usize) -> Result<u32, String> {
        let name = id(l, i)?;
        self.net
            .node(name)
            .ok_or_else(|| format!("line {}: node `{}` is not defined", l.number, quote(name)))
    }

    fn existing_link(&self, l: &Line, i: usize) -> Result<u32, String> {
        let name = id(l, i)?;
        self.net
            .link(name)
            .ok_or_else(|| format!("line {}: link `{}` is not defined", l.number, quote(name)))
    }
}

fn at(l: &Line, e: NetworkError) -> String {
    format!("line {}: {e}", l.number)
}

fn parse_status(s: &str) -> Option<LinkStatus> {
    Some(match s.to_ascii_uppercase().as_str() {
        "OPEN" => LinkStatus::Open,
        "CLOSED" => LinkStatus::Closed,
        "CV" => LinkStatus::CheckValve,
        _ => return None,
    })
}

fn field<'a>(l: &Line<'a>, i: usize, what: &str) -> Result<&'a str, String> {
    l.tokens
        .get(i)
        .copied()
        .ok_or_else(|| format!("line {}: {what} missing", l.number))
}

fn id<'a>(l: &Line<'a>, i: usize) -> Result<&'a str, String> {
    let s = field(l, i, "ID")?;
    if s.chars().count() > MAX_ID_CHARS {
        return Err(format!(
            "line {}: ID `{}` is longer than {MAX_ID_CHARS} characters",
            l.number,
            quote(s)
        ));
    }
    Ok(s)
}

/// A finite number as EPANET writes them (`12`, `-0.5`, `1e3`).
fn parse_number(s: &str) -> Option<f64> {
    let looks_numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    s.parse::<f64>()
        .ok()
        .filter(|v| looks_numeric && v.is_finite())
}

fn bad_number(l: &Line, s: &str, what: &str) -> String {
    format!("line {}: {what} `{}` is not a number", l.number, quote(s))
}

fn number(l: &Line, i: usize, what: &str) -> Result<f64, String> {
    let s = field(l, i, what)?;
    parse_number(s).ok_or_else(|| bad_number(l, s, what))
}

fn optional_number(l: &Line, i: usize, what: &str) -> Result<Option<f64>, String> {
    match l.tokens.get(i) {
        None => Ok(None),
        Some(s) => parse_number(s)
            .map(Some)
            .ok_or_else(|| bad_number(l, s, what)),
    }
}

fn positive(l: &Line, i: usize, what: &str) -> Result<f64, String> {
    let v = number(l, i, what)?;
    if v <= 0.0 {
        return Err(format!(
            "line {}: {what} must be positive, not {v}",
            l.number
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "[TITLE]\nSmall\n[OPTIONS]\nUnits LPS\n\
        [RESERVOIRS]\nR 50\n[JUNCTIONS]\n;ID Elev Demand\nA 10 2\nB 12 3 ; comment\n\
        [PIPES]\nP1 R A 100 200 130\nP2 A B 50 150 130 0 CV\n\
        [DEMANDS]\nB 1\nB 0.5\n[COORDINATES]\nA 1 2\n[VERTICES]\nP1 0.5 1\n[END]\nignored";

    #[test]
    fn reads_nodes_links_and_demands() {
        let net = parse(SMALL).unwrap();
        assert_eq!(net.title, "Small");
        assert_eq!(net.nodes.len(), 3);
        let b = &net.nodes[net.node("B").unwrap() as usize];
        // The first [DEMANDS] line replaces the junction's demand.
        assert_eq!(b.base_demand_lps, 1.5);
        let p2 = &net.links[net.link("P2").unwrap() as usize];
        assert_eq!(p2.initial_status, LinkStatus::CheckValve);
        assert_eq!(net.nodes[1].position, Some(DVec2::new(1.0, 2.0)));
        assert_eq!(net.links[0].vertices, vec![DVec2::new(0.5, 1.0)]);
    }

    #[test]
    fn us_units_become_si() {
        let net =
            parse("[JUNCTIONS]\nA 100 10\n[RESERVOIRS]\nR 0\n[PIPES]\nP R A 1000 12 100").unwrap();
        let a = &net.nodes[0];
        assert!((a.elevation_m - 30.48).abs() < 1e-12);
        assert!((a.base_demand_lps - 0.630_901_96).abs() < 1e-8);
        assert!((net.links[0].diameter_mm - 304.8).abs() < 1e-12);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[JUNK]\n", "line 1: unknown section"),
            ("A 1\n", "line 1: data before"),
            (
                "[JUNCTIONS]\nA ten\n",
                "line 2: elevation `ten` is not a number",
            ),
            ("[JUNCTIONS]\nA 1e999\n", "line 2: elevation"),
            (
                "[JUNCTIONS]\nA 1\nA 2\n",
                "line 3: node `A` is defined twice",
            ),
            (
                "[JUNCTIONS]\nA 1\n[PIPES]\nP A Z 1 1 1\n",
                "line 4: link `P` names node `Z`",
            ),
            (
                "[JUNCTIONS]\nA 1\nB 1\n[PIPES]\nP A B -1 1 1\n",
                "line 5: length must be positive",
            ),
            ("[COORDINATES]\nQ 1 2\n", "line 2: node `Q` is not defined"),
            ("[OPTIONS]\nUNITS XYZ\n", "line 2: unknown flow units"),
            (
                "[JUNCTIONS]\nA 1\nB 1\n[VALVES]\nV A B 1 XXV 1\n",
                "line 5: unknown valve type",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_disconnected_network_names_a_node_line() {
        let text = "[RESERVOIRS]\nR 1\n[JUNCTIONS]\nA 1\nB 1\nC 1\nD 1\n\
                    [PIPES]\nP1 R A 1 1 1\nP2 B C 1 1 1\n";
        let net = parse(text).unwrap();
        let report = connectivity::check(&net, &Adjacency::new(&net));
        let msg = disconnected(&net, &report).unwrap();
        assert!(msg.contains("line 7: junction `D` has no links"), "{msg}");
        assert!(
            msg.contains("line 5: junction `B` and 1 other node(s) joined to it are reached by no reservoir or tank"),
            "{msg}"
        );
    }
}
