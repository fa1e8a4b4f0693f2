//! Features that appear over time: each feature of a layer shown from the
//! instant in its `time_field` on (a building from its construction year,
//! a pipe from its laying date), the "cumulative" temporal mode of GIS
//! (QGIS's temporal controller, ArcGIS time-aware layers).
//!
//! The appearances are a [`TimeSeries`] of events, one per dated feature
//! in time order, so the features shown at `t` are the first
//! `count_until(t)` events and moving the clock touches only the features
//! whose instant it crossed (`O(log n + changed)`, not `O(n)`).

use crate::model::layer::VectorData;
use crate::time::instant::instant_of;
use crate::time::series::TimeSeries;
use crate::time::{TimeVarying, UnixSeconds};
use std::ops::Range;

/// When each feature of a layer appears.
#[derive(Clone, Debug, PartialEq)]
pub struct Appearances {
    /// Dated features (indices), by the instant they appear.
    events: TimeSeries<u32>,
    /// Features whose field holds no instant (drawn at all times).
    pub undated: usize,
}

impl Appearances {
    /// Reads `field` of every feature (local times `utc_offset_hours` east
    /// of UTC). Fails when the layer has no such field.
    ///
    /// ```
    /// use cim_core::style::appearance::Appearances;
    /// use cim_core::{AttrType, AttrValue, DVec3, Feature, FeatureId, Field, Geometry, VectorData};
    /// let built = |year| Feature {
    ///     id: FeatureId(0),
    ///     geometry: Geometry::Point(DVec3::ZERO),
    ///     attributes: vec![AttrValue::Int(year)],
    /// };
    /// let v = VectorData {
    ///     fields: vec![Field::new("year", AttrType::Int)],
    ///     features: vec![built(2010), built(1995), built(2003)],
    /// };
    /// let a = Appearances::new(&v, "year", 0.0).unwrap();
    /// let in_2005 = cim_core::time::unix_from_civil(2005, 1, 1);
    /// assert_eq!(a.shown(a.count_until(in_2005)), &[1, 2]); // built by 2005
    /// ```
    pub fn new(v: &VectorData, field: &str, utc_offset_hours: f64) -> Result<Appearances, String> {
        let col = v
            .fields
            .iter()
            .position(|f| f.name == field)
            .ok_or_else(|| format!("time_field: no field named `{field}`"))?;
        let mut undated = 0;
        let events = v.features.iter().enumerate().filter_map(|(i, f)| {
            let t = f
                .attributes
                .get(col)
                .and_then(|a| instant_of(a, utc_offset_hours));
            undated += usize::from(t.is_none());
            Some((t?, i as u32))
        });
        let events = TimeSeries::new(events.collect::<Vec<_>>()).map_err(|e| e.to_string())?;
        Ok(Appearances { events, undated })
    }

    /// Dated features.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many dated features have appeared by `t`.
    pub fn count_until(&self, t: UnixSeconds) -> usize {
        self.events.count_until(t)
    }

    /// The first `count` dated features to appear.
    pub fn shown(&self, count: usize) -> &[u32] {
        &self.events.values()[..count.min(self.len())]
    }

    /// The features that appear or disappear when the count of those shown
    /// goes from `from` to `to`, and whether they appear.
    pub fn change(&self, from: usize, to: usize) -> (&[u32], bool) {
        let Range { start, end } = from.min(to)..from.max(to).min(self.len());
        (&self.events.values()[start.min(end)..end], to > from)
    }
}

impl TimeVarying for Appearances {
    fn time_span(&self) -> Option<(UnixSeconds, UnixSeconds)> {
        self.events.time_span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttrType, AttrValue, DVec3, Feature, FeatureId, Field, Geometry};

    #[test]
    fn moving_the_clock_touches_only_the_features_it_crosses() {
        let f = |v: AttrValue| Feature {
            id: FeatureId(0),
            geometry: Geometry::Point(DVec3::ZERO),
            attributes: vec![v],
        };
        let v = VectorData {
            fields: vec![Field::new("built", AttrType::String)],
            features: vec![
                f(AttrValue::String("2001-05-01".into())),
                f(AttrValue::Null),
                f(AttrValue::String("1999-12-31T23:00+08:00".into())),
                f(AttrValue::String("not a date".into())),
                f(AttrValue::String("2020".into())),
            ],
        };
        let a = Appearances::new(&v, "built", 8.0).unwrap();
        assert_eq!((a.len(), a.undated), (3, 2));
        let y2000 = crate::time::unix_from_civil(2000, 1, 1) - 8.0 * 3600.0;
        assert_eq!(a.count_until(y2000 - 1.0), 1, "the 1999 one");
        let (n0, n1) = (
            a.count_until(y2000),
            a.count_until(y2000 + 30.0 * 365.0 * 86_400.0),
        );
        assert_eq!(a.change(n0, n1), (&[0u32, 4][..], true));
        assert_eq!(a.change(n1, n0), (&[0u32, 4][..], false));
        assert_eq!(a.change(n1, n1).0, &[] as &[u32]);
        let e = Appearances::new(&v, "year", 8.0).unwrap_err();
        assert!(e.contains("`year`"), "{e}");
        let (start, end) = a.time_span().unwrap();
        assert!(start < y2000 && end > y2000);
    }
}
