//! Hostile CityGML for the corpus of `hostile.rs`: an entity bomb (not
//! expanded), a cut-off file (the buildings before the cut kept; none
//! complete is an error), a 100 MB line (refused past 64 MiB, the
//! building before kept), a reference to nothing (drawn without it,
//! told), other XML, a corrupt gzip stream.

use super::{Case, Expect, inspect, s, snapshot};
use std::path::Path;

/// The cases, their files written under `d`.
pub fn cases(d: &Path) -> Vec<Case> {
    let ps = |n: &str| d.join(n).to_string_lossy().into_owned();
    let write = |n: &str, b: &[u8]| {
        std::fs::write(d.join(n), b).unwrap();
        b.len() as u64
    };
    let mut cases = Vec::new();
    let building = |id: &str| {
        format!(
            r##"<cityObjectMember><bldg:Building gml:id="{id}"><gml:name>N</gml:name><bldg:lod2MultiSurface><gml:MultiSurface>
<gml:surfaceMember><gml:Polygon gml:id="{id}-p"><gml:exterior><gml:LinearRing><gml:posList>500000 2500000 0 500010 2500000 0 500010 2500000 5 500000 2500000 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
<gml:surfaceMember xlink:href="#{id}-p"/></gml:MultiSurface></bldg:lod2MultiSurface></bldg:Building></cityObjectMember>
"##
        )
    };
    let city = |doctype: &str, body: &str| {
        format!(
            r#"<?xml version="1.0"?>{doctype}
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml"
 xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:xlink="http://www.w3.org/1999/xlink">
<gml:boundedBy><gml:Envelope srsName="EPSG:32650"/></gml:boundedBy>
{body}</CityModel>
"#
        )
    };
    let mut bomb = String::from("<!DOCTYPE CityModel [<!ENTITY a \"aaaaaaaaaa\">");
    for i in 1..12 {
        let prev = if i == 1 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        bomb.push_str(&format!(
            "<!ENTITY a{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    bomb.push_str("]>");
    let bombed = building("b1").replace("<gml:name>N</gml:name>", "<gml:name>&a11;</gml:name>");
    let n = write("bomb.gml", city(&bomb, &bombed).as_bytes());
    cases.push(inspect(
        "citygml-entity-bomb",
        vec![ps("bomb.gml")],
        Expect::Ok,
        vec![s("entities XML does not define")],
        n,
    ));
    let two = city("", &format!("{}{}", building("b1"), building("b2")));
    let n = write("cut.gml", &two.as_bytes()[..two.find("b2-p").unwrap()]);
    cases.push(inspect(
        "citygml-truncated",
        vec![ps("cut.gml")],
        Expect::Ok,
        vec![s("completed before are kept")],
        n,
    ));
    let n = write(
        "cut-first.gml",
        &two.as_bytes()[..two.find("b1-p").unwrap()],
    );
    cases.push(inspect(
        "citygml-truncated-first",
        vec![ps("cut-first.gml")],
        Expect::Error,
        vec![s("cut-first.gml"), s("CityGML")],
        n,
    ));
    let long = city(
        "",
        &format!(
            "{}<cityObjectMember><bldg:Building><gml:name>{}</gml:name></bldg:Building></cityObjectMember>",
            building("b1"),
            "x".repeat(100 << 20)
        ),
    );
    let n = write("longline.gml", long.as_bytes());
    drop(long);
    cases.push(inspect(
        "citygml-100mb-line",
        vec![ps("longline.gml")],
        Expect::Ok,
        vec![s("64 MiB")],
        n,
    ));
    let n = write(
        "dangling.gml",
        city(
            "",
            &building("b1").replace("xlink:href=\"#b1-p\"", "xlink:href=\"#gone\""),
        )
        .as_bytes(),
    );
    cases.push(snapshot(
        d,
        "citygml-dangling-reference",
        vec![ps("dangling.gml")],
        Expect::Partial,
        vec![s("#gone")],
        n,
    ));
    write(
        "other.gml",
        b"<?xml version=\"1.0\"?><gml:FeatureCollection xmlns:gml=\"x\"/>",
    );
    cases.push(inspect(
        "gml-not-citygml",
        vec![ps("other.gml")],
        Expect::Error,
        vec![s("other.gml"), s("CityModel")],
        100,
    ));
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend(std::iter::repeat_n(0xa5u8, 4096));
    write("corrupt.gml.gz", &gz);
    cases.push(inspect(
        "citygml-corrupt-gzip",
        vec![ps("corrupt.gml.gz")],
        Expect::Error,
        vec![s("corrupt.gml.gz")],
        1 << 20,
    ));

    cases
}
