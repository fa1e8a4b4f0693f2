//! CityGML read throughput (`cargo bench -p cim-loaders --bench citygml`):
//! a generated city of `CIM_CITYGML_BUILDINGS` (default 20 000) LOD2
//! buildings — gabled, four walls, two roofs and a ground surface each as
//! thematic surfaces, an LOD2 solid referencing them by `xlink:href`, six
//! attributes and an address — read from memory, then every tile's
//! content made (triangulated, tables built), in MB of file per second.
//!
//! With `CIM_CITYGML_WRITE` naming a file, the city is also written there
//! (for `cim inspect`/`snapshot` under `/usr/bin/time`, and for other
//! readers on the same file).

use cim_core::lod::tile_source::TileSource;
use cim_loaders::citygml::{read::read, source::CityGmlSource};
use std::fmt::Write;
use std::time::Instant;

/// A thematic surface's class, its id suffix and ring.
type Face = (&'static str, &'static str, Vec<(f64, f64, f64)>);

/// A gabled house: footprint `w × d` at (x, y), eaves at `h`, ridge 3 m
/// higher, as CityGML 2.0 boundary surfaces and a solid.
fn house(out: &mut String, i: usize, x: f64, y: f64, w: f64, d: f64, h: f64) {
    let r = h + 3.0;
    let p = |pts: &[(f64, f64, f64)]| {
        let mut s = String::new();
        for q in pts.iter().chain(&pts[..1]) {
            let _ = write!(s, "{:.3} {:.3} {:.3} ", q.0, q.1, q.2);
        }
        s
    };
    let (x1, y1, ym) = (x + w, y + d, y + d / 2.0);
    let faces: [Face; 7] = [
        (
            "GroundSurface",
            "g",
            vec![(x, y, 0.0), (x, y1, 0.0), (x1, y1, 0.0), (x1, y, 0.0)],
        ),
        (
            "WallSurface",
            "s",
            vec![(x, y, 0.0), (x1, y, 0.0), (x1, y, h), (x, y, h)],
        ),
        (
            "WallSurface",
            "n",
            vec![(x1, y1, 0.0), (x, y1, 0.0), (x, y1, h), (x1, y1, h)],
        ),
        (
            "WallSurface",
            "e",
            vec![
                (x1, y, 0.0),
                (x1, y1, 0.0),
                (x1, y1, h),
                (x1, ym, r),
                (x1, y, h),
            ],
        ),
        (
            "WallSurface",
            "w",
            vec![(x, y1, 0.0), (x, y, 0.0), (x, y, h), (x, ym, r), (x, y1, h)],
        ),
        (
            "RoofSurface",
            "rs",
            vec![(x, y, h), (x1, y, h), (x1, ym, r), (x, ym, r)],
        ),
        (
            "RoofSurface",
            "rn",
            vec![(x1, y1, h), (x, y1, h), (x, ym, r), (x1, ym, r)],
        ),
    ];
    let _ = write!(
        out,
        "<cityObjectMember><bldg:Building gml:id=\"B{i}\"><gml:name>Building {i}</gml:name>\
         <bldg:function>1000</bldg:function><bldg:yearOfConstruction>{}</bldg:yearOfConstruction>\
         <bldg:roofType>1030</bldg:roofType><bldg:measuredHeight uom=\"m\">{r:.1}</bldg:measuredHeight>\
         <bldg:storeysAboveGround>{}</bldg:storeysAboveGround>\
         <gen:stringAttribute name=\"district\"><gen:value>D{}</gen:value></gen:stringAttribute>\
         <bldg:lod2Solid><gml:Solid><gml:exterior><gml:CompositeSurface>",
        1950 + i % 70,
        (h / 3.0).ceil(),
        i % 17
    );
    for f in &faces {
        let _ = write!(out, "<gml:surfaceMember xlink:href=\"#B{i}_{}\"/>", f.1);
    }
    out.push_str("</gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod2Solid>");
    for (class, id, pts) in &faces {
        let _ = write!(
            out,
            "<bldg:boundedBy><bldg:{class}><bldg:lod2MultiSurface><gml:MultiSurface><gml:surfaceMember>\
             <gml:Polygon gml:id=\"B{i}_{id}\"><gml:exterior><gml:LinearRing><gml:posList>{}</gml:posList>\
             </gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface>\
             </bldg:lod2MultiSurface></bldg:{class}></bldg:boundedBy>",
            p(pts)
        );
    }
    let _ = write!(
        out,
        "<bldg:address><core:Address><core:xalAddress><xAL:AddressDetails><xAL:Country>\
         <xAL:CountryName>China</xAL:CountryName><xAL:Locality><xAL:LocalityName>Zhuhai</xAL:LocalityName>\
         <xAL:Thoroughfare><xAL:ThoroughfareNumber>{}</xAL:ThoroughfareNumber>\
         <xAL:ThoroughfareName>Road {}</xAL:ThoroughfareName></xAL:Thoroughfare></xAL:Locality>\
         </xAL:Country></xAL:AddressDetails></core:xalAddress></core:Address></bldg:address>\
         </bldg:Building></cityObjectMember>",
        i % 200,
        i / 200
    );
    out.push('\n');
}

/// `n` houses on a grid, 25 m apart, in CGCS2000 / 3° GK CM 114E.
fn city(n: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CityModel xmlns=\"http://www.opengis.net/citygml/2.0\" \
         xmlns:core=\"http://www.opengis.net/citygml/2.0\" xmlns:gml=\"http://www.opengis.net/gml\" \
         xmlns:bldg=\"http://www.opengis.net/citygml/building/2.0\" \
         xmlns:gen=\"http://www.opengis.net/citygml/generics/2.0\" \
         xmlns:xAL=\"urn:oasis:names:tc:ciq:xsdschema:xAL:2.0\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n\
         <gml:boundedBy><gml:Envelope srsName=\"EPSG:4547\" srsDimension=\"3\"/></gml:boundedBy>\n",
    );
    let side = (n as f64).sqrt().ceil() as usize;
    for i in 0..n {
        let (gx, gy) = ((i % side) as f64, (i / side) as f64);
        let size = 8.0 + (i % 7) as f64;
        let h = 6.0 + (i % 11) as f64 * 3.0;
        house(
            &mut s,
            i,
            500_000.0 + 25.0 * gx,
            2_500_000.0 + 25.0 * gy,
            size,
            size * 0.8,
            h,
        );
    }
    s.push_str("</CityModel>\n");
    s
}

fn main() {
    let n: usize = std::env::var("CIM_CITYGML_BUILDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let text = city(n);
    if let Some(path) = std::env::var_os("CIM_CITYGML_WRITE") {
        std::fs::write(&path, &text).expect("write the city");
    }
    let mb = text.len() as f64 / 1e6;
    println!("citygml: {n} buildings, {mb:.1} MB");
    let t = Instant::now();
    let model = read(text.as_bytes()).expect("reads");
    let s = t.elapsed().as_secs_f64();
    println!("citygml read            {:>8.1} MB/s  ({s:.3} s)", mb / s);
    assert_eq!(model.building_count(), n);
    let t = Instant::now();
    let src = CityGmlSource::new(model, None);
    let s_tree = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut triangles = 0;
    let contents: Vec<_> = src.tree().tiles.iter().flat_map(|t| &t.contents).collect();
    for c in &contents {
        triangles += src.read(c).expect("content").triangle_count();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "citygml tiles           {:>8.3} s tree, {:.3} s for {} tiles' content ({triangles} triangles, {:.1} MB/s)",
        s_tree,
        s,
        contents.len(),
        mb / s
    );
}
