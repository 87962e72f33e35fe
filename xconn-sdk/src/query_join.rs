//! X's comma-separated array query parameters (`style: form, explode:
//! false`), which progenitor sends as repeated keys.

/// Rewrite `k=a&k=b` into `k=a,b` for each `k` in `names`, in place of the
/// first occurrence, leaving every other pair byte-for-byte as it was.
///
/// Values are joined in their already-encoded form, so the comma stays a
/// literal separator while a comma inside a value would stay `%2C`.
pub(crate) fn join_repeated_query_params(url: &mut reqwest::Url, names: &[&str]) {
    let Some(query) = url.query() else {
        return;
    };
    // Most requests repeat nothing: leave their URL alone.
    let mut seen = Vec::new();
    let repeats = query
        .split('&')
        .filter_map(|pair| names.iter().find(|n| pair.split('=').next() == Some(n)))
        .any(|name| {
            let repeated = seen.contains(name);
            seen.push(*name);
            repeated
        });
    if !repeats {
        return;
    }
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (pair, None),
        };
        // Keys of this API are plain ASCII, so the raw key is the name.
        let joinable = names.contains(&key);
        match out.iter_mut().find(|(k, _)| joinable && k == key) {
            Some((_, Some(existing))) => {
                existing.push(',');
                existing.push_str(value.unwrap_or_default());
            }
            _ => out.push((key.to_owned(), value.map(str::to_owned))),
        }
    }
    let joined = out
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join("&");
    url.set_query(Some(&joined));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(query: &str) -> String {
        let mut url = reqwest::Url::parse(&format!("http://h/p?{query}")).unwrap();
        join_repeated_query_params(&mut url, &["endpoints", "connection.fields"]);
        url.query().unwrap_or_default().to_owned()
    }

    #[test]
    fn repeated_keys_become_one_comma_separated_value() {
        assert_eq!(
            join(
                "connection.fields=id&connection.fields=client_ip&endpoints=a&max_results=5&endpoints=b"
            ),
            "connection.fields=id,client_ip&endpoints=a,b&max_results=5"
        );
    }

    #[test]
    fn other_keys_and_single_values_are_untouched() {
        assert_eq!(
            join("status=all&x=1&x=2&endpoints=a"),
            "status=all&x=1&x=2&endpoints=a"
        );
        assert_eq!(join("pagination_token=a%2Cb"), "pagination_token=a%2Cb");
    }
}
