//! `Credentials`: how requests authenticate, never shown in `Debug`.

/// How requests authenticate: X's app-only bearer token, or nothing.
///
/// Kept as a ready `Authorization` header value marked sensitive, so that
/// neither this type's `Debug`, nor the generated `Client`'s, nor reqwest's
/// logging shows the token.
#[derive(Clone, Default)]
pub struct Credentials {
    authorization: Option<reqwest::header::HeaderValue>,
}

impl Credentials {
    /// Send `Authorization: Bearer <token>` with every request.
    ///
    /// Fails when the token cannot be a header value (a newline, say); the
    /// error does not contain the token.
    pub fn bearer(token: &str) -> Result<Self, reqwest::header::InvalidHeaderValue> {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?;
        value.set_sensitive(true);
        Ok(Self {
            authorization: Some(value),
        })
    }

    /// Send no `Authorization` header.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether a token is set.
    pub fn is_set(&self) -> bool {
        self.authorization.is_some()
    }

    /// The `Authorization` header value (marked sensitive), if any.
    pub(crate) fn authorization(&self) -> Option<&reqwest::header::HeaderValue> {
        self.authorization.as_ref()
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = if self.is_set() {
            "Bearer <redacted>"
        } else {
            "none"
        };
        f.debug_tuple("Credentials").field(&shown).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    #[test]
    fn credentials_debug_never_shows_the_token() {
        let credentials = Credentials::bearer("s3cr3t-token").unwrap();
        let client = Client::new("http://127.0.0.1:1", credentials.clone().into());
        for shown in [format!("{credentials:?}"), format!("{client:?}")] {
            assert!(!shown.contains("s3cr3t-token"), "{shown}");
        }
        assert!(Credentials::bearer("two\nlines").is_err());
    }
}
