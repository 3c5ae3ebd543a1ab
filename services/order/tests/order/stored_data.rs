//! Stored data the API no longer accepts, or that is damaged: it must fail
//! loudly where it is read, and never take the whole service down.

use backorder_proto::order::v1 as pb;
use sea_orm::ConnectionTrait;
use tonic::Code;

use crate::helpers::{harness, place_request, rid};

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_line_status_is_an_error_not_a_pending_line() {
    let h = harness("corrupt_status").await;
    let customer = rid();
    let order = h.place(&customer, &[("PEN-1", 2)]).await;
    let line_id = order.lines[0].id.clone();
    h.db.execute_unprepared(&format!(
        "UPDATE order_line SET status = 42 WHERE id = '{line_id}'"
    ))
    .await
    .expect("damage the line");

    let cancel = h
        .api
        .cancel_order_line(pb::CancelOrderLineRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: line_id.clone(),
            reason: String::new(),
        })
        .await
        .expect_err("a corrupt line cannot be cancelled");
    assert_eq!(cancel.code(), Code::Internal, "{cancel:?}");
    assert!(
        cancel.to_string().contains("line status code 42"),
        "{cancel}"
    );
    let allocated = h
        .api
        .mark_line_allocated(pb::MarkLineAllocatedRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id,
            ..Default::default()
        })
        .await
        .expect_err("nor allocated");
    assert_eq!(allocated.code(), Code::Internal);
    let read = h
        .api
        .get_order(pb::GetOrderRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect_err("nor shown as some status");
    assert_eq!(read.code(), Code::Internal);
    assert!(
        h.notices().await.iter().all(|n| n.event != 8),
        "nothing was cancelled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backorder_stats_survive_stored_totals_past_i64() {
    let h = harness("stats_overflow").await;
    let customer = rid();
    for _ in 0..3 {
        h.api
            .place_order(place_request(&customer, &[("PEN-1", 1)]))
            .await
            .expect("placed");
    }
    // Rows stored before quantities were bounded: together they exceed i64.
    h.db.execute_unprepared(&format!(
        "UPDATE order_line SET quantity = {max}, reserved_quantity = {half}",
        max = i64::MAX,
        half = i64::MAX / 2
    ))
    .await
    .expect("legacy quantities");

    let stats = h
        .api
        .get_backorder_stats(pb::GetBackorderStatsRequest::default())
        .await
        .expect("the measures still answer");
    assert_eq!(stats.orders_placed, 3);
    assert_eq!(stats.lines_placed, 3);
    assert_eq!(stats.units_ordered, i64::MAX, "saturated, not wrapped");
    assert_eq!(stats.units_from_stock, i64::MAX);
    assert!(
        (stats.unit_fill_rate_percent - 50.0).abs() < 1e-6,
        "the rate is exact: {}",
        stats.unit_fill_rate_percent
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backorder_stats_are_exact_at_the_largest_orders() {
    let h = harness("stats_at_limit").await;
    let customer = rid();
    let skus: Vec<String> = (0..200).map(|i| format!("SKU-{i}")).collect();
    let lines: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 1_000_000)).collect();
    for _ in 0..2 {
        h.api
            .place_order(place_request(&customer, &lines))
            .await
            .expect("placed");
    }
    let stats = h
        .api
        .get_backorder_stats(pb::GetBackorderStatsRequest::default())
        .await
        .expect("stats");
    assert_eq!(stats.units_ordered, 400_000_000);
    assert_eq!(stats.units_from_stock, 400_000_000);
    assert_eq!(stats.lines_placed, 400);
    assert!((stats.unit_fill_rate_percent - 100.0).abs() < 1e-9);
}
