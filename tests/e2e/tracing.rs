//! One trace from sale to shipment, checked on what was really exported.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::LineStatus;
use backorder_tests::otlp::{CollectedSpan, OtlpReceiver, hex};
use backorder_tests::{SERVICES, Suite, SuiteOptions, eventually, rid};

use crate::fixtures::*;

const SPAN_KIND_SERVER: i32 = 2;
const SPAN_KIND_CLIENT: i32 = 3;

fn named<'a>(spans: &'a [CollectedSpan], service: &str, name: &str) -> Vec<&'a CollectedSpan> {
    spans
        .iter()
        .filter(|s| s.service == service && s.span.name == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backorder_is_one_trace_from_sale_to_delivery() {
    let receiver = OtlpReceiver::start().await;
    // Processes: each binary sets up its own telemetry, as in production.
    let mut suite = Suite::start_with(SuiteOptions::processes(vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint()),
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
        // Quiet logs must not silence traces.
        ("RUST_LOG".into(), "warn".into()),
    ]))
    .await;
    product(&suite, "TRACE-1", inv::BackorderPolicy::Allow, 0).await;
    let supplier_id = supplier(&suite, "TRACE-1", 5, 1, 1).await;
    // Names no span or log line has any other reason to contain.
    let ann = customer(&suite, "Annwynquill").await;
    let ben = customer(&suite, "Benedictmarsh").await;

    let first = place(&suite, &ann, &[("TRACE-1", 3)]).await;
    let second = place(&suite, &ben, &[("TRACE-1", 2)]).await;
    let in_two_days = prost_types::Timestamp {
        seconds: prost_types::Timestamp::from(std::time::SystemTime::now()).seconds + 2 * 86_400,
        nanos: 0,
    };
    buy_through_draft(
        &suite,
        &supplier_id,
        "TRACE-1",
        5,
        in_two_days,
        &[&first.id, &second.id],
    )
    .await;
    wait_line_statuses(&suite, &first.id, &[LineStatus::Ready]).await;
    wait_line_statuses(&suite, &second.id, &[LineStatus::Ready]).await;
    let mut orders = suite.order().await;
    let shipment = orders
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: first.id.clone(),
            tracking_number: "TRACE-TRACK".into(),
            carrier: "DHL".into(),
            ..Default::default()
        })
        .await
        .expect("ship")
        .into_inner()
        .shipment
        .expect("shipment");
    orders
        .mark_delivered(ord::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: shipment.id,
        })
        .await
        .expect("deliver");
    wait_notifications(
        &suite,
        &ann,
        &[
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::EtaChanged,
            Ev::Ready,
            Ev::Shipped,
            Ev::Delivered,
        ],
    )
    .await;
    // A refused order: the order service's call to inventory fails.
    product(&suite, "TRACE-DENY", inv::BackorderPolicy::Deny, 0).await;
    let refused = suite
        .order()
        .await
        .place_order(order_request(&ben, &[("TRACE-DENY", 1)]))
        .await
        .expect_err("stockout");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    let sale_trace = get_order(&suite, &first.id).await.trace_id;
    let other_trace = get_order(&suite, &second.id).await.trace_id;
    assert_eq!(sale_trace.len(), 32, "the order knows its trace id");
    for service in SERVICES {
        suite.stop(service).await; // flushes spans
    }
    let spans = eventually("spans of every service", WAIT, || async {
        let spans = receiver.spans();
        let services: BTreeSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
        (services.len() == 4).then_some(spans)
    })
    .await;

    let trace: Vec<CollectedSpan> = spans
        .iter()
        .filter(|s| s.trace_id() == sale_trace)
        .cloned()
        .collect();
    let sale = named(
        &trace,
        "order",
        "backorder.order.v1.OrderService/PlaceOrder",
    );
    assert_eq!(sale.len(), 1, "the sale's server span");
    assert_eq!(sale[0].span.kind, SPAN_KIND_SERVER);
    assert_eq!(sale[0].attribute("rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        sale[0].attribute("rpc.service").as_deref(),
        Some("backorder.order.v1.OrderService")
    );
    assert_eq!(
        sale[0].attribute("rpc.method").as_deref(),
        Some("PlaceOrder")
    );
    assert_eq!(
        sale[0].attribute("rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    assert!(
        !named(
            &trace,
            "inventory",
            "backorder.inventory.v1.InventoryService/ReserveOrder"
        )
        .is_empty(),
        "reservation"
    );
    assert!(
        !named(
            &trace,
            "procurement",
            "backorder.procurement.v1.ProcurementService/AddDemand"
        )
        .is_empty(),
        "PO demand"
    );
    let procurement_spans: BTreeSet<&str> = trace
        .iter()
        .filter(|s| s.service == "procurement")
        .map(|s| s.span.name.as_str())
        .collect();
    assert!(
        procurement_spans.len() >= 2,
        "PO work joins the sale's trace: {procurement_spans:?}"
    );
    assert!(
        !named(&trace, "inventory", "allocate stock to backordered line").is_empty(),
        "allocation on receipt"
    );
    assert!(
        !named(&trace, "order", "ship order lines").is_empty(),
        "shipment"
    );
    assert!(
        !named(&trace, "order", "deliver shipment").is_empty(),
        "delivery"
    );
    let notifications = named(
        &trace,
        "notification",
        "backorder.notification.v1.NotificationService/Notify",
    );
    assert!(
        notifications.len() >= 6,
        "every notification of the line: {}",
        notifications.len()
    );
    assert!(
        trace
            .iter()
            .any(|s| s.service == "inventory" && s.attribute("db.operation").is_some()),
        "database work shows as child spans"
    );

    // Parent links are intact: every parent is a span of the same trace.
    let ids: BTreeSet<String> = trace.iter().map(CollectedSpan::span_id).collect();
    for span in &trace {
        let parent = span.parent_span_id();
        assert!(
            parent.is_empty() || ids.contains(&parent),
            "orphan span {} ({})",
            span.span.name,
            span.service
        );
    }
    let roots: Vec<&CollectedSpan> = trace
        .iter()
        .filter(|s| s.parent_span_id().is_empty())
        .collect();
    assert_eq!(
        roots.len(),
        1,
        "one root: {:?}",
        roots.iter().map(|s| &s.span.name).collect::<Vec<_>>()
    );

    // The receipt has its own span, linked to every backorder it filled.
    let receipts = named(
        &spans,
        "inventory",
        "backorder.inventory.v1.InventoryService/ReceiveStock",
    );
    assert_eq!(receipts.len(), 1);
    let linked: BTreeSet<String> = receipts[0]
        .span
        .links
        .iter()
        .map(|l| hex(&l.trace_id))
        .collect();
    assert_ne!(receipts[0].trace_id(), sale_trace);
    assert!(
        linked.contains(&sale_trace) && linked.contains(&other_trace),
        "links: {linked:?}"
    );

    // A failed call marks its client span as an error (status code 2), with
    // the gRPC code recorded; the server span of a refusal (a client error
    // by the RPC conventions) is not an error.
    let failed_calls: Vec<&CollectedSpan> = spans
        .iter()
        .filter(|s| {
            s.service == "order"
                && s.span.kind == SPAN_KIND_CLIENT
                && s.span.name == "backorder.inventory.v1.InventoryService/ReserveOrder"
                && s.attribute("rpc.grpc.status_code").as_deref() == Some("9")
        })
        .collect();
    assert_eq!(
        failed_calls.len(),
        1,
        "the refused reservation's client span"
    );
    assert_eq!(
        failed_calls[0].span.status.as_ref().map(|st| st.code),
        Some(2)
    );
    let refused_server: Vec<&CollectedSpan> = spans
        .iter()
        .filter(|s| {
            s.service == "inventory"
                && s.span.kind == SPAN_KIND_SERVER
                && s.attribute("rpc.grpc.status_code").as_deref() == Some("9")
        })
        .collect();
    assert_eq!(refused_server.len(), 1);
    assert_ne!(
        refused_server[0].span.status.as_ref().map(|st| st.code),
        Some(2)
    );

    // No span carries a customer's name, e-mail or phone number.
    let mut leaks: HashMap<String, String> = HashMap::new();
    for span in &spans {
        for text in span.all_text() {
            let lower = text.to_lowercase();
            if text.contains("@example.com")
                || text.contains("+1555")
                || lower.contains("annwynquill")
                || lower.contains("benedictmarsh")
            {
                leaks.insert(span.span.name.clone(), text);
            }
        }
    }
    assert!(leaks.is_empty(), "personal data in spans: {leaks:?}");
}

/// A drop-shipped line stays in its sale's trace: the demand in
/// procurement and the supplier's shipment recorded in order are spans of
/// the sale's trace, and no span carries the customer's address.
#[tokio::test(flavor = "multi_thread")]
async fn a_drop_shipment_is_recorded_in_the_sales_trace() {
    use backorder_proto::procurement::v1 as proc_;

    let receiver = OtlpReceiver::start().await;
    let mut suite = Suite::start_with(SuiteOptions::processes(vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint()),
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
    ]))
    .await;
    product(&suite, "TRACE-DS", inv::BackorderPolicy::Allow, 0).await;
    let mut procurement = suite.procurement().await;
    let supplier = procurement
        .create_supplier(proc_::CreateSupplierRequest {
            request_id: rid(),
            name: "Direct".into(),
            lead_time_days: 2,
        })
        .await
        .expect("supplier")
        .into_inner()
        .supplier
        .expect("supplier");
    procurement
        .set_supplier_item(proc_::SetSupplierItemRequest {
            request_id: rid(),
            supplier_id: supplier.id.clone(),
            sku: "TRACE-DS".into(),
            unit_cost_minor: 100,
            minimum_order_quantity: 1,
            case_pack: 1,
            preferred: true,
            drop_ship: true,
        })
        .await
        .expect("drop-ship offer");
    eventually("inventory drop-ships TRACE-DS", WAIT, || async {
        suite
            .inventory()
            .await
            .get_product(inv::GetProductRequest {
                sku: "TRACE-DS".into(),
            })
            .await
            .ok()
            .and_then(|r| r.into_inner().product)
            .filter(|p| p.drop_ship)
    })
    .await;
    let cy = customer(&suite, "Cy").await;
    let mut request = order_request(&cy, &[("TRACE-DS", 2)]);
    request.ship_to_address = "7 Lighthouse Row, Leith".into();
    let order = suite
        .order()
        .await
        .place_order(request)
        .await
        .expect("placed")
        .into_inner()
        .order
        .expect("order");
    let po = eventually("the drop-ship purchase order", WAIT, || async {
        purchase_orders(&suite, &supplier.id)
            .await
            .into_iter()
            .find(|p| p.drop_ship && p.order_id == order.id)
    })
    .await;
    procurement
        .submit_purchase_order(proc_::SubmitPurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
        })
        .await
        .expect("submit");
    procurement
        .confirm_drop_shipment(proc_::ConfirmDropShipmentRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            carrier: "UPS".into(),
            tracking_number: "1ZTRACEDS".into(),
        })
        .await
        .expect("shipped by the supplier");
    wait_line_statuses(&suite, &order.id, &[LineStatus::Shipped]).await;
    let sale_trace = get_order(&suite, &order.id).await.trace_id;
    for service in SERVICES {
        suite.stop(service).await; // flushes spans
    }
    let expected = [
        ("order", "backorder.order.v1.OrderService/PlaceOrder"),
        (
            "procurement",
            "backorder.procurement.v1.ProcurementService/AddDemand",
        ),
        (
            "order",
            "backorder.order.v1.OrderService/RecordDropShipment",
        ),
    ];
    let in_sale_trace = |spans: &[CollectedSpan]| -> Vec<CollectedSpan> {
        spans
            .iter()
            .filter(|s| s.trace_id() == sale_trace)
            .cloned()
            .collect()
    };
    // A stopped service has flushed, but the receiver may still be storing
    // its last export: wait for the expected spans, then say what is there.
    let deadline = tokio::time::Instant::now() + WAIT;
    let (spans, trace) = loop {
        let spans = receiver.spans();
        let trace = in_sale_trace(&spans);
        let complete = expected
            .iter()
            .all(|(service, name)| !named(&trace, service, name).is_empty());
        if complete || tokio::time::Instant::now() > deadline {
            break (spans, trace);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for (service, name) in expected {
        let elsewhere: Vec<String> = named(&spans, service, name)
            .iter()
            .map(|s| format!("{} (parent {})", s.trace_id(), s.parent_span_id()))
            .collect();
        assert!(
            !named(&trace, service, name).is_empty(),
            "{service} {name} in the sale's trace {sale_trace}; in traces {elsewhere:?}; {} spans in all",
            spans.len()
        );
    }
    let leaks: Vec<String> = spans
        .iter()
        .flat_map(|s| s.all_text())
        .filter(|text| text.contains("Lighthouse Row"))
        .collect();
    assert!(leaks.is_empty(), "the address in spans: {leaks:?}");
}
