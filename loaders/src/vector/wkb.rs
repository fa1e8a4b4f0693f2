//! Well-Known Binary geometry, as stored in GeoPackage blobs.
//!
//! Format: OGC 06-103r4 *Simple Feature Access – Part 1: Common Architecture*
//! 1.2.1, §8.2 (WKB), with the ISO type codes for Z/M/ZM (`1000`/`2000`/`3000`
//! added to the base type, as OGC GeoPackage 1.3 §2.1.3.1.1 requires) and, for
//! robustness, the EWKB flag bits (`0x80000000` Z, `0x40000000` M,
//! `0x20000000` SRID). Types: Point, LineString, Polygon, MultiPoint,
//! MultiLineString, MultiPolygon, GeometryCollection (all points, all lines or
//! all polygons), PolyhedralSurface, TIN and Triangle (→ `Mesh`).
//!
//! Every count is checked against the bytes left before anything is
//! allocated, and nesting is limited, so hostile blobs give errors.

use crate::vector::finish;
use cim_core::model::geometry::Polygon;
use cim_core::{DVec3, Geometry};

const MAX_DEPTH: u32 = 16;

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

#[derive(Clone, Copy)]
struct Dims {
    z: bool,
    m: bool,
}

impl Dims {
    fn point_bytes(self) -> usize {
        8 * (2 + self.z as usize + self.m as usize)
    }
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.b.len() - self.at < n {
            return Err(format!(
                "WKB ends at byte {} but {n} more bytes are needed at byte {}",
                self.b.len(),
                self.at
            ));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn u32(&mut self, le: bool) -> Result<u32, String> {
        let s: [u8; 4] = self.take(4)?.try_into().map_err(|_| "short read")?;
        Ok(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn f64(&mut self, le: bool) -> Result<f64, String> {
        let s: [u8; 8] = self.take(8)?.try_into().map_err(|_| "short read")?;
        Ok(if le {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    }

    /// A count of items each at least `min_bytes` long, checked against what is left.
    fn count(&mut self, le: bool, min_bytes: usize) -> Result<usize, String> {
        let n = self.u32(le)? as usize;
        let left = self.b.len() - self.at;
        if n.saturating_mul(min_bytes.max(1)) > left {
            return Err(format!(
                "WKB declares {n} items of at least {min_bytes} bytes but only {left} bytes are left"
            ));
        }
        Ok(n)
    }

    fn point(&mut self, le: bool, d: Dims) -> Result<DVec3, String> {
        let x = self.f64(le)?;
        let y = self.f64(le)?;
        let z = if d.z { self.f64(le)? } else { 0.0 };
        if d.m {
            self.f64(le)?;
        }
        Ok(DVec3::new(x, y, if z.is_nan() { 0.0 } else { z }))
    }

    fn points(&mut self, le: bool, d: Dims) -> Result<Vec<DVec3>, String> {
        let n = self.count(le, d.point_bytes())?;
        (0..n).map(|_| self.point(le, d)).collect()
    }

    fn rings(&mut self, le: bool, d: Dims) -> Result<Vec<Vec<DVec3>>, String> {
        let n = self.count(le, 4)?;
        (0..n)
            .map(|_| self.points(le, d).map(finish::open_ring))
            .collect()
    }

    /// One geometry with its own byte-order and type header.
    fn geometry(&mut self, depth: u32) -> Result<Option<Geometry>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("geometries nested more than {MAX_DEPTH} deep"));
        }
        let le = match self.take(1)?[0] {
            0 => false,
            1 => true,
            o => return Err(format!("invalid WKB byte order {o}")),
        };
        let raw = self.u32(le)?;
        let mut d = Dims {
            z: raw & 0x8000_0000 != 0,
            m: raw & 0x4000_0000 != 0,
        };
        if raw & 0x2000_0000 != 0 {
            self.u32(le)?; // EWKB SRID
        }
        let code = raw & 0x0FFF_FFFF;
        let (base, iso) = (code % 1000, code / 1000);
        match iso {
            0 => {}
            1 => d.z = true,
            2 => d.m = true,
            3 => (d.z, d.m) = (true, true),
            _ => return Err(format!("unknown WKB geometry type {code}")),
        }
        let sub = |r: &mut Self, want: u32| -> Result<Option<Geometry>, String> {
            let at = r.at;
            let g = r.geometry(depth + 1)?;
            // The member's own type code, after its byte-order byte.
            let t = r.b.get(at + 1..at + 5).map(|s| {
                let a: [u8; 4] = s.try_into().unwrap_or_default();
                let v = if r.b[at] == 1 {
                    u32::from_le_bytes(a)
                } else {
                    u32::from_be_bytes(a)
                };
                (v & 0x0FFF_FFFF) % 1000
            });
            if want != 0 && t != Some(want) {
                return Err(format!(
                    "a member of type {} where type {want} is required",
                    t.unwrap_or(0)
                ));
            }
            Ok(g)
        };
        Ok(match base {
            1 => {
                let p = self.point(le, d)?;
                (!(p.x.is_nan() && p.y.is_nan())).then_some(Geometry::Point(p))
            }
            2 => Some(Geometry::LineString(self.points(le, d)?)).filter(|g| !is_empty(g)),
            3 | 17 => {
                let mut rings = self.rings(le, d)?.into_iter();
                match rings.next().filter(|r| !r.is_empty()) {
                    None => None,
                    Some(exterior) => {
                        let p = Polygon {
                            exterior,
                            interiors: rings.collect(),
                        };
                        if base == 17 {
                            Some(mesh(vec![p]))
                        } else {
                            Some(Geometry::Polygon(p))
                        }
                    }
                }
            }
            4..=7 | 15 | 16 => {
                let want = match base {
                    4 => 1,
                    5 => 2,
                    6 | 15 => 3,
                    16 => 17,
                    _ => 0,
                };
                let n = self.count(le, 5)?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    if let Some(g) = sub(self, want)? {
                        parts.push(g);
                    }
                }
                match base {
                    15 | 16 => {
                        let mut polys = Vec::new();
                        let mut m = Geometry::Mesh {
                            positions: Vec::new(),
                            indices: Vec::new(),
                        };
                        for g in parts {
                            match g {
                                Geometry::Polygon(p) => polys.push(p),
                                Geometry::Mesh { .. } => append_mesh(&mut m, g),
                                _ => {}
                            }
                        }
                        append_mesh(&mut m, mesh(polys));
                        Some(m).filter(|g| !is_empty(g))
                    }
                    _ => finish::merge_collection(parts)?,
                }
            }
            _ => return Err(format!("unsupported WKB geometry type {code}")),
        })
    }
}

fn is_empty(g: &Geometry) -> bool {
    g.bbox().is_none()
}

/// Triangulates polygons (exterior rings; holes are not cut) into a mesh.
fn mesh(polys: Vec<Polygon>) -> Geometry {
    let mut positions = Vec::new();
    let mut indices = Vec::new();
    for p in polys {
        let base = positions.len() as u32;
        finish::triangulate_ring(&p.exterior, base, &mut indices);
        positions.extend(p.exterior);
    }
    Geometry::Mesh { positions, indices }
}

fn append_mesh(into: &mut Geometry, from: Geometry) {
    if let (
        Geometry::Mesh { positions, indices },
        Geometry::Mesh {
            positions: p2,
            indices: i2,
        },
    ) = (into, from)
    {
        let base = positions.len() as u32;
        positions.extend(p2);
        indices.extend(i2.into_iter().map(|i| i + base));
    }
}

/// Parses one WKB geometry; `None` for an empty one. Trailing bytes are an
/// error.
pub fn parse(bytes: &[u8]) -> Result<Option<Geometry>, String> {
    let mut r = Reader { b: bytes, at: 0 };
    let g = r.geometry(0)?;
    if r.at != bytes.len() {
        return Err(format!(
            "{} bytes left over after the WKB geometry",
            bytes.len() - r.at
        ));
    }
    Ok(g)
}

/// Whether a WKB geometry carries M (measure) values, which [`parse`]
/// does not keep: from its type code (ISO `2xxx`/`3xxx`, or the EWKB M
/// flag). `false` for bytes too short to say.
///
/// ```
/// // A Point M (ISO 2001), little-endian: 1, then the type code.
/// let mut b = vec![1u8];
/// b.extend(2001u32.to_le_bytes());
/// assert!(cim_loaders::vector::wkb::has_m(&b));
/// let mut p = vec![1u8];
/// p.extend(1001u32.to_le_bytes()); // Point Z
/// assert!(!cim_loaders::vector::wkb::has_m(&p));
/// ```
pub fn has_m(bytes: &[u8]) -> bool {
    let Some(&[order, a, b, c, d]) = bytes.get(..5) else {
        return false;
    };
    let raw = if order == 1 {
        u32::from_le_bytes([a, b, c, d])
    } else {
        u32::from_be_bytes([a, b, c, d])
    };
    raw & 0x4000_0000 != 0 || matches!((raw & 0x0FFF_FFFF) / 1000, 2 | 3)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Little-endian WKB writer for tests.
    pub(crate) struct W(pub Vec<u8>);
    impl W {
        pub fn new() -> Self {
            W(Vec::new())
        }
        pub fn head(&mut self, ty: u32) -> &mut Self {
            self.0.push(1);
            self.0.extend(ty.to_le_bytes());
            self
        }
        pub fn n(&mut self, n: u32) -> &mut Self {
            self.0.extend(n.to_le_bytes());
            self
        }
        pub fn pts(&mut self, p: &[&[f64]]) -> &mut Self {
            for c in p {
                for v in *c {
                    self.0.extend(v.to_le_bytes());
                }
            }
            self
        }
    }

    #[test]
    fn points_lines_polygons_in_2d_and_3d() {
        let mut w = W::new();
        w.head(1001).pts(&[&[1.0, 2.0, 3.0]]);
        assert_eq!(
            parse(&w.0).unwrap(),
            Some(Geometry::Point(DVec3::new(1.0, 2.0, 3.0)))
        );
        let mut w = W::new();
        w.head(3).n(1).n(5).pts(&[
            &[0.0, 0.0],
            &[4.0, 0.0],
            &[4.0, 4.0],
            &[0.0, 4.0],
            &[0.0, 0.0],
        ]);
        let Some(Geometry::Polygon(p)) = parse(&w.0).unwrap() else {
            panic!()
        };
        assert_eq!(p.exterior.len(), 4);
        assert_eq!(p.area(), 16.0);
        // MultiLineString ZM (ISO 3005): M is skipped.
        let mut w = W::new();
        w.head(3005).n(1);
        w.head(3002)
            .n(2)
            .pts(&[&[0.0, 0.0, 5.0, 9.0], &[1.0, 1.0, 6.0, 9.0]]);
        let Some(Geometry::MultiLineString(ls)) = parse(&w.0).unwrap() else {
            panic!()
        };
        assert_eq!(ls[0][1], DVec3::new(1.0, 1.0, 6.0));
        // Big-endian EWKB point with Z flag.
        let mut b = vec![0u8];
        b.extend((0x8000_0001u32).to_be_bytes());
        for v in [7.0f64, 8.0, 9.0] {
            b.extend(v.to_be_bytes());
        }
        assert_eq!(
            parse(&b).unwrap(),
            Some(Geometry::Point(DVec3::new(7.0, 8.0, 9.0)))
        );
    }

    #[test]
    fn empty_geometries_are_none() {
        let mut w = W::new();
        w.head(1).pts(&[&[f64::NAN, f64::NAN]]);
        assert_eq!(parse(&w.0).unwrap(), None);
        let mut w = W::new();
        w.head(6).n(0);
        assert_eq!(parse(&w.0).unwrap(), None);
    }

    #[test]
    fn tin_becomes_a_mesh() {
        let mut w = W::new();
        w.head(1016).n(2);
        for z in [0.0, 1.0] {
            w.head(1017).n(1).n(4).pts(&[
                &[0.0, 0.0, z],
                &[1.0, 0.0, z],
                &[0.0, 1.0, z],
                &[0.0, 0.0, z],
            ]);
        }
        let Some(Geometry::Mesh { positions, indices }) = parse(&w.0).unwrap() else {
            panic!()
        };
        assert_eq!(positions.len(), 6);
        assert_eq!(indices.len(), 6);
        assert!(indices[3..].iter().all(|&i| i >= 3));
    }

    #[test]
    fn hostile_counts_and_nesting_are_errors() {
        let mut w = W::new();
        w.head(2).n(u32::MAX);
        assert!(
            parse(&w.0)
                .unwrap_err()
                .contains("declares 4294967295 items")
        );
        let mut w = W::new();
        for _ in 0..40 {
            w.head(7).n(1);
        }
        assert!(parse(&w.0).unwrap_err().contains("nested"));
        let mut w = W::new();
        w.head(4).n(1).head(2).n(0);
        assert!(parse(&w.0).unwrap_err().contains("type 1 is required"));
        let mut w = W::new();
        w.head(1).pts(&[&[1.0, 2.0]]).n(0);
        assert!(parse(&w.0).unwrap_err().contains("left over"));
        assert!(
            parse(&[1, 99, 0, 0, 0])
                .unwrap_err()
                .contains("unsupported")
        );
        assert!(parse(&[]).is_err());
    }
}
