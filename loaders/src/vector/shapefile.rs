//! ESRI Shapefiles: `.shp` geometry, `.shx` index, `.dbf` attributes, `.prj`
//! CRS and `.cpg` code page.
//!
//! Format: *ESRI Shapefile Technical Description*, ESRI White Paper, July
//! 1998. The 100-byte main file header (file code 9994 and file length in
//! 16-bit words, big-endian; shape type, little-endian), then records of an
//! 8-byte big-endian header (record number, content length in words) and the
//! shape content. Every shape type is read — Null, Point, PolyLine, Polygon,
//! MultiPoint, their M and Z variants, and MultiPatch — with the `shapefile`
//! crate; this module checks each record's declared lengths and counts against
//! the bytes present first, so that a truncated or hostile file is an error
//! naming the file rather than an allocation of what it claims.
//!
//! Mapping to [`Geometry`] (x, y, z; M values are dropped, with a warning):
//! * Point* → `Point`, MultiPoint* → `MultiPoint`;
//! * PolyLine* → `LineString` or `MultiLineString` (one type per layer, see
//!   `crate::vector::finish`);
//! * Polygon* → `Polygon` / `MultiPolygon`: clockwise rings are outer rings,
//!   counter-clockwise rings holes of the smallest outer ring containing them
//!   (spec p. 9); a hole inside no outer ring becomes a polygon of its own;
//! * MultiPatch → `Mesh`: triangle strips and fans as given, rings triangulated
//!   by ear clipping (holes of OuterRing/InnerRing pairs are not cut);
//! * Null shapes → an empty geometry of the layer's type.
//!
//! A feature's id is its record's 0-based index. Records whose `.dbf` row is
//! marked deleted are skipped, as GDAL does, with a warning counting them.
//!
//! The `.shx` index is used when it is whole, every entry points at a record
//! inside the `.shp`, and it lists at least as many records as walking the
//! `.shp` from record to record finds; otherwise the `.shp` is read
//! sequentially, with a warning naming the `.shx` ("truncated (lists 90 of
//! 193 records)"), so a damaged index never loses features.

use crate::vector::dbf::{self, DbfTable};
use crate::vector::finish::{self, Family, RawFeature};
use crate::{LoadError, Loaded, budget, source_file};
use ::shapefile::record::ReadableShape;
use ::shapefile::{Patch, PolygonRing, Shape, ShapeType};
use cim_core::model::geometry::Polygon;
use cim_core::{DVec3, FeatureId, Geometry, Layer, LayerContent, LayerKind, VectorData};
use std::path::{Path, PathBuf};

const FMT: &str = "shapefile";
/// Offsets and lengths are 32-bit counts of 16-bit words: no file is larger.
pub(crate) const MAX_SHP_BYTES: u64 = 1 << 32;
/// Side files (.prj, .cpg) are small text files.
pub(crate) const MAX_TEXT_BYTES: u64 = 1 << 20;

/// One file of a shapefile set: where it is (for messages) and its bytes.
#[derive(Clone, Debug)]
pub struct Part {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// The files of one shapefile, read from disk or from a zip archive.
#[derive(Clone, Debug)]
pub struct ShapefileParts {
    /// Layer name (the `.shp` file's stem).
    pub name: String,
    pub shp: Part,
    pub shx: Option<Part>,
    pub dbf: Option<Part>,
    pub prj: Option<Part>,
    pub cpg: Option<Part>,
}

/// Loads the shapefile whose `.shp` is at `path`, with the side files next to
/// it (found case-insensitively: `ROADS.DBF` goes with `roads.shp`).
///
/// The `.shp` and `.dbf` headers are read and checked against the files'
/// lengths first, and the whole set against the memory [`budget`], before
/// any body is read.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shp = Pending::open(path.to_path_buf(), 100, MAX_SHP_BYTES)?;
    check_shp_header(path, &shp.head, shp.len)?;
    let siblings: Vec<PathBuf> = path
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let side = |ext: &str, head: usize, max: u64| -> Result<Option<Pending>, LoadError> {
        let exact = path.with_extension(ext);
        let found = if exact.is_file() {
            Some(exact)
        } else {
            let want = format!("{name}.{ext}").to_lowercase();
            siblings
                .iter()
                .find(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().to_lowercase() == want)
                })
                .cloned()
        };
        found.map(|p| Pending::open(p, head, max)).transpose()
    };
    let shx = side("shx", 0, MAX_SHP_BYTES)?;
    let dbf = side("dbf", 32, MAX_SHP_BYTES)?;
    let prj = side("prj", 0, MAX_TEXT_BYTES)?;
    let cpg = side("cpg", 0, MAX_TEXT_BYTES)?;
    let dbf_estimate = match &dbf {
        Some(d) => dbf::DbfHeader::check(&d.path, &d.head, d.len)?.memory_estimate(d.len),
        None => 0,
    };
    let small = |p: &Option<Pending>| p.as_ref().map_or(0, |p| p.len);
    budget::check(
        path,
        budget::scaled(shp.len, budget::SHAPEFILE_FACTOR)
            .saturating_add(dbf_estimate)
            .saturating_add(small(&shx))
            .saturating_add(small(&prj))
            .saturating_add(small(&cpg)),
    )?;
    let parts = ShapefileParts {
        shx: shx.map(Pending::finish).transpose()?,
        dbf: dbf.map(Pending::finish).transpose()?,
        prj: prj.map(Pending::finish).transpose()?,
        cpg: cpg.map(Pending::finish).transpose()?,
        name,
        shp: shp.finish()?,
    };
    read(&parts)
}

/// A file of a shapefile set, opened and with its header read, whose body
/// is read once every header has been checked.
struct Pending {
    path: PathBuf,
    file: std::fs::File,
    len: u64,
    max: u64,
    head: Vec<u8>,
}

impl Pending {
    fn open(path: PathBuf, head: usize, max: u64) -> Result<Pending, LoadError> {
        let (mut file, len) = source_file::open_sized(&path)?;
        if len > max {
            return Err(LoadError::unsupported(
                &path,
                "file",
                format!("{len} bytes is more than the {max}-byte limit for reading it whole"),
            ));
        }
        let mut buf = vec![0u8; head];
        let n = source_file::read_up_to(&mut file, &path, &mut buf)?;
        buf.truncate(n);
        Ok(Pending {
            path,
            file,
            len,
            max,
            head: buf,
        })
    }

    fn finish(self) -> Result<Part, LoadError> {
        let bytes = source_file::read_rest(self.file, &self.path, self.head, self.len, self.max)?;
        Ok(Part {
            path: self.path,
            bytes,
        })
    }
}

fn be_i32(b: &[u8], at: usize) -> i64 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as i64
}

fn le_i32(b: &[u8], at: usize) -> i64 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as i64
}

/// Checks the 100-byte main file header at the start of `head` (file code
/// 9994, the file length it declares) against `file_len`, the real length
/// of the `.shp`; the declared length in bytes.
pub(crate) fn check_shp_header(
    path: &Path,
    head: &[u8],
    file_len: u64,
) -> Result<usize, LoadError> {
    if head.len() < 100 {
        return Err(LoadError::truncated(
            path,
            format!("{file_len} bytes, shorter than the 100-byte .shp header"),
        ));
    }
    let code = be_i32(head, 0);
    if code != 9994 {
        return Err(LoadError::invalid(
            path,
            FMT,
            format!("file code {code} where a .shp has 9994: not a shapefile"),
        ));
    }
    let declared = be_i32(head, 24) * 2;
    if declared < 100 {
        return Err(LoadError::invalid(
            path,
            FMT,
            format!("the header declares a file length of {declared} bytes, less than the header"),
        ));
    }
    if declared as u64 > file_len {
        return Err(LoadError::truncated(
            path,
            format!("the .shp header declares {declared} bytes but the file has only {file_len}"),
        ));
    }
    Ok(declared as usize)
}

/// The header of one record at byte `at` of the `.shp`, checked against
/// `end`: the range of its content.
fn record_at(
    shp: &Part,
    end: usize,
    i: usize,
    at: i64,
    what: &str,
) -> Result<(usize, usize), LoadError> {
    let p = &shp.path;
    if at < 100 {
        return Err(LoadError::invalid(
            p,
            FMT,
            format!("record {i}{what} starts at byte {at}, inside the 100-byte header"),
        ));
    }
    let at = at as usize;
    if at + 8 > end {
        return Err(LoadError::truncated(
            p,
            format!(
                "record {i}{what} starts at byte {at}, past the end of the file content at \
                 byte {end}"
            ),
        ));
    }
    let len = be_i32(&shp.bytes, at + 4) * 2;
    if len < 0 || at + 8 + len as usize > end {
        return Err(LoadError::truncated(
            p,
            format!(
                "record {i}{what} at byte {at} declares {len} content bytes, running past \
                 the end of the file content at byte {end}"
            ),
        ));
    }
    Ok((at + 8, len as usize))
}

/// The records of the `.shp`, walked one after the other from the header.
fn sequential_ranges(shp: &Part, end: usize) -> Result<Vec<(usize, usize)>, LoadError> {
    let mut out = Vec::new();
    let mut at = 100;
    while at < end {
        let r = record_at(shp, end, out.len(), at as i64, "")?;
        at = r.0 + r.1;
        out.push(r);
    }
    Ok(out)
}

/// Why a `.shx` is not used.
enum ShxProblem {
    /// Not an index at all.
    Invalid(String),
    /// Cut short: it holds `held` complete entries.
    Truncated { held: usize },
    /// An entry pointing outside the `.shp`.
    Entry(LoadError),
}

/// The records the `.shx` lists, if it is whole and every entry is sound.
fn indexed_ranges(shp: &Part, end: usize, shx: &Part) -> Result<Vec<(usize, usize)>, ShxProblem> {
    let x = &shx.bytes;
    if x.len() < 100 {
        return Err(ShxProblem::Invalid(format!(
            "{} bytes, shorter than the 100-byte header",
            x.len()
        )));
    }
    let code = be_i32(x, 0);
    if code != 9994 {
        return Err(ShxProblem::Invalid(format!("file code {code}, not 9994")));
    }
    let held = (x.len() - 100) / 8;
    let declared = be_i32(x, 24) * 2;
    if declared < 100 {
        return Err(ShxProblem::Invalid(format!(
            "declared length {declared} bytes, less than the header"
        )));
    }
    let declared = (declared as usize - 100) / 8;
    if declared > held {
        return Err(ShxProblem::Truncated { held });
    }
    (0..declared)
        .map(|i| record_at(shp, end, i, be_i32(x, 100 + 8 * i) * 2, " (from the .shx)"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ShxProblem::Entry)
}

/// Byte ranges of the record contents (after each 8-byte record header):
/// from the `.shx` when it is sound and lists every record, else from the
/// `.shp` read sequentially, with a warning naming the `.shx`. No record
/// the `.shp` holds is left out because of its index.
fn record_ranges(
    shp: &Part,
    end: usize,
    shx: Option<&Part>,
    warnings: &mut Vec<String>,
) -> Result<Vec<(usize, usize)>, LoadError> {
    let sequential = sequential_ranges(shp, end);
    let Some(shx) = shx else {
        return sequential;
    };
    let shown = crate::show(&shx.path);
    match (indexed_ranges(shp, end, shx), sequential) {
        (Ok(indexed), Ok(seq)) if seq.len() > indexed.len() => {
            warnings.push(format!(
                "{shown}: truncated (lists {} of {} records); read the .shp sequentially",
                indexed.len(),
                seq.len()
            ));
            Ok(seq)
        }
        // A sound index that the sequential walk cannot follow (a .shp with
        // gaps between records, which the format allows) is used as it is.
        (Ok(indexed), _) => Ok(indexed),
        (Err(problem), Ok(seq)) => {
            let why = match problem {
                ShxProblem::Invalid(why) => format!("not a valid shapefile index ({why})"),
                ShxProblem::Truncated { held } => {
                    format!("truncated (lists {held} of {} records)", seq.len())
                }
                ShxProblem::Entry(e) => format!("an entry does not match the .shp ({e})"),
            };
            warnings.push(format!("{shown}: {why}; read the .shp sequentially"));
            Ok(seq)
        }
        (Err(_), Err(e)) => Err(e),
    }
}

/// Checks a record's declared part and point counts against its length, so
/// the `shapefile` crate never reserves more than the record holds.
fn check_counts(c: &[u8]) -> Result<(), String> {
    if c.len() < 4 {
        return Err(format!("{} bytes, too short for a shape type", c.len()));
    }
    let t = le_i32(c, 0);
    let need = |n: u64| -> Result<(), String> {
        if n > c.len() as u64 {
            Err(format!(
                "shape type {t} needs {n} bytes but the record has {}",
                c.len()
            ))
        } else {
            Ok(())
        }
    };
    match t {
        0 => Ok(()),
        1 => need(20),
        11 | 21 => need(28),
        3 | 5 | 13 | 15 | 23 | 25 | 31 => {
            need(44)?;
            let (parts, points) = (le_i32(c, 36), le_i32(c, 40));
            if parts < 0 || points < 0 {
                return Err(format!("negative counts: {parts} parts, {points} points"));
            }
            let (np, n) = (parts as u64, points as u64);
            let mut size = 44 + 4 * np + 16 * n;
            if t == 31 {
                size += 4 * np;
            }
            if matches!(t, 13 | 15 | 31) {
                size += 16 + 8 * n;
            }
            need(size)?;
            // Part starts index the points: ascending and within the count
            // (the crate sizes each part from them).
            let mut prev = 0;
            for i in 0..parts as usize {
                let start = le_i32(c, 44 + 4 * i);
                if start < prev || start > points {
                    return Err(format!(
                        "part {i} starts at point {start}, outside 0..={points} or before part \
                         {}'s start",
                        i.saturating_sub(1)
                    ));
                }
                prev = start;
            }
            Ok(())
        }
        8 | 18 | 28 => {
            need(40)?;
            let points = le_i32(c, 36);
            if points < 0 {
                return Err(format!("negative point count {points}"));
            }
            let n = points as u64;
            need(40 + 16 * n + if t == 18 { 16 + 8 * n } else { 0 })
        }
        _ => Err(format!("unknown shape type {t}")),
    }
}

/// Decodes one shapefile from its parts.
pub fn read(parts: &ShapefileParts) -> Result<Loaded, LoadError> {
    let shp = &parts.shp;
    let b = &shp.bytes;
    let end = check_shp_header(&shp.path, b, b.len() as u64)?;
    let header = ::shapefile::header::Header::read_from(&mut &b[..100])
        .map_err(|e| LoadError::invalid(&shp.path, FMT, format!("bad .shp header: {e}")))?;
    let mut warnings = Vec::new();
    if b.len() > end {
        warnings.push(format!(
            "{}: {} bytes after the {end} its header declares are ignored",
            crate::show(&shp.path),
            b.len() - end
        ));
    }
    let ranges = record_ranges(shp, end, parts.shx.as_ref(), &mut warnings)?;

    let (fields, records) = match &parts.dbf {
        Some(d) => {
            let cpg = parts
                .cpg
                .as_ref()
                .map(|c| String::from_utf8_lossy(&c.bytes).into_owned());
            let DbfTable {
                fields,
                records,
                warnings: dbf_warnings,
                ..
            } = dbf::read_dbf(&d.path, &d.bytes, cpg.as_deref())?;
            if records.len() < ranges.len() {
                return Err(LoadError::invalid(
                    &d.path,
                    FMT,
                    format!(
                        "the .dbf has {} records but {} has {} shapes",
                        records.len(),
                        crate::show(&shp.path),
                        ranges.len()
                    ),
                ));
            }
            if records.len() > ranges.len() {
                warnings.push(format!(
                    "{}: {} records but the .shp has only {} shapes; the {} extra records are \
                     ignored",
                    crate::show(&d.path),
                    records.len(),
                    ranges.len(),
                    records.len() - ranges.len()
                ));
            }
            let deleted = records[..ranges.len()]
                .iter()
                .filter(|r| r.is_none())
                .count();
            if deleted > 0 {
                warnings.push(format!(
                    "{}: {deleted} record(s) marked deleted; they and their shapes are skipped",
                    crate::show(&d.path)
                ));
            }
            warnings.extend(dbf_warnings);
            (fields, Some(records))
        }
        None => {
            warnings.push(format!(
                "{}: no .dbf next to it; the features have no attributes",
                crate::show(&shp.path)
            ));
            (Vec::new(), None)
        }
    };

    let mut raw = Vec::with_capacity(ranges.len());
    let mut records = records.map(|r| r.into_iter());
    for (i, &(start, len)) in ranges.iter().enumerate() {
        let attrs = match records.as_mut().and_then(|r| r.next()) {
            Some(None) => continue, // deleted in the .dbf
            Some(Some(a)) => a,
            None => Vec::new(),
        };
        let content = &b[start..start + len];
        let geometry = parse_shape(content).map_err(|e| {
            LoadError::invalid(
                &shp.path,
                FMT,
                format!("record {i} at byte {}: {e}", start - 8),
            )
        })?;
        raw.push(RawFeature {
            id: FeatureId(i as u64),
            geometry,
            attributes: attrs,
        });
    }
    drop(records);

    let crs = parts.prj.as_ref().and_then(|p| {
        let text = String::from_utf8_lossy(&p.bytes);
        match crate::crs::parse(&text) {
            Ok(c) => Some(c),
            Err(e) => {
                warnings.push(format!(
                    "{}: CRS not recognised ({e}); the layer is loaded without a CRS",
                    crate::show(&p.path)
                ));
                None
            }
        }
    });
    if matches!(
        header.shape_type,
        ShapeType::PointM | ShapeType::PolylineM | ShapeType::PolygonM | ShapeType::MultipointM
    ) && !raw.is_empty()
    {
        warnings.push(format!(
            "{}: the M (measure) values of its {} shapes are not kept (only x, y and z are read)",
            crate::show(&shp.path),
            raw.len()
        ));
    }
    let hint = match header.shape_type {
        ShapeType::Point
        | ShapeType::PointM
        | ShapeType::PointZ
        | ShapeType::Multipoint
        | ShapeType::MultipointM
        | ShapeType::MultipointZ => Some(Family::Points),
        ShapeType::Polyline | ShapeType::PolylineM | ShapeType::PolylineZ => Some(Family::Lines),
        ShapeType::Polygon | ShapeType::PolygonM | ShapeType::PolygonZ => Some(Family::Areas),
        ShapeType::Multipatch => Some(Family::Meshes),
        ShapeType::NullShape => None,
    };
    let features = finish::finish(raw, hint);
    Ok(Loaded {
        layer: Layer {
            name: parts.name.clone(),
            format: crate::FileFormat::Shapefile.name().to_string(),
            crs,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(VectorData { fields, features }),
        },
        warnings,
        detail: None,
    })
}

/// Parses one record's content (shape type onward) into a geometry;
/// `None` for a Null shape.
pub fn parse_shape(content: &[u8]) -> Result<Option<Geometry>, String> {
    check_counts(content)?;
    if content.len() > i32::MAX as usize {
        return Err("record larger than 2 GiB".into());
    }
    let shape = Shape::read_from(&mut std::io::Cursor::new(content), content.len() as i32)
        .map_err(|e| e.to_string())?;
    Ok(shape_to_geometry(shape))
}

fn xy(x: f64, y: f64) -> DVec3 {
    DVec3::new(x, y, 0.0)
}

fn lines(parts: Vec<Vec<DVec3>>) -> Option<Geometry> {
    let mut parts: Vec<_> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    match parts.len() {
        0 => None,
        1 => Some(Geometry::LineString(parts.pop().unwrap_or_default())),
        _ => Some(Geometry::MultiLineString(parts)),
    }
}

fn shape_to_geometry(shape: Shape) -> Option<Geometry> {
    let pts2 = |v: &[::shapefile::Point]| v.iter().map(|p| xy(p.x, p.y)).collect::<Vec<_>>();
    let ptsm = |v: &[::shapefile::PointM]| v.iter().map(|p| xy(p.x, p.y)).collect::<Vec<_>>();
    let ptsz = |v: &[::shapefile::PointZ]| {
        v.iter()
            .map(|p| DVec3::new(p.x, p.y, p.z))
            .collect::<Vec<_>>()
    };
    match shape {
        Shape::NullShape => None,
        Shape::Point(p) => Some(Geometry::Point(xy(p.x, p.y))),
        Shape::PointM(p) => Some(Geometry::Point(xy(p.x, p.y))),
        Shape::PointZ(p) => Some(Geometry::Point(DVec3::new(p.x, p.y, p.z))),
        Shape::Multipoint(m) => multipoint(pts2(m.points())),
        Shape::MultipointM(m) => multipoint(ptsm(m.points())),
        Shape::MultipointZ(m) => multipoint(ptsz(m.points())),
        Shape::Polyline(l) => lines(l.parts().iter().map(|p| pts2(p)).collect()),
        Shape::PolylineM(l) => lines(l.parts().iter().map(|p| ptsm(p)).collect()),
        Shape::PolylineZ(l) => lines(l.parts().iter().map(|p| ptsz(p)).collect()),
        Shape::Polygon(p) => polygons(p.rings().iter().map(|r| ring(r, &pts2))),
        Shape::PolygonM(p) => polygons(p.rings().iter().map(|r| ring(r, &ptsm))),
        Shape::PolygonZ(p) => polygons(p.rings().iter().map(|r| ring(r, &ptsz))),
        Shape::Multipatch(m) => multipatch(m.patches()),
    }
}

fn multipoint(points: Vec<DVec3>) -> Option<Geometry> {
    (!points.is_empty()).then_some(Geometry::MultiPoint(points))
}

fn ring<P>(r: &PolygonRing<P>, conv: &dyn Fn(&[P]) -> Vec<DVec3>) -> (Vec<DVec3>, bool) {
    let outer = matches!(r, PolygonRing::Outer(_));
    (finish::open_ring(conv(r.points())), outer)
}

/// Groups rings into polygons: each outer (clockwise) ring starts a polygon,
/// each hole goes to the smallest outer ring containing its first vertex.
fn polygons(rings: impl Iterator<Item = (Vec<DVec3>, bool)>) -> Option<Geometry> {
    let mut outers: Vec<Polygon> = Vec::new();
    let mut holes: Vec<Vec<DVec3>> = Vec::new();
    for (r, outer) in rings {
        if r.len() < 3 {
            continue;
        }
        if outer {
            outers.push(Polygon::new(r));
        } else {
            holes.push(r);
        }
    }
    if !holes.is_empty() {
        // Holes are matched against the outer rings only, not against holes
        // that found no owner and became polygons themselves.
        let areas: Vec<f64> = outers.iter().map(|p| p.area()).collect();
        for h in holes {
            let p0 = h[0];
            let owner = outers[..areas.len()]
                .iter()
                .enumerate()
                .filter(|(_, o)| o.contains_xy(p0.x, p0.y))
                .min_by(|a, b| areas[a.0].total_cmp(&areas[b.0]))
                .map(|(i, _)| i);
            match owner {
                Some(i) => outers[i].interiors.push(h),
                None => outers.push(Polygon::new(h)),
            }
        }
    }
    match outers.len() {
        0 => None,
        1 => outers.pop().map(Geometry::Polygon),
        _ => Some(Geometry::MultiPolygon(outers)),
    }
}

fn multipatch(patches: &[Patch]) -> Option<Geometry> {
    let mut positions: Vec<DVec3> = Vec::new();
    let mut indices: Vec<u32> = Vec::new();
    for patch in patches {
        let pts: Vec<DVec3> = patch
            .points()
            .iter()
            .map(|p| DVec3::new(p.x, p.y, p.z))
            .collect();
        let base = positions.len() as u32;
        match patch {
            Patch::TriangleStrip(_) => {
                for i in 0..pts.len().saturating_sub(2) {
                    let i = i as u32;
                    if i.is_multiple_of(2) {
                        indices.extend([base + i, base + i + 1, base + i + 2]);
                    } else {
                        indices.extend([base + i + 1, base + i, base + i + 2]);
                    }
                }
                positions.extend(pts);
            }
            Patch::TriangleFan(_) => {
                for i in 1..pts.len().saturating_sub(1) {
                    let i = i as u32;
                    indices.extend([base, base + i, base + i + 1]);
                }
                positions.extend(pts);
            }
            Patch::InnerRing(_) => {}
            Patch::OuterRing(_) | Patch::FirstRing(_) | Patch::Ring(_) => {
                let r = finish::open_ring(pts);
                finish::triangulate_ring(&r, base, &mut indices);
                positions.extend(r);
            }
        }
    }
    (!positions.is_empty()).then_some(Geometry::Mesh { positions, indices })
}

#[cfg(test)]
mod tests;
