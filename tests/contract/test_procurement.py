"""Contract cases of backorder.procurement.v1.ProcurementService."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest

from harness import (
    assert_enum,
    assert_time_set,
    assert_time_unset,
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
DAY = 86400


def check_po(po, where="PurchaseOrder"):
    check_shape(po, where)
    assert_uuid(po.id, f"{where}.id")
    assert_uuid(po.supplier_id, f"{where}.supplier_id")
    assert_enum(po, "status", where)
    assert_time_set(po, "create_time", where)
    assert_time_set(po, "update_time", where)


def _supplied_world(suite, qty=3, lead=5, moq=10, case_pack=5):
    """A backordered order whose demand sits on a draft purchase order."""
    world = suite.backordered(qty=qty, supplier={"lead_time_days": lead, "moq": moq, "case_pack": case_pack})
    world["po"] = suite.draft_with_demand(world["supplier_id"], qty)
    return world


def _acknowledged(suite, world, days=3):
    p = suite.procurement
    po_id = world["po"].id
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=po_id)
    return p.AcknowledgePurchaseOrder(
        request_id=rid(), purchase_order_id=po_id, promised_time=timestamp(days * DAY)
    ).purchase_order


@contract_case("procurement", "CreateSupplier")
def test_create_supplier(suite):
    p, pb = suite.procurement, suite.proc
    request = pb.CreateSupplierRequest(request_id=rid(), name="Acme Contract Co", lead_time_days=7)
    supplier = check_idempotent(p.CreateSupplier, request, lead_time_days=8).supplier
    check_shape(supplier)
    assert_uuid(supplier.id, "Supplier.id")
    assert (supplier.name, supplier.lead_time_days) == ("Acme Contract Co", 7)
    assert list(supplier.items) == []
    assert_time_set(supplier, "create_time", "Supplier")
    zero = p.CreateSupplier(request_id=rid(), name="Same-day", lead_time_days=0).supplier
    assert zero.lead_time_days == 0

    p.CreateSupplier.error(INVALID, copy_with(request, request_id=rid(), name=""), field="name", why="empty name")
    p.CreateSupplier.error(INVALID, copy_with(request, request_id=rid(), name="   "), field="name", why="blank name")
    p.CreateSupplier.error(
        INVALID, copy_with(request, request_id=rid(), lead_time_days=-1), field="lead_time_days",
        why="negative lead time",
    )
    malformed_request_id(p.CreateSupplier, request)


@contract_case("procurement", "GetSupplier")
def test_get_supplier(suite):
    p = suite.procurement
    code = sku("GS")
    supplier_id = suite.supplier(code, lead_time_days=4, moq=6, case_pack=3)
    supplier = p.GetSupplier(supplier_id=supplier_id).supplier
    check_shape(supplier)
    assert supplier.id == supplier_id and supplier.lead_time_days == 4
    assert_time_set(supplier, "create_time", "Supplier")
    [item] = supplier.items
    assert (item.supplier_id, item.sku, item.unit_cost_minor, item.minimum_order_quantity, item.case_pack, item.preferred) == (
        supplier_id, code, 250, 6, 3, True,
    )

    p.GetSupplier.error(INVALID, supplier_id="nope", field="supplier_id", why="malformed id")
    p.GetSupplier.error(NOT_FOUND, supplier_id=str(uuid.uuid4()), why="unknown supplier")


@contract_case("procurement", "ListSuppliers")
def test_list_suppliers(suite):
    p = suite.procurement
    tag = uuid.uuid4().hex[:8]
    mine = [
        p.CreateSupplier(request_id=rid(), name=f"Contract {tag} {c}", lead_time_days=1).supplier.id
        for c in "BCA"
    ]
    listed, token, pages = [], "", 0
    while True:
        page = p.ListSuppliers(page_size=4, page_token=token)
        check_shape(page)
        assert len(page.suppliers) <= 4
        listed += list(page.suppliers)
        token = page.next_page_token
        pages += 1
        if not token:
            break
        assert len(page.suppliers) == 4, "only the last page is short"
        assert pages < 1000
    ids = [s.id for s in listed]
    assert len(ids) == len(set(ids)), "no supplier twice"
    assert set(mine) <= set(ids)
    # "By name" is checked, as a known discrepancy, by
    # test_list_suppliers_is_by_name below.
    assert len(p.ListSuppliers().suppliers) <= 50

    p.ListSuppliers.error(INVALID, page_size=-1, field="page_size", why="negative page size")
    p.ListSuppliers.error(INVALID, page_token="zzz", field="page_token", why="bad token")


def _all_suppliers(p):
    listed, token = [], ""
    for _ in range(1000):
        page = p.ListSuppliers(page_size=500, page_token=token)
        listed += list(page.suppliers)
        token = page.next_page_token
        if not token:
            break
    return listed


def test_list_suppliers_is_in_creation_order(suite):
    """Part of the ListSuppliers contract: suppliers come in creation order."""
    p = suite.procurement
    tag = uuid.uuid4().hex[:8]
    mine = [
        p.CreateSupplier(request_id=rid(), name=f"Contract {tag} {c}", lead_time_days=1).supplier.id
        for c in "BCA"
    ]
    listed = _all_suppliers(p)
    assert [s.id for s in listed if tag in s.name] == mine, "creation order"


@contract_case("procurement", "SetSupplierItem")
def test_set_supplier_item(suite):
    p, pb = suite.procurement, suite.proc
    code = sku("SSI")
    first = suite.supplier(None)
    request = pb.SetSupplierItemRequest(
        request_id=rid(), supplier_id=first, sku=code, unit_cost_minor=199,
        minimum_order_quantity=4, case_pack=2, preferred=True,
    )
    item = check_idempotent(p.SetSupplierItem, request, unit_cost_minor=200).item
    check_shape(item)
    assert (item.supplier_id, item.sku, item.unit_cost_minor, item.minimum_order_quantity, item.case_pack, item.preferred) == (
        first, code, 199, 4, 2, True,
    )
    # Replaces an earlier offer of the same pair.
    p.SetSupplierItem(copy_with(request, request_id=rid(), unit_cost_minor=150))
    [replaced] = p.GetSupplier(supplier_id=first).supplier.items
    assert replaced.unit_cost_minor == 150
    # A new preferred supplier takes the flag from the old one.
    second = suite.supplier(None)
    p.SetSupplierItem(copy_with(request, request_id=rid(), supplier_id=second, unit_cost_minor=0))
    [old] = p.GetSupplier(supplier_id=first).supplier.items
    [new] = p.GetSupplier(supplier_id=second).supplier.items
    assert (old.preferred, new.preferred) == (False, True)
    assert new.unit_cost_minor == 0

    # The preferred supplier receives the SKU's waiting demand.
    world = suite.backordered(qty=2)
    [demand] = eventually(
        "unsourced demand", lambda: list(p.ListDemands(order_id=world["order"].id).demands)
    )
    assert demand.purchase_order_id == ""
    assert_time_unset(demand, "eta", "Demand")
    supplier_id = suite.supplier(world["sku"], lead_time_days=5)
    sourced = eventually(
        "demand on the new supplier's draft",
        lambda: [d for d in p.ListDemands(order_id=world["order"].id).demands if d.purchase_order_id],
    )
    po = p.GetPurchaseOrder(purchase_order_id=sourced[0].purchase_order_id).purchase_order
    assert po.supplier_id == supplier_id and po.status == pb.PURCHASE_ORDER_STATUS_DRAFT
    eventually("ETA on the order line", lambda: suite.get_order(world["order"].id).lines[0].HasField("eta"))

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    p.SetSupplierItem.error(INVALID, req(sku=""), field="sku", why="empty SKU")
    p.SetSupplierItem.error(INVALID, req(minimum_order_quantity=0), field="minimum_order_quantity", why="MOQ 0")
    p.SetSupplierItem.error(INVALID, req(case_pack=0), field="case_pack", why="case pack 0")
    p.SetSupplierItem.error(INVALID, req(unit_cost_minor=-1), field="unit_cost_minor", why="negative cost")
    p.SetSupplierItem.error(INVALID, req(supplier_id="nope"), field="supplier_id", why="malformed supplier id")
    p.SetSupplierItem.error(NOT_FOUND, req(supplier_id=str(uuid.uuid4())), why="unknown supplier")
    malformed_request_id(p.SetSupplierItem, request)


@contract_case("procurement", "AddDemand")
def test_add_demand(suite):
    p, pb = suite.procurement, suite.proc
    # Unsourced: nobody supplies the SKU (made-up ids are safe: no message follows).
    request = pb.AddDemandRequest(
        request_id=rid(), demand_id=str(uuid.uuid4()), sku=sku("AD"), quantity=4,
        order_id=str(uuid.uuid4()), line_id=str(uuid.uuid4()),
    )
    demand = check_idempotent(p.AddDemand, request, quantity=5).demand
    check_shape(demand)
    assert (demand.id, demand.sku, demand.quantity, demand.order_id, demand.line_id) == (
        request.demand_id, request.sku, 4, request.order_id, request.line_id,
    )
    assert demand.purchase_order_id == "" and not demand.released
    assert_time_unset(demand, "eta", "Demand")
    assert_time_set(demand, "create_time", "Demand")

    # Sourced: consolidated into the preferred supplier's draft, rounded up to
    # MOQ and case pack, with an ETA of now plus the lead time. (Extra demand
    # of a real backordered line, so the ETA message has a line to go to.)
    world = _supplied_world(suite, qty=3, lead=5, moq=10, case_pack=5)
    extra = p.AddDemand(
        request_id=rid(), demand_id=str(uuid.uuid4()), sku=world["sku"], quantity=9,
        order_id=world["order"].id, line_id=world["line"].id,
    ).demand
    assert extra.purchase_order_id == world["po"].id
    assert_time_set(extra, "eta", "Demand")
    days = (extra.eta.seconds - time.time()) / DAY
    assert 4.9 < days < 5.1, f"ETA is now plus the 5-day lead time, got {days:.2f} days"
    po = suite.draft_with_demand(world["supplier_id"], 12)
    listed = p.ListDemands(order_id=world["order"].id).demands
    assert [d.quantity for d in listed] == [3, 9], "the order's demand, oldest first"
    assert listed[1].id == extra.id
    assert po.id == world["po"].id, "one open draft per supplier"
    assert po.lines[0].ordered_quantity == 15, "12 rounded up to MOQ 10 and case pack 5"

    def req(**over):
        return copy_with(request, request_id=rid(), demand_id=str(uuid.uuid4()), **over)

    p.AddDemand.error(INVALID, req(quantity=0), field="quantity", why="quantity 0")
    p.AddDemand.error(INVALID, req(quantity=-3), field="quantity", why="negative quantity")
    p.AddDemand.error(INVALID, copy_with(request, request_id=rid(), demand_id="d-1"), field="demand_id", why="malformed demand id")
    p.AddDemand.error(INVALID, req(order_id="o-1"), field="order_id", why="malformed order id")
    p.AddDemand.error(INVALID, req(line_id="l-1"), field="line_id", why="malformed line id")
    malformed_request_id(p.AddDemand, request)


@contract_case("procurement", "ReleaseDemand")
def test_release_demand(suite):
    p, pb = suite.procurement, suite.proc
    order_id = str(uuid.uuid4())
    demand_id = str(uuid.uuid4())
    p.AddDemand(
        request_id=rid(), demand_id=demand_id, sku=sku("RD"), quantity=2,
        order_id=order_id, line_id=str(uuid.uuid4()),
    )
    request = pb.ReleaseDemandRequest(request_id=rid(), demand_id=demand_id)
    response = check_idempotent(p.ReleaseDemand, request, demand_id=str(uuid.uuid4()))
    check_shape(response)
    assert response.released is True
    [stored] = p.ListDemands(order_id=order_id).demands
    assert stored.released is True
    # Unknown demand is not an error.
    assert p.ReleaseDemand(request_id=rid(), demand_id=str(uuid.uuid4())).released is False

    # A draft purchase order shrinks.
    world = _supplied_world(suite, qty=3, moq=1, case_pack=1)
    extra_id = str(uuid.uuid4())
    p.AddDemand(
        request_id=rid(), demand_id=extra_id, sku=world["sku"], quantity=4,
        order_id=world["order"].id, line_id=world["line"].id,
    )
    suite.draft_with_demand(world["supplier_id"], 7)
    assert p.ReleaseDemand(request_id=rid(), demand_id=extra_id).released is True
    po = suite.draft_with_demand(world["supplier_id"], 3)
    assert po.lines[0].ordered_quantity == 3

    p.ReleaseDemand.error(INVALID, request_id=rid(), demand_id="nope", field="demand_id", why="malformed id")
    malformed_request_id(p.ReleaseDemand, request)



@contract_case("procurement", "ReduceDemand")
def test_reduce_demand(suite):
    p, pb = suite.procurement, suite.proc
    # Extra demand of a real backordered line on its supplier's draft (as in
    # AddDemand's case), lowered: the draft's line shrinks with it.
    world = _supplied_world(suite, qty=3, moq=1, case_pack=1)
    extra_id = str(uuid.uuid4())
    p.AddDemand(
        request_id=rid(), demand_id=extra_id, sku=world["sku"], quantity=6,
        order_id=world["order"].id, line_id=world["line"].id,
    )
    suite.draft_with_demand(world["supplier_id"], 9)
    request = pb.ReduceDemandRequest(request_id=rid(), demand_id=extra_id, quantity=4)
    demand = check_idempotent(p.ReduceDemand, request, quantity=2).demand
    check_shape(demand)
    assert (demand.id, demand.sku, demand.quantity, demand.released) == (extra_id, world["sku"], 4, False)
    assert demand.purchase_order_id == world["po"].id
    po = suite.draft_with_demand(world["supplier_id"], 7)
    assert po.id == world["po"].id and po.lines[0].ordered_quantity == 7, "reduced once"
    listed = {d.id: d.quantity for d in p.ListDemands(order_id=world["order"].id).demands}
    assert listed[extra_id] == 4
    # Unsourced demand (made-up ids are safe: no message follows) is lowered too.
    unsourced_id = str(uuid.uuid4())
    p.AddDemand(
        request_id=rid(), demand_id=unsourced_id, sku=sku("RDM"), quantity=5,
        order_id=str(uuid.uuid4()), line_id=str(uuid.uuid4()),
    )
    lowered = p.ReduceDemand(request_id=rid(), demand_id=unsourced_id, quantity=1).demand
    assert (lowered.quantity, lowered.purchase_order_id) == (1, "")

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    for quantity, why in [(4, "the same units"), (5, "more units")]:
        report = p.ReduceDemand.error(PRECONDITION, req(quantity=quantity), why=f"not a reduction: {why}")
        assert report.info.reason == "NOT_A_REDUCTION", report.info
    p.ReleaseDemand(request_id=rid(), demand_id=extra_id)
    suite.draft_with_demand(world["supplier_id"], 3)
    report = p.ReduceDemand.error(PRECONDITION, req(quantity=1), why="the demand was released")
    assert report.info.reason == "DEMAND_RELEASED", report.info
    # A drop-shipped demand the supplier already shipped.
    shipped = suite.drop_shipped(qty=3)
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=shipped["po"].id)
    p.ConfirmDropShipment(
        request_id=rid(), purchase_order_id=shipped["po"].id, carrier="UPS", tracking_number="1ZRDM0001"
    )
    [gone] = p.ListDemands(order_id=shipped["order"].id).demands
    report = p.ReduceDemand.error(
        PRECONDITION, req(demand_id=gone.id, quantity=1), why="the drop-shipped demand shipped"
    )
    assert report.info.reason == "DEMAND_SHIPPED", report.info
    p.ReduceDemand.error(NOT_FOUND, req(demand_id=str(uuid.uuid4()), quantity=1), why="unknown demand")
    p.ReduceDemand.error(INVALID, req(quantity=0), field="quantity", why="quantity 0")
    p.ReduceDemand.error(INVALID, req(quantity=-2), field="quantity", why="negative quantity")
    p.ReduceDemand.error(INVALID, req(demand_id="d-1"), field="demand_id", why="malformed demand id")
    malformed_request_id(p.ReduceDemand, request)


@contract_case("procurement", "ListDemands")
def test_list_demands(suite):
    p = suite.procurement
    world = suite.backordered(qty=3, on_hand=1, supplier={"lead_time_days": 6})
    order = world["order"]
    [demand] = eventually(
        "the line's demand on a purchase order",
        lambda: [d for d in p.ListDemands(order_id=order.id).demands if d.purchase_order_id],
    )
    check_shape(p.ListDemands(order_id=order.id))
    assert (demand.sku, demand.quantity, demand.order_id, demand.line_id) == (
        world["sku"], 2, order.id, world["line"].id,
    )
    assert demand.released is False
    assert_time_set(demand, "eta", "Demand")
    assert_time_set(demand, "create_time", "Demand")
    # The demand id is the inventory reservation that is short.
    [reservation] = suite.inventory.ListReservations(order_id=order.id).reservations
    assert demand.id == reservation.id
    assert list(p.ListDemands(order_id=str(uuid.uuid4())).demands) == []

    p.ListDemands.error(INVALID, order_id="nope", field="order_id", why="malformed order id")
    p.ListDemands.error(INVALID, order_id="", why="missing order id")


@contract_case("procurement", "GetPurchaseOrder")
def test_get_purchase_order(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=3, lead=5, moq=10, case_pack=4)
    po = p.GetPurchaseOrder(purchase_order_id=world["po"].id).purchase_order
    check_po(po)
    assert po.id == world["po"].id and po.supplier_id == world["supplier_id"]
    assert po.status == pb.PURCHASE_ORDER_STATUS_DRAFT
    [line] = po.lines
    assert (line.sku, line.demand_quantity, line.ordered_quantity, line.received_quantity, line.unit_cost_minor) == (
        world["sku"], 3, 12, 0, 250,
    ), "3 rounded up to MOQ 10, then to whole cases of 4"
    assert_time_unset(po, "promised_time", "PurchaseOrder")
    assert_time_unset(po, "submit_time", "PurchaseOrder")

    p.GetPurchaseOrder.error(INVALID, purchase_order_id="PO-1", field="purchase_order_id", why="malformed id")
    p.GetPurchaseOrder.error(NOT_FOUND, purchase_order_id=str(uuid.uuid4()), why="unknown purchase order")


@contract_case("procurement", "ListPurchaseOrders")
def test_list_purchase_orders(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=2, moq=1, case_pack=1)
    supplier_id = world["supplier_id"]
    submitted = p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=world["po"].id).purchase_order
    # Later demand opens a new draft.
    suite.place(world["customer_id"], [(world["sku"], 1)])
    draft = suite.draft_with_demand(supplier_id, 1)
    assert draft.id != submitted.id

    page = p.ListPurchaseOrders(supplier_id=supplier_id)
    check_shape(page)
    assert [x.id for x in page.purchase_orders] == [draft.id, submitted.id], "newest first"
    assert page.next_page_token == ""
    for x in page.purchase_orders:
        check_po(x)
    only = p.ListPurchaseOrders(supplier_id=supplier_id, status=pb.PURCHASE_ORDER_STATUS_SUBMITTED)
    assert [x.id for x in only.purchase_orders] == [submitted.id]
    first = p.ListPurchaseOrders(supplier_id=supplier_id, page_size=1)
    assert [x.id for x in first.purchase_orders] == [draft.id] and first.next_page_token
    rest = p.ListPurchaseOrders(supplier_id=supplier_id, page_size=1, page_token=first.next_page_token)
    assert [x.id for x in rest.purchase_orders] == [submitted.id] and rest.next_page_token == ""
    everyone = p.ListPurchaseOrders(page_size=500).purchase_orders
    assert {draft.id, submitted.id} <= {x.id for x in everyone}
    times = [(x.create_time.seconds, x.create_time.nanos) for x in everyone]
    assert times == sorted(times, reverse=True), "newest first"

    p.ListPurchaseOrders.error(INVALID, supplier_id="nope", field="supplier_id", why="malformed supplier id")
    p.ListPurchaseOrders.error(INVALID, page_size=-2, field="page_size", why="bad page size")
    p.ListPurchaseOrders.error(INVALID, page_token="nope", field="page_token", why="bad page token")


@contract_case("procurement", "SubmitPurchaseOrder")
def test_submit_purchase_order(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=3, lead=10, moq=1, case_pack=1)
    request = pb.SubmitPurchaseOrderRequest(request_id=rid(), purchase_order_id=world["po"].id)
    po = check_idempotent(p.SubmitPurchaseOrder, request, purchase_order_id=str(uuid.uuid4())).purchase_order
    check_po(po)
    assert po.status == pb.PURCHASE_ORDER_STATUS_SUBMITTED
    assert_time_set(po, "submit_time", "PurchaseOrder")
    assert_time_unset(po, "promised_time", "PurchaseOrder")

    p.SubmitPurchaseOrder.error(PRECONDITION, copy_with(request, request_id=rid()), why="not a draft")
    # Nothing to order: the draft's only demand was released.
    empty = _supplied_world(suite, qty=2, moq=1, case_pack=1)
    suite.order.CancelOrder(request_id=rid(), order_id=empty["order"].id, reason="contract")
    suite.draft_with_demand(empty["supplier_id"], 0)
    p.SubmitPurchaseOrder.error(
        PRECONDITION, request_id=rid(), purchase_order_id=empty["po"].id, why="nothing to order"
    )
    p.SubmitPurchaseOrder.error(INVALID, request_id=rid(), purchase_order_id="x", field="purchase_order_id", why="malformed id")
    p.SubmitPurchaseOrder.error(NOT_FOUND, request_id=rid(), purchase_order_id=str(uuid.uuid4()), why="unknown purchase order")
    malformed_request_id(p.SubmitPurchaseOrder, request)


@contract_case("procurement", "AcknowledgePurchaseOrder")
def test_acknowledge_purchase_order(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=3, lead=10, moq=1, case_pack=1)
    po_id = world["po"].id
    p.AcknowledgePurchaseOrder.error(
        PRECONDITION, request_id=rid(), purchase_order_id=po_id, promised_time=timestamp(3 * DAY),
        why="a draft is not submitted",
    )
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=po_id)
    promised = timestamp(3 * DAY)
    request = pb.AcknowledgePurchaseOrderRequest(request_id=rid(), purchase_order_id=po_id, promised_time=promised)
    po = check_idempotent(p.AcknowledgePurchaseOrder, request, promised_time=timestamp(4 * DAY)).purchase_order
    check_po(po)
    assert po.status == pb.PURCHASE_ORDER_STATUS_ACKNOWLEDGED
    assert po.promised_time.seconds == promised.seconds
    # Every order line it serves gets that date as ETA.
    order_id = world["order"].id
    eventually(
        "line ETA moved to the promised date",
        lambda: suite.get_order(order_id).lines[0].eta.seconds == promised.seconds,
    )
    # A new promised date later.
    later = timestamp(6 * DAY)
    again = p.AcknowledgePurchaseOrder(copy_with(request, request_id=rid(), promised_time=later)).purchase_order
    assert again.status == pb.PURCHASE_ORDER_STATUS_ACKNOWLEDGED and again.promised_time.seconds == later.seconds
    eventually(
        "line ETA moved to the new date",
        lambda: suite.get_order(order_id).lines[0].eta.seconds == later.seconds,
    )

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    p.AcknowledgePurchaseOrder.error(INVALID, req(promised_time=None), field="promised_time", why="missing promised date")
    p.AcknowledgePurchaseOrder.error(INVALID, req(purchase_order_id="x"), field="purchase_order_id", why="malformed id")
    p.AcknowledgePurchaseOrder.error(NOT_FOUND, req(purchase_order_id=str(uuid.uuid4())), why="unknown purchase order")
    malformed_request_id(p.AcknowledgePurchaseOrder, request)


@contract_case("procurement", "ReceivePurchaseOrder")
def test_receive_purchase_order(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=3, moq=10, case_pack=5)  # ordered 10
    code, po_id = world["sku"], world["po"].id
    p.ReceivePurchaseOrder.error(
        PRECONDITION, request_id=rid(), purchase_order_id=po_id,
        lines=[pb.ReceiptLine(sku=code, quantity=1)], why="a draft is not acknowledged",
    )
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=po_id)
    p.ReceivePurchaseOrder.error(
        PRECONDITION, request_id=rid(), purchase_order_id=po_id,
        lines=[pb.ReceiptLine(sku=code, quantity=1)], why="submitted, not acknowledged",
    )
    p.AcknowledgePurchaseOrder(request_id=rid(), purchase_order_id=po_id, promised_time=timestamp(3 * DAY))
    request = pb.ReceivePurchaseOrderRequest(
        request_id=rid(), purchase_order_id=po_id, lines=[pb.ReceiptLine(sku=code, quantity=4)]
    )
    po = check_idempotent(
        p.ReceivePurchaseOrder, request, lines=[pb.ReceiptLine(sku=code, quantity=5)]
    ).purchase_order
    check_po(po)
    assert po.status == pb.PURCHASE_ORDER_STATUS_PARTIALLY_RECEIVED
    assert po.lines[0].received_quantity == 4, "received once"
    # Inventory is told and allocates the goods to the waiting order.
    eventually(
        "stock received in inventory",
        lambda: (suite.stock(code).on_hand, suite.stock(code).reserved) == (4, 3),
    )
    suite.wait_line_status(world["order"].id, 0, suite.ord.LINE_STATUS_READY)

    def req(*lines, **over):
        fields = dict(request_id=rid(), purchase_order_id=po_id, lines=list(lines))
        fields.update(over)
        return pb.ReceivePurchaseOrderRequest(**fields)

    line = pb.ReceiptLine
    p.ReceivePurchaseOrder.error(INVALID, req(), field="lines", why="no lines")
    p.ReceivePurchaseOrder.error(INVALID, req(line(sku=code, quantity=0)), why="quantity 0")
    p.ReceivePurchaseOrder.error(INVALID, req(line(sku=code, quantity=1), line(sku=code, quantity=1)), why="SKU repeated")
    p.ReceivePurchaseOrder.error(
        INVALID, req(line(sku=code, quantity=1), purchase_order_id="PO"), field="purchase_order_id",
        why="malformed purchase order id",
    )
    p.ReceivePurchaseOrder.error(
        NOT_FOUND, req(line(sku=code, quantity=1), purchase_order_id=str(uuid.uuid4())), why="unknown purchase order"
    )
    p.ReceivePurchaseOrder.error(NOT_FOUND, req(line(sku=sku("OTHER"), quantity=1)), why="SKU not on it")
    p.ReceivePurchaseOrder.error(PRECONDITION, req(line(sku=code, quantity=7)), why="more than ordered")
    full = p.ReceivePurchaseOrder(req(line(sku=code, quantity=6))).purchase_order
    assert full.status == pb.PURCHASE_ORDER_STATUS_RECEIVED and full.lines[0].received_quantity == 10
    assert_time_unset(po, "receive_time", "a partly received PurchaseOrder")
    assert_time_set(full, "receive_time", "a fully received PurchaseOrder")
    eventually("all stock in inventory", lambda: suite.stock(code).on_hand == 10)
    p.ReceivePurchaseOrder.error(PRECONDITION, req(line(sku=code, quantity=1)), why="everything arrived")
    malformed_request_id(p.ReceivePurchaseOrder, request)


@contract_case("procurement", "CancelPurchaseOrder")
def test_cancel_purchase_order(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=3, lead=5, moq=1, case_pack=1)
    po_id = world["po"].id
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=po_id)
    request = pb.CancelPurchaseOrderRequest(request_id=rid(), purchase_order_id=po_id, reason="supplier bankrupt")
    po = check_idempotent(p.CancelPurchaseOrder, request, reason="other").purchase_order
    check_po(po)
    assert po.status == pb.PURCHASE_ORDER_STATUS_CANCELLED
    # Its open demand moves to the supplier's draft purchase order.
    draft = suite.draft_with_demand(world["supplier_id"], 3)
    assert draft.id != po_id
    eventually(
        "demand re-sourced on the new draft",
        lambda: [d.purchase_order_id for d in p.ListDemands(order_id=world["order"].id).demands] == [draft.id],
    )

    def req(**over):
        return copy_with(request, request_id=rid(), **over)

    p.CancelPurchaseOrder.error(PRECONDITION, req(), why="already cancelled")
    received = _supplied_world(suite, qty=2, moq=1, case_pack=1)
    _acknowledged(suite, received)
    p.ReceivePurchaseOrder(
        request_id=rid(), purchase_order_id=received["po"].id,
        lines=[pb.ReceiptLine(sku=received["sku"], quantity=1)],
    )
    p.CancelPurchaseOrder.error(PRECONDITION, req(purchase_order_id=received["po"].id), why="already received part")
    p.CancelPurchaseOrder.error(INVALID, req(purchase_order_id="x"), field="purchase_order_id", why="malformed id")
    p.CancelPurchaseOrder.error(NOT_FOUND, req(purchase_order_id=str(uuid.uuid4())), why="unknown purchase order")
    malformed_request_id(p.CancelPurchaseOrder, request)


@contract_case("procurement", "GetSupplierPerformance")
def test_get_supplier_performance(suite):
    p, pb = suite.procurement, suite.proc
    world = _supplied_world(suite, qty=2, lead=6, moq=1, case_pack=1)
    supplier_id, code, po_id = world["supplier_id"], world["sku"], world["po"].id
    fresh = p.GetSupplierPerformance(supplier_id=supplier_id)
    check_shape(fresh)
    assert (fresh.supplier_id, fresh.lead_time_days) == (supplier_id, 6)
    assert (fresh.purchase_orders_received, fresh.purchase_orders_promised, fresh.received_on_time) == (0, 0, 0)
    assert (fresh.on_time_rate_percent, fresh.average_days_to_receive) == (0.0, 0.0)

    _acknowledged(suite, world, days=2)
    p.ReceivePurchaseOrder(
        request_id=rid(), purchase_order_id=po_id, lines=[pb.ReceiptLine(sku=code, quantity=2)]
    )
    done = p.GetSupplierPerformance(supplier_id=supplier_id)
    assert (done.purchase_orders_received, done.purchase_orders_promised, done.received_on_time) == (1, 1, 1)
    assert done.on_time_rate_percent == 100.0
    assert 0.0 <= done.average_days_to_receive < 0.01, "received right after submission"

    p.GetSupplierPerformance.error(INVALID, supplier_id="nope", field="supplier_id", why="malformed id")
    p.GetSupplierPerformance.error(NOT_FOUND, supplier_id=str(uuid.uuid4()), why="unknown supplier")



@contract_case("procurement", "ConfirmDropShipment")
def test_confirm_drop_shipment(suite):
    p, pb = suite.procurement, suite.proc
    world = suite.drop_shipped(qty=3, address="9 Dock Lane, Leith")
    po, order, line = world["po"], world["order"], world["line"]
    check_shape(po)
    assert po.drop_ship and po.order_id == order.id
    assert po.ship_to_address == "9 Dock Lane, Leith"
    assert [(l.sku, l.demand_quantity, l.ordered_quantity) for l in po.lines] == [(world["sku"], 3, 3)], (
        "exactly the line's units: no MOQ or case rounding"
    )
    assert line.drop_ship

    request = pb.ConfirmDropShipmentRequest(
        request_id=rid(), purchase_order_id=po.id, carrier="UPS", tracking_number="1ZDS0001"
    )
    p.ConfirmDropShipment.error(PRECONDITION, request, why="a draft has not gone to the supplier")
    p.SubmitPurchaseOrder(request_id=rid(), purchase_order_id=po.id)
    request = copy_with(request, request_id=rid())
    shipped = check_idempotent(p.ConfirmDropShipment, request, tracking_number="1ZDS0002").purchase_order
    check_shape(shipped)
    assert shipped.status == pb.PURCHASE_ORDER_STATUS_DROP_SHIPPED
    assert (shipped.carrier, shipped.tracking_number) == ("UPS", "1ZDS0001")
    # The order hears it: the line ships in a drop shipment, and she is told.
    done = suite.wait_line_status(order.id, 0, suite.ord.LINE_STATUS_SHIPPED)
    [drop] = [s for s in done.shipments if s.drop_ship]
    assert (drop.purchase_order_id, drop.warehouse, drop.tracking_number) == (po.id, "", "1ZDS0001")
    told = suite.wait_notified(order.id, suite.notif.NOTIFICATION_EVENT_SHIPPED)
    assert "1ZDS0001" in told.message
    # No stock moved.
    assert _stock(suite, world["sku"]) == (0, 0)

    p.ConfirmDropShipment.error(
        PRECONDITION, copy_with(request, request_id=rid()), why="already shipped"
    )
    normal = suite.backordered(qty=2, supplier={})
    draft = suite.draft_with_demand(normal["supplier_id"], 2)
    p.ConfirmDropShipment.error(
        PRECONDITION, copy_with(request, request_id=rid(), purchase_order_id=draft.id),
        why="not a drop-ship purchase order",
    )
    p.ConfirmDropShipment.error(
        NOT_FOUND, copy_with(request, request_id=rid(), purchase_order_id=str(uuid.uuid4())),
        why="unknown purchase order",
    )
    for fields, field, why in [
        ({"purchase_order_id": "nope"}, "purchase_order_id", "malformed id"),
        ({"carrier": ""}, "carrier", "empty carrier"),
        ({"tracking_number": ""}, "tracking_number", "empty tracking number"),
        ({"tracking_number": "T" * 101}, "tracking_number", "tracking number over 100 characters"),
    ]:
        p.ConfirmDropShipment.error(
            INVALID, copy_with(request, request_id=rid(), **fields), field=field, why=why
        )
    malformed_request_id(p.ConfirmDropShipment, request)


def _stock(suite, code):
    level = suite.stock(code)
    return (level.on_hand, level.reserved)


@contract_case("procurement", "SetReplenishmentPolicy")
def test_set_replenishment_policy(suite):
    p, pb = suite.procurement, suite.proc
    code = suite.product("RP", "ALLOW")
    policy = pb.ReplenishmentPolicy(sku=code, enabled=True, service_level_percent=95.0, history_days=28)
    request = pb.SetReplenishmentPolicyRequest(request_id=rid(), policy=policy)
    stored = check_idempotent(
        p.SetReplenishmentPolicy, request,
        policy=pb.ReplenishmentPolicy(sku=code, enabled=True, service_level_percent=99.0, history_days=28),
    ).policy
    check_shape(stored)
    assert (stored.sku, stored.enabled, stored.service_level_percent, stored.history_days) == (code, True, 95.0, 28)
    # A new call replaces it.
    off = p.SetReplenishmentPolicy(
        request_id=rid(),
        policy=pb.ReplenishmentPolicy(sku=code, enabled=False, service_level_percent=90.0, history_days=7),
    ).policy
    assert (off.enabled, off.service_level_percent, off.history_days) == (False, 90.0, 7)

    def req(**over):
        fields = dict(sku=code, enabled=True, service_level_percent=95.0, history_days=28)
        fields.update(over)
        return pb.SetReplenishmentPolicyRequest(request_id=rid(), policy=pb.ReplenishmentPolicy(**fields))

    for over, why in [
        ({"sku": ""}, "empty SKU"),
        ({"service_level_percent": 49.9}, "service level below 50"),
        ({"service_level_percent": 100.0}, "service level above 99.9"),
        ({"history_days": 6}, "history under a week"),
        ({"history_days": 366}, "history over a year"),
    ]:
        p.SetReplenishmentPolicy.error(INVALID, req(**over), why=why)
    malformed_request_id(p.SetReplenishmentPolicy, request)


@contract_case("procurement", "GetReplenishmentPlan")
def test_get_replenishment_plan(suite):
    import math

    p, pb = suite.procurement, suite.proc
    code = suite.product("RPL", "ALLOW", on_hand=1)
    supplier_id = suite.supplier(code, lead_time_days=4)
    # The made-up order waits with its date from the sale: were the lead
    # time to reach inventory after it, the line would be re-promised and
    # the order service told of an order it does not know.
    eventually(
        "inventory knows the supplier's lead time",
        lambda: suite.inventory.GetProduct(sku=code).product.HasField("lead_time_days"),
    )
    suite.reserve([(code, 3)])  # 1 reserved, 2 wait: today's demand is 3
    p.SetReplenishmentPolicy(
        request_id=rid(),
        policy=pb.ReplenishmentPolicy(sku=code, enabled=False, service_level_percent=95.0, history_days=7),
    )
    plan = p.GetReplenishmentPlan(sku=code)
    check_shape(plan)
    assert (plan.supplier_id, plan.lead_time_days) == (supplier_id, 4)
    days = [0, 0, 0, 0, 0, 0, 3]
    mean = sum(days) / len(days)
    sd = math.sqrt(sum((d - mean) ** 2 for d in days) / (len(days) - 1))
    assert abs(plan.mean_daily_demand - mean) < 1e-9
    assert abs(plan.daily_demand_stddev - sd) < 1e-9
    assert abs(plan.z - 1.6448536269514722) < 1e-6
    assert plan.safety_stock == math.ceil(plan.z * sd * math.sqrt(4))
    assert plan.reorder_point == math.ceil(mean * 4) + plan.safety_stock
    assert plan.available == 0 and plan.backlog_units == 2
    assert plan.position == plan.available + plan.on_order - plan.backlog_units
    expected = plan.reorder_point + math.ceil(mean * 4) - plan.position if plan.position < plan.reorder_point else 0
    assert plan.order_quantity == expected

    p.GetReplenishmentPlan.error(INVALID, sku="", field="sku", why="empty SKU")
    p.GetReplenishmentPlan.error(NOT_FOUND, sku=sku("RPL-NONE"), why="no policy for the SKU")


@contract_case("procurement", "SetSupplierSchedule")
def test_set_supplier_schedule(suite):
    p, pb = suite.procurement, suite.proc
    supplier_id = suite.supplier(None)
    request = pb.SetSupplierScheduleRequest(request_id=rid(), supplier_id=supplier_id, auto_submit_hours=24)
    supplier = check_idempotent(p.SetSupplierSchedule, request, auto_submit_hours=12).supplier
    check_shape(supplier)
    assert (supplier.id, supplier.auto_submit_hours) == (supplier_id, 24)
    assert p.GetSupplier(supplier_id=supplier_id).supplier.auto_submit_hours == 24
    off = p.SetSupplierSchedule(request_id=rid(), supplier_id=supplier_id, auto_submit_hours=0).supplier
    assert off.auto_submit_hours == 0

    p.SetSupplierSchedule.error(
        INVALID, copy_with(request, request_id=rid(), auto_submit_hours=721), field="auto_submit_hours",
        why="more than 30 days",
    )
    p.SetSupplierSchedule.error(
        INVALID, copy_with(request, request_id=rid(), auto_submit_hours=-1), field="auto_submit_hours",
        why="negative",
    )
    p.SetSupplierSchedule.error(
        INVALID, copy_with(request, request_id=rid(), supplier_id="nope"), field="supplier_id", why="malformed id"
    )
    p.SetSupplierSchedule.error(
        NOT_FOUND, copy_with(request, request_id=rid(), supplier_id=str(uuid.uuid4())), why="unknown supplier"
    )
    malformed_request_id(p.SetSupplierSchedule, request)
