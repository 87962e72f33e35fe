//! The durations of ended connections, for `summary`'s median and
//! maximum, in memory of a fixed size.

use hdrhistogram::Histogram;

/// Durations in whole seconds, for their median and maximum, in memory of
/// a fixed size: a histogram (HdrHistogram, 3 significant digits) instead
/// of a list of every duration, which grew by 8 bytes per connection
/// (0.8 MB over 100,000) and made the summary's memory grow with the
/// history. Values below 2048 s (2^11: 3 significant digits) have a bucket each;
/// above, a bucket spans at most 0.1% of its values, and the median is
/// read at its middle. The maximum is kept exactly. Counts are `u32`
/// (saturating at 4.29 billion connections of one duration, far beyond any
/// history X keeps): half the memory of `u64` counts, for a summary that is
/// measured against a hand-written loop (issue 13).
#[derive(Debug)]
pub(super) struct Durations {
    histogram: Histogram<u32>,
    pub(super) max: Option<u64>,
}

impl Default for Durations {
    fn default() -> Self {
        Self {
            // Resizes itself to the largest value seen (a few tens of KiB
            // for durations of days).
            histogram: Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits are valid"),
            max: None,
        }
    }
}

const SIGNIFICANT_DIGITS: u8 = 3;
/// Durations below this many seconds are counted exactly (2^11, for 3
/// significant digits).
const EXACT_BELOW: u64 = 2048;

impl Durations {
    pub(super) fn record(&mut self, secs: u64) {
        if self.histogram.record(secs).is_err() {
            // Beyond what the histogram can grow to (hundreds of
            // millennia): counted at its top; the exact max is kept below.
            self.histogram.saturating_record(secs);
        }
        self.max = self.max.max(Some(secs));
    }

    pub(super) fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The value at `rank` (0-based, in ascending order).
    fn at_rank(&self, rank: u64) -> Option<u64> {
        let mut below = 0u64;
        for bucket in self.histogram.iter_recorded() {
            below += u64::from(bucket.count_at_value());
            if below > rank {
                let value = self.histogram.median_equivalent(bucket.value_iterated_to());
                return Some(value.min(self.max?));
            }
        }
        self.max
    }

    /// How exact [`median`](Self::median) is: below 2^11 s every value has
    /// a bucket of its own; above, the middle of a bucket is within 0.05%
    /// of any value in it.
    pub(super) fn precision(&self) -> &'static str {
        if self.max.is_some_and(|max| max < EXACT_BELOW) {
            "exact"
        } else {
            "within 0.05%"
        }
    }

    /// The median: the middle value, or the mean of the middle two.
    pub(super) fn median(&self) -> Option<u64> {
        let n = self.count();
        if n == 0 {
            None
        } else if n % 2 == 1 {
            self.at_rank(n / 2)
        } else {
            Some((self.at_rank(n / 2 - 1)? + self.at_rank(n / 2)?) / 2)
        }
    }
}
