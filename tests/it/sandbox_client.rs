//! The sandbox's behaviours through the real typed `Client`: what a
//! downstream service sees when it tests against the sandbox.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{
    Client, Connection, ConnectionField, ConnectionStatus, DisconnectReason, Error, ProblemKind,
    RetryPolicy, StreamEndpoint,
};

use crate::support::{RecordingSleep, builder};

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client of `sandbox` with `attempts` attempts and a recording sleep.
fn retrying_client(sandbox: &Sandbox, attempts: u32) -> (Client, Arc<RecordingSleep>) {
    let (builder, sleep) = builder(sandbox.base_url());
    let client = builder
        .bearer_token(sandbox.token())
        .retry_policy(RetryPolicy::default().with_max_attempts(attempts))
        .build()
        .unwrap();
    (client, sleep)
}

async fn all(client: &Client, status: ConnectionStatus) -> Vec<Connection> {
    client
        .connections()
        .status(status)
        .fields(ConnectionField::ALL.iter().cloned())
        .max_results(100)
        .stream()
        .try_collect()
        .await
        .expect("listing works")
}

#[tokio::test]
async fn filters_select_what_they_name() {
    let sandbox = start(SandboxConfig::default().connections(300).seed(11)).await;
    let client = sandbox.client().unwrap();
    let everything = all(&client, ConnectionStatus::All).await;
    assert_eq!(everything.len(), 300);
    let active = all(&client, ConnectionStatus::Active).await;
    let inactive = all(&client, ConnectionStatus::Inactive).await;
    assert!(active.iter().all(Connection::is_active));
    assert!(inactive.iter().all(|c| !c.is_active()));
    assert_eq!(active.len() + inactive.len(), 300);

    let wanted = [
        StreamEndpoint::FilteredStream,
        StreamEndpoint::LikesComplianceStream,
    ];
    let some: Vec<Connection> = client
        .connections()
        .status(ConnectionStatus::All)
        .endpoints(wanted.clone())
        .stream()
        .try_collect()
        .await
        .unwrap();
    let expected = everything
        .iter()
        .filter(|c| c.endpoint.as_ref().is_some_and(|e| wanted.contains(e)))
        .count();
    assert_eq!(some.len(), expected);
    assert!(expected > 0, "seeded data covers both endpoints");
    assert!(
        some.iter()
            .all(|c| wanted.contains(c.endpoint.as_ref().unwrap()))
    );
}

#[tokio::test]
async fn projection_gives_exactly_the_asked_fields() {
    let sandbox = start(SandboxConfig::default().connections(40)).await;
    let client = sandbox.client().unwrap();
    let page = client
        .connections()
        .status(ConnectionStatus::Inactive)
        .fields([ConnectionField::Id, ConnectionField::DisconnectReason])
        .send()
        .await
        .unwrap();
    assert!(!page.connections.is_empty());
    for c in &page.connections {
        assert!(c.id.is_some() && c.disconnect_reason.is_some(), "{c:?}");
        assert!(c.endpoint.is_none() && c.client_ip.is_none(), "{c:?}");
        assert!(
            c.connected_at.is_none() && c.disconnected_at.is_none(),
            "{c:?}"
        );
    }
    // Without `.fields()`, the library asks for every field (the API's
    // own default, which the sandbox follows, leaves `id` out).
    let page = client.connections().send().await.unwrap();
    assert!(!page.connections.is_empty());
    assert!(
        page.connections
            .iter()
            .all(|c| c.id.is_some() && c.endpoint.is_some() && c.connected_at.is_some())
    );
}

#[tokio::test]
async fn pagination_reads_everything_once_and_resumes() {
    let sandbox = start(SandboxConfig::default().connections(95)).await;
    let client = sandbox.client().unwrap();
    let request = client
        .connections()
        .status(ConnectionStatus::All)
        .fields([ConnectionField::Id])
        .max_results(10);
    let pages: Vec<_> = request.clone().pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 10);
    assert!(pages[..9].iter().all(|p| p.connections.len() == 10));
    assert_eq!(pages[9].connections.len(), 5);
    assert_eq!(pages[9].next_token, None);
    let ids: HashSet<_> = pages
        .iter()
        .flat_map(|p| p.connections.iter().map(|c| c.id.clone().unwrap()))
        .collect();
    assert_eq!(ids.len(), 95, "no connection twice");

    // Resume after page 4 with its saved token: the rest, exactly.
    let saved = pages[3].next_token.clone().unwrap();
    let rest: Vec<Connection> = request
        .clone()
        .pagination_token(saved)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 95 - 40);
    let first_after: Vec<_> = pages[4].connections.iter().map(|c| c.id.clone()).collect();
    let resumed: Vec<_> = rest[..10].iter().map(|c| c.id.clone()).collect();
    assert_eq!(first_after, resumed);

    // A cap stops early.
    let capped: Vec<_> = request.max_pages(3).pages().try_collect().await.unwrap();
    assert_eq!(capped.len(), 3);
}

#[tokio::test]
async fn problems_arrive_as_typed_errors() {
    let sandbox = start(SandboxConfig::default()).await;
    let wrong_token = Client::builder()
        .base_url(sandbox.base_url())
        .bearer_token("not-the-sandbox-token")
        .build()
        .unwrap();
    let err = wrong_token.connections().send().await.unwrap_err();
    assert_eq!(
        err.problem_kind(),
        Some(&ProblemKind::Unauthorized),
        "{err}"
    );
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());

    // The sandbox rejects a foreign pagination token with X's
    // invalid-request problem naming the parameter.
    let client = sandbox.client().unwrap();
    let err = client
        .connections()
        .pagination_token("forged")
        .send()
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.kind, ProblemKind::InvalidRequest);
    assert!(
        api.problem
            .messages()
            .any(|m| m.contains("pagination_token")),
        "{err}"
    );
    // Bad input never reaches the sandbox.
    let before = sandbox.request_count();
    for bad in [0, 101] {
        let err = client
            .connections()
            .max_results(bad)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }
    assert_eq!(sandbox.request_count(), before);
}

#[tokio::test]
async fn terminations_change_state() {
    let sandbox = start(SandboxConfig::default().connections(200).seed(5)).await;
    let client = sandbox.client().unwrap();
    let active = all(&client, ConnectionStatus::Active).await;
    assert!(active.len() > 3);

    // By UUID: two of them, one twice, plus an unknown one.
    let chosen: Vec<String> = active[..2].iter().map(|c| c.id.clone().unwrap()).collect();
    let report = client
        .terminate([
            chosen[0].as_str(),
            chosen[1].as_str(),
            chosen[0].as_str(),
            "no-such-id",
        ])
        .await
        .unwrap();
    assert_eq!((report.successful, report.failed), (2, 1));
    let ended: Vec<_> = all(&client, ConnectionStatus::Inactive)
        .await
        .into_iter()
        .filter(|c| chosen.contains(c.id.as_ref().unwrap()))
        .collect();
    assert_eq!(ended.len(), 2);
    for c in &ended {
        assert_eq!(
            c.disconnect_reason,
            Some(DisconnectReason::OperatorDisconnect)
        );
        assert!(c.disconnected_at.is_some());
    }

    // By endpoint: none of that endpoint stays active, others do.
    let endpoint = active[2].endpoint.clone().unwrap();
    let report = client.terminate_endpoint(endpoint.clone()).await.unwrap();
    assert!(report.successful >= 1);
    let still = all(&client, ConnectionStatus::Active).await;
    assert!(still.iter().all(|c| c.endpoint.as_ref() != Some(&endpoint)));
    assert!(!still.is_empty());

    // All: nothing active is left.
    let report = client.terminate_all().await.unwrap();
    assert_eq!(report.successful as usize, still.len());
    assert!(all(&client, ConnectionStatus::Active).await.is_empty());
}

#[tokio::test]
async fn faults_are_survived_or_reported() {
    // A burst of 503s is retried away.
    let sandbox = start(SandboxConfig::default().unavailable_burst(2)).await;
    let (client, sleep) = retrying_client(&sandbox, 3);
    let page = client.connections().send().await.unwrap();
    assert!(!page.connections.is_empty());
    assert_eq!(sleep.waits().len(), 2);
    assert_eq!(sandbox.request_count(), 3);

    // A spent rate window: RateLimited with the reset, after the retries
    // the policy allows (the sandbox's window is 60 s, within max_wait).
    let sandbox = start(SandboxConfig::default().rate_limit_after(1)).await;
    let (client, sleep) = retrying_client(&sandbox, 2);
    client.connections().send().await.unwrap();
    let err = client.connections().send().await.unwrap_err();
    let Error::RateLimited(limited) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(limited.rate_limit.and_then(|rl| rl.remaining), Some(0));
    assert!(
        limited
            .retry_after
            .is_some_and(|w| w <= Duration::from_secs(60))
    );
    let waits = sleep.waits();
    assert_eq!(waits.len(), 1, "one retry, waiting for the reset");
    assert!(waits[0] > Duration::from_secs(30), "{waits:?}");

    // A spent usage cap: reported at once, never retried.
    let sandbox = start(SandboxConfig::default().usage_capped(true)).await;
    let (client, _) = retrying_client(&sandbox, 5);
    let err = client.connections().send().await.unwrap_err();
    assert_eq!(err.problem_kind(), Some(&ProblemKind::UsageCapped), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(sandbox.request_count(), 1);
}
