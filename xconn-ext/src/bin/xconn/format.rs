//! The leaf of the CLI: how times and durations are written, the same in
//! every command and format. Imports nothing of the crate.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// A timestamp as printed everywhere: RFC 3339, UTC, `Z`, whole seconds
/// unless the API gave fractions.
pub fn timestamp(t: DateTime<Utc>) -> String {
    Rfc3339::of(t).as_str().to_owned()
}

/// `t` as chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes it
/// (a test holds them equal), formatted into a buffer on the stack.
/// `list -o ndjson` writes two per record: chrono's version allocated a
/// string for each and went through its general formatting machinery
/// (measured; see BENCHMARKS.md). Years outside 0..=9999 and leap seconds
/// are left to chrono.
#[derive(Clone)]
pub enum Rfc3339 {
    /// `YYYY-MM-DDTHH:MM:SS[.f]Z`: the bytes and how many are used.
    Fast([u8; 30], usize),
    /// What chrono wrote.
    Other(String),
}

impl Rfc3339 {
    pub fn of(t: DateTime<Utc>) -> Self {
        use chrono::{Datelike, Timelike};
        // The fields of the UTC time itself (`DateTime`'s own accessors
        // apply the offset again for each one).
        let t = t.naive_utc();
        let nanos = t.nanosecond();
        let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
            return Self::chrono(t);
        };
        if nanos >= 1_000_000_000 {
            return Self::chrono(t);
        }
        // AutoSi: no fraction, or milli-, micro- or nanoseconds, whichever
        // is the shortest exact one.
        let (fraction, digits) = match nanos {
            0 => (0, 0),
            n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
            n if n % 1_000 == 0 => (n / 1_000, 6),
            n => (n, 9),
        };
        let mut buf = *b"0000-00-00T00:00:00.000000000Z";
        let mut put = |end: usize, mut value: u32| {
            for byte in buf[..end]
                .iter_mut()
                .rev()
                .take_while(|b| b.is_ascii_digit())
            {
                *byte = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(4, year);
        put(7, t.month());
        put(10, t.day());
        put(13, t.hour());
        put(16, t.minute());
        put(19, t.second());
        let len = if digits == 0 {
            19
        } else {
            put(20 + digits, fraction);
            20 + digits
        };
        buf[len] = b'Z';
        Self::Fast(buf, len + 1)
    }

    fn chrono(t: chrono::NaiveDateTime) -> Self {
        Self::Other(t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Only ASCII digits and separators are ever in the buffer.
            Self::Fast(buf, len) => std::str::from_utf8(&buf[..*len]).expect("ASCII"),
            Self::Other(text) => text,
        }
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// `1h02m03s`, `4m05s`, `6s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// The stack formatter writes exactly what chrono's AutoSi writes,
        /// for whole seconds, milli-, micro- and nanoseconds, leap seconds,
        /// and years chrono alone handles (before 0, after 9999).
        #[test]
        fn rfc3339_is_what_chrono_writes(
            secs in -100_000_000_000i64..300_000_000_000,
            nanos in proptest::prop_oneof![
                proptest::strategy::Just(0u32),
                (0u32..1_000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..2_000_000_000,
            ],
        ) {
            if let Some(t) = DateTime::from_timestamp(secs, nanos) {
                let fast = Rfc3339::of(t);
                proptest::prop_assert_eq!(
                    fast.as_str(),
                    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
                );
            }
        }
    }

    #[test]
    fn rfc3339_fast_path_covers_connection_times() {
        let t: DateTime<Utc> = "2026-01-05T09:12:44.250Z".parse().unwrap();
        assert!(matches!(Rfc3339::of(t), Rfc3339::Fast(..)));
        assert_eq!(Rfc3339::of(t).as_str(), "2026-01-05T09:12:44.250Z");
        let leap = DateTime::from_timestamp(59, 1_500_000_000).unwrap();
        assert!(matches!(Rfc3339::of(leap), Rfc3339::Other(_)));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(3723)), "1h02m03s");
        assert_eq!(human(Duration::from_secs(245)), "4m05s");
        assert_eq!(human(Duration::from_secs(6)), "6s");
    }
}
