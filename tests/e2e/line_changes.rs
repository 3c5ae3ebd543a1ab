//! Changing a backordered line, end to end: a substitute in stock makes
//! the line ready, the old SKU's backlog and draft purchase order shrink,
//! and the customer hears of it; a reduction shrinks the waiting units and
//! the draft; repeats answer as before; a ready line no longer changes.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, eventually, rid};
use tonic::Code;

use crate::fixtures::*;

fn change(order: &ord::Order, sku: &str, quantity: i64) -> ord::ChangeOrderLineRequest {
    ord::ChangeOrderLineRequest {
        request_id: rid(),
        order_id: order.id.clone(),
        line_id: order.lines[0].id.clone(),
        sku: sku.into(),
        quantity,
    }
}

async fn change_line(
    suite: &Suite,
    request: ord::ChangeOrderLineRequest,
) -> Result<ord::Order, tonic::Status> {
    suite
        .order()
        .await
        .change_order_line(request)
        .await
        .map(|r| r.into_inner().order.expect("order"))
}

/// Waits until the supplier's draft carries `units` of demand for `sku`.
async fn wait_draft_demand(suite: &Suite, supplier_id: &str, sku: &str, units: i64) {
    eventually(&format!("a draft with {units} x {sku}"), WAIT, || async {
        purchase_orders(suite, supplier_id)
            .await
            .into_iter()
            .find(|po| {
                po.status == proc_::PurchaseOrderStatus::Draft as i32
                    && po
                        .lines
                        .iter()
                        .any(|l| l.sku == sku && l.demand_quantity == units)
            })
    })
    .await;
}

/// Waits until the customer was told a line changed; returns the detail.
async fn wait_line_changed(suite: &Suite, customer_id: &str) -> String {
    eventually("the LINE_CHANGED notice", WAIT, || async {
        notifications_of_customer(suite, customer_id)
            .await
            .into_iter()
            .find(|n| n.event == Ev::LineChanged as i32)
            .map(|n| n.message)
    })
    .await
}

fn reason(status: &tonic::Status) -> String {
    tonic_types::StatusExt::get_error_details(status)
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_substitute_in_stock_is_ready_and_the_old_backlog_and_draft_shrink() {
    let suite = Suite::start().await;
    product(&suite, "LAMP-9", inv::BackorderPolicy::Allow, 0).await;
    product(&suite, "LAMP-10", inv::BackorderPolicy::Deny, 5).await;
    let acme = supplier(&suite, "LAMP-9", 7, 1, 1).await;
    let ada = customer(&suite, "Ada").await;
    let bob = customer(&suite, "Bob").await;
    let order = place(&suite, &ada, &[("LAMP-9", 3)]).await;
    place(&suite, &bob, &[("LAMP-9", 2)]).await;
    wait_draft_demand(&suite, &acme, "LAMP-9", 5).await;
    assert_eq!(stock(&suite, "LAMP-9").await.backordered, 5);

    let ask = change(&order, "LAMP-10", 0);
    let changed = change_line(&suite, ask.clone()).await.expect("substituted");
    let line = &changed.lines[0];
    assert_eq!((line.sku.as_str(), line.quantity), ("LAMP-10", 3));
    assert_eq!(line.status, ord::LineStatus::Ready as i32);
    assert_eq!(changed.status, ord::OrderStatus::Ready as i32);
    assert_eq!(line.eta, None, "no date: nothing waits");

    assert_eq!(stock(&suite, "LAMP-9").await.backordered, 2);
    assert_eq!(stock(&suite, "LAMP-10").await.reserved, 3);
    wait_draft_demand(&suite, &acme, "LAMP-9", 2).await;
    let told = wait_line_changed(&suite, &ada).await;
    assert!(
        told.contains("LAMP-9 x 3 replaced by LAMP-10 x 3"),
        "{told}"
    );
    assert!(!told.contains("ada@example.com"));

    let again = change_line(&suite, ask).await.expect("repeat");
    assert_eq!(again.lines[0].sku, changed.lines[0].sku);
    assert_eq!(again.lines[0].status, changed.lines[0].status);
    assert_eq!(stock(&suite, "LAMP-10").await.reserved, 3, "reserved once");

    let refused = change_line(&suite, change(&order, "", 1))
        .await
        .expect_err("a ready line does not change");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "LINE_NOT_BACKORDERED");

    // The line ships as the substitute, from the substitute's stock.
    let shipped = suite
        .order()
        .await
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            tracking_number: "TRK-CHANGE-1".into(),
            carrier: "DHL".into(),
            ..Default::default()
        })
        .await
        .expect("shipped");
    assert!(shipped.into_inner().shipment.is_some());
    // Inventory issues it when the order's outbox delivers the shipment.
    eventually("LAMP-10 issued", WAIT, || async {
        let lamp10 = stock(&suite, "LAMP-10").await;
        ((lamp10.on_hand, lamp10.reserved) == (2, 0)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reduction_shrinks_the_waiting_units_and_the_draft() {
    let suite = Suite::start().await;
    product(&suite, "BULB-1", inv::BackorderPolicy::Allow, 1).await;
    let acme = supplier(&suite, "BULB-1", 7, 1, 1).await;
    let cy = customer(&suite, "Cy").await;
    let order = place(&suite, &cy, &[("BULB-1", 6)]).await;
    assert_eq!(order.lines[0].backordered_quantity, 5);
    wait_draft_demand(&suite, &acme, "BULB-1", 5).await;

    let changed = change_line(&suite, change(&order, "", 4))
        .await
        .expect("reduced");
    let line = &changed.lines[0];
    assert_eq!(
        (
            line.quantity,
            line.ready_quantity,
            line.backordered_quantity
        ),
        (4, 1, 3)
    );
    assert_eq!(line.status, ord::LineStatus::Backordered as i32);
    assert_eq!(stock(&suite, "BULB-1").await.backordered, 3);
    wait_draft_demand(&suite, &acme, "BULB-1", 3).await;
    let told = wait_line_changed(&suite, &cy).await;
    assert!(told.contains("BULB-1: 6 units now 4"), "{told}");

    let not_fewer = change_line(&suite, change(&order, "BULB-1", 4))
        .await
        .expect_err("not a reduction");
    assert_eq!(not_fewer.code(), Code::InvalidArgument);
}
