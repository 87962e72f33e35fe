//! The client people use: configuration, authentication, retries, tracing.

pub(crate) mod env_token;
pub(crate) mod retry;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::client::env_token::{EnvToken, TOKEN_ENV, TOKEN_FILE_ENV};
use crate::client::retry::{RetryPolicy, SharedSleep, TokioSleep};
use crate::error::{Error, InvalidInput};
use crate::types::rate_limit::RateLimit;
use crate::wire::response::{Success, finish};
use crate::wire::{Exchange, Operation, Sdk, SdkClient, SdkResult, Token};

/// The `tracing` target of the one DEBUG event per HTTP attempt.
pub const HTTP_LOG_TARGET: &str = "xconn_ext::http";

/// The production API.
pub const DEFAULT_BASE_URL: &str = xconn_sdk::spec::SERVER_URL;
/// Environment variable read by [`Client::from_env`] for the base URL.
pub const BASE_URL_ENV: &str = "X_API_BASE_URL";
/// The response body limit unless configured otherwise (8 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// The `User-Agent` sent unless configured otherwise.
pub const USER_AGENT: &str = concat!("xconn/", env!("CARGO_PKG_VERSION"));

/// A client of the Stream Connections API.
///
/// Cheap to clone (one `Arc`) and safe to share across tasks; clones share
/// the connection pool. Build one with [`Client::builder`] or
/// [`Client::from_env`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// The one generated client every request goes through.
    sdk: Sdk,
    base_url: String,
    retry: RetryPolicy,
    sleep: SharedSleep,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately not the generated client: nothing token-bearing here.
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the environment: the token from `X_BEARER_TOKEN`, or
    /// else from the file `X_BEARER_TOKEN_FILE` names (as the `xconn` CLI
    /// reads them, see [`EnvToken::from_env`]), and `X_API_BASE_URL` when set.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when there is no token, when both token
    /// variables are set, or when the file cannot be read (the message names
    /// the variable and the path, never the token); and what
    /// [`ClientBuilder::build`] refuses.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().from_env().build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The raw generated client, for anything this crate does not wrap.
    pub fn sdk(&self) -> &SdkClient {
        &self.inner.sdk
    }

    /// How this client waits ([`ClientBuilder::sleep_impl`]); the watch
    /// waits through it too unless told otherwise.
    pub(crate) fn sleep(&self) -> &SharedSleep {
        &self.inner.sleep
    }

    /// This client with another retry policy (same pool, token and sleep):
    /// the watcher retries at its own level, so that every failure is seen.
    pub(crate) fn with_retry_policy(&self, retry: RetryPolicy) -> Client {
        let inner = &self.inner;
        Client {
            inner: Arc::new(Inner {
                sdk: Arc::clone(&inner.sdk),
                base_url: inner.base_url.clone(),
                retry,
                sleep: Arc::clone(&inner.sleep),
                timeout: inner.timeout,
            }),
        }
    }

    /// Send one operation with retries, a per-attempt timeout and a span.
    ///
    /// `send` builds and sends the request on the shared generated client
    /// each attempt (requests are rebuilt, never reused). What the attempt
    /// sent and received comes back from its own capture scope, so
    /// concurrent requests never see each other's responses.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        operation: &Operation,
        send: F,
    ) -> Result<Success<T>, Error>
    where
        T: DeserializeOwned,
        F: Fn(Sdk) -> Fut,
        Fut: Future<Output = SdkResult<T>>,
    {
        let timeout = self.inner.timeout;
        let method = operation.method.as_str();
        let path = operation.path();
        let mut attempt = 1u32;
        loop {
            let span = tracing::info_span!(
                "xconn.request",
                method,
                path,
                attempt,
                status = tracing::field::Empty,
                rate_limit_remaining = tracing::field::Empty,
            );
            let started = Instant::now();
            let (outcome, exchange) = crate::wire::capture_exchange(async {
                match tokio::time::timeout(timeout, async {
                    finish(send(Arc::clone(&self.inner.sdk)).await).await
                })
                .await
                {
                    Ok(result) => result,
                    Err(_) => Err(Error::Timeout {
                        elapsed: Some(timeout),
                        source: None,
                    }),
                }
            })
            .instrument(span.clone())
            .await;
            let latency = started.elapsed();

            record_outcome(&span, &outcome);
            let error = match outcome {
                Ok(success) => {
                    log_attempt(&span, operation, &exchange, latency, Decision::Done);
                    return Ok(success);
                }
                Err(error) => error,
            };
            match self
                .inner
                .retry
                .delay(attempt, &error, operation.idempotent)
            {
                Some(delay) => {
                    log_attempt(&span, operation, &exchange, latency, Decision::Retry(delay));
                    tracing::warn!(
                        parent: &span,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %error,
                        "retrying"
                    );
                    self.inner.sleep.sleep(delay).await;
                    attempt += 1;
                }
                None => {
                    log_attempt(&span, operation, &exchange, latency, Decision::GiveUp);
                    tracing::debug!(parent: &span, error = %error, "request failed");
                    return Err(error);
                }
            }
        }
    }
}

/// What the client does after one attempt.
#[derive(Debug, Clone, Copy)]
enum Decision {
    /// It succeeded.
    Done,
    /// It failed and is retried after the delay.
    Retry(Duration),
    /// It failed and the error is returned.
    GiveUp,
}

/// The one DEBUG event per HTTP attempt (target [`HTTP_LOG_TARGET`]): what
/// was sent (method, path, query: never a header, so never the token), what
/// came back and what happens next.
fn log_attempt(
    span: &tracing::Span,
    operation: &Operation,
    exchange: &Exchange,
    latency: Duration,
    decision: Decision,
) {
    // Its fields are worked out (headers parsed, the query found) only
    // when someone listens: this runs once per request.
    if !tracing::enabled!(target: HTTP_LOG_TARGET, tracing::Level::DEBUG) {
        return;
    }
    let response = exchange.response.as_ref();
    let status = response.map(|head| head.status.as_u16());
    let rate_limit_remaining = response
        .and_then(|head| RateLimit::from_headers(&head.headers))
        .and_then(|rl| rl.remaining);
    let query = exchange
        .request
        .as_ref()
        .and_then(|request| request.url.query());
    let (retry, retry_delay_ms) = match decision {
        Decision::Done => ("done", None),
        Decision::Retry(delay) => ("retry", Some(delay.as_millis() as u64)),
        Decision::GiveUp => ("give_up", None),
    };
    tracing::debug!(
        target: HTTP_LOG_TARGET,
        parent: span,
        method = operation.method.as_str(),
        path = operation.path(),
        query,
        status,
        latency_ms = latency.as_millis() as u64,
        rate_limit_remaining,
        retry,
        retry_delay_ms,
        "http attempt"
    );
}

fn record_outcome<T>(span: &tracing::Span, outcome: &Result<Success<T>, Error>) {
    let (status, rate_limit) = match outcome {
        Ok(s) => (Some(200), s.rate_limit),
        Err(Error::RateLimited(e)) => (Some(e.status), e.rate_limit),
        Err(Error::Api(e)) => (Some(e.status), e.rate_limit),
        Err(e) => (e.status(), None),
    };
    if let Some(status) = status {
        span.record("status", status);
    }
    if let Some(remaining) = rate_limit.and_then(|rl| rl.remaining) {
        span.record("rate_limit_remaining", remaining);
    }
}

/// Configuration for a [`Client`].
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `.build()`"]
pub struct ClientBuilder {
    token: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: Option<RetryPolicy>,
    http: Option<reqwest::Client>,
    allow_insecure_http: bool,
    sleep: Option<SharedSleep>,
    max_response_bytes: Option<usize>,
    /// Why [`ClientBuilder::from_env`] could not read the token, returned
    /// by `build()` (the builder's methods do not fail).
    env_error: Option<InvalidInput>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("env_error", &self.env_error)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The app's bearer token (app-only auth).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Read the token from `X_BEARER_TOKEN`, or else from the file
    /// `X_BEARER_TOKEN_FILE` names (trailing whitespace trimmed; see
    /// [`EnvToken::from_env`]), and `X_API_BASE_URL` when set. Explicit
    /// settings made before this call are overridden only by set variables.
    /// A token that cannot be read (both variables set, an unreadable or
    /// empty file) makes [`ClientBuilder::build`] fail with that error.
    pub fn from_env(mut self) -> Self {
        match EnvToken::from_env() {
            Ok(Some(token)) => self.token = Some(token.into_token()),
            Ok(None) => {}
            Err(e) => self.env_error = Some(e),
        }
        if let Ok(url) = std::env::var(BASE_URL_ENV)
            && !url.trim().is_empty()
        {
            self.base_url = Some(url);
        }
        self
    }

    /// Where the API is (default `https://api.x.com`). A path prefix is kept:
    /// `https://proxy.example/x` sends to `https://proxy.example/x/2/connections`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The most one attempt may take, response body included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The most connecting may take (default 10 s). Ignored with
    /// [`ClientBuilder::http_client`], whose own setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` (default `xconn/<version>`). Ignored with
    /// [`ClientBuilder::http_client`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Use this `reqwest::Client` (its pool, proxy and TLS settings). The
    /// token is still added per request, marked sensitive.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Allow sending the token over plain `http://` to a host that is not
    /// loopback. Off by default: a bearer token in clear text is a leak.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The most bytes of a response body read (default 8 MiB; a full page of
    /// 100 connections is about 25 KiB). Past it the request fails with
    /// [`Error::ResponseTooLarge`] and memory stays bounded.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// How to wait between retries, and between a watch's polls (default:
    /// tokio's timer).
    pub fn sleep_impl(mut self, sleep: SharedSleep) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Check the settings and build the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(error) = self.env_error {
            return Err(error.into());
        }
        let token = self.token.as_deref().map(str::trim).unwrap_or_default();
        if token.is_empty() {
            return Err(Error::invalid(
                "bearer_token",
                format!("no bearer token; set one or export {TOKEN_ENV} or {TOKEN_FILE_ENV}"),
            ));
        }
        let token = Token::bearer(token)?;
        let base_url = validate_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        let max_response_bytes = self
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(Error::invalid(
                "max_response_bytes",
                "must be more than zero",
            ));
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(30));
        if timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be more than zero"));
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .user_agent(self.user_agent.as_deref().unwrap_or(USER_AGENT))
                // The API never redirects; following one could hand the
                // request (and, same-host, the token) to someone else.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::invalid("http_client", e.to_string()))?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                sdk: crate::wire::sdk(&base_url, http, token, max_response_bytes),
                base_url,
                retry: self.retry.unwrap_or_default(),
                sleep: self.sleep.unwrap_or_else(|| Arc::new(TokioSleep)),
                timeout,
            }),
        })
    }
}

/// Parse and normalise the base URL; refuse clear text to remote hosts.
fn validate_base_url(raw: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| Error::invalid("base_url", format!("`{raw}` is not a URL: {e}")))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "base_url",
            "must not have a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid("base_url", "must not contain credentials"));
    }
    let host = url
        .host()
        .ok_or_else(|| Error::invalid("base_url", format!("`{raw}` has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match host {
                url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            };
            if !loopback && !allow_insecure_http {
                return Err(Error::invalid(
                    "base_url",
                    format!(
                        "`{raw}` is plain http to a non-loopback host; the token would travel \
                         in clear text (use https, or allow_insecure_http(true))"
                    ),
                ));
            }
        }
        other => {
            return Err(Error::invalid(
                "base_url",
                format!("scheme `{other}` is not http or https"),
            ));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let ok = |u: &str| validate_base_url(u, false).unwrap();
        assert_eq!(ok("https://api.x.com/"), "https://api.x.com");
        assert_eq!(ok("https://proxy.example/x/"), "https://proxy.example/x");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://[::1]:80/p"), "http://[::1]/p");
        assert_eq!(ok("http://localhost:1"), "http://localhost:1");
        for bad in [
            "http://api.x.com",
            "ftp://x",
            "not a url",
            "https://h/?q=1",
            "https://u:p@h",
        ] {
            let err = validate_base_url(bad, false).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput(i) if i.field() == "base_url"),
                "{bad}: {err}"
            );
        }
        assert!(validate_base_url("http://api.x.com", true).is_ok());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let builder = Client::builder()
            .bearer_token("very-secret-token")
            .base_url("http://127.0.0.1:9");
        assert!(!format!("{builder:?}").contains("very-secret-token"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("very-secret-token"));
    }

    #[test]
    fn a_token_is_required() {
        let err = Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("bearer token"), "{err}");
    }
}
