//! PlaceOrder: bounds on what is accepted, and retries decided by the
//! request's fingerprint alone.

use backorder_platform::ServiceError;
use backorder_proto::order::v1 as pb;
use tonic::Code;

use crate::fake_peers::{outage, reserve_all};
use crate::helpers::{harness, harness_with, place_request, rid};

const READY: i32 = 3;
const PENDING: i32 = 1;

fn reason(error: &ServiceError) -> String {
    match error {
        ServiceError::AlreadyExists { reason, .. } => (*reason).to_owned(),
        other => format!("{other:?}"),
    }
}

fn invalid_fields(error: ServiceError) -> Vec<String> {
    match error {
        ServiceError::InvalidArgument(list) => list.into_iter().map(|v| v.field).collect(),
        other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
    }
}

/// The first reservation finds inventory down; later ones reserve.
fn down_once(h: &crate::helpers::Harness) {
    h.fake.script(|req, call| async move {
        if call == 0 {
            Err(outage())
        } else {
            Ok(reserve_all(&req))
        }
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identical_retry_with_an_untrimmed_sku_resumes_the_pending_order() {
    let h = harness("retry_untrimmed").await;
    down_once(&h);
    let customer = rid();
    let request = place_request(&customer, &[(" PEN-1 ", 2), ("INK-2", 1)]);

    let first = h
        .api
        .place_order(request.clone())
        .await
        .expect_err("inventory down");
    assert_eq!(first.code(), Code::Unavailable);
    let pending = h.orders_of(&customer).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].status, PENDING);
    assert_eq!(pending[0].lines[0].sku, "PEN-1", "stored trimmed");

    let resumed = h
        .api
        .place_order(request.clone())
        .await
        .expect("an identical retry resumes")
        .order
        .expect("order");
    assert_eq!(
        resumed.id, pending[0].id,
        "the same order, not a second one"
    );
    assert_eq!(resumed.status, READY);
    assert_eq!(h.orders_of(&customer).await.len(), 1);

    let again = h.api.place_order(request).await.expect("a later retry");
    assert_eq!(again.order.expect("order").id, resumed.id);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_with_other_backorder_or_ship_terms_is_refused() {
    let h = harness("retry_terms").await;
    down_once(&h);
    let customer = rid();
    let request = place_request(&customer, &[("PEN-1", 2)]);
    h.api
        .place_order(request.clone())
        .await
        .expect_err("inventory down");

    let mut no_backorders = request.clone();
    no_backorders.accept_backorders = false;
    let refused = h
        .api
        .place_order(no_backorders.clone())
        .await
        .expect_err("other terms");
    assert_eq!(refused.code(), Code::AlreadyExists);
    assert_eq!(reason(&refused), "REQUEST_ID_REUSED");

    let mut complete = request.clone();
    complete.ship_policy = pb::ShipPolicy::Complete as i32;
    let refused = h
        .api
        .place_order(complete.clone())
        .await
        .expect_err("other policy");
    assert_eq!(refused.code(), Code::AlreadyExists);

    let orders = h.orders_of(&customer).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].status, PENDING, "a refused retry resumes nothing");
    assert!(orders[0].accept_backorders);

    let placed = h.api.place_order(request).await.expect("identical retry");
    assert_eq!(placed.order.expect("order").status, READY);
    // Once answered, the stored answer's fingerprint decides the same way.
    for other in [no_backorders, complete] {
        let refused = h.api.place_order(other).await.expect_err("other terms");
        assert_eq!(refused.code(), Code::AlreadyExists);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn quantities_and_line_counts_are_accepted_at_the_limit_and_refused_past_it() {
    let h = harness("order_limits").await;
    let customer = rid();

    let at_limit = h
        .api
        .place_order(place_request(&customer, &[("BIG-1", 1_000_000)]))
        .await
        .expect("1,000,000 units");
    assert_eq!(at_limit.order.expect("order").lines[0].quantity, 1_000_000);
    let past = h
        .api
        .place_order(place_request(&customer, &[("BIG-1", 1_000_001)]))
        .await
        .expect_err("past the limit");
    assert_eq!(invalid_fields(past), ["lines[0].quantity"]);
    let huge = h
        .api
        .place_order(place_request(&customer, &[("BIG-1", i64::MAX)]))
        .await
        .expect_err("i64::MAX");
    assert_eq!(invalid_fields(huge), ["lines[0].quantity"]);

    let skus: Vec<String> = (0..201).map(|i| format!("SKU-{i}")).collect();
    let lines =
        |n: usize| -> Vec<(&str, i64)> { skus[..n].iter().map(|s| (s.as_str(), 1)).collect() };
    let most = h
        .api
        .place_order(place_request(&customer, &lines(200)))
        .await
        .expect("200 lines");
    assert_eq!(most.order.expect("order").lines.len(), 200);
    let too_many = h
        .api
        .place_order(place_request(&customer, &lines(201)))
        .await
        .expect_err("201 lines");
    assert_eq!(invalid_fields(too_many), ["lines"]);
    assert_eq!(
        h.orders_of(&customer).await.len(),
        2,
        "refusals wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_are_typed_requests_addressed_to_their_service() {
    use backorder_proto::Rpc;
    use backorder_proto::inventory::v1::ReleaseReservationRequest;
    use prost::Message;

    let h = harness("typed_messages").await;
    let customer = rid();
    let order = h.place(&customer, &[("PEN-1", 2)]).await;
    h.api
        .cancel_order(pb::CancelOrderRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            reason: "changed my mind".into(),
        })
        .await
        .expect("cancelled");
    let outbox = h.outbox().await;
    let release = outbox
        .iter()
        .find(|m| m.method == ReleaseReservationRequest::PATH)
        .expect("a release for inventory");
    assert_eq!(release.destination, "inventory");
    let message = ReleaseReservationRequest::decode(release.payload.as_slice()).expect("decode");
    assert_eq!(message.order_id, order.id);
    assert_eq!(message.request_id, release.id);
    let notices = h.notices().await;
    let cancelled = notices
        .iter()
        .find(|n| n.line_id == order.lines[0].id)
        .expect("a cancellation notice");
    assert_eq!(cancelled.detail, "2 x PEN-1 cancelled: changed my mind");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_inventory_reserved_before_addresses_were_sent_is_found_again() {
    let h = harness("reserved_before_addresses").await;
    // As inventory answers a request id it stored with another body.
    h.fake.script(|req, _| async move {
        if req.ship_to_address.is_empty() {
            Ok(reserve_all(&req))
        } else {
            Err(tonic::Status::already_exists(
                "request_id reused with a different body",
            ))
        }
    });
    let mut request = place_request(&rid(), &[("PEN-1", 2)]);
    request.ship_to_address = "1 Quay Street".to_owned();
    let placed = h
        .api
        .place_order(request)
        .await
        .expect("the first reservation stands")
        .order
        .expect("order");
    assert_eq!(placed.status, READY);
    let asked: Vec<String> = h
        .fake
        .seen
        .reserve_requests
        .lock()
        .expect("asked")
        .iter()
        .map(|r| r.ship_to_address.clone())
        .collect();
    assert_eq!(asked, ["1 Quay Street", ""], "asked again as before");
}

/// ReserveOrder carries the order's request id, so order's channel may
/// repeat it: a one-time outage is ridden out within the call, and the
/// caller gets the order at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_one_time_inventory_outage_is_retried_by_the_channel() {
    let h = harness_with(
        "retry_channel",
        backorder_platform::config::ClientSettings {
            initial_backoff_ms: 5,
            max_backoff_ms: 20,
            ..Default::default()
        },
    )
    .await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    h.fake.script(move |req, call| {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            if call == 0 {
                Err(outage())
            } else {
                Ok(reserve_all(&req))
            }
        }
    });
    let customer = rid();
    let placed = h
        .api
        .place_order(place_request(&customer, &[("PEN-1", 2)]))
        .await
        .expect("the retry reserved")
        .order
        .expect("order");
    assert_eq!(placed.status, READY);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}
