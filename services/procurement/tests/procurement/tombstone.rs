//! A release that arrives before its demand (inventory's replicas commit
//! out of id order) is remembered: the late demand stays released.

use backorder_platform::ids::new_id_string;
use backorder_proto::procurement::v1 as pb;

use crate::helpers::*;

#[tokio::test]
async fn a_demand_released_before_it_arrived_orders_nothing() {
    let h = harness().await;
    let acme = h.supplier("Acme", 3).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let order_id = new_id_string();
    let request = demand_request(&order_id, "SKU-1", 4);

    let early = h.release(&request.demand_id).await.expect("release");
    assert!(!early.released, "nothing known to release yet");
    assert!(h.demands_of(&order_id).await.is_empty());

    let late = call(h.api.add_demand(request.clone()))
        .await
        .expect("a late demand is answered OK")
        .demand
        .expect("demand");
    assert!(late.released, "the answer says it is released");
    assert!(late.purchase_order_id.is_empty());
    assert!(late.eta.is_none());
    assert_eq!((late.sku.as_str(), late.quantity), ("SKU-1", 4));

    let drafts = h.purchase_orders(&acme, DRAFT).await;
    let units: i64 = drafts
        .iter()
        .flat_map(|po| &po.lines)
        .map(|l| l.demand_quantity + l.ordered_quantity)
        .sum();
    assert_eq!(units, 0, "no purchase order line carries it: {drafts:?}");
    assert!(h.etas().await.is_empty(), "no ETA for a released demand");

    let listed = h.demands_of(&order_id).await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].released);
    assert_eq!(listed[0].id, request.demand_id);

    let again = call(h.api.add_demand(pb::AddDemandRequest {
        request_id: new_id_string(),
        ..request.clone()
    }))
    .await
    .expect("again")
    .demand
    .expect("demand");
    assert_eq!(again, late);
    let second_release = h.release(&request.demand_id).await.expect("release");
    assert!(
        second_release.released,
        "now it is a known, released demand"
    );
}
