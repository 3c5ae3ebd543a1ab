"""Contract cases of backorder.order.v1.OrderService."""

from __future__ import annotations

import os
import re
import uuid

import grpc
import pytest

from harness import (
    RpcFailed,
    Client,
    assert_enum,
    assert_time_set,
    assert_time_unset,
    assert_uuid,
    check_idempotent,
    check_shape,
    contract,
    contract_case,
    copy_with,
    eventually,
    malformed_request_id,
    rid,
    timestamp,
)
from world import sku

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
EXISTS = grpc.StatusCode.ALREADY_EXISTS
HEX = re.compile(r"^[0-9a-f]+$")
INVENTORY_DOMAIN = "inventory.backorder"


def check_order(o, pb, where="Order"):
    """The documented shape of an Order."""
    check_shape(o, where)
    assert_uuid(o.id, f"{where}.id")
    assert_uuid(o.customer_id, f"{where}.customer_id")
    assert_enum(o, "status", where)
    assert_enum(o, "ship_policy", where)
    assert o.lines, f"{where} has no lines"
    for i, line in enumerate(o.lines):
        lw = f"{where}.lines[{i}]"
        assert_uuid(line.id, f"{lw}.id")
        assert line.sku and line.quantity >= 1
        assert_enum(line, "status", lw)
        if line.status in (pb.LINE_STATUS_SHIPPED, pb.LINE_STATUS_DELIVERED):
            assert_uuid(line.shipment_id, f"{lw}.shipment_id")
        elif line.status in (pb.LINE_STATUS_READY, pb.LINE_STATUS_BACKORDERED):
            assert line.shipment_id == "", f"{lw}.shipment_id set before shipping"
    for s in o.shipments:
        assert s.order_id == o.id
        assert_enum(s, "status", f"{where}.shipments")
        assert_time_set(s, "ship_time", "Shipment")
    assert_time_set(o, "create_time", where)
    assert_time_set(o, "update_time", where)
    assert o.trace_id == "" or HEX.match(o.trace_id), f"{where}.trace_id is not hex: {o.trace_id!r}"


@contract_case("order", "PlaceOrder")
def test_place_order(suite):
    o, pb = suite.order, suite.ord
    in_stock = suite.product("PO-A", "DENY", on_hand=10)
    short = suite.product("PO-B", "ALLOW", on_hand=1)
    customer_id = suite.customer()
    request = suite.place_request(customer_id, [(in_stock, 2), (short, 3)])
    order = check_idempotent(o.PlaceOrder, request, lines=[pb.PlaceOrderLine(sku=in_stock, quantity=3)]).order
    check_order(order, pb)
    assert order.customer_id == customer_id
    assert order.accept_backorders is True
    assert order.ship_policy == pb.SHIP_POLICY_AS_AVAILABLE
    assert order.status == pb.ORDER_STATUS_BACKORDERED
    got = [
        (x.sku, x.quantity, x.reserved_quantity, x.backordered_quantity, x.status)
        for x in order.lines
    ]
    assert got == [
        (in_stock, 2, 2, 0, pb.LINE_STATUS_READY),
        (short, 3, 1, 2, pb.LINE_STATUS_BACKORDERED),
    ], "lines in the order given; each READY or BACKORDERED"
    assert list(order.shipments) == []
    assert (suite.stock(in_stock).reserved, suite.stock(short).backordered) == (2, 2), "reserved once"

    ready = suite.place(customer_id, [(in_stock, 1)], ship_policy="COMPLETE")
    assert ready.status == pb.ORDER_STATUS_READY and ready.ship_policy == pb.SHIP_POLICY_COMPLETE
    # SHIP_POLICY_UNSPECIFIED is treated as AS_AVAILABLE (ShipPolicy's documentation).
    unspecified = o.PlaceOrder(
        copy_with(suite.place_request(customer_id, [(in_stock, 1)]), ship_policy=pb.SHIP_POLICY_UNSPECIFIED)
    ).order
    assert unspecified.ship_policy == pb.SHIP_POLICY_AS_AVAILABLE

    def req(lines=((in_stock, 1),), **over):
        return copy_with(suite.place_request(customer_id, list(lines)), **over)

    o.PlaceOrder.error(INVALID, req(lines=[]), field="lines", why="no lines")
    o.PlaceOrder.error(INVALID, req(lines=[(in_stock, 0)]), field="lines[0].quantity", why="quantity 0")
    o.PlaceOrder.error(INVALID, req(lines=[(in_stock, -1)]), field="lines[0].quantity", why="negative quantity")
    o.PlaceOrder.error(INVALID, req(customer_id="not-a-uuid"), field="customer_id", why="malformed customer id")
    o.PlaceOrder.error(INVALID, req(customer_id=""), field="customer_id", why="missing customer id")
    o.PlaceOrder.error(INVALID, req(ship_policy=7), field="ship_policy", why="unknown ship policy")
    # Refusals from inventory keep inventory's ErrorInfo domain (documented
    # on OrderService).
    unknown = sku("NOPE")
    report = o.PlaceOrder.error(
        NOT_FOUND, req(lines=[(unknown, 1)]), why="unknown SKU", domain=INVENTORY_DOMAIN
    )
    assert unknown in report.message
    # Stockouts refuse the whole order and write nothing.
    deny = suite.product("PO-D", "DENY", on_hand=1)
    report = o.PlaceOrder.error(
        PRECONDITION, req(lines=[(in_stock, 1), (deny, 2)]), precondition=True,
        why="stockout (DENY)", domain=INVENTORY_DOMAIN,
    )
    assert len(report.precondition.violations) == 1, "the violations list the short line"
    assert deny in report.message
    o.PlaceOrder.error(
        PRECONDITION, req(lines=[(short, 5)], accept_backorders=False), precondition=True,
        why="stockout (customer refuses backorders)", domain=INVENTORY_DOMAIN,
    )
    assert suite.stock(deny).reserved == 0
    assert suite.stock(in_stock).reserved == 4
    listed = o.ListOrders(customer_id=customer_id).orders
    assert {x.id for x in listed} == {order.id, ready.id, unspecified.id}, "refusals wrote nothing"
    malformed_request_id(o.PlaceOrder, request)


def test_place_order_unavailable_when_inventory_is_unreachable(suite):
    """PlaceOrder's documented UNAVAILABLE, against a second order service
    whose peers are unreachable (scripts/contract.sh starts it)."""
    address = os.environ.get("CONTRACT_ORDER_NO_PEERS_ADDR")
    if not address:
        pytest.skip("CONTRACT_ORDER_NO_PEERS_ADDR not set (scripts/contract.sh sets it)")
    isolated = Client(contract().services["order"], address)
    try:
        isolated.PlaceOrder.error(
            grpc.StatusCode.UNAVAILABLE,
            suite.place_request(str(uuid.uuid4()), [(sku("ANY"), 1)]),
            why="inventory unreachable",
        )
    finally:
        isolated.close()


@contract_case("order", "GetOrder")
def test_get_order(suite):
    o, pb = suite.order, suite.ord
    customer_id = suite.customer()
    placed = suite.place(customer_id, [(suite.product("GO", "DENY", on_hand=3), 2)])
    got = o.GetOrder(order_id=placed.id).order
    check_order(got, pb)
    assert got.id == placed.id and got.customer_id == customer_id
    assert [x.id for x in got.lines] == [x.id for x in placed.lines]
    assert got.status == pb.ORDER_STATUS_READY

    o.GetOrder.error(INVALID, order_id="xyz", field="order_id", why="malformed id")
    o.GetOrder.error(INVALID, order_id="", why="missing id")
    o.GetOrder.error(NOT_FOUND, order_id=str(uuid.uuid4()), why="unknown order")


@contract_case("order", "ListOrders")
def test_list_orders(suite):
    o, pb = suite.order, suite.ord
    customer_id = suite.customer()
    ready = suite.place(customer_id, [(suite.product("LO", "DENY", on_hand=5), 1)])
    waiting = suite.place(customer_id, [(suite.product("LO-B", "ALLOW"), 1)])

    page = o.ListOrders(customer_id=customer_id)
    check_shape(page)
    assert [x.id for x in page.orders] == [waiting.id, ready.id], "newest first"
    assert page.next_page_token == ""
    for x in page.orders:
        check_order(x, pb)
    assert [x.id for x in o.ListOrders(customer_id=customer_id, status=pb.ORDER_STATUS_READY).orders] == [ready.id]
    assert [
        x.id for x in o.ListOrders(customer_id=customer_id, status=pb.ORDER_STATUS_BACKORDERED).orders
    ] == [waiting.id]
    first = o.ListOrders(customer_id=customer_id, page_size=1)
    assert [x.id for x in first.orders] == [waiting.id] and first.next_page_token
    rest = o.ListOrders(customer_id=customer_id, page_size=1, page_token=first.next_page_token)
    assert [x.id for x in rest.orders] == [ready.id] and rest.next_page_token == ""
    everyone = o.ListOrders(page_size=500).orders
    assert {waiting.id, ready.id} <= {x.id for x in everyone}
    times = [(x.create_time.seconds, x.create_time.nanos) for x in everyone]
    assert times == sorted(times, reverse=True), "newest first"

    o.ListOrders.error(INVALID, customer_id="nope", field="customer_id", why="malformed customer id")
    o.ListOrders.error(INVALID, page_size=-5, field="page_size", why="bad page size")
    o.ListOrders.error(INVALID, page_token="garbage", field="page_token", why="bad page token")


@contract_case("order", "CancelOrder")
def test_cancel_order(suite):
    o, pb = suite.order, suite.ord
    ready_sku = suite.product("CO-A", "DENY", on_hand=5)
    short_sku = suite.product("CO-B", "ALLOW", on_hand=1)
    customer_id = suite.customer()
    placed = suite.place(customer_id, [(ready_sku, 2), (short_sku, 3)])
    request = pb.CancelOrderRequest(request_id=rid(), order_id=placed.id, reason="changed my mind")
    order = check_idempotent(o.CancelOrder, request, reason="other reason").order
    check_order(order, pb)
    assert order.status == pb.ORDER_STATUS_CANCELLED
    assert [x.status for x in order.lines] == [pb.LINE_STATUS_CANCELLED] * 2
    # Reservations are released and the customer is told.
    eventually(
        "reservations released",
        lambda: (suite.stock(ready_sku).reserved, suite.stock(short_sku).reserved, suite.stock(short_sku).backordered)
        == (0, 0, 0),
    )
    states = {r.state for r in suite.inventory.ListReservations(order_id=placed.id).reservations}
    assert states == {suite.inv.RESERVATION_STATE_RELEASED}
    suite.wait_notified(placed.id, suite.notif.NOTIFICATION_EVENT_CANCELLED)

    o.CancelOrder.error(
        PRECONDITION, copy_with(request, request_id=rid()), why="no line can be cancelled"
    )
    o.CancelOrder.error(INVALID, copy_with(request, request_id=rid(), order_id="nope"), field="order_id", why="malformed id")
    o.CancelOrder.error(NOT_FOUND, copy_with(request, request_id=rid(), order_id=str(uuid.uuid4())), why="unknown order")
    malformed_request_id(o.CancelOrder, request)


@contract_case("order", "CancelOrderLine")
def test_cancel_order_line(suite):
    o, pb = suite.order, suite.ord
    code = suite.product("COL", "DENY", on_hand=10)
    placed = suite.place(suite.customer(), [(code, 1), (code, 2), (code, 3)])
    keep, cancel, ship = placed.lines
    request = pb.CancelOrderLineRequest(
        request_id=rid(), order_id=placed.id, line_id=cancel.id, reason="no longer needed"
    )
    order = check_idempotent(o.CancelOrderLine, request, reason="other").order
    check_order(order, pb)
    assert [x.status for x in order.lines] == [
        pb.LINE_STATUS_READY, pb.LINE_STATUS_CANCELLED, pb.LINE_STATUS_READY,
    ]
    assert order.status == pb.ORDER_STATUS_READY
    eventually("reservation released", lambda: suite.stock(code).reserved == 4)
    suite.wait_notified(placed.id, suite.notif.NOTIFICATION_EVENT_CANCELLED, cancel.id)

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    o.CancelOrderLine.error(PRECONDITION, req(), why="the line is cancelled already")
    o.CreateShipment(
        request_id=rid(), order_id=placed.id, line_ids=[ship.id], tracking_number="T-COL", carrier="UPS"
    )
    o.CancelOrderLine.error(PRECONDITION, req(line_id=ship.id), why="the line shipped")
    o.CancelOrderLine.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    o.CancelOrderLine.error(INVALID, req(line_id="nope"), field="line_id", why="malformed line id")
    o.CancelOrderLine.error(NOT_FOUND, req(order_id=str(uuid.uuid4())), why="unknown order")
    o.CancelOrderLine.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="unknown line")
    malformed_request_id(o.CancelOrderLine, request)
    # Read the order as it stands now: the refused calls changed nothing and
    # the shipment took only its own line.
    after = {line.id: line.status for line in o.GetOrder(order_id=placed.id).order.lines}
    assert after == {
        keep.id: pb.LINE_STATUS_READY,
        cancel.id: pb.LINE_STATUS_CANCELLED,
        ship.id: pb.LINE_STATUS_SHIPPED,
    }, after


@contract_case("order", "CreateShipment")
def test_create_shipment(suite):
    o, pb = suite.order, suite.ord
    code = suite.product("CS", "DENY", on_hand=10)
    placed = suite.place(suite.customer(), [(code, 2), (code, 3)])
    first, second = placed.lines
    request = pb.CreateShipmentRequest(
        request_id=rid(), order_id=placed.id, line_ids=[first.id], tracking_number="1Z999", carrier="UPS"
    )
    response = check_idempotent(o.CreateShipment, request, tracking_number="1Z000")
    check_shape(response)
    shipment, order = response.shipment, response.order
    assert_uuid(shipment.id, "Shipment.id")
    assert (shipment.order_id, shipment.tracking_number, shipment.carrier) == (placed.id, "1Z999", "UPS")
    assert list(shipment.line_ids) == [first.id]
    assert shipment.status == pb.SHIPMENT_STATUS_SHIPPED
    assert shipment.warehouse == "default", "a parcel names the warehouse it left from"
    assert [(u.warehouse, u.quantity) for u in order.lines[1].ready_in] == [("default", 3)]
    assert_time_set(shipment, "ship_time", "Shipment")
    assert_time_unset(shipment, "deliver_time", "Shipment")
    check_order(order, pb)
    assert order.status == pb.ORDER_STATUS_PARTIALLY_SHIPPED
    assert [x.status for x in order.lines] == [pb.LINE_STATUS_SHIPPED, pb.LINE_STATUS_READY]
    assert order.lines[0].shipment_id == shipment.id
    assert [s.id for s in order.shipments] == [shipment.id]
    # Stock is issued in inventory and the customer is told.
    eventually("stock issued", lambda: (suite.stock(code).on_hand, suite.stock(code).reserved) == (8, 3))
    told = suite.wait_notified(placed.id, suite.notif.NOTIFICATION_EVENT_SHIPPED)
    assert "1Z999" in told.message

    # No line named: every ready line ships.
    rest = o.CreateShipment(request_id=rid(), order_id=placed.id, tracking_number="1Z998", carrier="UPS")
    assert list(rest.shipment.line_ids) == [second.id]
    assert rest.order.status == pb.ORDER_STATUS_SHIPPED

    def req(**over):
        fields = dict(request_id=rid(), order_id=placed.id, tracking_number="T", carrier="C")
        fields.update(over)
        return pb.CreateShipmentRequest(**fields)

    o.CreateShipment.error(INVALID, req(tracking_number=""), field="tracking_number", why="empty tracking number")
    o.CreateShipment.error(INVALID, req(carrier=""), field="carrier", why="empty carrier")
    o.CreateShipment.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    o.CreateShipment.error(INVALID, req(line_ids=["nope"]), why="malformed line id")
    o.CreateShipment.error(INVALID, req(warehouse="Not A Code"), field="warehouse", why="malformed warehouse")
    o.CreateShipment.error(NOT_FOUND, req(order_id=str(uuid.uuid4())), why="unknown order")
    o.CreateShipment.error(NOT_FOUND, req(line_ids=[str(uuid.uuid4())]), why="unknown line")
    o.CreateShipment.error(PRECONDITION, req(line_ids=[first.id]), why="a named line is not ready (shipped)")
    o.CreateShipment.error(PRECONDITION, req(), why="no line is ready")
    # A named line with no units in the named warehouse.
    elsewhere = suite.place(suite.customer(), [(code, 1)])
    o.CreateShipment.error(
        PRECONDITION, req(order_id=elsewhere.id, line_ids=[elsewhere.lines[0].id], warehouse="nowhere"),
        why="the line has no units in that warehouse",
    )

    waiting = suite.backordered(qty=2)
    o.CreateShipment.error(
        PRECONDITION, req(order_id=waiting["order"].id, line_ids=[waiting["line"].id]),
        why="a named line waits for stock",
    )
    # Ship-complete: nothing ships while a line waits.
    both = suite.place(
        suite.customer(), [(code, 1), (suite.product("CS-W", "ALLOW"), 1)], ship_policy="COMPLETE"
    )
    o.CreateShipment.error(PRECONDITION, req(order_id=both.id), why="ship-complete and a line waits")
    o.CreateShipment.error(
        PRECONDITION, req(order_id=both.id, line_ids=[both.lines[0].id]),
        why="ship-complete and a line waits (ready line named)",
    )
    malformed_request_id(o.CreateShipment, request)


@contract_case("order", "CreateBundledShipment")
def test_create_bundled_shipment(suite):
    o, pb = suite.order, suite.ord
    code = suite.product("BUN", "ALLOW", on_hand=4)
    customer = suite.customer()
    first = suite.place(customer, [(code, 1)], ship_to_address="1 Quay Street")
    second = suite.place(customer, [(code, 1)], ship_to_address="1 Quay Street")
    request = pb.CreateBundledShipmentRequest(
        request_id=rid(), order_ids=[first.id, second.id], tracking_number="PARCEL-9", carrier="DHL"
    )
    response = check_idempotent(o.CreateBundledShipment, request, tracking_number="PARCEL-0")
    check_shape(response)
    assert_uuid(response.bundle_id, "bundle_id")
    assert [s.order_id for s in response.shipments] == [first.id, second.id]
    for shipment in response.shipments:
        assert shipment.bundle_id == response.bundle_id
        assert (shipment.tracking_number, shipment.carrier) == ("PARCEL-9", "DHL")
        assert shipment.status == pb.SHIPMENT_STATUS_SHIPPED
    for order in response.orders:
        check_order(order, pb)
        assert order.status == pb.ORDER_STATUS_SHIPPED
    eventually("stock issued for both", lambda: suite.stock(code).on_hand == 2)
    suite.wait_notified(first.id, suite.notif.NOTIFICATION_EVENT_SHIPPED)

    def req(**over):
        fields = dict(request_id=rid(), order_ids=[first.id, second.id], tracking_number="T", carrier="C")
        fields.update(over)
        return pb.CreateBundledShipmentRequest(**fields)

    o.CreateBundledShipment.error(INVALID, req(order_ids=[first.id]), field="order_ids", why="one order")
    o.CreateBundledShipment.error(
        INVALID, req(order_ids=[first.id, first.id]), field="order_ids[1]", why="an order named twice"
    )
    o.CreateBundledShipment.error(INVALID, req(order_ids=[first.id, "nope"]), why="malformed order id")
    o.CreateBundledShipment.error(INVALID, req(tracking_number=""), field="tracking_number", why="no tracking")
    o.CreateBundledShipment.error(INVALID, req(carrier=""), field="carrier", why="no carrier")
    o.CreateBundledShipment.error(NOT_FOUND, req(order_ids=[first.id, str(uuid.uuid4())]), why="unknown order")
    o.CreateBundledShipment.error(PRECONDITION, req(), why="nothing left to ship")
    third = suite.place(customer, [(code, 1)], ship_to_address="9 Hill Road")
    fourth = suite.place(customer, [(code, 1)], ship_to_address="1 Quay Street")
    o.CreateBundledShipment.error(
        PRECONDITION, req(order_ids=[third.id, fourth.id]), why="different addresses"
    )
    other = suite.place(suite.customer(), [(code, 1)], ship_to_address="1 Quay Street")
    o.CreateBundledShipment.error(
        PRECONDITION, req(order_ids=[fourth.id, other.id]), why="different customers"
    )
    assert not o.GetOrder(order_id=fourth.id).order.shipments, "refused bundles ship nothing"
    malformed_request_id(o.CreateBundledShipment, request)


@contract_case("order", "GetFulfilmentSettings")
def test_get_fulfilment_settings(suite):
    o, pb = suite.order, suite.ord
    settings = o.GetFulfilmentSettings()
    check_shape(settings)
    assert settings.default_ship_policy != pb.SHIP_POLICY_UNSPECIFIED
    if settings.default_ship_policy == pb.SHIP_POLICY_UP_TO_N_SHIPMENTS:
        assert 1 <= settings.default_max_shipments <= 20
    else:
        assert settings.default_max_shipments == 0
    # An order placed without a policy gets the default.
    request = suite.place_request(suite.customer(), [(suite.product("FS", "DENY", on_hand=1), 1)])
    request.ship_policy = pb.SHIP_POLICY_UNSPECIFIED
    order = o.PlaceOrder(request).order
    assert (order.ship_policy, order.max_shipments) == (
        settings.default_ship_policy,
        settings.default_max_shipments,
    )


@contract_case("order", "MarkDelivered")
def test_mark_delivered(suite):
    o, pb = suite.order, suite.ord
    placed = suite.place(suite.customer(), [(suite.product("MD", "DENY", on_hand=2), 1)])
    shipment = o.CreateShipment(
        request_id=rid(), order_id=placed.id, tracking_number="TRK-MD", carrier="DHL"
    ).shipment
    request = pb.MarkDeliveredRequest(request_id=rid(), shipment_id=shipment.id)
    response = check_idempotent(o.MarkDelivered, request, shipment_id=str(uuid.uuid4()))
    check_shape(response)
    assert response.shipment.id == shipment.id
    assert response.shipment.status == pb.SHIPMENT_STATUS_DELIVERED
    assert_time_set(response.shipment, "deliver_time", "Shipment")
    check_order(response.order, pb)
    assert response.order.status == pb.ORDER_STATUS_DELIVERED
    assert [x.status for x in response.order.lines] == [pb.LINE_STATUS_DELIVERED]
    suite.wait_notified(placed.id, suite.notif.NOTIFICATION_EVENT_DELIVERED)

    o.MarkDelivered.error(PRECONDITION, copy_with(request, request_id=rid()), why="already delivered")
    o.MarkDelivered.error(INVALID, request_id=rid(), shipment_id="nope", field="shipment_id", why="malformed id")
    o.MarkDelivered.error(NOT_FOUND, request_id=rid(), shipment_id=str(uuid.uuid4()), why="unknown shipment")
    malformed_request_id(o.MarkDelivered, request)


@contract_case("order", "MarkLineAllocated")
def test_mark_line_allocated(suite):
    o, pb = suite.order, suite.ord
    world = suite.backordered(qty=2)
    order, line = world["order"], world["line"]
    assert line.status == pb.LINE_STATUS_BACKORDERED
    # Inventory allocates the stock (and tells the order service itself);
    # the same move sent again, as inventory would on a retry, is a no-op.
    suite.inventory.AdjustStock(request_id=rid(), sku=world["sku"], delta=2, reason="arrived")
    request = pb.MarkLineAllocatedRequest(request_id=rid(), order_id=order.id, line_id=line.id)
    response = o.MarkLineAllocated(request)
    check_shape(response)
    assert response.line.id == line.id
    assert response.line.status == pb.LINE_STATUS_READY
    assert o.MarkLineAllocated(request) == response, "a retry returns the stored answer"
    repeat = o.MarkLineAllocated(copy_with(request, request_id=rid())).line
    assert repeat.status == pb.LINE_STATUS_READY, "repeats are ignored"
    assert suite.get_order(order.id).status == pb.ORDER_STATUS_READY
    suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_READY, line.id)

    # A stale move (the line was cancelled) is ignored.
    gone = suite.backordered(qty=1)
    o.CancelOrderLine(request_id=rid(), order_id=gone["order"].id, line_id=gone["line"].id)
    stale = o.MarkLineAllocated(
        request_id=rid(), order_id=gone["order"].id, line_id=gone["line"].id
    ).line
    assert stale.status == pb.LINE_STATUS_CANCELLED

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    o.MarkLineAllocated.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    o.MarkLineAllocated.error(INVALID, req(line_id="nope"), field="line_id", why="malformed line id")
    o.MarkLineAllocated.error(NOT_FOUND, req(order_id=str(uuid.uuid4())), why="unknown order")
    o.MarkLineAllocated.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="unknown line")
    malformed_request_id(o.MarkLineAllocated, request)


@contract_case("order", "RecordDropShipment")
def test_record_drop_shipment(suite):
    o, pb = suite.order, suite.ord
    world = suite.drop_shipped(qty=2)
    order, line, po = world["order"], world["line"], world["po"]
    assert line.drop_ship and line.status == pb.LINE_STATUS_BACKORDERED
    # It is the supplier's to ship, not a warehouse's.
    o.CreateShipment.error(
        PRECONDITION,
        request_id=rid(), order_id=order.id, line_ids=[line.id], tracking_number="T", carrier="C",
        why="a drop-ship line never ships from a warehouse",
    )
    # Procurement sends this once the supplier confirms; a retry is the same call.
    request = pb.RecordDropShipmentRequest(
        request_id=rid(), order_id=order.id, purchase_order_id=po.id, carrier="UPS",
        tracking_number="1ZREC0001", items=[pb.ShipmentItem(line_id=line.id, quantity=2)],
    )
    response = check_idempotent(o.RecordDropShipment, request, tracking_number="1ZREC0002")
    check_shape(response)
    shipment = response.shipment
    assert shipment.drop_ship and shipment.warehouse == ""
    assert (shipment.purchase_order_id, shipment.carrier, shipment.tracking_number) == (po.id, "UPS", "1ZREC0001")
    assert [(i.line_id, i.quantity) for i in shipment.items] == [(line.id, 2)]
    assert response.order.lines[0].status == pb.LINE_STATUS_SHIPPED
    assert response.order.status == pb.ORDER_STATUS_SHIPPED
    told = suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_SHIPPED)
    assert "1ZREC0001" in told.message
    # The same purchase order told again (another request id) changes nothing.
    again = o.RecordDropShipment(copy_with(request, request_id=rid())).order
    assert [s.id for s in again.shipments] == [shipment.id]

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    mine = suite.place(suite.customer(), [(suite.product("RDS", "DENY", on_hand=1), 1)])
    o.RecordDropShipment.error(
        PRECONDITION,
        req(order_id=mine.id, items=[pb.ShipmentItem(line_id=mine.lines[0].id, quantity=1)],
            purchase_order_id=str(uuid.uuid4())),
        why="the line is not drop-shipped",
    )
    o.RecordDropShipment.error(INVALID, req(items=[]), field="items", why="no items")
    o.RecordDropShipment.error(INVALID, req(carrier=""), field="carrier", why="empty carrier")
    o.RecordDropShipment.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    o.RecordDropShipment.error(
        NOT_FOUND, req(order_id=str(uuid.uuid4()), purchase_order_id=str(uuid.uuid4())), why="unknown order"
    )
    malformed_request_id(o.RecordDropShipment, request)


@contract_case("order", "UpdateLineEta")
def test_update_line_eta(suite):
    o, pb = suite.order, suite.ord
    world = suite.backordered(qty=2)  # no supplier: only these calls set the ETA
    order, line = world["order"], world["line"]
    eta = timestamp(6 * 86400)
    request = pb.UpdateLineEtaRequest(
        request_id=rid(), order_id=order.id, line_id=line.id, eta=eta, purchase_order_id=str(uuid.uuid4())
    )
    response = check_idempotent(o.UpdateLineEta, request, eta=timestamp(9 * 86400))
    check_shape(response)
    assert response.line.id == line.id and response.line.status == pb.LINE_STATUS_BACKORDERED
    assert response.line.eta.seconds == eta.seconds
    assert suite.get_order(order.id).lines[0].eta.seconds == eta.seconds
    # The customer is told when it is first known and whenever it changes.
    suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_ETA_KNOWN, line.id)
    sooner = timestamp(4 * 86400)
    changed = o.UpdateLineEta(copy_with(request, request_id=rid(), eta=sooner)).line
    assert changed.eta.seconds == sooner.seconds
    suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_ETA_CHANGED, line.id)
    # A later day is a delay: the customer is offered to wait or cancel.
    later = timestamp(8 * 86400)
    slipped = o.UpdateLineEta(copy_with(request, request_id=rid(), eta=later)).line
    assert slipped.eta.seconds == later.seconds
    assert slipped.delay_offer.state == pb.DELAY_OFFER_STATE_OPEN
    assert slipped.delay_offer.previous_eta.seconds == sooner.seconds
    suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_DELAY_OFFERED, line.id)

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    o.UpdateLineEta.error(INVALID, req(eta=None), field="eta", why="missing eta")
    o.UpdateLineEta.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    o.UpdateLineEta.error(INVALID, req(line_id="nope"), field="line_id", why="malformed line id")
    o.UpdateLineEta.error(
        INVALID, req(purchase_order_id="PO-7"), field="purchase_order_id", why="malformed purchase order id"
    )
    o.UpdateLineEta.error(NOT_FOUND, req(order_id=str(uuid.uuid4())), why="unknown order")
    o.UpdateLineEta.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="unknown line")
    malformed_request_id(o.UpdateLineEta, request)



@contract_case("order", "AnswerDelay")
def test_answer_delay(suite):
    o, pb, p = suite.order, suite.ord, suite.procurement
    day = 86400
    # A real slip: two customers wait for a SKU whose supplier acknowledges
    # its purchase order for a date, then for a later one.
    world = suite.backordered(qty=2, supplier={"lead_time_days": 10})
    other = suite.place(suite.customer(), [(world["sku"], 1)])
    waiting, cancelling = world["order"], other
    po = suite.draft_with_demand(world["supplier_id"], 3)
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=po.id)
    promised = timestamp(3 * day)
    p.AcknowledgePurchaseOrder(request_id=rid(), purchase_order_id=po.id, promised_time=promised)

    def line_of(order_id):
        return suite.get_order(order_id).lines[0]

    def wait_line(order_id, what, probe):
        return eventually(f"{what} on order {order_id}", lambda: probe(line_of(order_id)))

    for order_id in (waiting.id, cancelling.id):
        wait_line(order_id, "the acknowledged date", lambda x: x.eta.seconds == promised.seconds)
    later = timestamp(6 * day)
    p.AcknowledgePurchaseOrder(request_id=rid(), purchase_order_id=po.id, promised_time=later)

    def offered(x):
        offer = x.delay_offer
        return offer.state == pb.DELAY_OFFER_STATE_OPEN and offer.new_eta.seconds == later.seconds and offer

    offers = {order_id: wait_line(order_id, "a delay offered", offered) for order_id in (waiting.id, cancelling.id)}
    offer = offers[waiting.id]
    assert offer.previous_eta.seconds == promised.seconds
    assert_time_set(offer, "offer_time", "DelayOffer")
    assert_time_set(offer, "answer_by", "DelayOffer")
    assert_time_unset(offer, "answer_time", "an open DelayOffer")
    assert offer.answer == pb.DELAY_ANSWER_UNSPECIFIED, "unspecified while open"
    hours = o.GetFulfilmentSettings().delay_answer_hours
    assert abs(offer.answer_by.seconds - offer.offer_time.seconds - hours * 3600) <= 1, (
        "answer_by is the merchant's time to answer after the offer"
    )
    line = waiting.lines[0]
    suite.wait_notified(waiting.id, suite.notif.NOTIFICATION_EVENT_DELAY_OFFERED, line.id)

    # Keep waiting for the new date.
    request = pb.AnswerDelayRequest(
        request_id=rid(), order_id=waiting.id, line_id=line.id, answer=pb.DELAY_ANSWER_WAIT
    )
    response = check_idempotent(o.AnswerDelay, request, answer=pb.DELAY_ANSWER_CANCEL)
    check_shape(response)
    check_order(response.order, pb)
    kept = response.order.lines[0]
    assert kept.status == pb.LINE_STATUS_BACKORDERED and kept.eta.seconds == later.seconds
    answered = kept.delay_offer
    assert (answered.state, answered.answer) == (pb.DELAY_OFFER_STATE_ANSWERED, pb.DELAY_ANSWER_WAIT)
    assert answered.new_eta.seconds == later.seconds
    assert_time_set(answered, "answer_time", "an answered DelayOffer")
    assert line_of(waiting.id).delay_offer == answered

    # Cancel the line: as CancelOrderLine cancels it.
    cancel_line = cancelling.lines[0]
    cancelled = o.AnswerDelay(
        request_id=rid(), order_id=cancelling.id, line_id=cancel_line.id, answer=pb.DELAY_ANSWER_CANCEL
    ).order
    check_order(cancelled, pb)
    assert cancelled.lines[0].status == pb.LINE_STATUS_CANCELLED
    assert cancelled.status == pb.ORDER_STATUS_CANCELLED
    assert (cancelled.lines[0].delay_offer.state, cancelled.lines[0].delay_offer.answer) == (
        pb.DELAY_OFFER_STATE_ANSWERED, pb.DELAY_ANSWER_CANCEL,
    )
    eventually(
        "the cancelled line's reservation released",
        lambda: {r.state for r in suite.inventory.ListReservations(order_id=cancelling.id).reservations}
        == {suite.inv.RESERVATION_STATE_RELEASED},
    )
    suite.wait_notified(cancelling.id, suite.notif.NOTIFICATION_EVENT_CANCELLED, cancel_line.id)

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    for order_id, line_id, why in [
        (waiting.id, line.id, "the offer was answered"),
        (cancelling.id, cancel_line.id, "the line was cancelled"),
    ]:
        report = o.AnswerDelay.error(PRECONDITION, req(order_id=order_id, line_id=line_id), why=why)
        assert report.info.reason == "NO_OPEN_DELAY_OFFER", report.info
    never = suite.backordered(qty=1)
    report = o.AnswerDelay.error(
        PRECONDITION, req(order_id=never["order"].id, line_id=never["line"].id), why="no delay was offered"
    )
    assert report.info.reason == "NO_OPEN_DELAY_OFFER", report.info
    o.AnswerDelay.error(INVALID, req(answer=pb.DELAY_ANSWER_UNSPECIFIED), field="answer", why="answer unspecified")
    o.AnswerDelay.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    o.AnswerDelay.error(INVALID, req(line_id="nope"), field="line_id", why="malformed line id")
    o.AnswerDelay.error(NOT_FOUND, req(order_id=str(uuid.uuid4())), why="unknown order")
    o.AnswerDelay.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="unknown line")
    malformed_request_id(o.AnswerDelay, request)
    after = line_of(waiting.id)
    assert after.status == pb.LINE_STATUS_BACKORDERED and after.delay_offer == answered, (
        "refused answers change nothing"
    )


@contract_case("order", "ChangeOrderLine")
def test_change_order_line(suite):
    o, pb = suite.order, suite.ord
    short = suite.product("CHG", "ALLOW")
    in_stock = suite.product("CHG-IN", "DENY", on_hand=5)
    placed = suite.place(suite.customer(), [(short, 3), (short, 5)])
    first, second = placed.lines
    assert [x.status for x in placed.lines] == [pb.LINE_STATUS_BACKORDERED] * 2

    # Another SKU in its place, in stock: the line is ready.
    request = pb.ChangeOrderLineRequest(
        request_id=rid(), order_id=placed.id, line_id=first.id, sku=in_stock
    )
    response = check_idempotent(o.ChangeOrderLine, request, quantity=2)
    check_shape(response)
    order = response.order
    check_order(order, pb)
    changed = order.lines[0]
    assert (changed.id, changed.sku, changed.quantity, changed.status) == (
        first.id, in_stock, 3, pb.LINE_STATUS_READY,
    ), "quantity 0 keeps the line's units"
    assert changed.ready_quantity == 3
    assert [(u.warehouse, u.quantity) for u in changed.ready_in] == [("default", 3)]
    assert order.lines[1].status == pb.LINE_STATUS_BACKORDERED
    assert order.status == pb.ORDER_STATUS_BACKORDERED
    # The new SKU is reserved; the old reservation and its demand released.
    assert (suite.stock(in_stock).reserved, suite.stock(short).backordered) == (3, 5)
    suite.wait_notified(placed.id, suite.notif.NOTIFICATION_EVENT_LINE_CHANGED, first.id)

    # Fewer units of the same SKU.
    reduced = o.ChangeOrderLine(
        request_id=rid(), order_id=placed.id, line_id=second.id, quantity=2
    ).order.lines[1]
    assert (reduced.sku, reduced.quantity, reduced.status) == (short, 2, pb.LINE_STATUS_BACKORDERED)
    assert suite.stock(short).backordered == 2
    suite.wait_notified(placed.id, suite.notif.NOTIFICATION_EVENT_LINE_CHANGED, second.id)
    eventually(
        "procurement's demand follows the lines",
        lambda: sorted(
            (d.line_id, d.quantity, d.released)
            for d in suite.procurement.ListDemands(order_id=placed.id).demands
        )
        == sorted([(first.id, 3, True), (second.id, 2, False)]),
    )

    def req(**over):
        fields = dict(request_id=rid(), order_id=placed.id, line_id=second.id)
        fields.update(over)
        return pb.ChangeOrderLineRequest(**fields)

    report = o.ChangeOrderLine.error(
        PRECONDITION, req(line_id=first.id, quantity=1), why="the line is ready, not backordered"
    )
    assert report.info.reason == "LINE_NOT_BACKORDERED", report.info
    o.ChangeOrderLine.error(
        PRECONDITION, req(sku=suite.product("CHG-D", "DENY", on_hand=1)), precondition=True,
        why="the substitute is short and its policy refuses waiting", domain=INVENTORY_DOMAIN,
    )
    unknown = sku("NOPE")
    report = o.ChangeOrderLine.error(NOT_FOUND, req(sku=unknown), why="unknown SKU", domain=INVENTORY_DOMAIN)
    assert unknown in report.message
    o.ChangeOrderLine.error(NOT_FOUND, req(order_id=str(uuid.uuid4()), quantity=1), why="unknown order")
    o.ChangeOrderLine.error(NOT_FOUND, req(line_id=str(uuid.uuid4()), quantity=1), why="unknown line")
    for over, field, why in [
        ({}, "quantity", "nothing to change"),
        ({"quantity": -1}, "quantity", "negative quantity"),
        ({"quantity": 1_000_001}, "quantity", "quantity over 1,000,000"),
        ({"sku": in_stock, "quantity": 1_000_001}, "quantity", "a substitute's quantity over 1,000,000"),
        ({"quantity": 2}, "quantity", "the same quantity"),
        ({"sku": short, "quantity": 4}, "quantity", "the same SKU with more units"),
        ({"sku": "HAS SPACE", "quantity": 1}, "sku", "a SKU with spaces"),
        ({"order_id": "nope", "quantity": 1}, "order_id", "malformed order id"),
        ({"line_id": "nope", "quantity": 1}, "line_id", "malformed line id"),
    ]:
        o.ChangeOrderLine.error(INVALID, req(**over), field=field, why=why)
    malformed_request_id(o.ChangeOrderLine, request)
    after = suite.get_order(placed.id).lines
    assert [(x.sku, x.quantity, x.status) for x in after] == [
        (in_stock, 3, pb.LINE_STATUS_READY), (short, 2, pb.LINE_STATUS_BACKORDERED),
    ], "refused changes change nothing"

    # Some units shipped: the line keeps its SKU and more than those.
    part = suite.product("CHG-P", "ALLOW", on_hand=1)
    partly = suite.place(suite.customer(), [(part, 3)])
    o.CreateShipment(request_id=rid(), order_id=partly.id, tracking_number="T-CHG", carrier="UPS")
    assert suite.get_order(partly.id).lines[0].shipped_quantity == 1
    for over, why in [({"sku": in_stock}, "a substitute"), ({"quantity": 1}, "down to the shipped units")]:
        report = o.ChangeOrderLine.error(
            PRECONDITION, req(order_id=partly.id, line_id=partly.lines[0].id, **over),
            why=f"some of the line shipped: {why}",
        )
        assert report.info.reason == "LINE_PARTLY_SHIPPED", report.info


@contract_case("order", "GetOrderTimeline")
def test_get_order_timeline(suite):
    o = suite.order
    world = suite.backordered(qty=2, on_hand=1, supplier={"lead_time_days": 4})
    order = world["order"]
    # Wait until every service has something to say about the order. (The
    # date promised at the sale goes with the BACKORDERED notice: no
    # ETA_KNOWN follows when inventory knew the lead time by then.)
    suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_BACKORDERED)

    def probe():
        t = o.GetOrderTimeline(order_id=order.id)
        return {e.service for e in t.events} >= {"order", "inventory", "procurement", "notification"} and t

    timeline = eventually("timeline events from all four services", probe)
    check_shape(timeline)
    assert timeline.order_id == order.id
    assert timeline.trace_id == "" or HEX.match(timeline.trace_id)
    assert list(timeline.unavailable_services) == []
    line_ids = {x.id for x in order.lines}
    for e in timeline.events:
        assert_time_set(e, "time", "TimelineEvent")
        assert e.service in {"inventory", "order", "procurement", "notification"}, e.service
        assert re.match(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", e.event), f"event {e.event!r} not lower_snake_case"
        assert e.line_id == "" or e.line_id in line_ids, e.line_id
    times = [(e.time.seconds, e.time.nanos) for e in timeline.events]
    assert times == sorted(times), "events in time order"

    o.GetOrderTimeline.error(INVALID, order_id="nope", field="order_id", why="malformed id")
    o.GetOrderTimeline.error(NOT_FOUND, order_id=str(uuid.uuid4()), why="unknown order")


@contract_case("order", "GetBackorderStats")
def test_get_backorder_stats(suite):
    o = suite.order
    stocked = suite.product("KPI", "ALLOW", on_hand=10)
    short = suite.product("KPI-S", "ALLOW", on_hand=1)
    customer = suite.customer()
    before = o.GetBackorderStats()
    check_shape(before)
    suite.place(customer, [(stocked, 2)])
    suite.place(customer, [(stocked, 1), (short, 3)])
    after = o.GetBackorderStats()

    def delta(field):
        return getattr(after, field) - getattr(before, field)

    assert (delta("orders_placed"), delta("orders_backordered")) == (2, 1)
    assert (delta("lines_placed"), delta("lines_filled_from_stock")) == (3, 2)
    assert (delta("units_ordered"), delta("units_from_stock")) == (6, 4)
    for part, whole, rate in (
        ("orders_backordered", "orders_placed", "backorder_rate_percent"),
        ("lines_filled_from_stock", "lines_placed", "line_fill_rate_percent"),
        ("units_from_stock", "units_ordered", "unit_fill_rate_percent"),
    ):
        expected = 100.0 * getattr(after, part) / getattr(after, whole)
        assert abs(getattr(after, rate) - expected) < 1e-9, (rate, getattr(after, rate), expected)

    # A refused order is a lost sale, charged to its short line's SKU and reason.
    denied = suite.product("KPI-D", "DENY")
    try:
        o.PlaceOrder(suite.place_request(customer, [(stocked, 1), (denied, 2)]))
        raise AssertionError("a stockout must be refused")
    except RpcFailed as refused:
        assert "FAILED_PRECONDITION" in str(refused), refused
    lost = o.GetBackorderStats()
    assert (lost.orders_refused - after.orders_refused, lost.units_lost - after.units_lost) == (1, 3)
    [mine] = [l for l in lost.lost_sales if l.sku == denied]
    assert (mine.reason, mine.orders, mine.units) == (suite.ord.LOST_SALE_REASON_POLICY_DENIES, 1, 2)
    expected = 100.0 * lost.orders_refused / (lost.orders_refused + lost.orders_placed)
    assert abs(lost.lost_sale_rate_percent - expected) < 1e-9

    future = o.GetBackorderStats(start_time=timestamp(3600))
    assert (future.orders_placed, future.lines_placed, future.backorder_rate_percent) == (0, 0, 0.0)
    o.GetBackorderStats.error(
        INVALID,
        start_time=timestamp(3600),
        end_time=timestamp(60),
        field="end_time",
        why="end before start",
    )
    bad = timestamp(0)
    bad.nanos = 1_000_000_000
    o.GetBackorderStats.error(INVALID, start_time=bad, field="start_time", why="nanos out of range")
