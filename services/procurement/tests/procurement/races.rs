//! Concurrent callers on the same rows, many times over: on PostgreSQL the
//! calls really overlap (on SQLite, whose writers are serialised, the same
//! tests check the sequential outcomes). Each round starts both calls at a
//! barrier and checks what must hold whichever commits first.

use std::future::Future;
use std::sync::Arc;

use backorder_platform::ServiceResult;
use backorder_platform::ids::new_id_string;
use backorder_proto::procurement::v1 as pb;
use tokio::sync::Barrier;

use crate::helpers::*;

/// Rounds per race: enough on PostgreSQL to make the interleavings that
/// matter happen; SQLite runs them one after the other anyway.
fn rounds(h: &Harness) -> usize {
    if h.database.is_postgres() { 40 } else { 4 }
}

/// Runs `a` and `b` on separate tasks, released together.
async fn race<A, B>(a: A, b: B) -> (A::Output, B::Output)
where
    A: Future + Send + 'static,
    A::Output: Send + 'static,
    B: Future + Send + 'static,
    B::Output: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(2));
    let (start_a, start_b) = (barrier.clone(), barrier);
    let a = tokio::spawn(async move {
        start_a.wait().await;
        a.await
    });
    let b = tokio::spawn(async move {
        start_b.wait().await;
        b.await
    });
    (
        call(a).await.expect("first task"),
        call(b).await.expect("second task"),
    )
}

fn release(
    h: &Harness,
    demand_id: &str,
) -> impl Future<Output = ServiceResult<pb::ReleaseDemandResponse>> + use<> {
    let api = h.api.clone();
    let request = pb::ReleaseDemandRequest {
        request_id: new_id_string(),
        demand_id: demand_id.to_owned(),
    };
    async move { call(api.release_demand(request)).await }
}

/// Units of `sku` that `supplier`'s drafts carry.
async fn draft_units(h: &Harness, supplier: &str, sku: &str) -> i64 {
    h.purchase_orders(supplier, DRAFT)
        .await
        .iter()
        .flat_map(|po| &po.lines)
        .filter(|l| l.sku == sku)
        .map(|l| l.demand_quantity)
        .sum()
}

async fn assert_released(h: &Harness, order_id: &str, round: usize) {
    let demands = h.demands_of(order_id).await;
    assert_eq!(demands.len(), 1, "round {round}");
    assert!(demands[0].released, "round {round}: {:?}", demands[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn release_racing_cancel_leaves_the_demand_released_and_on_no_draft() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    for round in 0..rounds(&h) {
        let sku = format!("SKU-{round}");
        h.item(&acme, &sku, 1, 1, 1, true).await.expect("item");
        let order_id = new_id_string();
        let d = h.demand_of(&order_id, &sku, 3).await;
        let po_id = d.purchase_order_id.clone();
        if round % 2 == 1 {
            h.submit(&po_id).await.expect("submit");
        }
        let api = h.api.clone();
        let cancel = pb::CancelPurchaseOrderRequest {
            request_id: new_id_string(),
            purchase_order_id: po_id,
            reason: "race".to_owned(),
        };
        let (released, cancelled) = race(release(&h, &d.id), async move {
            call(api.cancel_purchase_order(cancel)).await
        })
        .await;
        assert!(released.expect("release").released, "round {round}");
        assert_eq!(
            cancelled
                .expect("cancel")
                .purchase_order
                .expect("po")
                .status,
            CANCELLED
        );
        assert_released(&h, &order_id, round).await;
        assert_eq!(
            draft_units(&h, &acme, &sku).await,
            0,
            "round {round}: no draft holds units for released demand"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sourcing_racing_release_keeps_released_demand_released() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    for round in 0..rounds(&h) {
        let sku = format!("SKU-{round}");
        let order_id = new_id_string();
        let d = h.demand_of(&order_id, &sku, 2).await;
        assert!(d.purchase_order_id.is_empty(), "waits for a supplier");
        let api = h.api.clone();
        let offer = pb::SetSupplierItemRequest {
            request_id: new_id_string(),
            supplier_id: acme.clone(),
            sku: sku.clone(),
            unit_cost_minor: 1,
            minimum_order_quantity: 1,
            case_pack: 1,
            preferred: true,
            drop_ship: false,
        };
        let (released, offered) = race(release(&h, &d.id), async move {
            call(api.set_supplier_item(offer)).await
        })
        .await;
        assert!(released.expect("release").released, "round {round}");
        offered.expect("offer");
        assert_released(&h, &order_id, round).await;
        assert_eq!(draft_units(&h, &acme, &sku).await, 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_release_racing_its_own_demand_ends_released() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-R", 1, 1, 1, true).await.expect("item");
    for round in 0..rounds(&h) {
        let order_id = new_id_string();
        let add = demand_request(&order_id, "SKU-R", 2);
        let api = h.api.clone();
        let (released, added) = race(release(&h, &add.demand_id), {
            let add = add.clone();
            async move { call(api.add_demand(add)).await }
        })
        .await;
        released.expect("release");
        let added = added.expect("add").demand.expect("demand");
        assert_eq!(added.id, add.demand_id);
        assert_released(&h, &order_id, round).await;
        assert_eq!(draft_units(&h, &acme, "SKU-R").await, 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_demand_for_one_supplier_opens_exactly_one_draft() {
    const CALLERS: i64 = 6;
    let h = harness().await;
    let rounds = if h.database.is_postgres() { 10 } else { 2 };
    for round in 0..rounds {
        let supplier = h.supplier(&format!("Supplier {round}"), 1).await;
        let sku = format!("SKU-{round}");
        h.item(&supplier, &sku, 1, 1, 1, true).await.expect("item");
        let barrier = Arc::new(Barrier::new(usize::try_from(CALLERS).expect("small")));
        let mut tasks = Vec::new();
        for quantity in 1..=CALLERS {
            let api = h.api.clone();
            let barrier = barrier.clone();
            let request = demand_request(&new_id_string(), &sku, quantity);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                call(api.add_demand(request)).await
            }));
        }
        let mut on = Vec::new();
        for task in tasks {
            let demand = call(task)
                .await
                .expect("task")
                .expect("every caller succeeds")
                .demand
                .expect("demand");
            on.push(demand.purchase_order_id);
        }
        let drafts = h.purchase_orders(&supplier, DRAFT).await;
        assert_eq!(drafts.len(), 1, "round {round}: one open draft: {drafts:?}");
        assert!(on.iter().all(|id| *id == drafts[0].id), "round {round}");
        assert_eq!(
            line(&drafts[0], &sku).demand_quantity,
            CALLERS * (CALLERS + 1) / 2
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_drop_ship_demand_for_one_order_opens_exactly_one_drop_ship_draft() {
    const CALLERS: i64 = 6;
    let h = harness().await;
    let rounds = if h.database.is_postgres() { 10 } else { 2 };
    for round in 0..rounds {
        let supplier = h.supplier(&format!("Supplier {round}"), 1).await;
        let sku = format!("SKU-{round}");
        h.drop_ship_item(&supplier, &sku, true, true)
            .await
            .expect("item");
        let order_id = new_id_string();
        let barrier = Arc::new(Barrier::new(usize::try_from(CALLERS + 1).expect("small")));
        let mut tasks = Vec::new();
        // Lines of one order, and a stock demand of the SKU beside them.
        for quantity in 0..=CALLERS {
            let api = h.api.clone();
            let barrier = barrier.clone();
            let request = if quantity == 0 {
                demand_request(&new_id_string(), &sku, 1)
            } else {
                drop_ship_request(&order_id, &sku, quantity, ADDRESS)
            };
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                call(api.add_demand(request)).await
            }));
        }
        for task in tasks {
            call(task)
                .await
                .expect("task")
                .expect("every caller succeeds");
        }
        let drafts = h.purchase_orders(&supplier, DRAFT).await;
        let (drop_ship, stock): (Vec<_>, Vec<_>) = drafts.iter().partition(|po| po.drop_ship);
        assert_eq!(drop_ship.len(), 1, "round {round}: {drafts:?}");
        assert_eq!(stock.len(), 1, "round {round}: {drafts:?}");
        let on: Vec<String> = h
            .demands_of(&order_id)
            .await
            .into_iter()
            .map(|d| d.purchase_order_id)
            .collect();
        assert!(on.iter().all(|id| *id == drop_ship[0].id), "round {round}");
        let units = CALLERS * (CALLERS + 1) / 2;
        let l = line(drop_ship[0], &sku);
        assert_eq!((l.demand_quantity, l.ordered_quantity), (units, units));
        assert_eq!(line(stock[0], &sku).demand_quantity, 1);
    }
}
