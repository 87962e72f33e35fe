//! The UTC time axis: round ticks for any window from seconds to years.
//!
//! A tick step is picked from a ladder of steps people read without
//! arithmetic (1, 2, 5, 10, 15, 30 minutes; 1, 2, 3, 6, 12 hours; days,
//! weeks, months...), the smallest that keeps the count at or under what
//! the width allows. Ticks sit on round instants of that step in UTC
//! (minutes on the minute, days at midnight, weeks on Mondays, months on
//! the 1st), so the labels stay short: the time, with the date (or year)
//! said once and again only where it changes.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};

/// One tick of the axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub at: DateTime<Utc>,
    /// What the tick says: `14:30`, `Dec 2`, `Mar`, `2027`.
    pub label: String,
    /// The larger unit the label leaves out (`Dec 2` under times, the year
    /// under days and months), at the first tick and where it changes.
    pub context: Option<String>,
}

/// A step of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A fixed number of seconds, on multiples counted from `offset`
    /// seconds after the Unix epoch (a midnight; weeks start on a Monday).
    Secs { secs: i64, offset: i64 },
    /// Calendar months, on the 1st of months divisible by `n` (Jan = 0).
    Months(u32),
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// 1970-01-05, the first Monday after the epoch.
const MONDAY: i64 = 4 * DAY;

/// The ladder, finest first.
const LADDER: &[Step] = &[
    secs(1),
    secs(2),
    secs(5),
    secs(10),
    secs(15),
    secs(30),
    secs(MINUTE),
    secs(2 * MINUTE),
    secs(5 * MINUTE),
    secs(10 * MINUTE),
    secs(15 * MINUTE),
    secs(30 * MINUTE),
    secs(HOUR),
    secs(2 * HOUR),
    secs(3 * HOUR),
    secs(6 * HOUR),
    secs(12 * HOUR),
    secs(DAY),
    secs(2 * DAY),
    Step::Secs {
        secs: 7 * DAY,
        offset: MONDAY,
    },
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
];

const fn secs(secs: i64) -> Step {
    Step::Secs { secs, offset: 0 }
}

/// The ticks inside `[start, end]`: at most `max_ticks` of them (at least
/// one asked for), on the finest step that allows it. Windows longer than
/// `max_ticks` years tick every so many years.
pub fn ticks(start: DateTime<Utc>, end: DateTime<Utc>, max_ticks: usize) -> Vec<Tick> {
    let max_ticks = max_ticks.max(1);
    if end <= start {
        return Vec::new();
    }
    let step = LADDER
        .iter()
        .copied()
        .find(|step| count(*step, start, end) <= max_ticks)
        .unwrap_or_else(|| {
            let years = (end.year() - start.year()).unsigned_abs() + 1;
            let per_tick = years.div_ceil(u32::try_from(max_ticks).unwrap_or(u32::MAX));
            Step::Months(12 * per_tick.max(1))
        });
    let mut previous = None;
    instants(step, start, end)
        .into_iter()
        .map(|at| {
            let (label, context) = labels(step, at);
            let changed = previous.as_ref() != Some(&context);
            previous = Some(context.clone());
            Tick {
                at,
                label,
                context: (changed && !context.is_empty()).then_some(context),
            }
        })
        .collect()
}

/// How many ticks `step` puts in the window (counted, not listed, so that
/// a fine step over a long window costs nothing).
fn count(step: Step, start: DateTime<Utc>, end: DateTime<Utc>) -> usize {
    match step {
        Step::Secs { secs, offset } => {
            let first = first_multiple(start.timestamp(), secs, offset);
            let last = end.timestamp();
            if first > last {
                0
            } else {
                usize::try_from((last - first) / secs + 1).unwrap_or(usize::MAX)
            }
        }
        Step::Months(n) => {
            let months = |t: DateTime<Utc>| i64::from(t.year()) * 12 + i64::from(t.month0());
            // Months whose 1st lies in the window, divisible by n.
            let first = months(start) + i64::from(!is_first_of_month(start));
            let last = months(end);
            let n = i64::from(n);
            let first = first + (n - first.rem_euclid(n)) % n;
            if first > last {
                0
            } else {
                usize::try_from((last - first) / n + 1).unwrap_or(usize::MAX)
            }
        }
    }
}

fn is_first_of_month(t: DateTime<Utc>) -> bool {
    t.day() == 1 && t.timestamp().rem_euclid(DAY) == 0 && t.timestamp_subsec_nanos() == 0
}

/// The first `offset + k * secs` at or after `t`.
fn first_multiple(t: i64, secs: i64, offset: i64) -> i64 {
    let from = t - offset;
    offset + from.div_euclid(secs) * secs + if from.rem_euclid(secs) == 0 { 0 } else { secs }
}

fn instants(step: Step, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    match step {
        Step::Secs { secs, offset } => {
            // A start with a fraction of a second ticks from the next second.
            let from = start.timestamp() + i64::from(start.timestamp_subsec_nanos() > 0);
            let mut t = first_multiple(from, secs, offset);
            while let Some(at) = Utc.timestamp_opt(t, 0).single().filter(|at| *at <= end) {
                out.push(at);
                t += secs;
            }
        }
        Step::Months(n) => {
            let Some(mut month) = NaiveDate::from_ymd_opt(start.year(), start.month(), 1) else {
                return out;
            };
            loop {
                let at = month.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
                // Multi-year steps: Januaries of years divisible by the step.
                let on_step = month.month0() % n.min(12) == 0
                    && (n <= 12
                        || month.year().rem_euclid(i32::try_from(n / 12).unwrap_or(1)) == 0);
                match at {
                    Some(at) if at > end => break,
                    Some(at) if at >= start && on_step => out.push(at),
                    None => break,
                    _ => {}
                }
                match month.checked_add_months(Months::new(1)) {
                    Some(next) => month = next,
                    None => break,
                }
            }
        }
    }
    out
}

/// The label of a tick and its context (empty: none).
fn labels(step: Step, at: DateTime<Utc>) -> (String, String) {
    let date = at.format("%b %-d").to_string();
    let year = at.format("%Y").to_string();
    match step {
        Step::Secs { secs, .. } if secs < MINUTE => (at.format("%H:%M:%S").to_string(), date),
        Step::Secs { secs, .. } if secs < DAY => (at.format("%H:%M").to_string(), date),
        Step::Secs { .. } => (date, year),
        Step::Months(n) if n < 12 => (at.format("%b").to_string(), year),
        Step::Months(_) => (year, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn labels_of(ticks: &[Tick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    /// Every tick lies in the window, in order, within the count asked.
    fn check(ticks: &[Tick], start: DateTime<Utc>, end: DateTime<Utc>, max: usize) {
        assert!(!ticks.is_empty(), "no ticks in {start}..{end}");
        assert!(ticks.len() <= max, "{} ticks > {max}", ticks.len());
        assert!(ticks.iter().all(|t| t.at >= start && t.at <= end));
        assert!(ticks.windows(2).all(|w| w[0].at < w[1].at));
        assert!(ticks[0].context.is_some() || ticks[0].label.len() == 4);
    }

    #[test]
    fn minutes_window_ticks_on_round_minutes() {
        let (start, end) = (at("2026-12-02T14:03:20Z"), at("2026-12-02T14:12:00Z"));
        let ticks = ticks(start, end, 10);
        check(&ticks, start, end, 10);
        assert_eq!(
            labels_of(&ticks),
            [
                "14:04", "14:05", "14:06", "14:07", "14:08", "14:09", "14:10", "14:11", "14:12"
            ]
        );
        assert_eq!(ticks[0].context.as_deref(), Some("Dec 2"));
        assert!(ticks[1..].iter().all(|t| t.context.is_none()));
    }

    #[test]
    fn seconds_window_shows_seconds() {
        let (start, end) = (at("2026-12-02T14:00:00.5Z"), at("2026-12-02T14:00:30Z"));
        let ticks = ticks(start, end, 8);
        check(&ticks, start, end, 8);
        assert_eq!(ticks[0].label, "14:00:05");
        assert_eq!(ticks[1].label, "14:00:10");
    }

    #[test]
    fn hours_window_says_the_date_where_it_changes() {
        let (start, end) = (at("2026-12-01T20:10:00Z"), at("2026-12-02T09:00:00Z"));
        let ticks = ticks(start, end, 8);
        check(&ticks, start, end, 8);
        // 13 hourly ticks would be too many: every 2 hours.
        assert_eq!(
            labels_of(&ticks),
            ["22:00", "00:00", "02:00", "04:00", "06:00", "08:00"]
        );
        assert_eq!(ticks[0].context.as_deref(), Some("Dec 1"));
        assert_eq!(ticks[1].context.as_deref(), Some("Dec 2"));
        assert_eq!(ticks[2].context, None);
    }

    #[test]
    fn days_window_ticks_at_midnight() {
        let (start, end) = (at("2026-11-25T13:00:00Z"), at("2026-12-02T13:00:00Z"));
        let ticks = ticks(start, end, 10);
        check(&ticks, start, end, 10);
        assert_eq!(
            labels_of(&ticks),
            [
                "Nov 26", "Nov 27", "Nov 28", "Nov 29", "Nov 30", "Dec 1", "Dec 2"
            ]
        );
        assert!(ticks.iter().all(|t| t.at.timestamp() % DAY == 0));
        assert_eq!(ticks[0].context.as_deref(), Some("2026"));
    }

    #[test]
    fn weeks_start_on_monday() {
        let (start, end) = (at("2026-10-01T00:00:00Z"), at("2026-12-02T00:00:00Z"));
        let ticks = ticks(start, end, 10);
        check(&ticks, start, end, 10);
        assert!(ticks.iter().all(|t| t.at.weekday() == chrono::Weekday::Mon));
        assert_eq!(ticks[0].label, "Oct 5");
    }

    #[test]
    fn months_window_ticks_on_the_first() {
        let (start, end) = (at("2026-03-15T00:00:00Z"), at("2027-02-10T00:00:00Z"));
        let ticks = ticks(start, end, 12);
        check(&ticks, start, end, 12);
        assert_eq!(
            labels_of(&ticks),
            [
                "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb"
            ]
        );
        assert_eq!(ticks[0].context.as_deref(), Some("2026"));
        assert_eq!(ticks[9].context.as_deref(), Some("2027"));
        assert!(ticks.iter().all(|t| t.at.day() == 1));
    }

    #[test]
    fn quarters_and_years() {
        let (start, end) = (at("2025-01-10T00:00:00Z"), at("2027-01-10T00:00:00Z"));
        let quarters = ticks(start, end, 8);
        check(&quarters, start, end, 8);
        assert!(quarters.iter().all(|t| t.at.month0() % 3 == 0));
        let (start, end) = (at("2001-01-10T00:00:00Z"), at("2026-01-10T00:00:00Z"));
        let years = ticks(start, end, 6);
        check(&years, start, end, 6);
        assert!(years.iter().all(|t| t.at.month() == 1 && t.at.day() == 1));
    }

    #[test]
    fn empty_window_has_no_ticks() {
        let t = at("2026-12-02T00:00:00Z");
        assert!(ticks(t, t, 10).is_empty());
    }
}
