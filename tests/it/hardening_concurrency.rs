//! One `Client`, cloned into 64 concurrent tasks that list and page the
//! sandbox with different filters while its first five answers are `503`s
//! (so some requests are retried). Each task must get exactly its own
//! results, the same as a sequential run gets; an error in one task stays in
//! that task; the whole run ends within a bound (no deadlock).

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt};
use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{
    Client, Connection, ConnectionField, ConnectionStatus, Error, ProblemKind, RetryPolicy,
    StreamEndpoint,
};

use crate::support::{TOKEN, bounded, builder};

const TASKS: usize = 64;
const BURST: u32 = 5;

/// How a task reads its listing.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Pages,
    Stream,
    /// `send()` page by page, passing `next_token` by hand.
    ByHand,
}

/// One task's listing.
#[derive(Debug, Clone)]
struct Job {
    status: ConnectionStatus,
    endpoints: Option<Vec<StreamEndpoint>>,
    max_results: u32,
    fields: Vec<ConnectionField>,
    mode: Mode,
    /// Start from a token the sandbox never issued: this task, and only
    /// this one, must fail.
    bogus_token: bool,
}

impl Job {
    fn new(i: usize) -> Self {
        let status = [
            ConnectionStatus::Active,
            ConnectionStatus::Inactive,
            ConnectionStatus::All,
        ][i % 3]
            .clone();
        // A spread of endpoint subsets; every fifth task asks for all.
        let endpoints = (!i.is_multiple_of(5)).then(|| {
            let mask = (i.wrapping_mul(2_654_435_761) >> 5) | 1;
            StreamEndpoint::ALL
                .iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, e)| e.clone())
                .collect()
        });
        let mut fields = vec![
            ConnectionField::Id,
            ConnectionField::EndpointName,
            ConnectionField::DisconnectedAt,
            ConnectionField::DisconnectReason,
        ];
        if i.is_multiple_of(2) {
            fields.extend([ConnectionField::ClientIp, ConnectionField::ConnectedAt]);
        }
        Self {
            status,
            endpoints,
            max_results: [5, 7, 13, 25, 50, 100][i % 6],
            fields,
            mode: [Mode::Pages, Mode::Stream, Mode::ByHand][i % 3],
            bogus_token: i % 16 == 15,
        }
    }

    fn request(&self, client: &Client) -> xconn_ext::ListConnections {
        let mut request = client
            .connections()
            .status(self.status.clone())
            .max_results(self.max_results)
            .fields(self.fields.clone());
        if let Some(endpoints) = &self.endpoints {
            request = request.endpoints(endpoints.clone());
        }
        if self.bogus_token {
            request = request.pagination_token("00000000000000010000000000000001");
        }
        request
    }

    /// Every connection, in order, and the page sizes (empty for `Stream`).
    async fn run(&self, client: &Client) -> Result<(Vec<Connection>, Vec<usize>), Error> {
        match self.mode {
            Mode::Pages => {
                let pages: Vec<_> = self.request(client).pages().try_collect().await?;
                let sizes = pages.iter().map(|p| p.connections.len()).collect();
                Ok((
                    pages.into_iter().flat_map(|p| p.connections).collect(),
                    sizes,
                ))
            }
            Mode::Stream => {
                let all: Vec<_> = self.request(client).stream().try_collect().await?;
                Ok((all, Vec::new()))
            }
            Mode::ByHand => {
                let mut all = Vec::new();
                let mut sizes = Vec::new();
                let mut next: Option<String> = None;
                loop {
                    let mut request = self.request(client);
                    if let Some(token) = next.take() {
                        request = request.pagination_token(token);
                    }
                    let page = request.send().await?;
                    sizes.push(page.connections.len());
                    all.extend(page.connections);
                    match page.next_token {
                        Some(token) => next = Some(token),
                        None => return Ok((all, sizes)),
                    }
                }
            }
        }
    }

    /// What must hold of this task's own results, whatever other tasks do.
    fn check(&self, i: usize, connections: &[Connection], sizes: &[usize]) {
        let mut ids = HashSet::new();
        for c in connections {
            let id =
                c.id.clone()
                    .unwrap_or_else(|| panic!("task {i}: no id: {c:?}"));
            assert!(ids.insert(id), "task {i}: a connection twice: {c:?}");
            let endpoint = c.endpoint.as_ref().expect("endpoint_name was asked for");
            if let Some(wanted) = &self.endpoints {
                assert!(
                    wanted.contains(endpoint),
                    "task {i}: {endpoint} not in {wanted:?}"
                );
            }
            match self.status {
                ConnectionStatus::Active => assert!(c.is_active(), "task {i}: {c:?}"),
                ConnectionStatus::Inactive => {
                    assert!(c.disconnected_at.is_some(), "task {i}: {c:?}");
                }
                _ => {}
            }
            // Exactly the asked fields.
            let wide = self.fields.contains(&ConnectionField::ConnectedAt);
            assert_eq!(c.connected_at.is_some(), wide, "task {i}: {c:?}");
        }
        if let Some((last, full)) = sizes.split_last() {
            let max = self.max_results as usize;
            assert!(full.iter().all(|n| *n == max), "task {i}: {sizes:?}");
            assert!(*last <= max, "task {i}: {sizes:?}");
        }
    }
}

fn requests_of(job: &Job, outcome: &Result<(Vec<Connection>, Vec<usize>), Error>) -> u64 {
    match outcome {
        // One request per page; for a stream, count the pages it needed.
        Ok((all, sizes)) => match job.mode {
            Mode::Stream => all.len().div_ceil(job.max_results as usize).max(1) as u64,
            _ => sizes.len() as u64,
        },
        Err(_) => 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_share_one_client_and_each_gets_its_own_results() {
    bounded(60, async {
        let sandbox = Sandbox::start(
            SandboxConfig::default()
                .connections(500)
                .unavailable_burst(BURST)
                .token(TOKEN),
        )
        .await
        .expect("sandbox");
        let (builder, sleep) = builder(sandbox.base_url());
        let client = builder
            .timeout(std::time::Duration::from_secs(10))
            .retry_policy(RetryPolicy::default().with_max_attempts(BURST + 2))
            .build()
            .unwrap();
        let jobs: Vec<Job> = (0..TASKS).map(Job::new).collect();

        // All at once, on one cloned client.
        let handles: Vec<_> = jobs
            .iter()
            .cloned()
            .map(|job| {
                let client = client.clone();
                tokio::spawn(async move { job.run(&client).await })
            })
            .collect();
        let concurrent: Vec<_> = futures::future::join_all(handles)
            .await
            .into_iter()
            .map(|joined| joined.expect("a task panicked"))
            .collect();

        // Exactly the five 503s were retried, once each, and nothing else.
        assert_eq!(sleep.waits().len(), BURST as usize, "{:?}", sleep.waits());
        let requests: u64 = jobs
            .iter()
            .zip(&concurrent)
            .map(|(job, outcome)| requests_of(job, outcome))
            .sum();
        assert_eq!(sandbox.request_count(), requests + u64::from(BURST));

        // The same listings one at a time.
        let mut total = 0;
        for (i, (job, outcome)) in jobs.iter().zip(&concurrent).enumerate() {
            let sequential = job.run(&client).await;
            match (outcome, &sequential) {
                (Ok((all, sizes)), Ok((expected, _))) => {
                    assert!(!job.bogus_token, "task {i}: a bogus token was accepted");
                    job.check(i, all, sizes);
                    assert_eq!(all, expected, "task {i}: differs from a sequential run");
                    total += all.len();
                }
                (Err(e), Err(expected)) => {
                    assert!(job.bogus_token, "task {i} failed: {e}");
                    for e in [e, expected] {
                        assert!(
                            matches!(e, Error::Api(api) if api.status == 400
                                && api.kind == ProblemKind::InvalidRequest),
                            "task {i}: {e:?}"
                        );
                    }
                }
                (a, b) => panic!("task {i}: concurrent {a:?} vs sequential {b:?}"),
            }
        }
        // The filters do select: neither nothing nor everything every time.
        assert!(total > 0);
        let all_active = jobs
            .iter()
            .position(|j| j.endpoints.is_none() && !j.bogus_token)
            .expect("a job over all endpoints");
        let count_of = |i: usize| concurrent[i].as_ref().map_or(0, |(all, _)| all.len());
        assert!(count_of(all_active) > 0);
        assert!(
            jobs.iter()
                .enumerate()
                .any(|(i, j)| matches!(j.status, ConnectionStatus::All)
                    && j.endpoints.is_none()
                    && count_of(i) == 500),
            "no task saw all 500 connections"
        );
        sandbox.shutdown().await;
    })
    .await;
}

/// Dropping half the tasks' listings midway (a `take`, a cancelled task)
/// leaves the shared client working for everyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_tasks_do_not_disturb_the_others() {
    bounded(30, async {
        let sandbox = Sandbox::start(SandboxConfig::default().connections(300).token(TOKEN))
            .await
            .expect("sandbox");
        let (builder, _) = builder(sandbox.base_url());
        let client = builder.build().unwrap();
        let expected: Vec<Connection> = client
            .connections()
            .status(ConnectionStatus::All)
            .max_results(10)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(expected.len(), 300);
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    let stream = client
                        .connections()
                        .status(ConnectionStatus::All)
                        .max_results(10)
                        .stream();
                    if i % 2 == 0 {
                        // Stop early: the rest of the pages are never asked for.
                        stream.take(15).try_collect::<Vec<_>>().await
                    } else {
                        stream.try_collect::<Vec<_>>().await
                    }
                })
            })
            .collect();
        // Abort a few outright while they run.
        for handle in handles.iter().skip(1).step_by(8) {
            handle.abort();
        }
        for (i, handle) in handles.into_iter().enumerate() {
            match handle.await {
                Ok(Ok(got)) if i % 2 == 0 => assert_eq!(got, expected[..15], "task {i}"),
                Ok(Ok(got)) => assert_eq!(got, expected, "task {i}"),
                Ok(Err(e)) => panic!("task {i}: {e}"),
                Err(join) => assert!(join.is_cancelled() && i % 8 == 1, "task {i}: {join}"),
            }
        }
        // The client still works.
        let again: Vec<Connection> = client
            .connections()
            .status(ConnectionStatus::All)
            .max_results(100)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(again, expected);
        sandbox.shutdown().await;
    })
    .await;
}
