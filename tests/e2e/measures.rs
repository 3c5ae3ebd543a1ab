//! What operators measure and steer: the backlog, backorder and fill
//! rates, queue priorities, supplier performance.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, rid};

use crate::fixtures::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_backlog_sums_waiting_lines_per_sku_and_shrinks_as_stock_arrives() {
    let suite = Suite::start().await;
    product(&suite, "BL-A", inv::BackorderPolicy::Allow, 1).await;
    product(&suite, "BL-B", inv::BackorderPolicy::Allow, 0).await;
    product(&suite, "BL-C", inv::BackorderPolicy::Allow, 10).await;
    let customer_id = customer(&suite, "Backlog").await;
    place(&suite, &customer_id, &[("BL-A", 3), ("BL-B", 2)]).await;
    place(&suite, &customer_id, &[("BL-B", 4), ("BL-C", 1)]).await;
    let inventory = suite.inventory().await;
    let backlog = |page_token: String| {
        let mut inventory = inventory.clone();
        async move {
            inventory
                .list_backlog(inv::ListBacklogRequest {
                    page_size: 1,
                    page_token,
                })
                .await
                .expect("list backlog")
                .into_inner()
        }
    };

    let first = backlog(String::new()).await;
    let second = backlog(first.next_page_token.clone()).await;
    let summary = |page: &inv::ListBacklogResponse| {
        page.entries
            .iter()
            .map(|e| (e.sku.clone(), e.waiting_lines, e.waiting_units))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&first), [("BL-A".to_owned(), 1, 2)]);
    assert!(!first.next_page_token.is_empty());
    assert_eq!(summary(&second), [("BL-B".to_owned(), 2, 6)]);
    assert!(
        second.next_page_token.is_empty(),
        "BL-C has nothing waiting"
    );
    assert_eq!(
        (first.total_waiting_lines, first.total_waiting_units),
        (3, 8)
    );
    let oldest = first
        .entries
        .iter()
        .chain(&second.entries)
        .filter_map(|e| e.oldest_waiting_since.map(|t| (t.seconds, t.nanos)))
        .min();
    assert_eq!(
        first.oldest_waiting_since.map(|t| (t.seconds, t.nanos)),
        oldest,
        "the whole backlog is as old as its oldest SKU"
    );

    inventory
        .clone()
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "BL-A".into(),
            quantity: 2,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        })
        .await
        .expect("receive");
    let after = backlog(String::new()).await;
    assert_eq!(summary(&after), [("BL-B".to_owned(), 2, 6)]);
    assert_eq!(
        (after.total_waiting_lines, after.total_waiting_units),
        (2, 6)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backorder_and_fill_rates_count_what_was_served_from_stock_at_placement() {
    let suite = Suite::start().await;
    product(&suite, "KPI-A", inv::BackorderPolicy::Allow, 5).await;
    product(&suite, "KPI-B", inv::BackorderPolicy::Allow, 1).await;
    product(&suite, "KPI-D", inv::BackorderPolicy::Deny, 0).await;
    let customer_id = customer(&suite, "Measures").await;
    let mut orders = suite.order().await;
    let before = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest::default())
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(before, ord::GetBackorderStatsResponse::default());

    place(&suite, &customer_id, &[("KPI-A", 2)]).await;
    place(&suite, &customer_id, &[("KPI-A", 2), ("KPI-B", 3)]).await;
    place(&suite, &customer_id, &[("KPI-A", 1)]).await;
    let refused = orders
        .place_order(order_request(&customer_id, &[("KPI-D", 1)]))
        .await
        .expect_err("a stockout is refused");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    // The customer would not wait for the A and B that are gone (A's 5
    // went to the orders above): the whole order (3 units) is lost, charged
    // to both.
    let mut declined = order_request(&customer_id, &[("KPI-A", 1), ("KPI-B", 2)]);
    declined.accept_backorders = false;
    orders
        .place_order(declined)
        .await
        .expect_err("the customer declines to wait");

    let stats = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest::default())
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(
        (stats.orders_placed, stats.orders_backordered),
        (3, 1),
        "the refused order is no order"
    );
    assert_eq!((stats.lines_placed, stats.lines_filled_from_stock), (4, 3));
    assert_eq!((stats.units_ordered, stats.units_from_stock), (8, 6));
    assert!((stats.backorder_rate_percent - 100.0 / 3.0).abs() < 1e-9);
    assert!((stats.line_fill_rate_percent - 75.0).abs() < 1e-9);
    assert!((stats.unit_fill_rate_percent - 75.0).abs() < 1e-9);
    // Lost sales: two refused orders of five asked for, four units.
    assert_eq!((stats.orders_refused, stats.units_lost), (2, 4));
    assert!((stats.lost_sale_rate_percent - 40.0).abs() < 1e-9);
    let lost: Vec<(String, i32, i64, i64)> = stats
        .lost_sales
        .iter()
        .map(|l| (l.sku.clone(), l.reason, l.orders, l.units))
        .collect();
    assert_eq!(
        lost,
        [
            (
                "KPI-A".to_owned(),
                ord::LostSaleReason::CustomerDeclined as i32,
                1,
                1
            ),
            (
                "KPI-B".to_owned(),
                ord::LostSaleReason::CustomerDeclined as i32,
                1,
                2
            ),
            (
                "KPI-D".to_owned(),
                ord::LostSaleReason::PolicyDenies as i32,
                1,
                1
            ),
        ]
    );

    let later = prost_types::Timestamp {
        seconds: i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs(),
        )
        .expect("seconds")
            + 3600,
        nanos: 0,
    };
    let empty_window = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest {
            start_time: Some(later),
            end_time: None,
        })
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(empty_window.orders_placed, 0);
    let backwards = orders
        .get_backorder_stats(ord::GetBackorderStatsRequest {
            start_time: Some(later),
            end_time: Some(prost_types::Timestamp {
                seconds: later.seconds - 60,
                nanos: 0,
            }),
        })
        .await
        .expect_err("an empty window is refused");
    assert_eq!(backwards.code(), tonic::Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prioritised_backorder_is_filled_before_older_ones_and_the_reason_is_recorded() {
    let suite = Suite::start().await;
    product(&suite, "PRIO-1", inv::BackorderPolicy::Allow, 0).await;
    let customer_id = customer(&suite, "Priority").await;
    let mut placed = Vec::new();
    for _ in 0..3 {
        placed.push(place(&suite, &customer_id, &[("PRIO-1", 1)]).await);
    }
    let mut inventory = suite.inventory().await;
    let (oldest, middle, newest) = (&placed[0], &placed[1], &placed[2]);
    let prioritise =
        |order: &ord::Order, priority: i32, reason: &str| inv::SetBackorderPriorityRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: order.lines[0].id.clone(),
            priority,
            reason: reason.into(),
        };
    let request = prioritise(newest, 10, "customer tier: gold");
    let set = inventory
        .set_backorder_priority(request.clone())
        .await
        .expect("set priority")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(
        (set.priority, set.priority_reason.as_str()),
        (10, "customer tier: gold")
    );
    let again = inventory
        .set_backorder_priority(request)
        .await
        .expect("a retry")
        .into_inner()
        .reservation
        .expect("reservation");
    assert_eq!(again, set, "a retry gets the same answer");

    let queue: Vec<String> = inventory
        .list_reservations(inv::ListReservationsRequest {
            sku: "PRIO-1".into(),
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_inner()
        .reservations
        .into_iter()
        .map(|r| r.order_id)
        .collect();
    assert_eq!(
        queue,
        [newest.id.clone(), oldest.id.clone(), middle.id.clone()],
        "priority first, then arrival"
    );

    let out_of_range = inventory
        .set_backorder_priority(prioritise(middle, 1001, "too much"))
        .await
        .expect_err("out of range");
    assert_eq!(out_of_range.code(), tonic::Code::InvalidArgument);

    inventory
        .receive_stock(inv::ReceiveStockRequest {
            request_id: rid(),
            sku: "PRIO-1".into(),
            quantity: 2,
            purchase_order_id: String::new(),
            warehouse: String::new(),
        })
        .await
        .expect("receive");
    wait_line_statuses(&suite, &newest.id, &[LineStatus::Ready]).await;
    wait_line_statuses(&suite, &oldest.id, &[LineStatus::Ready]).await;
    assert_eq!(
        get_order(&suite, &middle.id).await.lines[0].status,
        LineStatus::Backordered as i32,
        "the middle order waits: the newest one jumped the queue"
    );

    let filled = inventory
        .set_backorder_priority(prioritise(newest, 0, "back to normal"))
        .await
        .expect_err("a filled line has no place in the queue");
    assert_eq!(filled.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread")]
async fn supplier_performance_counts_purchase_orders_received_by_their_promised_day() {
    let suite = Suite::start().await;
    product(&suite, "SUP-1", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "SUP-1", 5, 1, 1).await;
    let customer_id = customer(&suite, "Perf").await;
    let now = prost_types::Timestamp::from(std::time::SystemTime::now()).seconds;
    let day = 86_400;

    let first = place(&suite, &customer_id, &[("SUP-1", 2)]).await;
    let in_three_days = prost_types::Timestamp {
        seconds: now + 3 * day,
        nanos: 0,
    };
    buy_through_draft(
        &suite,
        &supplier_id,
        "SUP-1",
        2,
        in_three_days,
        &[&first.id],
    )
    .await;
    wait_line_statuses(&suite, &first.id, &[LineStatus::Ready]).await;

    let second = place(&suite, &customer_id, &[("SUP-1", 1)]).await;
    let three_days_ago = prost_types::Timestamp {
        seconds: now - 3 * day,
        nanos: 0,
    };
    buy_through_draft(
        &suite,
        &supplier_id,
        "SUP-1",
        1,
        three_days_ago,
        &[&second.id],
    )
    .await;
    wait_line_statuses(&suite, &second.id, &[LineStatus::Ready]).await;

    let mut procurement = suite.procurement().await;
    let performance = procurement
        .get_supplier_performance(proc_::GetSupplierPerformanceRequest {
            supplier_id: supplier_id.clone(),
        })
        .await
        .expect("performance")
        .into_inner();
    assert_eq!(performance.lead_time_days, 5);
    assert_eq!(
        (
            performance.purchase_orders_received,
            performance.purchase_orders_promised,
            performance.received_on_time
        ),
        (2, 2, 1),
        "the second arrived three days after its promised date"
    );
    assert!((performance.on_time_rate_percent - 50.0).abs() < 1e-9);
    assert!(
        (0.0..0.01).contains(&performance.average_days_to_receive),
        "received straight after submission: {}",
        performance.average_days_to_receive
    );
    let unknown = procurement
        .get_supplier_performance(proc_::GetSupplierPerformanceRequest {
            supplier_id: backorder_tests::rid(),
        })
        .await
        .expect_err("unknown supplier");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}
