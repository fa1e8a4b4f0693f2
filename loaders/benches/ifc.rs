//! IFC read throughput (`cargo bench -p cim-loaders --bench ifc`): a
//! generated IFC4 city block of `CIM_IFC_BUILDINGS` (default 40)
//! buildings of five storeys, each storey four walls (extruded
//! rectangles, styled, a property set and a quantity each) with two
//! windows apiece in openings cut through them (`IfcRelVoidsElement`,
//! `IfcRelFillsElement`, glass styled see-through) and a floor slab — read
//! from memory (parse, relations, every element meshed with its openings
//! cut, styles, properties), then every tile's content made, in MB of file
//! per second.
//!
//! With `CIM_IFC_WRITE` naming a file, the model is also written there
//! (for `cim inspect`/`snapshot` under `/usr/bin/time`). With
//! `CIM_IFC_PYTHON` naming a Python that has IfcOpenShell, the same file
//! is read by IfcOpenShell in the same run
//! (`tests/reference/ifc_bench_ifcopenshell.py`: open, then its geometry
//! iterator over every product on as many threads as here), side by side.

use cim_core::lod::tile_source::TileSource;
use cim_loaders::ifc::{read::read, source::IfcSource};
use std::fmt::Write;
use std::time::Instant;

/// Storeys per building, walls per storey, windows per wall.
const STOREYS: usize = 5;
const WINDOWS: usize = 2;

/// A STEP file being written: entities numbered as they are added.
struct Step {
    text: String,
    next: u64,
}

impl Step {
    fn add(&mut self, entity: std::fmt::Arguments) -> u64 {
        let id = self.next;
        self.next += 1;
        let _ = writeln!(self.text, "#{id}={entity};");
        id
    }

    /// A 22-character IFC GUID for `n` (IFC's base-64 alphabet).
    fn guid(n: u64) -> String {
        const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$";
        let mut s = vec![b'0'; 22];
        let mut v = n;
        for c in s.iter_mut().rev() {
            *c = A[(v % 64) as usize];
            v /= 64;
        }
        String::from_utf8(s).expect("ASCII")
    }

    /// An object's leading attributes: `'GUID',$,'name',$,$`.
    fn head(&self, name: &str) -> String {
        format!("'{}',$,'{name}',$,$", Self::guid(self.next))
    }

    /// A point, a placement at it (local z `axis`, x `x`) relative to
    /// `parent`.
    fn placement(&mut self, parent: Option<u64>, at: [f64; 3], axis: u64, x: u64) -> u64 {
        let p = self.add(format_args!(
            "IFCCARTESIANPOINT(({:.3},{:.3},{:.3}))",
            at[0], at[1], at[2]
        ));
        let a = self.add(format_args!("IFCAXIS2PLACEMENT3D(#{p},#{axis},#{x})"));
        let parent = parent.map_or("$".to_string(), |p| format!("#{p}"));
        self.add(format_args!("IFCLOCALPLACEMENT({parent},#{a})"))
    }

    /// A box `w × d` (centred on the profile plane's origin), extruded `h`
    /// along the plane's z, placed by `position`, styled `style`: its
    /// product definition shape.
    fn extrusion(&mut self, position: u64, w: f64, d: f64, h: f64, style: u64, ctx: u64) -> u64 {
        let c = self.add(format_args!("IFCCARTESIANPOINT((0.,0.))"));
        let p2 = self.add(format_args!("IFCAXIS2PLACEMENT2D(#{c},$)"));
        let prof = self.add(format_args!(
            "IFCRECTANGLEPROFILEDEF(.AREA.,$,#{p2},{w:.3},{d:.3})"
        ));
        let solid = self.add(format_args!(
            "IFCEXTRUDEDAREASOLID(#{prof},#{position},#{},{h:.3})",
            Z
        ));
        self.add(format_args!("IFCSTYLEDITEM(#{solid},(#{style}),$)"));
        let rep = self.add(format_args!(
            "IFCSHAPEREPRESENTATION(#{ctx},'Body','SweptSolid',(#{solid}))"
        ));
        self.add(format_args!("IFCPRODUCTDEFINITIONSHAPE($,$,(#{rep}))"))
    }

    /// An axis placement at `at` with local z `axis` and x `x`.
    fn axes(&mut self, at: [f64; 3], axis: u64, x: u64) -> u64 {
        let p = self.add(format_args!(
            "IFCCARTESIANPOINT(({:.3},{:.3},{:.3}))",
            at[0], at[1], at[2]
        ));
        self.add(format_args!("IFCAXIS2PLACEMENT3D(#{p},#{axis},#{x})"))
    }
}

/// Entities every part refers to.
const ORIGIN: u64 = 2;
const Z: u64 = 3;
const X: u64 = 4;
const Y: u64 = 5;
const CONTEXT: u64 = 8;
const SITE_PLACEMENT: u64 = 10;
const UNITS: u64 = 13;

/// One wall of a storey: along local x from `at` for `len`, with its
/// windows in openings; returns the wall and its windows.
fn wall(s: &mut Step, storey: u64, at: [f64; 3], dir: u64, len: f64, styles: [u64; 3]) -> Vec<u64> {
    let (h, t) = (3.0, 0.3);
    let pl = s.placement(Some(storey), at, Z, dir);
    let pos = s.axes([len / 2.0, t / 2.0, 0.0], Z, X);
    let shape = s.extrusion(pos, len, t, h, styles[0], CONTEXT);
    let head = s.head("Wall");
    let wall = s.add(format_args!("IFCWALL({head},#{pl},#{shape},$,.STANDARD.)"));
    let mut out = vec![wall];
    for k in 0..WINDOWS {
        let x = len * (k as f64 + 0.5) / WINDOWS as f64;
        // The opening: a box through the wall (profile in the wall's
        // x-z plane, extruded across it).
        let opl = s.placement(Some(pl), [0.0, 0.0, 0.0], Z, X);
        let opos = s.axes([x, -0.1, 1.5], Y, X);
        let oshape = s.extrusion(opos, 1.2, 1.4, t + 0.2, styles[0], CONTEXT);
        let head = s.head("Opening");
        let opening = s.add(format_args!(
            "IFCOPENINGELEMENT({head},#{opl},#{oshape},$,.OPENING.)"
        ));
        let g = Step::guid(s.next);
        s.add(format_args!(
            "IFCRELVOIDSELEMENT('{g}',$,$,$,#{wall},#{opening})"
        ));
        let wpl = s.placement(Some(pl), [0.0, 0.0, 0.0], Z, X);
        let wpos = s.axes([x, t / 2.0 - 0.01, 1.5], Y, X);
        let wshape = s.extrusion(wpos, 1.2, 1.4, 0.02, styles[1], CONTEXT);
        let head = s.head("Window");
        let window = s.add(format_args!(
            "IFCWINDOW({head},#{wpl},#{wshape},$,1.4,1.2,.WINDOW.,.SINGLE_PANEL.,$)"
        ));
        let g = Step::guid(s.next);
        s.add(format_args!(
            "IFCRELFILLSELEMENT('{g}',$,$,$,#{opening},#{window})"
        ));
        out.push(window);
    }
    let ext = s.add(format_args!(
        "IFCPROPERTYSINGLEVALUE('IsExternal',$,IFCBOOLEAN(.T.),$)"
    ));
    let lb = s.add(format_args!(
        "IFCPROPERTYSINGLEVALUE('LoadBearing',$,IFCBOOLEAN(.{}.),$)",
        if len > 10.0 { "T" } else { "F" }
    ));
    let head = s.head("Pset_WallCommon");
    let pset = s.add(format_args!(
        "IFCPROPERTYSET({},(#{ext},#{lb}))",
        &head[..head.len() - 2]
    ));
    let g = Step::guid(s.next);
    s.add(format_args!(
        "IFCRELDEFINESBYPROPERTIES('{g}',$,$,$,(#{wall}),#{pset})"
    ));
    let q = s.add(format_args!("IFCQUANTITYLENGTH('Length',$,$,{len:.3},$)"));
    let head = s.head("Qto_WallBaseQuantities");
    let qto = s.add(format_args!("IFCELEMENTQUANTITY({head},(#{q}))"));
    let g = Step::guid(s.next);
    s.add(format_args!(
        "IFCRELDEFINESBYPROPERTIES('{g}',$,$,$,(#{wall}),#{qto})"
    ));
    out
}

/// A surface style of one colour.
fn style(s: &mut Step, name: &str, rgb: [f64; 3], transparency: f64) -> u64 {
    let c = s.add(format_args!(
        "IFCCOLOURRGB($,{:.2},{:.2},{:.2})",
        rgb[0], rgb[1], rgb[2]
    ));
    let r = s.add(format_args!(
        "IFCSURFACESTYLERENDERING(#{c},{transparency:.2},$,$,$,$,$,$,.NOTDEFINED.)"
    ));
    s.add(format_args!("IFCSURFACESTYLE('{name}',.BOTH.,(#{r}))"))
}

/// `n` buildings on a grid, 30 m apart.
fn model(n: usize) -> String {
    let mut s = Step {
        text: String::from(
            "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('ViewDefinition [ReferenceView]'),'2;1');\n\
             FILE_NAME('block.ifc','2026-11-30T00:00:00',(''),(''),'CIM Studio bench','CIM Studio','');\n\
             FILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n",
        ),
        next: 1,
    };
    s.add(format_args!(
        "IFCPROJECT('{}',$,'Bench block',$,$,$,$,(#{}),#{UNITS})",
        Step::guid(0),
        CONTEXT - 1
    ));
    assert_eq!(s.add(format_args!("IFCCARTESIANPOINT((0.,0.,0.))")), ORIGIN);
    assert_eq!(s.add(format_args!("IFCDIRECTION((0.,0.,1.))")), Z);
    assert_eq!(s.add(format_args!("IFCDIRECTION((1.,0.,0.))")), X);
    assert_eq!(s.add(format_args!("IFCDIRECTION((0.,1.,0.))")), Y);
    let world = s.add(format_args!("IFCAXIS2PLACEMENT3D(#{ORIGIN},$,$)"));
    assert_eq!(world, CONTEXT - 2);
    assert_eq!(
        s.add(format_args!(
            "IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#{world},$)"
        )),
        CONTEXT - 1
    );
    s.add(format_args!(
        "IFCGEOMETRICREPRESENTATIONSUBCONTEXT('Body','Model',*,*,*,*,#{},$,.MODEL_VIEW.,$)",
        CONTEXT - 1
    ));
    let site_axes = s.add(format_args!("IFCAXIS2PLACEMENT3D(#{ORIGIN},$,$)"));
    assert_eq!(
        s.add(format_args!("IFCLOCALPLACEMENT($,#{site_axes})")),
        SITE_PLACEMENT
    );
    let m = s.add(format_args!("IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.)"));
    let a = s.add(format_args!("IFCSIUNIT(*,.PLANEANGLEUNIT.,$,.RADIAN.)"));
    assert_eq!(s.add(format_args!("IFCUNITASSIGNMENT((#{m},#{a}))")), UNITS);
    let styles = [
        style(&mut s, "Plaster", [0.86, 0.83, 0.76], 0.0),
        style(&mut s, "Glass", [0.45, 0.62, 0.78], 0.6),
        style(&mut s, "Concrete", [0.6, 0.6, 0.62], 0.0),
    ];
    let head = s.head("Site");
    let site = s.add(format_args!(
        "IFCSITE({head},#{SITE_PLACEMENT},$,$,.ELEMENT.,$,$,$,$,$)"
    ));
    let g = Step::guid(s.next);
    s.add(format_args!("IFCRELAGGREGATES('{g}',$,$,$,#1,(#{site}))"));
    let side = (n as f64).sqrt().ceil() as usize;
    let mut buildings = Vec::with_capacity(n);
    for i in 0..n {
        let (w, d) = (12.0 + (i % 5) as f64, 9.0 + (i % 3) as f64);
        let at = [30.0 * (i % side) as f64, 30.0 * (i / side) as f64, 0.0];
        let bpl = s.placement(Some(SITE_PLACEMENT), at, Z, X);
        let head = s.head(&format!("Building {i}"));
        let b = s.add(format_args!(
            "IFCBUILDING({head},#{bpl},$,$,.ELEMENT.,$,$,$)"
        ));
        buildings.push(b);
        let mut storeys = Vec::with_capacity(STOREYS);
        for k in 0..STOREYS {
            let z = 3.0 * k as f64;
            let spl = s.placement(Some(bpl), [0.0, 0.0, z], Z, X);
            let head = s.head(&format!("Storey {k}"));
            let storey = s.add(format_args!(
                "IFCBUILDINGSTOREY({head},#{spl},$,$,.ELEMENT.,{z:.1})"
            ));
            storeys.push(storey);
            let mx = s.add(format_args!("IFCDIRECTION((-1.,0.,0.))"));
            let my = s.add(format_args!("IFCDIRECTION((0.,-1.,0.))"));
            let mut contained = Vec::new();
            for (from, dir, len) in [
                ([0.0, 0.0, 0.0], X, w),
                ([w, 0.0, 0.0], Y, d),
                ([w, d, 0.0], mx, w),
                ([0.0, d, 0.0], my, d),
            ] {
                contained.extend(wall(&mut s, spl, from, dir, len, styles));
            }
            let pl = s.placement(Some(spl), [0.0, 0.0, 0.0], Z, X);
            let pos = s.axes([w / 2.0, d / 2.0, -0.3], Z, X);
            let shape = s.extrusion(pos, w, d, 0.3, styles[2], CONTEXT);
            let head = s.head("Slab");
            contained.push(s.add(format_args!("IFCSLAB({head},#{pl},#{shape},$,.FLOOR.)")));
            let list: Vec<String> = contained.iter().map(|e| format!("#{e}")).collect();
            let g = Step::guid(s.next);
            s.add(format_args!(
                "IFCRELCONTAINEDINSPATIALSTRUCTURE('{g}',$,$,$,({}),#{storey})",
                list.join(",")
            ));
        }
        let list: Vec<String> = storeys.iter().map(|e| format!("#{e}")).collect();
        let g = Step::guid(s.next);
        s.add(format_args!(
            "IFCRELAGGREGATES('{g}',$,$,$,#{b},({}))",
            list.join(",")
        ));
    }
    let list: Vec<String> = buildings.iter().map(|e| format!("#{e}")).collect();
    let g = Step::guid(s.next);
    s.add(format_args!(
        "IFCRELAGGREGATES('{g}',$,$,$,#{site},({}))",
        list.join(",")
    ));
    s.text.push_str("ENDSEC;\nEND-ISO-10303-21;\n");
    s.text
}

fn main() {
    let n: usize = std::env::var("CIM_IFC_BUILDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let text = model(n);
    let path = std::env::var_os("CIM_IFC_WRITE").map(std::path::PathBuf::from);
    if let Some(p) = &path {
        std::fs::write(p, &text).expect("write the model");
    }
    let mb = text.len() as f64 / 1e6;
    let elements = n * STOREYS * (4 * (1 + 2 * WINDOWS) + 1);
    println!("ifc: {n} buildings, {elements} products, {mb:.1} MB");
    let t = Instant::now();
    let model = read(&text).expect("reads");
    let s = t.elapsed().as_secs_f64();
    println!(
        "ifc read (CIM Studio)   {:>8.1} MB/s  ({s:.3} s: parse, openings cut, styles, properties)",
        mb / s
    );
    // Openings are counted, not drawn.
    assert_eq!(model.element_count(), elements);
    assert!(model.problems.is_empty(), "{:?}", model.problems);
    let t = Instant::now();
    let src = IfcSource::new(model);
    let mut triangles = 0;
    let contents: Vec<_> = src.tree().tiles.iter().flat_map(|t| &t.contents).collect();
    for c in &contents {
        triangles += src.read(c).expect("content").triangle_count();
    }
    println!(
        "ifc tiles               {:>8.3} s for {} tiles' content ({triangles} triangles)",
        t.elapsed().as_secs_f64(),
        contents.len()
    );
    if let Some(python) = std::env::var_os("CIM_IFC_PYTHON") {
        ifcopenshell(&python, &text, path.as_deref(), mb, s);
    }
}

/// IfcOpenShell on the same file, timed by its own script.
fn ifcopenshell(
    python: &std::ffi::OsStr,
    text: &str,
    path: Option<&std::path::Path>,
    mb: f64,
    ours: f64,
) {
    let tmp;
    let file = match path {
        Some(p) => p.to_path_buf(),
        None => {
            tmp = tempfile::NamedTempFile::new().expect("a temporary file");
            std::fs::write(tmp.path(), text).expect("write the model");
            tmp.path().to_path_buf()
        }
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/ifc_bench_ifcopenshell.py"
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&file)
        .arg(threads.to_string())
        .output()
        .expect("the IfcOpenShell Python runs");
    let report = String::from_utf8_lossy(&out.stdout);
    let seconds: f64 = report
        .split_whitespace()
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "IfcOpenShell: {report}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    println!(
        "ifc read (IfcOpenShell) {:>8.1} MB/s  ({seconds:.3} s: {})  → CIM Studio {:.1}× faster",
        mb / seconds,
        report.trim(),
        seconds / ours
    );
}
