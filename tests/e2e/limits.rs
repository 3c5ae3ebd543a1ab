//! The largest quantities and orders the API accepts go through every
//! service; one more is refused precisely and writes nothing.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::outbox::v1 as outbox;
use backorder_tests::{Suite, eventually, rid};
use tonic::Code;

use crate::fixtures::*;

const MAX_QUANTITY: i64 = 1_000_000;
const MAX_LINES: usize = 200;

fn field_violations(status: &tonic::Status) -> Vec<String> {
    tonic_types::StatusExt::get_error_details(status)
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_unit_or_one_line_over_the_limits_is_refused_naming_the_field() {
    let suite = Suite::start().await;
    product(&suite, "BIG-1", inv::BackorderPolicy::Allow, 0).await;
    let customer_id = customer(&suite, "Limits").await;
    let mut orders = suite.order().await;
    let mut inventory = suite.inventory().await;

    let too_many_units = orders
        .place_order(order_request(&customer_id, &[("BIG-1", MAX_QUANTITY + 1)]))
        .await
        .expect_err("a line over the maximum quantity");
    assert_eq!(too_many_units.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&too_many_units), ["lines[0].quantity"]);

    let lines = vec![("BIG-1", 1); MAX_LINES + 1];
    let too_many_lines = orders
        .place_order(order_request(&customer_id, &lines))
        .await
        .expect_err("an order over the maximum line count");
    assert_eq!(too_many_lines.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&too_many_lines), ["lines"]);

    for delta in [MAX_QUANTITY + 1, -(MAX_QUANTITY + 1), i64::MAX, i64::MIN] {
        let refused = inventory
            .adjust_stock(inv::AdjustStockRequest {
                request_id: rid(),
                sku: "BIG-1".into(),
                delta,
                reason: "count".into(),
                warehouse: String::new(),
            })
            .await
            .expect_err("an adjustment over the maximum");
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{delta}: {refused:?}"
        );
        assert_eq!(field_violations(&refused), ["delta"], "{delta}");
    }
    let refused = inventory
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "BIG-1".into(),
            quantity: MAX_QUANTITY + 1,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        })
        .await
        .expect_err("a receipt over the maximum");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&refused), ["quantity"]);

    let level = stock(&suite, "BIG-1").await;
    assert_eq!(
        (level.on_hand, level.reserved, level.backordered),
        (0, 0, 0)
    );
    let listed = orders
        .list_orders(ord::ListOrdersRequest {
            customer_id: customer_id.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .orders;
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_order_is_placed_confirmed_and_counted_end_to_end() {
    let suite = Suite::start().await;
    let skus: Vec<String> = (0..MAX_LINES).map(|i| format!("MAX-{i:03}")).collect();
    for sku in &skus {
        product(&suite, sku, inv::BackorderPolicy::Allow, 0).await;
    }
    let mut inventory = suite.inventory().await;
    inventory
        .adjust_stock(inv::AdjustStockRequest {
            request_id: rid(),
            sku: skus[0].clone(),
            delta: MAX_QUANTITY,
            reason: "the largest count there may be".into(),
            warehouse: String::new(),
        })
        .await
        .expect("an adjustment of the maximum");
    let customer_id = customer(&suite, "Largest").await;
    let lines: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), MAX_QUANTITY)).collect();

    let order = place(&suite, &customer_id, &lines).await;

    assert_eq!(order.lines.len(), MAX_LINES);
    assert_eq!(order.status, ord::OrderStatus::Backordered as i32);
    assert_eq!(
        (
            order.lines[0].reserved_quantity,
            order.lines[0].backordered_quantity
        ),
        (MAX_QUANTITY, 0)
    );
    assert!(
        order.lines[1..]
            .iter()
            .all(|l| l.backordered_quantity == MAX_QUANTITY)
    );

    // Whatever the order service accepts, notification accepts: the
    // confirmation of the largest order arrives, nothing is parked.
    let confirmed = eventually("the confirmation", WAIT, || async {
        notifications_of_customer(&suite, &customer_id)
            .await
            .into_iter()
            .find(|n| n.order_id == order.id && n.event == Ev::OrderConfirmed as i32)
    })
    .await;
    assert!(!confirmed.message.is_empty());
    let marker = place(&suite, &customer_id, &[(skus[0].as_str(), 1)]).await;
    eventually("a later notice", WAIT, || async {
        notifications_of_customer(&suite, &customer_id)
            .await
            .into_iter()
            .find(|n| n.order_id == marker.id && n.event == Ev::OrderConfirmed as i32)
    })
    .await;
    let parked = suite
        .outbox("order")
        .await
        .list_parked_messages(outbox::ListParkedMessagesRequest::default())
        .await
        .expect("parked messages")
        .into_inner()
        .messages;
    assert!(parked.is_empty(), "{parked:?}");

    let stats = suite
        .order()
        .await
        .get_backorder_stats(ord::GetBackorderStatsRequest::default())
        .await
        .expect("stats")
        .into_inner();
    let lines_placed = i64::try_from(MAX_LINES).expect("line count") + 1;
    assert_eq!(stats.lines_placed, lines_placed);
    assert_eq!(stats.units_ordered, MAX_QUANTITY * (lines_placed - 1) + 1);
    let backlog = inventory
        .list_backlog(inv::ListBacklogRequest::default())
        .await
        .expect("backlog")
        .into_inner();
    let waiting = lines_placed - 1;
    assert_eq!(
        (backlog.total_waiting_lines, backlog.total_waiting_units),
        (waiting, MAX_QUANTITY * (waiting - 1) + 1)
    );
}
