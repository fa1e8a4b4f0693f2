use super::*;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn web_mercator_matrices_follow_web_mercator_quad() {
    let s = TileMatrixSet::web_mercator();
    assert_eq!(s.matrices.len(), 23);
    assert_eq!(s.matrices[0].id, "0");
    assert_eq!(s.matrices[22].id, "22");
    // OGC 17-083r2 Annex D.1: level 0 cell size 156543.03392804097 m.
    assert!(close(s.matrices[0].resolution, 156_543.033_928_041, 1e-12));
    assert_eq!(s.matrices[22].matrix_width, 1 << 22);
    // ... and scale denominator 559082264.0287178 at 0.28 mm.
    assert!(close(
        s.matrices[0].scale_denominator(1.0),
        559_082_264.028_717_8,
        1e-12
    ));
    let b = s.tile_bounds(&TileId {
        matrix: 1,
        col: 1,
        row: 0,
    });
    assert!(close(b.min.x, 0.0, 1e-12) && b.min.y.abs() < 1e-6);
    assert!(close(b.max.x, WEB_MERCATOR_HALF_EXTENT, 1e-12));
    assert!(close(b.max.y, WEB_MERCATOR_HALF_EXTENT, 1e-12));
    assert!(close(
        s.matrices[5].bounds().max.x,
        20_037_508.342_789_244,
        1e-12
    ));
}

#[test]
fn cgcs2000_matrices_are_tianditu_c() {
    let s = TileMatrixSet::cgcs2000_geographic();
    assert_eq!(s.crs, CrsDef::cgcs2000());
    assert_eq!(s.matrices.len(), 18);
    assert_eq!(s.matrices[0].id, "1");
    assert_eq!(s.matrices[17].id, "18");
    let m1 = &s.matrices[0];
    assert_eq!((m1.matrix_width, m1.matrix_height), (2, 1));
    assert_eq!(m1.resolution, 0.703125);
    let b = m1.bounds();
    assert_eq!(b.to_xy_array(), [-180.0, -90.0, 180.0, 90.0]);
    let t = s.tile_bounds(&TileId {
        matrix: 0,
        col: 1,
        row: 0,
    });
    assert_eq!(t.to_xy_array(), [0.0, -90.0, 180.0, 90.0]);
    // Level 18: 5.36441802978516e-6 °/px (Tianditu's published resolution).
    assert!(close(
        s.matrices[17].resolution,
        5.364_418_029_785_156e-6,
        1e-12
    ));
    assert_eq!(
        (s.matrices[17].matrix_width, s.matrices[17].matrix_height),
        (1 << 18, 1 << 17)
    );
    // Scale at 0.28 mm per OGC Annex E: 279 541 132.01 for 0.703125°/px
    // (Tianditu's own 295 829 355.45 is the 96 DPI figure).
    assert!(close(
        m1.scale_denominator(METRES_PER_DEGREE),
        279_541_132.014_358_8,
        1e-9
    ));
    assert!(close(
        scale_to_resolution(279_541_132.014_358_8, METRES_PER_DEGREE),
        0.703125,
        1e-12
    ));
}

#[test]
fn tiles_covering_clamps_and_skips_touching_tiles() {
    let s = TileMatrixSet::web_mercator();
    let bb = |x0: f64, y0: f64, x1: f64, y1: f64| Bbox {
        min: DVec3::new(x0, y0, 0.0),
        max: DVec3::new(x1, y1, 0.0),
    };
    let t: Vec<_> = s.tiles_covering(2, &bb(-1.0, -1.0, 1.0, 1.0)).collect();
    let cr: Vec<_> = t.iter().map(|t| (t.col, t.row)).collect();
    assert_eq!(cr, [(1, 1), (2, 1), (1, 2), (2, 2)]);
    // Only touching the tile boundary at 0: one tile.
    let t: Vec<_> = s.tiles_covering(1, &bb(0.0, 0.0, 10.0, 10.0)).collect();
    assert_eq!(
        t,
        [TileId {
            matrix: 1,
            col: 1,
            row: 0
        }]
    );
    // Larger than the world: the whole matrix.
    assert_eq!(s.tiles_covering(3, &bb(-1e9, -1e9, 1e9, 1e9)).count(), 64);
    // Outside, empty and NaN boxes: nothing.
    assert_eq!(s.tiles_covering(3, &bb(3e7, 0.0, 4e7, 1.0)).count(), 0);
    assert_eq!(s.tiles_covering(3, &Bbox::EMPTY).count(), 0);
    assert_eq!(s.tiles_covering(3, &bb(f64::NAN, 0.0, 1.0, 1.0)).count(), 0);
    // A point inside a tile.
    assert_eq!(s.tiles_covering(4, &bb(5.0, 5.0, 5.0, 5.0)).count(), 1);

    let c = TileMatrixSet::cgcs2000_geographic();
    // Hangzhou, level 10 (matrix 9): 1024 × 512 tiles of 0.3515625°.
    let t: Vec<_> = c.tiles_covering(9, &bb(120.0, 30.0, 120.1, 30.1)).collect();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].col, t[0].row), (853, 170));
}

#[test]
fn matrix_for_resolution_picks_the_nearest_level() {
    let s = TileMatrixSet::web_mercator();
    assert_eq!(s.matrix_for_resolution(1.0), 17); // z17 = 1.19 m, z18 = 0.60 m
    assert_eq!(s.matrix_for_resolution(0.8), 18);
    assert_eq!(s.matrix_for_resolution(200_000.0), 0);
    assert_eq!(s.matrix_for_resolution(1e-9), 22);
    let c = TileMatrixSet::cgcs2000_geographic();
    assert_eq!(c.matrix_for_resolution(0.703125), 0);
    assert_eq!(c.matrix_for_resolution(10.0), 0);
    assert_eq!(c.matrices[c.matrix_for_resolution(1e-5)].id, "17");
}

fn vars<'a>(subdomains: &'a [String]) -> TileUrlVars<'a> {
    TileUrlVars {
        matrix_id: "3",
        col: 3,
        row: 5,
        matrix_height: 8,
        subdomains,
        style: "default",
        tile_matrix_set: "w",
    }
}

#[test]
fn url_templates_expand() {
    let subs: Vec<String> = ["0", "1", "2", "3", "4", "5", "6", "7"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let v = vars(&subs);
    assert_eq!(
        expand_tile_url("https://t{s}.example/{z}/{x}/{y}.png?tk=k", &v).unwrap(),
        "https://t0.example/3/3/5.png?tk=k"
    );
    assert_eq!(
        expand_tile_url("/tms/{z}/{x}/{-y}.png", &v).unwrap(),
        "/tms/3/3/2.png"
    );
    assert_eq!(
        expand_tile_url(
            "w?TILEMATRIXSET={TileMatrixSet}&STYLE={style}&TILEMATRIX={TILEMATRIX}&TILEROW={tilerow}&TILECOL={TileCol}",
            &v
        )
        .unwrap(),
        "w?TILEMATRIXSET=w&STYLE=default&TILEMATRIX=3&TILEROW=5&TILECOL=3"
    );
    // Bing's documented example: level 3, tile (3, 5) → "213".
    assert_eq!(quadkey(3, 3, 5), "213");
    assert_eq!(
        expand_tile_url("q/{quadkey}.jpeg", &v).unwrap(),
        "q/213.jpeg"
    );
    let e = expand_tile_url("a/{zoom}/{x}", &v).unwrap_err().to_string();
    assert!(e.contains("{zoom}") && e.contains("a/{zoom}/{x}"), "{e}");
    let e = expand_tile_url("a/{z", &v).unwrap_err().to_string();
    assert!(e.contains("without its '}'"), "{e}");
    let e = expand_tile_url("{s}.a/{z}", &vars(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("subdomains"), "{e}");
    let mut v2 = v;
    v2.matrix_id = "EPSG:3857:3";
    assert!(expand_tile_url("{quadkey}", &v2).is_err());
}

/// Modelled on Tianditu's `img_c`/`img_w` capabilities: 96 DPI scale
/// denominators, `90.0 -180.0` for EPSG:4490 (correct, latitude first) and
/// `20037508.34 -20037508.34` for EPSG:900913 (northing first, wrongly), KVP
/// only, format `tiles`. Three levels each.
const TIANDITU_STYLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink" version="1.0.0">
  <ows:ServiceIdentification>
    <ows:Title>在线地图服务</ows:Title>
    <ows:ServiceType>OGC WMTS</ows:ServiceType>
    <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
  </ows:ServiceIdentification>
  <ows:OperationsMetadata>
    <ows:Operation name="GetCapabilities">
      <ows:DCP><ows:HTTP><ows:Get xlink:href="http://t0.tianditu.example/img_c/wmts?caps"/></ows:HTTP></ows:DCP>
    </ows:Operation>
    <ows:Operation name="GetTile">
      <ows:DCP><ows:HTTP>
        <ows:Get xlink:href="http://t0.tianditu.example/img_c/wmts?">
          <ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>KVP</ows:Value></ows:AllowedValues></ows:Constraint>
        </ows:Get>
      </ows:HTTP></ows:DCP>
    </ows:Operation>
  </ows:OperationsMetadata>
  <Contents>
    <Layer>
      <ows:Title>全球影像</ows:Title>
      <ows:Identifier>img</ows:Identifier>
      <ows:WGS84BoundingBox><ows:LowerCorner>-180.0 -90.0</ows:LowerCorner><ows:UpperCorner>180.0 90.0</ows:UpperCorner></ows:WGS84BoundingBox>
      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
      <Format>tiles</Format>
      <TileMatrixSetLink><TileMatrixSet>c</TileMatrixSet></TileMatrixSetLink>
      <TileMatrixSetLink><TileMatrixSet>w</TileMatrixSet></TileMatrixSetLink>
    </Layer>
    <TileMatrixSet>
      <ows:Identifier>c</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::4490</ows:SupportedCRS>
      <TileMatrix><ows:Identifier>1</ows:Identifier><ScaleDenominator>2.958293554545656E8</ScaleDenominator>
        <TopLeftCorner>90.0 -180.0</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>2</MatrixWidth><MatrixHeight>1</MatrixHeight></TileMatrix>
      <TileMatrix><ows:Identifier>2</ows:Identifier><ScaleDenominator>1.479146777272828E8</ScaleDenominator>
        <TopLeftCorner>90.0 -180.0</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>4</MatrixWidth><MatrixHeight>2</MatrixHeight></TileMatrix>
      <TileMatrix><ows:Identifier>3</ows:Identifier><ScaleDenominator>7.39573388636414E7</ScaleDenominator>
        <TopLeftCorner>90.0 -180.0</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>8</MatrixWidth><MatrixHeight>4</MatrixHeight></TileMatrix>
    </TileMatrixSet>
    <TileMatrixSet>
      <ows:Identifier>w</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::900913</ows:SupportedCRS>
      <TileMatrix><ows:Identifier>1</ows:Identifier><ScaleDenominator>2.958293554545656E8</ScaleDenominator>
        <TopLeftCorner>20037508.3427892 -20037508.3427892</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>2</MatrixWidth><MatrixHeight>2</MatrixHeight></TileMatrix>
      <TileMatrix><ows:Identifier>2</ows:Identifier><ScaleDenominator>1.479146777272828E8</ScaleDenominator>
        <TopLeftCorner>20037508.3427892 -20037508.3427892</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>4</MatrixWidth><MatrixHeight>4</MatrixHeight></TileMatrix>
      <TileMatrix><ows:Identifier>3</ows:Identifier><ScaleDenominator>7.39573388636414E7</ScaleDenominator>
        <TopLeftCorner>20037508.3427892 -20037508.3427892</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>8</MatrixWidth><MatrixHeight>8</MatrixHeight></TileMatrix>
    </TileMatrixSet>
  </Contents>
</Capabilities>
"#;

/// A standards-following REST (ResourceURL) service in GoogleMapsCompatible,
/// as MapProxy/GeoServer publish OpenStreetMap-style layers.
const OSM_STYLE: &str = r#"<?xml version="1.0"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1" version="1.0.0">
  <Contents>
    <Layer>
      <ows:Title>OpenStreetMap</ows:Title>
      <ows:Identifier>osm</ows:Identifier>
      <Style><ows:Identifier>grey</ows:Identifier></Style>
      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
      <Format>image/jpeg</Format>
      <Format>image/png</Format>
      <TileMatrixSetLink><TileMatrixSet>GoogleMapsCompatible</TileMatrixSet></TileMatrixSetLink>
      <ResourceURL format="image/jpeg" resourceType="tile"
        template="https://tiles.example/wmts/osm/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.jpg"/>
      <ResourceURL format="image/png" resourceType="tile"
        template="https://tiles.example/wmts/osm/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png"/>
      <ResourceURL format="application/json" resourceType="FeatureInfo"
        template="https://tiles.example/fi/{TileMatrix}/{TileRow}/{TileCol}/{J}/{I}.json"/>
    </Layer>
    <TileMatrixSet>
      <ows:Identifier>GoogleMapsCompatible</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG:6.18:3:3857</ows:SupportedCRS>
      <WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible</WellKnownScaleSet>
      <TileMatrix><ows:Identifier>0</ows:Identifier><ScaleDenominator>559082264.0287178</ScaleDenominator>
        <TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>1</MatrixWidth><MatrixHeight>1</MatrixHeight></TileMatrix>
      <TileMatrix><ows:Identifier>1</ows:Identifier><ScaleDenominator>279541132.0143589</ScaleDenominator>
        <TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>2</MatrixWidth><MatrixHeight>2</MatrixHeight></TileMatrix>
    </TileMatrixSet>
  </Contents>
</Capabilities>
"#;

#[test]
fn tianditu_style_capabilities() {
    let caps = parse_wmts_capabilities(TIANDITU_STYLE).unwrap();
    assert_eq!(caps.layers.len(), 1);
    let l = caps.layer("img").unwrap();
    assert_eq!(l.title, "全球影像");
    assert_eq!(l.formats, ["tiles"]);
    assert_eq!(l.tile_matrix_sets, ["c", "w"]);
    assert!(l.resource_urls.is_empty());
    assert_eq!(
        caps.get_tile_kvp.as_deref(),
        Some("http://t0.tianditu.example/img_c/wmts?")
    );

    // "c": latitude-first corner swapped, 96 DPI scales recognised, and the
    // result is the built-in CGCS2000 set.
    let c = caps.tile_matrix_set("c").unwrap();
    assert_eq!(c.crs, CrsDef::cgcs2000());
    let builtin = TileMatrixSet::cgcs2000_geographic();
    for (m, b) in c.matrices.iter().zip(&builtin.matrices) {
        assert_eq!(m.id, b.id);
        assert_eq!(m.top_left, (-180.0, 90.0));
        assert!(close(m.resolution, b.resolution, 1e-12), "{m:?}");
        assert_eq!(
            (m.matrix_width, m.matrix_height),
            (b.matrix_width, b.matrix_height)
        );
    }

    // "w": EPSG:900913 → 3857, northing-first corner fixed, 96 DPI.
    let w = caps.tile_matrix_set("w").unwrap();
    assert_eq!(w.crs, CrsDef::Code("EPSG:3857".into()));
    let wm = TileMatrixSet::web_mercator();
    for (m, b) in w.matrices.iter().zip(&wm.matrices[1..]) {
        assert_eq!(m.top_left, (-20_037_508.342_789_2, 20_037_508.342_789_2));
        assert!(close(m.resolution, b.resolution, 1e-9), "{m:?}");
    }

    let (set, template) = caps.resolve("img", "", "c", "").unwrap();
    assert_eq!(set.id, "c");
    assert_eq!(
        template,
        "http://t0.tianditu.example/img_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0\
         &LAYER=img&STYLE=default&TILEMATRIXSET=c&TILEMATRIX={TileMatrix}&TILEROW={TileRow}\
         &TILECOL={TileCol}&FORMAT=tiles"
    );
    let url = expand_tile_url(
        &template,
        &TileUrlVars {
            matrix_id: "3",
            col: 6,
            row: 1,
            matrix_height: 4,
            subdomains: &[],
            style: "",
            tile_matrix_set: "",
        },
    )
    .unwrap();
    assert!(
        url.ends_with("TILEMATRIX=3&TILEROW=1&TILECOL=6&FORMAT=tiles"),
        "{url}"
    );

    let e = caps.resolve("vec", "", "", "").unwrap_err().to_string();
    assert!(e.contains("no layer \"vec\"") && e.contains("img"), "{e}");
    let e = caps
        .resolve("img", "", "EPSG:4326", "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("c, w"), "{e}");
}

#[test]
fn osm_style_capabilities_use_resource_urls() {
    let caps = parse_wmts_capabilities(OSM_STYLE).unwrap();
    assert_eq!(caps.get_tile_kvp, None);
    let l = caps.layer("osm").unwrap();
    assert_eq!(
        l.resource_urls.len(),
        2,
        "FeatureInfo templates are skipped"
    );
    let set = caps.tile_matrix_set("GoogleMapsCompatible").unwrap();
    assert_eq!(set.crs, CrsDef::Code("EPSG:3857".into()));
    let wm = TileMatrixSet::web_mercator();
    for (m, b) in set.matrices.iter().zip(&wm.matrices) {
        assert!(
            close(m.resolution, b.resolution, 1e-9),
            "standard 0.28 mm: {m:?}"
        );
        assert_eq!(m.top_left, (-20_037_508.342_789_2, 20_037_508.342_789_2));
    }
    let (_, t) = caps.resolve("osm", "", "", "").unwrap();
    assert_eq!(
        t,
        "https://tiles.example/wmts/osm/default/GoogleMapsCompatible/{TileMatrix}/{TileRow}/{TileCol}.jpg"
    );
    let (_, t) = caps
        .resolve("osm", "grey", "GoogleMapsCompatible", "image/png")
        .unwrap();
    assert!(t.ends_with("/osm/grey/GoogleMapsCompatible/{TileMatrix}/{TileRow}/{TileCol}.png"));
}

#[test]
fn projected_north_first_corner_and_errors() {
    // CGCS2000 / 3-degree Gauss-Kruger CM 114E: registered northing first.
    let xml = r#"<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1">
      <Contents><TileMatrixSet><ows:Identifier>gk</ows:Identifier>
        <ows:SupportedCRS>http://www.opengis.net/def/crs/EPSG/0/4547</ows:SupportedCRS>
        <TileMatrix><ows:Identifier>0</ows:Identifier><ScaleDenominator>1000</ScaleDenominator>
          <TopLeftCorner>3500000 400000</TopLeftCorner><TileWidth>512</TileWidth><TileHeight>512</TileHeight>
          <MatrixWidth>10</MatrixWidth><MatrixHeight>20</MatrixHeight></TileMatrix>
      </TileMatrixSet></Contents></Capabilities>"#;
    let caps = parse_wmts_capabilities(xml).unwrap();
    let s = &caps.tile_matrix_sets[0];
    assert_eq!(s.crs, CrsDef::Code("EPSG:4547".into()));
    assert_eq!(s.matrices[0].top_left, (400_000.0, 3_500_000.0));
    assert!(close(s.matrices[0].resolution, 0.28, 1e-12));

    let e = parse_wmts_capabilities("<Capabilities><Contents>").unwrap_err();
    assert!(matches!(e, TilesError::Xml(_)), "{e}");
    let e = parse_wmts_capabilities("<WMS_Capabilities/>")
        .unwrap_err()
        .to_string();
    assert!(e.contains("WMS_Capabilities"), "{e}");
    let bad = xml.replace("<TileHeight>512", "<TileHeight>-5");
    let e = parse_wmts_capabilities(&bad).unwrap_err().to_string();
    assert!(e.contains("\"gk\"") && e.contains("TileHeight"), "{e}");
}

#[test]
fn supported_crs_forms() {
    let c = |s: &str| wmts_crs(s).unwrap();
    assert_eq!(c("urn:ogc:def:crs:EPSG::4490"), CrsDef::cgcs2000());
    assert_eq!(c("EPSG:4490"), CrsDef::cgcs2000());
    assert_eq!(
        c("urn:ogc:def:crs:OGC:1.3:CRS84"),
        CrsDef::Code("OGC:CRS84".into())
    );
    assert_eq!(
        c("http://www.opengis.net/def/crs/EPSG/0/3857"),
        CrsDef::Code("EPSG:3857".into())
    );
    assert_eq!(c("EPSG:102100"), CrsDef::Code("EPSG:3857".into()));
}
