//! Drop-ship: a short line of a product the supplier ships straight to the
//! customer is drop-shipped whole. It takes no stock, never waits in the
//! queue (so no receipt fills it too), and its demand carries the address.

use backorder_proto::Rpc;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::procurement::v1::{AddDemandRequest, ReleaseDemandRequest};
use prost::Message;
use tonic::Code;

use crate::support::*;

async fn drop_ship(client: &mut Client, sku: &str, on: bool) -> pb::Product {
    client
        .set_drop_ship(pb::SetDropShipRequest {
            request_id: rid(),
            sku: sku.into(),
            drop_ship: on,
        })
        .await
        .expect("set drop-ship")
        .into_inner()
        .product
        .expect("product")
}

fn shipped_to(lines: &[(&str, i64)], address: &str) -> pb::ReserveOrderRequest {
    pb::ReserveOrderRequest {
        ship_to_address: address.into(),
        ..order(lines)
    }
}

async fn demands(service: &Inventory) -> Vec<AddDemandRequest> {
    service
        .outbox()
        .await
        .iter()
        .filter(|m| m.method == <AddDemandRequest as Rpc>::PATH)
        .map(|m| AddDemandRequest::decode(m.payload.as_slice()).expect("demand"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_line_of_a_drop_ship_product_goes_whole_to_the_supplier() {
    let service = Inventory::start("inv_drop_ship").await;
    let mut client = service.client();
    product(&mut client, "DS-1", pb::BackorderPolicy::Deny, 1).await;
    let unknown = client
        .set_drop_ship(pb::SetDropShipRequest {
            request_id: rid(),
            sku: "DS-NONE".into(),
            drop_ship: true,
        })
        .await;
    assert_eq!(unknown.expect_err("unknown SKU").code(), Code::NotFound);
    let not_stocked = client
        .set_drop_ship(pb::SetDropShipRequest {
            request_id: rid(),
            sku: "DS-NONE".into(),
            drop_ship: false,
        })
        .await
        .expect("nothing to undo for a SKU not stocked here")
        .into_inner();
    assert!(not_stocked.product.is_none());
    assert!(drop_ship(&mut client, "DS-1", true).await.drop_ship);

    // Stock fills a line of 1: nothing to drop-ship.
    let from_stock = client
        .reserve_order(shipped_to(&[("DS-1", 1)], "1 Quay Street"))
        .await
        .expect("reserved")
        .into_inner();
    assert_eq!(
        (
            from_stock.lines[0].reserved_quantity,
            from_stock.lines[0].drop_ship_quantity
        ),
        (1, 0)
    );
    // Stock can't fill 3 (and the policy denies backorders): the supplier
    // ships all 3, and nothing of the stock is taken.
    let request = shipped_to(&[("DS-1", 3)], "1 Quay Street");
    let answer = client
        .reserve_order(request.clone())
        .await
        .expect("drop-shipped")
        .into_inner();
    let line = &answer.lines[0];
    assert_eq!(
        (
            line.reserved_quantity,
            line.backordered_quantity,
            line.drop_ship_quantity
        ),
        (0, 0, 3)
    );
    assert_eq!(stock(&mut client, "DS-1").await, (1, 1, 0, 0));
    let demand = demands(&service)
        .await
        .into_iter()
        .find(|d| d.line_id == request.lines[0].line_id)
        .expect("its demand");
    assert!(demand.drop_ship);
    assert_eq!(
        (demand.quantity, demand.ship_to_address.as_str()),
        (3, "1 Quay Street")
    );
    // It does not wait in the queue: arriving stock stays on the shelf.
    let queue = client
        .list_reservations(pb::ListReservationsRequest {
            sku: "DS-1".into(),
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_inner();
    assert!(queue.reservations.is_empty());
    let received = client
        .receive_stock(pb::ReceiveStockRequest {
            request_id: rid(),
            sku: "DS-1".into(),
            quantity: 3,
            ..Default::default()
        })
        .await
        .expect("receipt")
        .into_inner();
    assert!(received.allocations.is_empty());
    // No stock of it can be issued; cancelling it releases its demand.
    let issue = client
        .issue_stock(pb::IssueStockRequest {
            request_id: rid(),
            order_id: request.order_id.clone(),
            shipment_id: rid(),
            line_ids: vec![line.line_id.clone()],
            ..Default::default()
        })
        .await;
    assert_precondition(issue, "LINE_DROP_SHIPPED");
    client
        .release_reservation(pb::ReleaseReservationRequest {
            request_id: rid(),
            order_id: request.order_id.clone(),
            line_id: line.line_id.clone(),
        })
        .await
        .expect("released");
    let released: Vec<_> = service
        .outbox()
        .await
        .iter()
        .filter(|m| m.method == <ReleaseDemandRequest as Rpc>::PATH)
        .map(|m| ReleaseDemandRequest::decode(m.payload.as_slice()).expect("release"))
        .collect();
    assert!(released.iter().any(|r| r.demand_id == line.reservation_id));
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_address_or_the_flag_a_short_line_waits_as_before() {
    let service = Inventory::start("inv_drop_ship_off").await;
    let mut client = service.client();
    product(&mut client, "DS-2", pb::BackorderPolicy::Allow, 0).await;
    drop_ship(&mut client, "DS-2", true).await;
    let no_address = client
        .reserve_order(order(&[("DS-2", 2)]))
        .await
        .expect("backordered")
        .into_inner();
    assert_eq!(
        (
            no_address.lines[0].backordered_quantity,
            no_address.lines[0].drop_ship_quantity
        ),
        (2, 0)
    );
    assert!(!drop_ship(&mut client, "DS-2", false).await.drop_ship);
    let not_drop_ship = client
        .reserve_order(shipped_to(&[("DS-2", 2)], "1 Quay Street"))
        .await
        .expect("backordered")
        .into_inner();
    assert_eq!(not_drop_ship.lines[0].drop_ship_quantity, 0);
    assert!(demands(&service).await.iter().all(|d| !d.drop_ship));
    assert_invalid(
        client
            .reserve_order(shipped_to(&[("DS-2", 1)], &"x".repeat(501)))
            .await,
        &["ship_to_address"],
    );
    service.stop().await;
}
