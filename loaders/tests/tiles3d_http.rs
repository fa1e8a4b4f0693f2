//! Tilesets over HTTP, from a server on loopback started by the test: the
//! same tileset reads the same as from disk, and a server that answers 404
//! or 500, stalls, or closes mid-body fails those files only, within the
//! request timeout.

use cim_loaders::tiles3d::{summary, tileset};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An HTTP/1.1 server on 127.0.0.1 serving `root`, one thread per
/// connection, misbehaving for files named `404*`, `500*`, `stall*` and
/// `cut*`. Returns its base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = answer(stream, &root);
            });
        }
    });
    format!("http://{addr}")
}

fn answer(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Skip the headers.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let path = path.replace("%20", " ");
    let name = path.rsplit('/').next().unwrap_or("");
    let respond = |s: &mut TcpStream, status: &str, body: &[u8], claimed: usize| {
        write!(
            s,
            "HTTP/1.1 {status}\r\nContent-Length: {claimed}\r\nConnection: close\r\n\r\n"
        )?;
        s.write_all(body)
    };
    if name.starts_with("404") {
        return respond(&mut stream, "404 Not Found", b"", 0);
    }
    if name.starts_with("500") {
        return respond(&mut stream, "500 Internal Server Error", b"oops", 4);
    }
    if name.starts_with("stall") {
        std::thread::sleep(Duration::from_secs(30));
        return Ok(());
    }
    let file = root.join(path.trim_start_matches('/'));
    match std::fs::read(&file) {
        Ok(body) if name.starts_with("cut") => {
            respond(&mut stream, "200 OK", &body[..10], body.len())
        }
        Ok(body) => respond(&mut stream, "200 OK", &body, body.len()),
        Err(_) => respond(&mut stream, "404 Not Found", b"", 0),
    }
}

fn limits() -> tileset::Limits {
    tileset::Limits {
        http_timeout: Duration::from_secs(2),
        cache_dir: None,
        ..Default::default()
    }
}

#[test]
fn content_is_kept_in_the_disk_cache_and_tilesets_are_asked_for_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/b3dm/seed-triangle");
    std::fs::copy(seed, dir.path().join("a.b3dm")).unwrap();
    let json = |e: f64| {
        format!(
            r#"{{"asset":{{"version":"1.0"}},"geometricError":{e},"root":{{"boundingVolume":{{"sphere":[0,0,0,5]}},"geometricError":0,"refine":"ADD","content":{{"uri":"a.b3dm"}}}}}}"#
        )
    };
    std::fs::write(dir.path().join("tileset.json"), json(1.0)).unwrap();
    let base = serve(dir.path().to_path_buf());
    let cached = tileset::Limits {
        cache_dir: Some(cache.path().to_path_buf()),
        ..limits()
    };
    let url = format!("{base}/tileset.json");
    let s = summary::summarise(&tileset::open_url(&url, &cached).unwrap(), true);
    assert_eq!(s.deep.unwrap().triangle_count, 1);
    // The server loses the content and republishes the tileset: the
    // content comes from the cache, the tileset anew.
    std::fs::remove_file(dir.path().join("a.b3dm")).unwrap();
    std::fs::write(dir.path().join("tileset.json"), json(7.0)).unwrap();
    let ts = tileset::open_url(&url, &cached).unwrap();
    assert_eq!(ts.tree.tile(0).geometric_error, 0.0);
    let s = summary::summarise(&ts, true);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.deep.unwrap().triangle_count, 1);
    // Without the cache the content is gone.
    let s = summary::summarise(&tileset::open_url(&url, &limits()).unwrap(), true);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
}

#[test]
fn a_misbehaving_server_fails_those_tiles_only_and_never_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/b3dm/seed-triangle");
    let b3dm = std::fs::read(seed).unwrap();
    let names = [
        "good.b3dm",
        "404.b3dm",
        "500.b3dm",
        "stall.b3dm",
        "cut.b3dm",
    ];
    for n in names {
        std::fs::write(dir.path().join(n), &b3dm).unwrap();
    }
    let kids: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"boundingVolume":{{"sphere":[0,0,0,5]}},"geometricError":0,"content":{{"uri":"{n}"}}}}"#))
        .chain([r#"{"boundingVolume":{"sphere":[0,0,0,5]},"geometricError":0,"content":{"uri":"file:///etc/passwd"}}"#.to_string()])
        .collect();
    let json = format!(
        r#"{{"asset":{{"version":"1.0"}},"geometricError":10,"root":{{"boundingVolume":{{"sphere":[0,0,0,10]}},"geometricError":5,"refine":"ADD","children":[{}]}}}}"#,
        kids.join(",")
    );
    std::fs::write(dir.path().join("tileset.json"), json).unwrap();
    let base = serve(dir.path().to_path_buf());
    let ts =
        tileset::open_url(&format!("{base}/tileset.json"), &limits()).expect("opens over HTTP");
    // The file:// URI is refused at once.
    assert_eq!(ts.errors.len(), 1, "{:?}", ts.errors);
    assert!(ts.errors[0].message.contains("refused"), "{:?}", ts.errors);
    let t = Instant::now();
    let s = summary::summarise(&ts, true);
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    for e in &s.errors {
        eprintln!("{}: {}", e.uri, e.message);
    }
    assert_eq!(s.deep.unwrap().triangle_count, 1, "the good tile reads");
    let by = |n: &str| {
        s.errors
            .iter()
            .find(|e| e.uri.ends_with(n))
            .unwrap_or_else(|| panic!("no error for {n}: {:?}", s.errors))
            .message
            .clone()
    };
    assert!(
        by("404.b3dm").contains("HTTP status 404"),
        "{}",
        by("404.b3dm")
    );
    assert!(
        by("500.b3dm").contains("HTTP status 500"),
        "{}",
        by("500.b3dm")
    );
    assert!(
        by("stall.b3dm").contains("stall.b3dm"),
        "{}",
        by("stall.b3dm")
    );
    assert!(by("cut.b3dm").contains("cut.b3dm"), "{}", by("cut.b3dm"));
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn sample_tilesets_read_the_same_over_http_as_from_disk() {
    let root =
        PathBuf::from(std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA")).join("3dtiles");
    let base = serve(root.clone());
    for rel in [
        "cesium-3d-tiles-samples/1.0/TilesetWithRequestVolume/tileset.json",
        "cesium-3d-tiles-samples/1.0/TilesetWithTreeBillboards/tileset.json",
        "cesium-3d-tiles-samples/1.1/SparseImplicitOctree/tileset.json",
        "cesium-3d-tiles-samples/glTF/EXT_structural_metadata/PropertyAttributesPointCloud/tileset.json",
    ] {
        let local = summary::summarise(&tileset::open(&root.join(rel), &limits()).unwrap(), true);
        let remote = summary::summarise(
            &tileset::open_url(&format!("{base}/{rel}"), &limits()).unwrap(),
            true,
        );
        assert_eq!(local.deep, remote.deep, "{rel}");
        assert_eq!(
            (local.tile_count, local.content_count, local.max_depth),
            (remote.tile_count, remote.content_count, remote.max_depth),
            "{rel}"
        );
        assert!(remote.errors.is_empty(), "{rel}: {:?}", remote.errors);
    }
}
