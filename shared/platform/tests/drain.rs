//! A stopping pod keeps answering while its callers still send to it. On
//! Kubernetes a peer learns that a pod is gone only when it resolves the
//! headless name again (every 10 s, plus DNS caching): the pod's drain
//! (preStop sleep + `server.drain_seconds`) must outlast that, and then no
//! call fails. Here the same race runs in small: callers re-resolve every
//! 300 ms, and one of two servers stops under load at the moment it leaves
//! the name.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backorder_platform::balance::resolving_channel;
use backorder_platform::config::{Prebound, ServerSettings};
use backorder_platform::server::{self, Shutdown, ShutdownTrigger, Wiring};
use tonic::service::Routes;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const RESOLVE_EVERY: Duration = Duration::from_millis(300);

/// A server through the platform's bootstrap, draining `drain_seconds`.
async fn start(drain_seconds: u64) -> (SocketAddr, ShutdownTrigger, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let settings = ServerSettings {
        host: "127.0.0.1".into(),
        port: 0,
        drain_seconds,
        health_port: None,
        request_timeout_ms: 10_000,
        max_concurrent_requests: 256,
        retry_after_ms: 100,
        max_message_bytes: 4 * 1024 * 1024,
        prebound: Prebound::default(),
    };
    let (trigger, shutdown) = Shutdown::channel();
    let served = tokio::spawn(async move {
        server::serve(
            listener,
            Routes::default(),
            "backorder.test.v1.TestService",
            &settings,
            Wiring::open(),
            std::future::ready(()),
            shutdown,
        )
        .await
        .expect("serves and stops cleanly");
    });
    (address, trigger, served)
}

/// Calls from `callers` tasks on a channel re-resolving every
/// [`RESOLVE_EVERY`], while the first server stops and leaves the name at
/// once; returns (calls answered, calls failed).
async fn stop_one_of_two_under_load(drain_seconds: u64) -> (usize, usize) {
    let (leaving, stop_leaving, leaving_served) = start(drain_seconds).await;
    let (staying, stop_staying, staying_served) = start(0).await;
    let resolved = Arc::new(Mutex::new(HashSet::from([leaving, staying])));
    let source = resolved.clone();
    let channel = resolving_channel(
        move || {
            let current = source.lock().expect("addresses").clone();
            async move { Ok(current) }
        },
        RESOLVE_EVERY,
    );
    let answered = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let mut callers = Vec::new();
    for _ in 0..4 {
        let mut client = HealthClient::new(channel.clone());
        let (answered, failed, running) = (answered.clone(), failed.clone(), running.clone());
        callers.push(tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                let mut request = tonic::Request::new(HealthCheckRequest::default());
                request.set_timeout(Duration::from_secs(5));
                match client.check(request).await {
                    Ok(_) => answered.fetch_add(1, Ordering::SeqCst),
                    Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                };
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    // Both servers take calls before one goes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The endpoint is removed and the pod told to stop at the same moment.
    resolved.lock().expect("addresses").remove(&leaving);
    stop_leaving.stop();
    leaving_served.await.expect("the leaving server stopped");
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.store(false, Ordering::SeqCst);
    for caller in callers {
        caller.await.expect("caller");
    }
    stop_staying.stop();
    staying_served.await.expect("the staying server stopped");
    (
        answered.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drain_that_outlasts_re_resolution_loses_no_call() {
    // 1 s of drain against callers that re-resolve every 300 ms.
    let (answered, failed) = stop_one_of_two_under_load(1).await;
    assert!(answered > 50, "only {answered} calls answered");
    assert_eq!(failed, 0, "{failed} calls failed of {}", answered + failed);
}
