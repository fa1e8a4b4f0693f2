//! Zip archives of GIS files (`roads.shp.zip`, or one zip with several
//! layers), read in memory with the `zip` crate (PKWARE APPNOTE.TXT 6.3).
//!
//! Each `.shp` inside, with its `.shx`, `.dbf`, `.prj` and `.cpg` (matched by
//! name, case-insensitively, in the same folder of the archive), is one layer;
//! so is each GeoJSON, ESRI ASCII grid (with its `.prj`) and GeoTIFF, and a
//! zip inside the zip is opened too (one level). A member that cannot be read
//! — bad CRC, corrupt deflate stream, malformed content — is an error for its
//! layer only. Members are named in messages as `archive.zip/member.shp`.
//! Each member is decompressed at most to the size the archive declares for
//! it, which must be below a per-format limit, so archives cannot make the
//! reader allocate without bound; before a member is decompressed, its
//! declared size times its format's expansion factor is checked against the
//! memory [`budget`](crate::budget), and a shapefile's `.shp` and `.dbf`
//! headers (decompressed alone first) against the sizes declared.

use crate::budget::{self, scaled};
use crate::vector::shapefile::{MAX_SHP_BYTES, MAX_TEXT_BYTES, Part, ShapefileParts};
use crate::{FileFormat, LoadError, Loaded};
use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};
use std::path::Path;
use zip::ZipArchive;

/// GeoJSON, grids and GeoTIFFs inside an archive are decompressed in memory.
const MAX_MEMBER_BYTES: u64 = 2 << 30;
/// How many archives deep nested zips are opened.
const MAX_NESTING: u32 = 2;

/// Loads every layer in the zip archive at `path`.
pub fn load(path: &Path) -> Vec<Result<Loaded, LoadError>> {
    match crate::source_file::open_regular(path) {
        Ok(f) => load_from(path, std::io::BufReader::new(f)),
        Err(e) => vec![Err(e)],
    }
}

/// Loads every layer in a zip archive read from `reader`; `path` names it.
pub fn load_from<R: Read + Seek>(path: &Path, reader: R) -> Vec<Result<Loaded, LoadError>> {
    load_nested(path, reader, 1)
}

fn zip_err(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::zip(path, e)
}

/// The uncompressed size the archive declares for a member, refused over
/// `max`.
fn member_size<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    index: usize,
    member: &Path,
    max: u64,
) -> Result<u64, LoadError> {
    let size = zip
        .by_index_raw(index)
        .map_err(|e| zip_err(member, e))?
        .size();
    if size > max {
        return Err(LoadError::unsupported(
            member,
            "zip member",
            format!("{size} bytes uncompressed, more than the {max}-byte limit"),
        ));
    }
    Ok(size)
}

/// The first `n` bytes of a member (fewer if it is shorter), decompressing
/// no more than that.
fn peek_member<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    index: usize,
    member: &Path,
    n: usize,
) -> Result<Vec<u8>, LoadError> {
    let f = zip.by_index(index).map_err(|e| zip_err(member, e))?;
    let mut buf = Vec::with_capacity(n);
    f.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| zip_err(member, e))?;
    Ok(buf)
}

/// Decompresses a member whose declared size is at most `max`, after
/// checking that size times `factor` against the memory budget (`factor`
/// 0 when the caller has checked the budget for it).
fn read_member<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    index: usize,
    member: &Path,
    max: u64,
    factor: f64,
) -> Result<Vec<u8>, LoadError> {
    let size = member_size(zip, index, member, max)?;
    budget::check(member, scaled(size, factor))?;
    let f = zip.by_index(index).map_err(|e| zip_err(member, e))?;
    let mut buf = Vec::with_capacity(size.min(64 << 20) as usize);
    f.take(size + 1)
        .read_to_end(&mut buf)
        .map_err(|e| zip_err(member, e))?;
    if buf.len() as u64 != size {
        return Err(zip_err(
            member,
            format!(
                "the archive declares {size} bytes but it decompresses to {}",
                buf.len()
            ),
        ));
    }
    Ok(buf)
}

/// The members of one shapefile set in an archive: index and path of each.
struct SetMembers {
    name: String,
    shp: (usize, std::path::PathBuf),
    shx: Option<(usize, std::path::PathBuf)>,
    dbf: Option<(usize, std::path::PathBuf)>,
    prj: Option<(usize, std::path::PathBuf)>,
    cpg: Option<(usize, std::path::PathBuf)>,
}

/// Decompresses a shapefile set: the `.shp` and `.dbf` headers first,
/// checked against the declared sizes, then the whole set against the
/// memory budget, then the bodies.
fn read_shapefile<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    set: SetMembers,
) -> Result<ShapefileParts, LoadError> {
    let (shp_i, shp_path) = (set.shp.0, set.shp.1.clone());
    let shp_path = shp_path.as_path();
    let shp_size = member_size(zip, shp_i, shp_path, MAX_SHP_BYTES)?;
    let head = peek_member(zip, shp_i, shp_path, 100)?;
    crate::vector::shapefile::check_shp_header(shp_path, &head, shp_size)?;
    let mut estimate = scaled(shp_size, budget::SHAPEFILE_FACTOR);
    if let Some((i, p)) = &set.dbf {
        let size = member_size(zip, *i, p, MAX_SHP_BYTES)?;
        let head = peek_member(zip, *i, p, 32)?;
        let header = crate::vector::dbf::DbfHeader::check(p, &head, size)?;
        estimate = estimate.saturating_add(header.memory_estimate(size));
    }
    for (i, p, max) in [
        (&set.shx, MAX_SHP_BYTES),
        (&set.prj, MAX_TEXT_BYTES),
        (&set.cpg, MAX_TEXT_BYTES),
    ]
    .into_iter()
    .filter_map(|(m, max)| m.as_ref().map(|(i, p)| (*i, p, max)))
    {
        estimate = estimate.saturating_add(member_size(zip, i, p, max)?);
    }
    budget::check(shp_path, estimate)?;
    let mut part = |m: Option<(usize, std::path::PathBuf)>, max: u64| {
        m.map(|(i, path)| {
            // The budget is checked above for the whole set.
            read_member(zip, i, &path, max, 0.0).map(|bytes| Part { path, bytes })
        })
        .transpose()
    };
    Ok(ShapefileParts {
        shp: part(Some(set.shp), MAX_SHP_BYTES)?.ok_or_else(|| zip_err(shp_path, "vanished"))?,
        shx: part(set.shx, MAX_SHP_BYTES)?,
        dbf: part(set.dbf, MAX_SHP_BYTES)?,
        prj: part(set.prj, MAX_TEXT_BYTES)?,
        cpg: part(set.cpg, MAX_TEXT_BYTES)?,
        name: set.name,
    })
}

fn load_nested<R: Read + Seek>(
    path: &Path,
    reader: R,
    depth: u32,
) -> Vec<Result<Loaded, LoadError>> {
    let mut zip = match ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => return vec![Err(zip_err(path, e))],
    };
    let mut names: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        match zip.name_for_index(i) {
            Some(Ok(n)) => names.push((i, n.into_owned())),
            Some(Err(e)) => out.push(Err(zip_err(path, format!("member {i}: {e}")))),
            None => {}
        }
    }
    names.retain(|(_, n)| {
        let base = n.rsplit('/').next().unwrap_or(n);
        !n.ends_with('/') && !n.starts_with("__MACOSX/") && !base.starts_with("._")
    });
    let by_lower: HashMap<String, usize> =
        names.iter().map(|(i, n)| (n.to_lowercase(), *i)).collect();
    let name_of: HashMap<usize, &str> = names.iter().map(|(i, n)| (*i, n.as_str())).collect();

    for (index, name) in &names {
        let member = path.join(name);
        let lower = name.to_lowercase();
        let stem_lower = lower.rsplit_once('.').map_or(lower.as_str(), |(s, _)| s);
        let sibling = |ext: &str| by_lower.get(&format!("{stem_lower}.{ext}")).copied();
        let result = match FileFormat::from_extension(name) {
            Some(FileFormat::Shapefile) => {
                let base = name.rsplit('/').next().unwrap_or(name);
                let set = SetMembers {
                    name: base.rsplit_once('.').map_or(base, |(s, _)| s).to_string(),
                    shp: (*index, member.clone()),
                    shx: sibling("shx").and_then(|i| Some((i, path.join(name_of.get(&i)?)))),
                    dbf: sibling("dbf").and_then(|i| Some((i, path.join(name_of.get(&i)?)))),
                    prj: sibling("prj").and_then(|i| Some((i, path.join(name_of.get(&i)?)))),
                    cpg: sibling("cpg").and_then(|i| Some((i, path.join(name_of.get(&i)?)))),
                };
                read_shapefile(&mut zip, set).and_then(|p| crate::vector::shapefile::read(&p))
            }
            Some(FileFormat::GeoJson) => read_member(
                &mut zip,
                *index,
                &member,
                MAX_MEMBER_BYTES,
                budget::GEOJSON_FACTOR,
            )
            .and_then(|b| {
                crate::vector::geojson::read_owned(&member, b, &crate::layer_name(&member))
            }),
            Some(FileFormat::AsciiGrid) => {
                let prj = match sibling("prj").and_then(|i| Some((i, name_of.get(&i)?))) {
                    None => Ok(None),
                    Some((i, n)) => {
                        let p = path.join(n);
                        read_member(&mut zip, i, &p, MAX_TEXT_BYTES, 1.0)
                            .map(|b| Some((p, String::from_utf8_lossy(&b).into_owned())))
                    }
                };
                prj.and_then(|prj| {
                    let b = read_member(
                        &mut zip,
                        *index,
                        &member,
                        MAX_MEMBER_BYTES,
                        budget::ASCII_GRID_FACTOR,
                    )?;
                    crate::raster::ascii_grid::read(
                        &member,
                        &b,
                        prj.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
                    )
                })
            }
            // The decoded raster is checked against the budget by the reader.
            Some(FileFormat::GeoTiff) => {
                read_member(&mut zip, *index, &member, MAX_MEMBER_BYTES, 1.0)
                    .and_then(|b| crate::raster::geotiff::load_from(&member, Cursor::new(b)))
            }
            Some(FileFormat::Zip) if depth < MAX_NESTING => {
                match read_member(&mut zip, *index, &member, MAX_MEMBER_BYTES, 1.0) {
                    Ok(b) => {
                        out.extend(load_nested(&member, Cursor::new(b), depth + 1));
                        continue;
                    }
                    Err(e) => Err(e),
                }
            }
            Some(FileFormat::GeoPackage) => Err(LoadError::unsupported(
                &member,
                "zip member",
                "a GeoPackage inside a zip archive cannot be read in place; extract it first",
            )),
            _ => continue,
        };
        out.push(result);
    }
    if out.is_empty() {
        out.push(Err(LoadError::UnknownFormat {
            path: path.to_path_buf(),
            detail: "the archive holds no shapefile, GeoJSON, ESRI ASCII grid or GeoTIFF"
                .to_string(),
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        zip_with(files, SimpleFileOptions::default())
    }

    fn zip_with(files: &[(&str, Vec<u8>)], options: SimpleFileOptions) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (n, b) in files {
            w.start_file(*n, options).unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const GJ: &str = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#;

    #[test]
    fn several_layers_and_one_bad_one() {
        let bytes = zip_of(&[
            ("data/points.geojson", GJ.as_bytes().to_vec()),
            ("data/broken.geojson", b"{\"type\":".to_vec()),
            ("readme.txt", b"hello".to_vec()),
            (
                "grid.asc",
                b"ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n".to_vec(),
            ),
            ("grid.prj", b"EPSG:32650".to_vec()),
            ("__MACOSX/data/._points.geojson", b"junk".to_vec()),
        ]);
        let r = load_from(Path::new("pack.zip"), Cursor::new(bytes));
        assert_eq!(r.len(), 3);
        let ok: Vec<_> = r.iter().filter_map(|x| x.as_ref().ok()).collect();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].layer.name, "points");
        assert_eq!(ok[1].layer.crs, Some(crate::crs::epsg(32650).unwrap()));
        let e = r.iter().find_map(|x| x.as_ref().err()).unwrap();
        assert_eq!(e.path(), Path::new("pack.zip/data/broken.geojson"));
        assert!(
            e.to_string()
                .starts_with("pack.zip/data/broken.geojson: invalid GeoJSON")
        );
    }

    #[test]
    fn corrupt_archives_and_members() {
        let r = load_from(
            Path::new("bad.zip"),
            Cursor::new(b"PK\x03\x04 not really".to_vec()),
        );
        assert_eq!(r.len(), 1);
        let e = r[0].as_ref().unwrap_err();
        assert!(matches!(e, LoadError::Zip { .. }), "{e}");
        assert!(e.to_string().starts_with("bad.zip: corrupt"), "{e}");

        // Flip a byte of the stored (uncompressed) member: the CRC check fails.
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut bytes = zip_with(&[("a.geojson", GJ.as_bytes().to_vec())], stored);
        let at = bytes.windows(4).position(|w| w == b"Feat").unwrap();
        bytes[at] = b'f';
        let r = load_from(Path::new("crc.zip"), Cursor::new(bytes));
        let e = r[0].as_ref().unwrap_err();
        assert!(matches!(e, LoadError::Zip { .. }), "{e}");
        assert!(
            e.to_string().starts_with("crc.zip/a.geojson: corrupt"),
            "{e}"
        );

        let r = load_from(
            Path::new("empty.zip"),
            Cursor::new(zip_of(&[("x.txt", vec![1])])),
        );
        assert!(
            r[0].as_ref()
                .unwrap_err()
                .to_string()
                .contains("holds no shapefile")
        );
    }

    #[test]
    fn nested_zip() {
        let inner = zip_of(&[("p.geojson", GJ.as_bytes().to_vec())]);
        let outer = zip_of(&[("inner.zip", inner)]);
        let r = load_from(Path::new("o.zip"), Cursor::new(outer));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].as_ref().unwrap().layer.feature_count(), 1);
    }
}
