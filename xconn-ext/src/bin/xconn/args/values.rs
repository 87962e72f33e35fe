//! The value parsers of the command line: text to typed values, refused
//! with a message that says what is accepted (a range, a form, the closest
//! name) before anything is sent.

use std::time::Duration;

use xconn_ext::{ConnectionField, ConnectionStatus, DisconnectReason, StreamEndpoint};

/// `--reason`: a known reason, or any other wire name (the API may send
/// reasons the spec does not list yet); never empty or with whitespace.
pub fn parse_reason(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} is not a disconnect reason; known: {}",
            DisconnectReason::NAMES.join(", ")
        ));
    }
    Ok(s.to_owned())
}

/// `--status`: the values of [`ConnectionStatus`], listed in help and
/// completions from `ConnectionStatus::NAMES`.
pub fn status_parser() -> impl clap::builder::TypedValueParser<Value = ConnectionStatus> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ConnectionStatus::NAMES)
        .try_map(|s| s.parse::<ConnectionStatus>())
}

/// A whole number from `min` to `max`; the error says the range (a bare
/// "invalid digit" or "unexpected argument '-1'" does not).
pub fn whole(s: &str, min: u64, max: u64) -> Result<u64, String> {
    let range = if max == u64::MAX {
        format!("a whole number, at least {min}")
    } else {
        format!("a whole number from {min} to {max}")
    };
    match s.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not {range}")),
    }
}

/// `--limit`, `--keep`: at least 1.
pub fn at_least_1(s: &str) -> Result<u64, String> {
    whole(s, 1, u64::MAX)
}

/// `--max-results`: the spec's range.
pub fn parse_max_results(s: &str) -> Result<u32, String> {
    let n = whole(
        s,
        u64::from(xconn_sdk::spec::MAX_RESULTS_MIN),
        u64::from(xconn_sdk::spec::MAX_RESULTS_MAX),
    )?;
    u32::try_from(n).map_err(|e| e.to_string())
}

/// `--timeout`: more than 0 seconds, at most a day.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    seconds(
        s,
        |secs| secs > 0.0 && secs <= 86_400.0,
        "more than 0 and at most 86400",
    )
}

/// A number of seconds (fractions allowed) that `within` accepts; `rule`
/// says which in the error.
pub fn seconds(s: &str, within: impl Fn(f64) -> bool, rule: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(secs.is_finite() && within(secs)) {
        return Err(format!("`{s}` must be {rule}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `--uuid`: refused here, for the real run and the dry run alike, when the
/// library would refuse it (empty, or holding whitespace or a control
/// character); any other value is for the API to find or not.
pub fn parse_uuid(s: &str) -> Result<String, String> {
    if s.trim().is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} is not a connection UUID (empty, or holds whitespace or a control character)"
        ));
    }
    Ok(s.to_owned())
}

pub fn parse_field(s: &str) -> Result<ConnectionField, String> {
    s.trim()
        .parse()
        .map_err(|e: xconn_ext::ParseEnumError| e.to_string())
}

/// `--endpoint`: [`parse_endpoint`], with the known names offered as
/// possible values, so that shell completions complete endpoint names
/// (not file names).
#[derive(Clone)]
pub struct EndpointParser;

impl clap::builder::TypedValueParser for EndpointParser {
    type Value = StreamEndpoint;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<StreamEndpoint, clap::Error> {
        let parse: fn(&str) -> Result<StreamEndpoint, String> = parse_endpoint;
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            StreamEndpoint::NAMES
                .iter()
                .map(|name| clap::builder::PossibleValue::new(*name)),
        ))
    }
}

/// Parse an endpoint name; an unknown one suggests the closest known name.
pub fn parse_endpoint(s: &str) -> Result<StreamEndpoint, String> {
    s.parse().map_err(|e: xconn_ext::ParseEnumError| {
        let closest = StreamEndpoint::NAMES
            .iter()
            .map(|name| (strsim::jaro_winkler(s, name), *name))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score > 0.8);
        match closest {
            Some((_, name)) => {
                format!("{e}\n\n  tip: did you mean `{name}`? (`xconn endpoints` lists them)")
            }
            None => format!("{e}\n\n  tip: `xconn endpoints` lists them"),
        }
    })
}

/// `watch --interval`: at least 1 second, at most a day.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    seconds(
        s,
        |secs| (1.0..=86_400.0).contains(&secs),
        "at least 1 and at most 86400",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_checked_against_each_flags_range() {
        assert_eq!(parse_secs("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(
            parse_secs("0"),
            Err("`0` must be more than 0 and at most 86400".to_owned())
        );
        assert_eq!(parse_interval("1"), Ok(Duration::from_secs(1)));
        assert_eq!(
            parse_interval("0.5"),
            Err("`0.5` must be at least 1 and at most 86400".to_owned())
        );
        for bad in ["NaN", "inf", "86401"] {
            assert!(
                parse_secs(bad).is_err() && parse_interval(bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            parse_secs("soon"),
            Err("`soon` is not a number of seconds".to_owned())
        );
    }

    #[test]
    fn a_typo_suggests_the_closest_endpoint() {
        let err = parse_endpoint("filtred_stream").unwrap_err();
        assert!(err.contains("did you mean `filtered_stream`"), "{err}");
        let err = parse_endpoint("zzz").unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }
}
