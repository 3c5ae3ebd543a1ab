//! Balanced peers: every address a name resolves to gets calls, and an
//! address the name stops resolving to stops getting them.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backorder_platform::balance::resolving_channel;
use backorder_platform::grpc::peer_channel;
use tonic_health::ServingStatus as Reported;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A health server on `ip` whose service "who" reports `answer`, so a
/// caller can tell which server took a call.
async fn server(ip: &str, answer: Reported) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter.set_service_status("who", answer).await;
    tokio::spawn(async move {
        let _keep = reporter;
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });
    addr
}

async fn who(client: &mut HealthClient<tonic::transport::Channel>) -> Option<i32> {
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: "who".into(),
    });
    request.set_timeout(Duration::from_secs(2));
    client
        .check(request)
        .await
        .ok()
        .map(|r| r.into_inner().status)
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_spread_over_every_resolved_address_and_leave_a_vanished_one() {
    let first = server("127.0.0.1", Reported::Serving).await;
    let second = server("127.0.0.2", Reported::NotServing).await;
    let resolved = Arc::new(Mutex::new(HashSet::from([first, second])));
    let source = resolved.clone();
    let channel = resolving_channel(
        move || {
            let current = source.lock().expect("addresses").clone();
            async move { Ok(current) }
        },
        Duration::from_millis(100),
    );
    let mut client = HealthClient::new(channel);

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = HashSet::new();
    while seen.len() < 2 {
        assert!(Instant::now() < deadline, "only {seen:?} answered");
        if let Some(status) = who(&mut client).await {
            seen.insert(status);
        }
    }

    resolved.lock().expect("addresses").remove(&second);
    // Once the resolver has dropped it, twenty calls in a row reach only the
    // first server.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut in_a_row = 0;
    while in_a_row < 20 {
        assert!(
            Instant::now() < deadline,
            "the vanished address kept getting calls"
        );
        match who(&mut client).await {
            Some(status) if status == ServingStatus::Serving as i32 => in_a_row += 1,
            _ => in_a_row = 0,
        }
    }
}

#[tokio::test]
async fn a_dns_peer_address_reaches_the_server_behind_the_name() {
    let addr = server("127.0.0.1", Reported::Serving).await;
    let channel = peer_channel(&format!("dns:///localhost:{}", addr.port())).expect("channel");
    let mut client = HealthClient::new(channel);
    let deadline = Instant::now() + Duration::from_secs(10);
    // The resolver fills the balancer in the background.
    loop {
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: "who".into(),
        });
        request.set_timeout(Duration::from_secs(2));
        if let Ok(response) = client.check(request).await {
            assert_eq!(response.into_inner().status, ServingStatus::Serving as i32);
            break;
        }
        assert!(Instant::now() < deadline, "no answer through the name");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
