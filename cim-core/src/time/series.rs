//! Values that change over scene time: samples at instants, looked up at
//! any instant by binary search (O(log n)), held (step) or interpolated
//! (linear) between samples. Simulation results (a pressure per time step),
//! sensor readings and events (features appearing at their date) are all
//! time series; the scene clock says which instant to show.

use super::{TimeVarying, UnixSeconds};

/// Why samples do not make a series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimeSeriesError {
    #[error("sample {index} is at a time that is not a finite number ({time})")]
    NotFinite { index: usize, time: f64 },
}

/// Values that blend linearly (a fraction `f` ∈ [0, 1] from `a` to `b`).
pub trait Lerp: Clone {
    fn lerp(a: &Self, b: &Self, f: f64) -> Self;
}

impl Lerp for f64 {
    fn lerp(a: &f64, b: &f64, f: f64) -> f64 {
        a + (b - a) * f
    }
}

impl Lerp for f32 {
    fn lerp(a: &f32, b: &f32, f: f64) -> f32 {
        a + (b - a) * f as f32
    }
}

impl Lerp for glam::DVec3 {
    fn lerp(a: &glam::DVec3, b: &glam::DVec3, f: f64) -> glam::DVec3 {
        a.lerp(*b, f)
    }
}

/// Samples `(time, value)` in time order. Several samples may share an
/// instant (events at the same moment); they keep the order they were
/// given in.
///
/// ```
/// use cim_core::time::series::TimeSeries;
/// let s = TimeSeries::new([(10.0, 1.0), (0.0, 0.0), (20.0, 5.0)]).unwrap();
/// assert_eq!(s.step(-1.0), None, "nothing before the first sample");
/// assert_eq!(s.step(15.0), Some(&1.0), "held until the next sample");
/// assert_eq!(s.linear(15.0), Some(3.0), "or blended towards it");
/// assert_eq!(s.linear(99.0), Some(5.0), "the last value after the end");
/// assert_eq!(s.count_until(10.0), 2, "samples at or before 10 s");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeSeries<T> {
    times: Vec<UnixSeconds>,
    values: Vec<T>,
}

impl<T> TimeSeries<T> {
    /// A series of these samples, sorted by time (stable for equal times).
    pub fn new(
        samples: impl IntoIterator<Item = (UnixSeconds, T)>,
    ) -> Result<TimeSeries<T>, TimeSeriesError> {
        let mut s: Vec<(UnixSeconds, T)> = samples.into_iter().collect();
        if let Some((index, (time, _))) = s.iter().enumerate().find(|(_, (t, _))| !t.is_finite()) {
            return Err(TimeSeriesError::NotFinite { index, time: *time });
        }
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (times, values) = s.into_iter().unzip();
        Ok(TimeSeries { times, values })
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Sample instants, ascending.
    pub fn times(&self) -> &[UnixSeconds] {
        &self.times
    }

    /// Sample values, in time order.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// How many samples are at or before `t`: the samples "that have
    /// happened" by then are `values()[..count_until(t)]`.
    pub fn count_until(&self, t: UnixSeconds) -> usize {
        self.times.partition_point(|&s| s <= t)
    }

    /// The value of the last sample at or before `t` (held until the next
    /// one); `None` before the first sample.
    pub fn step(&self, t: UnixSeconds) -> Option<&T> {
        self.count_until(t).checked_sub(1).map(|i| &self.values[i])
    }
}

impl<T: Lerp> TimeSeries<T> {
    /// The value at `t`, blended linearly between the samples around it;
    /// the first value before the series, the last after it; `None` when
    /// empty.
    pub fn linear(&self, t: UnixSeconds) -> Option<T> {
        let n = self.count_until(t);
        if n == 0 {
            return self.values.first().cloned();
        }
        if n == self.len() {
            return self.values.last().cloned();
        }
        let (t0, t1) = (self.times[n - 1], self.times[n]);
        let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 1.0 };
        Some(T::lerp(&self.values[n - 1], &self.values[n], f))
    }
}

impl<T> TimeVarying for TimeSeries<T> {
    fn time_span(&self) -> Option<(UnixSeconds, UnixSeconds)> {
        Some((*self.times.first()?, *self.times.last()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_at_and_between_samples() {
        let s = TimeSeries::new([(0.0, 0.0f64), (10.0, 10.0), (10.0, 20.0), (30.0, 0.0)]).unwrap();
        assert_eq!(s.count_until(-0.1), 0);
        assert_eq!(s.count_until(0.0), 1);
        assert_eq!(s.count_until(10.0), 3, "both samples at 10 s");
        assert_eq!(s.step(10.0), Some(&20.0), "the later of equal instants");
        assert_eq!(s.linear(5.0), Some(5.0));
        assert_eq!(s.linear(20.0), Some(10.0), "from 20 at 10 s to 0 at 30 s");
        assert_eq!(s.linear(-5.0), Some(0.0));
        assert_eq!(s.time_span(), Some((0.0, 30.0)));
    }

    #[test]
    fn equal_instants_keep_their_order_and_bad_times_are_refused() {
        let s = TimeSeries::new([(5.0, 'b'), (1.0, 'a'), (5.0, 'c')]).unwrap();
        assert_eq!(s.values(), &['a', 'b', 'c']);
        let e = TimeSeries::new([(1.0, 0), (f64::NAN, 1)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sample 1 is at a time that is not a finite number (NaN)"
        );
        let empty: TimeSeries<f64> = TimeSeries::new([]).unwrap();
        assert_eq!(
            (empty.step(0.0), empty.linear(0.0), empty.time_span()),
            (None, None, None)
        );
    }
}
