use super::*;

fn read_str(s: &str) -> Result<Loaded, LoadError> {
    read(Path::new("t.geojson"), s.as_bytes(), "t")
}

#[test]
fn feature_collection_with_inferred_fields_in_file_order() {
    let l = read_str(
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":7,"properties":{"zeta":1,"alpha":"x","h":2,"ok":true,"d":"2024-06-21"},
           "geometry":{"type":"Point","coordinates":[116.4,39.9,50]}},
          {"type":"Feature","id":9,"properties":{"zeta":2,"alpha":3,"h":2.5,"ok":null,"d":"2024-06-22","extra":{"a":[1]}},
           "geometry":null}
        ]}"#,
    )
    .unwrap();
    let v = l.layer.vector().unwrap();
    let schema: Vec<_> = v.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect();
    assert_eq!(
        schema,
        [
            ("zeta", AttrType::Int),
            ("alpha", AttrType::String),
            ("h", AttrType::Float),
            ("ok", AttrType::Bool),
            ("d", AttrType::Date),
            ("extra", AttrType::String)
        ]
    );
    assert_eq!(v.features[0].id, FeatureId(7));
    assert_eq!(v.features[1].id, FeatureId(9));
    assert_eq!(v.attr(&v.features[1], "alpha"), &AttrValue::from("3"));
    assert_eq!(v.attr(&v.features[1], "h"), &AttrValue::Float(2.5));
    assert_eq!(v.attr(&v.features[0], "h"), &AttrValue::Float(2.0));
    assert_eq!(
        v.attr(&v.features[1], "extra"),
        &AttrValue::from(r#"{"a":[1]}"#)
    );
    assert_eq!(v.attr(&v.features[0], "d").to_string(), "2024-06-21");
    // The null geometry became an empty MultiPoint, so the layer is uniform.
    assert_eq!(v.geometry_type(), "MultiPoint");
    assert_eq!(l.layer.crs, Some(crate::crs::wgs84()));
    assert_eq!(l.layer.bbox().unwrap().min.z, 50.0);
}

#[test]
fn legacy_crs_member_and_polygons() {
    let l = read_str(
        r#"{"type":"FeatureCollection",
            "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32637"}},
            "features":[{"type":"Feature","properties":{},
              "geometry":{"type":"Polygon","coordinates":[
                [[0,0],[10,0],[10,10],[0,10],[0,0]],
                [[2,2],[2,4],[4,4],[4,2],[2,2]]]}}]}"#,
    )
    .unwrap();
    assert_eq!(l.layer.crs, Some(crate::crs::epsg(32637).unwrap()));
    let v = l.layer.vector().unwrap();
    let Geometry::Polygon(p) = &v.features[0].geometry else {
        panic!()
    };
    assert_eq!(p.exterior.len(), 4);
    assert_eq!(p.interiors.len(), 1);
    assert!((p.area() - 96.0).abs() < 1e-9);
}

#[test]
fn crs_names() {
    let w = crate::crs::wgs84();
    assert_eq!(crs_from_name("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap(), w);
    assert_eq!(crs_from_name("EPSG:4326").unwrap(), w);
    assert_eq!(
        crs_from_name("http://www.opengis.net/def/crs/EPSG/0/4490").unwrap(),
        crate::crs::epsg(4490).unwrap()
    );
    assert_eq!(
        crs_from_name("urn:ogc:def:crs:EPSG:6.6:32650").unwrap(),
        crate::crs::epsg(32650).unwrap()
    );
    assert!(crs_from_name("urn:ogc:def:crs:EPSG::nope").is_err());
}

#[test]
fn unknown_crs_warns_and_null_crs_means_none() {
    let l = read_str(
        r#"{"type":"Feature","crs":{"type":"link","properties":{"href":"x"}},
            "properties":null,"geometry":{"type":"Point","coordinates":[1,2]}}"#,
    )
    .unwrap();
    assert_eq!(l.layer.crs, None);
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(l.warnings[0].starts_with("t.geojson: "), "{:?}", l.warnings);
    let l = read_str(r#"{"type":"Point","crs":null,"coordinates":[1,2]}"#).unwrap();
    assert_eq!(l.layer.crs, None);
    assert!(l.warnings.is_empty());
    assert_eq!(l.layer.feature_count(), 1);
}

#[test]
fn string_ids_become_a_field_and_duplicates_are_renumbered() {
    let l = read_str(
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":"a","properties":{"n":1},"geometry":{"type":"Point","coordinates":[0,0]}},
          {"type":"Feature","id":"b","properties":{"n":2},"geometry":{"type":"Point","coordinates":[1,1]}}]}"#,
    )
    .unwrap();
    let v = l.layer.vector().unwrap();
    assert_eq!(v.fields.last().unwrap().name, "id");
    assert_eq!(v.attr(&v.features[1], "id"), &AttrValue::from("b"));
    assert_eq!(v.features[1].id, FeatureId(1));
    let l = read_str(
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":5,"properties":{},"geometry":{"type":"Point","coordinates":[0,0]}},
          {"type":"Feature","id":5,"properties":{},"geometry":{"type":"Point","coordinates":[1,1]}}]}"#,
    )
    .unwrap();
    let ids: Vec<_> = l
        .layer
        .vector()
        .unwrap()
        .features
        .iter()
        .map(|f| f.id.0)
        .collect();
    assert_eq!(ids, [0, 1]);
}

#[test]
fn collections_and_bad_input() {
    let l = read_str(
        r#"{"type":"GeometryCollection","geometries":[
            {"type":"LineString","coordinates":[[0,0],[1,1]]},
            {"type":"MultiLineString","coordinates":[[[2,2],[3,3]]]}]}"#,
    )
    .unwrap();
    let v = l.layer.vector().unwrap();
    let Geometry::MultiLineString(ls) = &v.features[0].geometry else {
        panic!()
    };
    assert_eq!(ls.len(), 2);
    for bad in [
        r#"{"type":"FeatureCollection"}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":["a",1]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}"#,
        r#"{"type":"Banana"}"#,
        r#"{"type":"FeatureCollection","features":[{"#,
        r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]},
           {"type":"LineString","coordinates":[[0,0],[1,1]]}]}"#,
    ] {
        let e = read_str(bad).unwrap_err();
        assert!(
            e.to_string().starts_with("t.geojson: invalid GeoJSON"),
            "{e}"
        );
    }
}

#[test]
fn members_in_any_order_and_values_as_before() {
    // "type" after "coordinates", foreign members, a BOM, big and
    // negative integers, floats and nested values shown as JSON.
    let l = read_str(
        "\u{feff}{\"features\":[
          {\"geometry\":{\"coordinates\":[[[0,0,1],[4,0,1],[4,4,1],[0,0,1]]],\"bbox\":[0,0,4,4],
            \"type\":\"Polygon\"},\"type\":\"Feature\",\"extra\":{\"deep\":[[[1]]]},
           \"properties\":{\"big\":18446744073709551615,\"neg\":-3,\"r\":1e300,
             \"obj\":{\"b\":1,\"a\":[true,null]},\"s\":\"x\"},\"id\":-1},
          {\"type\":\"Feature\",\"properties\":{\"neg\":2.5,\"s\":3,\"obj\":\"t\"},
           \"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1]]],[]]}}],
         \"type\":\"FeatureCollection\"}",
    )
    .unwrap();
    let v = l.layer.vector().unwrap();
    let schema: Vec<_> = v.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect();
    assert_eq!(
        schema,
        [
            ("big", AttrType::Float),
            ("neg", AttrType::Float),
            ("r", AttrType::Float),
            ("obj", AttrType::String),
            ("s", AttrType::String),
        ]
    );
    let f0 = &v.features[0];
    assert_eq!(v.attr(f0, "big"), &AttrValue::Float(18446744073709551615.0));
    assert_eq!(v.attr(f0, "neg"), &AttrValue::Float(-3.0));
    assert_eq!(
        v.attr(f0, "obj"),
        &AttrValue::from(r#"{"b":1,"a":[true,null]}"#)
    );
    assert_eq!(v.attr(&v.features[1], "s"), &AttrValue::from("3"));
    assert_eq!(v.geometry_type(), "MultiPolygon");
    let Geometry::MultiPolygon(p) = &v.features[0].geometry else {
        panic!()
    };
    assert_eq!(p[0].exterior.len(), 3);
    assert_eq!(p[0].exterior[0].z, 1.0);
    // Ids: a negative one means features are numbered.
    assert_eq!(
        (v.features[0].id, v.features[1].id),
        (FeatureId(0), FeatureId(1))
    );
    // Numbers in a string field are written as serde_json writes them.
    let l = read_str(
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"x":1.5e300},"geometry":null},
          {"type":"Feature","properties":{"x":"a"},"geometry":null}]}"#,
    )
    .unwrap();
    let v = l.layer.vector().unwrap();
    assert_eq!(
        v.attr(&v.features[0], "x"),
        &AttrValue::String(serde_json::json!(1.5e300).to_string())
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
    for doc in [
        deep("[", "]"),
        format!(r#"{{"type":"Point","coordinates":{}}}"#, deep("[", "]")),
        format!(
            r#"{{"type":"Feature","geometry":null,"properties":{{"a":{}}}}}"#,
            deep("[", "]")
        ),
        format!(
            r#"{{"type":"Feature","geometry":null,"properties":{{"a":{}}}}}"#,
            deep("{\"a\":", "}")
        ),
        format!(r#"{{"type":"Point","crs":{}}}"#, deep("[", "]")),
        format!(
            r#"{{"type":"GeometryCollection","geometries":[{}]}}"#,
            deep(r#"{"type":"GeometryCollection","geometries":["#, "]}")
        ),
        // Skipped members are skipped without recursion.
        format!(
            r#"{{"type":"Point","foreign":{},"coordinates":[1,2]}}"#,
            deep("[", "]")
        ),
    ] {
        let r = read_str(&doc);
        if doc.contains("foreign") {
            assert_eq!(r.unwrap().layer.feature_count(), 1);
            continue;
        }
        let e = r.unwrap_err().to_string();
        assert!(e.starts_with("t.geojson: invalid GeoJSON"), "{e}");
        assert!(e.len() < 600, "{}", e.len());
    }
}

#[test]
fn messages_quote_little_of_the_file() {
    let huge = "x".repeat(1 << 20);
    for doc in [
        format!(r#"{{"type":"{huge}"}}"#),
        format!(r#"{{"type":"Point","coordinates":["{huge}",1]}}"#),
        format!(
            r#"{{"type":"Feature","properties":5,"geometry":{{"type":"{huge}","coordinates":[1,2]}}}}"#
        ),
        format!(r#"{{"type":"Feature","geometry":{{"type":"{huge}","coordinates":[1,2]}}}}"#),
    ] {
        let e = read_str(&doc).unwrap_err().to_string();
        assert!(e.len() < 1500, "{}", e.len());
        assert!(e.starts_with("t.geojson: invalid GeoJSON"), "{}", &e[..100]);
    }
    let l = read_str(&format!(
        r#"{{"type":"Point","crs":{{"type":"name","properties":{{"name":"\u001b{huge}"}}}},"coordinates":[1,2]}}"#
    ))
    .unwrap();
    assert!(l.warnings[0].len() < 1000, "{}", l.warnings[0].len());
    assert!(!l.warnings[0].contains('\u{1b}'));
}

#[test]
fn geometry_from_a_value_still_works() {
    let g = geometry(&serde_json::json!({"type":"LineString","coordinates":[[0,0],[1,2]]}));
    assert_eq!(
        g.unwrap(),
        Some(Geometry::LineString(vec![
            DVec3::ZERO,
            DVec3::new(1.0, 2.0, 0.0)
        ]))
    );
    assert!(geometry(&serde_json::json!({"coordinates":[1,2]})).is_err());
}
