//! `dns:///name:port` peers resolve every address of the name and balance
//! calls across them (how services reach a headless Kubernetes Service).

#![allow(clippy::unwrap_used)]

use backorder_platform::grpc::peer_channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn a_dns_peer_address_reaches_the_server_behind_the_name() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_reporter, health) = tonic_health::server::health_reporter();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    // 127.0.0.1 resolves to itself; a name with an unreachable second
    // address would be balanced the same way.
    let channel = peer_channel(&format!("dns:///127.0.0.1:{port}")).unwrap();
    let mut client = HealthClient::new(channel);
    let mut status = None;
    for _ in 0..50 {
        match client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
        {
            Ok(response) => {
                status = Some(response.into_inner().status);
                break;
            }
            // The resolver fills the balancer in the background.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert_eq!(status, Some(ServingStatus::Serving as i32));
}
