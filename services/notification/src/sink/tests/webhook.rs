//! The webhook sink against a real local endpoint: what it sends, how it
//! is signed, and what an endpoint that fails, hangs or is away looks like.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::dec_1_2026;
use super::*;
use crate::domain::webhook::{Answer, RetryPolicy};
use crate::test_support::hook::Hook;
use crate::test_support::tls::TestCa;

const SECRET: &str = "whsec-0123456789abcdef";

fn settings(url: &str) -> WebhookSettings {
    WebhookSettings {
        url: url.to_owned(),
        secret: Secret::new(SECRET),
        ca_pem: None,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            initial_backoff_ms: 10,
            max_backoff_ms: 100,
            max_attempts: 5,
        },
    }
}

fn sink(url: &str) -> WebhookSink {
    WebhookSink::new(&settings(url)).expect("usable settings")
}

fn event() -> WebhookEvent<'static> {
    WebhookEvent {
        notification_id: "0190f3a4-0000-7000-8000-00000000000a",
        event: "shipped",
        customer_id: "0190f3a4-0000-7000-8000-0000000000c1",
        order_id: "0190f3a4-0000-7000-8000-0000000000d1",
        line_id: None,
        message: "Hello Ana, your order has shipped.",
        time: WebhookEvent::time_of(dec_1_2026()),
    }
}

fn ok() -> Answer {
    Answer::Status {
        code: 200,
        retry_after: None,
    }
}

/// Verifies as a receiver would, with the hmac crate directly.
fn verifies(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Some(expected) = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() {
    // Computed independently (Python's hmac module).
    let signature = sign(
        SECRET.as_bytes(),
        1_796_117_400,
        br#"{"notification_id":"x"}"#,
    )
    .expect("signed");
    assert_eq!(
        signature,
        "sha256=eb9bfad770b2c9bc188ea73867f007728f36d9ad80abab7d9281726597af4575"
    );
}

#[tokio::test]
async fn the_event_is_posted_as_signed_json_without_contact_details() {
    let hook = Hook::start(&[], None).await;
    let now = Utc::now();
    let answer = sink(&format!("{}/hooks/backorder?shop=7", hook.base))
        .post(&event(), now)
        .await;
    assert_eq!(answer, ok());
    let received = hook.wait_for(1).await;
    let request = &received[0];
    assert_eq!(request.target, "/hooks/backorder?shop=7");
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("idempotency-key"), event().notification_id);
    let timestamp = request.header(TIMESTAMP_HEADER);
    assert_eq!(timestamp, now.timestamp().to_string());
    let signature = request.header(SIGNATURE_HEADER);
    assert!(
        verifies(SECRET, timestamp, &request.body, signature),
        "{signature}"
    );
    assert!(!verifies(
        "another secret, same length",
        timestamp,
        &request.body,
        signature
    ));
    let later = (now.timestamp() + 600).to_string();
    assert!(
        !verifies(SECRET, &later, &request.body, signature),
        "timestamp is signed"
    );

    let body = request.json();
    assert_eq!(
        body,
        serde_json::json!({
            "notification_id": "0190f3a4-0000-7000-8000-00000000000a",
            "event": "shipped",
            "customer_id": "0190f3a4-0000-7000-8000-0000000000c1",
            "order_id": "0190f3a4-0000-7000-8000-0000000000d1",
            "line_id": null,
            "message": "Hello Ana, your order has shipped.",
            "time": "2026-12-01T09:30:00.000Z",
        })
    );
}

#[tokio::test]
async fn error_statuses_are_answers_and_an_absent_endpoint_is_none() {
    let hook = Hook::start(&[500, 404], None).await;
    let sink = sink(&hook.base);
    let status = |code| Answer::Status {
        code,
        retry_after: None,
    };
    assert_eq!(sink.post(&event(), Utc::now()).await, status(500));
    assert_eq!(sink.post(&event(), Utc::now()).await, status(404));
    assert_eq!(sink.post(&event(), Utc::now()).await, ok());

    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let answer = self::sink(&url).post(&event(), Utc::now()).await;
    assert!(
        matches!(&answer, Answer::Unreachable(why) if why.contains("connecting")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_silent_endpoint_is_given_up_on_at_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    let silent = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        std::future::pending::<()>().await;
        drop(stream);
    });
    let timeout = Duration::from_millis(300);
    let sink = WebhookSink::new(&WebhookSettings {
        timeout,
        ..settings(&url)
    })
    .expect("usable settings");
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(10), sink.post(&event(), Utc::now()))
        .await
        .expect("the sink's own timeout ends the call");
    assert!(
        matches!(&answer, Answer::Unreachable(why) if why.contains("no answer")),
        "{answer:?}"
    );
    assert!(started.elapsed() >= timeout);
    silent.abort();
}

#[tokio::test]
async fn https_verifies_the_endpoint_against_the_configured_ca() {
    let ca = TestCa::new();
    let hook = Hook::start(&[], Some(ca.server.clone())).await;
    let trusting = WebhookSink::new(&WebhookSettings {
        ca_pem: Some(ca.ca_pem.clone().into_bytes()),
        ..settings(&hook.base)
    })
    .expect("usable settings");
    assert_eq!(trusting.post(&event(), Utc::now()).await, ok());
    assert_eq!(hook.received().len(), 1);

    let answer = sink(&hook.base).post(&event(), Utc::now()).await;
    assert!(
        matches!(&answer, Answer::Unreachable(why) if why.contains("TLS")),
        "{answer:?}"
    );
    assert_eq!(
        hook.received().len(),
        1,
        "nothing sent to an untrusted endpoint"
    );
}

#[test]
fn webhook_settings_are_checked() {
    let short = WebhookSettings {
        secret: Secret::new("too short"),
        ..settings("https://hooks.example.com/")
    };
    let error = WebhookSink::new(&short)
        .expect_err("short secret")
        .to_string();
    assert!(error.contains("channels.webhook_secret"), "{error}");
    let error = WebhookSink::new(&settings("hooks.example.com")).expect_err("no scheme");
    assert!(
        error.to_string().contains("channels.webhook_url"),
        "{error}"
    );
    let plain_with_ca = WebhookSettings {
        ca_pem: Some(TestCa::new().ca_pem.into_bytes()),
        ..settings("http://hooks.example.com/")
    };
    let error = WebhookSink::new(&plain_with_ca).expect_err("CA over http");
    assert!(
        error.to_string().contains("channels.webhook_ca_file"),
        "{error}"
    );
    let sink = sink("https://hooks.example.com/secret-token-path");
    assert_eq!(sink.origin(), "https://hooks.example.com");
    let debug = format!("{sink:?}");
    assert!(
        !debug.contains(SECRET) && !debug.contains("secret-token-path"),
        "{debug}"
    );
}
