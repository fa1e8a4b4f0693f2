//! Full-text search over feature names, for the viewer's search box.
//!
//! [`SearchIndex`] is built once per set of layers: every non-empty string
//! attribute of every feature is normalised (lower-cased, full-width
//! characters folded to ASCII, runs of whitespace collapsed) and appended to
//! one text buffer. A query is normalised the same way and split into terms
//! at whitespace; its longest term is found in the buffer with a single
//! SIMD substring scan (`memchr::memmem`), and each feature hit is then
//! checked for the other terms and ranked. Chinese needs no word segmentation: `深圳湾` is one term and
//! matches as a substring (`深圳湾公园`); Latin queries match when *every*
//! term occurs in one of the feature's string attributes (`park futian`).
//!
//! Ranking, best first:
//! 1. how the whole query matches the best attribute ([`MatchKind`]):
//!    exact (`万象城` = `万象城`) > prefix > substring > all terms in one
//!    attribute > terms scattered over attributes;
//! 2. name-like fields (`name`, `NAME`, `名称`, `名字`, `mc`, `title` …) before
//!    other fields at the same level;
//! 3. shorter matching text first (closer to the query; compared in bytes);
//! 4. layer order, then feature order.
//!
//! ```
//! use cim_core::model::attr::{AttrType, Field};
//! use cim_core::model::geometry::Geometry;
//! use cim_core::model::layer::{Feature, FeatureId, VectorData};
//! use cim_core::query::search::{MatchKind, SearchIndex};
//! let names = ["深圳湾公园", "深圳湾", "Shenzhen Bay Park"];
//! let data = VectorData {
//!     fields: vec![Field::new("名称", AttrType::String)],
//!     features: names.iter().enumerate().map(|(i, n)| Feature {
//!         id: FeatureId(i as u64),
//!         geometry: Geometry::Point(Default::default()),
//!         attributes: vec![(*n).into()],
//!     }).collect(),
//! };
//! let index = SearchIndex::from_vector(&data);
//! let hits = index.search("深圳湾", 10);
//! assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), [1, 0]);
//! assert_eq!(hits[0].kind, MatchKind::Exact);
//! assert_eq!(index.search("bay shenzhen", 10)[0].kind, MatchKind::AllTerms);
//! ```

use crate::model::attr::{AttrValue, Field};
use crate::model::layer::{FeatureId, Layer, VectorData};

/// How well a feature matched, best last (so `Ord` ranks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// Every term occurs, spread over several attributes.
    Scattered,
    /// Every term occurs in one attribute, but not as one phrase.
    AllTerms,
    /// The query occurs inside an attribute value.
    Substring,
    /// An attribute value starts with the query.
    Prefix,
    /// An attribute value equals the query (after normalisation).
    Exact,
}

/// One search result.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// Which layer: the position in the slice given to
    /// [`SearchIndex::from_layers`], or the `layer` passed to
    /// [`SearchIndex::add`].
    pub layer: usize,
    /// Position of the feature in its `VectorData::features`.
    pub index: usize,
    pub id: FeatureId,
    /// The schema position of the attribute that matched best.
    pub field: usize,
    pub kind: MatchKind,
    /// Whether `field` is a name-like field.
    pub name_field: bool,
}

/// One searchable attribute value: where its normalised text starts in the
/// buffer (it ends at the next separator), and whose it is.
#[derive(Clone, Debug)]
struct Entry {
    start: usize,
    feature: u32,
    field: u32,
    name_field: bool,
}

#[derive(Clone, Debug)]
struct FeatureRef {
    layer: usize,
    index: usize,
    id: FeatureId,
    /// Its entries are `entries[first..]` up to the next feature's `first`.
    first: usize,
}

/// Separates attribute values in the buffer; never part of normalised text.
const SEP: char = '\u{1}';

/// A prebuilt, normalised text index over string attributes.
#[derive(Clone, Debug, Default)]
pub struct SearchIndex {
    text: String,
    entries: Vec<Entry>,
    features: Vec<FeatureRef>,
}

/// Is a field name one of the usual names for a feature's name?
pub fn is_name_field(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    let n = n.trim_end_matches(['_', '1', '2']);
    matches!(
        n,
        "name"
            | "names"
            | "名称"
            | "名字"
            | "名"
            | "mc"
            | "jzmc"
            | "title"
            | "label"
            | "fname"
            | "name_zh"
            | "name_cn"
            | "name_en"
            | "zh_name"
            | "cn_name"
            | "en_name"
            | "建筑名称"
            | "道路名称"
            | "地名"
            | "标准名称"
            | "全称"
            | "简称"
    ) || n.ends_with("名称")
        || n.ends_with("_name")
        || n.starts_with("name_")
}

/// Normalises text for matching: Unicode lower case, full-width ASCII forms
/// and the ideographic space folded to ASCII, control characters dropped,
/// whitespace runs collapsed to one space, ends trimmed.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control() {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

impl SearchIndex {
    pub fn new() -> SearchIndex {
        SearchIndex::default()
    }

    /// An index over one layer's features (reported as layer 0).
    pub fn from_vector(data: &VectorData) -> SearchIndex {
        let mut s = SearchIndex::new();
        s.add(0, data);
        s
    }

    /// An index over several layers; raster layers are skipped. Hits report
    /// the layer's position in `layers`.
    pub fn from_layers(layers: &[Layer]) -> SearchIndex {
        let mut s = SearchIndex::new();
        for (i, l) in layers.iter().enumerate() {
            if let Some(v) = l.vector() {
                s.add(i, v);
            }
        }
        s
    }

    /// Adds the string attributes of `data`'s features, reported as `layer`.
    pub fn add(&mut self, layer: usize, data: &VectorData) {
        let name_fields: Vec<bool> = data
            .fields
            .iter()
            .map(|f: &Field| is_name_field(&f.name))
            .collect();
        for (index, f) in data.features.iter().enumerate() {
            let first = self.entries.len();
            for (field, v) in f.attributes.iter().enumerate() {
                let AttrValue::String(s) = v else { continue };
                let norm = normalize(s);
                if norm.is_empty() {
                    continue;
                }
                self.entries.push(Entry {
                    start: self.text.len(),
                    feature: self.features.len() as u32,
                    field: field as u32,
                    name_field: name_fields.get(field).copied().unwrap_or(false),
                });
                self.text.push_str(&norm);
                self.text.push(SEP);
            }
            if self.entries.len() > first {
                self.features.push(FeatureRef {
                    layer,
                    index,
                    id: f.id,
                    first,
                });
            }
        }
    }

    /// Number of indexed attribute values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn entry_text(&self, e: usize) -> &str {
        let start = self.entries[e].start;
        let end = self.entries.get(e + 1).map_or(self.text.len(), |n| n.start) - SEP.len_utf8();
        &self.text[start..end]
    }

    fn feature_entries(&self, fi: usize) -> std::ops::Range<usize> {
        let first = self.features[fi].first;
        let end = self
            .features
            .get(fi + 1)
            .map_or(self.entries.len(), |f| f.first);
        first..end
    }

    /// The best `limit` features matching `query`, best first (see the
    /// module docs for matching and ranking). An empty query finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = normalize(query);
        if q.is_empty() || limit == 0 || self.entries.is_empty() {
            return Vec::new();
        }
        let mut terms: Vec<&str> = q.split(' ').collect();
        // Scan for the longest term (the rarest, as a rule).
        terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
        terms.dedup();
        let (driver, others) = terms.split_first().expect("non-empty");
        // For several terms: the features holding each other term, found
        // with one scan per term, so only features holding all get ranked.
        let other_sets: Vec<Vec<u64>> = others.iter().map(|t| self.feature_set(t)).collect();
        let holds_others = |fi: usize| {
            other_sets
                .iter()
                .all(|set| set[fi / 64] & (1 << (fi % 64)) != 0)
        };

        let mut found: Vec<(RankKey, SearchHit)> = Vec::new();
        // Single term: the best match of the feature being scanned.
        let mut current: Option<(usize, Best)> = None;
        let mut last_feature = usize::MAX;
        let mut entry = 0usize;
        let finder = memchr::memmem::Finder::new(driver.as_bytes());
        for pos in finder.find_iter(self.text.as_bytes()) {
            entry = self.entry_at(entry, pos);
            let fi = self.entries[entry].feature as usize;
            if others.is_empty() {
                // Rank from the match position alone: the first match in an
                // attribute is the leftmost, so a prefix is never missed.
                let ent = &self.entries[entry];
                let len = self.entry_end(entry) - ent.start;
                let kind = match (pos == ent.start, len == q.len()) {
                    (true, true) => MatchKind::Exact,
                    (true, false) => MatchKind::Prefix,
                    _ => MatchKind::Substring,
                };
                let cand = Best {
                    kind,
                    name_field: ent.name_field,
                    len,
                    field: ent.field as usize,
                };
                match &mut current {
                    Some((f, best)) if *f == fi => {
                        if cand.better_than(best) {
                            *best = cand;
                        }
                    }
                    _ => {
                        if let Some((f, best)) = current.replace((fi, cand)) {
                            found.push(self.hit(f, best));
                        }
                    }
                }
            } else if fi != last_feature {
                last_feature = fi;
                if holds_others(fi)
                    && let Some(best) = self.rank(fi, &q, &terms)
                {
                    found.push(self.hit(fi, best));
                }
            }
        }
        if let Some((f, best)) = current {
            found.push(self.hit(f, best));
        }
        let cmp = |a: &(RankKey, SearchHit), b: &(RankKey, SearchHit)| a.0.cmp(&b.0);
        if found.len() > limit {
            found.select_nth_unstable_by(limit - 1, cmp);
            found.truncate(limit);
        }
        found.sort_unstable_by(cmp);
        found.into_iter().map(|(_, h)| h).collect()
    }

    /// End (byte offset of the separator) of entry `e`'s text.
    fn entry_end(&self, e: usize) -> usize {
        self.entries.get(e + 1).map_or(self.text.len(), |n| n.start) - SEP.len_utf8()
    }

    /// The entry holding byte `pos`, searching from entry `from` on (scans
    /// move forward through the buffer). Galloping search: `O(log d)` for a
    /// match `d` entries further on, with the memory accesses near `from`.
    fn entry_at(&self, from: usize, pos: usize) -> usize {
        let starts_before = |e: usize| self.entries.get(e).is_some_and(|n| n.start <= pos);
        let (mut lo, mut step) = (from, 1);
        while starts_before(lo + step) {
            lo += step;
            step *= 2;
        }
        // entries[lo] starts at or before pos, entries[lo + step] after it.
        let hi = (lo + step).min(self.entries.len());
        lo + self.entries[lo..hi].partition_point(|n| n.start <= pos) - 1
    }

    /// A bit set over features: those with `term` in some attribute.
    fn feature_set(&self, term: &str) -> Vec<u64> {
        let mut set = vec![0u64; self.features.len().div_ceil(64)];
        let mut entry = 0usize;
        for pos in memchr::memmem::find_iter(self.text.as_bytes(), term.as_bytes()) {
            entry = self.entry_at(entry, pos);
            let fi = self.entries[entry].feature as usize;
            set[fi / 64] |= 1 << (fi % 64);
        }
        set
    }

    fn hit(&self, fi: usize, best: Best) -> (RankKey, SearchHit) {
        let f = &self.features[fi];
        (
            (
                std::cmp::Reverse((best.kind, best.name_field)),
                best.len,
                f.layer,
                f.index,
            ),
            SearchHit {
                layer: f.layer,
                index: f.index,
                id: f.id,
                field: best.field,
                kind: best.kind,
                name_field: best.name_field,
            },
        )
    }

    /// Ranks feature `fi` against the normalised query `q` (split into
    /// `terms`); `None` when some term is missing from all its attributes.
    fn rank(&self, fi: usize, q: &str, terms: &[&str]) -> Option<Best> {
        let range = self.feature_entries(fi);
        if !terms
            .iter()
            .all(|t| range.clone().any(|e| self.entry_text(e).contains(t)))
        {
            return None;
        }
        let mut best: Option<Best> = None;
        for e in range {
            let text = self.entry_text(e);
            let kind = if text == q {
                MatchKind::Exact
            } else if text.starts_with(q) {
                MatchKind::Prefix
            } else if text.contains(q) {
                MatchKind::Substring
            } else if terms.iter().all(|t| text.contains(t)) {
                MatchKind::AllTerms
            } else if terms.iter().any(|t| text.contains(t)) {
                MatchKind::Scattered
            } else {
                continue;
            };
            let ent = &self.entries[e];
            let cand = Best {
                kind,
                name_field: ent.name_field,
                len: text.len(),
                field: ent.field as usize,
            };
            if best.as_ref().is_none_or(|b| cand.better_than(b)) {
                best = Some(cand);
            }
        }
        best
    }
}

/// Sort key of a hit, ascending = best first: match kind and name field
/// (descending), matched text length, layer, feature.
type RankKey = (std::cmp::Reverse<(MatchKind, bool)>, usize, usize, usize);

/// The best-matching attribute of a feature so far.
#[derive(Clone, Copy, Debug)]
struct Best {
    kind: MatchKind,
    name_field: bool,
    /// Length of the attribute's normalised text in bytes.
    len: usize,
    field: usize,
}

impl Best {
    fn better_than(&self, o: &Best) -> bool {
        (self.kind, self.name_field, std::cmp::Reverse(self.len))
            > (o.kind, o.name_field, std::cmp::Reverse(o.len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attr::AttrType;
    use crate::model::geometry::Geometry;
    use crate::model::layer::{Feature, LayerContent, LayerKind};
    use glam::DVec3;

    fn vd(fields: &[&str], rows: &[&[&str]]) -> VectorData {
        VectorData {
            fields: fields
                .iter()
                .map(|f| Field::new(*f, AttrType::String))
                .collect(),
            features: rows
                .iter()
                .enumerate()
                .map(|(i, r)| Feature {
                    id: FeatureId(1000 + i as u64),
                    geometry: Geometry::Point(DVec3::ZERO),
                    attributes: r
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                AttrValue::Null
                            } else {
                                (*s).into()
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn order(idx: &SearchIndex, q: &str) -> Vec<usize> {
        idx.search(q, 100).iter().map(|h| h.index).collect()
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize("  Ｃｉｖｉｃ\u{3000}CENTRE \t 中心 "),
            "civic centre 中心"
        );
        assert_eq!(normalize("ÉCOLE"), "école");
        assert_eq!(normalize(" \n "), "");
        assert!(is_name_field("NAME"));
        assert!(is_name_field("名称"));
        assert!(is_name_field("建筑名称"));
        assert!(is_name_field("road_name"));
        assert!(is_name_field("Name_1"));
        assert!(!is_name_field("address"));
        assert!(!is_name_field("use"));
    }

    #[test]
    fn chinese_substrings_without_segmentation() {
        let d = vd(
            &["名称", "地址"],
            &[
                &["深圳湾公园", "南山区滨海大道"],
                &["深圳湾", "南山区"],
                &["莲花山公园", "福田区红荔路"],
                &["湾区之光", "深圳湾畔"],
                &["", "深圳市"],
            ],
        );
        let idx = SearchIndex::from_vector(&d);
        assert_eq!(idx.len(), 9);
        // Exact name > prefix of a name > substring in another field.
        assert_eq!(order(&idx, "深圳湾"), vec![1, 0, 3]);
        assert_eq!(order(&idx, "公园"), vec![0, 2]);
        // Among prefixes: name fields first, then shorter text.
        assert_eq!(order(&idx, "深圳"), vec![1, 0, 4, 3]);
        let hits = idx.search("深圳湾", 10);
        assert_eq!(hits[0].kind, MatchKind::Exact);
        assert_eq!(hits[1].kind, MatchKind::Prefix);
        assert_eq!(
            (hits[2].kind, hits[2].field, hits[2].name_field),
            (MatchKind::Prefix, 1, false)
        );
        assert_eq!(idx.search("公园", 10)[0].kind, MatchKind::Substring);
        // "湾": the name starting with it first, then names containing it.
        assert_eq!(order(&idx, "湾"), vec![3, 1, 0]);
        assert_eq!(hits[0].id, FeatureId(1001));
        assert!(idx.search("北京", 10).is_empty());
        assert!(idx.search("   ", 10).is_empty());
    }

    #[test]
    fn latin_terms_all_must_match_case_insensitively() {
        let d = vd(
            &["name", "district", "note"],
            &[
                &["Central Park", "Futian", ""],
                &["Park Central Tower", "Nanshan", ""],
                &["Lianhua Park", "Futian", "near CENTRAL library"],
                &["central", "Luohu", ""],
                &["Centralia", "Futian", ""],
            ],
        );
        let idx = SearchIndex::from_vector(&d);
        // Both terms, anywhere in the feature's attributes.
        assert_eq!(order(&idx, "park futian"), vec![0, 2]);
        assert_eq!(order(&idx, "PARK   central"), vec![1, 0, 2]);
        let hits = idx.search("central park", 10);
        assert_eq!(
            hits.iter().map(|h| (h.index, h.kind)).collect::<Vec<_>>(),
            vec![
                (0, MatchKind::Exact),
                (1, MatchKind::AllTerms),
                (2, MatchKind::Scattered)
            ]
        );
        // Exact > prefix (shorter first) > substring.
        assert_eq!(order(&idx, "central"), vec![3, 4, 0, 1, 2]);
        // The name field outranks others at the same level: feature 2
        // matches "central" as a substring of its note only.
        assert_eq!(idx.search("central", 10)[4].field, 2);
        // Limit keeps the best ones.
        assert_eq!(
            idx.search("central", 2)
                .iter()
                .map(|h| h.index)
                .collect::<Vec<_>>(),
            vec![3, 4]
        );
        // Full-width input from an IME.
        assert_eq!(order(&idx, "ＬＩＡＮＨＵＡ"), vec![2]);
    }

    #[test]
    fn several_layers_and_name_priority() {
        let roads = vd(&["道路名称"], &[&["滨海大道"], &["深南大道"]]);
        let pois = vd(
            &["type", "mc"],
            &[&["滨海大道", "加油站"], &["餐厅", "滨海大道"]],
        );
        let layer = |name: &str, v: VectorData| Layer {
            name: name.into(),
            format: "test".into(),
            crs: None,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(v),
        };
        let layers = vec![
            layer("pois", pois),
            Layer {
                content: LayerContent::Raster(crate::model::grid::Grid::new(
                    1, 1, 0.0, 1.0, 1.0, 1.0,
                )),
                ..layer("dem", VectorData::default())
            },
            layer("roads", roads),
        ];
        let idx = SearchIndex::from_layers(&layers);
        let hits = idx.search("滨海大道", 10);
        let got: Vec<(usize, usize, bool)> = hits
            .iter()
            .map(|h| (h.layer, h.index, h.name_field))
            .collect();
        // Exact name-field matches first (layer order), then the exact
        // match in the non-name field `type`.
        assert_eq!(got, vec![(0, 1, true), (2, 0, true), (0, 0, false)]);
        assert!(hits.iter().all(|h| h.kind == MatchKind::Exact));
    }

    #[test]
    fn fast_single_term_ranking_agrees_with_full_ranking() {
        let names = [
            "园",
            "花园",
            "花园路",
            "a 花园",
            "花",
            "园花园",
            "abc",
            "ab",
            "b",
        ];
        let mut rows: Vec<Vec<&str>> = Vec::new();
        for i in 0..200usize {
            rows.push(vec![
                names[i % 9],
                names[(i * 7 + 3) % 9],
                names[(i * 5 + 1) % 9],
            ]);
        }
        let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        let idx = SearchIndex::from_vector(&vd(&["name", "alt", "note"], &rows));
        for q in ["园", "花园", "花", "ab", "b", "a", "路"] {
            let fast = idx.search(q, 1000);
            let mut slow: Vec<(RankKey, SearchHit)> = (0..idx.features.len())
                .filter_map(|fi| idx.rank(fi, q, &[q]).map(|b| idx.hit(fi, b)))
                .collect();
            slow.sort_by_key(|(k, _)| *k);
            let slow: Vec<SearchHit> = slow.into_iter().map(|(_, h)| h).collect();
            assert!(!fast.is_empty(), "{q}");
            assert_eq!(fast, slow, "{q}");
        }
    }

    #[test]
    fn many_hits_in_one_feature_count_once() {
        let d = vd(&["name", "alias"], &[&["aaa aaa", "aaaa"], &["b", "a"]]);
        let idx = SearchIndex::from_vector(&d);
        assert_eq!(order(&idx, "a"), vec![1, 0]);
        assert_eq!(order(&idx, "aa aaa"), vec![0]);
    }
}
