"""Contract cases of backorder.inventory.v1.InventoryService."""

from __future__ import annotations

import time
import uuid

import grpc

from harness import (
    assert_enum,
    assert_time_set,
    assert_uuid,
    check_idempotent,
    check_shape,
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


def _levels(stock):
    return (stock.on_hand, stock.reserved, stock.available, stock.backordered)


@contract_case("inventory", "CreateProduct")
def test_create_product(suite):
    i, pb = suite.inventory, suite.inv
    code = sku("CP")
    request = pb.CreateProductRequest(
        request_id=rid(), sku=code, name="Contract mug", backorder_policy=pb.BACKORDER_POLICY_ALLOW
    )
    product = check_idempotent(i.CreateProduct, request, name="Other name").product
    check_shape(product)
    assert (product.sku, product.name) == (code, "Contract mug")
    assert product.backorder_policy == pb.BACKORDER_POLICY_ALLOW
    assert product.backorder_cap == 0
    # A zero stock level in the default warehouse.
    assert product.HasField("stock")
    assert product.stock.warehouse == "", "the total names no warehouse"
    assert [s.warehouse for s in product.warehouses] == ["default"]
    assert _levels(product.stock) == (0, 0, 0, 0)
    assert_time_set(product, "create_time", "Product")

    capped = i.CreateProduct(
        request_id=rid(),
        sku=sku("CAP"),
        name="Capped",
        backorder_policy=pb.BACKORDER_POLICY_CAPPED,
        backorder_cap=3,
    ).product
    assert (capped.backorder_policy, capped.backorder_cap) == (pb.BACKORDER_POLICY_CAPPED, 3)
    deny = i.CreateProduct(
        request_id=rid(), sku=sku("DNY"), name="Deny", backorder_policy=pb.BACKORDER_POLICY_DENY
    ).product
    assert deny.backorder_policy == pb.BACKORDER_POLICY_DENY

    def bad(why, field=None, **over):
        fields = dict(request_id=rid(), sku=sku("BAD"))
        fields.update(over)
        i.CreateProduct.error(INVALID, copy_with(request, **fields), field=field, why=why)

    bad("empty SKU", field="sku", sku="")
    bad("SKU longer than 64 characters", field="sku", sku="X" * 65)
    bad("empty name", field="name", name="")
    bad("unspecified policy", field="backorder_policy", backorder_policy=pb.BACKORDER_POLICY_UNSPECIFIED)
    bad("unknown policy", field="backorder_policy", backorder_policy=42)
    bad("cap on a non-capped policy", backorder_cap=5)
    bad("CAPPED with cap 0", backorder_policy=pb.BACKORDER_POLICY_CAPPED, backorder_cap=0)
    malformed_request_id(i.CreateProduct, request)
    i.CreateProduct.error(
        EXISTS, copy_with(request, request_id=rid(), name="Again"), why="the SKU exists"
    )


@contract_case("inventory", "GetProduct")
def test_get_product(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("GP", "DENY", on_hand=5)
    product = i.GetProduct(sku=code).product
    check_shape(product)
    assert product.sku == code and product.name
    assert_enum(product, "backorder_policy", "Product")
    assert product.backorder_policy == pb.BACKORDER_POLICY_DENY
    assert product.stock.warehouse == "", "the total names no warehouse"
    assert [s.warehouse for s in product.warehouses] == ["default"]
    assert _levels(product.stock) == (5, 0, 5, 0)
    assert_time_set(product, "create_time", "Product")

    i.GetProduct.error(INVALID, sku="", field="sku", why="empty SKU")
    i.GetProduct.error(NOT_FOUND, sku=sku("NOPE"), why="unknown SKU")


@contract_case("inventory", "ListProducts")
def test_list_products(suite):
    i = suite.inventory
    mine = sorted(suite.product("LP") for _ in range(3))

    # Default page size is 50; every page is sorted and pages follow each other.
    first = i.ListProducts()
    check_shape(first)
    assert len(first.products) <= 50
    listed, token, pages = [], "", 0
    while True:
        page = i.ListProducts(page_size=7, page_token=token)
        assert len(page.products) <= 7
        listed += [p.sku for p in page.products]
        token = page.next_page_token
        pages += 1
        if not token:
            break
        assert len(page.products) == 7, "only the last page is short"
        assert pages < 1000
    assert listed == sorted(listed), "ordered by SKU"
    assert len(listed) == len(set(listed)), "no product twice"
    assert set(mine) <= set(listed)
    assert [p.sku for p in first.products] == listed[: len(first.products)]
    big = i.ListProducts(page_size=100000)
    assert len(big.products) <= 500, "at most 500"

    i.ListProducts.error(INVALID, page_size=-1, field="page_size", why="negative page size")
    i.ListProducts.error(INVALID, page_token="not a token", field="page_token", why="malformed token")


@contract_case("inventory", "AdjustStock")
def test_adjust_stock(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("ADJ", "DENY")
    request = pb.AdjustStockRequest(request_id=rid(), sku=code, delta=5, reason="cycle count")
    response = check_idempotent(i.AdjustStock, request, delta=6)
    check_shape(response)
    assert response.product.sku == code
    assert _levels(response.product.stock) == (5, 0, 5, 0), "adjusted once"
    assert list(response.allocations) == []
    down = i.AdjustStock(request_id=rid(), sku=code, delta=-2, reason="damaged")
    assert _levels(down.product.stock) == (3, 0, 3, 0)

    # Added stock goes to waiting backorders first, oldest first.
    world = suite.backordered(qty=2)
    order, line = world["order"], world["line"]
    filled = i.AdjustStock(request_id=rid(), sku=world["sku"], delta=5, reason="found stock")
    check_shape(filled)
    assert _levels(filled.product.stock) == (5, 2, 3, 0)
    [alloc] = filled.allocations
    assert (alloc.order_id, alloc.line_id, alloc.quantity, alloc.line_complete) == (
        order.id, line.id, 2, True,
    )
    # ... and the order service hears of it: the line becomes READY.
    suite.wait_line_status(order.id, 0, suite.ord.LINE_STATUS_READY)

    # Errors.
    i.AdjustStock.error(INVALID, copy_with(request, request_id=rid(), delta=0), field="delta", why="zero delta")
    i.AdjustStock.error(INVALID, copy_with(request, request_id=rid(), reason=""), field="reason", why="empty reason")
    i.AdjustStock.error(NOT_FOUND, copy_with(request, request_id=rid(), sku=sku("NOPE")), why="unknown SKU")
    held = suite.product("HELD", "DENY", on_hand=5)
    suite.reserve([(held, 3)])
    i.AdjustStock.error(
        PRECONDITION,
        request_id=rid(), sku=held, delta=-3, reason="shrinkage",
        why="removal below what is reserved",
    )
    assert _levels(suite.stock(held)) == (5, 3, 2, 0), "a refused adjustment changes nothing"
    malformed_request_id(i.AdjustStock, request)


@contract_case("inventory", "ReserveOrder")
def test_reserve_order(suite):
    i, pb = suite.inventory, suite.inv
    plenty = suite.product("RSV-A", "DENY", on_hand=10)
    short = suite.product("RSV-B", "ALLOW", on_hand=1)
    order_id = str(uuid.uuid4())
    lines = [
        pb.ReserveLine(line_id=str(uuid.uuid4()), sku=plenty, quantity=2),
        pb.ReserveLine(line_id=str(uuid.uuid4()), sku=short, quantity=3),
    ]
    request = pb.ReserveOrderRequest(
        request_id=rid(), order_id=order_id, accept_backorders=True, lines=lines
    )
    response = check_idempotent(i.ReserveOrder, request, accept_backorders=False)
    check_shape(response)
    assert response.order_id == order_id
    # One outcome per line, in request order.
    got = [(r.line_id, r.sku, r.reserved_quantity, r.backordered_quantity) for r in response.lines]
    assert got == [(lines[0].line_id, plenty, 2, 0), (lines[1].line_id, short, 1, 2)]
    for r in response.lines:
        assert_uuid(r.reservation_id, "LineReservation.reservation_id")
    assert _levels(suite.stock(plenty)) == (10, 2, 8, 0)
    assert _levels(suite.stock(short)) == (1, 1, 0, 2)

    def req(**over):
        fields = dict(
            request_id=rid(),
            order_id=str(uuid.uuid4()),
            accept_backorders=True,
            lines=[pb.ReserveLine(line_id=str(uuid.uuid4()), sku=plenty, quantity=1)],
        )
        fields.update(over)
        return pb.ReserveOrderRequest(**fields)

    def line(**over):
        fields = dict(line_id=str(uuid.uuid4()), sku=plenty, quantity=1)
        fields.update(over)
        return pb.ReserveLine(**fields)

    i.ReserveOrder.error(INVALID, req(lines=[]), field="lines", why="no lines")
    i.ReserveOrder.error(INVALID, req(lines=[line(quantity=0)]), why="quantity 0")
    i.ReserveOrder.error(INVALID, req(lines=[line(quantity=-2)]), why="negative quantity")
    i.ReserveOrder.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    i.ReserveOrder.error(INVALID, req(lines=[line(line_id="nope")]), why="malformed line id")
    same = str(uuid.uuid4())
    i.ReserveOrder.error(
        INVALID, req(lines=[line(line_id=same), line(line_id=same)]), why="a line id repeated"
    )
    i.ReserveOrder.error(NOT_FOUND, req(lines=[line(sku=sku("NOPE"))]), why="unknown SKU")

    # Stockouts: the policy or the customer refuses a backorder; nothing is reserved.
    deny = suite.product("RSV-D", "DENY", on_hand=1)
    capped = suite.product("RSV-C", "CAPPED", on_hand=0, cap=2)
    cases = [
        ("DENY policy short", [line(sku=plenty, quantity=1), line(sku=deny, quantity=2)], True),
        ("customer refuses backorders", [line(sku=short, quantity=1)], False),
        ("CAPPED beyond the cap", [line(sku=capped, quantity=3)], True),
    ]
    for why, lines_, accept in cases:
        report = i.ReserveOrder.error(
            PRECONDITION, req(lines=lines_, accept_backorders=accept), precondition=True, why=why
        )
        assert len(report.precondition.violations) == 1, f"{why}: the one short line is listed"
    assert _levels(suite.stock(plenty)) == (10, 2, 8, 0), "a refused order reserves nothing"
    assert _levels(suite.stock(deny)) == (1, 0, 1, 0)
    assert _levels(suite.stock(capped)) == (0, 0, 0, 0)
    # Within the cap is backordered.
    within = suite.reserve([(capped, 2)]).lines[0]
    assert (within.reserved_quantity, within.backordered_quantity) == (0, 2)
    malformed_request_id(i.ReserveOrder, request)


@contract_case("inventory", "ReceiveStock")
def test_receive_stock(suite):
    i, pb = suite.inventory, suite.inv
    # Two customers wait for the same SKU, in this order.
    world = suite.backordered(qty=3)
    code = world["sku"]
    second = suite.place(suite.customer(), [(code, 4)])
    request = pb.ReceiveStockRequest(
        request_id=rid(), sku=code, quantity=5, purchase_order_id=str(uuid.uuid4())
    )
    response = check_idempotent(i.ReceiveStock, request, quantity=6)
    check_shape(response)
    assert response.product.sku == code
    assert _levels(response.product.stock) == (5, 5, 0, 2), "received once, cross-docked"
    got = [(a.order_id, a.line_id, a.quantity, a.line_complete) for a in response.allocations]
    assert got == [
        (world["order"].id, world["line"].id, 3, True),
        (second.id, second.lines[0].id, 2, False),
    ], "oldest first"
    suite.wait_line_status(world["order"].id, 0, suite.ord.LINE_STATUS_READY)

    plain = i.ReceiveStock(request_id=rid(), sku=suite.product("RCV"), quantity=2)
    assert _levels(plain.product.stock) == (2, 0, 2, 0) and not plain.allocations

    i.ReceiveStock.error(INVALID, copy_with(request, request_id=rid(), quantity=0), field="quantity", why="quantity 0")
    i.ReceiveStock.error(INVALID, copy_with(request, request_id=rid(), quantity=-1), field="quantity", why="negative quantity")
    i.ReceiveStock.error(
        INVALID, copy_with(request, request_id=rid(), purchase_order_id="PO-1"),
        field="purchase_order_id", why="malformed purchase order id",
    )
    i.ReceiveStock.error(NOT_FOUND, copy_with(request, request_id=rid(), sku=sku("NOPE")), why="unknown SKU")
    malformed_request_id(i.ReceiveStock, request)


@contract_case("inventory", "IssueStock")
def test_issue_stock(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("ISS", "DENY", on_hand=10)
    reserved = suite.reserve([(code, 2), (code, 3)])
    order_id = reserved.order_id
    line_ids = [r.line_id for r in reserved.lines]
    request = pb.IssueStockRequest(
        request_id=rid(), order_id=order_id, line_ids=line_ids, shipment_id=str(uuid.uuid4())
    )
    response = check_idempotent(i.IssueStock, request, shipment_id=str(uuid.uuid4()))
    check_shape(response)
    assert response.issued_quantity == 5
    assert _levels(suite.stock(code)) == (5, 0, 5, 0), "taken off the shelf once"
    states = {
        r.line_id: r.state
        for r in i.ListReservations(order_id=order_id).reservations
    }
    assert states == {lid: pb.RESERVATION_STATE_ISSUED for lid in line_ids}

    def req(**over):
        fields = dict(
            request_id=rid(), order_id=order_id, line_ids=line_ids, shipment_id=str(uuid.uuid4())
        )
        fields.update(over)
        return pb.IssueStockRequest(**fields)

    i.IssueStock.error(INVALID, req(line_ids=[]), field="line_ids", why="no lines")
    i.IssueStock.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    i.IssueStock.error(INVALID, req(line_ids=["nope"]), why="malformed line id")
    i.IssueStock.error(INVALID, req(shipment_id="nope"), field="shipment_id", why="malformed shipment id")
    i.IssueStock.error(NOT_FOUND, req(line_ids=[str(uuid.uuid4())]), why="no reservation for the line")
    # A line still waiting for stock, and a released line.
    waiting = suite.reserve([(suite.product("ISS-W", "ALLOW", on_hand=1), 3)])
    i.IssueStock.error(
        PRECONDITION,
        req(order_id=waiting.order_id, line_ids=[waiting.lines[0].line_id]),
        why="the line still waits for stock",
    )
    # By units: the reserved part of a waiting line ships, the line keeps waiting.
    part = pb.IssueLine(line_id=waiting.lines[0].line_id, quantity=1)
    i.IssueStock.error(
        PRECONDITION,
        req(order_id=waiting.order_id, line_ids=[], lines=[pb.IssueLine(line_id=part.line_id, quantity=2)]),
        why="more units than the line holds",
    )
    i.IssueStock.error(INVALID, req(lines=[part]), field="lines", why="both whole lines and units")
    i.IssueStock.error(
        INVALID, req(line_ids=[], lines=[pb.IssueLine(line_id=part.line_id, quantity=0)]),
        field="lines[0].quantity", why="no units",
    )
    by_units = i.IssueStock(req(order_id=waiting.order_id, line_ids=[], lines=[part]))
    assert by_units.issued_quantity == 1
    left = i.ListReservations(order_id=waiting.order_id).reservations[0]
    assert left.state == pb.RESERVATION_STATE_WAITING, "the line keeps waiting for the rest"
    gone = suite.reserve([(code, 1)])
    i.ReleaseReservation(request_id=rid(), order_id=gone.order_id, line_id=gone.lines[0].line_id)
    i.IssueStock.error(
        PRECONDITION,
        req(order_id=gone.order_id, line_ids=[gone.lines[0].line_id]),
        why="the line was released",
    )
    malformed_request_id(i.IssueStock, request)


@contract_case("inventory", "ReleaseReservation")
def test_release_reservation(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("REL", "DENY", on_hand=10)
    held = suite.reserve([(code, 4)])
    request = pb.ReleaseReservationRequest(
        request_id=rid(), order_id=held.order_id, line_id=held.lines[0].line_id
    )
    response = check_idempotent(i.ReleaseReservation, request, line_id=str(uuid.uuid4()))
    check_shape(response)
    assert (response.released_reserved, response.released_waiting) == (4, 0)
    assert _levels(suite.stock(code)) == (10, 0, 10, 0), "released once"
    [r] = i.ListReservations(order_id=held.order_id).reservations
    assert r.state == pb.RESERVATION_STATE_RELEASED

    # A partly backordered line: its waiting units leave the queue.
    partly_sku = suite.product("REL-W", "ALLOW", on_hand=1)
    partly = suite.reserve([(partly_sku, 3)])
    out = i.ReleaseReservation(
        request_id=rid(), order_id=partly.order_id, line_id=partly.lines[0].line_id
    )
    assert (out.released_reserved, out.released_waiting) == (1, 2)
    assert _levels(suite.stock(partly_sku)) == (1, 0, 1, 0)

    # Released stock goes to waiting backorders first. (Real orders: the
    # allocation is told to the order service.)
    queue_sku = suite.product("REL-Q", "ALLOW", on_hand=2)
    holder = suite.place(suite.customer(), [(queue_sku, 2)])
    waiter = suite.place(suite.customer(), [(queue_sku, 2)])
    assert waiter.lines[0].status == suite.ord.LINE_STATUS_BACKORDERED
    freed = i.ReleaseReservation(request_id=rid(), order_id=holder.id, line_id=holder.lines[0].id)
    assert (freed.released_reserved, freed.released_waiting) == (2, 0)
    assert _levels(suite.stock(queue_sku)) == (2, 2, 0, 0)
    suite.wait_line_status(waiter.id, 0, suite.ord.LINE_STATUS_READY)

    def req(**over):
        fields = dict(request_id=rid(), order_id=held.order_id, line_id=held.lines[0].line_id)
        fields.update(over)
        return pb.ReleaseReservationRequest(**fields)

    i.ReleaseReservation.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    i.ReleaseReservation.error(INVALID, req(line_id="nope"), field="line_id", why="malformed line id")
    i.ReleaseReservation.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="no reservation for the line")
    shipped = suite.reserve([(code, 1)])
    i.IssueStock(
        request_id=rid(), order_id=shipped.order_id, line_ids=[shipped.lines[0].line_id],
        shipment_id=str(uuid.uuid4()),
    )
    i.ReleaseReservation.error(
        PRECONDITION,
        req(order_id=shipped.order_id, line_id=shipped.lines[0].line_id),
        why="the line was already shipped",
    )
    malformed_request_id(i.ReleaseReservation, request)


@contract_case("inventory", "ListReservations")
def test_list_reservations(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("LR", "DENY", on_hand=10)
    held = suite.reserve([(code, 2), (code, 1)])
    of_order = i.ListReservations(order_id=held.order_id)
    check_shape(of_order)
    assert of_order.next_page_token == ""
    by_line = {r.line_id: r for r in of_order.reservations}
    assert set(by_line) == {x.line_id for x in held.lines}
    for x in held.lines:
        r = by_line[x.line_id]
        assert r.id == x.reservation_id
        assert (r.order_id, r.sku, r.quantity, r.reserved_quantity, r.waiting_quantity) == (
            held.order_id, code, x.reserved_quantity, x.reserved_quantity, 0,
        )
        assert r.state == pb.RESERVATION_STATE_ALLOCATED
        assert_time_set(r, "create_time", "Reservation")
        assert_time_set(r, "update_time", "Reservation")

    # The waiting queue of a SKU, in allocation order (arrival order).
    queue_sku = suite.product("LR-Q", "ALLOW")
    waiting = [suite.reserve([(queue_sku, q)]) for q in (3, 1, 2)]
    queue = i.ListReservations(sku=queue_sku).reservations
    assert [(r.order_id, r.waiting_quantity) for r in queue] == [
        (w.order_id, q) for w, q in zip(waiting, (3, 1, 2))
    ]
    for r in queue:
        assert_enum(r, "state", "Reservation")
        assert r.state == pb.RESERVATION_STATE_WAITING
    page = i.ListReservations(sku=queue_sku, page_size=2)
    assert len(page.reservations) == 2 and page.next_page_token
    rest = i.ListReservations(sku=queue_sku, page_size=2, page_token=page.next_page_token)
    assert [r.id for r in page.reservations] + [r.id for r in rest.reservations] == [
        r.id for r in queue
    ]
    assert rest.next_page_token == ""

    i.ListReservations.error(INVALID, why="neither filter")
    i.ListReservations.error(INVALID, order_id=held.order_id, sku=code, why="both filters")
    i.ListReservations.error(INVALID, order_id="nope", field="order_id", why="malformed order id")
    i.ListReservations.error(INVALID, sku=code, page_token="%%%", field="page_token", why="bad page token")


@contract_case("inventory", "ListBacklog")
def test_list_backlog(suite):
    i = suite.inventory
    short = suite.product("BL", "ALLOW", on_hand=1)
    empty = suite.product("BL-E", "ALLOW")
    suite.reserve([(short, 3)])
    suite.reserve([(empty, 2)])
    suite.reserve([(empty, 1)])

    def scan():
        entries, token, pages = [], "", []
        while True:
            page = i.ListBacklog(page_size=2, page_token=token)
            check_shape(page)
            pages.append(page)
            entries.extend(page.entries)
            token = page.next_page_token
            if not token:
                return entries, pages

    # Earlier cases' messages may still move stock between two pages; take a
    # scan during which the backlog held still.
    for _ in range(20):
        entries, pages = scan()
        if all(
            (p.total_waiting_lines, p.total_waiting_units)
            == (sum(e.waiting_lines for e in entries), sum(e.waiting_units for e in entries))
            for p in pages
        ):
            break
        time.sleep(0.1)
    skus = [e.sku for e in entries]
    assert skus == sorted(skus) and len(set(skus)) == len(skus), "in SKU order, each once"
    by_sku = {e.sku: e for e in entries}
    assert (by_sku[short].waiting_lines, by_sku[short].waiting_units) == (1, 2)
    assert (by_sku[empty].waiting_lines, by_sku[empty].waiting_units) == (2, 3)
    for e in entries:
        assert_time_set(e, "oldest_waiting_since", "BacklogEntry")
    for page in pages:
        # The totals cover the whole backlog on every page.
        assert page.total_waiting_lines == sum(e.waiting_lines for e in entries)
        assert page.total_waiting_units == sum(e.waiting_units for e in entries)
        assert_time_set(page, "oldest_waiting_since", "ListBacklogResponse")
        assert page.oldest_waiting_since == min(
            (e.oldest_waiting_since for e in entries), key=lambda t: (t.seconds, t.nanos)
        )

    i.ListBacklog.error(INVALID, page_size=-1, field="page_size", why="negative page size")
    i.ListBacklog.error(INVALID, page_token="%%%", field="page_token", why="bad page token")


@contract_case("inventory", "SetBackorderPriority")
def test_set_backorder_priority(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("PRI", "ALLOW")
    first, second = suite.reserve([(code, 1)]), suite.reserve([(code, 2)])
    line = second.lines[0].line_id
    request = pb.SetBackorderPriorityRequest(
        request_id=rid(), order_id=second.order_id, line_id=line, priority=5, reason="customer tier: gold"
    )
    reservation = check_idempotent(i.SetBackorderPriority, request, priority=6).reservation
    check_shape(reservation)
    assert (reservation.line_id, reservation.priority, reservation.priority_reason) == (
        line, 5, "customer tier: gold",
    )
    assert reservation.state == pb.RESERVATION_STATE_WAITING
    queue = i.ListReservations(sku=code).reservations
    assert [r.order_id for r in queue] == [second.order_id, first.order_id], "priority goes first"
    assert [r.priority for r in queue] == [5, 0]

    def req(**over):
        fields = dict(request_id=rid(), order_id=second.order_id, line_id=line, priority=1, reason="why")
        fields.update(over)
        return pb.SetBackorderPriorityRequest(**fields)

    i.SetBackorderPriority.error(INVALID, req(priority=-1), field="priority", why="below 0")
    i.SetBackorderPriority.error(INVALID, req(priority=1001), field="priority", why="above 1000")
    i.SetBackorderPriority.error(INVALID, req(reason=" "), field="reason", why="no reason")
    i.SetBackorderPriority.error(INVALID, req(reason="x" * 201), field="reason", why="reason too long")
    i.SetBackorderPriority.error(INVALID, req(order_id="nope"), field="order_id", why="malformed order id")
    i.SetBackorderPriority.error(INVALID, req(line_id="nope"), field="line_id", why="malformed line id")
    i.SetBackorderPriority.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="no reservation for the line")
    held = suite.reserve([(suite.product("PRI-S", "DENY", on_hand=3), 1)])
    i.SetBackorderPriority.error(
        PRECONDITION,
        req(order_id=held.order_id, line_id=held.lines[0].line_id),
        why="the line does not wait for stock",
    )
    malformed_request_id(i.SetBackorderPriority, request)


def _warehouse_code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contract_case("inventory", "CreateWarehouse")
def test_create_warehouse(suite):
    i, pb = suite.inventory, suite.inv
    code = _warehouse_code("cw")
    request = pb.CreateWarehouseRequest(request_id=rid(), code=code, name="North hub", rank=5)
    created = check_idempotent(i.CreateWarehouse, request, rank=6).warehouse
    check_shape(created)
    assert (created.code, created.name, created.rank) == (code, "North hub", 5)
    assert_time_set(created, "create_time")

    # Stock goes into it by name; the product shows each warehouse's shelf.
    item = suite.product("CW", "DENY")
    moved = i.AdjustStock(request_id=rid(), sku=item, delta=4, reason="opening count", warehouse=code)
    shelves = {s.warehouse: (s.on_hand, s.reserved) for s in moved.product.warehouses}
    assert shelves == {"default": (0, 0), code: (4, 0)}
    assert moved.product.stock.warehouse == "", "the total names no warehouse"
    assert _levels(moved.product.stock) == (4, 0, 4, 0)
    # An order takes it from there and says so.
    [line] = suite.reserve([(item, 3)]).lines
    assert [(p.warehouse, p.quantity) for p in line.reserved_from] == [(code, 3)]

    i.CreateWarehouse.error(
        EXISTS, copy_with(request, request_id=rid()), why="the code exists"
    )
    for fields, field, why in [
        ({"code": "Has Space"}, "code", "malformed code"),
        ({"code": ""}, "code", "empty code"),
        ({"code": "x" * 33}, "code", "code over 32 characters"),
        ({"name": " "}, "name", "blank name"),
        ({"rank": -1}, "rank", "rank below 0"),
        ({"rank": 1001}, "rank", "rank above 1000"),
    ]:
        i.CreateWarehouse.error(
            INVALID, copy_with(request, request_id=rid(), **fields), field=field, why=why
        )
    i.AdjustStock.error(
        NOT_FOUND,
        request_id=rid(), sku=item, delta=1, reason="count", warehouse=_warehouse_code("none"),
        why="unknown warehouse",
    )
    i.AdjustStock.error(
        INVALID,
        request_id=rid(), sku=item, delta=1, reason="count", warehouse="Bad Code",
        field="warehouse", why="malformed warehouse",
    )
    malformed_request_id(i.CreateWarehouse, request)


@contract_case("inventory", "ListWarehouses")
def test_list_warehouses(suite):
    i, pb = suite.inventory, suite.inv
    mine = [_warehouse_code("lw") for _ in range(3)]
    for rank, code in zip((999, 998, 997), mine):
        i.CreateWarehouse(request_id=rid(), code=code, name=code, rank=rank)
    listed, token, pages = [], "", 0
    while True:
        page = i.ListWarehouses(page_size=2, page_token=token)
        check_shape(page)
        assert len(page.warehouses) <= 2
        listed += [(w.rank, w.code) for w in page.warehouses]
        token = page.next_page_token
        pages += 1
        if not token:
            break
        assert pages < 1000
    assert listed == sorted(listed), "in rank order, ties by code"
    assert len(listed) == len(set(listed)), "no warehouse twice"
    codes = [code for _, code in listed]
    assert "default" in codes
    assert [c for c in codes if c in mine] == list(reversed(mine)), "lowest rank first"
    i.ListWarehouses.error(INVALID, page_size=-1, field="page_size", why="negative page size")
    i.ListWarehouses.error(INVALID, page_token="not a token", field="page_token", why="malformed token")


@contract_case("inventory", "SetDropShip")
def test_set_drop_ship(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("SDS", "DENY", on_hand=1)
    request = pb.SetDropShipRequest(request_id=rid(), sku=code, drop_ship=True)
    product = check_idempotent(i.SetDropShip, request, drop_ship=False).product
    check_shape(product)
    assert product.sku == code and product.drop_ship
    assert i.GetProduct(sku=code).product.drop_ship

    # A line stock can fill is reserved; one it can't goes whole to the
    # supplier when the order has an address, and takes nothing.
    def reserve(qty, address):
        return i.ReserveOrder(
            request_id=rid(), order_id=str(uuid.uuid4()), accept_backorders=True,
            ship_to_address=address,
            lines=[pb.ReserveLine(line_id=str(uuid.uuid4()), sku=code, quantity=qty)],
        ).lines[0]

    short = reserve(3, "1 Quay Street")
    assert (short.reserved_quantity, short.backordered_quantity, short.drop_ship_quantity) == (0, 0, 3)
    assert _levels(suite.stock(code)) == (1, 0, 1, 0), "nothing taken from stock"
    filled = reserve(1, "1 Quay Street")
    assert (filled.reserved_quantity, filled.drop_ship_quantity) == (1, 0)
    # Off again: a short line is a stockout under the DENY policy.
    i.SetDropShip(request_id=rid(), sku=code, drop_ship=False)
    i.ReserveOrder.error(
        PRECONDITION,
        request_id=rid(), order_id=str(uuid.uuid4()), accept_backorders=True, ship_to_address="1 Quay Street",
        lines=[pb.ReserveLine(line_id=str(uuid.uuid4()), sku=code, quantity=3)],
        why="not drop-shipped any more: a stockout",
    )

    i.SetDropShip.error(INVALID, copy_with(request, request_id=rid(), sku=""), field="sku", why="empty SKU")
    i.SetDropShip.error(NOT_FOUND, copy_with(request, request_id=rid(), sku=sku("NOPE")), why="unknown SKU")
    undo = i.SetDropShip(request_id=rid(), sku=sku("NOPE"), drop_ship=False)
    assert not undo.HasField("product"), "nothing to undo for a SKU not stocked"

    malformed_request_id(i.SetDropShip, request)


@contract_case("inventory", "GetDemandHistory")
def test_get_demand_history(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("DH", "ALLOW", on_hand=2, price=250)
    suite.reserve([(code, 3)])
    suite.reserve([(code, 1)])
    request = pb.GetDemandHistoryRequest(skus=[code, sku("DH-NONE")], days=5)
    answer = i.GetDemandHistory(request)
    check_shape(answer)
    [mine] = answer.skus
    assert mine.sku == code
    assert list(mine.daily_units) == [0, 0, 0, 0, 4], "today's orders on the last day"
    assert (mine.available, mine.backlog_units) == (0, 2)
    # The same backlog is worth its units at the product's price.
    entry = None
    for page_token in _backlog_tokens(i):
        for e in i.ListBacklog(page_size=500, page_token=page_token).entries:
            if e.sku == code:
                entry = e
    assert entry is not None and entry.waiting_value_minor == 2 * 250
    assert i.GetProduct(sku=code).product.price_minor == 250

    i.GetDemandHistory.error(INVALID, skus=[], days=5, field="skus", why="no SKUs")
    i.GetDemandHistory.error(INVALID, skus=[code], days=0, field="days", why="no days")
    i.GetDemandHistory.error(INVALID, skus=[code], days=366, field="days", why="more than a year")
    i.GetDemandHistory.error(INVALID, skus=[code, code], days=5, field="skus[1]", why="a SKU twice")
    i.CreateProduct.error(
        INVALID,
        request_id=rid(), sku=sku("DH-P"), name="priced", backorder_policy=pb.BACKORDER_POLICY_ALLOW,
        price_minor=-1, field="price_minor", why="negative price",
    )


def _backlog_tokens(i):
    token, tokens = "", [""]
    while True:
        token = i.ListBacklog(page_size=500, page_token=token).next_page_token
        if not token:
            return tokens
        tokens.append(token)


@contract_case("inventory", "SetInboundSupply")
def test_set_inbound_supply(suite):
    i, pb = suite.inventory, suite.inv
    code = suite.product("SIS", "ALLOW")
    day = 86_400

    def lot(po, qty, days, confirmed):
        return pb.InboundLot(
            purchase_order_id=po, quantity=qty, expected_time=timestamp(days * day), confirmed=confirmed
        )

    # No line waits yet: the snapshot is stored and moves no promise (a
    # promise that moved would be news for the order service, and these
    # orders are made up).
    request = pb.SetInboundSupplyRequest(
        request_id=rid(), sku=code, revision=1, lots=[lot("po-late", 5, 9, False), lot("po-soon", 2, 4, True)],
        lead_time_days=20,
    )
    answer = check_idempotent(i.SetInboundSupply, request, revision=2)
    check_shape(answer)
    assert (answer.applied, answer.repromised_lines) == (True, 0)
    product = i.GetProduct(sku=code).product
    assert (product.inbound_quantity, product.lead_time_days) == (7, 20)
    # Lines are promised the lots in queue order, earliest lot first.
    now = time.time()
    first = suite.reserve([(code, 2)]).lines[0]
    assert round((first.promised_from.seconds - now) / day) == 4
    assert first.promised_from == first.promised_to, "a confirmed date is one day"
    second = suite.reserve([(code, 3)]).lines[0]
    assert round((second.promised_from.seconds - now) / day) == 9
    assert second.promised_to.seconds > second.promised_from.seconds, "an estimate is a range"
    # An older (or the same) revision arriving late changes nothing.
    stale = i.SetInboundSupply(copy_with(request, request_id=rid(), lots=[]))
    assert (stale.applied, stale.repromised_lines) == (False, 0)
    assert i.GetProduct(sku=code).product.inbound_quantity == 7

    def bad(field, why, **over):
        i.SetInboundSupply.error(INVALID, copy_with(request, request_id=rid(), **over), field=field, why=why)

    bad("sku", "empty SKU", sku="")
    bad("revision", "revision 0", revision=0)
    bad("lead_time_days", "negative lead time", lead_time_days=-1)
    bad("lots[0].quantity", "a lot of 0 units", lots=[lot("po", 0, 1, True)])
    bad("lots[0].expected_time", "a lot without a date", lots=[pb.InboundLot(purchase_order_id="po", quantity=1)])
    i.SetInboundSupply.error(
        NOT_FOUND, copy_with(request, request_id=rid(), sku=sku("NOPE")), why="unknown SKU"
    )
    malformed_request_id(i.SetInboundSupply, request)

    # A product capped by inbound supply refuses what no inbound unit (or
    # margin) covers, naming the earliest date it could promise.
    capped = sku("SIS-IN")
    i.CreateProduct(
        request_id=rid(), sku=capped, name="Inbound-capped", backorder_policy=pb.BACKORDER_POLICY_INBOUND,
        inbound_margin=1,
    )
    i.SetInboundSupply(request_id=rid(), sku=capped, revision=1, lots=[lot("po", 2, 5, True)], lead_time_days=12)
    assert suite.reserve([(capped, 3)]).lines[0].backordered_quantity == 3
    refused = i.ReserveOrder.error(
        PRECONDITION,
        request_id=rid(), order_id=str(uuid.uuid4()), accept_backorders=True,
        lines=[pb.ReserveLine(line_id=str(uuid.uuid4()), sku=capped, quantity=1)],
        precondition=True, why="beyond the inbound units and the margin",
    )
    expected = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 12 * day))
    assert refused.info.metadata["earliest_promise_date"] == expected, refused.info
    assert refused.precondition.violations[0].type == "CAP_REACHED"
    i.CreateProduct.error(
        INVALID,
        request_id=rid(), sku=sku("SIS-M"), name="margin elsewhere", backorder_policy=pb.BACKORDER_POLICY_ALLOW,
        inbound_margin=2, field="inbound_margin", why="a margin without the INBOUND policy",
    )


@contract_case("inventory", "ChangeReservation")
def test_change_reservation(suite):
    i, pb = suite.inventory, suite.inv
    day = 86_400
    # Made-up orders, so no change here may send the order service news of
    # them: every line has a SKU of its own (no other line waits there to be
    # given stock) that no supplier offers (no promise moves), and the
    # answer carries what the order service would need.
    code = suite.product("CR", "ALLOW", on_hand=2)
    held = suite.reserve([(code, 4)])
    [line] = held.lines
    assert (line.reserved_quantity, line.backordered_quantity) == (2, 2)
    request = pb.ChangeReservationRequest(
        request_id=rid(), order_id=held.order_id, line_id=line.line_id, sku=code, quantity=3,
        accept_backorders=True,
    )
    reduced = check_idempotent(i.ChangeReservation, request, quantity=2).line
    check_shape(reduced)
    assert (reduced.line_id, reduced.sku, reduced.reservation_id) == (line.line_id, code, line.reservation_id)
    assert (reduced.reserved_quantity, reduced.backordered_quantity) == (2, 1), "waiting units go first"
    assert _levels(suite.stock(code)) == (2, 2, 0, 1), "changed once"
    # Then reserved ones: the line waits for nothing more.
    done = i.ChangeReservation(copy_with(request, request_id=rid(), quantity=1)).line
    assert (done.reserved_quantity, done.backordered_quantity) == (1, 0)
    assert [(u.warehouse, u.quantity) for u in done.reserved_from] == [("default", 1)]
    assert _levels(suite.stock(code)) == (2, 1, 1, 0)
    [r] = i.ListReservations(order_id=held.order_id).reservations
    assert (r.quantity, r.reserved_quantity, r.waiting_quantity, r.state) == (
        1, 1, 0, pb.RESERVATION_STATE_ALLOCATED,
    )
    # The demand it raised on procurement shrank, then was released.
    eventually(
        "the line's demand released",
        lambda: [(d.quantity, d.released) for d in suite.procurement.ListDemands(order_id=held.order_id).demands]
        == [(1, True)],
    )

    # Another SKU in its place: in stock, it is reserved at once; the old
    # reservation goes back to stock.
    old = suite.product("CR-O", "ALLOW", on_hand=1)
    in_stock = suite.product("CR-N", "DENY", on_hand=5)
    waiting = suite.reserve([(old, 3)])
    [before] = waiting.lines
    swapped = i.ChangeReservation(
        request_id=rid(), order_id=waiting.order_id, line_id=before.line_id, sku=in_stock, quantity=3,
    ).line
    assert (swapped.sku, swapped.reserved_quantity, swapped.backordered_quantity) == (in_stock, 3, 0)
    assert swapped.reservation_id != before.reservation_id, "a new reservation"
    assert_uuid(swapped.reservation_id, "LineReservation.reservation_id")
    assert not swapped.HasField("promised_from"), "nothing waits"
    assert _levels(suite.stock(old)) == (1, 0, 1, 0)
    assert _levels(suite.stock(in_stock)) == (5, 3, 2, 0)
    # Short, it waits like a placed line, promised from the lead time.
    dated = suite.product("CR-L", "ALLOW")
    i.SetInboundSupply(request_id=rid(), sku=dated, revision=1, lead_time_days=12)
    source = suite.product("CR-S", "ALLOW")
    queued = suite.reserve([(source, 2)])
    now = time.time()
    late = i.ChangeReservation(
        request_id=rid(), order_id=queued.order_id, line_id=queued.lines[0].line_id, sku=dated, quantity=2,
        accept_backorders=True,
    ).line
    assert (late.sku, late.reserved_quantity, late.backordered_quantity) == (dated, 0, 2)
    assert round((late.promised_from.seconds - now) / day) == 12
    assert late.promised_to.seconds > late.promised_from.seconds, "an estimate is a range"
    assert (suite.stock(source).backordered, suite.stock(dated).backordered) == (0, 2)

    # Refusals change nothing.
    short = suite.product("CR-W", "ALLOW")
    open_line = suite.reserve([(short, 2)])
    target = open_line.lines[0]

    def req(**over):
        fields = dict(
            request_id=rid(), order_id=open_line.order_id, line_id=target.line_id, sku=short, quantity=1,
            accept_backorders=True,
        )
        fields.update(over)
        return pb.ChangeReservationRequest(**fields)

    for over, field, why in [
        ({"order_id": "nope"}, "order_id", "malformed order id"),
        ({"line_id": "nope"}, "line_id", "malformed line id"),
        ({"sku": ""}, "sku", "empty SKU"),
        ({"quantity": 0}, "quantity", "quantity 0"),
        ({"quantity": 1_000_001}, "quantity", "quantity over 1,000,000"),
        ({"quantity": 2}, "quantity", "nothing changed"),
        ({"quantity": 3}, "quantity", "the same SKU with more units"),
    ]:
        i.ChangeReservation.error(INVALID, req(**over), field=field, why=why)
    i.ChangeReservation.error(NOT_FOUND, req(line_id=str(uuid.uuid4())), why="no reservation for the line")
    i.ChangeReservation.error(NOT_FOUND, req(sku=sku("NOPE")), why="unknown substitute SKU")
    i.ChangeReservation.error(
        PRECONDITION, req(order_id=held.order_id, line_id=line.line_id, sku=code), why="the line no longer waits"
    )
    i.ChangeReservation.error(
        PRECONDITION, req(sku=suite.product("CR-D", "DENY", on_hand=1), quantity=2), precondition=True,
        why="the substitute is short and its policy refuses waiting",
    )
    i.ChangeReservation.error(
        PRECONDITION, req(sku=suite.product("CR-A", "ALLOW"), quantity=2, accept_backorders=False),
        precondition=True, why="the substitute is short and the customer refuses waiting",
    )
    malformed_request_id(i.ChangeReservation, request)
    [still] = i.ListReservations(order_id=open_line.order_id).reservations
    assert (still.sku, still.quantity, still.waiting_quantity, still.state) == (
        short, 2, 2, pb.RESERVATION_STATE_WAITING,
    )
    assert _levels(suite.stock(short)) == (0, 0, 0, 2)
