"""Contract cases of backorder.outbox.v1.OutboxAdminService.

Every service serves it about its own outbox, so each case calls one server
(inventory, and its errors carry "inventory.backorder"); ListParkedMessages
and RetryParkedMessage also run on all four, each answering with its own
domain. Real parked messages come from world.Parking (an inventory service
whose peers are unreachable and whose outbox gives up after one attempt).
"""

from __future__ import annotations

import uuid

import grpc
import pytest

from harness import (
    assert_time_set,
    check_idempotent,
    check_shape,
    contract,
    contract_case,
    eventually,
    malformed_request_id,
    rid,
)
from world import ADD_DEMAND

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

SERVERS = ("inventory", "order", "procurement", "notification")


@pytest.fixture(scope="module")
def outbox(served_by):
    """Inventory's outbox administration (on the main suite)."""
    return served_by["outbox"]["inventory"]


def check_message(m, what: str = "OutboxMessage") -> None:
    check_shape(m, what)
    assert m.id, f"{what}.id is empty"
    assert m.destination in SERVERS, f"{what}.destination {m.destination!r}"
    # A full method path of an RPC of the receiving service.
    receiver = contract().services[m.destination]
    service, _, rpc = m.method.removeprefix("/").partition("/")
    assert m.method.startswith("/") and service == receiver.full_name, (
        f"{what}.method {m.method!r} is not a method path of {receiver.full_name}"
    )
    assert rpc in receiver.method_names(), f"{what}.method {m.method!r}: no such RPC"
    assert m.attempts >= 0, f"{what}.attempts {m.attempts}"
    assert_time_set(m, "create_time", what)


def check_parked_add_demand(m, what: str = "parked message") -> None:
    """A message world.Parking parked: one failed attempt to procurement."""
    check_message(m, what)
    assert (m.destination, m.method) == ("procurement", ADD_DEMAND), m
    assert m.attempts >= 1, f"{what}: parked after {m.attempts} attempts"
    assert m.last_error, f"{what}: no last_error"


@contract_case("outbox", "ListParkedMessages")
def test_list_parked_messages(served_by, parking):
    # Every server answers about its own outbox, with its own domain.
    for server in SERVERS:
        admin = served_by["outbox"][server]
        page = admin.ListParkedMessages()
        check_shape(page)
        for i, m in enumerate(page.messages):
            check_message(m, f"{server}: messages[{i}]")
        assert len(page.messages) <= 50, f"{server}: default page size is 50"
        admin.ListParkedMessages.error(
            INVALID, destination="billing", field="destination", why="unknown destination"
        )
    admin = served_by["outbox"]["inventory"]
    admin.ListParkedMessages.error(
        INVALID, page_token="xyz", field="page_token", why="malformed page token"
    )
    admin.ListParkedMessages.error(
        INVALID, page_size=-1, field="page_size", why="negative page size"
    )
    # Above the maximum is served, capped (not an error).
    admin.ListParkedMessages(page_size=501)

    # A non-empty list: two real parked messages, oldest first, in pages.
    first, second = parking.park(), parking.park()
    for m in (first, second):
        check_parked_add_demand(m)
    everything = parking.parked()
    ids = [m.id for m in everything]
    assert ids.index(first.id) < ids.index(second.id), "oldest first"
    times = [(m.create_time.seconds, m.create_time.nanos) for m in everything]
    assert times == sorted(times), f"not oldest first: {times}"
    paged, token, pages = [], "", 0
    while True:
        page = parking.outbox.ListParkedMessages(page_size=1, page_token=token)
        assert len(page.messages) <= 1
        paged.extend(m.id for m in page.messages)
        token, pages = page.next_page_token, pages + 1
        if not token:
            break
        assert pages <= len(ids), "paging does not end"
    assert paged == ids, "pages of 1 must list the same messages in the same order"
    # The destination filter.
    to_procurement = [m.id for m in everything if m.destination == "procurement"]
    assert [m.id for m in parking.parked(destination="procurement")] == to_procurement
    to_order = parking.parked(destination="order")
    assert not {first.id, second.id} & {m.id for m in to_order}
    assert all(m.destination == "order" for m in to_order), to_order


@contract_case("outbox", "RetryParkedMessage")
def test_retry_parked_message(served_by, outbox, parking):
    pb = outbox.pb
    parked = parking.park()
    request = pb.RetryParkedMessageRequest(request_id=rid(), message_id=parked.id)
    retried = check_idempotent(
        parking.outbox.RetryParkedMessage, request, message_id=str(uuid.uuid4())
    ).message
    check_message(retried, "RetryParkedMessageResponse.message")
    # Due again at once, with its attempts reset and its id (the request_id
    # its receiver sees) kept.
    assert (retried.id, retried.destination, retried.method) == (
        parked.id,
        parked.destination,
        parked.method,
    )
    assert retried.attempts == 0, retried
    assert retried.create_time == parked.create_time
    # The relay sends it again; its receiver is still unreachable, so it is
    # parked again under the same id.
    again = eventually(
        f"message {parked.id} parked again after its retry",
        lambda: next((m for m in parking.parked() if m.id == parked.id), None),
    )
    check_parked_add_demand(again, "message parked again")
    assert again.create_time == parked.create_time

    # Not parked (dropped) any more: FAILED_PRECONDITION.
    dropped = parking.park()
    parking.outbox.DropParkedMessage(
        request_id=rid(), message_id=dropped.id, reason="contract: dropped first"
    )
    parking.outbox.RetryParkedMessage.error(
        PRECONDITION, request_id=rid(), message_id=dropped.id, why="a dropped message"
    )

    for server in SERVERS:
        served_by["outbox"][server].RetryParkedMessage.error(
            NOT_FOUND, request_id=rid(), message_id=str(uuid.uuid4()), why="unknown message"
        )
    for bad in ("42", ""):
        outbox.RetryParkedMessage.error(
            INVALID, request_id=rid(), message_id=bad, field="message_id", why=f"message_id {bad!r}"
        )
    malformed_request_id(
        outbox.RetryParkedMessage,
        pb.RetryParkedMessageRequest(request_id=rid(), message_id=str(uuid.uuid4())),
    )


@contract_case("outbox", "DropParkedMessage")
def test_drop_parked_message(outbox, parking):
    pb = outbox.pb
    parked = parking.park()
    request = pb.DropParkedMessageRequest(
        request_id=rid(), message_id=parked.id, reason="contract: order settled by phone"
    )
    dropped = check_idempotent(
        parking.outbox.DropParkedMessage, request, reason="another reason"
    ).message
    check_message(dropped, "DropParkedMessageResponse.message")
    assert (dropped.id, dropped.destination, dropped.method) == (
        parked.id,
        parked.destination,
        parked.method,
    )
    assert "contract: order settled by phone" in dropped.last_error, (
        f"the operator's reason is kept with the message: {dropped.last_error!r}"
    )
    # Dropped for good: no longer listed, never parked again, not droppable twice.
    assert parked.id not in {m.id for m in parking.parked()}
    parking.outbox.DropParkedMessage.error(
        PRECONDITION,
        request_id=rid(),
        message_id=parked.id,
        reason="again",
        why="an already dropped message",
    )

    unknown = str(uuid.uuid4())
    outbox.DropParkedMessage.error(
        NOT_FOUND, request_id=rid(), message_id=unknown, reason="gone", why="unknown message"
    )
    for bad in ("", "   ", "x" * 501):
        outbox.DropParkedMessage.error(
            INVALID,
            request_id=rid(),
            message_id=unknown,
            reason=bad,
            field="reason",
            why=f"reason of {len(bad)} characters",
        )
    for bad in ("42", ""):
        outbox.DropParkedMessage.error(
            INVALID,
            request_id=rid(),
            message_id=bad,
            reason="gone",
            field="message_id",
            why=f"message_id {bad!r}",
        )
    malformed_request_id(
        outbox.DropParkedMessage,
        pb.DropParkedMessageRequest(request_id=rid(), message_id=unknown, reason="gone"),
    )


def test_last_error_names_the_grpc_code(parking):
    """The receiver's last answer, as "CODE: message" (outbox.proto)."""
    m = parking.park()
    code, sep, message = m.last_error.partition(": ")
    assert sep and message, f"last_error {m.last_error!r} is not 'CODE: message'"
    assert code == grpc.StatusCode.UNAVAILABLE.name, f"last_error {m.last_error!r}"
