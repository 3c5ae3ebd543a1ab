//! The procurement API on a fresh database: consolidation, the purchase
//! order lifecycle and the messages it leaves in the outbox.

use backorder_platform::ServiceError;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::{DAY_MS, from_timestamp, now_ms, to_timestamp};
use backorder_proto::procurement::v1 as pb;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn demand_is_consolidated_into_one_rounded_draft_and_its_eta_is_recorded() {
    let h = harness().await;
    let acme = h.supplier("Acme", 7).await;
    h.item(&acme, "SKU-1", 250, 10, 6, true)
        .await
        .expect("item");
    let before = now_ms();
    let first = h.demand("SKU-1", 3).await;
    let second = h.demand("SKU-1", 10).await;
    assert_eq!(first.purchase_order_id, second.purchase_order_id);
    let eta = from_timestamp(first.eta.as_ref().expect("eta"));
    assert!(eta >= before + 7 * DAY_MS && eta <= now_ms() + 7 * DAY_MS);

    let po = h.po(&first.purchase_order_id).await;
    assert_eq!(po.status, DRAFT);
    assert_eq!(po.supplier_id, acme);
    let l = line(&po, "SKU-1");
    assert_eq!((l.demand_quantity, l.ordered_quantity), (13, 18));
    assert_eq!(l.unit_cost_minor, 250);

    // The demand keeps its ETA; the order line's date comes from
    // inventory, which a draft is not inbound to.
    let listed = h.demands_of(&first.order_id).await;
    assert_eq!(listed[0].eta, first.eta);
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
    let supplies = h.supplies().await;
    assert_eq!(supplies.len(), 1, "the offer's snapshot only");
    assert!(supplies[0].lots.is_empty());
    assert_eq!(supplies[0].lead_time_days, Some(7));
}

#[tokio::test]
async fn preferred_supplier_wins_else_the_cheapest() {
    let h = harness().await;
    let cheap = h.supplier("Cheap", 3).await;
    let dear = h.supplier("Dear", 3).await;
    h.item(&cheap, "SKU-1", 100, 1, 1, false)
        .await
        .expect("item");
    h.item(&dear, "SKU-1", 900, 1, 1, false)
        .await
        .expect("item");
    let d = h.demand("SKU-1", 1).await;
    assert_eq!(h.po(&d.purchase_order_id).await.supplier_id, cheap);

    h.item(&dear, "SKU-2", 900, 1, 1, true).await.expect("item");
    h.item(&cheap, "SKU-2", 100, 1, 1, true)
        .await
        .expect("item");
    let dear_items = call(h.api.get_supplier(pb::GetSupplierRequest {
        supplier_id: dear.clone(),
    }))
    .await
    .expect("supplier")
    .supplier
    .expect("supplier")
    .items;
    let sku2 = dear_items.iter().find(|i| i.sku == "SKU-2").expect("item");
    assert!(!sku2.preferred, "a new preferred supplier takes the flag");
    let d = h.demand("SKU-2", 1).await;
    assert_eq!(h.po(&d.purchase_order_id).await.supplier_id, cheap);
}

#[tokio::test]
async fn add_demand_is_idempotent_by_request_and_by_demand_id() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let request = demand_request(&new_id_string(), "SKU-1", 4);
    let first = call(h.api.add_demand(request.clone()))
        .await
        .expect("first");
    let replay = call(h.api.add_demand(request.clone()))
        .await
        .expect("replay");
    assert_eq!(first, replay);
    let again = call(h.api.add_demand(pb::AddDemandRequest {
        request_id: new_id_string(),
        ..request.clone()
    }))
    .await
    .expect("same demand");
    assert_eq!(first, again);
    let reused = call(h.api.add_demand(pb::AddDemandRequest {
        quantity: 5,
        ..request
    }))
    .await;
    assert_eq!(code(reused), Code::AlreadyExists);
    let demand = first.demand.expect("demand");
    let po = h.po(&demand.purchase_order_id).await;
    assert_eq!(line(&po, "SKU-1").demand_quantity, 4);
    assert_eq!(h.demands_of(&demand.order_id).await.len(), 1);
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
}

#[tokio::test]
async fn unsourced_demand_waits_for_a_supplier() {
    let h = harness().await;
    let order_id = new_id_string();
    let d = h.demand_of(&order_id, "SKU-9", 2).await;
    assert!(d.purchase_order_id.is_empty());
    assert!(d.eta.is_none());
    assert!(h.outbox().await.is_empty());

    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-9", 1, 5, 1, false).await.expect("item");
    let demands = call(h.api.list_demands(pb::ListDemandsRequest { order_id }))
        .await
        .expect("demands")
        .demands;
    assert_eq!(demands.len(), 1);
    assert!(!demands[0].purchase_order_id.is_empty());
    assert_eq!(
        line(&h.po(&demands[0].purchase_order_id).await, "SKU-9").ordered_quantity,
        5
    );
    assert!(demands[0].eta.is_some(), "its ETA is recorded");
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
    // Inventory hears the lead time it promises the waiting line from.
    let supply = h.last_supply("SKU-9").await;
    assert_eq!(supply.lead_time_days, Some(2));
    assert!(supply.lots.is_empty(), "a draft is not inbound");
}

#[tokio::test]
async fn release_shrinks_a_draft_but_not_a_submitted_order() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-1", 1, 1, 4, true).await.expect("item");
    let a = h.demand("SKU-1", 3).await;
    let b = h.demand("SKU-1", 3).await;
    assert_eq!(
        line(&h.po(&a.purchase_order_id).await, "SKU-1").ordered_quantity,
        8
    );
    let released = call(h.api.release_demand(pb::ReleaseDemandRequest {
        request_id: new_id_string(),
        demand_id: a.id.clone(),
    }))
    .await
    .expect("release");
    assert!(released.released);
    let l = line(&h.po(&a.purchase_order_id).await, "SKU-1").clone();
    assert_eq!((l.demand_quantity, l.ordered_quantity), (3, 4));

    h.submit(&b.purchase_order_id).await.expect("submit");
    call(h.api.release_demand(pb::ReleaseDemandRequest {
        request_id: new_id_string(),
        demand_id: b.id.clone(),
    }))
    .await
    .expect("release");
    let l = line(&h.po(&b.purchase_order_id).await, "SKU-1").clone();
    assert_eq!((l.demand_quantity, l.ordered_quantity), (0, 4));

    let unknown = call(h.api.release_demand(pb::ReleaseDemandRequest {
        request_id: new_id_string(),
        demand_id: new_id_string(),
    }))
    .await
    .expect("unknown demand is fine");
    assert!(!unknown.released);
}

#[tokio::test]
async fn purchase_order_lifecycle_sends_inbound_supply_and_receipts() {
    let h = harness().await;
    let acme = h.supplier("Acme", 10).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    h.item(&acme, "SKU-2", 1, 1, 1, true).await.expect("item");
    let a = h.demand("SKU-1", 5).await;
    let b = h.demand("SKU-2", 2).await;
    let po_id = a.purchase_order_id.clone();
    assert_eq!(b.purchase_order_id, po_id);

    assert_eq!(
        reason(h.receive(&po_id, &[("SKU-1", 1)]).await),
        "PO_NOT_ACKNOWLEDGED"
    );
    assert_eq!(
        reason(h.acknowledge(&po_id, now_ms()).await),
        "PO_NOT_SUBMITTED"
    );

    let submitted = h.submit(&po_id).await.expect("submit");
    assert_eq!(submitted.status, SUBMITTED);
    let at = from_timestamp(submitted.submit_time.as_ref().expect("submitted"));
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
    // Each SKU's snapshot now carries the order, expected a lead time
    // after submission, unconfirmed.
    for (sku, units) in [("SKU-1", 5), ("SKU-2", 2)] {
        assert_eq!(
            lots(&h.last_supply(sku).await),
            [(po_id.clone(), units, at + 10 * DAY_MS, false)],
            "{sku}"
        );
    }
    assert_eq!(reason(h.submit(&po_id).await), "PO_NOT_DRAFT");

    let later = h.demand("SKU-1", 1).await;
    assert_ne!(
        later.purchase_order_id, po_id,
        "later demand opens a new draft"
    );

    let promised = now_ms() + 3 * DAY_MS;
    let acked = h.acknowledge(&po_id, promised).await.expect("acknowledge");
    assert_eq!(acked.status, ACKNOWLEDGED);
    assert_eq!(
        acked.promised_time.as_ref().map(from_timestamp),
        Some(promised)
    );
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
    let promised_eta = Some(to_timestamp(promised));
    for demand in [&a, &b] {
        let listed = h.demands_of(&demand.order_id).await;
        assert_eq!(listed[0].eta, promised_eta, "ListDemands shows the promise");
    }
    for (sku, units) in [("SKU-1", 5), ("SKU-2", 2)] {
        assert_eq!(
            lots(&h.last_supply(sku).await),
            [(po_id.clone(), units, promised, true)],
            "{sku}: the promised date, confirmed"
        );
    }
    let revision = h.last_supply("SKU-1").await.revision;
    h.acknowledge(&po_id, promised)
        .await
        .expect("same date again");
    assert!(h.etas().await.is_empty());
    let again = h.last_supply("SKU-1").await;
    assert!(again.revision > revision);
    assert_eq!(lots(&again), [(po_id.clone(), 5, promised, true)]);
    let reported = h.supplies().await.len();

    assert_eq!(
        code(h.receive(&po_id, &[("SKU-1", 1), ("SKU-1", 1)]).await),
        Code::InvalidArgument
    );
    assert_eq!(
        code(h.receive(&po_id, &[("SKU-7", 1)]).await),
        Code::NotFound
    );
    assert_eq!(
        reason(h.receive(&po_id, &[("SKU-1", 5), ("SKU-2", 3)]).await),
        "OVER_RECEIPT"
    );
    assert!(
        h.receipts().await.is_empty(),
        "a refused receipt writes nothing"
    );
    assert_eq!(h.supplies().await.len(), reported, "nor reports anything");
    assert_eq!(line(&h.po(&po_id).await, "SKU-1").received_quantity, 0);

    let partial = h
        .receive(&po_id, &[("SKU-1", 5), ("SKU-2", 1)])
        .await
        .expect("receive");
    assert_eq!(partial.status, PARTIALLY_RECEIVED);
    assert!(
        lots(&h.last_supply("SKU-1").await).is_empty(),
        "all received"
    );
    assert_eq!(
        lots(&h.last_supply("SKU-2").await),
        [(po_id.clone(), 1, promised, true)],
        "one unit still to come"
    );
    assert_eq!(reason(h.cancel(&po_id).await), "PO_ALREADY_RECEIVED");
    let full = h
        .receive_at(&po_id, &[("SKU-2", 1)], "east")
        .await
        .expect("receive");
    assert_eq!(full.status, RECEIVED);
    assert!(lots(&h.last_supply("SKU-2").await).is_empty());
    let receipts = h.receipts().await;
    assert_eq!(receipts.len(), 3);
    assert!(receipts.iter().all(|r| r.purchase_order_id == po_id));
    // Inventory is told where the goods arrived.
    let warehouses: Vec<&str> = receipts.iter().map(|r| r.warehouse.as_str()).collect();
    assert_eq!(warehouses, ["default", "default", "east"]);
    assert_eq!(
        (receipts[0].sku.as_str(), receipts[0].quantity),
        ("SKU-1", 5)
    );
}

#[tokio::test]
async fn cancelling_moves_open_demand_to_a_new_draft() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let order_id = new_id_string();
    let a = h.demand_of(&order_id, "SKU-1", 2).await;
    let old = a.purchase_order_id.clone();
    h.submit(&old).await.expect("submit");
    assert_eq!(h.last_supply("SKU-1").await.lots.len(), 1);
    let cancelled = h.cancel(&old).await.expect("cancel");
    assert_eq!(cancelled.status, CANCELLED);
    assert_eq!(reason(h.cancel(&old).await), "PO_CANCELLED");

    let demands = call(h.api.list_demands(pb::ListDemandsRequest { order_id }))
        .await
        .expect("demands")
        .demands;
    let moved = &demands[0].purchase_order_id;
    assert_ne!(moved, &old);
    let draft = h.po(moved).await;
    assert_eq!(draft.status, DRAFT);
    assert_eq!(line(&draft, "SKU-1").demand_quantity, 2);
    assert!(demands[0].eta.is_some(), "the new draft's ETA is recorded");
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
    assert!(
        h.last_supply("SKU-1").await.lots.is_empty(),
        "the cancelled order is no longer inbound"
    );

    // Cancelling the draft itself re-opens a fresh draft for its demand.
    h.cancel(moved).await.expect("cancel draft");
    let listed = call(h.api.list_purchase_orders(pb::ListPurchaseOrdersRequest {
        supplier_id: acme.clone(),
        status: DRAFT,
        page_size: 0,
        page_token: String::new(),
    }))
    .await
    .expect("list")
    .purchase_orders;
    assert_eq!(listed.len(), 1);
    assert_eq!(line(&listed[0], "SKU-1").demand_quantity, 2);
}

#[tokio::test]
async fn lists_page_in_their_documented_order() {
    let h = harness().await;
    let mut suppliers = Vec::new();
    for name in ["Zeta", "Alpha", "Mid"] {
        suppliers.push(h.supplier(name, 1).await);
    }
    let first = call(h.api.list_suppliers(pb::ListSuppliersRequest {
        page_size: 2,
        page_token: String::new(),
    }))
    .await
    .expect("page");
    let second = call(h.api.list_suppliers(pb::ListSuppliersRequest {
        page_size: 2,
        page_token: first.next_page_token.clone(),
    }))
    .await
    .expect("page");
    let ids: Vec<String> = first
        .suppliers
        .iter()
        .chain(&second.suppliers)
        .map(|s| s.id.clone())
        .collect();
    assert_eq!(ids, suppliers, "creation order");
    assert!(second.next_page_token.is_empty());

    let mut pos = Vec::new();
    for (i, supplier) in suppliers.iter().enumerate() {
        let sku = format!("SKU-{i}");
        h.item(supplier, &sku, 1, 1, 1, true).await.expect("item");
        pos.push(h.demand(&sku, 1).await.purchase_order_id);
    }
    pos.reverse();
    let mut token = String::new();
    let mut listed = Vec::new();
    loop {
        let page = call(h.api.list_purchase_orders(pb::ListPurchaseOrdersRequest {
            supplier_id: String::new(),
            status: 0,
            page_size: 1,
            page_token: token,
        }))
        .await
        .expect("page");
        listed.extend(page.purchase_orders.into_iter().map(|p| p.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(listed, pos, "newest first");
    let bad = call(h.api.list_purchase_orders(pb::ListPurchaseOrdersRequest {
        supplier_id: "nope".to_owned(),
        status: 42,
        page_size: 0,
        page_token: String::new(),
    }))
    .await;
    match bad {
        Err(ServiceError::InvalidArgument(v)) => assert_eq!(v.len(), 2),
        other => panic!("expected invalid argument, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_writes_nothing() {
    let h = harness().await;
    let created = call(h.api.create_supplier(pb::CreateSupplierRequest {
        request_id: new_id_string(),
        name: " ".to_owned(),
        lead_time_days: -1,
    }))
    .await;
    match created {
        Err(ServiceError::InvalidArgument(v)) => assert_eq!(v.len(), 2),
        other => panic!("expected invalid argument, got {other:?}"),
    }
    let acme = h.supplier("Acme", 1).await;
    match h.item(&acme, "", -1, 0, 0, false).await {
        Err(ServiceError::InvalidArgument(v)) => assert_eq!(v.len(), 4),
        other => panic!("expected invalid argument, got {other:?}"),
    }
    assert_eq!(
        code(h.item(&new_id_string(), "SKU-1", 1, 1, 1, false).await),
        Code::NotFound
    );
    let bad_demand = call(h.api.add_demand(pb::AddDemandRequest {
        request_id: new_id_string(),
        demand_id: "x".to_owned(),
        sku: "SKU-1".to_owned(),
        quantity: 0,
        order_id: new_id_string(),
        line_id: String::new(),
        drop_ship: false,
        ship_to_address: String::new(),
    }))
    .await;
    match bad_demand {
        Err(ServiceError::InvalidArgument(v)) => assert_eq!(v.len(), 3),
        other => panic!("expected invalid argument, got {other:?}"),
    }
    let no_date = call(
        h.api
            .acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest {
                request_id: new_id_string(),
                purchase_order_id: new_id_string(),
                promised_time: None,
            }),
    )
    .await;
    assert_eq!(code(no_date), Code::InvalidArgument);
    assert_eq!(code(h.submit(&new_id_string()).await), Code::NotFound);
    assert_eq!(code(h.submit("42").await), Code::InvalidArgument);
    assert!(h.outbox().await.is_empty());
}
