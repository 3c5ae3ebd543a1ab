//! Supplier schedules: SetSupplierSchedule, and the worker's pass that
//! submits a supplier's drafts once they are old enough (once, however many
//! replicas race) and leaves young, empty or unscheduled ones alone.

use std::sync::Arc;

use backorder_platform::ids::new_id_string;
use backorder_platform::time::{from_timestamp, now_ms};
use backorder_proto::procurement::v1 as pb;
use procurement::store::purchase_order;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::Barrier;
use tonic::Code;

use crate::helpers::*;

const HOUR_MS: i64 = 3_600_000;

/// Makes purchase order `id` look created `hours` ago.
async fn age(h: &Harness, id: &str, hours: i64) {
    purchase_order::Entity::update_many()
        .col_expr(
            purchase_order::Column::CreatedAt,
            Expr::value(now_ms() - hours * HOUR_MS),
        )
        .filter(purchase_order::Column::Id.eq(id))
        .exec(&h.db)
        .await
        .expect("aged");
}

/// A supplier on a schedule of `hours`, with a draft carrying a demand of
/// `units` of its own SKU; returns the supplier, the draft and the demand.
async fn scheduled_draft(
    h: &Harness,
    name: &str,
    hours: i32,
    units: i64,
) -> (String, String, String) {
    let supplier = h.supplier(name, 3).await;
    let sku = format!("SKU-{name}");
    h.item(&supplier, &sku, 10, 1, 1, true).await.expect("item");
    if hours > 0 {
        h.schedule(&supplier, hours).await.expect("schedule");
    }
    let d = h.demand(&sku, units).await;
    (supplier, d.purchase_order_id, d.id)
}

#[tokio::test]
async fn a_schedule_is_stored_shown_and_checked() {
    let h = harness().await;
    let acme = h.supplier("Acme", 2).await;
    h.item(&acme, "SKU-1", 1, 1, 1, true).await.expect("item");
    let set = h.schedule(&acme, 24).await.expect("schedule");
    let supplier = set.supplier.expect("supplier");
    assert_eq!(supplier.auto_submit_hours, 24);
    assert_eq!(supplier.items.len(), 1, "with its offers");
    let found = call(h.api.get_supplier(pb::GetSupplierRequest {
        supplier_id: acme.clone(),
    }))
    .await
    .expect("supplier")
    .supplier
    .expect("supplier");
    assert_eq!(found.auto_submit_hours, 24);
    let fresh = h.supplier("Beta", 1).await;
    let fresh = call(
        h.api
            .get_supplier(pb::GetSupplierRequest { supplier_id: fresh }),
    )
    .await
    .expect("supplier")
    .supplier
    .expect("supplier");
    assert_eq!(fresh.auto_submit_hours, 0, "operators submit by default");
    let off = h.schedule(&acme, 0).await.expect("off");
    assert_eq!(off.supplier.expect("supplier").auto_submit_hours, 0);

    assert_eq!(code(h.schedule(&new_id_string(), 5).await), Code::NotFound);
    assert_eq!(
        invalid_fields(h.schedule("nope", 721).await),
        ["supplier_id", "auto_submit_hours"]
    );
    assert_eq!(
        invalid_fields(h.schedule(&acme, -1).await),
        ["auto_submit_hours"]
    );
    let request = pb::SetSupplierScheduleRequest {
        request_id: new_id_string(),
        supplier_id: acme.clone(),
        auto_submit_hours: 8,
    };
    call(h.api.set_supplier_schedule(request.clone()))
        .await
        .expect("set");
    let reused = call(h.api.set_supplier_schedule(pb::SetSupplierScheduleRequest {
        auto_submit_hours: 9,
        ..request
    }))
    .await;
    assert_eq!(code(reused), Code::AlreadyExists);
}

#[tokio::test]
async fn a_draft_old_enough_is_submitted_once_and_others_wait() {
    let h = harness().await;
    let (acme, old, _) = scheduled_draft(&h, "Acme", 2, 3).await;
    let (_, young, _) = scheduled_draft(&h, "Beta", 2, 3).await;
    let (_, unscheduled, _) = scheduled_draft(&h, "Gamma", 0, 3).await;
    let (_, emptied, cancelled) = scheduled_draft(&h, "Delta", 1, 3).await;
    for id in [&old, &unscheduled, &emptied] {
        age(&h, id, 3).await;
    }
    // Delta's only line was cancelled: its draft orders nothing.
    h.release(&cancelled).await.expect("release");
    assert_eq!(line(&h.po(&emptied).await, "SKU-Delta").ordered_quantity, 0);

    let before = now_ms();
    let pass = h.api.submit_due_drafts(now_ms()).await;
    assert_eq!((pass.submitted, pass.failed), (1, 0));
    let submitted = h.po(&old).await;
    assert_eq!(submitted.status, SUBMITTED);
    let at = from_timestamp(submitted.submit_time.as_ref().expect("submit time"));
    assert!(at >= before, "submitted now");
    assert_eq!(h.po(&young).await.status, DRAFT, "too young");
    assert_eq!(h.po(&unscheduled).await.status, DRAFT, "no schedule");
    assert_eq!(h.po(&emptied).await.status, DRAFT, "orders nothing");
    assert_eq!(h.api.submit_due_drafts(now_ms()).await.submitted, 0, "once");

    // Later demand opens a new draft, which waits its own two hours.
    let later = h.demand("SKU-Acme", 1).await;
    assert_ne!(later.purchase_order_id, old);
    let pass = h.api.submit_due_drafts(now_ms() + 2 * HOUR_MS).await;
    assert_eq!(pass.submitted, 2, "Beta's draft and Acme's new one");
    assert_eq!(h.po(&young).await.status, SUBMITTED);
    assert!(h.purchase_orders(&acme, DRAFT).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_submitters_submit_a_due_draft_once() {
    let h = harness().await;
    let rounds = if h.database.is_postgres() { 10 } else { 2 };
    for round in 0..rounds {
        let (_, draft, _) = scheduled_draft(&h, &format!("S{round}"), 1, 2).await;
        age(&h, &draft, 2).await;
        let (a, b) = (h.replica(), h.replica());
        let barrier = Arc::new(Barrier::new(2));
        let (start_a, start_b) = (barrier.clone(), barrier);
        let now = now_ms();
        let first = tokio::spawn(async move {
            start_a.wait().await;
            a.submit_due_drafts(now).await
        });
        let second = tokio::spawn(async move {
            start_b.wait().await;
            b.submit_due_drafts(now).await
        });
        let first = call(first).await.expect("first replica");
        let second = call(second).await.expect("second replica");
        assert_eq!(
            first.submitted + second.submitted,
            1,
            "round {round}: {first:?} {second:?}"
        );
        assert_eq!(first.failed + second.failed, 0, "round {round}");
        assert_eq!(h.po(&draft).await.status, SUBMITTED);
    }
}
