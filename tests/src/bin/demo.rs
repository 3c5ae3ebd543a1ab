//! Drives one backorder through its whole life against a running suite
//! (`make run`), printing each step. Addresses default to the standard ports;
//! override with BACKORDER_DEMO_INVENTORY, _ORDER, _PROCUREMENT, _NOTIFICATION.

use std::time::{Duration, Instant, SystemTime};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use backorder_proto::notification::v1 as notif;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::order::v1 as ord;
use backorder_proto::order::v1::order_service_client::OrderServiceClient;
use backorder_proto::procurement::v1 as proc_;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use tonic::transport::Channel;

type Error = Box<dyn std::error::Error>;

fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn connect(service: &str, port: u16) -> Result<Channel, Error> {
    let address = std::env::var(format!("BACKORDER_DEMO_{}", service.to_uppercase()))
        .unwrap_or_else(|_| format!("http://127.0.0.1:{port}"));
    Channel::from_shared(address.clone())?
        .connect()
        .await
        .map_err(|e| {
            format!("cannot reach {service} at {address} ({e}); is `make run` running?").into()
        })
}

fn step(n: u32, text: &str) {
    println!("\n[{n}] {text}");
}

async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, Error>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn status_name(status: i32) -> String {
    ord::OrderStatus::try_from(status)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("ORDER_STATUS_")
                .to_owned()
        })
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut inventory = InventoryServiceClient::new(connect("inventory", 50051).await?);
    let mut orders = OrderServiceClient::new(connect("order", 50052).await?);
    let mut procurement = ProcurementServiceClient::new(connect("procurement", 50053).await?);
    let mut notifications = NotificationServiceClient::new(connect("notification", 50054).await?);
    let run = uuid::Uuid::now_v7().simple().to_string();
    let sku = format!("DEMO-{}", &run[run.len() - 6..]);

    step(
        1,
        &format!("Create product {sku} (backorders allowed), 2 units on hand"),
    );
    inventory
        .create_product(inv::CreateProductRequest {
            request_id: rid(),
            sku: sku.clone(),
            name: "Walnut desk".into(),
            backorder_policy: inv::BackorderPolicy::Allow as i32,
            backorder_cap: 0,
            price_minor: 0,
            inbound_margin: 0,
        })
        .await?;
    inventory
        .adjust_stock(inv::AdjustStockRequest {
            request_id: rid(),
            sku: sku.clone(),
            delta: 2,
            reason: "opening count".into(),
            warehouse: String::new(),
        })
        .await?;

    step(
        2,
        "Register a supplier: 5-day lead time, MOQ 10, case pack 5",
    );
    let supplier = procurement
        .create_supplier(proc_::CreateSupplierRequest {
            request_id: rid(),
            name: "Nordic Woodworks".into(),
            lead_time_days: 5,
        })
        .await?
        .into_inner()
        .supplier
        .ok_or("no supplier")?;
    procurement
        .set_supplier_item(proc_::SetSupplierItemRequest {
            request_id: rid(),
            supplier_id: supplier.id.clone(),
            sku: sku.clone(),
            unit_cost_minor: 12_000,
            minimum_order_quantity: 10,
            case_pack: 5,
            preferred: true,
            drop_ship: false,
        })
        .await?;

    step(3, "Register customer Ada (e-mail and SMS)");
    let customer_id = rid();
    notifications
        .upsert_customer(notif::UpsertCustomerRequest {
            request_id: rid(),
            customer: Some(notif::Customer {
                id: customer_id.clone(),
                name: "Ada".into(),
                email: "ada@example.com".into(),
                phone: "+15550123".into(),
                channels: vec![notif::Channel::Email as i32, notif::Channel::Sms as i32],
                ..Default::default()
            }),
        })
        .await?;

    step(4, "Ada orders 5 desks; 2 are on hand");
    let order = orders
        .place_order(ord::PlaceOrderRequest {
            request_id: rid(),
            customer_id: customer_id.clone(),
            lines: vec![ord::PlaceOrderLine {
                sku: sku.clone(),
                quantity: 5,
            }],
            accept_backorders: true,
            ship_policy: ord::ShipPolicy::AsAvailable as i32,
            ..Default::default()
        })
        .await?
        .into_inner()
        .order
        .ok_or("no order")?;
    let line = order.lines.first().ok_or("no line")?;
    println!(
        "    order {} is {}: {} reserved, {} backordered",
        order.id,
        status_name(order.status),
        line.reserved_quantity,
        line.backordered_quantity
    );

    step(
        5,
        "The shortage becomes a draft purchase order (rounded to MOQ and case pack)",
    );
    let po = wait_for("a draft purchase order", || {
        let mut procurement = procurement.clone();
        let supplier_id = supplier.id.clone();
        async move {
            let list = procurement
                .list_purchase_orders(proc_::ListPurchaseOrdersRequest {
                    supplier_id,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .purchase_orders;
            Ok(list.into_iter().next())
        }
    })
    .await?;
    let po_line = po.lines.first().ok_or("empty purchase order")?;
    println!(
        "    purchase order {}: demand {}, ordered {}",
        po.id, po_line.demand_quantity, po_line.ordered_quantity
    );

    step(6, "Submit it; the supplier acknowledges delivery in 3 days");
    procurement
        .submit_purchase_order(proc_::SubmitPurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
        })
        .await?;
    let now = prost_types::Timestamp::from(SystemTime::now());
    procurement
        .acknowledge_purchase_order(proc_::AcknowledgePurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            promised_time: Some(prost_types::Timestamp {
                seconds: now.seconds + 3 * 86_400,
                nanos: 0,
            }),
        })
        .await?;

    step(
        7,
        "Goods arrive: 10 desks received, cross-docked to Ada's waiting line",
    );
    procurement
        .receive_purchase_order(proc_::ReceivePurchaseOrderRequest {
            request_id: rid(),
            purchase_order_id: po.id.clone(),
            lines: vec![proc_::ReceiptLine {
                sku: sku.clone(),
                quantity: po_line.ordered_quantity,
            }],
            warehouse: String::new(),
        })
        .await?;
    let ready = wait_for("the order to be ready", || {
        let mut orders = orders.clone();
        let id = order.id.clone();
        async move {
            let o = orders
                .get_order(ord::GetOrderRequest { order_id: id })
                .await?
                .into_inner()
                .order
                .ok_or("no order")?;
            Ok((o.status == ord::OrderStatus::Ready as i32).then_some(o))
        }
    })
    .await?;
    println!("    order {} is {}", ready.id, status_name(ready.status));

    step(8, "Ship with a tracking number, then mark delivered");
    let shipment = orders
        .create_shipment(ord::CreateShipmentRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            tracking_number: format!("1Z{}", &run[run.len() - 10..]).to_uppercase(),
            carrier: "UPS".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .shipment
        .ok_or("no shipment")?;
    println!(
        "    shipment {} tracking {}",
        shipment.id, shipment.tracking_number
    );
    let delivered = orders
        .mark_delivered(ord::MarkDeliveredRequest {
            request_id: rid(),
            shipment_id: shipment.id.clone(),
        })
        .await?
        .into_inner()
        .order
        .ok_or("no order")?;
    println!(
        "    order {} is {}",
        delivered.id,
        status_name(delivered.status)
    );

    step(9, "What Ada was told");
    let told = wait_for("all notifications", || {
        let mut notifications = notifications.clone();
        let customer_id = customer_id.clone();
        async move {
            let list = notifications
                .list_notifications(notif::ListNotificationsRequest {
                    customer_id,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .notifications;
            Ok((list.len() >= 7).then_some(list))
        }
    })
    .await?;
    for n in told {
        let event = notif::NotificationEvent::try_from(n.event)
            .map(|e| {
                e.as_str_name()
                    .trim_start_matches("NOTIFICATION_EVENT_")
                    .to_owned()
            })
            .unwrap_or_default();
        println!("    {event:<16} {}", n.message);
    }

    step(10, "The operator's timeline of the order");
    let timeline = orders
        .get_order_timeline(ord::GetOrderTimelineRequest {
            order_id: order.id.clone(),
        })
        .await?
        .into_inner();
    for e in &timeline.events {
        println!("    {:<13} {:<20} {}", e.service, e.event, e.detail);
    }
    if !timeline.trace_id.is_empty() {
        println!("    trace id {}", timeline.trace_id);
    }
    println!(
        "\nDone: backordered, purchased, received, filled, shipped, delivered, and the customer told."
    );
    Ok(())
}
