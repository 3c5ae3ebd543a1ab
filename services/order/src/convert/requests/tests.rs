//! The conversions' checks, field by field.

use super::*;
use backorder_platform::idempotency::fingerprint;

fn fields(error: ServiceError) -> Vec<String> {
    match error {
        ServiceError::InvalidArgument(list) => list.into_iter().map(|v| v.field).collect(),
        other => panic!("expected invalid argument, got {other:?}"),
    }
}

fn place(lines: Vec<pb::PlaceOrderLine>) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        request_id: Uuid::now_v7().to_string(),
        customer_id: Uuid::now_v7().to_string(),
        lines,
        accept_backorders: true,
        ..Default::default()
    }
}

fn line(sku: &str, quantity: i64) -> pb::PlaceOrderLine {
    pb::PlaceOrderLine {
        sku: sku.to_owned(),
        quantity,
    }
}

#[test]
fn line_quantities_are_bounded_at_one_and_the_maximum() {
    let ok = NewOrder::parse(
        &place(vec![line("A", 1), line(" B ", MAX_QUANTITY)]),
        ShipPolicy::AsAvailable,
    )
    .expect("at the bounds");
    assert_eq!(ok.lines[1].sku, "B", "stored trimmed");
    let error = NewOrder::parse(
        &place(vec![
            line("A", 0),
            line("B", MAX_QUANTITY + 1),
            line("C", i64::MAX),
        ]),
        ShipPolicy::AsAvailable,
    )
    .expect_err("past the bounds");
    assert_eq!(
        fields(error),
        [
            "lines[0].quantity",
            "lines[1].quantity",
            "lines[2].quantity"
        ]
    );
}

#[test]
fn an_order_has_one_to_two_hundred_lines() {
    let at = place((0..MAX_LINES).map(|i| line(&format!("S{i}"), 1)).collect());
    assert_eq!(
        NewOrder::parse(&at, ShipPolicy::AsAvailable)
            .expect("200 lines")
            .lines
            .len(),
        200
    );
    let past = place((0..=MAX_LINES).map(|i| line(&format!("S{i}"), 1)).collect());
    assert_eq!(
        fields(NewOrder::parse(&past, ShipPolicy::AsAvailable).expect_err("201")),
        ["lines"]
    );
    assert_eq!(
        fields(NewOrder::parse(&place(vec![]), ShipPolicy::AsAvailable).expect_err("0")),
        ["lines"]
    );
}

#[test]
fn an_unspecified_policy_takes_the_merchants_default_and_counts_fit_their_policy() {
    let default = ShipPolicy::UpToShipments(3);
    let order = NewOrder::parse(&place(vec![line("A", 1)]), default).expect("default");
    assert_eq!(order.ship_policy, default);
    let mut own = place(vec![line("A", 1)]);
    own.ship_policy = 3;
    own.max_shipments = 2;
    assert_eq!(
        NewOrder::parse(&own, default).expect("own").ship_policy,
        ShipPolicy::UpToShipments(2)
    );
    for (policy, count) in [(3, 0), (3, 21), (1, 2), (0, 2)] {
        let mut bad = place(vec![line("A", 1)]);
        bad.ship_policy = policy;
        bad.max_shipments = count;
        assert_eq!(
            fields(NewOrder::parse(&bad, default).expect_err("bad count")),
            ["max_shipments"],
            "policy {policy}, count {count}"
        );
    }
    let mut unknown = place(vec![line("A", 1)]);
    unknown.ship_policy = 9;
    assert_eq!(
        fields(NewOrder::parse(&unknown, default).expect_err("unknown")),
        ["ship_policy"]
    );
}

#[test]
fn skus_are_checked_as_stored() {
    let error = NewOrder::parse(
        &place(vec![
            line("  ", 1),
            line(&"X".repeat(65), 1),
            line("A B", 1),
        ]),
        ShipPolicy::AsAvailable,
    )
    .expect_err("bad skus");
    assert_eq!(
        fields(error),
        ["lines[0].sku", "lines[1].sku", "lines[2].sku"]
    );
}

#[test]
fn the_fingerprint_covers_every_field_untrimmed() {
    let base = place(vec![line("A", 1)]);
    let same = fingerprint(&base.clone());
    assert_eq!(fingerprint(&base), same);
    let mut other = base.clone();
    other.accept_backorders = false;
    assert_ne!(fingerprint(&other), same);
    let mut other = base.clone();
    other.ship_policy = 2;
    assert_ne!(fingerprint(&other), same);
    let mut other = base;
    other.lines[0].sku = " A".to_owned();
    assert_ne!(fingerprint(&other), same);
}

#[test]
fn cancellation_reasons_are_bounded_and_defaulted() {
    let order_id = Uuid::now_v7().to_string();
    let cancel = CancelOrder::try_from(&pb::CancelOrderRequest {
        request_id: String::new(),
        order_id: order_id.clone(),
        reason: "   ".to_owned(),
    })
    .expect("valid");
    assert_eq!(cancel.reason, DEFAULT_CANCEL_REASON);
    let error = CancelOrder::try_from(&pb::CancelOrderRequest {
        request_id: String::new(),
        order_id,
        reason: "r".repeat(MAX_REASON_CHARS + 1),
    })
    .expect_err("too long");
    assert_eq!(fields(error), ["reason"]);
}

#[test]
fn a_shipment_names_each_line_once() {
    let id = Uuid::now_v7().to_string();
    let error = NewShipment::try_from(&pb::CreateShipmentRequest {
        request_id: String::new(),
        order_id: Uuid::now_v7().to_string(),
        line_ids: vec![id.clone(), id, "x".to_owned()],
        tracking_number: " ".to_owned(),
        carrier: "DHL".to_owned(),
        warehouse: "East".to_owned(),
    })
    .expect_err("bad shipment");
    assert_eq!(
        fields(error),
        ["tracking_number", "line_ids[1]", "line_ids[2]", "warehouse"]
    );
}

#[test]
fn a_parcel_names_its_warehouse_or_leaves_the_choice() {
    let shipment = |warehouse: &str| pb::CreateShipmentRequest {
        request_id: String::new(),
        order_id: Uuid::now_v7().to_string(),
        tracking_number: "T".to_owned(),
        carrier: "C".to_owned(),
        warehouse: warehouse.to_owned(),
        ..Default::default()
    };
    assert_eq!(
        NewShipment::try_from(&shipment(""))
            .expect("chosen")
            .warehouse,
        None,
        "empty lets the service choose"
    );
    assert_eq!(
        NewShipment::try_from(&shipment("east-1"))
            .expect("named")
            .warehouse
            .map(WarehouseCode::into_string),
        Some("east-1".to_owned())
    );
    assert_eq!(
        fields(NewShipment::try_from(&shipment("east 1")).expect_err("malformed")),
        ["warehouse"]
    );
    let bundle = pb::CreateBundledShipmentRequest {
        order_ids: vec![Uuid::now_v7().to_string(), Uuid::now_v7().to_string()],
        tracking_number: "T".to_owned(),
        carrier: "C".to_owned(),
        warehouse: "-".repeat(33),
        ..Default::default()
    };
    assert_eq!(
        fields(NewBundle::try_from(&bundle).expect_err("too long")),
        ["warehouse"]
    );
}

#[test]
fn a_delivery_address_is_trimmed_and_bounded() {
    let mut request = place(vec![line("A", 1)]);
    request.ship_to_address = "  1 Quay Street  ".to_owned();
    let order = NewOrder::parse(&request, ShipPolicy::AsAvailable).expect("address");
    assert_eq!(order.ship_to_address, "1 Quay Street");
    request.ship_to_address = "x".repeat(MAX_ADDRESS_CHARS + 1);
    assert_eq!(
        fields(NewOrder::parse(&request, ShipPolicy::AsAvailable).expect_err("too long")),
        ["ship_to_address"]
    );
}

#[test]
fn allocation_news_is_complete_or_a_part_with_units() {
    let news = |allocated, waiting| pb::MarkLineAllocatedRequest {
        request_id: Uuid::now_v7().to_string(),
        order_id: Uuid::now_v7().to_string(),
        line_id: Uuid::now_v7().to_string(),
        allocated_quantity: allocated,
        waiting_quantity: waiting,
        warehouse: String::new(),
    };
    assert_eq!(
        LineAllocated::try_from(&news(0, 0))
            .expect("old sender")
            .partial,
        None
    );
    assert_eq!(
        LineAllocated::try_from(&news(3, 0))
            .expect("complete")
            .partial,
        None
    );
    assert_eq!(
        LineAllocated::try_from(&news(2, 1)).expect("part").partial,
        Some(2)
    );
    assert_eq!(
        fields(LineAllocated::try_from(&news(0, 1)).expect_err("a part of nothing")),
        ["allocated_quantity"]
    );
    assert_eq!(
        fields(LineAllocated::try_from(&news(-1, -1)).expect_err("negative")),
        ["allocated_quantity", "waiting_quantity"]
    );
    assert_eq!(
        LineAllocated::try_from(&news(3, 0)).expect("old").warehouse,
        WarehouseCode::default_warehouse(),
        "news sent before warehouses"
    );
    let mut east = news(2, 1);
    east.warehouse = "east".to_owned();
    assert_eq!(
        LineAllocated::try_from(&east)
            .expect("east")
            .warehouse
            .as_str(),
        "east"
    );
    east.warehouse = "EAST".to_owned();
    assert_eq!(
        fields(LineAllocated::try_from(&east).expect_err("malformed")),
        ["warehouse"]
    );
}

#[test]
fn a_bundle_names_two_to_twenty_distinct_orders() {
    let id = Uuid::now_v7().to_string();
    let bundle = |order_ids: Vec<String>| pb::CreateBundledShipmentRequest {
        request_id: Uuid::now_v7().to_string(),
        order_ids,
        tracking_number: "T".to_owned(),
        carrier: "C".to_owned(),
        warehouse: String::new(),
    };
    let ok = NewBundle::try_from(&bundle(vec![id.clone(), Uuid::now_v7().to_string()]))
        .expect("two orders");
    assert_eq!(ok.order_ids.len(), 2);
    assert_eq!(
        fields(NewBundle::try_from(&bundle(vec![id.clone()])).expect_err("one")),
        ["order_ids"]
    );
    assert_eq!(
        fields(NewBundle::try_from(&bundle(vec![id.clone(), id])).expect_err("twice")),
        ["order_ids[1]"]
    );
    let many = (0..=MAX_BUNDLED_ORDERS)
        .map(|_| Uuid::now_v7().to_string())
        .collect();
    assert_eq!(
        fields(NewBundle::try_from(&bundle(many)).expect_err("21")),
        ["order_ids"]
    );
}

fn drop_item(line_id: &str, quantity: i64) -> pb::ShipmentItem {
    pb::ShipmentItem {
        line_id: line_id.to_owned(),
        quantity,
    }
}

fn drop_shipment(items: Vec<pb::ShipmentItem>) -> pb::RecordDropShipmentRequest {
    pb::RecordDropShipmentRequest {
        request_id: Uuid::now_v7().to_string(),
        order_id: Uuid::now_v7().to_string(),
        purchase_order_id: Uuid::now_v7().to_string(),
        carrier: " DHL ".to_owned(),
        tracking_number: "T-1".to_owned(),
        items,
    }
}

#[test]
fn a_drop_shipment_names_its_order_purchase_order_and_lines() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let fine = drop_shipment(vec![
        drop_item(&b.to_string(), 2),
        drop_item(&a.to_string(), MAX_QUANTITY),
    ]);
    let command = DropShipment::try_from(&fine).expect("valid");
    assert_eq!(command.items, [(b, 2), (a, MAX_QUANTITY)], "as named");
    assert_eq!(command.carrier, "DHL", "trimmed");
    assert_eq!(command.tracking_number, "T-1");
    assert_eq!(
        command.purchase_order_id.to_string(),
        fine.purchase_order_id
    );

    let mut bad = drop_shipment(vec![
        drop_item(&a.to_string(), 0),
        drop_item("nope", 1),
        drop_item(&a.to_string(), 1),
        drop_item(&b.to_string(), MAX_QUANTITY + 1),
    ]);
    bad.order_id = "x".to_owned();
    bad.purchase_order_id = String::new();
    bad.carrier = "  ".to_owned();
    bad.tracking_number = "T".repeat(MAX_SHIPPING_TEXT_CHARS + 1);
    assert_eq!(
        fields(DropShipment::try_from(&bad).expect_err("every field wrong")),
        [
            "order_id",
            "purchase_order_id",
            "carrier",
            "tracking_number",
            "items[0].quantity",
            "items[1].line_id",
            "items[2].line_id",
            "items[3].quantity",
        ]
    );
}

#[test]
fn a_drop_shipment_carries_one_to_two_hundred_lines() {
    assert_eq!(
        fields(DropShipment::try_from(&drop_shipment(vec![])).expect_err("none")),
        ["items"]
    );
    let most: Vec<pb::ShipmentItem> = (0..MAX_LINES)
        .map(|_| drop_item(&Uuid::now_v7().to_string(), 1))
        .collect();
    assert_eq!(
        DropShipment::try_from(&drop_shipment(most.clone()))
            .expect("200 lines")
            .items
            .len(),
        MAX_LINES
    );
    let mut past = most;
    past.push(drop_item(&Uuid::now_v7().to_string(), 1));
    assert_eq!(
        fields(DropShipment::try_from(&drop_shipment(past)).expect_err("201")),
        ["items"]
    );
}
