//! The replenishment worker's pass: demand raised onto the supplier's
//! draft (rounded to MOQ and case pack), never a second while one is open
//! (not even by racing replicas), no ETA for it, and a new one once the
//! line carrying it is received.

use std::sync::Arc;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::{DAY_MS, now_ms, to_timestamp};
use backorder_proto::procurement::v1 as pb;
use procurement::handlers::replenishment::Replenished;
use procurement::store::demand;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::Barrier;
use tonic::Code;

use crate::helpers::*;

/// Replenishment demand rows of `sku`, open or not.
async fn replenishment_demands(h: &Harness, sku: &str) -> Vec<demand::Model> {
    demand::Entity::find()
        .filter(demand::Column::Sku.eq(sku))
        .filter(demand::Column::Replenishment.eq(true))
        .all(&h.db)
        .await
        .expect("demands")
}

#[tokio::test]
async fn a_short_sku_gets_one_rounded_demand_and_no_second_while_it_is_open() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-R", 300, 50, 12, true)
        .await
        .expect("item");
    // Mean 10 with no spread, L = 2: ROP 20; 5 available: order 20 + 20 - 5.
    inventory.set("SKU-R", &[10; 14], 5, 0);
    h.policy("SKU-R", 95.0, 14).await;

    let pass = h.api.replenish().await;
    assert_eq!((pass.planned, pass.raised, pass.failed), (1, 1, 0));
    let raised = replenishment_demands(&h, "SKU-R").await;
    assert_eq!(raised.len(), 1);
    let raised = &raised[0];
    assert_eq!(raised.quantity, 35);
    assert!(raised.order_id.is_empty() && raised.line_id.is_empty());
    let drafts = h.purchase_orders(&acme, DRAFT).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        raised.purchase_order_id.as_deref(),
        Some(drafts[0].id.as_str())
    );
    let l = line(&drafts[0], "SKU-R");
    // 35 raised to the MOQ of 50, in whole cases of 12.
    assert_eq!((l.demand_quantity, l.ordered_quantity), (35, 60));
    assert!(h.etas().await.is_empty(), "no ETA for replenishment demand");

    let plan = h.plan("SKU-R").await.expect("plan");
    assert_eq!(plan.open_demand_id, raised.id);
    assert_eq!((plan.on_order, plan.order_quantity), (60, 0));

    // Even far below the reorder point, nothing more while it is open.
    inventory.set("SKU-R", &[10; 14], 0, 500);
    let pass = h.api.replenish().await;
    assert_eq!((pass.planned, pass.raised), (1, 0));
    assert_eq!(replenishment_demands(&h, "SKU-R").await.len(), 1);
    let drafts = h.purchase_orders(&acme, DRAFT).await;
    assert_eq!(line(&drafts[0], "SKU-R").demand_quantity, 35);
}

#[tokio::test]
async fn replenishment_demand_is_no_order_lines_and_sends_no_eta() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 3).await;
    h.item(&acme, "SKU-E", 100, 1, 1, true).await.expect("item");
    inventory.set("SKU-E", &[2; 7], 0, 0);
    h.policy("SKU-E", 50.0, 7).await;
    // An order line's demand beside it on the same draft records its ETA.
    let order_id = new_id_string();
    let d = h.demand_of(&order_id, "SKU-E", 1).await;
    assert_eq!(h.api.replenish().await.raised, 1);
    let raised = replenishment_demands(&h, "SKU-E").await.remove(0);
    assert_eq!(
        raised.purchase_order_id.as_deref(),
        Some(d.purchase_order_id.as_str())
    );

    h.submit(&d.purchase_order_id).await.expect("submit");
    let promised = now_ms() + 3 * DAY_MS;
    h.acknowledge(&d.purchase_order_id, promised)
        .await
        .expect("acknowledge");
    let etas = h.etas().await;
    assert!(etas.is_empty(), "no ETA sent for stock demand: {etas:?}");
    let listed = h.demands_of(&order_id).await;
    assert_eq!(listed.len(), 1, "ListDemands: the order's own");
    assert_eq!(listed[0].eta, Some(to_timestamp(promised)));
    // Inventory hears of every unit coming, replenishment's too.
    let ordered = line(&h.po(&d.purchase_order_id).await, "SKU-E").ordered_quantity;
    assert!(ordered > 1);
    assert_eq!(
        lots(&h.last_supply("SKU-E").await),
        [(d.purchase_order_id.clone(), ordered, promised, true)]
    );

    // Nobody can release it as a cancelled line, nor reuse its id.
    let released = h.release(&raised.id).await.expect("release");
    assert!(!released.released);
    assert!(!replenishment_demands(&h, "SKU-E").await[0].released);
    let taken = call(h.api.add_demand(pb::AddDemandRequest {
        demand_id: raised.id.clone(),
        ..demand_request(&new_id_string(), "SKU-E", 1)
    }))
    .await;
    assert_eq!(code(taken), Code::AlreadyExists);
}

#[tokio::test]
async fn a_fully_received_line_closes_the_demand_and_the_sku_is_replenished_again() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-C", 100, 1, 4, true).await.expect("item");
    inventory.set("SKU-C", &[3; 10], 0, 0);
    h.policy("SKU-C", 50.0, 10).await;
    assert_eq!(h.api.replenish().await.raised, 1);
    let first = replenishment_demands(&h, "SKU-C").await.remove(0);
    // ROP 3, position 0: 3 + 3 = 6 units, ordered as 2 cases of 4.
    assert_eq!(first.quantity, 6);
    let po = first.purchase_order_id.clone().expect("on a draft");
    h.submit(&po).await.expect("submit");
    h.acknowledge(&po, now_ms() + DAY_MS).await.expect("ack");

    h.receive(&po, &[("SKU-C", 5)]).await.expect("part");
    assert_eq!(
        h.plan("SKU-C").await.expect("plan").open_demand_id,
        first.id
    );
    assert_eq!(h.api.replenish().await.raised, 0, "still open");
    h.receive(&po, &[("SKU-C", 3)]).await.expect("rest");
    let plan = h.plan("SKU-C").await.expect("plan");
    assert!(plan.open_demand_id.is_empty(), "closed by the receipt");
    assert!(
        replenishment_demands(&h, "SKU-C").await[0]
            .received_at
            .is_some()
    );

    assert_eq!(h.api.replenish().await.raised, 1);
    let all = replenishment_demands(&h, "SKU-C").await;
    assert_eq!(all.len(), 2);
    let second = all.iter().find(|d| d.id != first.id).expect("second");
    assert_ne!(
        second.purchase_order_id.as_deref(),
        Some(po.as_str()),
        "a new draft"
    );
}

#[tokio::test]
async fn disabled_unsupplied_and_unreachable_skus_raise_nothing() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    inventory.set("SKU-X", &[9; 7], 0, 0);
    h.policy("SKU-X", 95.0, 7).await;
    let pass = h.api.replenish().await;
    assert_eq!(
        (pass.planned, pass.raised, pass.failed),
        (1, 0, 0),
        "no supplier"
    );

    let acme = h.supplier("Acme", 1).await;
    h.item(&acme, "SKU-X", 1, 1, 1, true).await.expect("item");
    call(
        h.api
            .set_replenishment_policy(pb::SetReplenishmentPolicyRequest {
                request_id: new_id_string(),
                policy: Some(pb::ReplenishmentPolicy {
                    sku: "SKU-X".to_owned(),
                    enabled: false,
                    service_level_percent: 95.0,
                    history_days: 7,
                }),
            }),
    )
    .await
    .expect("disabled");
    assert_eq!(h.api.replenish().await, Replenished::default(), "disabled");

    h.policy("SKU-X", 95.0, 7).await;
    inventory.go_down();
    let pass = h.api.replenish().await;
    assert_eq!((pass.raised, pass.failed), (0, 1));
    assert!(replenishment_demands(&h, "SKU-X").await.is_empty());
}

#[tokio::test]
async fn policies_are_planned_a_hundred_skus_per_inventory_call() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    for i in 0..150 {
        h.policy(&format!("SKU-{i:03}"), 90.0, 7 + i % 3).await;
    }
    let pass = h.api.replenish().await;
    assert_eq!((pass.planned, pass.failed), (150, 0));
    let asked = inventory.requests();
    let sizes: Vec<usize> = asked.iter().map(|r| r.skus.len()).collect();
    assert_eq!(sizes, [100, 50]);
    assert!(
        asked.iter().all(|r| r.days == 9),
        "the longest history asked"
    );

    // A full last page is followed by an empty one, which asks nothing.
    for i in 150..200 {
        h.policy(&format!("SKU-{i:03}"), 90.0, 7).await;
    }
    let pass = h.api.replenish().await;
    assert_eq!((pass.planned, pass.failed), (200, 0));
    assert_eq!(inventory.requests().len(), 4);
}

#[tokio::test]
async fn demand_on_a_cancelled_purchase_order_moves_to_the_new_draft_and_stays_open() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-M", 100, 1, 1, true).await.expect("item");
    inventory.set("SKU-M", &[1; 7], 0, 0);
    h.policy("SKU-M", 50.0, 7).await;
    assert_eq!(h.api.replenish().await.raised, 1);
    let raised = replenishment_demands(&h, "SKU-M").await.remove(0);
    let po = raised.purchase_order_id.clone().expect("on a draft");
    h.submit(&po).await.expect("submit");
    h.cancel(&po).await.expect("cancel");

    let moved = replenishment_demands(&h, "SKU-M").await.remove(0);
    let draft = h.purchase_orders(&acme, DRAFT).await.remove(0);
    assert_eq!(moved.purchase_order_id.as_deref(), Some(draft.id.as_str()));
    assert_eq!(line(&draft, "SKU-M").demand_quantity, raised.quantity);
    assert_eq!(
        h.plan("SKU-M").await.expect("plan").open_demand_id,
        raised.id
    );
    assert_eq!(h.api.replenish().await.raised, 0, "still open");
    assert!(h.etas().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_replicas_raise_one_demand() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let rounds = if h.database.is_postgres() { 10 } else { 2 };
    let acme = h.supplier("Acme", 2).await;
    // Both replicas plan from the same state before either raises.
    inventory.gate(2);
    for round in 0..rounds {
        let sku = format!("SKU-{round}");
        h.item(&acme, &sku, 1, 1, 1, true).await.expect("item");
        inventory.set(&sku, &[5; 7], 0, 0);
        h.policy(&sku, 50.0, 7).await;
        let (a, b) = (h.replica(), h.replica());
        let barrier = Arc::new(Barrier::new(2));
        let (start_a, start_b) = (barrier.clone(), barrier);
        let first = tokio::spawn(async move {
            start_a.wait().await;
            a.replenish().await
        });
        let second = tokio::spawn(async move {
            start_b.wait().await;
            b.replenish().await
        });
        let first = call(first).await.expect("first replica");
        let second = call(second).await.expect("second replica");
        assert_eq!(
            first.raised + second.raised,
            1,
            "round {round}: {first:?} {second:?}"
        );
        assert_eq!(
            first.failed + second.failed,
            0,
            "round {round}: the loser is quiet"
        );
        let raised = replenishment_demands(&h, &sku).await;
        assert_eq!(raised.len(), 1, "round {round}");
        let drafts = h.purchase_orders(&acme, DRAFT).await;
        // ROP 10, position 0: 20 units, once.
        assert_eq!(line(&drafts[0], &sku).demand_quantity, 20, "round {round}");
    }
}
