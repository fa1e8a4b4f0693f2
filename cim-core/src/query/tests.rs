use super::filter::{compile_like, like_match};
use super::*;
use crate::model::attr::{AttrType, Date};
use crate::model::geometry::Geometry;
use crate::model::layer::{Feature, FeatureId};
use glam::DVec3;

fn schema() -> Vec<Field> {
    vec![
        Field::new("name", AttrType::String),
        Field::new("height", AttrType::Float),
        Field::new("floors", AttrType::Int),
        Field::new("use", AttrType::String),
        Field::new("建筑 年代", AttrType::Date),
        Field::new("heritage", AttrType::Bool),
        Field::new("code", AttrType::String),
    ]
}

fn d(s: &str) -> AttrValue {
    AttrValue::Date(Date::parse(s).unwrap())
}

/// Rows: name, height, floors, use, built, heritage, code.
fn layer() -> VectorData {
    use AttrValue::Null;
    let rows: Vec<Vec<AttrValue>> = vec![
        vec![
            "翠湖花园 1栋".into(),
            120.0.into(),
            38.into(),
            "住宅".into(),
            d("2015-06-01"),
            false.into(),
            "120".into(),
        ],
        vec![
            "Civic Centre".into(),
            45.5.into(),
            9.into(),
            "办公".into(),
            d("1998-01-01"),
            true.into(),
            "A-7".into(),
        ],
        vec![
            "万象城".into(),
            20.0.into(),
            5.into(),
            "商业".into(),
            Null,
            false.into(),
            "9".into(),
        ],
        vec![Null, Null, Null, Null, Null, Null, Null],
        vec![
            "it's 50%".into(),
            50.0.into(),
            12.into(),
            "住宅".into(),
            d("2001-09-09"),
            Null,
            "0050".into(),
        ],
    ];
    VectorData {
        fields: schema(),
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

fn sel(q: &str) -> Vec<usize> {
    select(&layer(), q).unwrap_or_else(|e| panic!("{q}: {e}"))
}

#[test]
fn the_examples_from_the_brief() {
    assert_eq!(sel("height > 100 and use = '住宅'"), vec![0]);
    assert_eq!(sel("floors >= 10 or name like '%花园%'"), vec![0, 4]);
    assert_eq!(sel("not (use in ('商业','办公'))"), vec![0, 4]);
    assert_eq!(sel("height between 20 and 50"), vec![1, 2, 4]);
    assert_eq!(sel("name is null"), vec![3]);
    assert_eq!(sel("name is not null"), vec![0, 1, 2, 4]);
}

#[test]
fn comparison_operators() {
    assert_eq!(sel("floors = 9"), vec![1]);
    assert_eq!(sel("floors == 9"), vec![1]);
    assert_eq!(sel("floors != 9"), vec![0, 2, 4]);
    assert_eq!(sel("floors <> 9"), vec![0, 2, 4]);
    assert_eq!(sel("floors < 9"), vec![2]);
    assert_eq!(sel("floors <= 9"), vec![1, 2]);
    assert_eq!(sel("floors > 12"), vec![0]);
    assert_eq!(sel("floors >= 12"), vec![0, 4]);
    // Literal on the left, negative and exponent numbers.
    assert_eq!(sel("100 < height"), vec![0]);
    assert_eq!(sel("height > -1e2 and height < 4.6e1"), vec![1, 2]);
    assert_eq!(sel("height not between 20 and 50"), vec![0]);
}

#[test]
fn numeric_strings_compare_as_numbers() {
    // code is a string field: '120' > 100 numerically, '9' < 10 (as a
    // string '9' > '10').
    assert_eq!(sel("code > 100"), vec![0, 1]); // 'A-7' > '100' as strings
    assert_eq!(sel("code < 10"), vec![2]);
    assert_eq!(sel("code = 50"), vec![4]);
    // A non-numeric string compares as a string; so do two strings that
    // are not both numbers.
    assert_eq!(sel("code = 'A-7'"), vec![1]);
    assert_eq!(sel("code > 'A'"), vec![1]);
    // Number field against a numeric string literal.
    assert_eq!(sel("floors = '38'"), vec![0]);
}

#[test]
fn dates_compare_as_dates() {
    assert_eq!(sel("\"建筑 年代\" < '2000-01-01'"), vec![1]);
    assert_eq!(sel("\"建筑 年代\" >= '2001/09/09'"), vec![0, 4]);
    assert_eq!(
        sel("\"建筑 年代\" between '2000-01-01' and '2010-12-31'"),
        vec![4]
    );
    // A date against something that is not a date never compares.
    assert_eq!(sel("\"建筑 年代\" > 5"), Vec::<usize>::new());
}

#[test]
fn like_patterns() {
    assert_eq!(sel("name like 'civic%'"), vec![1]); // case-insensitive
    assert_eq!(sel("name like '万_城'"), vec![2]); // _ is one character
    assert_eq!(sel("name like '万_'"), Vec::<usize>::new());
    assert_eq!(sel("name like '%''s%'"), vec![4]); // '' escapes a quote
    assert_eq!(sel("name not like '%花园%'"), vec![1, 2, 4]);
    assert_eq!(sel("floors like '3%'"), vec![0]); // numbers in display form
    assert_eq!(sel("name like '%'"), vec![0, 1, 2, 4]);
    assert_eq!(sel("name like '%c%e'"), vec![1]); // backtracking over %
    assert_eq!(sel("name like '%1栋'"), vec![0]);
    assert!(!like_match(&compile_like("%a%a%a%a%b"), &['a'; 60]));
    assert!(like_match(&compile_like("a_%_c"), &['a', 'x', 'y', 'c']));
    assert!(!like_match(&compile_like("a_%_c"), &['a', 'x', 'c']));
}

#[test]
fn three_valued_logic_truth_table() {
    // Row 3 is all null: every comparison is unknown, and so are their
    // negations; OR with a true side and AND with a false side decide.
    let f = Query::parse("height > 0")
        .unwrap()
        .compile(&schema())
        .unwrap();
    let null_row = layer().features[3].attributes.clone();
    assert_eq!(f.eval(&null_row), None);
    let t = |q: &str| {
        Query::parse(q)
            .unwrap()
            .compile(&schema())
            .unwrap()
            .eval(&null_row)
    };
    assert_eq!(t("not height > 0"), None);
    assert_eq!(t("height > 0 or 1 = 1"), Some(true));
    assert_eq!(t("height > 0 or 1 = 2"), None);
    assert_eq!(t("height > 0 and 1 = 2"), Some(false));
    assert_eq!(t("height > 0 and 1 = 1"), None);
    assert_eq!(t("use in ('住宅', null)"), None);
    assert_eq!(t("use is null and floors is null"), Some(true));
    // Known value, list containing null: found → true, else unknown.
    let row0 = layer().features[0].attributes.clone();
    let f = Query::parse("use in ('住宅', null)")
        .unwrap()
        .compile(&schema())
        .unwrap();
    assert_eq!(f.eval(&row0), Some(true));
    let f = Query::parse("use not in ('商业', null)")
        .unwrap()
        .compile(&schema())
        .unwrap();
    assert_eq!(f.eval(&row0), None);
    // Complete AND/OR tables over {true, false, unknown}.
    let lit = ["1 = 1", "1 = 2", "height > 0"];
    let val = [Some(true), Some(false), None];
    for (i, a) in lit.iter().enumerate() {
        for (j, b) in lit.iter().enumerate() {
            let (x, y) = (val[i], val[j]);
            let and = match (x, y) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            let or = match (x, y) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
            assert_eq!(t(&format!("{a} and {b}")), and, "{a} and {b}");
            assert_eq!(t(&format!("({a}) or ({b})")), or, "{a} or {b}");
        }
    }
}

#[test]
fn precedence_and_keywords() {
    // AND binds tighter than OR; NOT tighter than AND.
    assert_eq!(sel("floors = 5 or floors = 9 and use = '办公'"), vec![1, 2]);
    assert_eq!(sel("(floors = 5 or floors = 9) and use = '办公'"), vec![1]);
    assert_eq!(sel("NOT floors = 5 AND height < 100"), vec![1, 4]);
    assert_eq!(sel("HEIGHT > 100 And Use = '住宅'"), vec![0]); // case-insensitive
    assert_eq!(sel("heritage"), vec![1]);
    assert_eq!(sel("not heritage"), vec![0, 2]);
    assert_eq!(sel("heritage = true"), vec![1]);
    // Full-width punctuation from a Chinese IME.
    assert_eq!(sel("use in（'商业'，'办公'）and floors ＞ 5"), vec![1]);
}

#[test]
fn display_round_trips() {
    for q in [
        "height > 100 and use = '住宅'",
        "not (use in ('商业','办公', null)) or name like '%it''s%'",
        "\"建筑 年代\" not between '2000-01-01' and '2010-12-31'",
        "name is not null and heritage and height < -2.5",
    ] {
        let e = parse(q).unwrap();
        let again = parse(&e.to_string()).unwrap();
        assert_eq!(strip_pos(again), strip_pos(e.clone()), "{e}");
    }
    assert_eq!(
        parse("a>1 AND (b<2 or c like 'x')").unwrap().to_string(),
        "(a > 1 AND (b < 2 OR c LIKE 'x'))"
    );
}

fn strip_pos(e: Expr) -> String {
    format!("{e}")
}

#[test]
fn syntax_errors_carry_positions() {
    let err = |q: &str| parse(q).unwrap_err();
    assert_eq!(
        err("height >"),
        QueryError::Syntax {
            pos: 8,
            expected: "a field name or a value".into(),
            found: "end of query".into()
        }
    );
    assert_eq!(err("name = 'abc").position(), 7);
    assert!(matches!(
        err("name = 'abc"),
        QueryError::Unterminated { what: "string", .. }
    ));
    assert!(matches!(
        err("\"名称 = 1"),
        QueryError::Unterminated { pos: 0, .. }
    ));
    assert_eq!(
        err("height # 3"),
        QueryError::UnexpectedChar { pos: 7, ch: '#' }
    );
    // Positions count characters, not bytes.
    assert_eq!(err("名称 = 'x' 高度").position(), 9);
    assert_eq!(err("(a = 1").position(), 6);
    assert_eq!(err("a = 1)").position(), 5);
    assert_eq!(err("a in (1, b)").position(), 9);
    assert_eq!(err("a between 1 or 2").position(), 12);
    assert_eq!(err("a is 3").position(), 5);
    assert_eq!(err("a not = 3").position(), 6);
    assert_eq!(err("").position(), 0);
    assert!(matches!(
        err("a = 1.2.3"),
        QueryError::InvalidNumber { pos: 4, .. }
    ));
    assert!(matches!(err("a = 12abc"), QueryError::InvalidNumber { .. }));
}

#[test]
fn unknown_fields_suggest_close_names() {
    let f = schema();
    let e = Query::parse("hieght > 3").unwrap().compile(&f).unwrap_err();
    match &e {
        QueryError::UnknownField {
            pos,
            name,
            suggestions,
            ..
        } => {
            assert_eq!((*pos, name.as_str()), (0, "hieght"));
            assert_eq!(suggestions, &vec!["height".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "unknown field 'hieght' at position 0; did you mean 'height'?"
    );
    let e = Query::parse("floors > 1 and 年代 > '2000-01-01'")
        .unwrap()
        .compile(&f)
        .unwrap_err();
    assert_eq!(e.position(), 15);
    assert!(
        matches!(&e, QueryError::UnknownField { suggestions, .. } if suggestions == &vec!["建筑 年代".to_owned()])
    );
    let e = Query::parse("zzz = 1").unwrap().compile(&f).unwrap_err();
    assert!(e.to_string().contains("fields are 'name', 'height'"), "{e}");
    // A string field is not a condition by itself.
    let e = Query::parse("height > 1 and name")
        .unwrap()
        .compile(&f)
        .unwrap_err();
    assert_eq!(
        e,
        QueryError::NotBoolean {
            pos: 15,
            name: "name".into()
        }
    );
    // A bare number or string is not a condition either (a parse error).
    assert_eq!(parse("height > 1 and 5").unwrap_err().position(), 16);
    assert_eq!(parse("'x' or true").unwrap_err().position(), 4);
    assert!(parse("true or null").is_ok());
}
