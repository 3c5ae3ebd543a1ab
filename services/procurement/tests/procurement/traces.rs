//! Work that serves many demands later (an acknowledgement, a drop
//! shipment) continues the trace of each sale that raised the demand, while
//! what it tells inventory of a SKU's supply stays in its own trace; a
//! worker run starts a trace of its own, which its demand continues.

use backorder_platform::ids::new_id_string;
use backorder_platform::store::outbox_message;
use backorder_platform::telemetry::trace_id_of;
use backorder_platform::time::{DAY_MS, now_ms, to_timestamp};
use backorder_proto::Rpc;
use backorder_proto::inventory::v1::SetInboundSupplyRequest;
use backorder_proto::order::v1::{RecordDropShipmentRequest, UpdateLineEtaRequest};
use backorder_proto::procurement::v1 as pb;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use procurement::store::demand;
use procurement::workers::replenisher::run_once;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

use crate::helpers::{
    ADDRESS, FakeInventory, call, demand_request, drop_ship_request, harness,
    harness_with_inventory,
};

fn trace_id(span: &tracing::Span) -> String {
    span.context().span().span_context().trace_id().to_string()
}

/// Spans with OpenTelemetry contexts on this thread, while the guards live.
fn traced() -> (tracing::subscriber::DefaultGuard, tracing::Dispatch) {
    let provider = SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let guard = tracing::subscriber::set_default(subscriber);
    // The other tests of this binary run on threads with no subscriber.
    // While a single dispatcher is registered, tracing-core takes a new
    // callsite's interest from the default of the thread that reaches it
    // first, so a span first reached by another test would stay disabled
    // here too; with a second dispatcher registered it asks every one.
    let second = tracing::Dispatch::new(tracing_subscriber::registry());
    (guard, second)
}

#[tokio::test]
async fn acknowledgement_sends_each_drop_ship_eta_in_its_sales_trace_and_supply_in_its_own() {
    let _traced = traced();

    let h = harness().await;
    let (api, db) = (&h.api, &h.db);
    let supplier = h.supplier("Acme", 5).await;
    h.drop_ship_item(&supplier, "SKU-D", true, true)
        .await
        .expect("drop-ship item");
    h.item(&supplier, "SKU-1", 1, 1, 1, true)
        .await
        .expect("item");
    let reported = h.supplies().await.len();

    // Two sales of one order (placed, then a line added) raise drop-ship
    // demand on the order's purchase order; a third raises stock demand.
    let order_id = new_id_string();
    let mut sales = Vec::new();
    let mut po_id = String::new();
    for _ in 0..2 {
        let sale = tracing::info_span!(parent: None, "sale");
        let added = call(
            api.add_demand(drop_ship_request(&order_id, "SKU-D", 1, ADDRESS))
                .instrument(sale.clone()),
        )
        .await
        .expect("demand")
        .demand
        .expect("demand");
        let stored = demand::Entity::find_by_id(added.id.clone())
            .one(db)
            .await
            .expect("read")
            .expect("stored");
        let traceparent = stored.trace_context.expect("trace context stored");
        assert_eq!(trace_id_of(&traceparent), Some(trace_id(&sale)));
        po_id = added.purchase_order_id;
        sales.push(trace_id(&sale));
    }
    let stock_sale = tracing::info_span!(parent: None, "stock sale");
    let stock_po = call(
        api.add_demand(demand_request(&new_id_string(), "SKU-1", 1))
            .instrument(stock_sale.clone()),
    )
    .await
    .expect("demand")
    .demand
    .expect("demand")
    .purchase_order_id;

    let submit = tracing::info_span!(parent: None, "submit");
    let ack = tracing::info_span!(parent: None, "acknowledge");
    for po in [&po_id, &stock_po] {
        call(
            api.submit_purchase_order(pb::SubmitPurchaseOrderRequest {
                request_id: new_id_string(),
                purchase_order_id: po.clone(),
            })
            .instrument(submit.clone()),
        )
        .await
        .expect("submit");
    }
    for po in [&po_id, &stock_po] {
        call(
            api.acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest {
                request_id: new_id_string(),
                purchase_order_id: po.clone(),
                promised_time: Some(to_timestamp(now_ms() + 2 * DAY_MS)),
            })
            .instrument(ack.clone()),
        )
        .await
        .expect("acknowledge");
    }

    let messages: Vec<_> = outbox_message::Entity::find()
        .order_by_asc(outbox_message::Column::Id)
        .all(db)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|m| m.destination == "order")
        .collect();
    assert!(
        messages
            .iter()
            .all(|m| m.method == UpdateLineEtaRequest::PATH)
    );
    assert_eq!(messages.len(), 4, "two on arrival, two on acknowledgement");
    let traces: Vec<Option<String>> = messages
        .iter()
        .map(|m| m.trace_context.as_deref().and_then(trace_id_of))
        .collect();
    for (i, sale) in sales.iter().enumerate() {
        assert_eq!(
            traces[i].as_ref(),
            Some(sale),
            "arrival ETA in the sale's trace"
        );
        assert_eq!(
            traces[i + 2].as_ref(),
            Some(sale),
            "acknowledged ETA continues the sale's trace"
        );
    }
    assert!(!traces.contains(&Some(trace_id(&ack))));

    // The stock order's inbound supply is reported in the trace of the
    // call that changed it: no sale's.
    let supplies: Vec<_> = h
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.method == SetInboundSupplyRequest::PATH)
        .skip(reported)
        .collect();
    let skus: Vec<String> = h
        .supplies()
        .await
        .into_iter()
        .skip(reported)
        .map(|m| m.sku)
        .collect();
    assert_eq!(
        skus,
        ["SKU-1", "SKU-1"],
        "on submission and acknowledgement"
    );
    let traces: Vec<Option<String>> = supplies
        .iter()
        .map(|m| m.trace_context.as_deref().and_then(trace_id_of))
        .collect();
    assert_eq!(traces, [Some(trace_id(&submit)), Some(trace_id(&ack))]);
}

#[tokio::test]
async fn a_drop_shipment_is_recorded_in_the_trace_of_the_sale() {
    let _traced = traced();
    let h = crate::helpers::harness().await;
    let supplier = h.supplier("Acme", 5).await;
    h.drop_ship_item(&supplier, "SKU-D", true, true)
        .await
        .expect("item");
    let sale = tracing::info_span!(parent: None, "sale");
    let order_id = new_id_string();
    let mut po_id = String::new();
    for quantity in [1, 2] {
        let request = drop_ship_request(&order_id, "SKU-D", quantity, ADDRESS);
        po_id = call(h.api.add_demand(request).instrument(sale.clone()))
            .await
            .expect("demand")
            .demand
            .expect("demand")
            .purchase_order_id;
    }
    h.submit(&po_id).await.expect("submit");
    let confirm = tracing::info_span!(parent: None, "confirm");
    call(
        h.api
            .confirm_drop_shipment(pb::ConfirmDropShipmentRequest {
                request_id: new_id_string(),
                purchase_order_id: po_id,
                carrier: "UPS".to_owned(),
                tracking_number: "1Z".to_owned(),
            })
            .instrument(confirm.clone()),
    )
    .await
    .expect("confirm");

    let shipped: Vec<_> = h
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.method == RecordDropShipmentRequest::PATH)
        .collect();
    assert_eq!(shipped.len(), 1);
    let trace = shipped[0].trace_context.as_deref().and_then(trace_id_of);
    assert_eq!(trace, Some(trace_id(&sale)), "continues the sale's trace");
    assert_ne!(trace, Some(trace_id(&confirm)));
}

#[tokio::test]
async fn each_worker_run_is_a_trace_of_its_own_that_its_demand_continues() {
    let _traced = traced();
    let inventory = FakeInventory::start().await;
    let h = harness_with_inventory(&inventory).await;
    let acme = h.supplier("Acme", 1).await;
    for sku in ["SKU-T1", "SKU-T2"] {
        h.item(&acme, sku, 1, 1, 1, true).await.expect("item");
        inventory.set(sku, &[2; 7], 0, 0);
    }
    // Whatever span the worker happens to run under, its runs start traces.
    let ambient = tracing::info_span!(parent: None, "ambient");
    let mut traces = Vec::new();
    for sku in ["SKU-T1", "SKU-T2"] {
        h.policy(sku, 50.0, 7).await;
        let run = run_once(&h.api).instrument(ambient.clone()).await;
        assert_eq!(run.replenished.raised, 1, "{sku}");
        let stored = demand::Entity::find()
            .filter(demand::Column::Sku.eq(sku))
            .one(&h.db)
            .await
            .expect("read")
            .expect("raised");
        let traceparent = stored.trace_context.expect("trace context stored");
        traces.push(trace_id_of(&traceparent).expect("trace id"));
    }
    assert_ne!(traces[0], traces[1], "one trace per run");
    assert!(!traces.contains(&trace_id(&ambient)));
}
