//! Promises: a waiting line is promised the inbound units of open purchase
//! orders in queue order, else the supplier's lead time; a newer snapshot of
//! a SKU's inbound supply re-promises the lines it reaches and tells the
//! order service; a product capped by inbound supply refuses what no
//! inbound unit covers, naming the earliest date it could promise.

use backorder_platform::time::{from_timestamp, now_ms, to_timestamp};
use backorder_proto::Rpc;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::order::v1::UpdateLineEtaRequest;
use prost::Message;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::*;

const DAY_MS: i64 = 86_400_000;

fn lot(po: &str, quantity: i64, in_days: i64, confirmed: bool) -> pb::InboundLot {
    pb::InboundLot {
        purchase_order_id: po.to_owned(),
        quantity,
        expected_time: Some(to_timestamp(now_ms() + in_days * DAY_MS)),
        confirmed,
    }
}

async fn supply(
    client: &mut Client,
    sku: &str,
    revision: i64,
    lots: Vec<pb::InboundLot>,
    lead_time_days: Option<i32>,
) -> pb::SetInboundSupplyResponse {
    client
        .set_inbound_supply(pb::SetInboundSupplyRequest {
            request_id: rid(),
            sku: sku.to_owned(),
            revision,
            lots,
            lead_time_days,
        })
        .await
        .expect("supply")
        .into_inner()
}

/// Days from now to a promised date, rounded.
fn days_to(ts: &Option<prost_types::Timestamp>) -> i64 {
    let at = from_timestamp(ts.as_ref().expect("a date"));
    (at - now_ms() + DAY_MS / 2).div_euclid(DAY_MS)
}

async fn reserve_waiting(client: &mut Client, sku: &str, quantity: i64) -> pb::LineReservation {
    client
        .reserve_order(order(&[(sku, quantity)]))
        .await
        .expect("reserved")
        .into_inner()
        .lines
        .remove(0)
}

/// The order service's news, in the order it was written (message ids are
/// UUID v7).
async fn etas(service: &Inventory) -> Vec<UpdateLineEtaRequest> {
    let mut outbox = service.outbox().await;
    outbox.sort_by(|a, b| a.id.cmp(&b.id));
    outbox
        .into_iter()
        .filter(|m| m.method == UpdateLineEtaRequest::PATH)
        .map(|m| {
            assert_eq!(m.destination, "order");
            let message = UpdateLineEtaRequest::decode(m.payload.as_slice()).expect("decode");
            assert_eq!(message.request_id, m.id, "request_id is the message id");
            message
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_are_promised_inbound_units_in_queue_order_then_the_lead_time() {
    let service = Inventory::start("inv_promises_queue").await;
    let mut client = service.client();
    product(&mut client, "ATP-1", pb::BackorderPolicy::Allow, 1).await;
    supply(
        &mut client,
        "ATP-1",
        1,
        vec![lot("po-late", 4, 9, false), lot("po-soon", 3, 4, true)],
        Some(20),
    )
    .await;

    // 1 in stock; 3 wait: units 1-3 of the queue, the 4-day lot (confirmed).
    let first = reserve_waiting(&mut client, "ATP-1", 4).await;
    assert_eq!(
        (first.reserved_quantity, first.backordered_quantity),
        (1, 3)
    );
    assert_eq!(days_to(&first.promised_from), 4);
    assert_eq!(first.promised_from, first.promised_to, "a confirmed day");
    // Units 4-5: the 9-day lot, an estimate, so a range.
    let second = reserve_waiting(&mut client, "ATP-1", 2).await;
    assert_eq!(days_to(&second.promised_from), 9);
    assert!(days_to(&second.promised_to) > 9, "{second:?}");
    // Units 6-8: past the 7 inbound units, the lead time from today.
    let third = reserve_waiting(&mut client, "ATP-1", 3).await;
    assert_eq!(days_to(&third.promised_from), 20);
    assert_eq!(days_to(&third.promised_to), 25);
    // Nothing waits: no promise.
    product(&mut client, "ATP-2", pb::BackorderPolicy::Allow, 5).await;
    let stocked = reserve_waiting(&mut client, "ATP-2", 5).await;
    assert_eq!(stocked.promised_from, None);

    // The queue shows the promises too.
    let queue = client
        .list_reservations(pb::ListReservationsRequest {
            sku: "ATP-1".into(),
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_inner()
        .reservations;
    assert_eq!(queue.len(), 3);
    assert_eq!(queue[1].promised_from, second.promised_from);
    // Promises made at the sale are in the reply, not sent as news.
    assert!(etas(&service).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_snapshot_repromises_the_lines_it_reaches_and_tells_the_order_service() {
    let service = Inventory::start("inv_promises_repromise").await;
    let mut client = service.client();
    product(&mut client, "ATP-3", pb::BackorderPolicy::Allow, 0).await;
    supply(
        &mut client,
        "ATP-3",
        1,
        vec![lot("po-a", 4, 5, true)],
        Some(30),
    )
    .await;
    let head = reserve_waiting(&mut client, "ATP-3", 2).await;
    let middle = reserve_waiting(&mut client, "ATP-3", 2).await;
    let beyond = reserve_waiting(&mut client, "ATP-3", 3).await;
    assert_eq!(days_to(&middle.promised_from), 5);
    assert_eq!(days_to(&beyond.promised_from), 30);

    // The supplier delays the purchase order: both lines it covered move;
    // the line beyond it keeps its lead-time promise.
    let moved = supply(
        &mut client,
        "ATP-3",
        2,
        vec![lot("po-a", 4, 12, false)],
        Some(30),
    )
    .await;
    assert_eq!((moved.applied, moved.repromised_lines), (true, 2));
    let news = etas(&service).await;
    let lines: Vec<&str> = news.iter().map(|m| m.line_id.as_str()).collect();
    assert_eq!(lines, [head.line_id.as_str(), middle.line_id.as_str()]);
    assert_eq!(days_to(&news[0].eta), 12);
    assert!(days_to(&news[0].eta_latest) > 12, "an estimate is a range");
    assert_eq!(news[0].purchase_order_id, "po-a");

    // An older snapshot arriving late changes nothing.
    let stale = supply(
        &mut client,
        "ATP-3",
        1,
        vec![lot("po-a", 4, 1, true)],
        Some(30),
    )
    .await;
    assert_eq!((stale.applied, stale.repromised_lines), (false, 0));
    // The same dates again: applied, nobody told.
    let same = supply(
        &mut client,
        "ATP-3",
        3,
        vec![lot("po-a", 4, 12, false)],
        Some(30),
    )
    .await;
    assert_eq!((same.applied, same.repromised_lines), (true, 0));
    assert_eq!(etas(&service).await.len(), 2);

    // The purchase order is cancelled: the lines it reached fall back to
    // the lead time.
    let cancelled = supply(&mut client, "ATP-3", 4, vec![], Some(30)).await;
    assert_eq!(cancelled.repromised_lines, 2);
    let news = etas(&service).await;
    assert_eq!(days_to(&news[3].eta), 30);
    assert_eq!(news[3].purchase_order_id, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_leaving_the_queue_moves_the_lines_behind_it_forward() {
    let service = Inventory::start("inv_promises_release").await;
    let mut client = service.client();
    product(&mut client, "ATP-4", pb::BackorderPolicy::Allow, 0).await;
    supply(
        &mut client,
        "ATP-4",
        1,
        vec![lot("po-1", 2, 3, true), lot("po-2", 2, 8, true)],
        Some(40),
    )
    .await;
    let first_order = order(&[("ATP-4", 2)]);
    client
        .reserve_order(first_order.clone())
        .await
        .expect("first");
    let second = reserve_waiting(&mut client, "ATP-4", 2).await;
    assert_eq!(days_to(&second.promised_from), 8);

    client
        .release_reservation(pb::ReleaseReservationRequest {
            request_id: rid(),
            order_id: first_order.order_id.clone(),
            line_id: first_order.lines[0].line_id.clone(),
        })
        .await
        .expect("released");
    let news = etas(&service).await;
    assert_eq!(news.len(), 1);
    assert_eq!(news[0].line_id, second.line_id);
    assert_eq!(days_to(&news[0].eta), 3, "it takes the earlier lot now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cap_by_inbound_supply_refuses_what_no_inbound_unit_covers_with_the_earliest_date() {
    let service = Inventory::start("inv_promises_cap").await;
    let mut client = service.client();
    client
        .create_product(pb::CreateProductRequest {
            request_id: rid(),
            sku: "CAP-IN".into(),
            name: "Capped by inbound".into(),
            backorder_policy: pb::BackorderPolicy::Inbound as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 1,
        })
        .await
        .expect("product");
    // Nothing inbound: only the margin (1) may wait.
    reserve_waiting(&mut client, "CAP-IN", 1).await;
    supply(
        &mut client,
        "CAP-IN",
        1,
        vec![lot("po", 3, 6, true)],
        Some(15),
    )
    .await;
    // 3 inbound + 1 margin = 4 may wait; 1 does, so 3 more fit.
    reserve_waiting(&mut client, "CAP-IN", 3).await;
    let refused = client
        .reserve_order(order(&[("CAP-IN", 1)]))
        .await
        .expect_err("beyond inbound supply");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let details = refused.get_error_details();
    let info = details.error_info().expect("error info");
    assert_eq!(info.reason, "STOCKOUT");
    // The 5th waiting unit is past the lot: the lead time from today.
    let expected = chrono::DateTime::from_timestamp_millis(now_ms() + 15 * DAY_MS)
        .expect("date")
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        info.metadata.get("earliest_promise_date"),
        Some(&expected),
        "{}",
        refused.message()
    );
    let violation = &details
        .precondition_failure()
        .expect("violations")
        .violations[0];
    assert_eq!(violation.r#type, "CAP_REACHED");
    assert!(violation.description.contains(&expected), "{violation:?}");
    assert_eq!(stock(&mut client, "CAP-IN").await.3, 4, "nothing written");

    // The product shows its inbound units and margin.
    let shown = client
        .get_product(pb::GetProductRequest {
            sku: "CAP-IN".into(),
        })
        .await
        .expect("product")
        .into_inner()
        .product
        .expect("product");
    assert_eq!((shown.inbound_quantity, shown.inbound_margin), (3, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_snapshots_and_margins_are_refused_naming_each_field() {
    let service = Inventory::start("inv_promises_bad").await;
    let mut client = service.client();
    let result = client
        .set_inbound_supply(pb::SetInboundSupplyRequest {
            request_id: rid(),
            sku: "NOPE".into(),
            revision: 1,
            lots: vec![],
            lead_time_days: Some(3),
        })
        .await;
    assert_eq!(result.expect_err("unknown").code(), Code::NotFound);
    let margin_elsewhere = client
        .create_product(pb::CreateProductRequest {
            request_id: rid(),
            sku: "M-1".into(),
            name: "m".into(),
            backorder_policy: pb::BackorderPolicy::Allow as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 2,
        })
        .await;
    assert_invalid(margin_elsewhere, &["inbound_margin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_waiting_before_any_supplier_get_a_date_with_the_first_lead_time() {
    let service = Inventory::start("inv_promises_first_lead").await;
    let mut client = service.client();
    product(&mut client, "ATP-5", pb::BackorderPolicy::Allow, 0).await;
    let early = reserve_waiting(&mut client, "ATP-5", 2).await;
    assert_eq!(early.promised_from, None, "no supplier: no date");
    let first = supply(&mut client, "ATP-5", 1, vec![], Some(6)).await;
    assert_eq!(first.repromised_lines, 1);
    let news = etas(&service).await;
    assert_eq!(news[0].line_id, early.line_id);
    assert_eq!(days_to(&news[0].eta), 6);
}
