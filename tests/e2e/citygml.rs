//! End-to-end over CityGML: `cim snapshot` draws a city model through the
//! tileset engine — roofs and walls in their colours, each file placed by
//! its `srsName` — and a layer's filter in the query language (over the
//! buildings' attributes) hides the buildings it leaves out.

use std::path::{Path, PathBuf};

#[path = "support.rs"]
mod support;
use support::{keep, scene, snapshot};

/// The scene CRS and origin of this file's scene documents.
const FRAME: (&str, [f64; 2]) = ("EPSG:4547", [500000.0, 2500000.0]);

/// Share of the image in the roofs' brick red (178, 82, 64) as lit and
/// tone-mapped.
fn roof(img: &image::RgbaImage) -> f64 {
    let n = img
        .pixels()
        .filter(|p| {
            let [r, g, b, _] = p.0.map(i32::from);
            r > 120 && r > g + 50 && r > b + 50
        })
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

/// Share of the image in the walls' light stone (226, 220, 206), lit.
fn wall(img: &image::RgbaImage) -> f64 {
    let n = img
        .pixels()
        .filter(|p| {
            let [r, g, b, _] = p.0.map(i32::from);
            r > 150 && (r - g).abs() < 20 && (g - b).abs() < 30 && r < 250
        })
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

/// A CityGML 2.0 file of `heights.len()` box buildings in a row, 30 m
/// apart, in CGCS2000 / 3-degree Gauss-Krüger CM 114E: four walls and a
/// flat roof each, as thematic surfaces, and a `measuredHeight`.
fn city(heights: &[f64]) -> String {
    city_with(heights, "")
}

/// [`city`] with `appearance` inside each building (its walls' polygons
/// are `w{i}_{k}`, their rings `w{i}_{k}_r`).
fn city_with(heights: &[f64], appearance: &str) -> String {
    let ring = |id: &str, pts: &[(f64, f64, f64)]| {
        let mut s: Vec<String> = pts
            .iter()
            .map(|p| format!("{} {} {}", p.0, p.1, p.2))
            .collect();
        s.push(s[0].clone());
        format!(
            "<gml:Polygon gml:id=\"{id}\"><gml:exterior><gml:LinearRing gml:id=\"{id}_r\">\
             <gml:posList>{}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>",
            s.join(" ")
        )
    };
    let surface = |class: &str, id: &str, pts: &[(f64, f64, f64)]| {
        format!(
            "<bldg:boundedBy><bldg:{class}><bldg:lod2MultiSurface><gml:MultiSurface>\
             <gml:surfaceMember>{}</gml:surfaceMember></gml:MultiSurface>\
             </bldg:lod2MultiSurface></bldg:{class}></bldg:boundedBy>",
            ring(id, pts)
        )
    };
    let mut body = String::new();
    for (i, &h) in heights.iter().enumerate() {
        let (x, y) = (500_000.0 + 30.0 * i as f64, 2_500_000.0);
        let c = [(x, y), (x + 20.0, y), (x + 20.0, y + 20.0), (x, y + 20.0)];
        let mut s = String::new();
        for k in 0..4 {
            let (a, b) = (c[k], c[(k + 1) % 4]);
            s += &surface(
                "WallSurface",
                &format!("w{i}_{k}"),
                &[
                    (a.0, a.1, 0.0),
                    (b.0, b.1, 0.0),
                    (b.0, b.1, h),
                    (a.0, a.1, h),
                ],
            );
        }
        s += &surface("RoofSurface", &format!("r{i}"), &c.map(|p| (p.0, p.1, h)));
        let app = appearance.replace("{i}", &i.to_string());
        body += &format!(
            "<cityObjectMember><bldg:Building gml:id=\"b{i}\"><bldg:measuredHeight uom=\"m\">{h}</bldg:measuredHeight>{app}{s}</bldg:Building></cityObjectMember>\n"
        );
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml"
 xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:app="http://www.opengis.net/citygml/appearance/2.0">
<gml:boundedBy><gml:Envelope srsName="EPSG:4547" srsDimension="3"/></gml:boundedBy>
{body}</CityModel>
"#
    )
}

#[test]
fn a_city_model_draws_and_its_filter_hides_buildings() {
    let dir = tempfile::tempdir().unwrap();
    let gml = dir.path().join("city.gml");
    std::fs::write(&gml, city(&[8.0, 12.0, 30.0, 16.0, 9.0])).unwrap();
    let alone = dir.path().join("alone.png");
    let out = snapshot(&gml, &alone);
    assert!(out.status.success(), "{out:?}");
    let img = image::open(&alone).unwrap().to_rgba8();
    assert!(roof(&img) > 0.02, "roofs: {}", roof(&img));
    assert!(wall(&img) > 0.01, "walls: {}", wall(&img));
    let shot = |name: &str, extra: &str| {
        let doc = scene(dir.path(), name, FRAME, &gml, extra);
        let png = dir.path().join(format!("{name}.png"));
        let out = snapshot(&doc, &png);
        assert!(out.status.success(), "{name}: {out:?}");
        keep(&png, &format!("city_{name}.png"));
        roof(&image::open(&png).unwrap().to_rgba8())
    };
    let all = shot("all", "");
    let tall = shot("tall", "[layer.style]\nfilter = \"measuredHeight > 10\"\n");
    let none = shot(
        "none",
        "[layer.style]\nfilter = \"measuredHeight > 1000\"\n",
    );
    assert!(all > 0.01, "roofs in the scene: {all}");
    assert!(
        tall > 0.2 * all && tall < 0.9 * all,
        "three of five buildings are taller than 10 m: {tall} of {all}"
    );
    assert!(none < 0.0005, "nothing passes: {none}");
}

/// Every file in `$CIM_TEST_DATA/citygml/` draws where its `srsName`
/// puts it, roofs red and walls light.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn real_city_models_render() {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let folder = PathBuf::from(d).join("citygml");
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gml"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 5);
    for gml in names {
        let name = gml.file_stem().unwrap().to_string_lossy().into_owned();
        let png = dir.path().join(format!("{name}.png"));
        let out = snapshot(&gml, &png);
        assert!(out.status.success(), "{name}: {out:?}");
        let img = image::open(&png).unwrap().to_rgba8();
        let lod1 = name.contains("LOD1");
        // The LOD1 block has no thematic surfaces: its top is drawn as a
        // roof all the same.
        assert!(roof(&img) > 0.005, "{name}: roofs {}", roof(&img));
        assert!(lod1 || wall(&img) > 0.005, "{name}: walls {}", wall(&img));
        keep(&png, &format!("{name}.png"));
    }
}

/// Share of the image in green (the test texture's), lit.
fn green(img: &image::RgbaImage) -> f64 {
    let n = img
        .pixels()
        .filter(|p| {
            let [r, g, b, _] = p.0.map(i32::from);
            g > 60 && g > r + 30 && g > b + 30
        })
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

/// Appearances reach the picture: walls textured with a green image and
/// roofs given a blue material by a 2.0 `app:appearance`.
#[test]
fn textures_and_materials_show() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tex")).unwrap();
    let img = image::RgbaImage::from_fn(8, 8, |x, y| {
        image::Rgba(if (x + y) % 2 == 0 {
            [40, 200, 60, 255]
        } else {
            [20, 120, 40, 255]
        })
    });
    img.save(dir.path().join("tex/facade.png")).unwrap();
    let mut texture = String::from(
        "<app:appearance><app:Appearance><app:theme>rgb</app:theme>\
         <app:surfaceDataMember><app:ParameterizedTexture><app:imageURI>tex/facade.png</app:imageURI>",
    );
    for k in 0..4 {
        texture += &format!(
            "<app:target uri=\"#w{{i}}_{k}\"><app:TexCoordList><app:textureCoordinates ring=\"#w{{i}}_{k}_r\">\
             0 0 1 0 1 1 0 1 0 0</app:textureCoordinates></app:TexCoordList></app:target>"
        );
    }
    texture += "</app:ParameterizedTexture></app:surfaceDataMember><app:surfaceDataMember><app:X3DMaterial>\
                <app:diffuseColor>0.1 0.2 0.9</app:diffuseColor><app:target>#r{i}</app:target>\
                </app:X3DMaterial></app:surfaceDataMember></app:Appearance></app:appearance>";
    let plain = dir.path().join("plain.gml");
    let looked = dir.path().join("looked.gml");
    std::fs::write(&plain, city(&[20.0, 25.0, 30.0])).unwrap();
    std::fs::write(&looked, city_with(&[20.0, 25.0, 30.0], &texture)).unwrap();
    let shot = |gml: &Path| {
        let png = gml.with_extension("png");
        let out = snapshot(gml, &png);
        assert!(out.status.success(), "{out:?}");
        keep(
            &png,
            &format!("city_{}", png.file_name().unwrap().to_string_lossy()),
        );
        image::open(&png).unwrap().to_rgba8()
    };
    let (plain, looked) = (shot(&plain), shot(&looked));
    assert!(green(&plain) < 0.001, "no green without the texture");
    assert!(green(&looked) > 0.01, "textured walls: {}", green(&looked));
    assert!(
        roof(&looked) < 0.1 * roof(&plain),
        "blue roofs: {} vs {}",
        roof(&looked),
        roof(&plain)
    );
}
