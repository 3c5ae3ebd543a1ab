//! Warehouses: stock per SKU and warehouse, taken by rank (fewest splits
//! first), filled from receipts into any warehouse, shipped from one, and
//! never oversold in any of them.

use std::collections::BTreeMap;

use backorder_proto::inventory::v1 as pb;
use tonic::Code;

use crate::support::*;

async fn open(client: &mut Client, code: &str, rank: i32) -> pb::Warehouse {
    client
        .create_warehouse(pb::CreateWarehouseRequest {
            request_id: rid(),
            code: code.into(),
            name: format!("Warehouse {code}"),
            rank,
        })
        .await
        .expect("create warehouse")
        .into_inner()
        .warehouse
        .expect("warehouse")
}

fn adjust(sku: &str, warehouse: &str, delta: i64) -> pb::AdjustStockRequest {
    pb::AdjustStockRequest {
        request_id: rid(),
        sku: sku.into(),
        delta,
        reason: "count".into(),
        warehouse: warehouse.into(),
    }
}

/// (warehouse, on hand, reserved) of every shelf of `sku`.
async fn shelves(client: &mut Client, sku: &str) -> Vec<(String, i64, i64)> {
    client
        .get_product(pb::GetProductRequest { sku: sku.into() })
        .await
        .expect("get product")
        .into_inner()
        .product
        .expect("product")
        .warehouses
        .into_iter()
        .map(|s| (s.warehouse, s.on_hand, s.reserved))
        .collect()
}

fn from(parts: &[pb::WarehouseUnits]) -> Vec<(String, i64)> {
    parts
        .iter()
        .map(|p| (p.warehouse.clone(), p.quantity))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warehouses_are_created_listed_in_rank_order_and_checked() {
    let service = Inventory::start("inv_wh_create").await;
    let mut client = service.client();
    let east = open(&mut client, "east", 10).await;
    assert_eq!((east.code.as_str(), east.rank), ("east", 10));
    open(&mut client, "west", 200).await;
    let repeat = client
        .create_warehouse(pb::CreateWarehouseRequest {
            request_id: rid(),
            code: "east".into(),
            name: "again".into(),
            rank: 1,
        })
        .await;
    assert_eq!(repeat.expect_err("exists").code(), Code::AlreadyExists);
    assert_invalid(
        client
            .create_warehouse(pb::CreateWarehouseRequest {
                request_id: rid(),
                code: "North Pole".into(),
                name: String::new(),
                rank: -1,
            })
            .await,
        &["code", "name", "rank"],
    );
    // Two per page, in rank order: east (10), default (100), west (200).
    let mut codes = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_warehouses(pb::ListWarehousesRequest {
                page_size: 2,
                page_token: token,
            })
            .await
            .expect("list")
            .into_inner();
        codes.extend(page.warehouses.into_iter().map(|w| w.code));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(codes, ["east", "default", "west"]);
    // Stock cannot go to a warehouse that does not exist, and nothing is
    // written when it is refused.
    product(&mut client, "WH-0", pb::BackorderPolicy::Allow, 0).await;
    let missing = client.adjust_stock(adjust("WH-0", "north", 5)).await;
    assert_eq!(missing.expect_err("unknown").code(), Code::NotFound);
    assert_invalid(
        client.adjust_stock(adjust("WH-0", "No!", 5)).await,
        &["warehouse"],
    );
    assert_eq!(
        shelves(&mut client, "WH-0").await,
        [("default".into(), 0, 0)]
    );
    assert!(service.movements("WH-0").await.is_empty());
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_take_stock_by_rank_with_the_fewest_splits() {
    let service = Inventory::start("inv_wh_rule").await;
    let mut client = service.client();
    open(&mut client, "east", 10).await;
    open(&mut client, "west", 50).await;
    product(&mut client, "WH-A", pb::BackorderPolicy::Allow, 0).await;
    product(&mut client, "WH-B", pb::BackorderPolicy::Allow, 0).await;
    for (sku, warehouse, units) in [
        ("WH-A", "east", 5),
        ("WH-A", "west", 2),
        ("WH-B", "west", 1),
        ("WH-B", "default", 9),
    ] {
        client
            .adjust_stock(adjust(sku, warehouse, units))
            .await
            .expect("stock in");
    }
    // east ranks first but has no B: west can fill the whole order.
    let placed = client
        .reserve_order(order(&[("WH-A", 2), ("WH-B", 1)]))
        .await
        .expect("reserved")
        .into_inner();
    let parts: Vec<_> = placed
        .lines
        .iter()
        .map(|l| from(&l.reserved_from))
        .collect();
    assert_eq!(
        parts,
        [vec![("west".to_owned(), 2)], vec![("west".to_owned(), 1)]]
    );
    // Nobody can fill 6 of A whole now (east 5, west 0): the line is split
    // in rank order and the rest waits.
    let placed = client
        .reserve_order(order(&[("WH-A", 7)]))
        .await
        .expect("reserved")
        .into_inner();
    assert_eq!(
        from(&placed.lines[0].reserved_from),
        [("east".to_owned(), 5)]
    );
    assert_eq!(placed.lines[0].backordered_quantity, 2);
    assert_eq!(
        shelves(&mut client, "WH-A").await,
        [
            ("default".into(), 0, 0),
            ("east".into(), 5, 5),
            ("west".into(), 2, 2)
        ]
    );
    // The ledger names the warehouse of every movement.
    let kinds: Vec<_> = service
        .movements("WH-A")
        .await
        .into_iter()
        .filter(|(kind, _, _)| kind == "reserve")
        .collect();
    assert_eq!(kinds.len(), 2, "one entry per warehouse part: {kinds:?}");
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_anywhere_fills_the_queue_and_a_shipment_leaves_from_one_warehouse() {
    let service = Inventory::start("inv_wh_fill").await;
    let mut client = service.client();
    open(&mut client, "east", 10).await;
    product(&mut client, "WH-C", pb::BackorderPolicy::Allow, 2).await;
    let request = order(&[("WH-C", 5)]);
    let line_id = request.lines[0].line_id.clone();
    let order_id = request.order_id.clone();
    let placed = client
        .reserve_order(request)
        .await
        .expect("reserved")
        .into_inner();
    assert_eq!(
        from(&placed.lines[0].reserved_from),
        [("default".to_owned(), 2)]
    );
    // Goods arrive in east: the waiting line gets them, from east.
    let received = client
        .receive_stock(pb::ReceiveStockRequest {
            request_id: rid(),
            sku: "WH-C".into(),
            quantity: 4,
            purchase_order_id: String::new(),
            warehouse: "east".into(),
        })
        .await
        .expect("received")
        .into_inner();
    assert_eq!(received.allocations.len(), 1);
    assert_eq!(received.allocations[0].warehouse, "east");
    assert_eq!(received.allocations[0].quantity, 3);
    let listed = client
        .list_reservations(pb::ListReservationsRequest {
            order_id: order_id.clone(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(
        from(&listed.reservations[0].reserved_from),
        [("default".to_owned(), 2), ("east".to_owned(), 3)]
    );
    // A parcel from east takes east's units only; more than east holds is
    // refused and changes nothing.
    let issue = |quantity: i64| pb::IssueStockRequest {
        request_id: rid(),
        order_id: order_id.clone(),
        shipment_id: rid(),
        lines: vec![pb::IssueLine {
            line_id: line_id.clone(),
            quantity,
        }],
        warehouse: "east".into(),
        ..Default::default()
    };
    assert_precondition(client.issue_stock(issue(4)).await, "LINE_NOT_ALLOCATED");
    client.issue_stock(issue(3)).await.expect("east ships 3");
    assert_eq!(
        shelves(&mut client, "WH-C").await,
        [("default".into(), 2, 2), ("east".into(), 1, 0)]
    );
    // Cancelled: the 2 left in default go back to default's shelf.
    let released = client
        .release_reservation(pb::ReleaseReservationRequest {
            request_id: rid(),
            order_id,
            line_id,
        })
        .await
        .expect("released")
        .into_inner();
    assert_eq!(released.released_reserved, 2);
    assert_eq!(
        shelves(&mut client, "WH-C").await,
        [("default".into(), 2, 0), ("east".into(), 1, 0)]
    );
    service.stop().await;
}

/// Many orders race for two warehouses' stock of one SKU: no shelf ever
/// reserves more than it holds, and every reserved unit is some line's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_orders_never_oversell_any_warehouse() {
    let service = Inventory::start("inv_wh_race").await;
    let mut client = service.client();
    open(&mut client, "east", 10).await;
    product(&mut client, "WH-R", pb::BackorderPolicy::Deny, 0).await;
    client
        .adjust_stock(adjust("WH-R", "east", 7))
        .await
        .expect("east");
    client
        .adjust_stock(adjust("WH-R", "default", 6))
        .await
        .expect("default");
    let calls: Vec<_> = (0..24)
        .map(|i| {
            let mut client = service.client();
            let quantity = 1 + (i % 3);
            spawn(async move {
                client
                    .reserve_order(pb::ReserveOrderRequest {
                        accept_backorders: false,
                        ..order(&[("WH-R", quantity)])
                    })
                    .await
            })
        })
        .collect();
    let mut reserved = 0;
    let mut by_warehouse: BTreeMap<String, i64> = BTreeMap::new();
    for call in calls {
        match joined(call).await {
            Ok(answer) => {
                for line in answer.into_inner().lines {
                    reserved += line.reserved_quantity;
                    for (warehouse, units) in from(&line.reserved_from) {
                        *by_warehouse.entry(warehouse).or_default() += units;
                    }
                }
            }
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    let shelves = shelves(&mut client, "WH-R").await;
    for (warehouse, on_hand, held) in &shelves {
        assert!(held <= on_hand, "{warehouse} oversold: {shelves:?}");
        assert_eq!(
            by_warehouse.get(warehouse).copied().unwrap_or(0),
            *held,
            "{warehouse}: what the answers took is what the shelf holds"
        );
    }
    assert_eq!(
        reserved,
        shelves.iter().map(|(_, _, held)| held).sum::<i64>()
    );
    assert!(
        reserved >= 11,
        "stock sat idle while orders were refused: {shelves:?}"
    );
    service.stop().await;
}
