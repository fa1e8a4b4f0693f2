//! The CityGML reader on small documents written here: what each part of
//! the model becomes, and what broken or hostile files give.

use cim_core::AttrValue;
use cim_core::lod::tile_source::TileSource;
use cim_loaders::citygml::model::{CityModel, UNKNOWN_LOD};
use cim_loaders::citygml::read::{MAX_DEPTH, MAX_TOKEN, read};
use cim_loaders::citygml::source::CityGmlSource;
use glam::DVec3;
use std::io::Write;

const HEAD2: &str = r#"<?xml version="1.0"?>
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml"
 xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gen="http://www.opengis.net/citygml/generics/2.0"
 xmlns:app="http://www.opengis.net/citygml/appearance/2.0" xmlns:xlink="http://www.w3.org/1999/xlink">
<gml:boundedBy><gml:Envelope srsName="EPSG:4547" srsDimension="3">
<gml:lowerCorner>0 0 0</gml:lowerCorner><gml:upperCorner>10 10 5</gml:upperCorner></gml:Envelope></gml:boundedBy>
"#;

fn ring(pts: &[(f64, f64, f64)]) -> String {
    let mut s: Vec<String> = pts
        .iter()
        .map(|p| format!("{} {} {}", p.0, p.1, p.2))
        .collect();
    s.push(format!("{} {} {}", pts[0].0, pts[0].1, pts[0].2));
    format!(
        "<gml:LinearRing><gml:posList>{}</gml:posList></gml:LinearRing>",
        s.join(" ")
    )
}

fn polygon(id: &str, outer: &[(f64, f64, f64)], holes: &[&[(f64, f64, f64)]]) -> String {
    let inner: String = holes
        .iter()
        .map(|h| format!("<gml:interior>{}</gml:interior>", ring(h)))
        .collect();
    format!(
        r#"<gml:Polygon gml:id="{id}"><gml:exterior>{}</gml:exterior>{inner}</gml:Polygon>"#,
        ring(outer)
    )
}

fn multi(lod: u8, polys: &[String]) -> String {
    let members: String = polys
        .iter()
        .map(|p| format!("<gml:surfaceMember>{p}</gml:surfaceMember>"))
        .collect();
    format!(
        "<bldg:lod{lod}MultiSurface><gml:MultiSurface>{members}</gml:MultiSurface></bldg:lod{lod}MultiSurface>"
    )
}

const ROOF: &[(f64, f64, f64)] = &[
    (0.0, 0.0, 5.0),
    (10.0, 0.0, 5.0),
    (10.0, 10.0, 5.0),
    (0.0, 10.0, 5.0),
];
const SKYLIGHT: &[(f64, f64, f64)] = &[
    (4.0, 4.0, 5.0),
    (6.0, 4.0, 5.0),
    (6.0, 6.0, 5.0),
    (4.0, 6.0, 5.0),
];
const WALL: &[(f64, f64, f64)] = &[
    (0.0, 0.0, 0.0),
    (10.0, 0.0, 0.0),
    (10.0, 0.0, 5.0),
    (0.0, 0.0, 5.0),
];

/// A building with a roof (with a skylight hole) and a wall as boundary
/// surfaces, an LOD2 solid referencing both, an LOD1 block, attributes
/// and a part.
fn house(id: &str, dx: f64) -> String {
    let at = |pts: &[(f64, f64, f64)]| -> Vec<(f64, f64, f64)> {
        pts.iter().map(|p| (p.0 + dx, p.1, p.2)).collect()
    };
    let (roof, sky, wall) = (at(ROOF), at(SKYLIGHT), at(WALL));
    format!(
        r##"<cityObjectMember><bldg:Building gml:id="{id}">
<gml:name>Town &amp; hall</gml:name><gml:name>市政厅</gml:name>
<bldg:measuredHeight uom="m">5.5</bldg:measuredHeight>
<bldg:function>1000</bldg:function>
<gen:stringAttribute name="code"><gen:value>0042</gen:value></gen:stringAttribute>
<gen:intAttribute name="floors"><gen:value>2</gen:value></gen:intAttribute>
<bldg:lod1Solid><gml:Solid><gml:exterior><gml:CompositeSurface><gml:surfaceMember>{block}</gml:surfaceMember></gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod1Solid>
<bldg:lod2Solid><gml:Solid><gml:exterior><gml:CompositeSurface>
<gml:surfaceMember xlink:href="#{id}-roof"/><gml:surfaceMember xlink:href="#{id}-wall"/>
</gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod2Solid>
<bldg:boundedBy><bldg:RoofSurface gml:id="{id}-r">{r}</bldg:RoofSurface></bldg:boundedBy>
<bldg:boundedBy><bldg:WallSurface>{w}</bldg:WallSurface></bldg:boundedBy>
<bldg:consistsOfBuildingPart><bldg:BuildingPart gml:id="{id}-part"><bldg:storeysAboveGround>3</bldg:storeysAboveGround>
{p}</bldg:BuildingPart></bldg:consistsOfBuildingPart>
</bldg:Building></cityObjectMember>
"##,
        block = polygon(&format!("{id}-block"), &roof, &[]),
        r = multi(2, &[polygon(&format!("{id}-roof"), &roof, &[&sky])]),
        w = multi(2, &[polygon(&format!("{id}-wall"), &wall, &[])]),
        p = multi(1, &[polygon(&format!("{id}-partwall"), &wall, &[])]),
    )
}

fn doc(body: &str) -> String {
    format!("{HEAD2}{body}</CityModel>\n")
}

fn parse(text: &str) -> CityModel {
    read(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn attr<'a>(m: &'a CityModel, obj: usize, k: &str) -> &'a AttrValue {
    m.objects[obj]
        .attributes
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {k}: {:?}", m.objects[obj].attributes))
}

#[test]
fn a_building_its_surfaces_part_and_attributes() {
    let m = parse(&doc(&house("b1", 0.0)));
    assert_eq!(m.version.as_deref(), Some("2.0"));
    assert_eq!(m.srs_name.as_deref(), Some("EPSG:4547"));
    let classes: Vec<_> = m.objects.iter().map(|o| o.class.as_str()).collect();
    assert_eq!(classes, ["Building", "BuildingPart"]);
    assert_eq!(m.objects[1].parent, Some(0));
    assert_eq!(
        attr(&m, 0, "name"),
        &AttrValue::String("Town & hall; 市政厅".into())
    );
    assert_eq!(attr(&m, 0, "measuredHeight"), &AttrValue::Float(5.5));
    assert_eq!(attr(&m, 0, "function"), &AttrValue::Int(1000));
    // Typed by the generic attribute: a string code keeps its zeros.
    assert_eq!(attr(&m, 0, "code"), &AttrValue::String("0042".into()));
    assert_eq!(attr(&m, 0, "floors"), &AttrValue::Int(2));
    assert_eq!(attr(&m, 1, "storeysAboveGround"), &AttrValue::Int(3));
    // The block at LOD1, roof and wall at LOD2 (the solid's references
    // draw nothing twice), the part's wall at LOD1.
    let lods: Vec<(u32, u8)> = m.polygons.iter().map(|p| (p.object, p.lod)).collect();
    assert_eq!(lods, [(0, 1), (0, 2), (0, 2), (1, 1)]);
    assert_eq!(m.lods(), vec![1, 2]);
    let roof = &m.polygons[1];
    assert_eq!(roof.rings.len(), 2, "the skylight is a hole");
    assert_eq!(roof.rings[0].len(), 4, "the closing point is dropped");
    assert_eq!(
        m.surfaces[roof.surface.unwrap() as usize].class,
        "RoofSurface"
    );
    assert!(m.problems.is_empty(), "{:?}", m.problems);
}

#[test]
fn each_object_is_drawn_at_its_finest_level_with_feature_ids() {
    let m = parse(&doc(&house("b1", 0.0)));
    let src = CityGmlSource::new(m, None);
    let contents: Vec<_> = src.full_contents().collect();
    assert_eq!(contents.len(), 1);
    let c = src.read(contents[0]).unwrap();
    // Roof with a hole: 8 triangles; wall 2; the part's LOD1 wall 2. The
    // building's LOD1 block is not drawn under its LOD2.
    assert_eq!(c.triangle_count(), 8 + 2 + 2);
    assert_eq!(c.feature_count, 1);
    let mesh = &c.meshes[0];
    let labels: Vec<_> = mesh
        .features
        .iter()
        .map(|f| f.label.as_deref().unwrap())
        .collect();
    assert_eq!(labels, ["object", "part", "surface"]);
    let objects = &c.tables[0];
    assert_eq!(objects.count, 1);
    let row = objects.row(0);
    assert!(row.contains(&("gml:id", &AttrValue::String("b1".into()))));
    assert!(row.contains(&("lod", &AttrValue::Int(2))));
    let parts = &c.tables[1];
    assert_eq!(parts.count, 2, "the building and its part");
    // Every vertex of the part's wall names the part.
    let part_row = mesh.features[1].ids.iter().copied().max().unwrap();
    assert!(
        parts
            .row(part_row as usize)
            .contains(&("class", &AttrValue::String("BuildingPart".into())))
    );
    // Positions are offsets from the mesh's transform, in f32.
    let o = mesh.transform.w_axis;
    assert!((o.x - 5.0).abs() < 1e-9 && (o.y - 5.0).abs() < 1e-9);
}

#[test]
fn many_buildings_are_grouped_into_tiles_by_place_under_coarse_boxes() {
    let n = 600;
    // Every tenth house twice as far along: sizes differ by footprint.
    let body: String = (0..n)
        .map(|i| house(&format!("b{i}"), 20.0 * i as f64))
        .collect();
    let src = CityGmlSource::new(parse(&doc(&body)), None);
    let tree = src.tree();
    let contents: Vec<_> = src.full_contents().collect();
    assert!(contents.len() >= 3, "{} tiles", contents.len());
    let mut drawn = 0;
    for c in contents {
        let content = src.read(c).unwrap();
        assert!(content.feature_count <= cim_loaders::citygml::source::PER_TILE);
        drawn += content.feature_count;
    }
    assert_eq!(drawn, n);
    // The root boxes the largest objects (all alike here: 256 of them),
    // two triangles a face, five faces a box; its error is four times the
    // size of the largest it leaves out.
    let root = tree.tile(0);
    assert_eq!(root.contents.len(), 1);
    assert!(root.contents[0].uri.starts_with("coarse="));
    let boxes = src.read(&root.contents[0]).unwrap();
    assert_eq!(boxes.feature_count, cim_loaders::citygml::source::PER_TILE);
    assert_eq!(boxes.triangle_count(), 256 * 5 * 2);
    let house_size = (DVec3::new(10.0, 10.0, 5.0)).length();
    assert!(
        (root.geometric_error - 4.0 * house_size).abs() < 1e-9,
        "{}",
        root.geometric_error
    );
    // Taken from every part of the row in turn, they span it.
    let mesh = &boxes.meshes[0];
    let xs = mesh
        .positions
        .iter()
        .map(|p| p[0] as f64 + mesh.transform.w_axis.x);
    let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let row = src.model.bbox();
    assert!(
        hi - lo > 0.9 * (row.max.x - row.min.x),
        "boxes over {lo}..{hi}"
    );
    // Its boxes carry the objects' attributes, for picking and styling.
    assert!(
        boxes.tables[0]
            .row(0)
            .iter()
            .any(|(k, _)| *k == "measuredHeight")
    );
    // Every tile above the leaves has boxes.
    for t in &tree.tiles {
        assert_eq!(t.contents.len(), 1);
    }
}

#[test]
fn citygml_3_generic_attributes_and_pos_lists() {
    let m = parse(
        r#"<CityModel xmlns="http://www.opengis.net/citygml/3.0" xmlns:gml="http://www.opengis.net/gml/3.2"
 xmlns:gen="http://www.opengis.net/citygml/generics/3.0" xmlns:con="http://www.opengis.net/citygml/construction/3.0"
 xmlns:bldg="http://www.opengis.net/citygml/building/3.0">
<cityObjectMember><bldg:Building gml:id="b3">
<genericAttribute><gen:DoubleAttribute><gen:name>t</gen:name><gen:value>20.5</gen:value></gen:DoubleAttribute></genericAttribute>
<genericAttribute><gen:StringAttribute><gen:name>zip</gen:name><gen:value>08001</gen:value></gen:StringAttribute></genericAttribute>
<boundary><con:WallSurface><lod2MultiSurface><gml:MultiSurface><gml:surfaceMember><gml:Polygon><gml:exterior>
<gml:LinearRing><gml:pos>0 0 0</gml:pos><gml:pos>1 0 0</gml:pos><gml:pos>1 0 1</gml:pos><gml:pos>0 0 0</gml:pos></gml:LinearRing>
</gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></lod2MultiSurface></con:WallSurface></boundary>
</bldg:Building></cityObjectMember></CityModel>"#,
    );
    assert_eq!(m.version.as_deref(), Some("3.0"));
    assert_eq!(attr(&m, 0, "t"), &AttrValue::Float(20.5));
    assert_eq!(attr(&m, 0, "zip"), &AttrValue::String("08001".into()));
    assert_eq!(m.polygons.len(), 1);
    assert_eq!(m.polygons[0].rings[0].len(), 3);
    assert_eq!(m.polygons[0].lod, 2);
    assert_eq!(m.srs_name, None);
}

#[test]
fn a_reference_to_nothing_is_told_and_the_rest_drawn() {
    let text = doc(&house("b1", 0.0)).replace("#b1-wall", "#nowhere");
    let m = parse(&text);
    assert_eq!(m.polygons.len(), 4);
    assert!(
        m.problems
            .iter()
            .any(|p| p.contains("1 geometry reference") && p.contains("#nowhere")),
        "{:?}",
        m.problems
    );
}

#[test]
fn a_truncated_file_keeps_the_buildings_completed_before() {
    let text = doc(&format!("{}{}", house("b1", 0.0), house("b2", 20.0)));
    let cut = text.find("b2-wall").unwrap();
    let m = parse(&text[..cut]);
    assert_eq!(m.objects.len(), 2, "b1 and its part; b2 left out");
    assert_eq!(m.polygons.len(), 4);
    assert!(m.polygons.iter().all(|p| p.object < 2));
    assert!(
        m.problems
            .iter()
            .any(|p| p.contains("completed before are kept")),
        "{:?}",
        m.problems
    );
    // Cut inside the first building: nothing complete, an error.
    let e = read(&text.as_bytes()[..text.find("b1-wall").unwrap()]).unwrap_err();
    assert!(e.contains("end of input"), "{e}");
    // Cut between elements: the open ones are named.
    let e = read(&text.as_bytes()[..text.find("<bldg:lod2Solid>").unwrap()]).unwrap_err();
    assert!(e.contains("ends inside <Building>: truncated"), "{e}");
}

#[test]
fn other_xml_and_broken_xml_are_errors() {
    let e = read(&b"<gml:FeatureCollection xmlns:gml=\"x\"/>"[..]).unwrap_err();
    assert!(
        e.contains("FeatureCollection") && e.contains("CityModel"),
        "{e}"
    );
    assert!(read(&b""[..]).unwrap_err().contains("no XML elements"));
    let e = read(&b"<CityModel><cityObjectMember></CityModel>"[..]).unwrap_err();
    assert!(e.contains("XML error"), "{e}");
    let e = read(&b"\xff\xfe<\x00C\x00"[..]).unwrap_err();
    assert!(!e.is_empty());
}

#[test]
fn an_entity_bomb_is_not_expanded() {
    let mut text =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE CityModel [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        text.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    text.push_str("]>\n");
    let body = house("b1", 0.0).replace("Town &amp; hall", "&lol9;");
    text.push_str(&doc(&body)[HEAD2.find("<CityModel").unwrap()..]);
    let m = parse(&text);
    assert_eq!(m.objects.len(), 2);
    assert!(attr(&m, 0, "name").to_string().len() < 100);
    assert!(
        m.problems.iter().any(|p| p.contains("entities")),
        "{:?}",
        m.problems
    );
}

#[test]
fn a_line_past_the_token_limit_is_refused_without_reading_it_all() {
    let mut text = doc(&house("b1", 0.0)).replace("</CityModel>\n", "");
    text.push_str("<cityObjectMember><bldg:Building><gml:name>");
    text.push_str(&"x".repeat(MAX_TOKEN as usize + (1 << 20)));
    text.push_str("</gml:name></bldg:Building></cityObjectMember></CityModel>");
    let m = parse(&text);
    assert_eq!(
        m.objects.len(),
        2,
        "the building before is kept: {:?}",
        m.problems
    );
    assert!(
        m.problems.iter().any(|p| p.contains("MiB")),
        "{:?}",
        m.problems
    );
}

#[test]
fn deep_nesting_is_refused() {
    let depth = MAX_DEPTH + 10;
    let text = format!(
        "<CityModel>{}{}</CityModel>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let e = read(text.as_bytes()).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
}

#[test]
fn bad_numbers_and_flat_rings_are_left_out_and_told() {
    let flat = polygon(
        "flat",
        &[(0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (2.0, 2.0, 2.0)],
        &[],
    );
    let bad = polygon("bad", WALL, &[]).replace("10 0 0", "10 zero 0");
    let body = format!(
        r#"<cityObjectMember><bldg:Building>{}</bldg:Building></cityObjectMember>"#,
        multi(2, &[flat, bad, polygon("ok", WALL, &[])])
    );
    let m = parse(&doc(&body));
    assert_eq!(m.polygons.len(), 1);
    assert!(
        m.problems.iter().any(|p| p.contains("not a number")),
        "{:?}",
        m.problems
    );
    assert!(
        m.notes.iter().any(|p| p.contains("without area")),
        "{:?}",
        m.notes
    );
    assert!(m.polygons.iter().all(|p| p.lod != UNKNOWN_LOD));
}

#[test]
fn a_gzipped_file_reads_like_the_plain_one() {
    let text = doc(&house("b1", 0.0));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city.gml.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    assert!(cim_loaders::citygml::is_citygml(&path));
    let m = cim_loaders::citygml::read_file(&path).unwrap();
    assert_eq!(m.objects.len(), 2);
    assert_eq!(m.polygons.len(), 4);
    // Loaded as a layer through the format detection.
    let loaded = cim_loaders::load_all(&path).pop().unwrap().unwrap();
    assert_eq!(loaded.layer.format, "CityGML");
    assert_eq!(
        loaded.layer.crs,
        Some(cim_core::crs::CrsDef::Code("EPSG:4547".into()))
    );
}

/// A wall `wall` with ring `wall-ring`, a roof `roof` in a MultiSurface
/// `roof-ms`, and `appearance` (2.0 elements) inside the building before
/// its geometry, as exporters write it.
fn looked(appearance: &str) -> String {
    let ring = ring(WALL).replace("<gml:LinearRing>", r#"<gml:LinearRing gml:id="wall-ring">"#);
    let wall =
        format!(r#"<gml:Polygon gml:id="wall"><gml:exterior>{ring}</gml:exterior></gml:Polygon>"#);
    let roof = polygon("roof", ROOF, &[]);
    doc(&format!(
        r#"<cityObjectMember><bldg:Building gml:id="b1">{appearance}
<bldg:boundedBy><bldg:WallSurface>{w}</bldg:WallSurface></bldg:boundedBy>
<bldg:boundedBy><bldg:RoofSurface><bldg:lod2MultiSurface><gml:MultiSurface gml:id="roof-ms">
<gml:surfaceMember>{roof}</gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface></bldg:RoofSurface></bldg:boundedBy>
</bldg:Building></cityObjectMember>"#,
        w = multi(2, &[wall]),
    ))
}

const TEXTURE_2: &str = r##"<app:appearance><app:Appearance><app:theme>rgbTexture</app:theme>
<app:surfaceDataMember><app:ParameterizedTexture><app:imageURI>tex/wall.png</app:imageURI>
<app:target uri="#wall"><app:TexCoordList>
<app:textureCoordinates ring="#wall-ring">0 0 1 0 1 1 0 1 0 0</app:textureCoordinates>
</app:TexCoordList></app:target></app:ParameterizedTexture></app:surfaceDataMember>
<app:surfaceDataMember><app:X3DMaterial><app:diffuseColor>0.2 0.4 0.6</app:diffuseColor>
<app:transparency>0.5</app:transparency><app:target>#roof-ms</app:target><app:target>#wall</app:target>
</app:X3DMaterial></app:surfaceDataMember></app:Appearance></app:appearance>"##;

#[test]
fn materials_and_textures_land_on_their_targets() {
    use cim_loaders::citygml::model::Look;
    let m = parse(&looked(TEXTURE_2));
    assert_eq!(m.theme.as_deref(), Some("rgbTexture"));
    let wall = &m.polygons[0];
    let roof = &m.polygons[1];
    assert_eq!(
        m.looks[wall.look.unwrap() as usize],
        Look::Texture("tex/wall.png".into())
    );
    // Texture coordinates per ring point (the closing pair dropped), v
    // turned to the image's top-left origin; the material targeting the
    // wall too does not override its texture.
    assert_eq!(
        wall.uvs.as_ref().unwrap()[0],
        [[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    );
    // The material reaches the roof through its MultiSurface's id.
    assert_eq!(
        m.looks[roof.look.unwrap() as usize],
        Look::Colour([51, 102, 153, 128])
    );
    assert!(roof.uvs.is_none());
    assert!(m.problems.is_empty(), "{:?}", m.problems);
}

#[test]
fn citygml_3_texture_associations_read_alike() {
    let v3 = r##"<appearance><app:Appearance><app:theme>rgbTexture</app:theme>
<app:surfaceData><app:ParameterizedTexture><app:imageURI>tex/wall.png</app:imageURI>
<app:textureParameterization><app:TextureAssociation><app:target>#wall</app:target>
<app:textureParameterization><app:TexCoordList>
<app:textureCoordinates ring="#wall-ring">0 0 1 0 1 1 0 1</app:textureCoordinates>
</app:TexCoordList></app:textureParameterization></app:TextureAssociation></app:textureParameterization>
</app:ParameterizedTexture></app:surfaceData></app:Appearance></appearance>"##;
    let m = parse(&looked(v3));
    let wall = &m.polygons[0];
    assert!(wall.look.is_some());
    assert_eq!(wall.uvs.as_ref().unwrap()[0][2], [1.0, 0.0]);
}

#[test]
fn only_the_first_theme_is_drawn_and_missing_targets_are_told() {
    let two = TEXTURE_2.replace("</app:appearance>", "")
        + r##"<app:Appearance><app:theme>infrared</app:theme><app:surfaceDataMember><app:X3DMaterial>
<app:diffuseColor>1 0 0</app:diffuseColor><app:target>#wall</app:target><app:target>#nowhere</app:target>
</app:X3DMaterial></app:surfaceDataMember></app:Appearance></app:appearance>"##;
    let m = parse(&looked(&two));
    assert_eq!(m.looks.len(), 2, "the infrared material is not kept");
    assert!(
        m.notes.iter().any(|n| n.contains("infrared")),
        "{:?}",
        m.notes
    );
    let m = parse(&looked(&TEXTURE_2.replace("#roof-ms", "#gone")));
    assert!(
        m.problems.iter().any(|p| p.contains("1 appearance target")),
        "{:?}",
        m.problems
    );
}

#[test]
fn a_textured_wall_is_drawn_with_its_image_and_a_missing_image_is_told() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tex")).unwrap();
    let img = image::RgbaImage::from_fn(4, 2, |x, _| image::Rgba([x as u8 * 60, 0, 0, 255]));
    img.save(dir.path().join("tex/wall.png")).unwrap();
    let read = |text: &str| {
        let src = CityGmlSource::new(parse(text), Some(dir.path().to_path_buf()));
        let c = src.full_contents().next().unwrap().clone();
        src.read(&c).unwrap()
    };
    let c = read(&looked(TEXTURE_2));
    // The wall textured; the roof in the material's see-through colour.
    assert_eq!(c.meshes.len(), 2);
    let textured = c
        .meshes
        .iter()
        .find(|m| m.material.texture.is_some())
        .unwrap();
    let tex = textured.material.texture.as_ref().unwrap();
    assert_eq!((tex.width, tex.height), (4, 2));
    assert_eq!(textured.uvs.len(), textured.positions.len());
    let plain = c
        .meshes
        .iter()
        .find(|m| m.material.texture.is_none())
        .unwrap();
    assert_eq!(plain.colors[0], [51, 102, 153, 128]);
    assert_eq!(
        plain.material.alpha,
        cim_core::model::tile_content::Alpha::Blend
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // An image that is not there: the wall in its surface's colour, told.
    let c = read(&looked(&TEXTURE_2.replace("tex/wall.png", "tex/none.png")));
    assert!(c.meshes.iter().all(|m| m.material.texture.is_none()));
    assert!(
        c.warnings.iter().any(|w| w.contains("tex/none.png")),
        "{:?}",
        c.warnings
    );
    // A name leaving the folder is refused.
    let c = read(&looked(
        &TEXTURE_2.replace("tex/wall.png", "../../etc/passwd"),
    ));
    assert!(
        c.warnings.iter().any(|w| w.contains("leaves")),
        "{:?}",
        c.warnings
    );
}

/// A tree whose LOD2 geometry is an implicit placement of `prototype`
/// (inline geometry, or an `xlink:href`) at `at`, scaled by `scale`.
fn tree(id: &str, prototype: &str, at: Option<(f64, f64, f64)>, scale: f64) -> String {
    let point = at.map_or(String::new(), |(x, y, z)| {
        format!(
            "<referencePoint><gml:Point><gml:pos>{x} {y} {z}</gml:pos></gml:Point></referencePoint>"
        )
    });
    format!(
        r#"<cityObjectMember><veg:SolitaryVegetationObject gml:id="{id}"><veg:height>7</veg:height>
<veg:lod2ImplicitRepresentation><ImplicitGeometry>
<transformationMatrix>{scale} 0 0 1 0 {scale} 0 0 0 0 {scale} 0 0 0 0 1</transformationMatrix>
{prototype}{point}</ImplicitGeometry></veg:lod2ImplicitRepresentation>
</veg:SolitaryVegetationObject></cityObjectMember>"#
    )
}

#[test]
fn implicit_geometries_are_placed_and_their_prototypes_not_drawn_alone() {
    let crown = polygon(
        "crown-p",
        &[(-1.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 3.0)],
        &[],
    );
    let inline = format!(
        r#"<relativeGMLGeometry><gml:MultiSurface gml:id="crown"><gml:surfaceMember>{crown}</gml:surfaceMember></gml:MultiSurface></relativeGMLGeometry>"#
    );
    let body = tree("t1", &inline, Some((500.0, 600.0, 10.0)), 2.0)
        + &tree(
            "t2",
            r##"<relativeGMLGeometry xlink:href="#crown"/>"##,
            Some((520.0, 600.0, 12.0)),
            1.0,
        )
        + &tree(
            "t3",
            r##"<relativeGMLGeometry xlink:href="#crown"/>"##,
            None,
            1.0,
        );
    let m = parse(&doc(&body).replace(
        "xmlns:xlink=",
        "xmlns:veg=\"http://www.opengis.net/citygml/vegetation/2.0\" xmlns:xlink=",
    ));
    assert_eq!(m.objects.len(), 3);
    // Each scaled by its matrix and moved 1 m east by it (in the
    // prototype's frame), then to its reference point: t1 twice the size,
    // t2 as modelled.
    use glam::DVec3;
    let placed: Vec<(u32, Vec<DVec3>)> = m
        .polygons
        .iter()
        .map(|p| (p.object, p.rings[0].clone()))
        .collect();
    assert_eq!(
        placed.len(),
        2,
        "one polygon each for t1 and t2: {placed:?}"
    );
    assert_eq!(
        placed[0],
        (
            0,
            vec![
                DVec3::new(499.0, 600.0, 10.0),
                DVec3::new(503.0, 600.0, 10.0),
                DVec3::new(501.0, 600.0, 16.0)
            ]
        )
    );
    assert_eq!(
        placed[1],
        (
            1,
            vec![
                DVec3::new(520.0, 600.0, 12.0),
                DVec3::new(522.0, 600.0, 12.0),
                DVec3::new(521.0, 600.0, 15.0)
            ]
        )
    );
    assert!(m.polygons.iter().all(|p| p.lod == 2));
    assert!(
        m.bbox().min.x >= 499.0,
        "the prototype is not drawn where it stands"
    );
    assert!(
        m.problems
            .iter()
            .any(|p| p.starts_with("1 implicit geometries without")),
        "t3 has no reference point: {:?}",
        m.problems
    );
}
