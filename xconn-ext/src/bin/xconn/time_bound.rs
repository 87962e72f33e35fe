//! `--since` / `--until`: an instant given as RFC 3339 or as a duration
//! back from now (`90m`, `2d`). A leaf: `list`, `summary` and any command
//! with the same flags parse them here.

use chrono::{DateTime, Utc};

/// The units a relative time takes, with their length in seconds.
const UNITS: [(&str, i64); 5] = [
    ("s", 1),
    ("m", 60),
    ("h", 3_600),
    ("d", 86_400),
    ("w", 7 * 86_400),
];

/// Parse `s` as an instant: RFC 3339 (`2026-01-05T09:00:00Z`, any offset)
/// or a whole number of `s`, `m`, `h`, `d` or `w` before `now` (`90m`,
/// `2d`). The error says both forms.
pub fn parse_time_bound(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let expected = || {
        format!(
            "`{s}` is neither an RFC 3339 time (2026-01-05T09:00:00Z) nor a duration before \
             now (a whole number and one of s, m, h, d, w: 90m, 2d)"
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(expected)?;
    let (number, unit) = s.split_at(split);
    let seconds = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, secs)| *secs)
        .ok_or_else(expected)?;
    let number: i64 = number.parse().map_err(|_| expected())?;
    number
        .checked_mul(seconds)
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|back| now.checked_sub_signed(back))
        .ok_or_else(|| format!("`{s}` reaches too far back"))
}

/// The instant this run started, in whole seconds (the API's precision).
/// Every relative time of one command (`--since 2d`, `--until 1h`, and
/// what `timeline` draws as "now") is measured from this one instant, so
/// that `--since 2d` spans exactly two days whenever the flags are parsed.
pub fn run_started() -> DateTime<Utc> {
    static STARTED: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();
    *STARTED.get_or_init(|| chrono::SubsecRound::trunc_subsecs(Utc::now(), 0))
}

/// [`parse_time_bound`] against [`run_started`], for clap.
pub fn parse_time_bound_now(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time_bound(s, run_started())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_or_a_duration_before_now() {
        let now: DateTime<Utc> = "2026-01-05T12:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(parse_time_bound("90m", now), Ok(at("2026-01-05T10:30:00Z")));
        assert_eq!(parse_time_bound("2d", now), Ok(at("2026-01-03T12:00:00Z")));
        assert_eq!(parse_time_bound("1w", now), Ok(at("2025-12-29T12:00:00Z")));
        assert_eq!(parse_time_bound("30s", now), Ok(at("2026-01-05T11:59:30Z")));
        assert_eq!(
            parse_time_bound("2026-01-05T10:00:00+02:00", now),
            Ok(at("2026-01-05T08:00:00Z"))
        );
        for bad in ["", "m", "90", "-5m", "1.5h", "2 days", "5y", "yesterday"] {
            let err = parse_time_bound(bad, now).unwrap_err();
            assert!(
                err.contains("RFC 3339") && err.contains("90m"),
                "{bad}: {err}"
            );
        }
        assert!(parse_time_bound("99999999999999w", now).is_err());
    }
}
