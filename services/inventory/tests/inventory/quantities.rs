//! Every quantity is bounded at the API, and stored totals are changed with
//! checked arithmetic: a change that would overflow is refused with
//! QUANTITY_LIMIT and writes nothing.

use backorder_proto::inventory::v1 as pb;

use crate::support::*;

const MAX: i64 = 1_000_000;

fn adjust(sku: &str, delta: i64) -> pb::AdjustStockRequest {
    pb::AdjustStockRequest {
        request_id: rid(),
        sku: sku.to_owned(),
        delta,
        reason: "count".into(),
        warehouse: String::new(),
    }
}

fn receive(sku: &str, quantity: i64) -> pb::ReceiveStockRequest {
    pb::ReceiveStockRequest {
        request_id: rid(),
        sku: sku.to_owned(),
        quantity,
        purchase_order_id: String::new(),
        warehouse: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantities_at_the_limit_pass_and_one_past_is_refused_naming_the_field() {
    let service = Inventory::start("inv_limits").await;
    let mut client = service.client();
    product(&mut client, "LIM-WAIT", pb::BackorderPolicy::Allow, 0).await;
    product(&mut client, "LIM-ADJ", pb::BackorderPolicy::Deny, 0).await;

    // Order lines: 1..=1,000,000 units, 1..=200 lines.
    let at_limit = client
        .reserve_order(order(&[("LIM-WAIT", MAX)]))
        .await
        .expect("a line of the maximum")
        .into_inner();
    assert_eq!(at_limit.lines[0].backordered_quantity, MAX);
    assert_invalid(
        client.reserve_order(order(&[("LIM-WAIT", MAX + 1)])).await,
        &["lines[0].quantity"],
    );
    assert_invalid(
        client
            .reserve_order(order(&[("LIM-WAIT", 1), ("LIM-WAIT", i64::MAX)]))
            .await,
        &["lines[1].quantity"],
    );
    let most_lines = vec![("LIM-WAIT", 1); 200];
    client
        .reserve_order(order(&most_lines))
        .await
        .expect("200 lines");
    let too_many = vec![("LIM-WAIT", 1); 201];
    assert_invalid(client.reserve_order(order(&too_many)).await, &["lines"]);

    // Adjustments: |delta| 1..=1,000,000.
    client
        .adjust_stock(adjust("LIM-ADJ", MAX))
        .await
        .expect("+max");
    client
        .adjust_stock(adjust("LIM-ADJ", -MAX))
        .await
        .expect("-max");
    for delta in [MAX + 1, -MAX - 1, i64::MAX, i64::MIN, 0] {
        assert_invalid(
            client.adjust_stock(adjust("LIM-ADJ", delta)).await,
            &["delta"],
        );
    }

    // Receipts: 1..=1,000,000.
    client
        .receive_stock(receive("LIM-ADJ", MAX))
        .await
        .expect("max");
    for quantity in [MAX + 1, i64::MAX, 0, -1] {
        assert_invalid(
            client.receive_stock(receive("LIM-ADJ", quantity)).await,
            &["quantity"],
        );
    }
    assert_eq!(stock(&mut client, "LIM-ADJ").await, (MAX, 0, MAX, 0));

    // Shipments name at most 200 lines; caps stay within 1,000,000,000.
    let many_lines = pb::IssueStockRequest {
        request_id: rid(),
        order_id: rid(),
        line_ids: (0..201).map(|_| rid()).collect(),
        shipment_id: rid(),
        ..Default::default()
    };
    assert_invalid(client.issue_stock(many_lines).await, &["line_ids"]);
    let capped = |cap| pb::CreateProductRequest {
        request_id: rid(),
        sku: format!("LIM-CAP-{cap}"),
        name: "Capped".into(),
        backorder_policy: pb::BackorderPolicy::Capped as i32,
        backorder_cap: cap,
        price_minor: 0,
        inbound_margin: 0,
    };
    client
        .create_product(capped(1_000_000_000))
        .await
        .expect("largest cap");
    assert_invalid(
        client.create_product(capped(1_000_000_001)).await,
        &["backorder_cap"],
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_totals_that_would_overflow_are_refused_and_nothing_is_written() {
    let service = Inventory::start("inv_overflow").await;
    let mut client = service.client();
    product(&mut client, "FULL", pb::BackorderPolicy::Allow, 0).await;
    product(&mut client, "LATE", pb::BackorderPolicy::Allow, 0).await;
    let near = i64::MAX - 10;
    service
        .sql(&format!(
            "UPDATE stock_level SET on_hand = {near} WHERE sku = 'FULL'"
        ))
        .await;
    service
        .sql(&format!(
            "UPDATE stock_level SET backordered = {near} WHERE sku = 'LATE'"
        ))
        .await;

    let receipt = receive("FULL", MAX);
    let adjustment = adjust("FULL", MAX);
    let reservation = order(&[("LATE", MAX)]);
    for attempt in 1..=2 {
        assert_precondition(
            client.receive_stock(receipt.clone()).await,
            "QUANTITY_LIMIT",
        );
        assert_precondition(
            client.adjust_stock(adjustment.clone()).await,
            "QUANTITY_LIMIT",
        );
        assert_precondition(
            client.reserve_order(reservation.clone()).await,
            "QUANTITY_LIMIT",
        );
        assert_eq!(
            stock(&mut client, "FULL").await,
            (near, 0, near, 0),
            "attempt {attempt}"
        );
        assert_eq!(stock(&mut client, "LATE").await, (0, 0, 0, near));
        assert!(
            service.movements("FULL").await.is_empty(),
            "no ledger entry"
        );
        assert!(
            service.movements("LATE").await.is_empty(),
            "no ledger entry"
        );
        assert!(
            service
                .reservation_rows(&reservation.order_id)
                .await
                .is_empty()
        );
        assert_eq!(service.outbox_len().await, 0, "no demand raised");
        for id in [
            &receipt.request_id,
            &adjustment.request_id,
            &reservation.request_id,
        ] {
            assert!(!service.has_stored_answer(id).await, "no answer stored");
        }
    }

    // Exactly up to the limit is fine.
    let filled = client
        .receive_stock(receive("FULL", 10))
        .await
        .expect("up to the largest storable total")
        .into_inner();
    let level = filled.product.and_then(|p| p.stock).expect("stock");
    assert_eq!((level.on_hand, level.available), (i64::MAX, i64::MAX));
    service.stop().await;
}
