//! The request hooks: what every generated request gets on its way out and
//! its response on the way in.

use progenitor_client::{ClientHooks, ClientInfo as _, OperationInfo};

use crate::body_limit::limit_body;
use crate::credentials::Credentials;
use crate::query_join::join_repeated_query_params;
use crate::response_head::{record_request, record_response};
use crate::{COMMA_SEPARATED_QUERY_PARAMS, Client, Error};

/// Per-client settings the request hooks apply.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ClientOptions {
    /// How requests authenticate.
    pub credentials: Credentials,
    /// The most bytes of a response body read; `None` for no limit.
    pub max_response_bytes: Option<usize>,
}

impl ClientOptions {
    /// Options with these credentials and no body limit.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            max_response_bytes: None,
        }
    }

    /// Bound response bodies to `limit` bytes.
    #[must_use]
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }
}

impl From<Credentials> for ClientOptions {
    fn from(credentials: Credentials) -> Self {
        Self::new(credentials)
    }
}

impl ClientHooks<ClientOptions> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        if let Some(authorization) = self.inner().credentials.authorization() {
            request
                .headers_mut()
                .insert(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        collapse_doubled_slashes(request.url_mut());
        join_repeated_query_params(request.url_mut(), COMMA_SEPARATED_QUERY_PARAMS);
        record_request(request);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        record_response(&response);
        Ok(match self.inner().max_response_bytes {
            Some(limit) => limit_body(response, limit),
            None => response,
        })
    }
}

/// The generated code formats `{baseurl}/2/...`, so a base URL given with a
/// trailing slash would send `//2/...`; no path of this API has an empty
/// segment, so collapsing runs of slashes is always what was meant.
fn collapse_doubled_slashes(url: &mut reqwest::Url) {
    if url.path().contains("//") {
        let mut path = String::with_capacity(url.path().len());
        for c in url.path().chars() {
            if !(c == '/' && path.ends_with('/')) {
                path.push(c);
            }
        }
        url.set_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubled_slashes_from_a_trailing_slash_base_url_collapse() {
        let mut url = reqwest::Url::parse("http://h/proxy//2/connections?a=b//c").unwrap();
        collapse_doubled_slashes(&mut url);
        assert_eq!(url.as_str(), "http://h/proxy/2/connections?a=b//c");
    }
}
