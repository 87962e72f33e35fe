//! A cap on how much of a response body is read.

/// A response body was larger than [`ClientOptions::max_response_bytes`](crate::ClientOptions::max_response_bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseTooLarge {
    /// The limit that was exceeded.
    pub limit: usize,
}

impl std::fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "response body exceeds the limit of {} bytes", self.limit)
    }
}

impl std::error::Error for ResponseTooLarge {}

/// The same response, with a body that fails once more than `limit` bytes
/// have arrived (or at once, when `Content-Length` already says so), so
/// that the generated code's `bytes()` never buffers more than `limit`.
pub(crate) fn limit_body(response: reqwest::Response, limit: usize) -> reqwest::Response {
    use futures::StreamExt as _;

    let declared = response.content_length();
    // hyper reads exactly `Content-Length` bytes and no more, so a declared
    // length within the limit needs no counting (the common case).
    if declared.is_some_and(|n| n <= limit as u64) {
        return response;
    }
    let declared_too_large = declared.is_some();
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let mut seen = 0usize;
    let body = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen = seen.saturating_add(chunk.len());
        if declared_too_large || seen > limit {
            return Err(std::io::Error::other(ResponseTooLarge { limit }));
        }
        Ok(chunk)
    });
    let mut limited = http::Response::new(reqwest::Body::wrap_stream(body));
    *limited.status_mut() = status;
    *limited.version_mut() = version;
    *limited.headers_mut() = headers;
    reqwest::Response::from(limited)
}
