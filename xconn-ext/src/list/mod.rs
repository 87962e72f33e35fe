//! Listing connections: one page, a stream of pages, or a stream of records.

mod connection_stream;

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use futures::stream::{self, BoxStream, StreamExt};

pub use connection_stream::ConnectionStream;

use crate::client::Client;
use crate::error::Error;
use crate::types::enums::{ConnectionField, ConnectionStatus, StreamEndpoint};
use crate::types::page::Page;
use crate::wire::{self, ListQuery};

/// The largest `max_results` the API accepts (the spec's maximum).
pub const MAX_RESULTS_LIMIT: u32 = xconn_sdk::spec::MAX_RESULTS_MAX;

impl Page {
    /// Decode a `GET /2/connections` response body, e.g. one saved from an
    /// earlier call or a test fixture. A body that does not decode is an
    /// [`Error::Decode`] naming the JSON path where it failed.
    pub fn from_slice(body: &[u8]) -> Result<Self, Error> {
        match serde_json::from_slice::<wire::ListResponse>(body) {
            Ok(decoded) => Ok(wire::page(decoded, None)),
            Err(e) => Err(crate::error::classify::decode_body_error::<
                wire::ListResponse,
            >(200, &Default::default(), body, e)),
        }
    }
}

/// A `GET /2/connections` request; see [`Client::connections`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send()`, `.pages()` or `.stream()`"]
pub struct ListConnections {
    client: Client,
    status: Option<ConnectionStatus>,
    endpoints: Option<Vec<StreamEndpoint>>,
    fields: Option<Vec<ConnectionField>>,
    max_results: Option<u32>,
    pagination_token: Option<String>,
    max_pages: Option<usize>,
    allow_partial_errors: bool,
}

impl Client {
    /// List the app's connections (`GET /2/connections`).
    ///
    /// By default every field of a record is asked for
    /// (`connection.fields` = every field of the spec,
    /// [`ConnectionField::ALL`]), so `id` and the rest are present; the
    /// API's own default, when no field is named, leaves `id` out.
    /// [`ListConnections::fields`] narrows the list. The other parameters
    /// are left to the API's defaults (active connections, its default page
    /// size) unless set.
    ///
    /// [`ListConnections::stream`] does not drop the partial errors the API
    /// may send beside the data: see [`ConnectionStream`].
    pub fn connections(&self) -> ListConnections {
        ListConnections {
            client: self.clone(),
            status: None,
            endpoints: None,
            fields: None,
            max_results: None,
            pagination_token: None,
            max_pages: None,
            allow_partial_errors: false,
        }
    }
}

impl ListConnections {
    /// Which connections: active (the API's default), inactive or all.
    pub fn status(mut self, status: ConnectionStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only these endpoints (at least one, no repeats, known names only).
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = StreamEndpoint>) -> Self {
        self.endpoints = Some(endpoints.into_iter().collect());
        self
    }

    /// Only these fields in each record (at least one, no repeats), instead
    /// of every field (the default).
    pub fn fields(mut self, fields: impl IntoIterator<Item = ConnectionField>) -> Self {
        self.fields = Some(fields.into_iter().collect());
        self
    }

    /// Records per page, [`xconn_sdk::spec::MAX_RESULTS_MIN`] to
    /// [`MAX_RESULTS_LIMIT`] (1 to 100 in spec 2.167; the API's default is 10).
    pub fn max_results(mut self, max_results: u32) -> Self {
        self.max_results = Some(max_results);
        self
    }

    /// Start from this token (a saved [`Page::next_token`]) to resume.
    pub fn pagination_token(mut self, token: impl Into<String>) -> Self {
        self.pagination_token = Some(token.into());
        self
    }

    /// With [`ListConnections::stream`], accept partial errors: the stream
    /// ends with its last record even when pages carried `errors` (read
    /// them from [`ConnectionStream::partial_errors`]), instead of ending
    /// with [`Error::PartialErrors`]. [`ListConnections::pages`] shows them
    /// on every [`Page::errors`] either way.
    pub fn allow_partial_errors(mut self) -> Self {
        self.allow_partial_errors = true;
        self
    }

    /// With [`ListConnections::pages`] and [`ListConnections::stream`],
    /// stop after this many pages (at least 1).
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = Some(max_pages);
        self
    }

    fn validate(&self) -> Result<ListQuery, Error> {
        const MIN: u32 = xconn_sdk::spec::MAX_RESULTS_MIN;
        if let Some(n) = self.max_results
            && !(MIN..=MAX_RESULTS_LIMIT).contains(&n)
        {
            return Err(Error::invalid(
                "max_results",
                format!("{n} is not between {MIN} and {MAX_RESULTS_LIMIT}"),
            ));
        }
        if let Some(token) = &self.pagination_token
            && (token.is_empty() || token.chars().any(char::is_control))
        {
            return Err(Error::invalid(
                "pagination_token",
                "must be a non-empty token from a previous page",
            ));
        }
        if self.max_pages == Some(0) {
            return Err(Error::invalid("max_pages", "must be at least 1"));
        }
        if let Some(list) = &self.endpoints {
            check_list(list, "endpoints")?;
        }
        if let Some(list) = &self.fields {
            check_list(list, "connection.fields")?;
        }
        ListQuery::new(
            self.status.clone(),
            self.endpoints.as_deref(),
            self.fields.as_deref(),
            self.max_results,
        )
    }

    /// Fetch one page.
    pub async fn send(self) -> Result<Page, Error> {
        let query = self.validate()?;
        fetch(&self.client, &query, self.pagination_token.as_deref()).await
    }

    /// All pages (a boxed, `Unpin` stream), following `next_token`, one
    /// request per page as the stream is polled. Ends after the last page,
    /// after [`ListConnections::max_pages`], or after the first error. A
    /// `next_token` the server already gave (a cycle) ends it with
    /// [`Error::RepeatedToken`], after the page that carried it.
    pub fn pages(self) -> BoxStream<'static, Result<Page, Error>> {
        // Validated now, said on the first poll: invalid input is an error
        // even with a cap.
        let start = (self.cursor(), 0usize);
        stream::try_unfold(start, |(cursor, fetched)| async move {
            let mut cursor = cursor?;
            // A repeated token is said before the cap is looked at.
            if !cursor.more()? || cursor.request.max_pages.is_some_and(|max| fetched >= max) {
                return Ok(None);
            }
            let Some(page) = cursor.next_page(None).await? else {
                return Ok(None);
            };
            Ok(Some((page, (Ok(cursor), fetched + 1))))
        })
        .boxed()
    }

    /// A cursor over this listing's pages, from
    /// [`ListConnections::pagination_token`] (or the first page); the
    /// request is validated here, before anything is sent.
    pub(crate) fn cursor(self) -> Result<PageCursor, Error> {
        let query = self.validate()?;
        let mut seen = SeenTokens::default();
        if let Some(token) = &self.pagination_token {
            seen.insert(token);
        }
        Ok(PageCursor {
            next: Next::Fetch(self.pagination_token.clone()),
            request: self,
            query,
            seen,
        })
    }

    /// Every connection across all pages, fetched lazily: memory holds one
    /// page at a time, and `take(n)` stops the requests too.
    ///
    /// Nothing the API says beside the records is dropped: a listing whose
    /// pages carried partial errors (`errors` beside `data`) yields every
    /// record, then ends with [`Error::PartialErrors`] holding them all,
    /// unless [`ListConnections::allow_partial_errors`] was called; and
    /// [`ConnectionStream::partial_errors`] and
    /// [`ConnectionStream::rate_limit`] can be read at any time. Ends after
    /// the first error, like [`ListConnections::pages`].
    pub fn stream(self) -> ConnectionStream {
        let allow = self.allow_partial_errors;
        ConnectionStream::new(self.pages(), allow)
    }
}

/// The one way this crate pages through a listing: it follows
/// `next_token` page by page and owns the guard against a token cycle
/// ([`SeenTokens`]). [`ListConnections::pages`] and the watch both page
/// through it.
///
/// A failed request leaves the cursor where it was, so the caller may send
/// the same page again (the watch retries that way).
#[derive(Debug)]
pub(crate) struct PageCursor {
    /// The listing (its client, filters and caps), kept to size a page
    /// other than the query's.
    request: ListConnections,
    /// The validated query of every page of the default size.
    query: ListQuery,
    seen: SeenTokens,
    next: Next,
}

/// What a [`PageCursor`] does next.
#[derive(Debug)]
enum Next {
    /// Fetch the page at this token (`None`: the first page).
    Fetch(Option<String>),
    /// The last page repeated a token: it was returned, now say so.
    Fail(Error),
    /// The listing is over.
    Done,
}

impl PageCursor {
    /// Whether a page is left to fetch: `Ok(false)` once the listing is
    /// over, and, once, [`Error::RepeatedToken`] when the last page carried
    /// a `next_token` the listing already gave (after which it is over).
    pub(crate) fn more(&mut self) -> Result<bool, Error> {
        match std::mem::replace(&mut self.next, Next::Done) {
            Next::Fail(error) => Err(error),
            Next::Done => Ok(false),
            fetch @ Next::Fetch(_) => {
                self.next = fetch;
                Ok(true)
            }
        }
    }

    /// Fetch the next page (`None` when the listing is over), of
    /// `max_results` records when given (checked like
    /// [`ListConnections::max_results`]), else of the listing's own size.
    pub(crate) async fn next_page(
        &mut self,
        max_results: Option<u32>,
    ) -> Result<Option<Page>, Error> {
        if !self.more()? {
            return Ok(None);
        }
        let Next::Fetch(token) = &self.next else {
            return Ok(None);
        };
        let sized;
        let query = match max_results {
            Some(n) if Some(n) != self.request.max_results => {
                sized = self.request.clone().max_results(n).validate()?;
                &sized
            }
            _ => &self.query,
        };
        let page = fetch(&self.request.client, query, token.as_deref()).await?;
        self.next = match &page.next_token {
            None => Next::Done,
            Some(next) if self.seen.insert(next) => Next::Fetch(Some(next.clone())),
            // The page itself is good: it is returned, the error comes next.
            Some(next) => Next::Fail(Error::RepeatedToken {
                token: next.clone(),
            }),
        };
        Ok(Some(page))
    }
}

/// Every `next_token` a listing has seen, to detect a cycle exactly.
///
/// The tokens share one growing buffer instead of taking an allocation
/// each: a long listing would otherwise leave one small, long-lived
/// allocation behind every page, amid the page's short-lived ones, and the
/// fragmented heap made decoding every later page slower (measured: about
/// 5% of the CPU time of a 1000-page listing; see `BENCHMARKS.md`).
#[derive(Debug, Default)]
struct SeenTokens {
    /// A hash of each token, to tell a new token cheaply.
    hashes: HashSet<u64>,
    hasher: RandomState,
    /// The tokens, end to end; `ends[i]` is where token `i` ends.
    text: String,
    ends: Vec<usize>,
}

impl SeenTokens {
    /// Record `token`; `false` if it was already seen.
    fn insert(&mut self, token: &str) -> bool {
        let hash = self.hasher.hash_one(token);
        // A known hash is almost always a repeat; compare the text to be
        // sure (this runs about once per listing, so a scan is fine).
        if !self.hashes.insert(hash) && self.tokens().any(|seen| seen == token) {
            return false;
        }
        self.text.push_str(token);
        self.ends.push(self.text.len());
        true
    }

    fn tokens(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.text[start..end])
    }
}

async fn fetch(client: &Client, query: &ListQuery, token: Option<&str>) -> Result<Page, Error> {
    let token = token.map(str::to_owned);
    let success = client
        .call(&wire::LIST_CONNECTIONS, |sdk| {
            wire::list_connections(sdk, query.clone(), token.clone())
        })
        .await?;
    Ok(wire::page(success.body, success.rate_limit))
}

/// A list filter names at least one value and none twice.
fn check_list<E: AsRef<str>>(list: &[E], field: &'static str) -> Result<(), Error> {
    if list.is_empty() {
        return Err(Error::invalid(field, "must name at least one value"));
    }
    let mut seen = HashSet::new();
    for item in list {
        let name = item.as_ref();
        if !seen.insert(name) {
            return Err(Error::invalid(field, format!("`{name}` is listed twice")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_tokens_tell_repeats_exactly() {
        let mut seen = SeenTokens::default();
        assert!(seen.insert("a"));
        assert!(seen.insert("ab"));
        assert!(seen.insert("b"));
        // The text is now "aabb": only whole tokens may match.
        assert!(!seen.insert("ab"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("ba"));
        assert!(seen.insert("aab"));
        assert_eq!(
            seen.tokens().collect::<Vec<_>>(),
            ["a", "ab", "b", "ba", "aab"]
        );
    }
}
