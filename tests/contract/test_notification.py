"""Contract cases of backorder.notification.v1.NotificationService."""

from __future__ import annotations

import uuid

import os
import time
from pathlib import Path

import grpc
import pytest

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

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def _customer(pb, **over):
    fields = dict(
        id=str(uuid.uuid4()),
        name="Nia",
        email="nia@example.com",
        phone="+15550100",
        channels=[pb.CHANNEL_EMAIL, pb.CHANNEL_SMS],
    )
    fields.update(over)
    return pb.Customer(**fields)


@contract_case("notification", "UpsertCustomer")
def test_upsert_customer(suite):
    n, pb = suite.notification, suite.notif
    customer = _customer(pb)
    request = pb.UpsertCustomerRequest(request_id=rid(), customer=customer)

    # Success: the stored customer, as sent, with its update time.
    stored = check_idempotent(
        n.UpsertCustomer, request, customer=_customer(pb, id=customer.id, name="Other")
    ).customer
    check_shape(stored)
    assert stored.id == customer.id
    assert (stored.name, stored.email, stored.phone) == ("Nia", "nia@example.com", "+15550100")
    assert sorted(stored.channels) == sorted([pb.CHANNEL_EMAIL, pb.CHANNEL_SMS])
    assert_time_set(stored, "update_time", "Customer")

    # Creates or replaces: a second upsert (new request) replaces the details.
    replaced = n.UpsertCustomer(
        request_id=rid(),
        customer=_customer(pb, id=customer.id, name="Nia B", phone="", channels=[pb.CHANNEL_EMAIL]),
    ).customer
    assert list(replaced.channels) == [pb.CHANNEL_EMAIL]
    got = n.GetCustomer(customer_id=customer.id).customer
    assert (got.name, list(got.channels), got.phone) == ("Nia B", [pb.CHANNEL_EMAIL], "")
    push = n.UpsertCustomer(
        request_id=rid(),
        customer=_customer(pb, push_token="tok-123", channels=[pb.CHANNEL_PUSH]),
    ).customer
    assert list(push.channels) == [pb.CHANNEL_PUSH] and push.push_token == "tok-123"

    # Errors: INVALID_ARGUMENT for each documented kind of bad input.
    def bad(why, field=None, **over):
        n.UpsertCustomer.error(
            INVALID,
            request_id=rid(),
            customer=_customer(pb, **over),
            field=field,
            why=why,
        )

    bad("malformed customer id", id="not-a-uuid")
    bad("empty customer id", id="")
    n.UpsertCustomer.error(INVALID, request_id=rid(), why="no customer at all")
    bad("no channel", channels=[])
    bad("unspecified channel", channels=[pb.CHANNEL_UNSPECIFIED])
    bad("unknown channel", channels=[pb.CHANNEL_EMAIL, 99])
    bad("e-mail chosen without an address", email="")
    bad("SMS chosen without a phone", phone="")
    bad("push chosen without a token", channels=[pb.CHANNEL_PUSH], push_token="")
    bad("malformed e-mail", email="not-an-email")
    bad("malformed phone: letters", phone="+1555ABC0100")
    bad("malformed phone: too short", phone="+123456")
    bad("malformed phone: too long", phone="+1234567890123456")
    malformed_request_id(n.UpsertCustomer, request)


@contract_case("notification", "GetCustomer")
def test_get_customer(suite):
    n, pb = suite.notification, suite.notif
    customer = _customer(pb)
    n.UpsertCustomer(request_id=rid(), customer=customer)

    got = n.GetCustomer(customer_id=customer.id).customer
    check_shape(got)
    assert got.id == customer.id and got.email == customer.email and got.phone == customer.phone
    assert sorted(got.channels) == sorted(customer.channels)
    assert_time_set(got, "update_time", "Customer")

    n.GetCustomer.error(INVALID, customer_id="nope", field="customer_id", why="malformed id")
    n.GetCustomer.error(INVALID, customer_id="", why="missing id")
    n.GetCustomer.error(NOT_FOUND, customer_id=str(uuid.uuid4()), why="unknown customer")


def _notify_request(pb, customer_id, **over):
    fields = dict(
        request_id=rid(),
        customer_id=customer_id,
        order_id=str(uuid.uuid4()),
        event=pb.NOTIFICATION_EVENT_ORDER_CONFIRMED,
        detail=f"contract {uuid.uuid4().hex[:8]}",
    )
    fields.update(over)
    return pb.NotifyRequest(**fields)


@contract_case("notification", "Notify")
def test_notify(suite):
    n, pb = suite.notification, suite.notif
    customer_id = suite.customer("Noa")
    request = _notify_request(pb, customer_id)

    first = n.Notify(request).notification
    check_shape(first)
    # The notification id is the event id.
    assert first.id == request.request_id
    assert (first.customer_id, first.order_id, first.line_id) == (customer_id, request.order_id, "")
    assert first.event == pb.NOTIFICATION_EVENT_ORDER_CONFIRMED
    assert first.message.strip(), "the text sent is not empty"
    assert_time_set(first, "create_time", "Notification")
    # One delivery per channel of the customer's.
    assert sorted(d.channel for d in first.deliveries) == [pb.CHANNEL_EMAIL, pb.CHANNEL_SMS]
    for d in first.deliveries:
        assert_enum(d, "status", "Delivery")
        if d.status != pb.DELIVERY_STATUS_PENDING:
            assert_time_set(d, "send_time", "Delivery")
        if d.status == pb.DELIVERY_STATUS_FAILED:
            assert d.error, "a failed delivery says why"

    # Both channels accept the message: every delivery ends SENT.
    def all_sent():
        [stored] = [x for x in suite.notifications(order_id=request.order_id)]
        ok = all(d.status == pb.DELIVERY_STATUS_SENT for d in stored.deliveries)
        return ok and stored

    sent = eventually("both deliveries SENT", all_sent)
    for d in sent.deliveries:
        assert_time_set(d, "send_time", "Delivery")

    # A repeat delivers nothing more and returns the notification as it stands.
    again = n.Notify(request).notification
    assert again.id == first.id and again.message == first.message
    assert sorted(d.channel for d in again.deliveries) == [pb.CHANNEL_EMAIL, pb.CHANNEL_SMS]
    assert len(suite.notifications(order_id=request.order_id)) == 1
    # Exactly once on each channel: the channel sinks (files under
    # CONTRACT_CHANNELS_DIR, one line per message handed over) saw it once.
    sinks = os.environ.get("CONTRACT_CHANNELS_DIR")
    if sinks:
        for channel in ("email", "sms"):
            path = Path(sinks) / f"{channel}.log"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            seen = sum(request.request_id in line for line in lines)
            assert seen == 1, f"{channel} sink got the event {seen} times"

    # A line event with its ETA.
    line_id = str(uuid.uuid4())
    eta = timestamp(5 * 86400)
    line = n.Notify(
        _notify_request(
            pb, customer_id, line_id=line_id, event=pb.NOTIFICATION_EVENT_BACKORDERED, eta=eta
        )
    ).notification
    assert line.line_id == line_id and line.event == pb.NOTIFICATION_EVENT_BACKORDERED

    # A customer without contact details yet: a notification with no deliveries.
    stranger = n.Notify(_notify_request(pb, str(uuid.uuid4()))).notification
    assert stranger.id and len(stranger.deliveries) == 0

    # Errors.
    n.Notify.error(
        grpc.StatusCode.ALREADY_EXISTS,
        copy_with(request, event=pb.NOTIFICATION_EVENT_SHIPPED),
        why="request_id reused with a different body",
    )
    n.Notify.error(
        INVALID, _notify_request(pb, "bad-id"), field="customer_id", why="malformed customer_id"
    )
    n.Notify.error(
        INVALID, _notify_request(pb, customer_id, order_id="bad-id"), field="order_id",
        why="malformed order_id",
    )
    n.Notify.error(
        INVALID, _notify_request(pb, customer_id, line_id="bad-id"), field="line_id",
        why="malformed line_id",
    )
    n.Notify.error(
        INVALID,
        _notify_request(pb, customer_id, event=pb.NOTIFICATION_EVENT_UNSPECIFIED),
        field="event",
        why="unspecified event",
    )
    malformed_request_id(n.Notify, request)


@contract_case("notification", "ListNotifications")
def test_list_notifications(suite):
    n, pb = suite.notification, suite.notif
    customer_id = suite.customer("Lio")
    order_a, order_b = str(uuid.uuid4()), str(uuid.uuid4())
    ids = []
    for order_id, event in (
        (order_a, pb.NOTIFICATION_EVENT_ORDER_CONFIRMED),
        (order_b, pb.NOTIFICATION_EVENT_ORDER_CONFIRMED),
        (order_a, pb.NOTIFICATION_EVENT_CANCELLED),
    ):
        ids.append(
            n.Notify(_notify_request(pb, customer_id, order_id=order_id, event=event)).notification.id
        )

    # Of one customer, oldest first.
    page = n.ListNotifications(customer_id=customer_id)
    check_shape(page)
    # "Oldest first" with arbitrary (UUID v4) event ids is checked, as a
    # known discrepancy, by test_list_notifications_is_oldest_first below.
    assert sorted(x.id for x in page.notifications) == sorted(ids)
    assert page.next_page_token == ""
    for x in page.notifications:
        assert_uuid(x.id, "Notification.id")
        assert_enum(x, "event", "Notification")
        assert_time_set(x, "create_time", "Notification")

    # Of one order.
    of_a = n.ListNotifications(order_id=order_a).notifications
    assert sorted(x.id for x in of_a) == sorted([ids[0], ids[2]])
    both = n.ListNotifications(customer_id=customer_id, order_id=order_b).notifications
    assert [x.id for x in both] == [ids[1]]

    # Pages.
    first = n.ListNotifications(customer_id=customer_id, page_size=2)
    assert len(first.notifications) == 2 and first.next_page_token
    rest = n.ListNotifications(
        customer_id=customer_id, page_size=2, page_token=first.next_page_token
    )
    assert len(rest.notifications) == 1 and rest.next_page_token == ""
    paged = [x.id for x in first.notifications] + [x.id for x in rest.notifications]
    assert paged == [x.id for x in page.notifications], "pages continue the same order"

    # Errors.
    n.ListNotifications.error(INVALID, why="neither filter")
    n.ListNotifications.error(INVALID, customer_id="x", field="customer_id", why="malformed customer id")
    n.ListNotifications.error(INVALID, order_id="x", field="order_id", why="malformed order id")
    n.ListNotifications.error(
        INVALID, customer_id=customer_id, page_size=-1, field="page_size", why="negative page size"
    )
    n.ListNotifications.error(
        INVALID, customer_id=customer_id, page_token="garbage!", field="page_token", why="bad token"
    )


def test_list_notifications_is_oldest_first(suite):
    """Part of the ListNotifications contract: oldest first, whatever UUIDs
    the callers chose as event ids. The ids here sort in the reverse of the
    order they are sent in, so ordering by id cannot pass by chance."""
    n, pb = suite.notification, suite.notif
    customer_id = suite.customer("Ola")
    ids = sorted((str(uuid.uuid4()) for _ in range(3)), reverse=True)
    for request_id in ids:
        n.Notify(_notify_request(pb, customer_id, request_id=request_id))
        time.sleep(0.005)  # distinct create times
    listed = n.ListNotifications(customer_id=customer_id).notifications
    times = [(x.create_time.seconds, x.create_time.nanos) for x in listed]
    assert times == sorted(times), "oldest first"
    assert [x.id for x in listed] == ids
