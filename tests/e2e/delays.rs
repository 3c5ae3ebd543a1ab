//! Delays offered to the customer, end to end: the supplier promises a
//! later date for a purchase order, inventory re-promises the waiting line,
//! order offers the customer the choice to wait or cancel, notification
//! tells them, and their answer cancels the line and its reservation.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, eventually, rid};

use crate::fixtures::*;

const DAY_S: i64 = 86_400;

fn days_out(days: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: prost_types::Timestamp::from(std::time::SystemTime::now()).seconds + days * DAY_S,
        nanos: 0,
    }
}

fn day(ts: &prost_types::Timestamp) -> String {
    chrono::DateTime::from_timestamp(ts.seconds, 0)
        .expect("a representable time")
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_later_promise_offers_the_delay_and_the_customer_cancels() {
    let suite = Suite::start().await;
    product(&suite, "DELAY-E2E", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "DELAY-E2E", 10, 1, 1).await;
    let dora = customer(&suite, "Dora").await;
    let order = place(&suite, &dora, &[("DELAY-E2E", 2)]).await;
    let line_id = order.lines[0].id.clone();
    assert_eq!(order.lines[0].status, ord::LineStatus::Backordered as i32);

    // The supplier first promises 4 days out: sooner than the lead time,
    // so no delay.
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
    let first = days_out(4);
    let acknowledge = |promised: prost_types::Timestamp| proc_::AcknowledgePurchaseOrderRequest {
        request_id: rid(),
        purchase_order_id: po.id.clone(),
        promised_time: Some(promised),
    };
    procurement
        .acknowledge_purchase_order(acknowledge(first))
        .await
        .expect("acknowledge");
    eventually("the first promise on the line", WAIT, || async {
        let order = get_order(&suite, &order.id).await;
        (order.lines[0].eta.map(|e| e.seconds) == Some(first.seconds)).then_some(())
    })
    .await;

    // Then it promises 9 days out: the line slips, the customer is offered
    // the choice and told.
    let later = days_out(9);
    procurement
        .acknowledge_purchase_order(acknowledge(later))
        .await
        .expect("acknowledge again");
    let offer = eventually("a delay offered on the line", WAIT, || async {
        let order = get_order(&suite, &order.id).await;
        order.lines[0].delay_offer
    })
    .await;
    assert_eq!(offer.state, ord::DelayOfferState::Open as i32);
    assert_eq!(offer.previous_eta.map(|e| e.seconds), Some(first.seconds));
    assert_eq!(offer.new_eta.map(|e| e.seconds), Some(later.seconds));
    let told = eventually("the customer told of the delay", WAIT, || async {
        notifications_of_customer(&suite, &dora)
            .await
            .into_iter()
            .find(|n| n.event == Ev::DelayOffered as i32)
    })
    .await;
    assert_eq!(told.line_id, line_id);
    assert!(
        told.message
            .contains(&format!("now expected on {}", day(&later)))
            && told.message.contains(&format!("(was {})", day(&first)))
            && told.message.contains("without a reply it stays on order"),
        "{}",
        told.message
    );

    // The customer cancels: the line goes, and inventory no longer holds
    // its place in the queue.
    let answered = suite
        .order()
        .await
        .answer_delay(ord::AnswerDelayRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: line_id.clone(),
            answer: ord::DelayAnswer::Cancel as i32,
        })
        .await
        .expect("answer")
        .into_inner()
        .order
        .expect("order");
    assert_eq!(answered.status, ord::OrderStatus::Cancelled as i32);
    let offer = answered.lines[0].delay_offer.expect("offer");
    assert_eq!(
        (offer.state, offer.answer),
        (
            ord::DelayOfferState::Answered as i32,
            ord::DelayAnswer::Cancel as i32
        )
    );
    eventually("the reservation released in inventory", WAIT, || async {
        (stock(&suite, "DELAY-E2E").await.backordered == 0).then_some(())
    })
    .await;
    eventually("the customer told of the cancellation", WAIT, || async {
        let events = events(&notifications_of_customer(&suite, &dora).await);
        events
            .ends_with(&[Ev::DelayOffered, Ev::Cancelled])
            .then_some(())
    })
    .await;
}
