//! The KPIs and the outbox's lag, checked on what was really exported.

use std::collections::BTreeSet;

use backorder_proto::inventory::v1 as inv;
use backorder_tests::otlp::{CollectedPoint, OtlpReceiver};
use backorder_tests::{SERVICES, Suite, SuiteOptions, eventually, rid};

use crate::fixtures::*;

/// The latest exported value of `metric` from `service` (no attributes).
fn latest(points: &[CollectedPoint], service: &str, metric: &str) -> Option<f64> {
    points
        .iter()
        .rev()
        .find(|p| p.service == service && p.metric == metric)
        .map(|p| p.value)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kpis_and_the_outbox_lag_are_exported_as_gauges() {
    let receiver = OtlpReceiver::start().await;
    let mut suite = Suite::start_with(SuiteOptions {
        settings: vec![("metrics.interval_seconds".into(), "1".into())],
        ..SuiteOptions::processes(vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint()),
            ("OTEL_METRIC_EXPORT_INTERVAL".into(), "200".into()),
        ])
    })
    .await;
    suite
        .inventory()
        .await
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: "MET-1".into(),
            name: "Metered".into(),
            backorder_policy: inv::BackorderPolicy::Allow as i32,
            backorder_cap: 0,
            price_minor: 250,
            inbound_margin: 0,
        })
        .await
        .expect("product");
    product(&suite, "MET-DENY", inv::BackorderPolicy::Deny, 0).await;
    let ann = customer(&suite, "Ann").await;
    place(&suite, &ann, &[("MET-1", 3)]).await;
    let refused = suite
        .order()
        .await
        .place_order(order_request(&ann, &[("MET-DENY", 1)]))
        .await
        .expect_err("stockout");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);

    // Three units of 2.50 wait; one order of two was refused.
    let expected = [
        ("inventory", "backorder.backlog.units", 3.0),
        ("inventory", "backorder.backlog.lines", 1.0),
        ("inventory", "backorder.backlog.value_minor", 750.0),
        ("order", "backorder.orders.refused", 1.0),
        ("order", "backorder.units.lost", 1.0),
        ("order", "backorder.lost_sale_rate_percent", 50.0),
        ("order", "backorder.orders.backorder_rate_percent", 100.0),
        ("order", "backorder.units.fill_rate_percent", 0.0),
    ];
    let points = eventually("the KPIs exported", WAIT, || async {
        let points = receiver.points();
        expected
            .iter()
            .all(|(service, metric, value)| {
                latest(&points, service, metric).is_some_and(|v| (v - value).abs() < 1e-9)
            })
            .then_some(points)
    })
    .await;
    let unit = |metric: &str| {
        points
            .iter()
            .find(|p| p.metric == metric)
            .map(|p| p.unit.clone())
    };
    assert_eq!(unit("backorder.backlog.units").as_deref(), Some("{unit}"));
    assert_eq!(
        unit("backorder.lost_sale_rate_percent").as_deref(),
        Some("%")
    );
    assert_eq!(unit("backorder.orders.refused").as_deref(), Some("{order}"));
    let oldest = latest(&points, "inventory", "backorder.backlog.oldest_age_seconds");
    assert!(oldest.is_some_and(|age| age >= 0.0), "{oldest:?}");

    // Every service that sends messages reports its outbox per destination,
    // drained or not (notification sends none).
    for metric in [
        "outbox.undelivered",
        "outbox.oldest_undelivered_age_seconds",
        "outbox.parked",
    ] {
        let services: BTreeSet<&str> = points
            .iter()
            .filter(|p| p.metric == metric && p.attribute("destination").is_some())
            .map(|p| p.service.as_str())
            .collect();
        assert_eq!(
            services,
            BTreeSet::from(["inventory", "order", "procurement"]),
            "{metric}"
        );
    }
    let order_destinations: BTreeSet<&str> = points
        .iter()
        .filter(|p| p.service == "order" && p.metric == "outbox.undelivered")
        .filter_map(|p| p.attribute("destination"))
        .collect();
    assert_eq!(
        order_destinations,
        BTreeSet::from(["inventory", "notification", "procurement"])
    );
    // No attribute but the destination and the RPC's names and status:
    // nothing about a customer.
    let keys: BTreeSet<&str> = points
        .iter()
        .flat_map(|p| p.attributes.iter().map(|(k, _)| k.as_str()))
        .collect();
    let allowed = [
        "destination",
        "rpc.system",
        "rpc.service",
        "rpc.method",
        "rpc.grpc.status_code",
    ];
    assert!(keys.iter().all(|k| allowed.contains(k)), "{keys:?}");

    // RED per RPC: the sale and the refusal are counted apart, by status;
    // the calls order made to inventory are counted by inventory.
    let calls = |points: &[CollectedPoint], service: &str, method: &str, code: &str| {
        points
            .iter()
            .rev()
            .find(|p| {
                p.service == service
                    && p.metric == "rpc.server.duration"
                    && p.attribute("rpc.method") == Some(method)
                    && p.attribute("rpc.grpc.status_code") == Some(code)
            })
            .map(|p| p.value)
    };
    let points = eventually("RPC durations exported", WAIT, || async {
        let points = receiver.points();
        (calls(&points, "order", "PlaceOrder", "0").is_some_and(|n| n >= 1.0)
            && calls(&points, "order", "PlaceOrder", "9").is_some_and(|n| n >= 1.0)
            && calls(&points, "inventory", "ReserveOrder", "0").is_some_and(|n| n >= 1.0))
        .then_some(points)
    })
    .await;
    let duration = points
        .iter()
        .find(|p| p.metric == "rpc.server.duration")
        .expect("a duration");
    assert_eq!(duration.unit, "ms");
    assert_eq!(duration.attribute("rpc.system"), Some("grpc"));
    assert!(
        !points.iter().any(|p| p.metric == "rpc.server.duration"
            && p.attribute("rpc.service")
                .is_some_and(|s| s.starts_with("grpc."))),
        "health and reflection are not measured"
    );
    // Serving: no time spent NOT_SERVING.
    for service in SERVICES {
        assert_eq!(
            latest(&points, service, "health.not_serving_seconds"),
            Some(0.0),
            "{service}"
        );
    }

    // Stopping flushes the exporter and does not hang on it.
    for service in SERVICES {
        suite.stop(service).await;
    }
}
