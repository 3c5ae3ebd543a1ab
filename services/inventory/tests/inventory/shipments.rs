//! IssueStock locks the stock row before it reads the lines it ships, and
//! writes them back only as it read them: racing a cancellation or another
//! shipment of the same line, it never issues twice and never brings a
//! released line back. The reserved part of a line still waiting for the
//! rest ships by units, and the line keeps waiting.

use backorder_proto::inventory::v1 as pb;
use tonic::Code;

use crate::support::*;

/// One allocated line of 3 units from 5 on hand.
async fn allocated_line(client: &mut Client, sku: &str) -> (String, String) {
    product(client, sku, pb::BackorderPolicy::Deny, 5).await;
    let request = order(&[(sku, 3)]);
    client
        .reserve_order(request.clone())
        .await
        .expect("reserve");
    (request.order_id, request.lines[0].line_id.clone())
}

fn issue(order_id: &str, line_id: &str) -> pb::IssueStockRequest {
    pb::IssueStockRequest {
        request_id: rid(),
        order_id: order_id.to_owned(),
        line_ids: vec![line_id.to_owned()],
        shipment_id: rid(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_issue_racing_a_release_never_brings_the_released_line_back() {
    let service = Inventory::start("inv_issue_release").await;
    let mut client = service.client();
    let (order_id, line_id) = allocated_line(&mut client, "RACE-REL").await;

    // On PostgreSQL the release is queued for the stock row first, then the
    // issue: the issue must see the release, not the line it read earlier.
    let held = if service.is_postgres() {
        Some(service.hold_stock_lock("RACE-REL").await)
    } else {
        None
    };
    let mut release_client = service.client();
    let release_request = pb::ReleaseReservationRequest {
        request_id: rid(),
        order_id: order_id.clone(),
        line_id: line_id.clone(),
    };
    let release = spawn(async move { release_client.release_reservation(release_request).await });
    if held.is_some() {
        service.wait_for_lock_waiters(1).await;
    }
    let mut issue_client = service.client();
    let issue_request = issue(&order_id, &line_id);
    let shipped = spawn(async move { issue_client.issue_stock(issue_request).await });
    if let Some(held) = held {
        service.wait_for_lock_waiters(2).await;
        held.commit().await.expect("release the stock row");
    }
    let release = joined(release).await;
    let shipped = joined(shipped).await;

    let rows = service.reservation_rows(&order_id).await;
    let state = rows[0].state;
    match (&release, &shipped) {
        (Ok(released), Err(refused)) => {
            assert_eq!(released.get_ref().released_reserved, 3);
            assert_eq!(refused.code(), Code::FailedPrecondition);
            assert_eq!(reason(refused), "LINE_RELEASED", "{}", refused.message());
            assert_eq!(state, pb::ReservationState::Released as i32);
            assert_eq!(stock(&mut client, "RACE-REL").await, (5, 0, 5, 0));
        }
        (Err(refused), Ok(issued)) => {
            assert!(
                !service.is_postgres(),
                "the release was queued first and must win"
            );
            assert_eq!(issued.get_ref().issued_quantity, 3);
            assert_eq!(reason(refused), "LINE_SHIPPED", "{}", refused.message());
            assert_eq!(state, pb::ReservationState::Issued as i32);
            assert_eq!(stock(&mut client, "RACE-REL").await, (2, 0, 2, 0));
        }
        other => panic!("exactly one of release and issue may win: {other:?}"),
    }
    let issues = service
        .movements("RACE-REL")
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "issue")
        .count();
    assert!(issues <= 1, "issued {issues} times");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_shipments_of_one_line_take_it_off_the_shelf_once() {
    let service = Inventory::start("inv_issue_twice").await;
    let mut client = service.client();
    let (order_id, line_id) = allocated_line(&mut client, "RACE-ISS").await;

    let held = if service.is_postgres() {
        Some(service.hold_stock_lock("RACE-ISS").await)
    } else {
        None
    };
    let mut first_client = service.client();
    let first_request = issue(&order_id, &line_id);
    let first = spawn(async move { first_client.issue_stock(first_request).await });
    if held.is_some() {
        service.wait_for_lock_waiters(1).await;
    }
    let mut second_client = service.client();
    let second_request = issue(&order_id, &line_id);
    let second = spawn(async move { second_client.issue_stock(second_request).await });
    if let Some(held) = held {
        service.wait_for_lock_waiters(2).await;
        held.commit().await.expect("release the stock row");
    }
    let first = joined(first).await.expect("first shipment").into_inner();
    let second = joined(second).await.expect("second shipment").into_inner();

    let mut issued = [first.issued_quantity, second.issued_quantity];
    issued.sort_unstable();
    assert_eq!(
        issued,
        [0, 3],
        "one shipment took the line, the other found it gone"
    );
    if service.is_postgres() {
        assert_eq!(first.issued_quantity, 3, "the first queued took it");
    }
    assert_eq!(stock(&mut client, "RACE-ISS").await, (2, 0, 2, 0));
    let issues: Vec<_> = service
        .movements("RACE-ISS")
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "issue")
        .collect();
    assert_eq!(issues, [("issue".to_owned(), -3, -3)]);
    let rows = service.reservation_rows(&order_id).await;
    assert_eq!(rows[0].state, pb::ReservationState::Issued as i32);
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reserved_part_of_a_waiting_line_ships_and_the_line_keeps_waiting() {
    let service = Inventory::start("inv_issue_part").await;
    let mut client = service.client();
    product(&mut client, "PART-1", pb::BackorderPolicy::Allow, 2).await;
    let request = order(&[("PART-1", 5)]);
    client
        .reserve_order(request.clone())
        .await
        .expect("reserve");
    let line_id = request.lines[0].line_id.clone();
    let units = |quantity| pb::IssueStockRequest {
        request_id: rid(),
        order_id: request.order_id.clone(),
        shipment_id: rid(),
        lines: vec![pb::IssueLine {
            line_id: line_id.clone(),
            quantity,
        }],
        ..Default::default()
    };

    assert_precondition(client.issue_stock(units(3)).await, "LINE_NOT_ALLOCATED");
    let issued = client.issue_stock(units(2)).await.expect("the part ships");
    assert_eq!(issued.into_inner().issued_quantity, 2);
    // on hand, reserved, available, backordered
    assert_eq!(stock(&mut client, "PART-1").await, (0, 0, 0, 3));
    let rows = service.reservation_rows(&request.order_id).await;
    assert_eq!(
        (rows[0].reserved_quantity, rows[0].waiting_quantity),
        (0, 3),
        "still waiting"
    );
    assert_precondition(client.issue_stock(units(1)).await, "LINE_NOT_ALLOCATED");
    let whole = issue(&request.order_id, &line_id);
    assert_precondition(client.issue_stock(whole).await, "LINE_NOT_ALLOCATED");
    service.stop().await;
}
