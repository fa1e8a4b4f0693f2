//! Class breaks for graduated styling (equal interval, quantile, Jenks
//! natural breaks), the class of a value, and legend number formatting.

use super::JENKS_SAMPLE;

/// The class of `x` for ascending `bounds` (upper-inclusive classes, the
/// first also holding `bounds[0]`); `None` outside `[b0, bk]`.
pub fn class_of(bounds: &[f64], x: f64) -> Option<usize> {
    let (&lo, &hi) = (bounds.first()?, bounds.last()?);
    if !(lo..=hi).contains(&x) {
        return None;
    }
    let k = (bounds.len() - 1).max(1);
    Some(bounds[1..].partition_point(|b| *b < x).min(k - 1))
}

/// Interior breaks of `k` equal-width classes over `[lo, hi]` (none when
/// `lo == hi`).
///
/// ```
/// assert_eq!(cim_core::style::thematic::equal_interval_breaks(0.0, 100.0, 4), [25.0, 50.0, 75.0]);
/// ```
pub fn equal_interval_breaks(lo: f64, hi: f64, k: usize) -> Vec<f64> {
    if hi <= lo || k < 2 {
        return Vec::new();
    }
    (1..k)
        .map(|i| lo + (hi - lo) * i as f64 / k as f64)
        .collect()
}

/// Interior breaks of `k` quantile classes of ascending `sorted` values.
///
/// Without ties, break `i` is the value at rank ⌈i·n/k⌉ (1-based), the
/// upper end of the `i`-th class. Ties stay together (classes are
/// upper-inclusive), so a run of equal values can fill more than its share;
/// the classes after it then split the values that remain evenly, rather
/// than repeating the same break (empty classes). Fewer than `k` classes
/// result only when there are fewer than `k` distinct values.
///
/// ```
/// use cim_core::style::thematic::quantile_breaks;
/// assert_eq!(quantile_breaks(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 4), [2.0, 4.0, 6.0]);
/// assert_eq!(quantile_breaks(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0], 4), [1.0, 2.0]);
/// ```
pub fn quantile_breaks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    let Some(&max) = sorted.last() else {
        return Vec::new();
    };
    let mut out: Vec<f64> = Vec::with_capacity(k.saturating_sub(1));
    // `start`: first value not yet in a class.
    let mut start = 0;
    for i in 0..k.saturating_sub(1) {
        let left = k - i;
        let take = (n - start).div_ceil(left).max(1);
        let b = sorted[start + take - 1];
        if b >= max {
            break;
        }
        out.push(b);
        start += sorted[start..].partition_point(|v| *v <= b);
    }
    out
}

/// Interior breaks of Jenks natural-breaks classes of ascending `sorted`
/// values: the `k`-class partition into runs of consecutive values that
/// minimises the total within-class sum of squared deviations (Jenks 1967),
/// found exactly by Fisher's (1958) dynamic programme in O(k·m²) time and
/// O(k·m) memory. Each break is the largest value of its class.
///
/// Inputs with more than [`JENKS_SAMPLE`] values are reduced to that many
/// evenly spaced order statistics (always keeping the minimum and maximum)
/// first, which keeps a 100 000-building layer to a few milliseconds per
/// class; the breaks are then optimal for the sample. With `k` or fewer
/// distinct values, each value is its own class.
///
/// ```
/// use cim_core::style::thematic::jenks_breaks;
/// let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 50.0, 51.0];
/// assert_eq!(jenks_breaks(&v, 3), [3.0, 12.0]);
/// ```
pub fn jenks_breaks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 || k < 2 {
        return Vec::new();
    }
    let x: Vec<f64> = if n > JENKS_SAMPLE {
        let m = JENKS_SAMPLE;
        (0..m)
            .map(|j| sorted[((j * (n - 1)) as f64 / (m - 1) as f64).round() as usize])
            .collect()
    } else {
        sorted.to_vec()
    };
    let max = x[x.len() - 1];
    let mut distinct = x.clone();
    distinct.dedup();
    if distinct.len() <= k {
        distinct.pop();
        return distinct;
    }
    let m = x.len();
    // Prefix sums of values centred on the mean, for numerically stable
    // within-class sums of squares of any run.
    let mean = x.iter().sum::<f64>() / m as f64;
    let mut s1 = vec![0.0; m + 1];
    let mut s2 = vec![0.0; m + 1];
    for (i, &v) in x.iter().enumerate() {
        let d = v - mean;
        s1[i + 1] = s1[i] + d;
        s2[i + 1] = s2[i] + d * d;
    }
    // Sum of squared deviations of x[a..=b].
    let ssd = |a: usize, b: usize| {
        let cnt = (b - a + 1) as f64;
        let s = s1[b + 1] - s1[a];
        (s2[b + 1] - s2[a] - s * s / cnt).max(0.0)
    };
    // cost[i]: best cost of x[0..=i] in the current number of classes;
    // start[j][i]: first index of the last class in that best partition.
    let mut cost: Vec<f64> = (0..m).map(|i| ssd(0, i)).collect();
    let mut start = vec![vec![0usize; m]; k];
    for (j, start_j) in start.iter_mut().enumerate().skip(1) {
        let mut next = vec![f64::INFINITY; m];
        for i in j..m {
            let (mut best, mut arg) = (f64::INFINITY, j);
            for l in j..=i {
                let c = cost[l - 1] + ssd(l, i);
                if c < best {
                    best = c;
                    arg = l;
                }
            }
            next[i] = best;
            start_j[i] = arg;
        }
        cost = next;
    }
    let mut breaks = Vec::with_capacity(k - 1);
    let mut i = m - 1;
    for j in (1..k).rev() {
        let l = start[j][i];
        breaks.push(x[l - 1]);
        i = l - 1;
    }
    breaks.reverse();
    breaks.dedup();
    breaks.retain(|&b| b < max);
    breaks
}

/// Decimals for legend numbers: enough to tell the narrowest class's ends
/// apart (three significant digits of its width), at most six.
pub(super) fn label_decimals(bounds: &[f64]) -> usize {
    let width = bounds
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    let scale = if width.is_finite() {
        width
    } else {
        bounds.iter().map(|b| b.abs()).fold(0.0, f64::max)
    };
    if scale <= 0.0 {
        return 0;
    }
    (2.0 - scale.log10().floor()).clamp(0.0, 6.0) as usize
}

/// `x` with at most `decimals` decimals, trailing zeros trimmed
/// (`12.50` → `12.5`, `30.00` → `30`, never `-0`).
pub fn format_number(x: f64, decimals: usize) -> String {
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}
