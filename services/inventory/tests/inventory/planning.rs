//! What planning reads from inventory: the backlog's value at product
//! prices, and each SKU's demand per day with its position.

use backorder_proto::inventory::v1 as pb;

use crate::support::*;

const DAY_MS: i64 = 86_400_000;

async fn priced(client: &mut Client, sku: &str, price_minor: i64, on_hand: i64) {
    client
        .create_product(pb::CreateProductRequest {
            request_id: rid(),
            sku: sku.into(),
            name: sku.into(),
            backorder_policy: pb::BackorderPolicy::Allow as i32,
            backorder_cap: 0,
            price_minor,
            inbound_margin: 0,
        })
        .await
        .expect("priced product");
    if on_hand > 0 {
        client
            .adjust_stock(pb::AdjustStockRequest {
                request_id: rid(),
                sku: sku.into(),
                delta: on_hand,
                reason: "count".into(),
                warehouse: String::new(),
            })
            .await
            .expect("stock");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backlog_is_valued_at_product_prices() {
    let service = Inventory::start("inv_backlog_value").await;
    let mut client = service.client();
    priced(&mut client, "VAL-A", 250, 1).await;
    priced(&mut client, "VAL-B", 1_000, 0).await;
    client
        .reserve_order(order(&[("VAL-A", 4), ("VAL-B", 2)]))
        .await
        .expect("backordered");
    let backlog = client
        .list_backlog(pb::ListBacklogRequest::default())
        .await
        .expect("backlog")
        .into_inner();
    let values: Vec<(String, i64)> = backlog
        .entries
        .iter()
        .map(|e| (e.sku.clone(), e.waiting_value_minor))
        .collect();
    assert_eq!(
        values,
        [("VAL-A".to_owned(), 750), ("VAL-B".to_owned(), 2_000)]
    );
    assert_eq!(backlog.total_waiting_value_minor, 2_750);
    assert_invalid(
        client
            .create_product(pb::CreateProductRequest {
                request_id: rid(),
                sku: "VAL-BAD".into(),
                name: "bad".into(),
                backorder_policy: pb::BackorderPolicy::Allow as i32,
                backorder_cap: 0,
                price_minor: -1,
                inbound_margin: 0,
            })
            .await,
        &["price_minor"],
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demand_history_counts_units_per_day_with_the_position() {
    let service = Inventory::start("inv_demand_history").await;
    let mut client = service.client();
    priced(&mut client, "HIST-1", 100, 4).await;
    client
        .reserve_order(order(&[("HIST-1", 3)]))
        .await
        .expect("today");
    client
        .reserve_order(order(&[("HIST-1", 2)]))
        .await
        .expect("today, short by one");
    // An order two days ago, and one long before the window.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    for (age_days, quantity) in [(2, 6), (40, 50)] {
        let at = now - age_days * DAY_MS;
        service
            .sql(&format!(
                "INSERT INTO reservation (id, order_id, line_id, sku, warehouse, quantity, \
                 reserved_quantity, waiting_quantity, state, priority, priority_reason, \
                 created_at, updated_at) VALUES ('{}', '{}', '{}', 'HIST-1', 'default', \
                 {quantity}, {quantity}, 0, 3, 0, '', {at}, {at})",
                rid(),
                rid(),
                rid()
            ))
            .await;
    }
    let history = client
        .get_demand_history(pb::GetDemandHistoryRequest {
            skus: vec!["HIST-1".into(), "HIST-NONE".into()],
            days: 7,
        })
        .await
        .expect("history")
        .into_inner();
    assert_eq!(history.skus.len(), 1, "unknown SKUs are left out");
    let sku = &history.skus[0];
    assert_eq!(sku.daily_units, [0, 0, 0, 0, 6, 0, 5]);
    assert_eq!((sku.available, sku.backlog_units), (0, 1));
    assert_invalid(
        client
            .get_demand_history(pb::GetDemandHistoryRequest {
                skus: vec![],
                days: 0,
            })
            .await,
        &["skus", "days"],
    );
    service.stop().await;
}
