//! The hostile-input corpus: files a careless export or an attacker could
//! hand to `cim`, generated here (no blobs in the repository), each run
//! through the real binary under a memory cap (`ulimit -v`, 4 GiB) and a
//! time limit. Every case must end with a clear message or a correct
//! partial result: never a panic, a hang, a kill or a flood of output.
//!
//! Built as a test of the `cim-app` package (see app/Cargo.toml) so cargo
//! builds the binary and hands us its path.

use std::io::Write;
use std::path::Path;
use std::process::Command;

#[path = "hostile/citygml.rs"]
mod citygml;
#[path = "hostile/files.rs"]
mod files;
#[path = "hostile/run.rs"]
mod run;

use files::*;
use run::*;

/// Builds every case's files under `d` and says how to run it.
fn corpus(d: &Path) -> Vec<Case> {
    let p = |n: &str| d.join(n);
    let ps = |n: &str| d.join(n).to_string_lossy().into_owned();
    let write = |n: &str, b: &[u8]| {
        std::fs::write(d.join(n), b).unwrap();
        b.len() as u64
    };
    let mut cases = Vec::new();
    let snaps = std::cell::RefCell::new(Vec::new());
    let snap = |name: &'static str,
                inputs: Vec<String>,
                expect: Expect,
                says: Vec<String>,
                input_bytes: u64| {
        snaps
            .borrow_mut()
            .push(snapshot(d, name, inputs, expect, says, input_bytes));
    };

    // 1. One enormous segment (once 4.4 GB / 93 s at 10⁸ m; 10³⁰⁰ m was
    //    killed for memory): bounded densification, coordinates beyond
    //    ±10⁹ m dropped and counted.
    let roads = write("roads.geojson", ROADS.as_bytes());
    let long = |len: f64| {
        format!(
            r#"{{"type":"FeatureCollection",
            "crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::4526"}}}},"features":[
            {{"type":"Feature","properties":{{}},"geometry":{{"type":"LineString","coordinates":[[38448000,2467000],[38448100,2467000]]}}}},
            {{"type":"Feature","properties":{{}},"geometry":{{"type":"LineString","coordinates":[[38448000,2467000],[{},2467000]]}}}}]}}"#,
            38448000.0 + len
        )
    };
    let mut dem =
        String::from("ncols 20\nnrows 20\nxllcorner 38447000\nyllcorner 2466000\ncellsize 100\n");
    for _ in 0..20 {
        dem.push_str(&"5 ".repeat(20));
        dem.push('\n');
    }
    write("flat.asc", dem.as_bytes());
    write("flat.prj", b"EPSG:4526");
    for (file, len) in [("long1e8.geojson", 1e8), ("long1e300.geojson", 1e300)] {
        write(file, long(len).as_bytes());
        let layers = format!(
            "[[layer]]\nname = \"dem\"\nsource = \"{}\"\n[[layer]]\nname = \"pipes\"\nsource = \"{}\"\nkind = \"pipes\"\n[[layer]]\nname = \"roads\"\nsource = \"{}\"\nkind = \"roads\"\n",
            ps("flat.asc"),
            ps(file),
            ps(file)
        );
        let doc = format!("{file}.cim.toml");
        write(
            &doc,
            scene("[38448000.0, 2467000.0, 0.0]", &layers, "").as_bytes(),
        );
        let (expect, says) = if len > 1e9 {
            (Expect::Partial, vec![s("1 of 2 features left out")])
        } else {
            (Expect::Ok, vec![])
        };
        snap(
            if len > 1e9 {
                "segment-1e300"
            } else {
                "segment-1e8"
            },
            vec![ps(&doc)],
            expect,
            says,
            4096,
        );
    }

    // 2. One NaN vertex in a polygon layer that needs no reprojection
    //    (once a panic inside earcut, exit 101, no image).
    let mut nan_ring = square(500_000.0, 2_500_000.0, 30.0);
    nan_ring[2].0 = f64::NAN;
    let (shp_b, shx_b) = shp(5, &[square(500_100.0, 2_500_000.0, 30.0), nan_ring]);
    let n = write("nan.shp", &shp_b)
        + write("nan.shx", &shx_b)
        + write("nan.dbf", &dbf(&["ok", "bad"]))
        + write("nan.prj", b"EPSG:32650");
    snap(
        "nan-vertex",
        vec![ps("nan.shp")],
        Expect::Partial,
        vec![s("nan.shp"), s("1 of 2 features left out")],
        n,
    );

    // 3. A FIFO: opening it would block for ever.
    let fifo = p("pipe.geojson");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    cases.push(inspect(
        "fifo-inspect",
        vec![ps("pipe.geojson")],
        Expect::Error,
        vec![s("pipe.geojson"), s("not a regular file")],
        0,
    ));
    snap(
        "fifo-snapshot",
        vec![ps("pipe.geojson"), ps("roads.geojson")],
        Expect::Partial,
        vec![s("pipe.geojson")],
        roads,
    );

    // 4. Memory amplification: /dev/zero behind a .shp name; a zip whose
    //    GeoJSON inflates a thousandfold; a directory named like a file.
    std::os::unix::fs::symlink("/dev/zero", p("z.shp")).unwrap();
    cases.push(inspect(
        "dev-zero",
        vec![ps("z.shp")],
        Expect::Error,
        vec![s("z.shp")],
        0,
    ));
    let feature = r#"{"type":"Feature","properties":{"name":"x","h":12.5},"geometry":{"type":"Polygon","coordinates":[[[113.55,22.27],[113.5501,22.27],[113.5501,22.2701],[113.55,22.2701],[113.55,22.27]]]}}"#;
    let copies = (256 << 20) / (feature.len() + 1);
    let big_len = (copies * (feature.len() + 1) + 64) as u64;
    let city = |w: &mut dyn Write| {
        w.write_all(br#"{"type":"FeatureCollection","features":["#)
            .unwrap();
        for i in 0..copies {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            w.write_all(feature.as_bytes()).unwrap();
        }
        w.write_all(b"]}").unwrap();
    };
    write("bomb.zip", &zip(&[("city.geojson", &city)]));
    // Either read within the bound, or refused as too large.
    cases.push(inspect(
        "geojson-zip-bomb",
        vec![ps("bomb.zip")],
        Expect::OkOrError,
        vec![],
        big_len,
    ));
    let zeros = |w: &mut dyn Write| {
        let mb = vec![0u8; 1 << 20];
        for _ in 0..64 {
            w.write_all(&mb).unwrap();
        }
    };
    write("zeros.zip", &zip(&[("a.shp", &zeros), ("a.dbf", &zeros)]));
    cases.push(inspect(
        "zip-of-zeros",
        vec![ps("zeros.zip")],
        Expect::Error,
        vec![s("zeros.zip/a.shp")],
        128 << 20,
    ));
    std::fs::create_dir(p("folder.geojson")).unwrap();
    cases.push(inspect(
        "directory",
        vec![ps("folder.geojson")],
        Expect::Error,
        vec![s("folder.geojson")],
        0,
    ));

    // 5. The result must not depend on argument order.
    write("bad.shp", b"not a shapefile at all");
    for (name, inputs) in [
        ("bad-first", vec![ps("bad.shp"), ps("roads.geojson")]),
        ("bad-last", vec![ps("roads.geojson"), ps("bad.shp")]),
    ] {
        snap(name, inputs, Expect::Partial, vec![s("bad.shp")], roads);
    }

    // 6. Basemaps that cannot be had are said, not silently left out.
    let with_basemap = |bm: &str| scene("[38448500.0, 2467100.0, 0.0]", &builtin_layer(), bm);
    write(
        "nofolder.cim.toml",
        with_basemap("[[basemap]]\nkind = \"folder\"\npath = \"no-such-tiles\"\n").as_bytes(),
    );
    snap(
        "basemap-missing-folder",
        vec![ps("nofolder.cim.toml")],
        Expect::Partial,
        vec![s("no-such-tiles")],
        0,
    );
    write(
        "deadwmts.cim.toml",
        with_basemap(
            "[[basemap]]\nname = \"dead\"\nkind = \"wmts\"\nurl = \"http://127.0.0.1:9/wmts?REQUEST=GetCapabilities\"\nlayer = \"img\"\n",
        )
        .as_bytes(),
    );
    snap(
        "basemap-dead-server",
        vec![ps("deadwmts.cim.toml")],
        Expect::Partial,
        vec![s("basemap `dead`")],
        0,
    );

    // 7. A `#` in a file name.
    write("a#b.geojson", ROADS.as_bytes());
    write(
        "hash.cim.toml",
        scene(
            "[38448500.0, 2467100.0, 0.0]",
            &format!(
                "[[layer]]\nname = \"r\"\nsource = \"{}\"\n",
                ps("a#b.geojson")
            ),
            "",
        )
        .as_bytes(),
    );
    snap(
        "hash-in-name",
        vec![ps("hash.cim.toml")],
        Expect::Ok,
        vec![],
        roads,
    );

    // 8. Silent data loss: a truncated .shx; a .dbf with no room for fields.
    let squares: Vec<_> = (0..193)
        .map(|i| {
            square(
                500_000.0 + 50.0 * (i % 20) as f64,
                2_500_000.0 + 50.0 * (i / 20) as f64,
                30.0,
            )
        })
        .collect();
    let names: Vec<String> = (0..193).map(|i| format!("b{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (shp_b, shx_b) = shp(5, &squares);
    let mut n = write("cut.shp", &shp_b) + write("cut.dbf", &dbf(&name_refs));
    n += write("cut.shx", &shx_b[..100 + 8 * 90]);
    cases.push(inspect(
        "truncated-shx",
        vec![s("--json"), ps("cut.shp")],
        Expect::Ok,
        vec![],
        n,
    ));
    let mut short = dbf(&name_refs);
    short[8..10].copy_from_slice(&33u16.to_le_bytes());
    let n = write("nofields.shp", &shp_b)
        + write("nofields.shx", &shx_b)
        + write("nofields.dbf", &short);
    cases.push(inspect(
        "dbf-header-33",
        vec![ps("nofields.shp")],
        Expect::Ok,
        vec![s("nofields.dbf")],
        n,
    ));

    // 9. Exit codes that tell the truth.
    let styled = |style: &str| {
        scene(
            "[38448500.0, 2467100.0, 0.0]",
            &format!("{}[layer.style]\n{style}\n", builtin_layer()),
            "",
        )
    };
    write(
        "badcolor.cim.toml",
        styled("color = \"#zzzzzz\"").as_bytes(),
    );
    snap(
        "style-bad-colour",
        vec![ps("badcolor.cim.toml")],
        Expect::Partial,
        vec![s("zzzzzz")],
        0,
    );
    write(
        "badramp.cim.toml",
        styled(
            "[layer.style.theme]\nmode = \"graduated\"\nfield = \"height\"\nramp = \"NoSuchRamp\"",
        )
        .as_bytes(),
    );
    snap(
        "style-bad-ramp",
        vec![ps("badramp.cim.toml")],
        Expect::Partial,
        vec![s("NoSuchRamp")],
        0,
    );
    write(
        "badfield.cim.toml",
        styled("[layer.style.theme]\nmode = \"categorized\"\nfield = \"no_such_field\"").as_bytes(),
    );
    snap(
        "style-bad-field",
        vec![ps("badfield.cim.toml")],
        Expect::Partial,
        vec![s("no_such_field")],
        0,
    );
    write(
        "nanview.cim.toml",
        scene(
            "[38448500.0, 2467100.0, 0.0]",
            &builtin_layer(),
            "[[view]]\nname = \"v\"\neye = [nan, 1.0, 1.0]\ntarget = [38448500.0, 2467100.0, 0.0]\n",
        )
        .as_bytes(),
    );
    snap(
        "view-nan",
        vec![ps("nanview.cim.toml")],
        Expect::Error,
        vec![s("view `v`")],
        0,
    );
    write(
        "flatview.cim.toml",
        scene(
            "[38448500.0, 2467100.0, 0.0]",
            &builtin_layer(),
            "[[view]]\nname = \"v\"\neye = [1.0, 1.0, 1.0]\ntarget = [1.0, 1.0, 1.0]\n",
        )
        .as_bytes(),
    );
    snap(
        "view-degenerate",
        vec![ps("flatview.cim.toml")],
        Expect::Error,
        vec![s("same point")],
        0,
    );
    write(
        "nanorigin.cim.toml",
        scene("[nan, 0.0, 0.0]", &builtin_layer(), "").as_bytes(),
    );
    snap(
        "origin-nan",
        vec![ps("nanorigin.cim.toml")],
        Expect::Error,
        vec![s("origin")],
        0,
    );
    write(
        "allnan.asc",
        b"ncols 3\nnrows 3\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999\n-9999 -9999 -9999\n-9999 -9999 -9999\n-9999 -9999 -9999\n",
    );
    snap(
        "dem-all-nodata",
        vec![ps("allnan.asc")],
        Expect::Error,
        vec![s("allnan.asc")],
        200,
    );
    write(
        "one.asc",
        b"ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n5\n",
    );
    snap(
        "dem-1x1",
        vec![ps("one.asc")],
        Expect::Error,
        vec![s("one.asc"), s("2×2")],
        100,
    );

    // 10. Messages stay bounded and never pass escape sequences through.
    let (shp_b, shx_b) = shp(5, &[square(500_000.0, 2_500_000.0, 30.0)]);
    write("bigprj.shp", &shp_b);
    write("bigprj.shx", &shx_b);
    write("bigprj.prj", "PROJCS[".repeat(140_000).as_bytes());
    cases.push(inspect(
        "prj-1mb",
        vec![ps("bigprj.shp")],
        Expect::Ok,
        vec![s("bigprj.prj")],
        1 << 20,
    ));
    write(
        "longline.cim.toml",
        format!("format_version = 1\nname = {}\n", "x".repeat(10 << 20)).as_bytes(),
    );
    snap(
        "toml-10mb-line",
        vec![ps("longline.cim.toml")],
        Expect::Error,
        vec![s("longline.cim.toml")],
        10 << 20,
    );
    write("esc\u{1b}[2Jname.geojson", b"{\"type\":");
    cases.push(inspect(
        "escape-in-name",
        vec![ps("esc\u{1b}[2Jname.geojson")],
        Expect::Error,
        vec![s("esc\\u{1b}[2Jname.geojson")],
        8,
    ));
    write(
        "digits.geojson",
        format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Point","coordinates":[1{},2]}}}}"#,
            "0".repeat(309)
        )
        .as_bytes(),
    );
    cases.push(inspect(
        "309-digits",
        vec![ps("digits.geojson")],
        Expect::Error,
        vec![s("digits.geojson")],
        400,
    ));
    let mut stdin = b"113.5 22.2\n".to_vec();
    stdin.extend(b"11\xff3.5 22.2\n");
    stdin.extend(format!("1{} 2\n", "0".repeat(309)).as_bytes());
    stdin.extend(b"113.6 22.3\n");
    cases.push(Case {
        name: "crs-stdin-bad-utf8",
        args: vec![
            s("crs"),
            s("transform"),
            s("--from"),
            s("EPSG:4490"),
            s("--to"),
            s("EPSG:4526"),
        ],
        stdin,
        expect: Expect::Partial,
        says: vec![s("line 2: not UTF-8")],
        input_bytes: 0,
        out: None,
    });

    cases.extend(citygml::cases(d));

    // EPANET networks: junk, a device, a link to nowhere, a million nodes.
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    write("junk.inp", &junk);
    cases.push(inspect(
        "inp-junk",
        vec![ps("junk.inp")],
        Expect::Error,
        vec![s("junk.inp")],
        4096,
    ));
    std::os::unix::fs::symlink("/dev/zero", p("zero.inp")).unwrap();
    cases.push(inspect(
        "inp-dev-zero",
        vec![ps("zero.inp")],
        Expect::Error,
        vec![s("zero.inp"), s("not a regular file")],
        0,
    ));
    let nowhere = write(
        "nowhere.inp",
        b"[RESERVOIRS]\nR 10\n[JUNCTIONS]\nA 1 1\n[PIPES]\nP R A 10 100 100\nQ A B 10 100 100\n",
    );
    cases.push(Case {
        name: "inp-link-to-nowhere",
        args: vec![s("pipe"), s("simulate"), s("--json"), ps("nowhere.inp")],
        stdin: Vec::new(),
        expect: Expect::Error,
        says: vec![s("nowhere.inp"), s("line 7: link `Q` names node `B`")],
        input_bytes: nowhere,
        out: None,
    });
    let mut chain = String::from("[RESERVOIRS]\nR 50\n[JUNCTIONS]\n");
    for i in 0..1_000_000 {
        chain.push_str(&format!("J{i} 1 0.01\n"));
    }
    chain.push_str("[PIPES]\nP R J0 10 100 100\n");
    for i in 1..1_000_000 {
        chain.push_str(&format!("P{i} J{} J{i} 10 100 100\n", i - 1));
    }
    chain.push_str("[COORDINATES]\nR -1 -1\n");
    for i in 0..1_000_000 {
        chain.push_str(&format!("J{i} {} {}\n", i % 1000, i / 1000));
    }
    let chain_len = write("chain.inp", chain.as_bytes());
    cases.push(inspect(
        "inp-million-nodes",
        vec![ps("chain.inp")],
        Expect::OkOrError,
        vec![],
        chain_len,
    ));

    // Classes handled before, kept honest: truncated and lying headers,
    // deep nesting, junk behind a known extension, empty files.
    let (shp_b, shx_b) = shp(5, &squares);
    write("short.shp", &shp_b[..shp_b.len() / 2]);
    write("short.shx", &shx_b);
    let mut lying = shp_b.clone();
    lying[24..28].copy_from_slice(&i32::MAX.to_be_bytes());
    lying[112..116].copy_from_slice(&i32::MAX.to_le_bytes());
    write("lying.shp", &lying);
    write("deep.geojson", &[b'['; 200_000]);
    write("junk.geojson", &[0xfeu8; 4096]);
    write("empty.shp", b"");
    write("empty.tif", b"II*\0");
    let mut tif = b"II*\0\x08\0\0\0".to_vec();
    // One IFD claiming 4 billion × 4 billion pixels.
    tif.extend(&2u16.to_le_bytes());
    for (tag, v) in [(256u16, u32::MAX), (257, u32::MAX)] {
        tif.extend(&tag.to_le_bytes());
        tif.extend(&4u16.to_le_bytes());
        tif.extend(&1u32.to_le_bytes());
        tif.extend(&v.to_le_bytes());
    }
    tif.extend(&0u32.to_le_bytes());
    write("huge.tif", &tif);
    for (name, file) in [
        ("truncated-shp", "short.shp"),
        ("lying-shp-header", "lying.shp"),
        ("deep-json", "deep.geojson"),
        ("junk-json", "junk.geojson"),
        ("empty-shp", "empty.shp"),
        ("empty-tiff", "empty.tif"),
        ("huge-tiff", "huge.tif"),
    ] {
        cases.push(inspect(
            name,
            vec![ps(file)],
            Expect::Error,
            vec![s(file)],
            1 << 20,
        ));
    }
    cases.extend(snaps.into_inner());
    cases
}

#[test]
fn hostile_inputs_get_clear_errors_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let cases = corpus(dir.path());
    let only = std::env::var("CIM_HOSTILE_CASE")
        .ok()
        .filter(|o| !o.is_empty());
    let mut failures = Vec::new();
    for case in cases
        .iter()
        .filter(|c| only.as_deref().is_none_or(|o| o == c.name))
    {
        let r = run_capped(&case.args, &case.stdin);
        let err = String::from_utf8_lossy(&r.stderr);
        let rss_mb = r.max_rss_kib as f64 / 1024.0;
        let bound_mb = 4.0 * case.input_bytes as f64 / (1 << 20) as f64 + 500.0;
        eprintln!(
            "case {:<24} exit {:?} signal {:?} {:>6.2} s {:>7.1} MB (bound {:.0} MB) stderr {} B",
            case.name,
            r.code,
            r.signal,
            r.wall.as_secs_f64(),
            rss_mb,
            bound_mb,
            r.stderr_total
        );
        let mut problems = Vec::new();
        if let Some(sig) = r.signal {
            problems.push(format!("killed by signal {sig}"));
        }
        if r.wall >= TIME_LIMIT {
            problems.push(format!("ran past {} s", TIME_LIMIT.as_secs()));
        }
        let want: &[i32] = match case.expect {
            Expect::Ok => &[0],
            Expect::Error => &[1],
            Expect::Partial => &[2],
            Expect::OkOrError => &[0, 1],
        };
        if !r.code.is_some_and(|c| want.contains(&c)) {
            problems.push(format!("exit {:?}, want {want:?}", r.code));
        }
        if err.contains("panicked") {
            problems.push("panicked".into());
        }
        if r.stderr_total > MAX_STDERR {
            problems.push(format!("{} bytes of stderr", r.stderr_total));
        }
        if r.stderr.contains(&0x1b) {
            problems.push("a raw escape character reached stderr".into());
        }
        if rss_mb > bound_mb {
            problems.push(format!("peak RSS {rss_mb:.0} MB over {bound_mb:.0} MB"));
        }
        let out = String::from_utf8_lossy(&r.stdout);
        for s in &case.says {
            if !err.contains(s.as_str()) && !out.contains(s.as_str()) {
                problems.push(format!("neither stderr nor stdout says `{s}`"));
            }
        }
        if r.code == Some(1) && err.trim().is_empty() {
            problems.push("failed without a word".into());
        }
        if let Some(png) = &case.out {
            let written = png.is_file();
            if written == (case.expect == Expect::Error) {
                problems.push(format!("image written: {written}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr ---\n{}",
                case.name,
                problems.join("; "),
                cim_core::message::clip(&err, 3000)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn a_truncated_index_loses_no_feature() {
    // `inspect --json` of the corpus's truncated .shx case, checked for
    // the count: the .shp has all 193 records.
    let dir = tempfile::tempdir().unwrap();
    let squares: Vec<_> = (0..193)
        .map(|i| square(500_000.0 + 50.0 * i as f64, 2_500_000.0, 30.0))
        .collect();
    let (shp_b, shx_b) = shp(5, &squares);
    std::fs::write(dir.path().join("cut.shp"), &shp_b).unwrap();
    std::fs::write(dir.path().join("cut.shx"), &shx_b[..100 + 8 * 90]).unwrap();
    let names: Vec<String> = (0..193).map(|i| format!("b{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    std::fs::write(dir.path().join("cut.dbf"), dbf(&refs)).unwrap();
    let args = vec![
        s("inspect"),
        s("--json"),
        dir.path().join("cut.shp").to_string_lossy().into_owned(),
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_cim"))
        .args(&args)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["layers"][0]["feature_count"], 193, "{v}");
    let err = String::from_utf8_lossy(&out.stderr);
    let warnings = v["layers"][0]["warnings"].to_string();
    assert!(
        warnings.contains("cut.shx") || err.contains("cut.shx"),
        "the .shx is named: {warnings} {err}"
    );
    assert!(!warnings.contains(".dbf"), "{warnings}");
}
