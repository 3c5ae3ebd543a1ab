//! ChangeReservation: a waiting line substituted by another SKU or reduced,
//! with its stock, backlog, ledger and messages kept exact.

use backorder_proto::Rpc;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::order::v1::MarkLineAllocatedRequest;
use backorder_proto::procurement::v1::{
    AddDemandRequest, ReduceDemandRequest, ReleaseDemandRequest,
};
use prost::Message;
use tonic::Code;

use crate::support::*;

fn change(
    reserved: &pb::ReserveOrderRequest,
    sku: &str,
    quantity: i64,
) -> pb::ChangeReservationRequest {
    pb::ChangeReservationRequest {
        request_id: rid(),
        order_id: reserved.order_id.clone(),
        line_id: reserved.lines[0].line_id.clone(),
        sku: sku.to_owned(),
        quantity,
        accept_backorders: true,
    }
}

/// Every message of type `M` in the outbox, decoded.
async fn sent<M: Message + Default + Rpc>(service: &Inventory) -> Vec<M> {
    service
        .outbox()
        .await
        .iter()
        .filter(|m| m.method == M::PATH)
        .map(|m| M::decode(m.payload.as_slice()).expect("decodes"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_substitute_in_stock_releases_the_old_line_and_reserves_the_new_sku() {
    let service = Inventory::start("inv_change_substitute").await;
    let mut client = service.client();
    product(&mut client, "OLD-1", pb::BackorderPolicy::Allow, 1).await;
    product(&mut client, "NEW-1", pb::BackorderPolicy::Deny, 5).await;
    let placed = order(&[("OLD-1", 3)]);
    let old = client
        .reserve_order(placed.clone())
        .await
        .expect("placed")
        .into_inner();
    let old_id = old.lines[0].reservation_id.clone();

    let ask = change(&placed, "NEW-1", 3);
    let line = client
        .change_reservation(ask.clone())
        .await
        .expect("substituted")
        .into_inner()
        .line
        .expect("line");
    assert_eq!(
        (
            line.sku.as_str(),
            line.reserved_quantity,
            line.backordered_quantity
        ),
        ("NEW-1", 3, 0)
    );
    assert_ne!(
        line.reservation_id, old_id,
        "a new reservation, so a new demand id"
    );
    assert_eq!(line.reserved_from.len(), 1);
    // The old line's unit is back on the shelf, its waiting units gone.
    assert_eq!(stock(&mut client, "OLD-1").await, (1, 0, 1, 0));
    assert_eq!(stock(&mut client, "NEW-1").await, (5, 3, 2, 0));
    let released: Vec<ReleaseDemandRequest> = sent(&service).await;
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].demand_id, old_id);
    assert!(
        sent::<AddDemandRequest>(&service)
            .await
            .iter()
            .all(|d| d.sku == "OLD-1")
    );
    let kinds: Vec<String> = service
        .movements("OLD-1")
        .await
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert!(
        kinds.contains(&"release".to_owned()) && kinds.contains(&"change".to_owned()),
        "{kinds:?}"
    );
    let kinds: Vec<String> = service
        .movements("NEW-1")
        .await
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert!(kinds.contains(&"reserve".to_owned()), "{kinds:?}");

    // A repeat answers as before and changes nothing.
    let again = client
        .change_reservation(ask)
        .await
        .expect("repeat")
        .into_inner();
    assert_eq!(
        again.line.expect("line").reservation_id,
        line.reservation_id
    );
    assert_eq!(stock(&mut client, "NEW-1").await, (5, 3, 2, 0));
    // The line's history keeps both reservations; the new one speaks for it.
    let rows = service.reservation_rows(&placed.order_id).await;
    assert_eq!(rows.len(), 2);
    // A cancellation releases the current reservation.
    let cancelled = client
        .release_reservation(pb::ReleaseReservationRequest {
            request_id: rid(),
            order_id: placed.order_id.clone(),
            line_id: placed.lines[0].line_id.clone(),
        })
        .await
        .expect("released")
        .into_inner();
    assert_eq!(cancelled.released_reserved, 3);
    assert_eq!(stock(&mut client, "NEW-1").await, (5, 0, 5, 0));
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_substitute_waits_under_new_demand_or_is_refused() {
    let service = Inventory::start("inv_change_short").await;
    let mut client = service.client();
    product(&mut client, "OLD-2", pb::BackorderPolicy::Allow, 0).await;
    product(&mut client, "DENY-2", pb::BackorderPolicy::Deny, 1).await;
    product(&mut client, "WAIT-2", pb::BackorderPolicy::Allow, 1).await;
    let placed = order(&[("OLD-2", 4)]);
    client.reserve_order(placed.clone()).await.expect("placed");
    let before = service.outbox_len().await;

    assert_precondition(
        client
            .change_reservation(change(&placed, "DENY-2", 4))
            .await,
        "STOCKOUT",
    );
    let mut unwilling = change(&placed, "WAIT-2", 4);
    unwilling.accept_backorders = false;
    assert_precondition(client.change_reservation(unwilling).await, "STOCKOUT");
    let unknown = client
        .change_reservation(change(&placed, "NOPE-2", 4))
        .await;
    assert_eq!(unknown.expect_err("unknown").code(), Code::NotFound);
    assert_eq!(service.outbox_len().await, before, "nothing written");
    assert_eq!(stock(&mut client, "OLD-2").await, (0, 0, 0, 4));

    let line = client
        .change_reservation(change(&placed, "WAIT-2", 4))
        .await
        .expect("waits")
        .into_inner()
        .line
        .expect("line");
    assert_eq!((line.reserved_quantity, line.backordered_quantity), (1, 3));
    assert_eq!(stock(&mut client, "OLD-2").await, (0, 0, 0, 0));
    assert_eq!(stock(&mut client, "WAIT-2").await, (1, 1, 0, 3));
    let added: Vec<AddDemandRequest> = sent(&service).await;
    let new_demand = added
        .iter()
        .find(|d| d.sku == "WAIT-2")
        .expect("new demand");
    assert_eq!(
        (new_demand.demand_id.as_str(), new_demand.quantity),
        (line.reservation_id.as_str(), 3)
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reduction_gives_up_waiting_units_first_then_stock_that_fills_the_queue() {
    let service = Inventory::start("inv_change_reduce").await;
    let mut client = service.client();
    product(&mut client, "RED-1", pb::BackorderPolicy::Allow, 2).await;
    let first = order(&[("RED-1", 5)]);
    let reserved = client
        .reserve_order(first.clone())
        .await
        .expect("placed")
        .into_inner();
    let demand_id = reserved.lines[0].reservation_id.clone();
    let second = order(&[("RED-1", 2)]);
    client.reserve_order(second.clone()).await.expect("placed");
    assert_eq!(stock(&mut client, "RED-1").await, (2, 2, 0, 5));

    let line = client
        .change_reservation(change(&first, "RED-1", 4))
        .await
        .expect("reduced")
        .into_inner()
        .line
        .expect("line");
    assert_eq!((line.reserved_quantity, line.backordered_quantity), (2, 2));
    assert_eq!(line.reservation_id, demand_id, "the same reservation");
    assert_eq!(stock(&mut client, "RED-1").await, (2, 2, 0, 4));
    let reduced: Vec<ReduceDemandRequest> = sent(&service).await;
    assert_eq!(reduced.len(), 1);
    assert_eq!(
        (reduced[0].demand_id.as_str(), reduced[0].quantity),
        (demand_id.as_str(), 2)
    );

    // Down to one unit: nothing waits, one reserved unit goes back and
    // fills the next line in the queue in part.
    let line = client
        .change_reservation(change(&first, "RED-1", 1))
        .await
        .expect("reduced")
        .into_inner()
        .line
        .expect("line");
    assert_eq!((line.reserved_quantity, line.backordered_quantity), (1, 0));
    assert_eq!(stock(&mut client, "RED-1").await, (2, 2, 0, 1));
    let released: Vec<ReleaseDemandRequest> = sent(&service).await;
    assert!(released.iter().any(|r| r.demand_id == demand_id));
    let allocated: Vec<MarkLineAllocatedRequest> = sent(&service).await;
    assert_eq!(allocated.len(), 1);
    assert_eq!(allocated[0].line_id, second.lines[0].line_id);
    assert_eq!(
        (
            allocated[0].allocated_quantity,
            allocated[0].waiting_quantity
        ),
        (1, 1)
    );
    let backlog = client
        .list_reservations(pb::ListReservationsRequest {
            sku: "RED-1".into(),
            page_size: 10,
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_inner()
        .reservations;
    assert_eq!(backlog.len(), 1, "only the second line still waits");

    // The line waits for nothing now: it cannot change any more.
    assert_precondition(
        client.change_reservation(change(&first, "RED-1", 1)).await,
        "LINE_NOT_WAITING",
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reduction_must_be_one_and_the_request_must_be_well_formed() {
    let service = Inventory::start("inv_change_bad").await;
    let mut client = service.client();
    product(&mut client, "BAD-1", pb::BackorderPolicy::Allow, 0).await;
    let placed = order(&[("BAD-1", 3)]);
    client.reserve_order(placed.clone()).await.expect("placed");
    assert_invalid(
        client.change_reservation(change(&placed, "BAD-1", 3)).await,
        &["quantity"],
    );
    assert_invalid(
        client.change_reservation(change(&placed, "BAD-1", 0)).await,
        &["quantity"],
    );
    let mut malformed = change(&placed, "", 1);
    malformed.order_id = "x".into();
    assert_invalid(
        client.change_reservation(malformed).await,
        &["order_id", "sku"],
    );
    let mut unknown_line = change(&placed, "BAD-1", 1);
    unknown_line.line_id = rid();
    let missing = client.change_reservation(unknown_line).await;
    assert_eq!(missing.expect_err("unknown").code(), Code::NotFound);
    service.stop().await;
}
