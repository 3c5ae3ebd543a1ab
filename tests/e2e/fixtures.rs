//! Arrange helpers shared by the end-to-end tests.

use backorder_proto::inventory::v1 as inv;
use backorder_proto::notification::v1 as notif;
use backorder_proto::order::v1 as ord;
use backorder_proto::procurement::v1 as proc_;
use backorder_tests::{Suite, eventually, rid, settles};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(30);

pub async fn product(suite: &Suite, sku: &str, policy: inv::BackorderPolicy, on_hand: i64) {
    let mut inventory = suite.inventory().await;
    inventory
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: sku.into(),
            name: format!("Product {sku}"),
            backorder_policy: policy as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 0,
        })
        .await
        .expect("create product");
    if on_hand > 0 {
        inventory
            .adjust_stock(inv::AdjustStockRequest {
                request_id: rid(),
                sku: sku.into(),
                delta: on_hand,
                reason: "initial count".into(),
                warehouse: String::new(),
            })
            .await
            .expect("stock");
    }
}

pub async fn stock(suite: &Suite, sku: &str) -> inv::StockLevel {
    suite
        .inventory()
        .await
        .get_product(inv::GetProductRequest { sku: sku.into() })
        .await
        .expect("get product")
        .into_inner()
        .product
        .and_then(|p| p.stock)
        .expect("stock level")
}

/// A supplier of `sku` with the given MOQ and case pack; returns its id.
pub async fn supplier(
    suite: &Suite,
    sku: &str,
    lead_time_days: i32,
    moq: i64,
    case_pack: i64,
) -> String {
    let mut procurement = suite.procurement().await;
    let supplier = procurement
        .create_supplier(proc_::CreateSupplierRequest {
            request_id: rid(),
            name: format!("Supplier of {sku}"),
            lead_time_days,
        })
        .await
        .expect("create supplier")
        .into_inner()
        .supplier
        .expect("supplier");
    procurement
        .set_supplier_item(proc_::SetSupplierItemRequest {
            request_id: rid(),
            supplier_id: supplier.id.clone(),
            sku: sku.into(),
            unit_cost_minor: 250,
            minimum_order_quantity: moq,
            case_pack,
            preferred: true,
            drop_ship: false,
        })
        .await
        .expect("supplier item");
    // Inventory promises lines from the lead time procurement reports to
    // it: wait for the report, as a merchant's offers exist before sales.
    eventually("inventory knows the supplier's lead time", WAIT, || async {
        let product = suite
            .inventory()
            .await
            .get_product(inv::GetProductRequest { sku: sku.into() })
            .await
            .ok()?
            .into_inner()
            .product?;
        (product.lead_time_days == Some(lead_time_days)).then_some(())
    })
    .await;
    supplier.id
}

/// A customer reachable by e-mail and SMS; returns their id.
pub async fn customer(suite: &Suite, name: &str) -> String {
    let id = rid();
    suite
        .notification()
        .await
        .upsert_customer(notif::UpsertCustomerRequest {
            request_id: rid(),
            customer: Some(notif::Customer {
                id: id.clone(),
                name: name.into(),
                email: format!("{}@example.com", name.to_lowercase()),
                phone: "+15550100".into(),
                channels: vec![notif::Channel::Email as i32, notif::Channel::Sms as i32],
                ..Default::default()
            }),
        })
        .await
        .expect("upsert customer");
    id
}

pub fn order_request(customer_id: &str, lines: &[(&str, i64)]) -> ord::PlaceOrderRequest {
    ord::PlaceOrderRequest {
        request_id: rid(),
        customer_id: customer_id.into(),
        lines: lines
            .iter()
            .map(|(sku, quantity)| ord::PlaceOrderLine {
                sku: (*sku).into(),
                quantity: *quantity,
            })
            .collect(),
        accept_backorders: true,
        ship_policy: ord::ShipPolicy::AsAvailable as i32,
        ..Default::default()
    }
}

pub async fn place(suite: &Suite, customer_id: &str, lines: &[(&str, i64)]) -> ord::Order {
    suite
        .order()
        .await
        .place_order(order_request(customer_id, lines))
        .await
        .expect("place order")
        .into_inner()
        .order
        .expect("order")
}

pub async fn get_order(suite: &Suite, id: &str) -> ord::Order {
    suite
        .order()
        .await
        .get_order(ord::GetOrderRequest {
            order_id: id.into(),
        })
        .await
        .expect("get order")
        .into_inner()
        .order
        .expect("order")
}

/// Waits until the order's lines have the given statuses.
pub async fn wait_line_statuses(
    suite: &Suite,
    id: &str,
    expected: &[ord::LineStatus],
) -> ord::Order {
    let expected: Vec<i32> = expected.iter().map(|s| *s as i32).collect();
    settles(&format!("order {id} lines {expected:?}"), WAIT, || async {
        let order = get_order(suite, id).await;
        let statuses: Vec<i32> = order.lines.iter().map(|l| l.status).collect();
        if statuses == expected {
            Ok(order)
        } else {
            Err(format!("lines are {statuses:?}"))
        }
    })
    .await
}

pub async fn notifications_of_customer(
    suite: &Suite,
    customer_id: &str,
) -> Vec<notif::Notification> {
    suite
        .notification()
        .await
        .list_notifications(notif::ListNotificationsRequest {
            customer_id: customer_id.into(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list notifications")
        .into_inner()
        .notifications
}

pub fn events(list: &[notif::Notification]) -> Vec<notif::NotificationEvent> {
    list.iter()
        .map(|n| notif::NotificationEvent::try_from(n.event).expect("known event"))
        .collect()
}

/// Waits until the customer has exactly `expected` notifications, in order.
pub async fn wait_notifications(
    suite: &Suite,
    customer_id: &str,
    expected: &[notif::NotificationEvent],
) -> Vec<notif::Notification> {
    settles(&format!("notifications {expected:?}"), WAIT, || async {
        let list = notifications_of_customer(suite, customer_id).await;
        let got = events(&list);
        if got == expected {
            Ok(list)
        } else {
            Err(format!("the customer has {got:?}"))
        }
    })
    .await
}

pub async fn purchase_orders(suite: &Suite, supplier_id: &str) -> Vec<proc_::PurchaseOrder> {
    suite
        .procurement()
        .await
        .list_purchase_orders(proc_::ListPurchaseOrdersRequest {
            supplier_id: supplier_id.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list purchase orders")
        .into_inner()
        .purchase_orders
}

/// Submits, acknowledges with `promised` and receives in full the draft
/// purchase order of `supplier_id` carrying `quantity` units of demand.
/// The receipt waits until the promised date reached the lines of
/// `waiting` (order ids): the date and the stock travel different roads,
/// and a line filled first rightly ignores a date that comes later.
pub async fn buy_through_draft(
    suite: &Suite,
    supplier_id: &str,
    sku: &str,
    quantity: i64,
    promised: prost_types::Timestamp,
    waiting: &[&str],
) {
    let po = eventually("a draft purchase order", WAIT, || async {
        purchase_orders(suite, supplier_id)
            .await
            .into_iter()
            .find(|p| {
                p.status == proc_::PurchaseOrderStatus::Draft as i32
                    && p.lines
                        .first()
                        .is_some_and(|l| l.demand_quantity == quantity)
            })
    })
    .await;
    let mut procurement = suite.procurement().await;
    procurement
        .submit_purchase_order(proc_::SubmitPurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
        })
        .await
        .expect("submit");
    procurement
        .acknowledge_purchase_order(proc_::AcknowledgePurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            promised_time: Some(promised),
        })
        .await
        .expect("acknowledge");
    for id in waiting {
        settles(
            &format!("the promised date on order {id}"),
            WAIT,
            || async {
                let order = get_order(suite, id).await;
                let etas: Vec<Option<i64>> = order
                    .lines
                    .iter()
                    .map(|l| l.eta.map(|e| e.seconds))
                    .collect();
                if etas.iter().all(|e| *e == Some(promised.seconds)) {
                    Ok(())
                } else {
                    Err(format!("ETAs are {etas:?}"))
                }
            },
        )
        .await;
    }
    let received = procurement
        .receive_purchase_order(proc_::ReceivePurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            lines: vec![proc_::ReceiptLine {
                sku: sku.into(),
                quantity,
            }],
            warehouse: String::new(),
        })
        .await
        .expect("receive")
        .into_inner()
        .purchase_order
        .expect("purchase order");
    assert_eq!(received.status, proc_::PurchaseOrderStatus::Received as i32);
    assert!(received.receive_time.is_some(), "the arrival is recorded");
}
