//! Bad input gets the right status code and writes nothing.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as ord;
use backorder_tests::{Suite, eventually, rid};
use tonic::Code;

use crate::fixtures::*;

fn field_violations(status: &tonic::Status) -> Vec<String> {
    tonic_types::StatusExt::get_error_details(status)
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_orders_are_refused_precisely_and_write_nothing() {
    let suite = Suite::start().await;
    product(&suite, "PEN-1", inv::BackorderPolicy::Allow, 5).await;
    let customer_id = customer(&suite, "Fay").await;
    let mut orders = suite.order().await;

    let zero = orders
        .place_order(order_request(&customer_id, &[("PEN-1", 0)]))
        .await
        .expect_err("zero quantity");
    assert_eq!(zero.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&zero), vec!["lines[0].quantity"]);

    let negative = orders
        .place_order(order_request(&customer_id, &[("PEN-1", -3)]))
        .await
        .expect_err("negative quantity");
    assert_eq!(negative.code(), Code::InvalidArgument);

    let empty = orders
        .place_order(order_request(&customer_id, &[]))
        .await
        .expect_err("empty order");
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&empty), vec!["lines"]);

    let unknown = orders
        .place_order(order_request(&customer_id, &[("NO-SUCH-SKU", 1)]))
        .await
        .expect_err("unknown sku");
    assert_eq!(unknown.code(), Code::NotFound);
    assert!(unknown.message().contains("NO-SUCH-SKU"));

    let malformed_customer = orders
        .place_order(order_request("not-a-uuid", &[("PEN-1", 1)]))
        .await
        .expect_err("malformed customer id");
    assert_eq!(malformed_customer.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&malformed_customer), vec!["customer_id"]);

    let mut malformed_request = order_request(&customer_id, &[("PEN-1", 1)]);
    malformed_request.request_id = "42".into();
    let status = orders
        .place_order(malformed_request)
        .await
        .expect_err("malformed request id");
    assert_eq!(status.code(), Code::InvalidArgument);

    let get = orders
        .get_order(ord::GetOrderRequest {
            order_id: "xyz".into(),
        })
        .await
        .expect_err("malformed order id");
    assert_eq!(get.code(), Code::InvalidArgument);
    let missing = orders
        .get_order(ord::GetOrderRequest { order_id: rid() })
        .await
        .expect_err("unknown order");
    assert_eq!(missing.code(), Code::NotFound);

    // Nothing was written by any of those.
    let listed = orders
        .list_orders(ord::ListOrdersRequest {
            customer_id: customer_id.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .orders;
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(stock(&suite, "PEN-1").await.reserved, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_gets_the_same_answer_and_a_reused_request_id_is_refused() {
    let suite = Suite::start().await;
    product(&suite, "INK-1", inv::BackorderPolicy::Allow, 5).await;
    let customer_id = customer(&suite, "Gus").await;
    let mut orders = suite.order().await;
    let request = order_request(&customer_id, &[("INK-1", 2)]);

    let first = orders
        .place_order(request.clone())
        .await
        .expect("first")
        .into_inner();
    let again = orders
        .place_order(request.clone())
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(first, again, "a retry returns the stored answer");
    assert_eq!(stock(&suite, "INK-1").await.reserved, 2, "reserved once");

    let mut different = request.clone();
    different.lines[0].quantity = 3;
    let reused = orders
        .place_order(different)
        .await
        .expect_err("same id, other body");
    assert_eq!(reused.code(), Code::AlreadyExists);
    assert_eq!(
        tonic_types::StatusExt::get_error_details(&reused)
            .error_info()
            .expect("info")
            .reason,
        "REQUEST_ID_REUSED"
    );
    assert_eq!(
        stock(&suite, "INK-1").await.reserved,
        2,
        "nothing more reserved"
    );

    let mut inventory = suite.inventory().await;
    let adjust = inv::AdjustStockRequest {
        request_id: rid(),
        sku: "INK-1".into(),
        delta: 1,
        reason: "found one".into(),
        warehouse: String::new(),
    };
    inventory
        .adjust_stock(adjust.clone())
        .await
        .expect("adjust");
    inventory
        .adjust_stock(adjust.clone())
        .await
        .expect("adjust retried");
    assert_eq!(stock(&suite, "INK-1").await.on_hand, 6, "adjusted once");
    let zero = inventory
        .adjust_stock(inv::AdjustStockRequest {
            delta: 0,
            request_id: rid(),
            ..adjust
        })
        .await
        .expect_err("zero delta");
    assert_eq!(zero.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stockout_of_a_deny_product_is_refused_and_writes_nothing() {
    let suite = Suite::start().await;
    product(&suite, "RARE-1", inv::BackorderPolicy::Deny, 1).await;
    product(&suite, "PLENTY-1", inv::BackorderPolicy::Allow, 50).await;
    let supplier_id = supplier(&suite, "RARE-1", 5, 1, 1).await;
    let dan = customer(&suite, "Dan").await;

    let refused = suite
        .order()
        .await
        .place_order(order_request(&dan, &[("PLENTY-1", 2), ("RARE-1", 2)]))
        .await
        .expect_err("stockout refused");

    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("RARE-1"),
        "{}",
        refused.message()
    );
    let details = tonic_types::StatusExt::get_error_details(&refused);
    assert_eq!(details.error_info().expect("error info").reason, "STOCKOUT");
    assert_eq!(
        details
            .precondition_failure()
            .expect("violations")
            .violations
            .len(),
        1
    );
    // Nothing anywhere: no order, no reservation, no demand, no message.
    let orders = suite
        .order()
        .await
        .list_orders(ord::ListOrdersRequest {
            customer_id: dan.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .orders;
    assert!(orders.is_empty(), "{orders:?}");
    assert_eq!(stock(&suite, "PLENTY-1").await.reserved, 0);
    assert_eq!(stock(&suite, "RARE-1").await.reserved, 0);

    // A later backorder of Dan's takes the same roads to procurement and
    // notification; once its demand and notices are there, anything the
    // refused order had sent would be there too.
    product(&suite, "MARK-1", inv::BackorderPolicy::Allow, 0).await;
    let marker_supplier = supplier(&suite, "MARK-1", 5, 1, 1).await;
    let marker = place(&suite, &dan, &[("MARK-1", 1)]).await;
    eventually("the later order's demand", WAIT, || async {
        let pos = purchase_orders(&suite, &marker_supplier).await;
        pos.first()
            .and_then(|p| p.lines.first())
            .is_some_and(|l| l.demand_quantity == 1)
            .then_some(())
    })
    .await;
    let told = wait_notifications(&suite, &dan, &[Ev::OrderConfirmed, Ev::Backordered]).await;
    assert!(told.iter().all(|n| n.order_id == marker.id), "{told:?}");
    assert!(purchase_orders(&suite, &supplier_id).await.is_empty());
}
