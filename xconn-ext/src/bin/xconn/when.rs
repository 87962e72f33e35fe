//! `--since` / `--until`: an instant, or how long before now.
//!
//! The API cannot filter by time, so these bound what it returned. The
//! parser is a plain `fn(&str) -> Result` so that any command can take the
//! same flags (clap `value_parser = parse_time_bound`).

use chrono::{DateTime, Utc};

/// A point in time as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// An RFC 3339 instant (`2026-12-02T14:00:00Z`, any offset).
    At(DateTime<Utc>),
    /// That long before now (`90m`, `2d`, `1h30m`).
    Ago(chrono::TimeDelta),
}

impl TimeBound {
    /// The instant, for a run that started at `now`.
    pub fn resolve(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::At(t) => t,
            Self::Ago(d) => now
                .checked_sub_signed(d)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        }
    }
}

/// Seconds per duration unit.
const UNITS: &[(char, i64)] = &[
    ('s', 1),
    ('m', 60),
    ('h', 3600),
    ('d', 86_400),
    ('w', 604_800),
];

/// An RFC 3339 instant, or a duration before now: numbers with a unit each
/// (`s`, `m`, `h`, `d`, `w`), as in `90m`, `2d`, `1h30m`.
pub fn parse_time_bound(s: &str) -> Result<TimeBound, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(TimeBound::At(t.with_timezone(&Utc)));
    }
    let invalid = || {
        format!(
            "`{s}` is neither an RFC 3339 time (2026-12-02T14:00:00Z) nor a duration \
             before now (90m, 12h, 2d, 1w, 1h30m)"
        )
    };
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in s.chars() {
        if let Some(digit) = c.to_digit(10) {
            let n = number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(i64::from(digit)))
                .ok_or_else(invalid)?;
            number = Some(n);
        } else {
            let (_, unit) = UNITS.iter().find(|(u, _)| *u == c).ok_or_else(invalid)?;
            let n = number.take().ok_or_else(invalid)?;
            total = n
                .checked_mul(*unit)
                .and_then(|secs| total.checked_add(secs))
                .ok_or_else(invalid)?;
        }
    }
    if number.is_some() {
        // A bare number: minutes? seconds? Say which.
        return Err(invalid());
    }
    chrono::TimeDelta::try_seconds(total)
        .map(TimeBound::Ago)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_instants() {
        let d = |secs| Ok(TimeBound::Ago(chrono::TimeDelta::seconds(secs)));
        assert_eq!(parse_time_bound("90m"), d(5400));
        assert_eq!(parse_time_bound("2d"), d(172_800));
        assert_eq!(parse_time_bound("1h30m"), d(5400));
        assert_eq!(parse_time_bound("1w"), d(604_800));
        assert_eq!(parse_time_bound("45s"), d(45));
        assert_eq!(
            parse_time_bound("2026-12-02T15:00:00+01:00"),
            Ok(TimeBound::At("2026-12-02T14:00:00Z".parse().unwrap()))
        );
    }

    #[test]
    fn refuses_what_it_cannot_read_unambiguously() {
        for bad in [
            "",
            "90",
            "m",
            "-5m",
            "5x",
            "2026-12-02",
            "1h30",
            "99999999999999999999d",
        ] {
            let e = parse_time_bound(bad).unwrap_err();
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
    }

    #[test]
    fn resolves_against_now() {
        let now: DateTime<Utc> = "2026-12-02T14:00:00Z".parse().unwrap();
        let ago = parse_time_bound("90m").unwrap();
        assert_eq!(
            ago.resolve(now),
            "2026-12-02T12:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
