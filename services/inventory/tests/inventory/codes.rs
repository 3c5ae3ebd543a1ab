//! Stored codes and sums read back safely: an unknown state or policy is
//! refused rather than read as another, and backlog sums saturate instead of
//! failing the call for everyone.

use backorder_proto::inventory::v1 as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_stored_state_or_policy_is_refused_not_guessed() {
    let service = Inventory::start("inv_codes").await;
    let mut client = service.client();
    product(&mut client, "CODE-1", pb::BackorderPolicy::Deny, 5).await;
    let request = order(&[("CODE-1", 2)]);
    client
        .reserve_order(request.clone())
        .await
        .expect("reserve");
    let (order_id, line_id) = (request.order_id.clone(), request.lines[0].line_id.clone());
    service
        .sql(&format!(
            "UPDATE reservation SET state = 99 WHERE order_id = '{order_id}'"
        ))
        .await;

    let released = client
        .release_reservation(pb::ReleaseReservationRequest {
            request_id: rid(),
            order_id: order_id.clone(),
            line_id: line_id.clone(),
        })
        .await
        .expect_err("a line in an unknown state is not released");
    assert_eq!(released.code(), Code::Internal, "{released:?}");
    let issued = client
        .issue_stock(pb::IssueStockRequest {
            request_id: rid(),
            order_id: order_id.clone(),
            line_ids: vec![line_id.clone()],
            shipment_id: rid(),
            ..Default::default()
        })
        .await
        .expect_err("nor shipped");
    assert_eq!(issued.code(), Code::Internal, "{issued:?}");
    let listed = client
        .list_reservations(pb::ListReservationsRequest {
            order_id: order_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("nor shown as some known state");
    assert_eq!(listed.code(), Code::Internal, "{listed:?}");
    assert_eq!(
        stock(&mut client, "CODE-1").await,
        (5, 2, 3, 0),
        "nothing moved"
    );
    assert_eq!(service.reservation_rows(&order_id).await[0].state, 99);

    service
        .sql("UPDATE product SET backorder_policy = 7 WHERE sku = 'CODE-1'")
        .await;
    let reserved = client
        .reserve_order(order(&[("CODE-1", 1)]))
        .await
        .expect_err("an unknown policy decides nothing");
    assert_eq!(reserved.code(), Code::Internal, "{reserved:?}");
    let shown = client
        .get_product(pb::GetProductRequest {
            sku: "CODE-1".into(),
        })
        .await
        .expect_err("nor is shown as a known policy");
    assert_eq!(shown.code(), Code::Internal, "{shown:?}");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_sums_are_exact_and_saturate_instead_of_failing() {
    let service = Inventory::start("inv_backlog_sums").await;
    let mut client = service.client();
    product(&mut client, "SUM-A", pb::BackorderPolicy::Allow, 0).await;
    product(&mut client, "SUM-B", pb::BackorderPolicy::Allow, 0).await;
    let a = order(&[("SUM-A", 5), ("SUM-B", 7)]);
    client.reserve_order(a.clone()).await.expect("reserve");
    client
        .reserve_order(order(&[("SUM-A", 1_000_000)]))
        .await
        .expect("reserve");
    let backlog = |client: &mut Client| {
        let mut client = client.clone();
        async move {
            client
                .list_backlog(pb::ListBacklogRequest::default())
                .await
                .map(|r| r.into_inner())
        }
    };
    let exact = backlog(&mut client).await.expect("backlog");
    let units: Vec<(String, i64, i64)> = exact
        .entries
        .iter()
        .map(|e| (e.sku.clone(), e.waiting_lines, e.waiting_units))
        .collect();
    assert_eq!(
        units,
        [
            ("SUM-A".to_owned(), 2, 1_000_005),
            ("SUM-B".to_owned(), 1, 7)
        ]
    );
    assert_eq!(
        (exact.total_waiting_lines, exact.total_waiting_units),
        (3, 1_000_012)
    );

    // Rows written before quantities were bounded may add up past 2^63:
    // the lines (summed per SKU) and the stock rows (summed for totals).
    let half = i64::MAX / 2 + 1;
    for table in ["reservation", "stock_level"] {
        let column = if table == "reservation" {
            "waiting_quantity"
        } else {
            "backordered"
        };
        service
            .sql(&format!(
                "UPDATE {table} SET {column} = {half} WHERE sku = 'SUM-A'"
            ))
            .await;
        service
            .sql(&format!(
                "UPDATE {table} SET {column} = {} WHERE sku = 'SUM-B'",
                i64::MAX
            ))
            .await;
    }
    let saturated = backlog(&mut client)
        .await
        .expect("the backlog still answers");
    let units: Vec<i64> = saturated.entries.iter().map(|e| e.waiting_units).collect();
    assert_eq!(units, [i64::MAX, i64::MAX]);
    assert_eq!(saturated.total_waiting_units, i64::MAX);
    assert_eq!(saturated.total_waiting_lines, 3);
    service.stop().await;
}
