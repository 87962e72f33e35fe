//! Query-string parsing and validation for `GET /2/connections`, and pagination tokens.

use serde_json::{Map, Value, json};

use xconn_sdk::spec;

use super::data::{CONNECTION_FIELDS, DEFAULT_CONNECTION_FIELDS, ENDPOINTS};
use crate::types::enums::ConnectionStatus;

/// The query parameters `GET /2/connections` accepts (the spec's).
const KNOWN_PARAMS: &[&str] = crate::wire::LIST_CONNECTIONS_SPEC.query_params;

/// The page size without `max_results`.
const MAX_RESULTS_DEFAULT: usize = match spec::MAX_RESULTS_DEFAULT {
    Some(n) => n as usize,
    None => spec::MAX_RESULTS_MAX as usize,
};

const _: () = assert!(
    ENDPOINTS.len() <= u16::BITS as usize,
    "more endpoints than the sandbox's endpoint bitmask holds: widen `ListQuery::endpoints` \
     in xconn-ext/src/sandbox/query.rs"
);

/// One entry of an invalid-request problem's `errors` array.
#[derive(Debug, Clone)]
pub(crate) struct ParamError {
    pub(crate) parameter: String,
    pub(crate) values: Vec<String>,
    pub(crate) message: String,
}

impl ParamError {
    pub(crate) fn new(parameter: &str, values: Vec<String>, message: String) -> Self {
        Self {
            parameter: parameter.to_owned(),
            values,
            message,
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut parameters = Map::new();
        if !self.parameter.is_empty() {
            parameters.insert(self.parameter.clone(), json!(self.values));
        }
        json!({ "parameters": parameters, "message": self.message })
    }
}

/// Which connections a listing selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusFilter {
    Active,
    Inactive,
    All,
}

impl From<ConnectionStatus> for StatusFilter {
    fn from(status: ConnectionStatus) -> Self {
        // Exhaustive inside this crate: a new status fails the build here.
        match status {
            ConnectionStatus::Active => Self::Active,
            ConnectionStatus::Inactive => Self::Inactive,
            ConnectionStatus::All => Self::All,
        }
    }
}

/// A validated `GET /2/connections` request.
#[derive(Debug, Clone)]
pub(crate) struct ListQuery {
    pub(crate) status: StatusFilter,
    /// Bit `i` set: endpoint `ENDPOINTS[i]` is selected. All bits set when absent.
    pub(crate) endpoints: u16,
    pub(crate) max_results: usize,
    /// Global index to resume from.
    pub(crate) start: usize,
    pub(crate) fields: Vec<&'static str>,
}

impl ListQuery {
    /// Identifies the filter, so a token from one listing is refused by another.
    pub(crate) fn fingerprint(status: StatusFilter, endpoints: u16, seed: u64) -> u64 {
        // FNV-1a over the filter and the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let status = match status {
            StatusFilter::Active => 1u8,
            StatusFilter::Inactive => 2,
            StatusFilter::All => 3,
        };
        let bytes = [status]
            .into_iter()
            .chain(endpoints.to_le_bytes())
            .chain(seed.to_le_bytes());
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
}

/// Encodes the global resume index and the filter fingerprint as an opaque token.
pub(crate) fn encode_token(start: usize, fingerprint: u64) -> String {
    let start = start as u64;
    // Mix the index so tokens do not look like counters.
    let mixed = start ^ fingerprint.rotate_left(17);
    format!("{mixed:016x}{fingerprint:016x}")
}

/// The inverse of [`encode_token`]; `None` for anything it did not produce for this filter.
pub(crate) fn decode_token(token: &str, fingerprint: u64) -> Option<usize> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mixed = u64::from_str_radix(token.get(..16)?, 16).ok()?;
    let fp = u64::from_str_radix(token.get(16..)?, 16).ok()?;
    if fp != fingerprint {
        return None;
    }
    let start = mixed ^ fingerprint.rotate_left(17);
    let start = usize::try_from(start).ok()?;
    (start > 0).then_some(start)
}

/// Decodes `%XX` escapes and `+` (as space); malformed escapes are kept literally.
pub(crate) fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                if let (Some(h), Some(l)) = (hi, lo) {
                    // Two hex digits: at most 0xFF, fits a byte.
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a raw query string into decoded `(key, value)` pairs, in order.
pub(crate) fn parse_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

fn one_of(param: &str, value: &str, allowed: &[&str]) -> ParamError {
    ParamError::new(
        param,
        vec![value.to_owned()],
        format!(
            "The `{param}` query parameter value [{value}] is not one of [{}]",
            allowed.join(",")
        ),
    )
}

/// Validates a `GET /2/connections` query; `Err` holds every problem found.
pub(crate) fn parse_list_query(raw: Option<&str>, seed: u64) -> Result<ListQuery, Vec<ParamError>> {
    let pairs = parse_pairs(raw.unwrap_or(""));
    let mut errors = Vec::new();

    // Unknown and repeated keys first; their values are not looked at further.
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in &pairs {
        if seen.contains(&key.as_str()) {
            continue;
        }
        seen.push(key);
        let values: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect();
        if !KNOWN_PARAMS.contains(&key.as_str()) {
            errors.push(ParamError::new(
                key,
                values,
                format!(
                    "The query parameter [{key}] is not one of [{}]",
                    KNOWN_PARAMS.join(",")
                ),
            ));
        } else if values.len() > 1 {
            errors.push(ParamError::new(
                key,
                values,
                format!("The query parameter [{key}] was specified more than once"),
            ));
        }
    }
    let get = |name: &str| -> Option<&str> {
        let mut it = pairs.iter().filter(|(k, _)| k == name);
        match (it.next(), it.next()) {
            (Some((_, v)), None) => Some(v.as_str()),
            _ => None,
        }
    };

    let status = match get("status").map(str::parse::<ConnectionStatus>) {
        None => StatusFilter::from(ConnectionStatus::default()),
        Some(Ok(status)) => StatusFilter::from(status),
        Some(Err(e)) => {
            errors.push(one_of("status", e.value(), ConnectionStatus::NAMES));
            StatusFilter::from(ConnectionStatus::default())
        }
    };

    let mut endpoints: u16 = u16::MAX >> (u16::BITS as usize - ENDPOINTS.len());
    if let Some(list) = get("endpoints") {
        endpoints = 0;
        for item in list.split(',') {
            match ENDPOINTS.iter().position(|e| *e == item) {
                Some(i) => endpoints |= 1 << i,
                None => errors.push(one_of("endpoints", item, ENDPOINTS)),
            }
        }
    }

    let mut fields: Vec<&'static str> = DEFAULT_CONNECTION_FIELDS.to_vec();
    if let Some(list) = get("connection.fields") {
        fields.clear();
        for item in list.split(',') {
            match CONNECTION_FIELDS.iter().find(|f| **f == item) {
                Some(f) if fields.contains(f) => {}
                Some(f) => fields.push(f),
                None => errors.push(one_of("connection.fields", item, CONNECTION_FIELDS)),
            }
        }
    }

    let mut max_results = MAX_RESULTS_DEFAULT;
    if let Some(v) = get("max_results") {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(ParamError::new(
                "max_results",
                vec![v.to_owned()],
                format!("The `max_results` query parameter value [{v}] is not a valid integer"),
            ));
        } else {
            let (min, max) = (spec::MAX_RESULTS_MIN, spec::MAX_RESULTS_MAX);
            match v.parse::<u32>().ok().filter(|n| (min..=max).contains(n)) {
                Some(n) => max_results = n as usize,
                None => errors.push(ParamError::new(
                    "max_results",
                    vec![v.to_owned()],
                    format!(
                        "The `max_results` query parameter value [{v}] is not between {min} and \
                         {max}"
                    ),
                )),
            }
        }
    }

    let mut start = 0;
    if let Some(token) = get("pagination_token") {
        match decode_token(token, ListQuery::fingerprint(status, endpoints, seed)) {
            Some(s) => start = s,
            None => errors.push(ParamError::new(
                "pagination_token",
                vec![token.to_owned()],
                format!(
                    "The `pagination_token` query parameter value [{token}] is not a valid pagination token"
                ),
            )),
        }
    }

    if errors.is_empty() {
        Ok(ListQuery {
            status,
            endpoints,
            max_results,
            start,
            fields,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode() {
        assert_eq!(percent_decode("a%2Cb+c"), "a,b c");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn tokens_round_trip_and_bind_to_filter() {
        let fp = ListQuery::fingerprint(StatusFilter::All, 3, 9);
        let other = ListQuery::fingerprint(StatusFilter::Active, 3, 9);
        let t = encode_token(42, fp);
        assert_eq!(decode_token(&t, fp), Some(42));
        assert_eq!(decode_token(&t, other), None);
        assert_eq!(decode_token("nope", fp), None);
        assert_eq!(decode_token(&encode_token(0, fp), fp), None);
        assert_eq!(decode_token("é".repeat(16).as_str(), fp), None);
    }

    #[test]
    fn defaults_and_errors() {
        let q = parse_list_query(None, 0).unwrap();
        assert_eq!(q.status, StatusFilter::Active);
        assert_eq!(q.max_results, 10);
        assert_eq!(q.fields, DEFAULT_CONNECTION_FIELDS.to_vec());

        for bad in [
            "max_results=0",
            "max_results=101",
            "max_results=abc",
            "max_results=",
            "max_results=99999999999999999999999",
            "status=gone",
            "endpoints=nope",
            "endpoints=",
            "connection.fields=ip",
            "status=all&status=all",
            "foo=bar",
            "pagination_token=zzz",
        ] {
            let errs = parse_list_query(Some(bad), 0).unwrap_err();
            assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
        }
        let errs = parse_list_query(Some("max_results=0&status=x"), 0).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(
            errs[0].to_json(),
            json!({"parameters":{"status":["x"]},"message":"The `status` query parameter value [x] is not one of [active,inactive,all]"})
        );
    }
}
