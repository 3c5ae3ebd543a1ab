//! ReserveOrder claims its request id before it locks any stock: a twin
//! call that overlaps the first gets the first call's answer, and a refused
//! call leaves nothing behind.

use backorder_proto::inventory::v1 as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_twins_get_one_answer_and_reserve_the_stock_once() {
    let service = Inventory::start("inv_twins").await;
    let mut client = service.client();
    // Stock for exactly one order, and no backorders: a second reservation
    // could only be a stockout.
    product(&mut client, "TWIN-1", pb::BackorderPolicy::Deny, 5).await;
    let request = order(&[("TWIN-1", 5)]);

    let held = if service.is_postgres() {
        Some(service.hold_stock_lock("TWIN-1").await)
    } else {
        None
    };
    let mut first_client = service.client();
    let first_request = request.clone();
    let first = spawn(async move { first_client.reserve_order(first_request).await });
    if held.is_some() {
        service.wait_for_lock_waiters(1).await;
    }
    let mut second_client = service.client();
    let second_request = request.clone();
    let second = spawn(async move { second_client.reserve_order(second_request).await });
    if let Some(held) = held {
        // Both calls are in flight before either can touch the stock.
        service.wait_for_lock_waiters(2).await;
        held.commit().await.expect("release the stock row");
    }

    let first = joined(first).await.expect("first call").into_inner();
    let second = joined(second)
        .await
        .expect("the twin gets the same success, not a stockout")
        .into_inner();
    assert_eq!(first, second, "one answer for one request id");
    assert_eq!(first.lines.len(), 1);
    assert_eq!(first.lines[0].reserved_quantity, 5);
    assert_eq!(
        stock(&mut client, "TWIN-1").await,
        (5, 5, 0, 0),
        "available dropped by the quantity once"
    );
    assert_eq!(service.reservation_rows(&request.order_id).await.len(), 1);
    let reserves = service
        .movements("TWIN-1")
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "reserve")
        .count();
    assert_eq!(reserves, 1, "one reserve entry in the ledger");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_repeated_stockout_leaves_nothing_behind_and_is_decided_afresh() {
    let service = Inventory::start("inv_stockout_twice").await;
    let mut client = service.client();
    product(&mut client, "SHORT-1", pb::BackorderPolicy::Deny, 1).await;
    let request = order(&[("SHORT-1", 2)]);

    for attempt in 1..=2 {
        let refused = client.reserve_order(request.clone()).await;
        assert_precondition(refused, "STOCKOUT");
        assert_eq!(
            stock(&mut client, "SHORT-1").await,
            (1, 0, 1, 0),
            "attempt {attempt}"
        );
        assert!(
            service.reservation_rows(&request.order_id).await.is_empty(),
            "attempt {attempt}: no reservation kept"
        );
        assert!(
            !service.has_stored_answer(&request.request_id).await,
            "attempt {attempt}: neither a claim nor an answer is kept"
        );
        assert_eq!(
            service.outbox_len().await,
            0,
            "attempt {attempt}: no message"
        );
        assert_eq!(
            service.movements("SHORT-1").await,
            [("adjust".to_owned(), 1, 0)],
            "attempt {attempt}: only the initial count is in the ledger"
        );
    }

    // Once the stock is there, the same request succeeds: the refusal was
    // not stored as its answer.
    client
        .adjust_stock(pb::AdjustStockRequest {
            request_id: rid(),
            sku: "SHORT-1".into(),
            delta: 1,
            reason: "found one".into(),
            warehouse: String::new(),
        })
        .await
        .expect("adjust");
    let reserved = client
        .reserve_order(request.clone())
        .await
        .expect("reserved now")
        .into_inner();
    assert_eq!(reserved.lines[0].reserved_quantity, 2);
    assert!(service.has_stored_answer(&request.request_id).await);
    let other_body = pb::ReserveOrderRequest {
        accept_backorders: false,
        ..request
    };
    let reused = client
        .reserve_order(other_body)
        .await
        .expect_err("same id, other body");
    assert_eq!(reused.code(), Code::AlreadyExists);
    service.stop().await;
}
