//! End-to-end over the public 3D Tiles samples (`$CIM_TEST_DATA/3dtiles`):
//! `cim snapshot` of a tileset draws its content, and a tile that cannot be
//! read is an error for that tile only while the rest renders.
//!
//! Each tileset is compared with a copy of itself stripped of its contents
//! (same root volume, so the same scene CRS, framing, light and ground):
//! what differs is what the contents drew.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support.rs"]
mod support;
use support::{scene, snapshot};

/// The scene CRS and origin of this file's scene documents.
const FRAME: (&str, [f64; 2]) = ("EPSG:32618", [447784.0, 4432657.0]);

fn data() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join("3dtiles/cesium-3d-tiles-samples");
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

/// The tileset JSON without any content (nor implicit tiling, nor the
/// metadata schema file it may name).
fn strip_contents(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for k in ["content", "contents", "implicitTiling", "schemaUri"] {
                m.remove(k);
            }
            m.values_mut().for_each(strip_contents);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_contents),
        _ => {}
    }
}

/// Share of pixels that differ clearly between two images.
fn changed_share(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let changed = a
        .pixels()
        .zip(b.pixels())
        .filter(|(p, q)| p.0.iter().zip(q.0).any(|(x, y)| x.abs_diff(y) > 24))
        .count();
    changed as f64 / (a.width() * a.height()) as f64
}

fn renders(rel: &str, expected_code: i32) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let tileset = data().join(rel);
    let full = dir.path().join("full.png");
    let out = snapshot(&tileset, &full);
    assert_eq!(out.status.code(), Some(expected_code), "{rel}");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&tileset).unwrap()).unwrap();
    strip_contents(&mut json);
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    std::fs::write(empty_dir.join("tileset.json"), json.to_string()).unwrap();
    let empty = dir.path().join("empty.png");
    assert!(
        snapshot(&empty_dir.join("tileset.json"), &empty)
            .status
            .success()
    );
    let a = image::open(&full).unwrap().to_rgba8();
    let b = image::open(&empty).unwrap().to_rgba8();
    support::keep(&full, &format!("{}.png", rel.replace('/', "_")));
    changed_share(&a, &b)
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn sample_tilesets_of_every_content_kind_render() {
    for rel in [
        "1.0/TilesetWithDiscreteLOD/tileset.json", // b3dm, REPLACE
        "1.0/TilesetWithTreeBillboards/tileset.json", // i3dm, east-north-up
        "1.0/TilesetWithRequestVolume/tileset.json", // ADD, external tileset, pnts
        "1.1/SparseImplicitQuadtree/tileset.json", // implicit tiling, glb
        "1.1/MultipleContents/tileset.json",       // two contents per tile
        "glTF/GpuInstancesMetadata/tileset.json",  // EXT_mesh_gpu_instancing
        "glTF/EXT_structural_metadata/PropertyAttributesPointCloud/tileset.json", // glTF points
    ] {
        let share = renders(rel, 0);
        assert!(
            share > 0.0008,
            "{rel}: only {:.3}% of the image shows its content",
            share * 100.0
        );
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_missing_tile_is_an_error_for_that_tile_and_the_rest_renders() {
    // Close enough to the dragon that its finest level (the missing
    // dragon_high.b3dm) is wanted.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("near.cim.toml");
    std::fs::write(
        &doc,
        format!(
            "format_version = 1\nname = \"dragon\"\ncrs = \"EPSG:32618\"\norigin = [447784.0, 4432657.0, 0.0]\n\
             [[layer]]\nname = \"dragon\"\nsource = {:?}\n\
             [[view]]\nname = \"near\"\neye = [447600.0, 4432450.0, 800.0]\ntarget = [447784.0, 4432657.0, 503.0]\n",
            data().join("1.0/TilesetWithDiscreteLOD/tileset.json").to_str().unwrap()
        ),
    )
    .unwrap();
    let png = dir.path().join("near.png");
    let out = snapshot(&doc, &png);
    assert_eq!(out.status.code(), Some(2), "partial: one tile is missing");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dragon_high.b3dm") && err.contains("parent is shown"),
        "{err}"
    );
    // The medium level stands in: the dragon's pale body fills much of
    // the view.
    let img = image::open(&png).unwrap().to_rgba8();
    let pale = img
        .pixels()
        .filter(|p| p.0[0] > 200 && p.0[1] > 200 && p.0[2] > 200)
        .count();
    assert!(pale as f64 > 0.2 * (320.0 * 180.0), "{pale} pale pixels");
}

/// Python's `http.server` serving `dir` on a free loopback port; killed
/// when dropped.
struct PyServer(std::process::Child, u16);

impl PyServer {
    fn start(dir: &Path) -> PyServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs (the reference HTTP server)");
        let up = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "python3 -m http.server did not start");
        PyServer(child, port)
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_tileset_over_http_renders_as_it_does_from_disk() {
    let rel = "1.0/TilesetWithTreeBillboards/tileset.json";
    let server = PyServer::start(&data());
    let dir = tempfile::tempdir().unwrap();
    let (local, remote) = (dir.path().join("local.png"), dir.path().join("http.png"));
    assert!(snapshot(&data().join(rel), &local).status.success());
    let url = format!("http://127.0.0.1:{}/{rel}", server.1);
    let out = snapshot(Path::new(&url), &remote);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = image::open(&local).unwrap().to_rgba8();
    let b = image::open(&remote).unwrap().to_rgba8();
    let share = changed_share(&a, &b);
    assert!(share < 0.001, "{:.3}% of the pixels differ", share * 100.0);
}

/// A copy of `tileset` without its contents, in `dir`.
fn empty_copy(tileset: &Path, dir: &Path) -> PathBuf {
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tileset).unwrap()).unwrap();
    strip_contents(&mut json);
    let empty = dir.join("empty.json");
    std::fs::write(&empty, json.to_string()).unwrap();
    empty
}

/// Snapshots of one-tileset scenes `(name, tileset, extra [[layer]] lines)`,
/// by name.
fn snapshots<'a>(
    dir: &Path,
    cases: &[(&'a str, &Path, String)],
) -> std::collections::HashMap<&'a str, image::RgbaImage> {
    let mut shots = std::collections::HashMap::new();
    for (name, source, extra) in cases {
        let doc = scene(dir, name, FRAME, source, extra);
        let png = dir.join(format!("{name}.png"));
        let out = snapshot(&doc, &png);
        assert!(out.status.success(), "{name}");
        shots.insert(*name, image::open(&png).unwrap().to_rgba8());
    }
    shots
}

/// Planning edits reach the picture: a clip region over the whole city
/// leaves nothing of it, and so does flattening it to 100 m below the
/// ground (what is lowered goes under the ground plane); a clip region
/// over part of it leaves the rest. (The cutting itself is tested in
/// `cim_core::lod::tile_edits`.)
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn clip_and_flatten_regions_show_in_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let tileset = data().join("1.0/TilesetWithRequestVolume/tileset.json");
    let empty = empty_copy(&tileset, dir.path());
    let everywhere = "polygon = [[0.0, 0.0], [1e7, 0.0], [1e7, 1e7], [0.0, 1e7]]";
    // West of x = 447 800 (the tall building and half the city).
    let west = "polygon = [[0.0, 0.0], [447800.0, 0.0], [447800.0, 1e7], [0.0, 1e7]]";
    let cases = [
        ("full", tileset.as_path(), String::new()),
        ("empty", empty.as_path(), String::new()),
        (
            "clip",
            tileset.as_path(),
            format!("[[layer.clip]]\n{everywhere}\n"),
        ),
        (
            "flatten",
            tileset.as_path(),
            format!("[[layer.flatten]]\n{everywhere}\nheight = -100.0\n"),
        ),
        (
            "clip_west",
            tileset.as_path(),
            format!("[[layer.clip]]\n{west}\n"),
        ),
    ];
    let shots = snapshots(dir.path(), &cases);
    let vs_empty = |name: &str| changed_share(&shots[name], &shots["empty"]);
    assert!(
        vs_empty("full") > 0.003,
        "the city draws: {}",
        vs_empty("full")
    );
    assert!(
        vs_empty("clip") < 0.0005,
        "clipped away: {}",
        vs_empty("clip")
    );
    assert!(
        vs_empty("flatten") < 0.0005,
        "flattened under the ground: {}",
        vs_empty("flatten")
    );
    let west = vs_empty("clip_west");
    assert!(
        west > 0.2 * vs_empty("full") && west < 0.8 * vs_empty("full"),
        "half the city left: {west} of {}",
        vs_empty("full")
    );
}

/// Pixels of a reddish hue (the conditions' colours; the city, the ground
/// and the sky are grey or beige).
fn reddish(img: &image::RgbaImage) -> usize {
    img.pixels()
        .filter(|p| {
            let [r, g, b, _] = p.0.map(i32::from);
            r > 120 && r > g + 50 && r > b + 60
        })
        .count()
}

/// Show and colour conditions reach the picture: the city's buildings are
/// coloured by their batch table's `Height` (none is reddish unstyled),
/// buildings the filter leaves out are not drawn, and a filter no feature
/// passes leaves nothing of the city. (Which feature gets which look is
/// tested in `cim_core::style::conditions` and the tileset plugin.)
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn colour_and_show_conditions_show_in_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let tileset = data().join("1.0/TilesetWithRequestVolume/tileset.json");
    let empty = empty_copy(&tileset, dir.path());
    let conditions = "[[layer.style.conditions]]\nwhen = \"Height >= 12\"\ncolor = \"#d73027\"\n\
                      [[layer.style.conditions]]\nwhen = \"Height >= 9\"\ncolor = \"#fc8d59\"\n";
    let cases = [
        ("full", tileset.as_path(), String::new()),
        ("empty", empty.as_path(), String::new()),
        (
            "coloured",
            tileset.as_path(),
            format!("[layer.style]\n{conditions}"),
        ),
        (
            "some",
            tileset.as_path(),
            format!("[layer.style]\nfilter = \"Height > 9\"\n{conditions}"),
        ),
        (
            "none",
            tileset.as_path(),
            "[layer.style]\nfilter = \"Height > 1000\"\n".to_owned(),
        ),
    ];
    let shots = snapshots(dir.path(), &cases);
    let vs_empty = |name: &str| changed_share(&shots[name], &shots["empty"]);
    assert_eq!(reddish(&shots["full"]), 0, "unstyled, nothing is reddish");
    let coloured = reddish(&shots["coloured"]);
    assert!(coloured > 40, "{coloured} reddish pixels");
    // Against the same colours unfiltered (white differs less from the
    // ground than red does).
    let (all, some) = (vs_empty("coloured"), vs_empty("some"));
    assert!(
        some > 0.1 * all && some < 0.8 * all,
        "the filter leaves some buildings: {some} of {all}"
    );
    // What it leaves out are the low, uncoloured ones: every reddish
    // building stays.
    let left = reddish(&shots["some"]);
    assert!(
        left.abs_diff(coloured) * 5 < coloured,
        "{left} reddish pixels left of {coloured}"
    );
    assert!(
        vs_empty("none") < 0.0005,
        "nothing left: {}",
        vs_empty("none")
    );
}
