//! The IFC reader on the fuzz corpus's seed model (a wall with a door
//! opening on a storey) and on broken files.

use cim_loaders::ifc::read::read;

fn seed() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/corpus/ifc/seed-wall-with-opening"
    );
    std::fs::read_to_string(path).expect("the seed")
}

/// The volume a closed triangle mesh encloses (divergence theorem).
fn volume(e: &cim_loaders::ifc::model::Element) -> f64 {
    e.indices
        .chunks(3)
        .map(|t| {
            let [a, b, c] =
                [0, 1, 2].map(|k| glam::Vec3::from_array(e.positions[t[k] as usize]).as_dvec3());
            a.dot(b.cross(c)) / 6.0
        })
        .sum::<f64>()
        .abs()
}

#[test]
fn a_wall_is_cut_by_its_opening_and_counted_with_it() {
    let m = read(&seed()).unwrap();
    assert_eq!(m.schema, "IFC4");
    // Both have a Body; only the wall is drawn.
    assert_eq!(m.element_count(), 2);
    assert_eq!(m.body_classes.get("IfcWall"), Some(&1));
    assert_eq!(m.body_classes.get("IfcOpeningElement"), Some(&1));
    assert_eq!(m.elements.len(), 1);
    let wall = &m.elements[0];
    assert_eq!(wall.class, "IfcWall");
    assert_eq!(wall.name.as_deref(), Some("Wall"));
    assert_eq!(wall.global_id, "5YvctVUKr0kugbFTf53O9L");
    // 4 × 0.2 × 3 m less the 1 × 0.2 × 2 m door.
    assert!((volume(wall) - 2.0).abs() < 1e-3, "volume {}", volume(wall));
    let b = m.bbox();
    let got = [b.min.x, b.min.y, b.min.z, b.max.x, b.max.y, b.max.z];
    for (g, w) in got.iter().zip([0.0, 0.0, 0.0, 4.0, 0.2, 3.0]) {
        assert!((g - w).abs() < 1e-4, "{got:?}");
    }
    assert_eq!(m.storeys.len(), 1);
    assert_eq!(m.storeys[0].name.as_deref(), Some("Ground"));
    assert_eq!(m.storeys[0].element_count, 1);
    assert_eq!(wall.storey, Some(0));
}

#[test]
fn broken_files_give_errors_or_what_could_be_read() {
    assert!(read("not a STEP file").unwrap_err().contains("FILE_SCHEMA"));
    assert!(read("").is_err());
    let text = seed();
    // Cut in the middle of the data: what is whole still reads.
    let cut = &text[..text.find("#57=").unwrap()];
    let m = read(cut).unwrap();
    assert_eq!(m.elements.len(), 0, "the wall's solid is gone");
    // A reference to nothing, and a placement placed relative to itself.
    let dangling = text.replace("(#57));", "(#9999));");
    let m = read(&dangling).unwrap();
    assert!(m.elements.is_empty());
    let cyclic = text.replace(
        "#41=IFCLOCALPLACEMENT(#31,#13);",
        "#41=IFCLOCALPLACEMENT(#51,#13);",
    );
    let m = read(&cyclic).unwrap();
    assert!(m.elements.len() <= 1);
    // Garbage bytes in the data section.
    let junk = text.replace(
        "#57=IFCEXTRUDEDAREASOLID(#52,#13,#11,3.);",
        "#57=IFCEXTRUDEDAREASOLID(#52,#13,#11,\u{1}\u{ff}",
    );
    let _ = read(&junk);
}
