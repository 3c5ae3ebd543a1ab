//! A server with TLS files speaks only TLS: a plaintext caller cannot get a
//! call through, a TLS caller without credentials is refused before the
//! call is read, health stays open, and the kubelet's plaintext health port
//! answers for the same server.

use std::path::Path;
use std::time::Duration;

use backorder_platform::access::{AccessLayer, TokenStore};
use backorder_platform::config::{Prebound, ServerSettings, TlsSettings};
use backorder_platform::server::{self, Shutdown, Wiring};
use backorder_platform::tls::Transport;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tonic::service::Routes;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const SERVICE: &str = "backorder.test.v1.TestService";

/// Writes a CA and a certificate for `order` on localhost; returns the
/// settings naming them and the CA's PEM.
fn credentials(dir: &Path) -> (TlsSettings, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "test CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params");
    params.distinguished_name.push(DnType::CommonName, "order");
    let certificate = params.signed_by(&key, &*ca).expect("certificate");
    std::fs::write(dir.join("cert.pem"), certificate.pem()).expect("cert");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("key");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("ca");
    let settings = TlsSettings {
        cert_file: Some(dir.join("cert.pem")),
        key_file: Some(dir.join("key.pem")),
        ca_file: Some(dir.join("ca.pem")),
        required: true,
    };
    (settings, ca.pem())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_server_refuses_plaintext_and_keeps_a_plaintext_health_port() {
    let dir = std::env::temp_dir().join(format!("transport-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (tls, ca_pem) = credentials(&dir);
    let transport = Transport::from_settings(&tls).expect("transport");
    assert!(transport.is_secure());
    let health_port = free_port();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let settings = ServerSettings {
        host: "127.0.0.1".into(),
        port: 0,
        drain_seconds: 0,
        health_port: Some(health_port),
        request_timeout_ms: 10_000,
        max_concurrent_requests: 16,
        retry_after_ms: 100,
        max_message_bytes: 4 * 1024 * 1024,
        prebound: Prebound::default(),
    };
    let (stop, shutdown) = Shutdown::channel();
    let tokens = std::sync::Arc::new(TokenStore::open(None).expect("no tokens"));
    let wiring = Wiring {
        transport,
        access: AccessLayer::enforced(&[], tokens, "test"),
        meter: None,
    };
    let server = tokio::spawn(async move {
        server::serve(
            listener,
            Routes::default(),
            SERVICE,
            &settings,
            wiring,
            std::future::ready(()),
            shutdown,
        )
        .await
    });

    let check = HealthCheckRequest {
        service: SERVICE.into(),
    };
    // The kubelet's port: plaintext, health only.
    let plain_health = Endpoint::from_shared(format!("http://127.0.0.1:{health_port}"))
        .expect("url")
        .timeout(Duration::from_secs(5))
        .connect_lazy();
    let mut serving = false;
    for _ in 0..100 {
        let status = HealthClient::new(plain_health.clone())
            .check(check.clone())
            .await
            .map(|r| r.into_inner().status);
        if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(serving, "the health port reports SERVING");

    // The service's port: plaintext gets nowhere.
    let plain = Endpoint::from_shared(format!("http://{address}"))
        .expect("url")
        .timeout(Duration::from_secs(5))
        .connect_lazy();
    HealthClient::new(plain)
        .check(check.clone())
        .await
        .expect_err("plaintext is not spoken on the TLS port");

    // Over TLS health is open, and anything else needs credentials.
    let tls_channel = Endpoint::from_shared(format!("https://{address}"))
        .expect("url")
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&ca_pem))
                .domain_name("localhost"),
        )
        .expect("tls")
        .timeout(Duration::from_secs(5))
        .connect_lazy();
    let status = HealthClient::new(tls_channel.clone())
        .check(check)
        .await
        .expect("health needs no credentials")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
    let mut grpc = tonic::client::Grpc::new(tls_channel);
    grpc.ready().await.expect("ready");
    let refused = grpc
        .unary::<(), (), _>(
            tonic::Request::new(()),
            "/backorder.test.v1.TestService/Call".parse().expect("path"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("no credentials");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    stop.stop();
    server
        .await
        .expect("joined")
        .expect("the server stops cleanly");
    let _ = std::fs::remove_dir_all(&dir);
}
