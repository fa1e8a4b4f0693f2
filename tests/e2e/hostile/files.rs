//! Writers for the inputs the cases bend: the binary formats (ESRI
//! Shapefile Technical Description, 1998; dBASE III), scene documents and
//! zip archives. Small and deliberate.

use std::io::Write;

pub fn be(b: &mut Vec<u8>, v: i32) {
    b.extend_from_slice(&v.to_be_bytes());
}
pub fn le(b: &mut Vec<u8>, v: i32) {
    b.extend_from_slice(&v.to_le_bytes());
}
pub fn f64le(b: &mut Vec<u8>, v: f64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// A shapefile of polylines (type 3) or polygons (type 5), one part each:
/// `.shp` and `.shx` bytes.
pub fn shp(shape_type: i32, shapes: &[Vec<(f64, f64)>]) -> (Vec<u8>, Vec<u8>) {
    let header = |len_words: usize| {
        let mut h = Vec::new();
        be(&mut h, 9994);
        h.extend_from_slice(&[0; 20]);
        be(&mut h, len_words as i32);
        le(&mut h, 1000);
        le(&mut h, shape_type);
        for v in [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0] {
            f64le(&mut h, v);
        }
        h
    };
    let mut records = Vec::new();
    let mut index = Vec::new();
    for (i, pts) in shapes.iter().enumerate() {
        let mut c = Vec::new();
        le(&mut c, shape_type);
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for &(x, y) in pts {
            lo = (lo.0.min(x), lo.1.min(y));
            hi = (hi.0.max(x), hi.1.max(y));
        }
        for v in [lo.0, lo.1, hi.0, hi.1] {
            f64le(&mut c, v);
        }
        le(&mut c, 1);
        le(&mut c, pts.len() as i32);
        le(&mut c, 0);
        for &(x, y) in pts {
            f64le(&mut c, x);
            f64le(&mut c, y);
        }
        be(&mut index, (100 + records.len()) as i32 / 2);
        be(&mut index, c.len() as i32 / 2);
        be(&mut records, i as i32 + 1);
        be(&mut records, c.len() as i32 / 2);
        records.extend(c);
    }
    let mut s = header((100 + records.len()) / 2);
    s.extend(records);
    let mut x = header((100 + index.len()) / 2);
    x.extend(index);
    (s, x)
}

/// A dBASE III table with one character field `NAME` of width 10.
pub fn dbf(names: &[&str]) -> Vec<u8> {
    let mut b = vec![3, 126, 1, 1];
    b.extend_from_slice(&(names.len() as u32).to_le_bytes());
    b.extend_from_slice(&(32u16 + 32 + 1).to_le_bytes());
    b.extend_from_slice(&11u16.to_le_bytes());
    b.extend_from_slice(&[0; 20]);
    let mut field = [0u8; 32];
    field[..4].copy_from_slice(b"NAME");
    field[11] = b'C';
    field[16] = 10;
    b.extend_from_slice(&field);
    b.push(0x0D);
    for n in names {
        b.push(b' ');
        b.extend_from_slice(format!("{n:<10}").as_bytes());
    }
    b.push(0x1A);
    b
}

/// A clockwise square (an outer ring) at `(x, y)`.
pub fn square(x: f64, y: f64, s: f64) -> Vec<(f64, f64)> {
    vec![(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)]
}

pub const ROADS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"a"},"geometry":{"type":"LineString",
  "coordinates":[[113.55,22.27],[113.56,22.27]]}}]}"#;

pub fn scene(origin: &str, layers: &str, extra: &str) -> String {
    format!(
        "format_version = 1\nname = \"hostile\"\ncrs = \"EPSG:4526\"\norigin = {origin}\n{layers}\n{extra}"
    )
}

pub fn builtin_layer() -> String {
    "[[layer]]\nname = \"b\"\nsource = \"builtin:demo/buildings\"\n".into()
}

/// A member of a generated zip archive: its name and what writes it.
pub type Member<'a> = (&'a str, &'a dyn Fn(&mut dyn Write));

/// A zip archive, deflated, its members written piece by piece: the test
/// process itself never holds a large input (its peak memory would count
/// against each case it starts).
pub fn zip(members: &[Member]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (n, write) in members {
        w.start_file(*n, opts).unwrap();
        write(&mut w);
    }
    w.finish().unwrap().into_inner()
}

// ---------------------------------------------------------------------------
