//! ESRI ASCII grids (`.asc`, "Arc/Info ASCII Grid").
//!
//! Format: ESRI, *ArcGIS Desktop help: "Esri ASCII raster format"*: a header
//! of `ncols`, `nrows`, `xllcorner`|`xllcenter`, `yllcorner`|`yllcenter`,
//! `cellsize` (or GDAL's `dx`/`dy`) and optional `nodata_value` lines, in any
//! order and case, then `nrows` rows of `ncols` numbers from the north row
//! down. A `.prj` next to the file gives the CRS.

use crate::{LoadError, Loaded, budget};
use cim_core::message::quote;
use cim_core::{Grid, Layer, LayerContent, LayerKind};
use std::path::Path;

const FMT: &str = "ESRI ASCII grid";
const MAX_BYTES: u64 = 8 << 30;

/// Loads an ASCII grid and the `.prj` next to it, if any.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let bytes = crate::read_file_limited(path, MAX_BYTES, budget::ASCII_GRID_FACTOR)?;
    let prj_path = path.with_extension("prj");
    // `exists` follows symlinks; anything there but a regular file is refused
    // by the read rather than skipped.
    let prj = if prj_path.exists() {
        Some((
            prj_path.clone(),
            String::from_utf8_lossy(&crate::read_file_limited(
                &prj_path,
                crate::vector::shapefile::MAX_TEXT_BYTES,
                1.0,
            )?)
            .into_owned(),
        ))
    } else {
        None
    };
    read(
        path,
        &bytes,
        prj.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
    )
}

/// Decodes an ASCII grid held in `bytes`; `prj` is the path and text of its
/// `.prj`, if any.
pub fn read(path: &Path, bytes: &[u8], prj: Option<(&Path, &str)>) -> Result<Loaded, LoadError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| LoadError::invalid(path, FMT, format!("not ASCII text: {e}")))?;
    let mut tokens = text.split_ascii_whitespace().peekable();
    let (mut ncols, mut nrows) = (None::<usize>, None::<usize>);
    let (mut xll, mut yll, mut center) = (None::<f64>, None::<f64>, (false, false));
    let (mut dx, mut dy, mut nodata) = (None::<f64>, None::<f64>, None::<f64>);
    while let Some(key) = tokens.peek().map(|k| k.to_ascii_lowercase()) {
        if !key.starts_with(|c: char| c.is_ascii_alphabetic()) || key == "nan" {
            break;
        }
        tokens.next();
        let val = tokens.next().ok_or_else(|| {
            LoadError::truncated(path, format!("header key \"{}\" has no value", quote(&key)))
        })?;
        let num = || -> Result<f64, LoadError> {
            val.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() || key == "nodata_value")
                .ok_or_else(|| {
                    LoadError::invalid(
                        path,
                        FMT,
                        format!("{key} value \"{}\" is not a number", quote(val)),
                    )
                })
        };
        let count = || -> Result<usize, LoadError> {
            val.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                LoadError::invalid(
                    path,
                    FMT,
                    format!("{key} must be a positive integer, not \"{}\"", quote(val)),
                )
            })
        };
        match key.as_str() {
            "ncols" => ncols = Some(count()?),
            "nrows" => nrows = Some(count()?),
            "xllcorner" => xll = Some(num()?),
            "yllcorner" => yll = Some(num()?),
            "xllcenter" => (xll, center.0) = (Some(num()?), true),
            "yllcenter" => (yll, center.1) = (Some(num()?), true),
            "cellsize" => (dx, dy) = (Some(num()?), Some(num()?)),
            "dx" => dx = Some(num()?),
            "dy" => dy = Some(num()?),
            "nodata_value" => nodata = Some(num()?),
            other => {
                return Err(LoadError::invalid(
                    path,
                    FMT,
                    format!("unknown header key \"{}\"", quote(other)),
                ));
            }
        }
    }
    let missing = |k: &str| LoadError::invalid(path, FMT, format!("header has no {k}"));
    let ncols = ncols.ok_or_else(|| missing("ncols"))?;
    let nrows = nrows.ok_or_else(|| missing("nrows"))?;
    let xll = xll.ok_or_else(|| missing("xllcorner or xllcenter"))?;
    let yll = yll.ok_or_else(|| missing("yllcorner or yllcenter"))?;
    let dx = dx.ok_or_else(|| missing("cellsize"))?;
    let dy = dy.ok_or_else(|| missing("cellsize"))?;
    if dx <= 0.0 || dy <= 0.0 {
        return Err(LoadError::invalid(path, FMT, "cell size must be positive"));
    }
    // Every value takes at least two bytes ("0 "), so the file bounds the count.
    let cells = ncols
        .checked_mul(nrows)
        .filter(|&n| n <= bytes.len() / 2 + 1)
        .ok_or_else(|| {
            LoadError::truncated(
                path,
                format!(
                    "header declares {ncols} × {nrows} cells, more than a {}-byte file can hold",
                    bytes.len()
                ),
            )
        })?;
    let mut data = Vec::with_capacity(cells);
    for tok in tokens.by_ref().take(cells) {
        let v: f32 = tok.parse().map_err(|_| {
            LoadError::invalid(
                path,
                FMT,
                format!(
                    "value {} (row {}, column {}) is not a number: \"{}\"",
                    data.len(),
                    data.len() / ncols,
                    data.len() % ncols,
                    quote(tok)
                ),
            )
        })?;
        data.push(v);
    }
    if data.len() < cells {
        return Err(LoadError::truncated(
            path,
            format!(
                "expected {ncols} × {nrows} = {cells} values, found {}",
                data.len()
            ),
        ));
    }
    let mut warnings = Vec::new();
    let extra = tokens.count();
    if extra > 0 {
        warnings.push(format!(
            "{}: {extra} value(s) after the {cells} the header declares are ignored",
            crate::show(path)
        ));
    }
    let x0 = if center.0 { xll - dx / 2.0 } else { xll };
    let y_south = if center.1 { yll - dy / 2.0 } else { yll };
    let crs = prj.and_then(|(p, t)| match crate::crs::parse(t) {
        Ok(c) => Some(c),
        Err(e) => {
            warnings.push(format!(
                "{}: CRS not recognised ({e}); the layer is loaded without a CRS",
                crate::show(p)
            ));
            None
        }
    });
    Ok(Loaded {
        layer: Layer {
            name: crate::layer_name(path),
            format: crate::FileFormat::AsciiGrid.name().to_string(),
            crs,
            kind: LayerKind::Auto,
            content: LayerContent::Raster(Grid {
                width: ncols,
                height: nrows,
                x0,
                y0: y_south + nrows as f64 * dy,
                dx,
                dy,
                nodata: nodata.map(|v| v as f32),
                data,
            }),
        },
        warnings,
        detail: None,
    })
}

/// Writes `grid` as an ESRI ASCII grid (the format [`read`] reads):
/// corner origin, square cells (`cellsize`; GDAL's `dx`/`dy` when they
/// differ), NaN and the grid's nodata written as `nodata_value` (−9999
/// without one), each value in the shortest form that reads back the same.
pub fn write(grid: &Grid, mut out: impl std::io::Write) -> std::io::Result<()> {
    let nodata = grid.nodata.unwrap_or(-9999.0);
    writeln!(out, "ncols {}", grid.width)?;
    writeln!(out, "nrows {}", grid.height)?;
    writeln!(out, "xllcorner {}", grid.x0)?;
    writeln!(out, "yllcorner {}", grid.y0 - grid.height as f64 * grid.dy)?;
    if grid.dx == grid.dy {
        writeln!(out, "cellsize {}", grid.dx)?;
    } else {
        writeln!(out, "dx {}\ndy {}", grid.dx, grid.dy)?;
    }
    writeln!(out, "NODATA_value {nodata}")?;
    let mut line = String::new();
    for row in grid.data.chunks(grid.width.max(1)) {
        line.clear();
        for (k, v) in row.iter().enumerate() {
            if k > 0 {
                line.push(' ');
            }
            let v = if v.is_nan() { nodata } else { *v };
            line.push_str(&v.to_string());
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_grid_reads_back_the_same() {
        let l = read(Path::new("dem.asc"), ASC.as_bytes(), None).unwrap();
        let mut g = l.layer.grid().unwrap().clone();
        g.data[0] = f32::NAN;
        g.data[2] = 0.1 + 0.2;
        let mut bytes = Vec::new();
        write(&g, &mut bytes).unwrap();
        let back = read(Path::new("out.asc"), &bytes, None).unwrap();
        let b = back.layer.grid().unwrap();
        assert_eq!(
            (b.width, b.height, b.x0, b.y0, b.dx),
            (3, 2, g.x0, g.y0, g.dx)
        );
        assert_eq!(b.get(0, 0), None, "NaN is nodata");
        assert_eq!(b.data[1..], g.data[1..], "values to the bit");
    }

    const ASC: &str = "ncols 3\nNROWS 2\nxllcorner 500000\nyllcorner 3500000\ncellsize 30\n\
                       NODATA_value -9999\n1 2 3\n4 -9999 6.5\n";

    #[test]
    fn header_values_and_geometry() {
        let l = read(Path::new("dem.asc"), ASC.as_bytes(), None).unwrap();
        assert_eq!(l.layer.name, "dem");
        let g = l.layer.grid().unwrap();
        assert_eq!((g.width, g.height), (3, 2));
        assert_eq!((g.x0, g.y0, g.dx, g.dy), (500000.0, 3500060.0, 30.0, 30.0));
        assert_eq!(g.nodata, Some(-9999.0));
        assert_eq!(g.get(1, 1), None);
        assert_eq!(g.get(2, 1), Some(6.5));
        assert_eq!(g.min_max(), Some((1.0, 6.5)));
        assert_eq!(
            g.bbox().to_xy_array(),
            [500000.0, 3500000.0, 500090.0, 3500060.0]
        );
    }

    #[test]
    fn cell_centre_origin_and_prj() {
        let asc = ASC
            .replace("xllcorner 500000", "xllcenter 500015")
            .replace("yllcorner 3500000", "yllcenter 3500015");
        let l = read(
            Path::new("dem.asc"),
            asc.as_bytes(),
            Some((Path::new("dem.prj"), "EPSG:32650")),
        )
        .unwrap();
        let g = l.layer.grid().unwrap();
        assert_eq!((g.x0, g.y0), (500000.0, 3500060.0));
        assert_eq!(l.layer.crs, Some(crate::crs::epsg(32650).unwrap()));
    }

    #[test]
    fn short_and_bad_grids_are_errors() {
        let short = ASC.replace("4 -9999 6.5\n", "4\n");
        let e = read(Path::new("dem.asc"), short.as_bytes(), None).unwrap_err();
        assert!(matches!(e, LoadError::Truncated { .. }));
        assert!(e.to_string().contains("found 4"), "{e}");
        let huge = ASC.replace("ncols 3", "ncols 3000000000");
        let e = read(Path::new("dem.asc"), huge.as_bytes(), None).unwrap_err();
        assert!(e.to_string().contains("more than a"), "{e}");
        let bad = ASC.replace("6.5", "x");
        let e = read(Path::new("dem.asc"), bad.as_bytes(), None).unwrap_err();
        assert!(e.to_string().contains("row 1, column 2"), "{e}");
        let e = read(Path::new("dem.asc"), b"ncols 2\n", None).unwrap_err();
        assert!(e.to_string().contains("nrows"), "{e}");
    }

    #[test]
    fn messages_quote_at_most_a_little_of_the_file() {
        // A 309-digit ncols and a 100 kB token where a value should be.
        let huge = ASC.replace("ncols 3", &format!("ncols 1{}", "0".repeat(308)));
        let e = read(Path::new("dem.asc"), huge.as_bytes(), None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("more characters"), "{msg}");
        assert!(msg.len() < 400, "{}", msg.len());
        let bad = ASC.replace("6.5", &format!("\u{1b}[31m{}", "x".repeat(100_000)));
        let e = read(Path::new("dem.asc"), bad.as_bytes(), None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.len() < 500, "{}", msg.len());
        assert!(!msg.contains('\u{1b}'), "{msg}");
        let extra = format!("{ASC}1 2 3\n");
        let l = read(Path::new("dem.asc"), extra.as_bytes(), None).unwrap();
        assert!(
            l.warnings[0].contains("3 value(s) after the 6"),
            "{:?}",
            l.warnings
        );
    }
}
