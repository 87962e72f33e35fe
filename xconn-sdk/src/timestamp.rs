//! `Timestamp`: the spec's `format: date-time`, decoded fast.

/// A date and time in UTC: what the spec's `format: date-time` fields hold.
///
/// chrono's own serde impl always goes through its relaxed parser, which
/// costs several times the strict RFC 3339 one; with two timestamps per
/// connection that was most of the time spent decoding a page. This type
/// tries the strict parser first (X sends `2026-01-05T09:12:44Z` or with
/// fractional seconds) and falls back to the relaxed one, so everything that
/// chrono accepted still decodes. It derefs to `chrono::DateTime<Utc>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub chrono::DateTime<chrono::Utc>);

impl Timestamp {
    /// The date and time.
    pub fn into_inner(self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

impl std::ops::Deref for Timestamp {
    type Target = chrono::DateTime<chrono::Utc>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(value: chrono::DateTime<chrono::Utc>) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for chrono::DateTime<chrono::Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl std::str::FromStr for Timestamp {
    type Err = chrono::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(utc) = parse_utc_fast(s.as_bytes()) {
            return Ok(Self(utc));
        }
        chrono::DateTime::parse_from_rfc3339(s)
            .or_else(|_| s.parse::<chrono::DateTime<chrono::FixedOffset>>())
            .map(|t| Self(t.with_timezone(&chrono::Utc)))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, the one form X sends, read without
/// chrono's general parser (measured: the typed layer spent more time
/// parsing timestamps than decoding everything else; see BENCHMARKS.md).
/// Every byte sits at a fixed place, so each is checked and converted once,
/// with no slicing or folding. Field ranges are still checked by chrono's
/// constructors; anything else, including leap seconds and offsets, returns
/// `None` and goes to chrono. Tests check this agrees with
/// `DateTime::parse_from_rfc3339`, and that it takes every such string.
fn parse_utc_fast(s: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    /// The value of one ASCII digit.
    fn digit(b: u8) -> Option<u32> {
        let d = b.wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    }
    /// 10^(9 - n): what `n` digits of a fraction are worth in nanoseconds.
    const NANOS_SCALE: [u32; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    let (head, tail) = s.split_at_checked(19)?;
    let pair = |i: usize| Some(digit(head[i])? * 10 + digit(head[i + 1])?);
    if [head[4], head[7], head[10], head[13], head[16]] != *b"--T::" {
        return None;
    }
    let nanos = match tail {
        [b'Z'] => 0,
        [b'.', fraction @ .., b'Z'] if (1..=9).contains(&fraction.len()) => {
            let mut n = 0;
            for &b in fraction {
                n = n * 10 + digit(b)?;
            }
            n * NANOS_SCALE[fraction.len()]
        }
        _ => return None,
    };
    let year = pair(0)? * 100 + pair(2)?;
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, pair(5)?, pair(8)?)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(pair(11)?, pair(14)?, pair(17)?, nanos)?;
    Some(date.and_time(time).and_utc())
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an RFC 3339 date and time")
            }

            // Borrowed from the input: no allocation on the hot path.
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
                s.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_strict_and_relaxed_forms_alike() {
        use chrono::TimeZone;
        let expected = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 12, 44).unwrap();
        for text in [
            "2026-01-05T09:12:44Z",
            "2026-01-05T09:12:44+00:00",
            "2026-01-05T10:12:44+01:00",
            // Accepted by chrono's relaxed parser only.
            "2026-01-05 09:12:44Z",
        ] {
            let t: Timestamp = serde_json::from_str(&format!("{text:?}")).unwrap();
            assert_eq!(*t, expected, "{text}");
        }
        let fraction: Timestamp = "2026-01-05T09:12:44.250Z".parse().unwrap();
        assert_eq!(fraction.timestamp_subsec_millis(), 250);
        assert_eq!(
            serde_json::to_string(&fraction).unwrap(),
            "\"2026-01-05T09:12:44.250Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("17").is_err());
    }

    proptest::proptest! {
        /// The fast path agrees with chrono's strict parser on every
        /// string of X's shape, valid or not (bad months, days, hours...).
        #[test]
        fn fast_timestamps_agree_with_chrono(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33,
            h in 0u32..25, mi in 0u32..61, se in 0u32..62,
            frac in proptest::option::of("[0-9]{1,10}"),
        ) {
            let text = match &frac {
                Some(f) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}.{f}Z"),
                None => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}Z"),
            };
            let chrono = chrono::DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc));
            let fast = parse_utc_fast(text.as_bytes());
            // The fast path never differs; it declines only what it leaves
            // to chrono on purpose (leap seconds, over 9 fraction digits).
            let leap_or_long = se >= 60 || frac.as_ref().is_some_and(|f| f.len() > 9);
            if leap_or_long {
                proptest::prop_assert_eq!(fast, None, "{}", text);
            } else {
                proptest::prop_assert_eq!(fast, chrono, "{}", text);
            }
            let parsed = text.parse::<Timestamp>().ok().map(Timestamp::into_inner);
            proptest::prop_assert_eq!(parsed, chrono, "{}", text);
        }

        /// Any short string of the characters a timestamp is made of: the
        /// fast path, when it answers, answers as chrono does.
        #[test]
        fn fast_timestamps_never_differ_from_chrono_on_any_string(
            text in "[0-9:TZ.+ -]{0,32}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.Z+-]{6,20}",
        ) {
            if let Some(fast) = parse_utc_fast(text.as_bytes()) {
                let chrono = chrono::DateTime::parse_from_rfc3339(&text)
                    .ok()
                    .map(|t| t.with_timezone(&chrono::Utc));
                proptest::prop_assert_eq!(Some(fast), chrono, "{}", text);
            }
        }
    }
}
