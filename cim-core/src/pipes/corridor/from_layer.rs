//! Utility lines from a GIS line layer, read by the field names pipe
//! surveys use (CJJ 61-2017 practice, in Chinese, pinyin initials or
//! English):
//!
//! | meaning | fields (first found, case-insensitive) |
//! |---|---|
//! | ID | `id`, `编号`, `管线编号`, `管段编号`, `gxbh` |
//! | class | `utility`, `type`, `class`, `category`, `管线类别`, `管线类型`, `类别`, `管类`, `gxlb` |
//! | size (mm) | `diameter_mm`, `diameter`, `dn`, `size`, `管径`, `规格`, `断面尺寸`, `gj` |
//! | laying | `laying`, `埋设方式`, `敷设方式`, `msfs` |
//! | gas pressure | `pressure`, `压力`, `压力级制`, `压力等级`, `yl` |
//! | road position | `location`, `位置`, `道路位置` |
//! | line elevation at start/end | `start_z`/`end_z`, `起点高程`/`终点高程`, `qdgc`/`zdgc` |
//! | depth at start/end | `start_depth`/`end_depth`, `起点埋深`/`终点埋深`, `qdms`/`zdms` |
//! | ground at start/end | `start_ground`/`end_ground`, `起点地面高程`/`终点地面高程`, `qddmgc`/`zddmgc` |
//!
//! Elevations and depths are to the point surveys measure (CJJ 61): the
//! inside bottom (invert) of drainage pipes, the top of everything else —
//! unless `LineOptions::z_ref` says otherwise. Geometry Z, when not all
//! zero, is an elevation at each vertex; start/end attributes are spread
//! along the line by length. A depth needs the ground (attributes or a DEM).

use super::ground::Ground;
use super::utility::{GasPressure, Laying, Location, Section, Utility, UtilityLine};
use crate::model::attr::AttrValue;
use crate::model::geometry::Geometry;
use crate::model::layer::VectorData;
use glam::{DVec2, DVec3};

/// Larger coordinates (metres) are not a place.
const MAX_COORD: f64 = 1e9;

/// Which point of the line a surveyed height is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZRef {
    Centre,
    Top,
    Invert,
}

impl ZRef {
    /// CJJ 61's: drainage at the invert, the rest at the top.
    pub fn surveyed(utility: Utility) -> ZRef {
        if utility == Utility::Drainage {
            ZRef::Invert
        } else {
            ZRef::Top
        }
    }

    /// From a surveyed height to the centre line, for half-height `h`.
    fn to_centre(self, z: f64, h: f64) -> f64 {
        match self {
            ZRef::Centre => z,
            ZRef::Top => z - h,
            ZRef::Invert => z + h,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct LineOptions {
    /// The class of features without one (e.g. a layer of sewers only).
    pub utility: Option<Utility>,
    /// Override the surveyed height's reference point.
    pub z_ref: Option<ZRef>,
    /// Depth of the surveyed point below ground where the data gives none.
    pub depth_m: Option<f64>,
}

/// Which field was read for each meaning (for the report).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldsUsed {
    pub id: Option<String>,
    pub class: Option<String>,
    pub size: Option<String>,
    pub laying: Option<String>,
    pub pressure: Option<String>,
    pub location: Option<String>,
    pub elevation: Option<(String, String)>,
    pub depth: Option<(String, String)>,
    pub ground: Option<(String, String)>,
    pub geometry_z: bool,
}

/// The lines of a layer, and what was left out and why.
#[derive(Clone, Debug, Default)]
pub struct LayerLines {
    pub lines: Vec<UtilityLine>,
    /// The feature each line came from.
    pub feature: Vec<usize>,
    pub fields: FieldsUsed,
    /// (feature index, reason).
    pub skipped: Vec<(usize, String)>,
}

fn find(v: &VectorData, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| {
        v.fields
            .iter()
            .position(|f| f.name.trim().eq_ignore_ascii_case(n))
    })
}

fn pair(v: &VectorData, a: &[&str], b: &[&str]) -> Option<(usize, usize)> {
    Some((find(v, a)?, find(v, b)?))
}

fn text(a: &AttrValue) -> Option<String> {
    match a {
        AttrValue::Null => None,
        AttrValue::String(s) if s.trim().is_empty() => None,
        AttrValue::String(s) => Some(s.trim().to_string()),
        AttrValue::Int(i) => Some(i.to_string()),
        AttrValue::Float(f) => Some(f.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Values `a` at the start and `b` at the end of a polyline, spread over
/// its vertices by length.
fn spread(plan: &[DVec2], a: f64, b: f64) -> Vec<f64> {
    let total: f64 = plan.windows(2).map(|w| w[0].distance(w[1])).sum();
    let mut run = 0.0;
    let mut out = vec![a];
    for w in plan.windows(2) {
        run += w[0].distance(w[1]);
        out.push(if total > 0.0 {
            a + (b - a) * run / total
        } else {
            a
        });
    }
    out
}

/// The field naming each feature (`id`, `编号`, `管线编号`, `gxbh`, `fid`),
/// if `v` has one (case-insensitive).
pub fn id_field(v: &VectorData) -> Option<usize> {
    find(v, &["id", "编号", "管线编号", "管段编号", "gxbh", "fid"])
}

/// What feature `i` is called: its value in `field` (an [`id_field`]),
/// else its index.
pub fn feature_id(v: &VectorData, field: Option<usize>, i: usize) -> String {
    field
        .and_then(|k| v.features.get(i)?.attributes.get(k))
        .and_then(text)
        .unwrap_or_else(|| i.to_string())
}

/// The class field surveys name (`管线类别`, `utility`, …), if `v` has one.
pub fn class_field(v: &VectorData) -> Option<usize> {
    find(v, CLASS_FIELDS)
}

const CLASS_FIELDS: &[&str] = &[
    "utility",
    "type",
    "class",
    "category",
    "管线类别",
    "管线类型",
    "类别",
    "管类",
    "gxlb",
];

/// Colours by class as CJJ 61 draws pipelines (给水 sky blue, 排水 brown,
/// 燃气 magenta, 热力 orange, 电力 red, 通信 green): a categorized theme on
/// the layer's class field, every value that names a utility given its
/// colour. `None` without a class field or a value that names one.
///
/// ```
/// use cim_core::model::attr::{AttrType, AttrValue, Field};
/// use cim_core::model::layer::{Feature, FeatureId, VectorData};
/// use cim_core::model::geometry::Geometry;
/// use cim_core::pipes::corridor::from_layer::utility_theme;
/// let v = VectorData {
///     fields: vec![Field::new("管线类别", AttrType::String)],
///     features: vec![Feature { id: FeatureId(0), geometry: Geometry::Point(Default::default()),
///                              attributes: vec![AttrValue::String("燃气".into())] }],
/// };
/// let t = utility_theme(&v).unwrap();
/// assert_eq!(t.colors["燃气"], "#ff00ff");
/// ```
pub fn utility_theme(v: &VectorData) -> Option<crate::style::thematic::ThemeSpec> {
    let fi = class_field(v)?;
    let mut spec = crate::style::thematic::ThemeSpec::categorized(v.fields[fi].name.clone());
    for f in &v.features {
        let Some(value) = f.attributes.get(fi).and_then(text) else {
            continue;
        };
        if spec.colors.contains_key(&value) {
            continue;
        }
        if let Some(u) = Utility::parse(&value) {
            let [r, g, b] = u.color();
            spec.colors.insert(value, format!("#{r:02x}{g:02x}{b:02x}"));
        }
    }
    (!spec.colors.is_empty()).then_some(spec)
}

/// Reads the line features of `v` (planar metres) as utility lines; a DEM,
/// when given, is the ground under depths.
pub fn lines_from_layer(
    v: &VectorData,
    opts: &LineOptions,
    dem: Option<&dyn Ground>,
) -> LayerLines {
    let id_f = id_field(v);
    let class_f = class_field(v);
    let size_f = find(
        v,
        &[
            "diameter_mm",
            "diameter",
            "dn",
            "diam",
            "size",
            "管径",
            "规格",
            "断面尺寸",
            "gj",
        ],
    );
    let laying_f = find(v, &["laying", "埋设方式", "敷设方式", "msfs"]);
    let pressure_f = find(v, &["pressure", "压力", "压力级制", "压力等级", "yl"]);
    let location_f = find(v, &["location", "位置", "道路位置"]);
    let elev_f = pair(
        v,
        &["start_z", "起点高程", "qdgc"],
        &["end_z", "终点高程", "zdgc"],
    );
    let depth_f = pair(
        v,
        &["start_depth", "起点埋深", "qdms"],
        &["end_depth", "终点埋深", "zdms"],
    );
    let ground_f = pair(
        v,
        &["start_ground", "起点地面高程", "qddmgc"],
        &["end_ground", "终点地面高程", "zddmgc"],
    );
    let name = |i: Option<usize>| i.map(|i| v.fields[i].name.clone());
    let names = |p: Option<(usize, usize)>| {
        p.map(|(a, b)| (v.fields[a].name.clone(), v.fields[b].name.clone()))
    };
    let mut out = LayerLines {
        fields: FieldsUsed {
            id: name(id_f),
            class: name(class_f),
            size: name(size_f),
            laying: name(laying_f),
            pressure: name(pressure_f),
            location: name(location_f),
            elevation: names(elev_f),
            depth: names(depth_f),
            ground: names(ground_f),
            geometry_z: false,
        },
        ..LayerLines::default()
    };
    let geometry_z = v.features.iter().any(|f| match &f.geometry {
        Geometry::LineString(l) => l.iter().any(|p| p.z != 0.0),
        Geometry::MultiLineString(ls) => ls.iter().flatten().any(|p| p.z != 0.0),
        _ => false,
    });
    out.fields.geometry_z = geometry_z;

    for (fi, f) in v.features.iter().enumerate() {
        let parts: Vec<&Vec<DVec3>> = match &f.geometry {
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(ls) => ls.iter().collect(),
            _ => continue,
        };
        let attr = |i: Option<usize>| i.and_then(|i| f.attributes.get(i)).and_then(text);
        // Heights and depths beyond ±100 km are not survey values.
        let num = |i: usize| {
            f.attributes
                .get(i)
                .and_then(AttrValue::as_f64)
                .filter(|x| x.abs() < 1e5)
        };
        let class_text = attr(class_f);
        let utility = match (&class_text, opts.utility) {
            (Some(t), default) => match Utility::parse(t) {
                Some(u) => u,
                None => match default {
                    Some(u) => u,
                    None => {
                        out.skipped.push((
                            fi,
                            format!("class `{}` is not a utility", crate::message::clip(t, 40)),
                        ));
                        continue;
                    }
                },
            },
            (None, Some(u)) => u,
            (None, None) => {
                out.skipped
                    .push((fi, "no class (give the layer's utility)".into()));
                continue;
            }
        };
        let section = attr(size_f).and_then(|s| Section::parse_mm(&s));
        let half_h = section.map_or(0.0, |s| s.half_height());
        let z_ref = opts.z_ref.unwrap_or(ZRef::surveyed(utility));
        let base_id = feature_id(v, id_f, fi);
        for (k, part) in parts.iter().enumerate() {
            // Coordinates no city has (or NaN) would poison every distance.
            if part
                .iter()
                .any(|p| !p.is_finite() || p.abs().max_element() >= MAX_COORD)
            {
                out.skipped
                    .push((fi, "coordinates not finite or beyond 10⁹ m".into()));
                continue;
            }
            let mut pts: Vec<DVec3> = part.to_vec();
            pts.dedup_by(|a, b| a.truncate() == b.truncate());
            if pts.len() < 2 {
                out.skipped
                    .push((fi, "fewer than two distinct points".into()));
                continue;
            }
            let plan: Vec<DVec2> = pts.iter().map(|p| p.truncate()).collect();
            let ground = ground_f
                .and_then(|(a, b)| Some(spread(&plan, num(a)?, num(b)?)))
                .or_else(|| {
                    let dem = dem?;
                    plan.iter()
                        .map(|p| dem.height(*p))
                        .collect::<Option<Vec<f64>>>()
                });
            let surveyed = if geometry_z {
                Some(pts.iter().map(|p| p.z).collect())
            } else if let Some((a, b)) = elev_f
                && let (Some(za), Some(zb)) = (num(a), num(b))
            {
                Some(spread(&plan, za, zb))
            } else {
                let depth = match depth_f {
                    Some((a, b)) => num(a).zip(num(b)).map(|(a, b)| spread(&plan, a, b)),
                    None => opts.depth_m.map(|d| vec![d; plan.len()]),
                };
                depth
                    .zip(ground.as_ref())
                    .map(|(d, g)| g.iter().zip(&d).map(|(g, d)| g - d).collect::<Vec<f64>>())
            };
            let z = surveyed
                .map(|s: Vec<f64>| s.into_iter().map(|z| z_ref.to_centre(z, half_h)).collect());
            out.lines.push(UtilityLine {
                id: if parts.len() > 1 {
                    format!("{base_id}/{k}")
                } else {
                    base_id.clone()
                },
                utility,
                pressure: (utility == Utility::Gas)
                    .then(|| attr(pressure_f).and_then(|p| GasPressure::parse(&p)))
                    .flatten(),
                laying: attr(laying_f)
                    .and_then(|l| Laying::parse(&l))
                    .unwrap_or(Laying::Direct),
                section,
                plan,
                z,
                ground,
                location: attr(location_f).and_then(|l| Location::parse(&l)),
            });
            out.feature.push(fi);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attr::{AttrType, Field};
    use crate::model::layer::Feature;

    fn layer(rows: &[(&str, &str, f64, f64, f64, f64)]) -> VectorData {
        let fields = [
            "编号",
            "管线类别",
            "管径",
            "起点埋深",
            "终点埋深",
            "起点地面高程",
            "终点地面高程",
        ]
        .iter()
        .map(|n| Field::new(*n, AttrType::String))
        .collect();
        VectorData {
            fields,
            features: rows
                .iter()
                .enumerate()
                .map(|(i, &(id, class, d0, d1, g0, g1))| Feature {
                    id: crate::model::layer::FeatureId(i as u64),
                    geometry: Geometry::LineString(vec![
                        DVec3::new(0.0, i as f64, 0.0),
                        DVec3::new(10.0, i as f64, 0.0),
                        DVec3::new(30.0, i as f64, 0.0),
                    ]),
                    attributes: vec![
                        AttrValue::String(id.into()),
                        AttrValue::String(class.into()),
                        AttrValue::String("DN400".into()),
                        AttrValue::Float(d0),
                        AttrValue::Float(d1),
                        AttrValue::Float(g0),
                        AttrValue::Float(g1),
                    ],
                })
                .collect(),
        }
    }

    #[test]
    fn survey_fields_give_class_size_and_centre_heights() {
        let v = layer(&[
            ("WS1", "污水", 2.0, 3.0, 10.0, 10.0),
            ("JS1", "给水", 1.0, 1.0, 10.0, 12.0),
            ("X", "道路", 1.0, 1.0, 0.0, 0.0),
        ]);
        let got = lines_from_layer(&v, &LineOptions::default(), None);
        assert_eq!(got.lines.len(), 2);
        assert_eq!(got.skipped.len(), 1, "a road is no utility line");
        let s = &got.lines[0];
        assert_eq!((s.id.as_str(), s.utility), ("WS1", Utility::Drainage));
        // Invert 8.0 → 7.0 along 30 m; centre 0.2 m above it.
        let z = s.z.as_ref().unwrap();
        assert!(
            (z[0] - 8.2).abs() < 1e-9
                && (z[1] - (8.0 - 1.0 / 3.0 + 0.2)).abs() < 1e-9
                && (z[2] - 7.2).abs() < 1e-9,
            "{z:?}"
        );
        // Water: the top is surveyed, centre 0.2 m below.
        let w = &got.lines[1];
        assert!((w.z.as_ref().unwrap()[2] - (12.0 - 1.0 - 0.2)).abs() < 1e-9);
        assert_eq!(
            got.fields.depth,
            Some(("起点埋深".into(), "终点埋深".into()))
        );
    }

    #[test]
    fn impossible_coordinates_and_values_are_left_out() {
        let mut v = layer(&[
            ("A", "给水", f64::NAN, 1.0, 10.0, 10.0),
            ("B", "给水", 1.0, 1.0, 10.0, 10.0),
        ]);
        if let Geometry::LineString(l) = &mut v.features[1].geometry {
            l[1].x = f64::INFINITY;
        }
        let got = lines_from_layer(&v, &LineOptions::default(), None);
        assert_eq!(got.lines.len(), 1);
        assert_eq!(
            got.skipped,
            [(1, "coordinates not finite or beyond 10⁹ m".to_string())]
        );
        assert!(got.lines[0].z.is_none(), "a NaN depth is no depth");
    }
}
