//! ChangeOrderLine through the handlers, inventory faked: a backordered
//! line substituted or reduced, the customer told, repeats answered as
//! before, refusals leaving the line as it was.

use backorder_platform::ServiceError;
use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as pb;
use tonic::{Code, Status};

use crate::fake_peers::backorder_all;
use crate::helpers::{Harness, harness, rid};

fn change(order: &pb::Order, sku: &str, quantity: i64) -> pb::ChangeOrderLineRequest {
    pb::ChangeOrderLineRequest {
        request_id: rid(),
        order_id: order.id.clone(),
        line_id: order.lines[0].id.clone(),
        sku: sku.to_owned(),
        quantity,
    }
}

async fn backordered(h: &Harness, sku: &str, quantity: i64) -> pb::Order {
    h.fake
        .script(|req, _| async move { Ok(backorder_all(&req)) });
    let order = h.place(&rid(), &[(sku, quantity)]).await;
    assert_eq!(order.status, pb::OrderStatus::Backordered as i32);
    order
}

fn reason<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> &'static str {
    match result.expect_err("refused") {
        ServiceError::FailedPrecondition { reason, .. } => reason,
        other => panic!("expected a failed precondition, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_substitute_in_stock_makes_the_line_ready_and_tells_the_customer() {
    let h = harness("change_substitute").await;
    let order = backordered(&h, "LAMP-9", 3).await;
    let ask = change(&order, "LAMP-10", 0);
    let changed = h
        .api
        .change_order_line(ask.clone())
        .await
        .expect("changed")
        .order
        .expect("order");
    let line = &changed.lines[0];
    assert_eq!((line.sku.as_str(), line.quantity), ("LAMP-10", 3));
    assert_eq!(line.status, pb::LineStatus::Ready as i32);
    assert_eq!((line.ready_quantity, line.backordered_quantity), (3, 0));
    assert_eq!(changed.status, pb::OrderStatus::Ready as i32);

    let asked = h.fake.seen.changes.lock().expect("changes").clone();
    assert_eq!(asked.len(), 1);
    assert_eq!((asked[0].sku.as_str(), asked[0].quantity), ("LAMP-10", 3));
    assert!(asked[0].accept_backorders);
    assert_ne!(asked[0].request_id, ask.request_id, "inventory's own id");

    let told: Vec<_> = h
        .notices()
        .await
        .into_iter()
        .filter(|n| n.event == Ev::LineChanged as i32)
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].line_id, line.id);
    assert_eq!(
        told[0].detail,
        "LAMP-9 x 3 replaced by LAMP-10 x 3; in stock and ready to ship"
    );

    // A repeat answers as before, asking nobody and telling nobody again.
    let again = h
        .api
        .change_order_line(ask)
        .await
        .expect("repeat")
        .order
        .expect("order");
    assert_eq!(again, changed);
    assert_eq!(h.fake.seen.changes.lock().expect("changes").len(), 1);
    let got = h
        .api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await;
    assert_eq!(
        got.expect("order").order.expect("order").lines[0].sku,
        "LAMP-10"
    );

    // A ready line no longer changes, and inventory is not asked.
    assert_eq!(
        reason(h.api.change_order_line(change(&order, "LAMP-11", 0)).await),
        "LINE_NOT_BACKORDERED"
    );
    assert_eq!(h.fake.seen.changes.lock().expect("changes").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reduction_keeps_the_line_waiting_for_fewer_units() {
    let h = harness("change_reduce").await;
    let order = backordered(&h, "LAMP-9", 5).await;
    h.fake.script_change(|req| {
        Ok(inv::ChangeReservationResponse {
            line: Some(inv::LineReservation {
                line_id: req.line_id.clone(),
                sku: req.sku.clone(),
                backordered_quantity: req.quantity,
                ..Default::default()
            }),
        })
    });
    let changed = h
        .api
        .change_order_line(change(&order, "", 3))
        .await
        .expect("reduced")
        .order
        .expect("order");
    let line = &changed.lines[0];
    assert_eq!((line.sku.as_str(), line.quantity), ("LAMP-9", 3));
    assert_eq!(line.status, pb::LineStatus::Backordered as i32);
    assert_eq!(line.backordered_quantity, 3);
    let told = h.notices().await;
    let notice = told
        .iter()
        .find(|n| n.event == Ev::LineChanged as i32)
        .expect("told");
    assert_eq!(notice.detail, "LAMP-9: 5 units now 3; 3 on backorder");

    let not_fewer = h.api.change_order_line(change(&order, "LAMP-9", 3)).await;
    assert_eq!(
        not_fewer.expect_err("refused").code(),
        Code::InvalidArgument
    );
    let nothing = h.api.change_order_line(change(&order, "", 0)).await;
    assert_eq!(nothing.expect_err("refused").code(), Code::InvalidArgument);
    let mut unknown_line = change(&order, "", 1);
    unknown_line.line_id = rid();
    let missing = h.api.change_order_line(unknown_line).await;
    assert_eq!(missing.expect_err("refused").code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_changes_nothing_and_a_retry_resumes_under_the_same_id() {
    let h = harness("change_outage").await;
    let order = backordered(&h, "LAMP-9", 2).await;
    h.fake
        .script_change(|_| Err(Status::unavailable("inventory is down")));
    let ask = change(&order, "LAMP-10", 0);
    let down = h.api.change_order_line(ask.clone()).await;
    assert_eq!(down.expect_err("refused").code(), Code::Unavailable);
    let got = h
        .api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await;
    assert_eq!(
        got.expect("order").order.expect("order").lines[0].sku,
        "LAMP-9"
    );

    h.fake.script_change(crate::fake_peers::change_in_stock);
    let changed = h
        .api
        .change_order_line(ask)
        .await
        .expect("changed on retry")
        .order
        .expect("order");
    assert_eq!(changed.lines[0].sku, "LAMP-10");
    let asked = h.fake.seen.changes.lock().expect("changes").clone();
    assert_eq!(asked.len(), 2);
    assert_eq!(
        asked[0].request_id, asked[1].request_id,
        "the same id both times"
    );

    // A short substitute inventory refuses reaches the caller as refused.
    let other = backordered(&h, "LAMP-9", 2).await;
    h.fake
        .script_change(|_| Err(Status::failed_precondition("short and may not wait")));
    let short = h.api.change_order_line(change(&other, "DENY-1", 0)).await;
    assert_eq!(short.expect_err("refused").code(), Code::FailedPrecondition);
    assert!(
        h.notices()
            .await
            .iter()
            .filter(|n| n.event == Ev::LineChanged as i32)
            .all(|n| n.order_id == order.id),
        "nothing told about the refused change"
    );
}
