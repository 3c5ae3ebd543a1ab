"""Arrange helpers: products, suppliers, customers and orders, made through
the public RPCs only (the same fixtures as tests/e2e/fixtures.rs).

Every helper uses fresh SKUs and ids, so cases never see each other's data
even though they share one running suite.

A rule the cases keep: internal delivery RPCs called directly with made-up
order ids must not cause a message to another service about that order
(the senders' outboxes retry a refused message, holding back later ones,
until it is accepted or parked for an operator). So made-up orders are only
used where no such message follows: SKUs without a supplier (no ETA goes to
the order service) whose waiting lines never get stock (no allocation goes
to the order service). world.Parking is the exception: its inventory
service reaches no one, so nothing it sends ever arrives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from harness import Client, contract, eventually, rid


# What world.Parking's inventory sends procurement for a backordered line.
ADD_DEMAND = f"/{contract().services['procurement'].full_name}/AddDemand"


def sku(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}".upper()


@dataclass
class Suite:
    inventory: Client
    order: Client
    procurement: Client
    notification: Client

    # ---- pb modules
    @property
    def inv(self) -> Any:
        return self.inventory.pb

    @property
    def ord(self) -> Any:
        return self.order.pb

    @property
    def proc(self) -> Any:
        return self.procurement.pb

    @property
    def notif(self) -> Any:
        return self.notification.pb

    # ---- inventory
    def product(
        self, prefix: str = "P", policy: str = "ALLOW", on_hand: int = 0, cap: int = 0, price: int = 0
    ) -> str:
        code = sku(prefix)
        self.inventory.CreateProduct(
            request_id=rid(),
            sku=code,
            name=f"Product {code}",
            backorder_policy=getattr(self.inv, f"BACKORDER_POLICY_{policy}"),
            backorder_cap=cap,
            price_minor=price,
        )
        if on_hand:
            self.inventory.AdjustStock(request_id=rid(), sku=code, delta=on_hand, reason="initial count")
        return code

    def stock(self, code: str) -> Any:
        return self.inventory.GetProduct(sku=code).product.stock

    def reserve(self, lines: list[tuple[str, int]], accept_backorders: bool = True) -> Any:
        """ReserveOrder for a made-up order; returns the response."""
        order_id = str(uuid.uuid4())
        return self.inventory.ReserveOrder(
            request_id=rid(),
            order_id=order_id,
            accept_backorders=accept_backorders,
            lines=[
                self.inv.ReserveLine(line_id=str(uuid.uuid4()), sku=s, quantity=q) for s, q in lines
            ],
        )

    # ---- procurement
    def supplier(self, code: str | None, lead_time_days: int = 7, moq: int = 1, case_pack: int = 1) -> str:
        """A supplier (of `code`, preferred, when given); returns its id."""
        supplier = self.procurement.CreateSupplier(
            request_id=rid(), name=f"Supplier {uuid.uuid4().hex[:8]}", lead_time_days=lead_time_days
        ).supplier
        if code:
            self.procurement.SetSupplierItem(
                request_id=rid(),
                supplier_id=supplier.id,
                sku=code,
                unit_cost_minor=250,
                minimum_order_quantity=moq,
                case_pack=case_pack,
                preferred=True,
            )
        return supplier.id

    def drop_shipped(self, qty: int = 3, address: str = "2 Harbour Road, Leith") -> dict:
        """A customer's order of one line the supplier ships straight to her:
        a SKU with no stock whose preferred offer is drop-ship (inventory hears
        it from procurement), ordered with a delivery address. Returns the
        SKU, supplier id, order, line and the drop-ship purchase order."""
        code = self.product("DS", "ALLOW")
        supplier = self.procurement.CreateSupplier(
            request_id=rid(), name=f"Direct {uuid.uuid4().hex[:8]}", lead_time_days=3
        ).supplier
        self.procurement.SetSupplierItem(
            request_id=rid(), supplier_id=supplier.id, sku=code, unit_cost_minor=500,
            minimum_order_quantity=10, case_pack=5, preferred=True, drop_ship=True,
        )
        eventually(
            f"inventory drop-ships {code}",
            lambda: self.inventory.GetProduct(sku=code).product.drop_ship,
        )
        order = self.place(self.customer(), [(code, qty)], ship_to_address=address)
        po = eventually(
            f"drop-ship PO for {order.id}",
            lambda: next(
                (p for p in self.purchase_orders(supplier.id) if p.drop_ship and p.order_id == order.id),
                None,
            ),
        )
        return {"sku": code, "supplier": supplier.id, "order": order, "line": order.lines[0], "po": po}

    def purchase_orders(self, supplier_id: str, status: int = 0) -> list[Any]:
        return list(
            self.procurement.ListPurchaseOrders(
                supplier_id=supplier_id, status=status, page_size=500
            ).purchase_orders
        )

    def draft_with_demand(self, supplier_id: str, demand: int) -> Any:
        """Waits for the supplier's draft purchase order to carry `demand` units."""

        def probe() -> Any:
            for po in self.purchase_orders(supplier_id, self.proc.PURCHASE_ORDER_STATUS_DRAFT):
                if po.lines and po.lines[0].demand_quantity == demand:
                    return po
            return None

        return eventually(f"draft PO of {supplier_id} with demand {demand}", probe)

    # ---- notification
    def customer(self, name: str = "Contract") -> str:
        """A customer reachable by e-mail and SMS; returns their id."""
        cid = str(uuid.uuid4())
        self.notification.UpsertCustomer(
            request_id=rid(),
            customer=self.notif.Customer(
                id=cid,
                name=name,
                email=f"{name.lower()}-{cid[:8]}@example.com",
                phone="+15550100",
                channels=[self.notif.CHANNEL_EMAIL, self.notif.CHANNEL_SMS],
            ),
        )
        return cid

    def notifications(self, *, customer_id: str = "", order_id: str = "") -> list[Any]:
        return list(
            self.notification.ListNotifications(
                customer_id=customer_id, order_id=order_id, page_size=500
            ).notifications
        )

    def wait_notified(self, order_id: str, event: int, line_id: str | None = None) -> Any:
        def probe() -> Any:
            for n in self.notifications(order_id=order_id):
                if n.event == event and (line_id is None or n.line_id == line_id):
                    return n
            return None

        name = self.notif.NotificationEvent.Name(event)
        return eventually(f"{name} notification for order {order_id}", probe)

    # ---- order
    def place_request(
        self,
        customer_id: str,
        lines: list[tuple[str, int]],
        accept_backorders: bool = True,
        ship_policy: str = "AS_AVAILABLE",
        max_shipments: int = 0,
        ship_to_address: str = "",
    ) -> Any:
        return self.ord.PlaceOrderRequest(
            request_id=rid(),
            customer_id=customer_id,
            lines=[self.ord.PlaceOrderLine(sku=s, quantity=q) for s, q in lines],
            accept_backorders=accept_backorders,
            ship_policy=getattr(self.ord, f"SHIP_POLICY_{ship_policy}"),
            max_shipments=max_shipments,
            ship_to_address=ship_to_address,
        )

    def place(self, customer_id: str, lines: list[tuple[str, int]], **kw: Any) -> Any:
        return self.order.PlaceOrder(self.place_request(customer_id, lines, **kw)).order

    def get_order(self, order_id: str) -> Any:
        return self.order.GetOrder(order_id=order_id).order

    def wait_line_status(self, order_id: str, index: int, status: int) -> Any:
        name = self.ord.LineStatus.Name(status)
        return eventually(
            f"line {index} of order {order_id} {name}",
            lambda: (o := self.get_order(order_id)).lines[index].status == status and o,
        )

    def backordered(self, qty: int = 3, on_hand: int = 0, supplier: dict | None = None) -> dict:
        """A customer's order of one line that waits for stock.

        With `supplier` (lead_time_days / moq / case_pack), the SKU has a
        preferred supplier, and its demand lands on a draft purchase order.
        """
        code = self.product("BO", "ALLOW", on_hand)
        supplier_id = self.supplier(code, **supplier) if supplier is not None else None
        customer_id = self.customer()
        order = self.place(customer_id, [(code, qty)])
        return {
            "sku": code,
            "supplier_id": supplier_id,
            "customer_id": customer_id,
            "order": order,
            "line": order.lines[0],
        }


@dataclass
class Parking:
    """A second inventory service whose peers are unreachable and whose
    outbox gives up after one attempt (scripts/contract.sh starts it), and
    its outbox administration.

    A backordered ReserveOrder there writes an AddDemand for procurement;
    the relay's one attempt fails UNAVAILABLE, so the message is parked: a
    real parked message, made through public RPCs only. The made-up order
    is harmless here, since nothing this service sends ever arrives.
    """

    inventory: Client
    outbox: Client

    def parked(self, **filters: Any) -> list[Any]:
        """Every parked message (all pages), oldest first."""
        out: list[Any] = []
        token = ""
        while True:
            page = self.outbox.ListParkedMessages(page_size=500, page_token=token, **filters)
            out.extend(page.messages)
            token = page.next_page_token
            if not token:
                return out

    def park(self) -> Any:
        """Parks one new message; returns it as ListParkedMessages shows it."""
        before = {m.id for m in self.parked()}
        pb = self.inventory.pb
        code = sku("PARK")
        self.inventory.CreateProduct(
            request_id=rid(),
            sku=code,
            name=f"Product {code}",
            backorder_policy=pb.BACKORDER_POLICY_ALLOW,
        )
        reserved = self.inventory.ReserveOrder(
            request_id=rid(),
            order_id=str(uuid.uuid4()),
            accept_backorders=True,
            lines=[pb.ReserveLine(line_id=str(uuid.uuid4()), sku=code, quantity=1)],
        )
        assert reserved.lines[0].backordered_quantity == 1, reserved
        new = eventually(
            f"the AddDemand of {code} parked",
            lambda: [
                m for m in self.parked(destination="procurement")
                if m.id not in before and m.method == ADD_DEMAND
            ],
        )
        assert len(new) == 1, f"one backordered line parked {len(new)} AddDemands: {new}"
        return new[0]
