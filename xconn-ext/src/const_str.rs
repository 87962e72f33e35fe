//! `const` string helpers, for the compile-time checks against
//! `xconn_sdk::spec` (`==` on `str` and on slices is not `const`).
//!
//! The bottom of the crate: it imports nothing of it, so every layer may
//! use it.

/// `const` string equality.
pub(crate) const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `const` equality of two lists of names, in order.
pub(crate) const fn same_names(ours: &[&str], spec: &[&str]) -> bool {
    if ours.len() != spec.len() {
        return false;
    }
    let mut i = 0;
    while i < ours.len() {
        if !same(ours[i], spec[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// `const` `str::starts_with` (the sandbox checks its invented disconnect
/// reasons carry their marker).
#[cfg(any(test, feature = "sandbox"))]
pub(crate) const fn starts_with(s: &str, prefix: &str) -> bool {
    let (s, prefix) = (s.as_bytes(), prefix.as_bytes());
    if s.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if s[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `uri` ends in `/` then `slug` (the sandbox finds the spec's
/// problem type URIs by slug).
#[cfg(any(test, feature = "sandbox"))]
pub(crate) const fn ends_with_segment(uri: &str, slug: &str) -> bool {
    let (uri, tail) = (uri.as_bytes(), slug.as_bytes());
    if uri.len() <= tail.len() || uri[uri.len() - tail.len() - 1] != b'/' {
        return false;
    }
    let mut k = 0;
    while k < tail.len() {
        if uri[uri.len() - tail.len() + k] != tail[k] {
            return false;
        }
        k += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_is_str_starts_with() {
        for (s, prefix) in [
            ("sandbox_x", "sandbox_"),
            ("sandbox", "sandbox_"),
            ("x", ""),
            ("", "a"),
        ] {
            assert_eq!(
                starts_with(s, prefix),
                s.starts_with(prefix),
                "{s} {prefix}"
            );
        }
    }

    #[test]
    fn same_compares_whole_strings() {
        assert!(same("", ""));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert!(same_names(&["a", "b"], &["a", "b"]));
        assert!(!same_names(&["a", "b"], &["b", "a"]));
        assert!(!same_names(&["a"], &["a", "b"]));
    }

    #[test]
    fn a_segment_ends_after_a_slash() {
        assert!(ends_with_segment("https://h/2/problems/x-y", "x-y"));
        assert!(!ends_with_segment("https://h/2/problems/ax-y", "x-y"));
        assert!(!ends_with_segment("x-y", "x-y"));
    }
}
