//! [`ConnectionStream`]: the records of a listing one at a time, with what
//! the API said beside them (partial errors, rate limits) kept, not dropped.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::stream::{BoxStream, FusedStream, Stream, StreamExt};

use crate::error::{Error, PartialErrors};
use crate::types::connection::Connection;
use crate::types::page::Page;
use crate::types::problem::Problem;
use crate::types::rate_limit::RateLimit;

/// Every connection of a listing, one at a time; from
/// [`ListConnections::stream`](crate::ListConnections::stream).
///
/// A page's `errors` (partial errors: the API answered with data *and*
/// problems) are not dropped:
///
/// - by default the stream is strict: once every record has been yielded,
///   a listing that carried any partial error ends with
///   `Err(`[`Error::PartialErrors`]`)`, which holds all of them;
/// - after [`ListConnections::allow_partial_errors`](crate::ListConnections::allow_partial_errors)
///   it ends with the last record instead;
/// - either way, [`ConnectionStream::partial_errors`] and
///   [`ConnectionStream::rate_limit`] say what the responses so far
///   carried, at any time (a side channel).
///
/// The stream is `Unpin`, `Send` and `'static`: poll it with
/// `futures::TryStreamExt::try_next`, or move it into `tokio::spawn`. It
/// ends (returns `None`) after its first error.
#[must_use = "a stream does nothing until polled"]
pub struct ConnectionStream {
    pages: BoxStream<'static, Result<Page, Error>>,
    /// What is left of the page last fetched.
    current: std::vec::IntoIter<Connection>,
    allow_partial_errors: bool,
    partial_errors: Vec<Problem>,
    rate_limit: Option<RateLimit>,
    connections_read: usize,
    done: bool,
}

impl ConnectionStream {
    pub(crate) fn new(
        pages: BoxStream<'static, Result<Page, Error>>,
        allow_partial_errors: bool,
    ) -> Self {
        Self {
            pages,
            current: Vec::new().into_iter(),
            allow_partial_errors,
            partial_errors: Vec::new(),
            rate_limit: None,
            connections_read: 0,
            done: false,
        }
    }

    /// Every partial error the pages fetched so far carried, in order.
    pub fn partial_errors(&self) -> &[Problem] {
        &self.partial_errors
    }

    /// The rate-limit headers of the last response that had them.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// The error ending a strict listing that carried partial errors.
    fn partial_errors_error(&self) -> Error {
        Error::PartialErrors(Box::new(PartialErrors {
            errors: self.partial_errors.clone(),
            rate_limit: self.rate_limit,
            connections_read: self.connections_read,
        }))
    }
}

impl std::fmt::Debug for ConnectionStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionStream")
            .field("buffered", &self.current.len())
            .field("allow_partial_errors", &self.allow_partial_errors)
            .field("partial_errors", &self.partial_errors)
            .field("rate_limit", &self.rate_limit)
            .field("connections_read", &self.connections_read)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

// What `pages().map_ok(|p| stream::iter(p.connections.into_iter().map(Ok)))
// .try_flatten()` would do, in one poll per record instead of three nested
// ones: this is the per-record hot path of `ListConnections::stream`.
impl Stream for ConnectionStream {
    type Item = Result<Connection, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(connection) = self.current.next() {
                self.connections_read += 1;
                return Poll::Ready(Some(Ok(connection)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            // Free the spent page before the next one is fetched.
            self.current = Vec::new().into_iter();
            match ready!(self.pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => {
                    let Page {
                        connections,
                        errors,
                        rate_limit,
                        ..
                    } = page;
                    self.partial_errors.extend(errors);
                    if rate_limit.is_some() {
                        self.rate_limit = rate_limit;
                    }
                    self.current = connections.into_iter();
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
                None => {
                    self.done = true;
                    if self.partial_errors.is_empty() || self.allow_partial_errors {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Err(self.partial_errors_error())));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // At least the rest of this page; how many pages follow is unknown.
        if self.done {
            return (self.current.len(), Some(self.current.len()));
        }
        (self.current.len(), None)
    }
}

impl FusedStream for ConnectionStream {
    fn is_terminated(&self) -> bool {
        self.done && self.current.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;

    fn assert_stream_bounds<T: Stream + Unpin + Send + 'static>() {}

    #[test]
    fn is_unpin_send_static() {
        assert_stream_bounds::<ConnectionStream>();
    }

    fn page(ids: &[&str], errors: usize) -> Page {
        Page {
            connections: ids
                .iter()
                .map(|id| Connection {
                    id: Some((*id).to_owned()),
                    ..Connection::default()
                })
                .collect(),
            errors: (0..errors)
                .map(|i| Problem {
                    detail: Some(format!("problem {i}")),
                    ..Problem::default()
                })
                .collect(),
            ..Page::default()
        }
    }

    fn stream_of(pages: Vec<Page>, allow: bool) -> ConnectionStream {
        ConnectionStream::new(stream::iter(pages.into_iter().map(Ok)).boxed(), allow)
    }

    #[tokio::test]
    async fn strict_yields_every_record_then_the_partial_errors() {
        let mut s = stream_of(vec![page(&["a"], 1), page(&["b", "c"], 2)], false);
        let mut ids = Vec::new();
        let last = loop {
            match s.next().await {
                Some(Ok(c)) => ids.push(c.id.unwrap()),
                Some(Err(e)) => break e,
                None => panic!("no error at the end"),
            }
        };
        assert_eq!(ids, ["a", "b", "c"]);
        let Error::PartialErrors(partial) = last else {
            panic!("{last:?}")
        };
        assert_eq!(partial.errors.len(), 3);
        assert_eq!(partial.connections_read, 3);
        assert!(s.next().await.is_none());
        assert!(s.is_terminated());
    }

    #[tokio::test]
    async fn allowed_or_clean_listings_just_end() {
        let mut s = stream_of(vec![page(&["a"], 1)], true);
        assert!(s.next().await.unwrap().is_ok());
        assert!(s.next().await.is_none());
        assert_eq!(s.partial_errors().len(), 1);
        let mut s = stream_of(vec![page(&["a"], 0)], false);
        assert!(s.next().await.unwrap().is_ok());
        assert!(s.next().await.is_none());
        assert!(s.partial_errors().is_empty());
    }
}
