use super::*;

fn sample() -> SceneDoc {
    SceneDoc {
        format_version: FORMAT_VERSION,
        name: "香洲 test".into(),
        description: String::new(),
        crs: CrsDef::parse("EPSG:4526").unwrap(),
        origin: [38_448_500.0, 2_467_800.0, 0.0],
        stream_budget_mb: Some(2048),
        layers: vec![LayerRef {
            layer: None,
            name: "建筑".into(),
            source: "data/buildings.shp".into(),
            kind: LayerKind::Buildings,
            visible: false,
            opacity: 0.5,
            style: Style {
                height_field: Some("height".into()),
                color: Some("#ff8800".into()),
                ..Default::default()
            },
            placement: Some(Placement {
                offset: [1.0, -2.0, 0.5],
                heading_deg: 12.5,
                scale: 1.0,
            }),
            clip: vec![ClipRegion {
                polygon: vec![[0.0, 0.0], [5.0, 0.0], [5.0, 5.0]],
            }],
            flatten: vec![FlattenRegion {
                polygon: vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]],
                height: 3.25,
            }],
        }],
        views: vec![View {
            name: "overview".into(),
            eye: [38_448_000.0, 2_466_000.0, 900.0],
            target: [38_448_500.0, 2_467_800.0, 0.0],
        }],
        clock: Some(SceneClock::for_local_day(2024, 6, 21, 14.0, 8.0)),
        basemaps: Vec::new(),
        flood: None,
    }
}

#[test]
fn a_tileset_placement_reads_with_defaults() {
    let doc = SceneDoc::from_toml_str(
        "format_version = 1\nname = \"t\"\ncrs = \"EPSG:4547\"\norigin = [0.0, 0.0, 0.0]\n\
         [[layer]]\nname = \"m\"\nsource = \"t/tileset.json\"\n\
         [layer.placement]\noffset = [1.0, 2.0, 3.0]\n",
        Path::new("t.cim.toml"),
    )
    .unwrap();
    let p = doc.layers[0].placement.expect("a placement");
    assert_eq!(
        (p.offset, p.heading_deg, p.scale),
        ([1.0, 2.0, 3.0], 0.0, 1.0)
    );
    assert!(doc.to_toml_string().contains("[layer.placement]"));
}

#[test]
fn edit_regions_that_cannot_be_used_are_clear_errors() {
    let doc = |region: &str| {
        SceneDoc::from_toml_str(
            &format!(
                "format_version = 1\nname = \"t\"\ncrs = \"EPSG:4547\"\norigin = [0.0, 0.0, 0.0]\n\
                 [[layer]]\nname = \"m\"\nsource = \"t/tileset.json\"\n{region}\n"
            ),
            Path::new("t.cim.toml"),
        )
        .unwrap()
    };
    let err = |region: &str| doc(region).layers[0].tile_edits().unwrap_err();
    assert!(err("[[layer.clip]]\npolygon = [[0.0, 0.0], [1.0, 1.0]]").contains("3 to"));
    assert!(
        err("[[layer.clip]]\npolygon = [[nan, 0.0], [1.0, 0.0], [1.0, 1.0]]").contains("finite")
    );
    assert!(
        err("[[layer.flatten]]\npolygon = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]\nheight = inf")
            .contains("finite")
    );
    let ok = doc("[[layer.clip]]\npolygon = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]");
    assert_eq!(ok.layers[0].tile_edits().unwrap().clip.len(), 1);
    assert!(ok.to_toml_string().contains("[[layer.clip]]"));
}

#[test]
fn round_trips_through_toml_and_disk() {
    let doc = sample();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.cim.toml");
    doc.save(&path).unwrap();
    assert_eq!(SceneDoc::load(&path).unwrap(), doc);
    // Saving again keeps the previous copy.
    let mut doc2 = doc.clone();
    doc2.name = "second".into();
    doc2.save(&path).unwrap();
    assert_eq!(SceneDoc::load(&path).unwrap().name, "second");
    let bak = SceneDoc::load(&dir.path().join("a.cim.toml.bak")).unwrap();
    assert_eq!(bak, doc);
    // No temp files left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn themes_round_trip_and_old_category_fields_still_work() {
    use crate::style::thematic::{ClassMethod, ThemeMode};
    let mut doc = sample();
    let mut theme = ThemeSpec::graduated("height", ClassMethod::NaturalBreaks, 7);
    theme.ramp = Some("viridis".into());
    doc.layers[0].style.theme = Some(theme.clone());
    let mut cat = ThemeSpec::categorized("用途");
    cat.colors.insert("住宅".into(), "#e2d6be".into());
    cat.colors.insert("".into(), "#cccccc".into());
    doc.layers.push(LayerRef {
        layer: None,
        name: "用地".into(),
        source: "landuse.geojson".into(),
        kind: LayerKind::Areas,
        visible: true,
        opacity: 1.0,
        style: Style {
            theme: Some(cat.clone()),
            ..Default::default()
        },
        placement: None,
        clip: Vec::new(),
        flatten: Vec::new(),
    });
    let text = doc.to_toml_string();
    assert!(text.contains("[layer.style.theme]"), "{text}");
    assert!(text.contains("method = \"natural_breaks\""), "{text}");
    assert!(text.contains("\"住宅\" = \"#e2d6be\""), "{text}");
    let back = SceneDoc::from_toml_str(&text, Path::new("t.cim.toml")).unwrap();
    assert_eq!(back, doc);
    assert_eq!(back.layers[0].style.theme_spec(), theme);
    assert_eq!(back.layers[1].style.theme_spec(), cat);

    // Hand-written, short form.
    let text = r##"
format_version = 1
name = "t"
crs = "EPSG:4526"
origin = [0.0, 0.0, 0.0]
[[layer]]
name = "b"
source = "b.shp"
[layer.style]
category_field = "use"
[[layer]]
name = "c"
source = "c.shp"
[layer.style]
color = "#112233"
[[layer]]
name = "d"
source = "d.shp"
[layer.style.theme]
mode = "graduated"
field = "floors"
method = "quantile"
classes = 4
"##;
    let doc = SceneDoc::from_toml_str(text, Path::new("t.cim.toml")).unwrap();
    assert_eq!(
        doc.layers[0].style.theme_spec(),
        ThemeSpec::categorized("use")
    );
    let single = doc.layers[1].style.theme_spec();
    assert_eq!(
        (single.mode, single.color.as_deref()),
        (ThemeMode::Single, Some("#112233"))
    );
    assert_eq!(
        doc.layers[2].style.theme_spec(),
        ThemeSpec::graduated("floors", ClassMethod::Quantile, 4)
    );
}

#[test]
fn newer_version_is_refused_with_a_clear_message() {
    let text = sample()
        .to_toml_string()
        .replace("format_version = 1", "format_version = 7");
    let e = SceneDoc::from_toml_str(&text, Path::new("x.cim.toml")).unwrap_err();
    assert!(matches!(e, SceneError::TooNew { found: 7, .. }));
    assert!(
        e.to_string().contains("x.cim.toml") && e.to_string().contains("upgrade"),
        "{e}"
    );
}

#[test]
fn malformed_documents_name_the_file_and_problem() {
    let p = Path::new("bad.cim.toml");
    let e = SceneDoc::from_toml_str("format_version = 1\nname = [", p).unwrap_err();
    assert!(
        matches!(e, SceneError::Malformed { .. }) && e.to_string().starts_with("bad.cim.toml"),
        "{e}"
    );
    let e = SceneDoc::from_toml_str("name = 'x'", p).unwrap_err();
    assert!(matches!(e, SceneError::MissingVersion { .. }), "{e}");
    let e = SceneDoc::from_toml_str("format_version = 1\nname = 'x'", p).unwrap_err();
    assert!(e.to_string().contains("crs"), "{e}");
}

#[test]
fn sources_resolve_relative_to_the_document() {
    let d = Path::new("/data/city");
    assert_eq!(
        SceneDoc::resolve_source("builtin:demo/buildings", Some(d)),
        Source::Builtin("demo/buildings".into())
    );
    assert_eq!(
        SceneDoc::resolve_source("roads.geojson", Some(d)),
        Source::File("/data/city/roads.geojson".into())
    );
    assert_eq!(
        SceneDoc::resolve_source("/abs/x.shp", Some(d)),
        Source::File("/abs/x.shp".into())
    );
    assert!(matches!(
        SceneDoc::resolve_source("https://tiles/x", None),
        Source::Url(_)
    ));
    assert_eq!(parse_hex_color("#ff8000"), Some([255, 128, 0, 255]));
    assert_eq!(parse_hex_color("ff8000"), None);
}

const HEAD: &str = "format_version = 1\nname = \"x\"\ncrs = \"EPSG:4526\"\n";

#[test]
fn numbers_that_show_nothing_are_refused() {
    let p = Path::new("bad.cim.toml");
    let e = SceneDoc::from_toml_str(&format!("{HEAD}origin = [nan, 0.0, 0.0]\n"), p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`origin`"), "{e}");
    let e = SceneDoc::from_toml_str(
        &format!(
            "{HEAD}origin = [0.0, 0.0, 0.0]\n[[view]]\nname = \"v\"\neye = [1.0, 2.0, 3.0]\ntarget = [1.0, 2.0, 3.0]\n"
        ),
        p,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("view `v`") && e.contains("same point"), "{e}");
    let e = SceneDoc::from_toml_str(
        &format!(
            "{HEAD}origin = [0.0, 0.0, 0.0]\n[[view]]\nname = \"v\"\neye = [inf, 2.0, 3.0]\ntarget = [1.0, 2.0, 0.0]\n"
        ),
        p,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("finite"), "{e}");
}

#[test]
fn errors_quote_a_bounded_part_of_the_input() {
    let long = "x".repeat(10 << 20);
    let text = format!("{HEAD}origin = [0.0, 0.0, 0.0]\nname2 = {long}\n");
    let e = SceneDoc::from_toml_str(&text, Path::new("big\u{1b}[2J.cim.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.len() < 2000, "{} bytes of message", e.len());
    assert!(!e.contains('\u{1b}'), "{e}");
}

#[test]
fn only_regular_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let e = SceneDoc::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    #[cfg(unix)]
    {
        // A FIFO with no writer: opening it would block for ever.
        let fifo = dir.path().join("f.cim.toml");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = SceneDoc::load(&fifo).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}

#[test]
fn a_sub_layer_is_named_beside_a_literal_source() {
    let text = format!(
        "{HEAD}origin = [0.0, 0.0, 0.0]\n[[layer]]\nname = \"r\"\nsource = \"a#b.gpkg\"\nlayer = \"roads\"\n"
    );
    let doc = SceneDoc::from_toml_str(&text, Path::new("x.cim.toml")).unwrap();
    assert_eq!(doc.layers[0].source, "a#b.gpkg");
    assert_eq!(doc.layers[0].layer.as_deref(), Some("roads"));
    let back = SceneDoc::from_toml_str(&doc.to_toml_string(), Path::new("y")).unwrap();
    assert_eq!(back, doc);
}
