//! Inbound supply as inventory hears it: after every change of a SKU's
//! open stock purchase orders (submission, acknowledgement, receipt,
//! cancellation, delay) and after every offer change, a snapshot of the
//! SKU's lots (open stock purchase orders: units still to come, the date
//! they are expected, whether the supplier promised it) and the lead time
//! of the offer that would get new demand, under a revision that rises by
//! one per report of the SKU.

use std::sync::Arc;

use backorder_platform::ServiceResult;
use backorder_platform::ids::new_id_string;
use backorder_platform::time::{DAY_MS, from_timestamp, now_ms, to_timestamp};
use backorder_proto::inventory::v1::SetInboundSupplyRequest;
use backorder_proto::procurement::v1 as pb;
use procurement::store::supplier_item;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::Barrier;

use crate::helpers::*;

/// The snapshots sent after the first `from`.
async fn supplies_since(h: &Harness, from: usize) -> Vec<SetInboundSupplyRequest> {
    h.supplies().await.into_iter().skip(from).collect()
}

/// When `po` was submitted, in Unix ms.
fn submitted_at(po: &pb::PurchaseOrder) -> i64 {
    from_timestamp(po.submit_time.as_ref().expect("submitted"))
}

/// A stock demand of `units` of `sku` on the draft of the SKU's offer,
/// which is then submitted; returns the purchase order as submitted.
async fn submitted(h: &Harness, sku: &str, units: i64) -> pb::PurchaseOrder {
    let d = h.demand(sku, units).await;
    h.submit(&d.purchase_order_id).await.expect("submit")
}

#[tokio::test]
async fn a_draft_is_not_inbound() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-A", 1, 1, 1, true).await.expect("item");
    let d = h.demand("SKU-A", 3).await;
    assert_eq!(h.po(&d.purchase_order_id).await.status, DRAFT);
    // The draft is cancelled and its demand moves to a fresh one: neither
    // is on its way.
    h.cancel(&d.purchase_order_id).await.expect("cancel draft");
    let supplies = h.supplies_of("SKU-A").await;
    assert!(!supplies.is_empty());
    assert!(supplies.iter().all(|s| s.lots.is_empty()), "{supplies:?}");
}

#[tokio::test]
async fn submission_reports_one_lot_a_lead_time_after_submission_unconfirmed() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-A", 1, 1, 5, true).await.expect("item");
    let d = h.demand("SKU-A", 3).await;
    let before = h.supplies().await.len();
    let po = h.submit(&d.purchase_order_id).await.expect("submit");

    let sent = supplies_since(&h, before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].sku, "SKU-A");
    assert_eq!(
        lots(&sent[0]),
        [(po.id.clone(), 5, submitted_at(&po) + 4 * DAY_MS, false)],
        "the ordered units, estimated from the lead time"
    );
    assert_eq!(sent[0].lead_time_days, Some(4), "the supplier's lead time");
}

#[tokio::test]
async fn acknowledgement_reports_the_promised_date_confirmed() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-A", 1, 1, 1, true).await.expect("item");
    let po = submitted(&h, "SKU-A", 3).await;
    let promised = now_ms() + 9 * DAY_MS;
    let before = h.supplies().await.len();
    h.acknowledge(&po.id, promised).await.expect("acknowledge");

    let sent = supplies_since(&h, before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(lots(&sent[0]), [(po.id.clone(), 3, promised, true)]);
    assert_eq!(sent[0].lead_time_days, Some(4));
}

#[tokio::test]
async fn a_partial_receipt_shrinks_the_lot_and_the_last_units_remove_it() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    for sku in ["SKU-A", "SKU-B"] {
        h.item(&acme, sku, 1, 1, 1, true).await.expect("item");
    }
    let a = h.demand("SKU-A", 5).await;
    h.demand("SKU-B", 2).await;
    let po = a.purchase_order_id.clone();
    h.submit(&po).await.expect("submit");
    let promised = now_ms() + 2 * DAY_MS;
    h.acknowledge(&po, promised).await.expect("acknowledge");

    let before = h.supplies().await.len();
    let partial = h.receive(&po, &[("SKU-A", 2)]).await.expect("receive");
    assert_eq!(partial.status, PARTIALLY_RECEIVED);
    let sent = supplies_since(&h, before).await;
    assert_eq!(sent.len(), 1, "the SKU received only: {sent:?}");
    assert_eq!(sent[0].sku, "SKU-A");
    assert_eq!(
        lots(&sent[0]),
        [(po.clone(), 3, promised, true)],
        "the units still to come"
    );
    // The other SKU of a partially received order is still on its way.
    assert_eq!(
        lots(&h.last_supply("SKU-B").await),
        [(po.clone(), 2, promised, true)]
    );

    h.receive(&po, &[("SKU-A", 3), ("SKU-B", 2)])
        .await
        .expect("receive the rest");
    for sku in ["SKU-A", "SKU-B"] {
        assert!(h.last_supply(sku).await.lots.is_empty(), "{sku}");
    }
}

#[tokio::test]
async fn cancelling_a_purchase_order_removes_its_lot() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    h.item(&acme, "SKU-C", 1, 1, 1, true).await.expect("item");
    let first = submitted(&h, "SKU-C", 2).await;
    let second = submitted(&h, "SKU-C", 3).await;
    assert_ne!(first.id, second.id);
    let expected = |po: &pb::PurchaseOrder, units| {
        (po.id.clone(), units, submitted_at(po) + 4 * DAY_MS, false)
    };
    let mut both = vec![expected(&first, 2), expected(&second, 3)];
    both.sort();
    assert_eq!(lots(&h.last_supply("SKU-C").await), both);

    let before = h.supplies().await.len();
    h.cancel(&first.id).await.expect("cancel");
    let sent = supplies_since(&h, before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        lots(&sent[0]),
        [expected(&second, 3)],
        "the cancelled order is gone; the draft its demand moved to is not inbound"
    );
}

#[tokio::test]
async fn every_offer_change_reports_the_lead_time_of_the_chosen_offer() {
    let h = harness().await;
    let slow = h.supplier("Slow", 9).await;
    let fast = h.supplier("Fast", 2).await;
    let lead_time = |supply: SetInboundSupplyRequest| supply.lead_time_days;

    h.item(&slow, "SKU-O", 100, 1, 1, false)
        .await
        .expect("item");
    assert_eq!(lead_time(h.last_supply("SKU-O").await), Some(9));
    // A cheaper offer, nobody preferred: the cheapest gets new demand.
    h.item(&fast, "SKU-O", 50, 1, 1, false).await.expect("item");
    assert_eq!(lead_time(h.last_supply("SKU-O").await), Some(2));
    // The dearer supplier becomes preferred.
    h.item(&slow, "SKU-O", 100, 1, 1, true).await.expect("item");
    assert_eq!(lead_time(h.last_supply("SKU-O").await), Some(9));
    // A preferred drop-ship offer still gets the SKU's stock demand.
    h.drop_ship_item(&fast, "SKU-O", true, true)
        .await
        .expect("item");
    assert_eq!(lead_time(h.last_supply("SKU-O").await), Some(2));

    // A refused offer reports nothing.
    let sent = h.supplies().await.len();
    assert!(h.item(&slow, "SKU-O", -1, 1, 1, true).await.is_err());
    assert_eq!(h.supplies().await.len(), sent);
    assert_eq!(
        h.supplies_of("SKU-O").await.len(),
        4,
        "one snapshot per offer change"
    );
}

#[tokio::test]
async fn a_sku_nobody_offers_has_no_lead_time() {
    let h = harness().await;
    let acme = h.supplier("Acme", 3).await;
    h.item(&acme, "SKU-N", 1, 1, 1, true).await.expect("item");
    let po = submitted(&h, "SKU-N", 2).await;
    // The offer disappears (no RPC withdraws one; as if it were removed).
    supplier_item::Entity::delete_many()
        .filter(supplier_item::Column::Sku.eq("SKU-N"))
        .exec(&h.db)
        .await
        .expect("remove offer");
    let promised = now_ms() + DAY_MS;
    h.acknowledge(&po.id, promised).await.expect("acknowledge");
    let supply = h.last_supply("SKU-N").await;
    assert_eq!(supply.lead_time_days, None, "no offer: no lead time");
    assert_eq!(
        lots(&supply),
        [(po.id.clone(), 2, promised, true)],
        "its open order is still on its way"
    );
}

#[tokio::test]
async fn revisions_rise_by_one_per_report_of_each_sku() {
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    for sku in ["SKU-A", "SKU-B"] {
        h.item(&acme, sku, 1, 1, 1, true).await.expect("item");
    }
    let a = h.demand("SKU-A", 4).await;
    h.demand("SKU-B", 4).await;
    let po = a.purchase_order_id;
    h.submit(&po).await.expect("submit");
    h.acknowledge(&po, now_ms() + DAY_MS).await.expect("ack");
    h.receive(&po, &[("SKU-A", 1)]).await.expect("receive");
    h.item(&acme, "SKU-B", 2, 1, 1, true).await.expect("item");
    h.receive(&po, &[("SKU-A", 3), ("SKU-B", 4)])
        .await
        .expect("receive");

    let revisions = |supplies: Vec<SetInboundSupplyRequest>| -> Vec<i64> {
        supplies.into_iter().map(|s| s.revision).collect()
    };
    // Offer, submit, acknowledge, two receipts; SKU-B's second offer
    // instead of the first receipt.
    assert_eq!(revisions(h.supplies_of("SKU-A").await), [1, 2, 3, 4, 5]);
    assert_eq!(revisions(h.supplies_of("SKU-B").await), [1, 2, 3, 4, 5]);
    let supplies = h.supplies().await;
    let skus: Vec<&str> = supplies.iter().map(|s| s.sku.as_str()).collect();
    assert_eq!(
        skus,
        [
            "SKU-A", "SKU-B", // offers
            "SKU-A", "SKU-B", // submission
            "SKU-A", "SKU-B", // acknowledgement
            "SKU-A", // first receipt
            "SKU-B", // offer change
            "SKU-A", "SKU-B", // last receipt
        ]
    );
}

#[tokio::test]
async fn a_drop_ship_purchase_order_is_never_a_lot() {
    let h = harness().await;
    let direct = h.supplier("Direct", 2).await;
    h.drop_ship_item(&direct, "SKU-D", true, true)
        .await
        .expect("drop-ship offer");
    // Stock demand of the same SKU goes on a stock order: that one is.
    let stock = submitted(&h, "SKU-D", 1).await;
    assert!(!stock.drop_ship);
    let before = h.supplies().await.len();

    let shipped = h.drop_ship_demand(&new_id_string(), "SKU-D", 3).await;
    let po = shipped.purchase_order_id.clone();
    assert!(h.po(&po).await.drop_ship);
    h.submit(&po).await.expect("submit");
    h.acknowledge(&po, now_ms() - DAY_MS).await.expect("ack");
    assert_eq!(
        h.api.catch_delays(now_ms()).await.delayed,
        1,
        "the drop-ship order is late"
    );
    h.confirm(&po, "1Z").await.expect("drop shipped");
    assert_eq!(
        h.supplies().await.len(),
        before,
        "nothing of a drop-ship order is reported"
    );
    let stock_only = [(
        stock.id.clone(),
        line(&stock, "SKU-D").ordered_quantity,
        submitted_at(&stock) + 2 * DAY_MS,
        false,
    )];
    assert_eq!(lots(&h.last_supply("SKU-D").await), stock_only);
}

/// Acknowledges `id` on `api` with `promised`.
async fn acknowledge_on(
    api: procurement::ProcurementApi,
    id: String,
    promised: i64,
) -> ServiceResult<pb::AcknowledgePurchaseOrderResponse> {
    call(
        api.acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest {
            request_id: new_id_string(),
            purchase_order_id: id,
            promised_time: Some(to_timestamp(promised)),
        }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reports_of_a_sku_get_distinct_revisions_the_higher_the_later_state() {
    if backorder_platform::testing::postgres_server().is_none() {
        eprintln!(
            "skipped: set BACKORDER_TEST_DATABASE_URL to a PostgreSQL server to race two units"
        );
        return;
    }
    let h = harness().await;
    let acme = h.supplier("Acme", 4).await;
    for round in 0..30 {
        let sku = format!("SKU-{round}");
        h.item(&acme, &sku, 1, 1, 1, true).await.expect("item");
        let first = submitted(&h, &sku, 1).await;
        let second = submitted(&h, &sku, 2).await;
        let (one, two) = (now_ms() + DAY_MS, now_ms() + 2 * DAY_MS);
        let before = h.supplies().await.len();

        let barrier = Arc::new(Barrier::new(2));
        let (start_a, start_b) = (barrier.clone(), barrier);
        let (api_a, api_b) = (h.api.clone(), h.replica());
        let (id_a, id_b) = (first.id.clone(), second.id.clone());
        let a = tokio::spawn(async move {
            start_a.wait().await;
            acknowledge_on(api_a, id_a, one).await
        });
        let b = tokio::spawn(async move {
            start_b.wait().await;
            acknowledge_on(api_b, id_b, two).await
        });
        call(a).await.expect("task").expect("first acknowledged");
        call(b).await.expect("task").expect("second acknowledged");

        let mut sent = supplies_since(&h, before).await;
        assert_eq!(sent.len(), 2, "round {round}: {sent:?}");
        sent.sort_by_key(|s| s.revision);
        assert!(sent.iter().all(|s| s.sku == sku));
        assert!(
            sent[0].revision < sent[1].revision,
            "round {round}: distinct revisions {sent:?}"
        );
        let mut both = vec![
            (first.id.clone(), 1, one, true),
            (second.id.clone(), 2, two, true),
        ];
        both.sort();
        assert_eq!(
            lots(&sent[1]),
            both,
            "round {round}: the higher revision shows both acknowledgements"
        );
        let confirmed = sent[0].lots.iter().filter(|l| l.confirmed).count();
        assert_eq!(confirmed, 1, "round {round}: the lower one, its own only");
    }
}
