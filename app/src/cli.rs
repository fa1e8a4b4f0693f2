//! The `cim` command line: viewer, snapshot, inspect, crs, bench, convert,
//! pipe.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// CIM Studio: a desktop digital-twin viewer for City Information Models.
///
/// With no subcommand, opens the viewer on the given scene documents
/// (*.cim.toml) or data files; with no argument at all, on the built-in
/// (synthetic) demo city.
#[derive(Parser, Debug)]
#[command(name = "cim", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Scene documents (*.cim.toml) or data files to open.
    pub inputs: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render a scene off-screen (no display needed) to a PNG.
    Snapshot(SnapshotArgs),
    /// Print what files hold: layers, CRS, feature counts, extents.
    Inspect(InspectArgs),
    /// Coordinate reference systems: transform points, describe a CRS.
    #[command(subcommand)]
    Crs(CrsCommand),
    /// Measure startup, settle and frame times off-screen; prints JSON.
    Bench(BenchArgs),
    /// Convert a dataset to another format (OSGB, IFC, CityGML → 3D Tiles).
    Convert(ConvertArgs),
    /// Pipe networks (EPANET .inp): simulate, isolate a burst, check, trace;
    /// utility corridors (GIS lines): clearance, cover, sections, digs.
    #[command(subcommand)]
    Pipe(PipeCommand),
    /// Urban flooding: run a 2D shallow-water scenario (rain, inflows) on a
    /// DEM.
    #[command(subcommand)]
    Flood(FloodCommand),
}

#[derive(Subcommand, Debug)]
pub enum FloodCommand {
    /// Runs a scenario file (TOML: grid, initial water, friction,
    /// boundary, rain, inflows, run) and writes `depth_<t>.asc` at each
    /// output time, `max_depth.asc`, `arrival_time.asc` (s, when the water
    /// first reached 5 cm), `max_velocity.asc` and `summary.json`.
    Run {
        /// The scenario (`*.toml`); its file paths are relative to it.
        scenario: PathBuf,
        /// The folder the results go to (made if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Solver throughput on a synthetic city dam break of about `--cells`
    /// cells (most of them wet and moving): cell-updates per second and
    /// the bytes each moves; prints a JSON line per backend.
    Bench {
        #[arg(long, default_value_t = 1_000_000)]
        cells: usize,
        /// Steps timed (after one untimed warm-up step).
        #[arg(long, default_value_t = 50)]
        steps: u64,
        /// Which solver: `cpu`, `gpu` (any adapter, lavapipe too) or `all`
        /// (the CPU, then the GPU when there is one).
        #[arg(long, value_enum, default_value_t = BenchBackend::All)]
        backend: BenchBackend,
    },
}

/// The solvers `cim flood bench` times.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchBackend {
    Cpu,
    Gpu,
    All,
}

#[derive(Subcommand, Debug)]
pub enum PipeCommand {
    /// Extended-period hydraulic simulation by EPANET 2.3: heads, pressures,
    /// demands, flows, velocities and statuses at every reporting step, in
    /// SI units.
    Simulate {
        /// The network: an EPANET input file (.inp).
        network: PathBuf,
        /// Print every value as JSON instead of a summary.
        #[arg(long)]
        json: bool,
        /// Also write every value to a CSV file, a row per node or link per
        /// step (`time_s,element,id,head_m,pressure_m,demand_lps,flow_lps,velocity_ms,status`).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Scenario: links (IDs, comma-separated or repeated) held closed
        /// for the whole run; the simple controls and rules that act on
        /// them are disabled (a shut valve is not reopened by a control).
        #[arg(long, value_delimiter = ',')]
        close: Vec<String>,
        /// Scenario: junctions (IDs) out of service, their demands and
        /// emitters set to zero.
        #[arg(long = "out-of-service", value_delimiter = ',')]
        out_of_service: Vec<String>,
    },
    /// The valves to close to isolate a broken link, and the nodes, links,
    /// demand and pipe length that lose supply.
    Isolate {
        /// The network: an EPANET input file (.inp), or a GIS line layer
        /// (shapefile, GeoJSON, GeoPackage) joined into one (its pipes'
        /// IDs from an `id`/`编号` field, else their feature index).
        network: PathBuf,
        /// The broken link's ID.
        #[arg(long)]
        link: String,
        /// Isolation valves. For an .inp: a CSV with columns `id`, `link`,
        /// `node` (the valve is on that link next to that node); without
        /// it, the network's own valves ([VALVES] links, each at its start
        /// node). For a line layer: a point layer of valves (阀门), each
        /// placed on the pipe nearest it within --valve-snap.
        #[arg(long)]
        valves: Option<PathBuf>,
        /// Line layers: water sources (水厂, 水源) as `x,y` in the layer's
        /// CRS, each at the nearest node; what they no longer reach loses
        /// supply. May be given more than once.
        #[arg(long = "source")]
        sources: Vec<String>,
        /// Hydrants (消火栓): a point layer; those on pipes the burst
        /// leaves dry (within 5 m) are listed as out of service. For an
        /// .inp, in the network's own coordinates.
        #[arg(long)]
        hydrants: Option<PathBuf>,
        /// Line layers: ends this close (metres) are joined.
        #[arg(long, default_value_t = 0.5)]
        snap: f64,
        /// Line layers: how far (metres) a valve point may lie from its pipe.
        #[arg(long, default_value_t = 2.0)]
        valve_snap: f64,
        /// A valve (by ID) that fails to close; the next ones are found.
        /// May be given more than once.
        #[arg(long = "failed-valve")]
        failed_valves: Vec<String>,
        /// .inp networks: simulate the network with the valves closed, the
        /// dry pipes shut and the isolated customers out of service, and
        /// compare with normal operation: the junctions whose pressure
        /// drops, and those pushed below --min-pressure.
        #[arg(long)]
        simulate: bool,
        /// The service pressure floor for --simulate, metres of head
        /// (14 m ≈ 0.14 MPa: 城镇供水服务 CJ/T 316 §3.3.1 asks no less at
        /// the far ends of a public supply network).
        #[arg(long, default_value_t = cim_hydraulics::scenario::SERVICE_FLOOR_M)]
        min_pressure: f64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Connectivity: node groups no reservoir or tank reaches, unconnected
    /// nodes, dead ends. Exit status 2 when the network is not whole.
    /// Also takes a GIS line layer (shapefile, GeoJSON, GeoPackage): its
    /// pipes are joined into a network — ends within `--snap` metres meet,
    /// an end on another pipe's middle splits it — and lone ends near other
    /// pipes are reported as gaps.
    Check {
        /// An EPANET file (.inp) or a line layer.
        network: PathBuf,
        /// Line layers: ends this close (metres) are joined.
        #[arg(long, default_value_t = 0.5)]
        snap: f64,
        /// Line layers: a lone end this close (metres) to another pipe is
        /// reported as a gap.
        #[arg(long, default_value_t = 5.0)]
        gap: f64,
        #[arg(long)]
        json: bool,
    },
    /// Nodes and links upstream or downstream of a node, by the simulated
    /// flows at a reporting time.
    Trace {
        network: PathBuf,
        /// The node to trace from.
        #[arg(long)]
        node: String,
        #[arg(long, value_enum)]
        direction: TraceDirection,
        /// Reporting time in seconds (default: the first).
        #[arg(long)]
        time: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Clearance and collision check between utility lines (管线碰撞 /
    /// 净距检查): horizontal clearance between lines side by side, vertical
    /// clearance where they cross, overlaps in 3D. Exit status 2 when
    /// anything is found.
    Clearance {
        #[command(flatten)]
        corridor: CorridorArgs,
        /// Segments within this angle (degrees) run side by side.
        #[arg(long, default_value_t = 30.0)]
        parallel_deg: f64,
        /// Also write the violations as GeoJSON points (in the lines' CRS).
        #[arg(long)]
        geojson: Option<PathBuf>,
    },
    /// Burial depth (覆土) against the rule table's minimum cover. Exit
    /// status 2 when a line is too shallow.
    Cover {
        #[command(flatten)]
        corridor: CorridorArgs,
        /// Where lines run whose data does not say (位置 / location).
        #[arg(long, value_enum, default_value_t = UnderArg::Roadway)]
        under: UnderArg,
        /// Sample spacing along the lines, metres.
        #[arg(long, default_value_t = 1.0)]
        step: f64,
    },
    /// A cross-section (横断面) or, with --corridor, a longitudinal profile
    /// (纵断面) along a drawn line: the lines it cuts or runs with, the
    /// ground, depths; drawn as SVG or PNG.
    Section {
        #[command(flatten)]
        corridor: CorridorArgs,
        /// The drawn line, `x,y x,y …` in the first layer's CRS.
        #[arg(long)]
        line: String,
        /// Lines within this many metres of the drawn line are unrolled
        /// along it (a longitudinal profile); 0: only lines cut.
        #[arg(long = "along", default_value_t = 0.0)]
        along_m: f64,
        /// Ground sample spacing, metres.
        #[arg(long, default_value_t = 0.5)]
        step: f64,
        /// Vertical exaggeration of the drawing.
        #[arg(long, default_value_t = 1.0)]
        exaggeration: f64,
        /// Write the drawing: .svg or .png.
        #[arg(long)]
        out: Option<PathBuf>,
        /// English labels (default Chinese).
        #[arg(long)]
        english: bool,
    },
    /// Excavation impact (开挖分析): the lines a dig inside a polygon, down
    /// to a depth, exposes or comes near. Exit status 2 when one is
    /// reached (or its depth is unknown).
    Dig {
        #[command(flatten)]
        corridor: CorridorArgs,
        /// The dig's outline, `x,y x,y …` in the first layer's CRS.
        #[arg(long)]
        polygon: String,
        /// Depth below the ground, metres.
        #[arg(long)]
        depth: Option<f64>,
        /// Or the bottom's elevation.
        #[arg(long)]
        bottom: Option<f64>,
        /// Safety margin, metres, sideways and downwards.
        #[arg(long, default_value_t = 0.5)]
        margin: f64,
        /// Sample spacing along the lines, metres.
        #[arg(long, default_value_t = 0.5)]
        step: f64,
    },
}

/// The line layers a corridor analysis reads, and how to read them.
#[derive(Args, Debug, Clone)]
pub struct CorridorArgs {
    /// Line layers (shapefile, GeoJSON, GeoPackage) of any utility, read by
    /// their survey fields (class 管线类别, size 管径, depths 起点埋深/终点埋深
    /// or elevations 起点高程/终点高程, ground 起点地面高程/终点地面高程,
    /// laying 埋设方式, gas pressure 压力; or English names) or geometry Z.
    #[arg(required = true)]
    pub layers: Vec<PathBuf>,
    /// The class of lines whose layer has none (water, drainage,
    /// reclaimed, gas, heat, power, telecom, or 给水, 污水 …); else the
    /// file name's.
    #[arg(long)]
    pub utility: Option<String>,
    /// A rule table (TOML, the form of the bundled GB 50289-2016 one);
    /// default: the bundled one.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// A DEM (GeoTIFF, ASCII grid): the ground for depths and cover.
    #[arg(long)]
    pub dem: Option<PathBuf>,
    /// Which point surveyed heights are at (default: invert for drainage,
    /// top for the rest, as CJJ 61 surveys them).
    #[arg(long, value_enum)]
    pub z_ref: Option<ZRefArg>,
    /// Depth (metres) of the surveyed point where a line records none.
    #[arg(long = "depth-default")]
    pub depth_m: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZRefArg {
    Centre,
    Top,
    Invert,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnderArg {
    /// 机动车道.
    Roadway,
    /// 人行道, 非机动车道, green.
    Other,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceDirection {
    /// Where the water comes from.
    Up,
    /// Where it goes.
    Down,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The dataset: an OSGB root folder (with metadata.xml and Data/), a
    /// Data/ folder, a folder of .osgb tiles, one .osgb file; an IFC model
    /// (.ifc, .ifczip); a CityGML file (.gml, .xml, gzipped).
    pub input: PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    pub to: ConvertTo,
    /// The folder to write into (made if missing).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertTo {
    /// OGC 3D Tiles 1.1: tileset.json and one .glb per tile.
    #[value(name = "3dtiles")]
    Tiles3d,
}

#[derive(Args, Debug, Clone)]
pub struct SnapshotArgs {
    /// Scene documents or data files; none means the demo city.
    pub inputs: Vec<PathBuf>,
    /// The PNG file to write.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1920)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1080)]
    pub height: u32,
    /// A named view (camera bookmark) of the scene, e.g. `overview`.
    #[arg(long)]
    pub view: Option<String>,
    /// Largest tile rendered at once (default 4096, at most the GPU's
    /// texture limit); larger images are rendered in tiles and stitched.
    #[arg(long)]
    pub tile_size: Option<u32>,
    /// Scene time, local `YYYY-MM-DDThh:mm` (sets the sun).
    #[arg(long)]
    pub time: Option<String>,
    /// Ground opacity from 0 to 1: below 1 the terrain and draped layers
    /// turn see-through so underground pipes show.
    #[arg(long)]
    pub ground_opacity: Option<f32>,
    /// Leave feature labels (`label_field`) out of the image.
    #[arg(long)]
    pub no_labels: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Files to inspect (data files or *.cim.toml scene documents).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// For 3D Tiles tilesets: read every content and count triangles,
    /// points, instances and features (and report each content that fails).
    #[arg(long)]
    pub deep: bool,
}

#[derive(Subcommand, Debug)]
pub enum CrsCommand {
    /// Read `x y [z]` lines from stdin, write transformed lines to stdout.
    Transform {
        /// Source CRS: EPSG code, PROJ string, WKT, GCJ02 or BD09.
        #[arg(long)]
        from: String,
        /// Target CRS.
        #[arg(long)]
        to: String,
    },
    /// Print a CRS's name, kind, units and area of use.
    Info {
        /// EPSG code, PROJ string, WKT, GCJ02 or BD09.
        crs: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Scene documents or data files; none means the demo city.
    pub inputs: Vec<PathBuf>,
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Frames to time once the scene has settled.
    #[arg(long, default_value_t = 30)]
    pub frames: u32,
    #[arg(long)]
    pub view: Option<String>,
    /// Fly a scripted camera path over the scene's extent while timing,
    /// one step a frame (else the camera stays at the first view).
    #[arg(long, value_enum)]
    pub path: Option<crate::headless::bench_path::CameraPath>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote file names and contents: bounded and escaped.
            eprintln!(
                "cim: error: {}",
                cim_core::message::lines(&format!("{e:#}"), 2000)
            );
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => crate::viewer::run(cli.inputs).map(|_| ExitCode::SUCCESS),
        Some(Command::Snapshot(args)) => crate::headless::snapshot::run_snapshot(args),
        Some(Command::Bench(args)) => crate::headless::bench_report::run_bench(args),
        Some(Command::Inspect(args)) => crate::inspect::run(&args.files, args.json, args.deep),
        Some(Command::Crs(cmd)) => run_crs(cmd),
        Some(Command::Convert(args)) => crate::convert::run(&args),
        Some(Command::Pipe(cmd)) => crate::pipe::run(cmd),
        Some(Command::Flood(cmd)) => crate::flood::run(cmd),
    }
}

fn run_crs(cmd: CrsCommand) -> Result<ExitCode> {
    use cim_core::crs::{CrsDef, crs_info};
    match cmd {
        CrsCommand::Info { crs } => {
            let def = CrsDef::parse(&crs).with_context(|| format!("invalid CRS `{crs}`"))?;
            let info = crs_info(&def).with_context(|| format!("cannot describe CRS `{crs}`"))?;
            println!("{}", cim_core::crs::cli::format_info(&info));
            Ok(ExitCode::SUCCESS)
        }
        CrsCommand::Transform { from, to } => {
            let f = CrsDef::parse(&from).with_context(|| format!("invalid --from CRS `{from}`"))?;
            let t = CrsDef::parse(&to).with_context(|| format!("invalid --to CRS `{to}`"))?;
            let stdin = std::io::stdin().lock();
            let stdout = std::io::stdout().lock();
            let stderr = std::io::stderr().lock();
            let stats = cim_core::crs::cli::transform_stream(&f, &t, stdin, stdout, stderr)?;
            if stats.failed > 0 {
                if stats.ok == 0 {
                    bail!("no line could be transformed ({} failed)", stats.failed);
                }
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
