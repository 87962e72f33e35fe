//! The watch's builder: [`Client::watch`], [`Watch`] and its options.

use std::fmt;
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};

use super::clock::{SharedClock, SystemClock};
use super::driver::{self, Settings};
use super::event::WatchEvent;
use super::guard;
use crate::client::Client;
use crate::client::retry::SharedSleep;
use crate::error::Error;
use crate::types::enums::StreamEndpoint;

/// The poll interval unless configured otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

impl Client {
    /// Watch the app's connections: a stream of [`WatchEvent`]s, polling
    /// every [`Watch::interval`]. See the [`watch`](crate::watch) module for
    /// what each poll sends and how rate limits and failures are handled.
    pub fn watch(&self) -> Watch {
        Watch {
            client: self.clone(),
            interval: DEFAULT_INTERVAL,
            endpoints: None,
            keep: None,
            sleep: None,
            clock: None,
        }
    }
}

/// A watch of the app's connections; see [`Client::watch`].
#[derive(Clone)]
#[must_use = "a watch does nothing until `.stream()` is polled"]
pub struct Watch {
    client: Client,
    interval: Duration,
    endpoints: Option<Vec<StreamEndpoint>>,
    keep: Option<usize>,
    sleep: Option<SharedSleep>,
    clock: Option<SharedClock>,
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("client", &self.client)
            .field("interval", &self.interval)
            .field("endpoints", &self.endpoints)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// Time between polls (default 60 s; more than zero). It is stretched
    /// when the rate window would not last.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Watch only these endpoints (at least one, no repeats).
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = StreamEndpoint>) -> Self {
        self.endpoints = Some(endpoints.into_iter().collect());
        self
    }

    /// Turn on the duplicates guard: whenever an endpoint has more than
    /// `keep` active connections (at least 1), end the least recently
    /// connected extras (`DELETE /2/connections`) and report each as
    /// [`EventKind::Terminated`](super::EventKind::Terminated). The next
    /// poll reports them
    /// [`EventKind::Disconnected`](super::EventKind::Disconnected) too, with
    /// the API's reason and time.
    pub fn terminate_duplicates(mut self, keep: usize) -> Self {
        self.keep = Some(keep);
        self
    }

    /// How the watch waits (default: the client's
    /// [`sleep_impl`](crate::ClientBuilder::sleep_impl), which is tokio's
    /// timer unless configured). Use with [`Watch::clock`] to drive time in
    /// tests.
    pub fn sleep_impl(mut self, sleep: SharedSleep) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Where the watch reads the time (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    fn validate(&self) -> Result<(), Error> {
        if self.interval.is_zero() {
            return Err(Error::invalid("interval", "must be more than zero"));
        }
        if let Some(keep) = self.keep {
            guard::check_keep(keep)?;
        }
        // The endpoints are checked by the first request, before it is
        // sent (empty, repeated, unknown): that error ends the stream.
        Ok(())
    }

    /// Start watching: a stream that runs until it is dropped or ends with
    /// an error it cannot get over (its last item). Nothing is sent until
    /// it is polled; invalid settings are its first and only item.
    pub fn stream(self) -> BoxStream<'static, Result<WatchEvent, Error>> {
        if let Err(error) = self.validate() {
            return stream::once(async move { Err(error) }).boxed();
        }
        let sleep = match self.sleep {
            Some(sleep) => sleep,
            None => self.client.sleep().clone(),
        };
        driver::stream(Settings {
            client: self.client,
            interval: self.interval,
            endpoints: self.endpoints,
            keep: self.keep,
            sleep,
            clock: self
                .clock
                .unwrap_or_else(|| std::sync::Arc::new(SystemClock)),
        })
    }
}
