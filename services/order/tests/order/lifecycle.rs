//! One backordered line from sale to delivery through the handlers: every
//! move, the notices in order, the stock issued in inventory, repeats
//! answered from the stored answer, and the order's own timeline.

use backorder_proto::Rpc;
use backorder_proto::inventory::v1::{IssueLine, IssueStockRequest};
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as pb;
use prost::Message;
use tonic::Code;

use crate::fake_peers::backorder_all;
use crate::helpers::{harness, rid};

const DAY_SECONDS: i64 = 86_400;

fn eta(day: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: 1_900_000_000 + day * DAY_SECONDS,
        nanos: 0,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backordered_line_goes_from_sale_to_delivery() {
    let h = harness("lifecycle").await;
    h.fake
        .script(|req, _| async move { Ok(backorder_all(&req)) });
    let customer = rid();
    let order = h.place(&customer, &[("PEN-1", 3)]).await;
    assert_eq!(order.status, pb::OrderStatus::Backordered as i32);
    let line_id = order.lines[0].id.clone();
    let po = rid();

    for (day, hour) in [(1, 0), (3, 0), (3, 5)] {
        let mut when = eta(day);
        if let Some(ts) = when.as_mut() {
            ts.seconds += hour * 3600;
        }
        h.api
            .update_line_eta(pb::UpdateLineEtaRequest {
                request_id: rid(),
                order_id: order.id.clone(),
                line_id: line_id.clone(),
                eta: when,
                purchase_order_id: po.clone(),
                eta_latest: None,
            })
            .await
            .expect("eta");
    }
    let allocated = pb::MarkLineAllocatedRequest {
        request_id: rid(),
        order_id: order.id.clone(),
        line_id: line_id.clone(),
        ..Default::default()
    };
    let line = h
        .api
        .mark_line_allocated(allocated.clone())
        .await
        .expect("allocated")
        .line
        .expect("line");
    assert_eq!(line.status, pb::LineStatus::Ready as i32);
    let again = h.api.mark_line_allocated(allocated).await.expect("repeat");
    assert_eq!(again.line, Some(line), "a repeat gets the stored answer");

    let ship = pb::CreateShipmentRequest {
        request_id: rid(),
        order_id: order.id.clone(),
        line_ids: vec![],
        tracking_number: " TRACK-1 ".into(),
        carrier: "DHL".into(),
        ..Default::default()
    };
    let shipped = h.api.create_shipment(ship.clone()).await.expect("shipped");
    let shipment = shipped.shipment.clone().expect("shipment");
    assert_eq!(shipment.tracking_number, "TRACK-1");
    assert_eq!(shipment.line_ids, std::slice::from_ref(&line_id));
    assert_eq!(
        h.api.create_shipment(ship).await.expect("repeat"),
        shipped,
        "a repeated shipment is the same shipment"
    );
    let delivered = h
        .api
        .mark_delivered(pb::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: shipment.id.clone(),
        })
        .await
        .expect("delivered")
        .order
        .expect("order");
    assert_eq!(delivered.status, pb::OrderStatus::Delivered as i32);
    let twice = h
        .api
        .mark_delivered(pb::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: shipment.id.clone(),
        })
        .await
        .expect_err("delivered once");
    assert_eq!(twice.code(), Code::FailedPrecondition);

    let events: Vec<i32> = h.notices().await.iter().map(|n| n.event).collect();
    let expected: Vec<i32> = [
        Ev::OrderConfirmed,
        Ev::Backordered,
        Ev::EtaKnown,
        // Day 1 slipped to day 3: told as a delay the customer may refuse.
        Ev::DelayOffered,
        Ev::Ready,
        Ev::Shipped,
        Ev::Delivered,
    ]
    .iter()
    .map(|e| *e as i32)
    .collect();
    assert_eq!(events, expected, "each notice once, in order");
    let issues: Vec<IssueStockRequest> = h
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.method == IssueStockRequest::PATH)
        .map(|m| IssueStockRequest::decode(m.payload.as_slice()).expect("decode"))
        .collect();
    assert_eq!(issues.len(), 1);
    assert_eq!(
        issues[0].lines,
        [IssueLine {
            line_id: line_id.clone(),
            quantity: 3
        }],
        "the units shipped, by line"
    );
    assert_eq!(issues[0].shipment_id, shipment.id);

    let timeline = h
        .api
        .get_order_timeline(pb::GetOrderTimelineRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("timeline");
    let own: Vec<&str> = timeline
        .events
        .iter()
        .filter(|e| e.service == "order")
        .map(|e| e.event.as_str())
        .collect();
    assert_eq!(
        own,
        [
            "line_backordered",
            "order_placed",
            "eta_known",
            "eta_changed",
            "delay_offered",
            "eta_confirmed",
            "line_allocated",
            "line_shipped",
            "shipment_delivered"
        ]
    );
    let eta_known = timeline
        .events
        .iter()
        .find(|e| e.event == "eta_known")
        .expect("eta event");
    assert_eq!(
        eta_known.detail,
        format!("expected 2030-03-18 (purchase order {po})")
    );
    assert_eq!(
        timeline.unavailable_services,
        ["procurement"],
        "a peer that cannot answer is named, the rest still shown"
    );
}
