use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::*;

fn png(w: u32, h: u32, rgba: [u8; 4]) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba(rgba));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn tile(matrix: usize, col: u64, row: u64) -> TileId {
    TileId { matrix, col, row }
}

/// A loopback HTTP/1.1 server answering from a fixed table (404 otherwise),
/// counting requests and remembering User-Agents. Stops when dropped.
struct TestServer {
    port: u16,
    requests: Arc<AtomicUsize>,
    agents: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start(routes: HashMap<String, (u16, Vec<u8>)>) -> TestServer {
        TestServer::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), routes)
    }

    /// Serves on `listener` (bound already, so its port can go into the routes).
    fn start_on(listener: TcpListener, routes: HashMap<String, (u16, Vec<u8>)>) -> TestServer {
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let agents = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, a, s) = (requests.clone(), agents.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            // Bounded: stops on drop, or after 60 s whatever happens.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &routes, &r, &a),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        TestServer {
            port,
            requests,
            agents,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    routes: &HashMap<String, (u16, Vec<u8>)>,
    count: &AtomicUsize,
    agents: &Mutex<Vec<String>>,
) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("user-agent:") {
            agents.lock().unwrap().push(v.trim().to_string());
        }
    }
    count.fetch_add(1, Ordering::SeqCst);
    let (status, body) = routes
        .get(&path)
        .cloned()
        .unwrap_or((404, b"not found".to_vec()));
    let mut s = stream;
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(&body);
    let _ = s.flush();
}

fn options(cache: &Path) -> FetchOptions {
    FetchOptions {
        cache_dir: Some(cache.to_path_buf()),
        timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

#[test]
fn folder_source_reads_png_and_jpeg_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tiles");
    std::fs::create_dir_all(root.join("3/6")).unwrap();
    std::fs::write(root.join("3/6/2.png"), png(256, 256, [10, 20, 30, 255])).unwrap();
    std::fs::write(root.join("3/6/3.png"), jpeg(256, 256, [200, 100, 50])).unwrap();
    std::fs::write(root.join("3/6/4.png"), b"<html>oops</html>").unwrap();
    let src = TileSource::Folder {
        path: "tiles".into(),
        pattern: "{z}/{x}/{y}.png".into(),
        tms: TmsRef::WebMercator,
    };
    let opts = FetchOptions {
        base_dir: Some(dir.path().to_path_buf()),
        ..options(&dir.path().join("cache"))
    };
    let f = TileFetcher::new(&src, &opts).unwrap();
    assert_eq!(f.tile_matrix_set().id, "WebMercatorQuad");
    let img = f.fetch(tile(3, 6, 2)).unwrap().unwrap();
    assert_eq!((img.width, img.height), (256, 256));
    assert_eq!(img.pixel(17, 200), [10, 20, 30, 255]);
    // JPEG despite the .png name: decoded by signature (lossy, so roughly).
    let img = f.fetch(tile(3, 6, 3)).unwrap().unwrap();
    let [r, g, b, a] = img.pixel(100, 100);
    assert!(r.abs_diff(200) <= 3 && g.abs_diff(100) <= 3 && b.abs_diff(50) <= 3 && a == 255);
    // Missing file, outside the matrix: no tile.
    assert!(f.fetch(tile(3, 7, 2)).unwrap().is_none());
    assert!(f.fetch(tile(3, 8, 0)).unwrap().is_none());
    assert!(f.fetch(tile(99, 0, 0)).unwrap().is_none());
    // A damaged tile names the file.
    let e = f.fetch(tile(3, 6, 4)).unwrap_err().to_string();
    assert!(e.contains("4.png") && e.contains("PNG or JPEG"), "{e}");
    // Local sources never write the cache.
    assert!(!dir.path().join("cache").exists());
    // A folder that is not there fails to open, naming it (it once showed
    // as nothing but missing tiles, without a word).
    let gone = TileSource::Folder {
        path: "no-such-tiles".into(),
        pattern: "{z}/{x}/{y}.png".into(),
        tms: TmsRef::WebMercator,
    };
    let Err(e) = TileFetcher::new(&gone, &opts) else {
        panic!("a missing tile folder opened");
    };
    let e = e.to_string();
    assert!(
        e.contains("no-such-tiles") && e.contains("no such tile folder"),
        "{e}"
    );
}

#[test]
fn http_source_caches_and_reports_errors_by_url() {
    let cache = tempfile::tempdir().unwrap();
    let mut routes = HashMap::new();
    routes.insert(
        "/t/1/0/1.png".to_string(),
        (200, png(256, 256, [1, 2, 3, 255])),
    );
    routes.insert(
        "/t/1/1/1.png".to_string(),
        (200, b"definitely not a png".to_vec()),
    );
    routes.insert("/t/1/1/0.png".to_string(), (500, b"boom".to_vec()));
    let server = TestServer::start(routes);
    let src = TileSource::Xyz {
        url: server.url("/t/{z}/{x}/{y}.png"),
        subdomains: vec![],
        tms: TmsRef::WebMercator,
        min_zoom: None,
        max_zoom: Some(19),
    };
    let f = TileFetcher::new(&src, &options(cache.path())).unwrap();
    assert_eq!(f.tile_matrix_set().matrices.len(), 20);

    let img = f.fetch(tile(1, 0, 1)).unwrap().unwrap();
    assert_eq!(img.pixel(0, 0), [1, 2, 3, 255]);
    assert_eq!(server.count(), 1);
    // Second fetch: from the disk cache, no request.
    let again = f.fetch(tile(1, 0, 1)).unwrap().unwrap();
    assert_eq!(again, img);
    assert_eq!(server.count(), 1);
    // ... also for a new fetcher on the same cache (another session).
    let f2 = TileFetcher::new(&src, &options(cache.path())).unwrap();
    assert!(f2.fetch(tile(1, 0, 1)).unwrap().is_some());
    assert_eq!(server.count(), 1);
    // The cache entry is the original body, under the URL's hash; no temp files left.
    let files: Vec<PathBuf> = walk(cache.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        !files[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".tmp")
    );

    // 404: no tile.
    assert!(f.fetch(tile(1, 0, 0)).unwrap().is_none());
    assert_eq!(server.count(), 2);
    // A corrupt body: an error naming the URL, and nothing cached.
    let e = f.fetch(tile(1, 1, 1)).unwrap_err();
    assert!(matches!(e, TileError::Decode { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&server.url("/t/1/1/1.png")), "{msg}");
    assert!(msg.contains("definitely"), "{msg}");
    assert_eq!(walk(cache.path()).len(), 1);
    // Another status: typed, with the URL.
    let e = f.fetch(tile(1, 1, 0)).unwrap_err();
    assert!(matches!(e, TileError::Status { status: 500, .. }), "{e}");
    assert!(e.to_string().contains("/t/1/1/0.png"), "{e}");

    let agents = server.agents.lock().unwrap().clone();
    assert!(!agents.is_empty());
    let expected = format!("cim-studio/{}", env!("CARGO_PKG_VERSION"));
    assert!(agents.iter().all(|a| *a == expected), "{agents:?}");

    // Offline: cached tiles only, no requests.
    let before = server.count();
    let off = TileFetcher::new(
        &src,
        &FetchOptions {
            offline: true,
            ..options(cache.path())
        },
    )
    .unwrap();
    assert!(off.fetch(tile(1, 0, 1)).unwrap().is_some());
    assert!(off.fetch(tile(2, 0, 0)).unwrap().is_none());
    assert_eq!(server.count(), before);
    drop(server);

    // A server that is gone: an HTTP error naming the URL.
    let e = f.fetch(tile(3, 0, 0)).unwrap_err();
    assert!(matches!(e, TileError::Http { .. }), "{e}");
    assert!(e.to_string().contains("/t/3/0/0.png"), "{e}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn wmts_source_over_http_with_capabilities_from_the_cache_offline() {
    let cache = tempfile::tempdir().unwrap();
    let caps = r#"<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink">
      <ows:OperationsMetadata><ows:Operation name="GetTile"><ows:DCP><ows:HTTP>
        <ows:Get xlink:href="PREFIX/img_c/wmts?"/></ows:HTTP></ows:DCP></ows:Operation></ows:OperationsMetadata>
      <Contents>
        <Layer><ows:Identifier>img</ows:Identifier><Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
          <Format>tiles</Format><TileMatrixSetLink><TileMatrixSet>c</TileMatrixSet></TileMatrixSetLink></Layer>
        <TileMatrixSet><ows:Identifier>c</ows:Identifier><ows:SupportedCRS>urn:ogc:def:crs:EPSG::4490</ows:SupportedCRS>
          <TileMatrix><ows:Identifier>1</ows:Identifier><ScaleDenominator>2.958293554545656E8</ScaleDenominator>
            <TopLeftCorner>90.0 -180.0</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
            <MatrixWidth>2</MatrixWidth><MatrixHeight>1</MatrixHeight></TileMatrix>
        </TileMatrixSet>
      </Contents></Capabilities>"#;
    let server = start_wmts_server(caps);
    let src = TileSource::Wmts {
        url: server.url("/img_c/wmts?REQUEST=GetCapabilities"),
        layer: "img".into(),
        style: String::new(),
        tile_matrix_set: String::new(),
        format: String::new(),
    };
    let f = TileFetcher::new(&src, &options(cache.path())).unwrap();
    assert_eq!(f.tile_matrix_set().crs, cim_core::crs::CrsDef::cgcs2000());
    assert!((f.tile_matrix_set().matrices[0].resolution - 0.703125).abs() < 1e-12);
    let url = f.tile_url(tile(0, 1, 0)).unwrap();
    assert!(
        url.contains("TILEMATRIX=1&TILEROW=0&TILECOL=1&FORMAT=tiles"),
        "{url}"
    );
    let img = f.fetch(tile(0, 1, 0)).unwrap().unwrap();
    assert_eq!(img.pixel(5, 5), [9, 8, 7, 255]);
    let n = server.count();
    assert_eq!(n, 2, "capabilities + one tile");

    // Offline later: capabilities and tile come from the cache.
    let off = TileFetcher::new(
        &src,
        &FetchOptions {
            offline: true,
            ..options(cache.path())
        },
    )
    .unwrap();
    assert!(off.fetch(tile(0, 1, 0)).unwrap().is_some());
    assert_eq!(server.count(), n);
    // Offline without a cached capabilities document: a typed error.
    let e = TileFetcher::new(
        &src,
        &FetchOptions {
            offline: true,
            ..options(&cache.path().join("empty"))
        },
    )
    .unwrap_err();
    assert!(matches!(e, TileError::NotCached { .. }), "{e}");

    // A layer the service does not offer: named, with the URL.
    let bad = TileSource::Wmts {
        url: server.url("/img_c/wmts?REQUEST=GetCapabilities"),
        layer: "vec".into(),
        style: String::new(),
        tile_matrix_set: String::new(),
        format: String::new(),
    };
    let e = TileFetcher::new(&bad, &options(cache.path()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("GetCapabilities") && e.contains("\"vec\""),
        "{e}"
    );
}

/// Serves `caps` (with PREFIX replaced by the server's address) at
/// `/img_c/wmts?REQUEST=GetCapabilities` and one tile by KVP.
fn start_wmts_server(caps: &str) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let prefix = format!("http://127.0.0.1:{port}");
    let mut routes = HashMap::new();
    routes.insert(
        "/img_c/wmts?REQUEST=GetCapabilities".to_string(),
        (200, caps.replace("PREFIX", &prefix).into_bytes()),
    );
    routes.insert(
        "/img_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img&STYLE=default\
         &TILEMATRIXSET=c&TILEMATRIX=1&TILEROW=0&TILECOL=1&FORMAT=tiles"
            .to_string(),
        (200, png(256, 256, [9, 8, 7, 255])),
    );
    TestServer::start_on(listener, routes)
}

#[test]
fn source_settings_are_checked_up_front() {
    let cache = tempfile::tempdir().unwrap();
    let xyz = |url: &str, min: Option<u32>, max: Option<u32>| TileSource::Xyz {
        url: url.into(),
        subdomains: vec![],
        tms: TmsRef::Cgcs2000,
        min_zoom: min,
        max_zoom: max,
    };
    let e = TileFetcher::new(
        &xyz("tiles/{zoom}/{x}/{y}.png", None, None),
        &options(cache.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("{zoom}"), "{e}");
    let e = TileFetcher::new(&xyz("{s}/{z}/{x}/{y}", None, None), &options(cache.path()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("subdomains"), "{e}");
    let e = TileFetcher::new(
        &xyz("{z}/{x}/{y}", Some(9), Some(3)),
        &options(cache.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("min_zoom 9"), "{e}");
    // CGCS2000 levels 1..=18 limited to 5..=7: three matrices, ids kept.
    let f = TileFetcher::new(
        &xyz("{z}/{x}/{y}", Some(5), Some(7)),
        &options(cache.path()),
    )
    .unwrap();
    let ids: Vec<&str> = f
        .tile_matrix_set()
        .matrices
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["5", "6", "7"]);
    assert_eq!(f.tile_url(tile(0, 3, 4)).unwrap(), "5/3/4");
}

#[test]
fn the_cache_folder_follows_xdg() {
    assert!(default_cache_dir().is_none_or(|d| d.ends_with("cim-studio/tiles")));
}
