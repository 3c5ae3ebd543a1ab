//! Late purchase orders: one past its expected date is marked delayed a
//! lead time from now, once (not even racing replicas twice): each open
//! demand it serves records that date, a drop-ship line is sent it as ETA,
//! and inventory gets each stock SKU's inbound supply with the delayed
//! date, unconfirmed; nothing more until the new date passes; a new
//! promise clears the mark.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::{DAY_MS, from_timestamp, now_ms, to_timestamp};
use backorder_proto::inventory::v1::SetInboundSupplyRequest;
use backorder_proto::order::v1::UpdateLineEtaRequest;
use backorder_proto::procurement::v1 as pb;
use procurement::handlers::delays::Delayed;
use procurement::workers::replenisher::run_once;
use tokio::sync::Barrier;

use crate::helpers::*;

/// The ETAs sent after the first `from`.
async fn etas_since(h: &Harness, from: usize) -> Vec<UpdateLineEtaRequest> {
    h.etas().await.into_iter().skip(from).collect()
}

/// The inbound-supply snapshots sent after the first `from`.
async fn supplies_since(h: &Harness, from: usize) -> Vec<SetInboundSupplyRequest> {
    h.supplies().await.into_iter().skip(from).collect()
}

/// The delay a purchase order shows, in Unix ms.
fn delayed_until(po: &pb::PurchaseOrder) -> Option<i64> {
    po.delayed_until.as_ref().map(from_timestamp)
}

/// `days` whole days after `at`.
fn now_plus(at: i64, days: i64) -> i64 {
    at + days * DAY_MS
}

/// A pass that delayed `delayed` purchase orders and failed on none.
fn delayed(delayed: usize) -> Delayed {
    Delayed { delayed, failed: 0 }
}

#[tokio::test]
async fn a_late_order_is_delayed_once_and_its_sku_reported_with_the_new_date() {
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-L", 100, 1, 1, true).await.expect("item");
    let (first, second, gone) = (new_id_string(), new_id_string(), new_id_string());
    let a = h.demand_of(&first, "SKU-L", 2).await;
    let b = h.demand_of(&second, "SKU-L", 3).await;
    let released = h.demand_of(&gone, "SKU-L", 1).await;
    // Replenishment demand on the same purchase order serves no order line.
    inventory.set("SKU-L", &[2; 7], 0, 0);
    h.policy("SKU-L", 50.0, 7).await;
    assert_eq!(h.api.replenish().await.raised, 1);
    let po = a.purchase_order_id.clone();
    assert_eq!(b.purchase_order_id, po);
    h.submit(&po).await.expect("submit");
    let now = now_ms();
    h.acknowledge(&po, now - DAY_MS).await.expect("acknowledge");
    assert!(h.release(&released.id).await.expect("release").released);
    let units = line(&h.po(&po).await, "SKU-L").ordered_quantity;
    let before = h.supplies().await.len();

    assert_eq!(h.api.catch_delays(now).await, delayed(1));
    let until = now + 4 * DAY_MS;
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
    let sent = supplies_since(&h, before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].sku, "SKU-L");
    assert_eq!(
        lots(&sent[0]),
        [(po.clone(), units, until, false)],
        "the delayed date, unconfirmed"
    );
    for order in [&first, &second] {
        let demand = h.demands_of(order).await.remove(0);
        assert_eq!(demand.eta, Some(to_timestamp(until)), "the open demands");
    }
    let left = h.demands_of(&gone).await.remove(0);
    assert_ne!(left.eta, Some(to_timestamp(until)), "not the released one");
    assert_eq!(delayed_until(&h.po(&po).await), Some(until));
    let listed = h.purchase_orders(&acme, ACKNOWLEDGED).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(delayed_until(&listed[0]), Some(until));

    // Before the new date passes: nothing.
    let before = h.supplies().await.len();
    assert_eq!(h.api.catch_delays(until).await, delayed(0));
    assert_eq!(h.api.catch_delays(now + DAY_MS).await, delayed(0));
    assert_eq!(h.supplies().await.len(), before);

    // Missed again: caught again, a lead time from then.
    let later = until + 1;
    assert_eq!(h.api.catch_delays(later).await, delayed(1));
    let again = now_plus(later, 4);
    let sent = supplies_since(&h, before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(lots(&sent[0]), [(po.clone(), units, again, false)]);
    assert_eq!(delayed_until(&h.po(&po).await), Some(again));

    // A new promise clears the mark, and holds until it passes.
    let promised = again + DAY_MS;
    let acknowledged = h.acknowledge(&po, promised).await.expect("re-acknowledge");
    assert_eq!(delayed_until(&acknowledged), None);
    assert_eq!(delayed_until(&h.po(&po).await), None);
    assert_eq!(
        lots(&h.last_supply("SKU-L").await),
        [(po.clone(), units, promised, true)],
        "the new promise, confirmed"
    );
    let before = h.supplies().await.len();
    assert_eq!(h.api.catch_delays(promised).await, delayed(0));
    assert_eq!(h.supplies().await.len(), before);
    let demand = h.demands_of(&second).await.remove(0);
    assert_eq!(demand.eta, Some(to_timestamp(promised)));
    assert!(h.etas().await.is_empty());
}

#[tokio::test]
async fn an_order_never_promised_is_late_after_its_lead_time_drop_ship_too() {
    let h = harness().await;
    let acme = h.supplier("Acme", 3).await;
    h.item(&acme, "SKU-S", 100, 1, 1, true).await.expect("item");
    let direct = h.supplier("Direct", 0).await;
    h.drop_ship_item(&direct, "SKU-DS", true, true)
        .await
        .expect("drop-ship item");
    let stock = h.demand("SKU-S", 1).await;
    let shipped = h.drop_ship_demand(&new_id_string(), "SKU-DS", 1).await;
    let submitted = h.submit(&stock.purchase_order_id).await.expect("submit");
    h.submit(&shipped.purchase_order_id).await.expect("submit");
    let at = from_timestamp(submitted.submit_time.as_ref().expect("submitted"));
    let before = h.etas().await.len();
    let reported = h.supplies().await.len();

    // Lead time 0: the drop-ship order was expected at submission; it is
    // then expected a day later, not at once again. The stock order, three
    // days after submission, is not due yet.
    let early = now_plus(at, 3) - 60_000;
    assert_eq!(h.api.catch_delays(early).await, delayed(1));
    let sent = etas_since(&h, before).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].line_id, shipped.line_id);
    assert_eq!(sent[0].eta, Some(to_timestamp(now_plus(early, 1))));
    let po = h.po(&shipped.purchase_order_id).await;
    assert!(po.drop_ship);
    assert_eq!(delayed_until(&po), Some(now_plus(early, 1)));
    assert_eq!(
        h.supplies().await.len(),
        reported,
        "a drop-ship order is no inbound supply"
    );

    // Just past its three days, the stock order is late: its demand
    // records the new date and inventory hears it; no ETA is sent.
    let late = now_plus(at, 3) + 60_000;
    assert_eq!(h.api.catch_delays(late).await, delayed(1));
    assert!(etas_since(&h, before + 1).await.is_empty());
    let sent = supplies_since(&h, reported).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].sku, "SKU-S");
    assert_eq!(
        lots(&sent[0]),
        [(stock.purchase_order_id.clone(), 1, now_plus(late, 3), false)]
    );
    let recorded = h.demands_of(&stock.order_id).await.remove(0);
    assert_eq!(recorded.eta, Some(to_timestamp(now_plus(late, 3))));
}

#[tokio::test]
async fn drafts_and_finished_orders_are_never_late() {
    let h = harness().await;
    let acme = h.supplier("Acme", 1).await;
    for sku in ["SKU-1", "SKU-2", "SKU-3"] {
        h.item(&acme, sku, 100, 1, 1, true).await.expect("item");
    }
    let now = now_ms();
    let received = h.demand("SKU-1", 2).await.purchase_order_id;
    h.submit(&received).await.expect("submit");
    h.acknowledge(&received, now - DAY_MS).await.expect("ack");
    h.receive(&received, &[("SKU-1", 2)])
        .await
        .expect("receive");
    let cancelled = h.demand("SKU-2", 2).await.purchase_order_id;
    h.submit(&cancelled).await.expect("submit");
    h.cancel(&cancelled).await.expect("cancel");
    let draft = h.demand("SKU-3", 2).await.purchase_order_id;
    let before = h.etas().await.len();

    assert_eq!(h.api.catch_delays(now + 30 * DAY_MS).await, delayed(0));
    assert_eq!(h.etas().await.len(), before);
    for po in [&received, &cancelled, &draft] {
        assert_eq!(delayed_until(&h.po(po).await), None);
    }
}

#[tokio::test]
async fn the_worker_run_includes_the_delay_pass() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-W", 100, 1, 1, true).await.expect("item");
    let d = h.demand("SKU-W", 1).await;
    h.submit(&d.purchase_order_id).await.expect("submit");
    h.acknowledge(&d.purchase_order_id, now_ms() - DAY_MS)
        .await
        .expect("ack");

    let started = now_ms();
    let run = run_once(&h.api).await;
    assert_eq!(run.delayed, delayed(1));
    let until = delayed_until(&h.po(&d.purchase_order_id).await).expect("delayed");
    assert!(
        (started + 2 * DAY_MS..=now_ms() + 2 * DAY_MS).contains(&until),
        "{until}"
    );
    assert_eq!(run_once(&h.api).await.delayed, delayed(0));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_replicas_delay_each_order_once_and_report_each_sku_once() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    let skus = ["SKU-R", "SKU-Q"];
    for sku in skus {
        h.item(&acme, sku, 100, 1, 1, true).await.expect("item");
    }
    let rounds = if h.database.is_postgres() { 30 } else { 4 };
    // What each SKU's snapshot must show: every earlier round's order
    // still inbound at the date its own delay set.
    let mut inbound: BTreeMap<&str, Vec<(String, i64, i64, bool)>> = BTreeMap::new();
    for round in 0..rounds {
        let (po, orders) = {
            let mut orders = Vec::new();
            let mut po = String::new();
            for sku in skus.iter().chain(&skus[..1]) {
                let d = h.demand(sku, 1).await;
                po = d.purchase_order_id;
                orders.push(d.order_id);
            }
            h.submit(&po).await.expect("submit");
            h.acknowledge(&po, now_ms() - DAY_MS).await.expect("ack");
            (po, orders)
        };
        let before = h.supplies().await.len();
        let now = now_ms();
        let (one, other) = (h.api.clone(), h.replica());
        let (x, y) = race(async move { one.catch_delays(now).await }, async move {
            other.catch_delays(now).await
        })
        .await;
        assert_eq!((x.failed, y.failed), (0, 0), "round {round}");
        assert_eq!(x.delayed + y.delayed, 1, "round {round}: {x:?} {y:?}");
        let until = now + 2 * DAY_MS;
        for order in &orders {
            let demand = h.demands_of(order).await.remove(0);
            assert_eq!(demand.eta, Some(to_timestamp(until)), "round {round}");
        }
        let sent = supplies_since(&h, before).await;
        let mut told: Vec<&str> = sent.iter().map(|m| m.sku.as_str()).collect();
        told.sort_unstable();
        assert_eq!(told, ["SKU-Q", "SKU-R"], "round {round}: each SKU once");
        for (sku, units) in [("SKU-R", 2), ("SKU-Q", 1)] {
            let expected = inbound.entry(sku).or_default();
            expected.push((po.clone(), units, until, false));
            expected.sort();
            let supply = sent.iter().find(|m| m.sku == sku).expect("reported");
            assert_eq!(&lots(supply), expected, "round {round}: {sku}");
        }
    }
    assert!(h.etas().await.is_empty(), "no ETA sent for stock demand");
}
