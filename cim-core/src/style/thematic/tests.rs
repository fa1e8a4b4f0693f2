use super::*;
use crate::model::attr::Field;
use crate::model::geometry::Geometry;
use crate::model::layer::{Feature, FeatureId};
use glam::DVec3;

fn layer(fields: &[(&str, AttrType)], rows: Vec<Vec<AttrValue>>) -> VectorData {
    VectorData {
        fields: fields.iter().map(|(n, t)| Field::new(*n, *t)).collect(),
        features: rows
            .into_iter()
            .enumerate()
            .map(|(i, attributes)| Feature {
                id: FeatureId(i as u64),
                geometry: Geometry::Point(DVec3::ZERO),
                attributes,
            })
            .collect(),
    }
}

fn heights(hs: &[f64]) -> VectorData {
    layer(
        &[("height", AttrType::Float)],
        hs.iter().map(|h| vec![AttrValue::Float(*h)]).collect(),
    )
}

fn labels(t: &Thematic) -> Vec<(String, usize)> {
    t.legend
        .entries
        .iter()
        .map(|e| (e.label.clone(), e.count))
        .collect()
}

/// A tiny deterministic generator (64-bit LCG, Knuth's MMIX constants).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn total_ssd(x: &[f64], breaks: &[f64]) -> f64 {
    let mut bounds = vec![x[0]];
    bounds.extend_from_slice(breaks);
    bounds.push(x[x.len() - 1]);
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); bounds.len() - 1];
    for &v in x {
        groups[class_of(&bounds, v).unwrap()].push(v);
    }
    groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
        })
        .sum()
}

/// Exhaustive minimum over all ways to cut sorted `x` into `k` runs.
fn brute_force_min(x: &[f64], k: usize) -> f64 {
    fn rec(x: &[f64], k: usize, from: usize, acc: f64) -> f64 {
        let ssd = |g: &[f64]| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
        };
        if k == 1 {
            return acc + ssd(&x[from..]);
        }
        (from + 1..=x.len() - (k - 1))
            .map(|cut| rec(x, k - 1, cut, acc + ssd(&x[from..cut])))
            .fold(f64::INFINITY, f64::min)
    }
    rec(x, k, 0, 0.0)
}

#[test]
fn jenks_is_the_exhaustive_optimum() {
    let mut rng = Lcg(42);
    for trial in 0..200 {
        let n = 4 + trial % 8;
        let k = 2 + trial % 3;
        let mut x: Vec<f64> = (0..n).map(|_| (rng.next() * 100.0).round()).collect();
        x.sort_by(f64::total_cmp);
        let mut distinct = x.clone();
        distinct.dedup();
        if distinct.len() <= k {
            continue;
        }
        let b = jenks_breaks(&x, k);
        let got = total_ssd(&x, &b);
        // Optimal 1-D k-means never splits equal values (moving one to
        // the other's class always lowers the cost), so cutting between
        // any two positions gives the same optimum as cutting by value.
        let best = brute_force_min(&x, k);
        assert!(
            (got - best).abs() < 1e-6,
            "x={x:?} k={k} breaks={b:?} got {got} best {best}"
        );
    }
}

#[test]
fn jenks_without_ties_matches_brute_force_exactly() {
    let mut rng = Lcg(7);
    for trial in 0..100 {
        let n = 5 + trial % 7;
        let k = 2 + trial % 4;
        let mut x: Vec<f64> = (0..n).map(|_| rng.next() * 50.0).collect();
        x.sort_by(f64::total_cmp);
        x.dedup();
        if x.len() <= k {
            continue;
        }
        let b = jenks_breaks(&x, k);
        assert_eq!(b.len(), k - 1, "{x:?}");
        let got = total_ssd(&x, &b);
        let best = brute_force_min(&x, k);
        assert!((got - best).abs() < 1e-6 * best.max(1.0), "{got} vs {best}");
    }
}

#[test]
fn jenks_samples_large_inputs_and_finds_clusters() {
    // Three clear clusters of 10 000 values each.
    let mut x = Vec::new();
    for c in [0.0, 100.0, 1000.0] {
        x.extend((0..10_000).map(|i| c + (i % 10) as f64));
    }
    x.sort_by(f64::total_cmp);
    let t = std::time::Instant::now();
    let b = jenks_breaks(&x, 3);
    assert_eq!(b, [9.0, 109.0]);
    assert!(t.elapsed().as_secs_f64() < 5.0);
    // Fewer distinct values than classes: each value its own class.
    assert_eq!(jenks_breaks(&[1.0, 1.0, 2.0, 3.0], 5), [1.0, 2.0]);
    assert!(jenks_breaks(&[4.0; 10], 3).is_empty());
}

#[test]
fn quantiles_keep_ties_together() {
    let t = classify(
        &heights(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        &ThemeSpec::graduated("height", ClassMethod::Quantile, 4),
        [0; 4],
    )
    .unwrap();
    // Rank 3 → 1, which takes all six 1s; the other three classes split
    // the remaining four values: ranks 8 and 9 → 3 and 4.
    assert_eq!(
        labels(&t),
        [
            ("1".to_owned(), 6),
            ("1 – 3".to_owned(), 2),
            ("3 – 4".into(), 1),
            ("4 – 5".into(), 1)
        ]
    );
    let q = quantile_breaks(&(1..=100).map(f64::from).collect::<Vec<_>>(), 5);
    assert_eq!(q, [20.0, 40.0, 60.0, 80.0]);
}

#[test]
fn equal_interval_labels_counts_and_ramp_colours() {
    let v = heights(&[0.0, 10.0, 24.0, 25.0, 26.0, 99.0, 100.0]);
    let mut spec = ThemeSpec::graduated("height", ClassMethod::EqualInterval, 4);
    spec.ramp = Some("viridis".into());
    let t = classify(&v, &spec, [0; 4]).unwrap();
    assert_eq!(
        labels(&t),
        [
            ("0 – 25".to_owned(), 4),
            ("25 – 50".to_owned(), 1),
            ("50 – 75".to_owned(), 0),
            ("75 – 100".to_owned(), 2)
        ]
    );
    let viridis = ColorRamp::by_name("viridis").unwrap();
    assert_eq!(t.colors[0], viridis.sample(0.0));
    assert_eq!(t.colors[3], viridis.sample(0.0), "25 is upper-inclusive");
    assert_eq!(t.colors[4], viridis.sample(1.0 / 3.0));
    assert_eq!(t.colors[6], viridis.sample(1.0));
    assert_eq!(t.legend.title, "height");
}

#[test]
fn graduated_handles_nulls_text_numbers_and_manual_breaks() {
    let v = layer(
        &[("h", AttrType::String)],
        vec![
            vec!["12.5".into()],
            vec!["30".into()],
            vec!["".into()],
            vec![AttrValue::Null],
            vec!["200".into()],
            vec!["-4".into()],
        ],
    );
    let mut spec = ThemeSpec::graduated("h", ClassMethod::Manual, 0);
    spec.breaks = vec![30.0, 0.0, 12.5, 100.0];
    let t = classify(&v, &spec, [0; 4]).unwrap();
    assert_eq!(
        labels(&t),
        [
            ("0 – 12.5".to_owned(), 1),
            ("12.5 – 30".to_owned(), 1),
            ("30 – 100".to_owned(), 0),
            (OTHER_LABEL.to_owned(), 2),
            (NULL_LABEL.to_owned(), 2)
        ]
    );
    assert_eq!(t.colors[2], NULL_COLOR);
    assert_eq!(t.colors[4], OTHER_COLOR);
    spec.breaks = vec![5.0];
    assert!(matches!(
        classify(&v, &spec, [0; 4]),
        Err(ThemeError::ManualBreaks(_))
    ));
    // NaN is null too; all-null layers give only the null class.
    let t = classify(
        &heights(&[f64::NAN, f64::NAN]),
        &ThemeSpec::graduated("height", ClassMethod::NaturalBreaks, 3),
        [0; 4],
    )
    .unwrap();
    assert_eq!(labels(&t), [(NULL_LABEL.to_owned(), 2)]);
}

#[test]
fn graduated_refuses_text_and_unknown_fields_helpfully() {
    let v = layer(
        &[("name", AttrType::String), ("height", AttrType::Float)],
        vec![vec!["塔".into(), 3.0.into()]],
    );
    let e = classify(
        &v,
        &ThemeSpec::graduated("name", ClassMethod::Quantile, 3),
        [0; 4],
    )
    .unwrap_err();
    assert!(matches!(e, ThemeError::NotNumeric { .. }), "{e}");
    assert!(e.to_string().contains("categorized"), "{e}");
    let e = classify(
        &v,
        &ThemeSpec::graduated("hieght", ClassMethod::Quantile, 3),
        [0; 4],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown field 'hieght'; did you mean 'height'?"
    );
    // Case-insensitive when unambiguous.
    assert!(
        classify(
            &v,
            &ThemeSpec::graduated("HEIGHT", ClassMethod::Quantile, 3),
            [0; 4]
        )
        .is_ok()
    );
    let mut spec = ThemeSpec::graduated("height", ClassMethod::Quantile, 3);
    spec.ramp = Some("rainbowish".into());
    let e = classify(&v, &spec, [0; 4]).unwrap_err();
    assert!(e.to_string().contains("viridis"), "{e}");
    let e = classify(&v, &ThemeSpec::categorized(""), [0; 4]).unwrap_err();
    assert_eq!(
        e,
        ThemeError::NoField {
            mode: "categorized"
        }
    );
}

#[test]
fn categorized_orders_by_count_and_uses_the_cim_table() {
    let uses = ["住宅", "商业", "住宅", "湿地", "", "住宅", "商业", "公园"];
    let mut rows: Vec<Vec<AttrValue>> = uses.iter().map(|u| vec![(*u).into()]).collect();
    rows.push(vec![AttrValue::Null]);
    let v = layer(&[("use", AttrType::String)], rows);
    let mut spec = ThemeSpec::categorized("use");
    spec.colors.insert("公园".into(), "#00ff00".into());
    let t = classify(&v, &spec, [0; 4]).unwrap();
    assert_eq!(
        labels(&t),
        [
            ("住宅".to_owned(), 3),
            ("商业".to_owned(), 2),
            ("公园".to_owned(), 1),
            ("湿地".to_owned(), 1),
            (NULL_LABEL.to_owned(), 2)
        ]
    );
    assert_eq!(t.colors[0], [226, 214, 190, 255]);
    assert_eq!(t.colors[1], [222, 160, 110, 255]);
    assert_eq!(t.colors[7], [0, 255, 0, 255]);
    assert_eq!(t.colors[3], categorical_color(0));
    assert_eq!(t.colors[4], NULL_COLOR);
    assert_eq!(t.colors[8], NULL_COLOR);
    assert_eq!(t.colors.len(), v.features.len());
    spec.colors.insert("湿地".into(), "green".into());
    let e = classify(&v, &spec, [0; 4]).unwrap_err();
    assert!(e.to_string().contains("湿地"), "{e}");
}

#[test]
fn categorized_caps_classes_and_can_use_a_ramp() {
    let v = layer(
        &[("n", AttrType::Int)],
        (0..100i64)
            .map(|i| vec![AttrValue::Int(if i < 10 { 5 } else { i })])
            .collect(),
    );
    let t = classify(&v, &ThemeSpec::categorized("n"), [0; 4]).unwrap();
    assert_eq!(t.legend.entries.len(), MAX_CATEGORIES + 1);
    assert_eq!(labels(&t)[0], ("5".to_owned(), 10));
    // Ties sort numerically, not as text: 10, 11, … not 10, 100, 11.
    assert_eq!(labels(&t)[1].0, "10");
    assert_eq!(labels(&t)[2].0, "11");
    let other = t.legend.entries.last().unwrap();
    assert_eq!((other.label.as_str(), other.count), (OTHER_LABEL, 90 - 63));
    assert_eq!(*t.colors.last().unwrap(), OTHER_COLOR);
    let total: usize = t.legend.entries.iter().map(|e| e.count).sum();
    assert_eq!(total, 100);

    let mut spec = ThemeSpec::categorized("n");
    spec.ramp = Some("greys".into());
    let t = classify(&v, &spec, [0; 4]).unwrap();
    assert_eq!(t.colors[0], [255, 255, 255, 255]);
}

#[test]
fn single_symbol_uses_its_colour_or_the_base() {
    let v = heights(&[1.0, 2.0]);
    let t = classify(&v, &ThemeSpec::default(), [1, 2, 3, 255]).unwrap();
    assert_eq!(t.colors, [[1, 2, 3, 255]; 2]);
    assert_eq!(labels(&t), [(ALL_LABEL.to_owned(), 2)]);
    let spec = ThemeSpec {
        color: Some("#ff0000".into()),
        ..Default::default()
    };
    assert_eq!(
        classify(&v, &spec, [0; 4]).unwrap().colors[1],
        [255, 0, 0, 255]
    );
}

#[test]
fn numbers_format_compactly() {
    assert_eq!(format_number(12.5, 1), "12.5");
    assert_eq!(format_number(30.0, 3), "30");
    assert_eq!(format_number(-0.0001, 2), "0");
    assert_eq!(format_number(1234.5678, 0), "1235");
    assert_eq!(label_decimals(&[0.0, 0.25, 0.5]), 3);
    assert_eq!(label_decimals(&[0.0, 250.0, 500.0]), 0);
    assert_eq!(label_decimals(&[0.0, 17.5, 35.0]), 1);
}

#[test]
fn spec_serialises_only_what_differs_from_defaults() {
    let spec = ThemeSpec::graduated("height", ClassMethod::NaturalBreaks, 5);
    let text = toml::to_string(&spec).unwrap();
    assert_eq!(
        text,
        "mode = \"graduated\"\nfield = \"height\"\nmethod = \"natural_breaks\"\n"
    );
    let back: ThemeSpec = toml::from_str("mode = 'graduated'\nmethod = 'jenks'").unwrap();
    assert_eq!(back.method, ClassMethod::NaturalBreaks);
    assert_eq!(back.classes, DEFAULT_CLASSES);
    assert_eq!(toml::to_string(&ThemeSpec::default()).unwrap(), "");
}
