//! Promise dates: a backordered line gets its date in PlaceOrder's reply
//! and in its first notice; the date follows the supplier's promise and
//! slips; a product capped by inbound supply refuses an order no inbound
//! unit covers, with the earliest date the merchant could promise.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, eventually, rid};
use tonic_types::StatusExt;

use crate::fixtures::*;

const DAY_S: i64 = 86_400;

fn days_from_now(ts: &Option<prost_types::Timestamp>) -> f64 {
    let now = prost_types::Timestamp::from(std::time::SystemTime::now()).seconds;
    (ts.as_ref().expect("a date").seconds - now) as f64 / DAY_S as f64
}

fn day(ts: &prost_types::Timestamp) -> String {
    chrono::DateTime::from_timestamp(ts.seconds, 0)
        .expect("a representable time")
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backordered_line_has_its_date_at_the_sale_and_it_follows_the_supplier() {
    let suite = Suite::start().await;
    product(&suite, "ATP-E2E", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "ATP-E2E", 10, 1, 1).await;
    let ana = customer(&suite, "Ana").await;

    // No purchase order yet: the lead time from today, as a range.
    let first = place(&suite, &ana, &[("ATP-E2E", 2)]).await;
    let line = &first.lines[0];
    assert!((9.9..10.1).contains(&days_from_now(&line.eta)), "{line:?}");
    assert!(days_from_now(&line.eta_latest) > 11.9, "{line:?}");
    let sent = wait_notifications(&suite, &ana, &[Ev::OrderConfirmed, Ev::Backordered]).await;
    let from = day(line.eta.as_ref().expect("eta"));
    let to = day(line.eta_latest.as_ref().expect("eta_latest"));
    assert!(
        sent[1]
            .message
            .contains(&format!("between {from} and {to}")),
        "the first notice carries the range: {}",
        sent[1].message
    );

    // The supplier confirms a date 4 days out: the line's promise follows
    // and the customer hears the new, certain date.
    let po = eventually("a draft", WAIT, || async {
        purchase_orders(&suite, &supplier_id)
            .await
            .into_iter()
            .next()
    })
    .await;
    let mut procurement = suite.procurement().await;
    procurement
        .submit_purchase_order(proc_::SubmitPurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
        })
        .await
        .expect("submit");
    let promised = prost_types::Timestamp {
        seconds: prost_types::Timestamp::from(std::time::SystemTime::now()).seconds + 4 * DAY_S,
        nanos: 0,
    };
    procurement
        .acknowledge_purchase_order(proc_::AcknowledgePurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            promised_time: Some(promised),
        })
        .await
        .expect("acknowledge");
    let order = eventually("the promised date on the line", WAIT, || async {
        let order = get_order(&suite, &first.id).await;
        (order.lines[0].eta.map(|e| e.seconds) == Some(promised.seconds)).then_some(order)
    })
    .await;
    assert_eq!(
        order.lines[0].eta, order.lines[0].eta_latest,
        "a certain date"
    );

    // A second order joins the queue behind the first: nothing more is
    // inbound, so it is promised the lead time, not the purchase order.
    let second = place(&suite, &ana, &[("ATP-E2E", 1)]).await;
    assert!((9.9..10.1).contains(&days_from_now(&second.lines[0].eta)));
    let sent = notifications_of_customer(&suite, &ana).await;
    let changed = sent
        .iter()
        .find(|n| n.event == Ev::EtaChanged as i32)
        .expect("the customer heard of the new date");
    assert!(
        changed.message.contains(&day(&promised)),
        "{}",
        changed.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_beyond_inbound_supply_is_refused_with_the_earliest_date() {
    let suite = Suite::start().await;
    suite
        .inventory()
        .await
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: "CAP-E2E".into(),
            name: "Capped by inbound supply".into(),
            backorder_policy: inv::BackorderPolicy::Inbound as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 0,
        })
        .await
        .expect("product");
    supplier(&suite, "CAP-E2E", 12, 1, 1).await;
    let ben = customer(&suite, "Ben").await;

    let refused = suite
        .order()
        .await
        .place_order(order_request(&ben, &[("CAP-E2E", 1)]))
        .await
        .expect_err("nothing inbound, no margin");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    let details = refused.get_error_details();
    let info = details.error_info().expect("error info");
    let expected = chrono::Utc::now()
        .checked_add_days(chrono::Days::new(12))
        .expect("date")
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        info.metadata.get("earliest_promise_date"),
        Some(&expected),
        "{}",
        refused.message()
    );
    // The refusal counts as a lost sale for the cap.
    let stats = suite
        .order()
        .await
        .get_backorder_stats(backorder_proto::order::v1::GetBackorderStatsRequest::default())
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(stats.orders_refused, 1);
}
