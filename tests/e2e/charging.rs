//! Charging when the merchant chooses, end to end: the four services and a
//! merchant's payment endpoint played by the test, which checks every
//! request's signature and idempotency key, fails each request's first
//! attempt (so every answer comes from a retry), and declines one SKU.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use backorder_platform::webhook::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::{LineStatus, PaymentState};
use backorder_tests::{Suite, SuiteOptions, eventually, rid};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::fixtures::*;

const SECRET: &str = "pay-secret-0123456789";
/// Authorisations of this SKU are declined.
const DECLINED_SKU: &str = "CARD-DECLINED";

/// One request the endpoint received.
#[derive(Clone, Debug)]
struct Received {
    key: String,
    body: Value,
    signed: bool,
}

#[derive(Default)]
struct Endpoint {
    received: Vec<Received>,
    /// Attempts per idempotency key.
    attempts: BTreeMap<String, u32>,
}

type Shared = Arc<Mutex<Endpoint>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Endpoint> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

async fn answer(shared: Shared, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (key, timestamp, signature) = (
        header(IDEMPOTENCY_HEADER),
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
    );
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let signed = timestamp.parse::<i64>().ok().is_some_and(|t| {
        sign(SECRET.as_bytes(), t, &body).is_ok_and(|expected| expected == signature)
    });
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut endpoint = lock(&shared);
    endpoint.received.push(Received {
        key: key.clone(),
        body: body.clone(),
        signed,
    });
    let attempt = {
        let count = endpoint.attempts.entry(key).or_default();
        *count += 1;
        *count
    };
    let reply = |status: StatusCode, text: String| {
        let mut response = Response::new(Full::new(Bytes::from(text)));
        *response.status_mut() = status;
        response
    };
    if !signed {
        return reply(StatusCode::UNAUTHORIZED, String::new());
    }
    if attempt == 1 {
        return reply(StatusCode::SERVICE_UNAVAILABLE, String::new());
    }
    let action = body["action"].as_str().unwrap_or_default();
    let outcome = if body["sku"] == DECLINED_SKU && action == "authorize" {
        "declined"
    } else {
        "approved"
    };
    let reference = format!("{action}-{}", endpoint.received.len());
    reply(
        StatusCode::OK,
        format!(r#"{{"outcome":"{outcome}","reference":"{reference}"}}"#),
    )
}

/// Starts the endpoint on a port the OS chose.
async fn payment_endpoint() -> (SocketAddr, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let shared = Shared::default();
    let state = shared.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(answer(state, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (address, shared)
}

async fn suite(charge_at: &str, endpoint: SocketAddr) -> Suite {
    let url = format!("http://{endpoint}/pay");
    Suite::start_with(SuiteOptions::settings(&[
        ("payments.charge_at", charge_at),
        ("payments.endpoint", &url),
        ("payments.secret", SECRET),
        ("payments.initial_backoff_ms", "50"),
        ("payments.max_backoff_ms", "200"),
        ("payments.poll_interval_ms", "50"),
    ]))
    .await
}

async fn priced_product(suite: &Suite, sku: &str, price_minor: i64, on_hand: i64) {
    let mut inventory = suite.inventory().await;
    inventory
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: sku.into(),
            name: format!("Product {sku}"),
            backorder_policy: inv::BackorderPolicy::Allow as i32,
            price_minor,
            ..Default::default()
        })
        .await
        .expect("create product");
    if on_hand > 0 {
        restock(suite, sku, on_hand).await;
    }
}

async fn restock(suite: &Suite, sku: &str, delta: i64) {
    suite
        .inventory()
        .await
        .adjust_stock(inv::AdjustStockRequest {
            request_id: rid(),
            sku: sku.into(),
            delta,
            reason: "count".into(),
            warehouse: String::new(),
        })
        .await
        .expect("restock");
}

/// Waits until the order's first line's payment is in `state`.
async fn wait_payment(suite: &Suite, order_id: &str, state: PaymentState) -> ord::OrderLine {
    eventually(&format!("payment {state:?}"), WAIT, || async {
        let order = get_order(suite, order_id).await;
        order
            .lines
            .into_iter()
            .next()
            .filter(|l| l.payment.as_ref().is_some_and(|p| p.state == state as i32))
    })
    .await
}

/// The requests of `line_id` the endpoint answered, as (action, amount),
/// after checking every attempt of each was signed and kept its key.
fn requests_of(shared: &Shared, line_id: &str) -> Vec<(String, i64)> {
    let endpoint = lock(shared);
    let mut seen: Vec<(String, String, i64)> = Vec::new();
    for r in endpoint
        .received
        .iter()
        .filter(|r| r.body["line_id"] == line_id)
    {
        assert!(r.signed, "unsigned request {r:?}");
        assert_eq!(
            r.body["request_id"],
            r.key.as_str(),
            "the key is the request id"
        );
        if !seen.iter().any(|(key, ..)| *key == r.key) {
            let action = r.body["action"].as_str().unwrap_or_default().to_owned();
            seen.push((
                r.key.clone(),
                action,
                r.body["amount_minor"].as_i64().unwrap_or(-1),
            ));
        }
    }
    for (key, ..) in &seen {
        assert!(
            endpoint.attempts.get(key).is_some_and(|n| *n >= 2),
            "{key} was retried"
        );
    }
    seen.into_iter()
        .map(|(_, action, amount)| (action, amount))
        .collect()
}

async fn timeline_events(suite: &Suite, order_id: &str) -> Vec<String> {
    suite
        .order()
        .await
        .get_order_timeline(ord::GetOrderTimelineRequest {
            order_id: order_id.into(),
        })
        .await
        .expect("timeline")
        .into_inner()
        .events
        .into_iter()
        .map(|e| e.event)
        .collect()
}

#[tokio::test]
async fn filled_lines_are_captured_when_filled_and_refunded_when_cancelled() {
    let (address, endpoint) = payment_endpoint().await;
    let suite = suite("FILLED", address).await;
    let settings = suite
        .order()
        .await
        .get_fulfilment_settings(ord::GetFulfilmentSettingsRequest {})
        .await
        .expect("settings")
        .into_inner();
    assert_eq!(settings.charge_at, ord::ChargeAt::Filled as i32);
    priced_product(&suite, "LAMP-9", 1250, 0).await;
    let customer = customer(&suite, "Ada").await;

    // Backordered: authorised at the sale, not captured.
    let order = place(&suite, &customer, &[("LAMP-9", 2)]).await;
    let line = wait_payment(&suite, &order.id, PaymentState::Authorised).await;
    assert_eq!(line.unit_price_minor, 1250);
    assert_eq!(line.payment.as_ref().map(|p| p.amount_minor), Some(2500));
    assert_eq!(
        requests_of(&endpoint, &line.id),
        [("authorize".to_owned(), 2500)]
    );

    // Filled: captured, and the customer is told after the capture.
    restock(&suite, "LAMP-9", 2).await;
    let line = wait_payment(&suite, &order.id, PaymentState::Captured).await;
    assert_eq!(line.status, LineStatus::Ready as i32);
    let captured = requests_of(&endpoint, &line.id);
    assert_eq!(captured.last(), Some(&("capture".to_owned(), 2500)));
    let list = wait_notifications(
        &suite,
        &customer,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready, Ev::Charged],
    )
    .await;
    let charged = list.last().map(|n| n.message.clone()).unwrap_or_default();
    assert!(charged.contains("2 x LAMP-9 charged 25.00"), "{charged}");

    // Cancelled after the capture: refunded, and the customer is told.
    suite
        .order()
        .await
        .cancel_order_line(ord::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: line.id.clone(),
            reason: "changed my mind".into(),
        })
        .await
        .expect("cancel");
    let line = wait_payment(&suite, &order.id, PaymentState::Refunded).await;
    assert_eq!(
        requests_of(&endpoint, &line.id).last(),
        Some(&("refund".to_owned(), 2500))
    );
    wait_notifications(
        &suite,
        &customer,
        &[
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::Ready,
            Ev::Charged,
            Ev::Cancelled,
            Ev::Refunded,
        ],
    )
    .await;
    let events = timeline_events(&suite, &order.id).await;
    for event in [
        "payment_authorize_approved",
        "payment_capture_approved",
        "payment_refund_approved",
    ] {
        assert!(events.iter().any(|e| e == event), "{event} in {events:?}");
    }
}

#[tokio::test]
async fn a_declined_authorisation_is_recorded_and_never_captured() {
    let (address, endpoint) = payment_endpoint().await;
    let suite = suite("FILLED", address).await;
    priced_product(&suite, DECLINED_SKU, 500, 0).await;
    let customer = customer(&suite, "Bo").await;
    let order = place(&suite, &customer, &[(DECLINED_SKU, 1)]).await;
    let line = wait_payment(&suite, &order.id, PaymentState::Declined).await;
    restock(&suite, DECLINED_SKU, 1).await;
    wait_line_statuses(&suite, &order.id, &[LineStatus::Ready]).await;
    let line_now = wait_payment(&suite, &order.id, PaymentState::Declined).await;
    assert_eq!(line_now.id, line.id);
    assert_eq!(
        requests_of(&endpoint, &line.id),
        [("authorize".to_owned(), 500)]
    );
    let events = timeline_events(&suite, &order.id).await;
    assert!(
        events.iter().any(|e| e == "payment_authorize_declined"),
        "{events:?}"
    );
    wait_notifications(
        &suite,
        &customer,
        &[Ev::OrderConfirmed, Ev::Backordered, Ev::Ready],
    )
    .await;
}

#[tokio::test]
async fn at_the_sale_lines_in_stock_are_captured_at_once_and_unpriced_ones_never() {
    let (address, endpoint) = payment_endpoint().await;
    let suite = suite("SALE", address).await;
    priced_product(&suite, "DESK-1", 19_999, 5).await;
    priced_product(&suite, "FREE-1", 0, 5).await;
    let customer = customer(&suite, "Cy").await;
    let order = place(&suite, &customer, &[("DESK-1", 1)]).await;
    let line = wait_payment(&suite, &order.id, PaymentState::Captured).await;
    assert_eq!(
        requests_of(&endpoint, &line.id),
        [
            ("authorize".to_owned(), 19_999),
            ("capture".to_owned(), 19_999)
        ]
    );
    let list = wait_notifications(&suite, &customer, &[Ev::OrderConfirmed, Ev::Charged]).await;
    let charged = list.last().map(|n| n.message.clone()).unwrap_or_default();
    assert!(charged.contains("1 x DESK-1 charged 199.99"), "{charged}");

    let free = place(&suite, &customer, &[("FREE-1", 1)]).await;
    let free_line = free.lines.first().cloned().expect("a line");
    assert_eq!(
        free_line.payment, None,
        "nothing is charged without a price"
    );
    assert!(requests_of(&endpoint, &free_line.id).is_empty());
}
