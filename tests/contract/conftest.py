"""Fixtures of the contract suite: one client per service of the contract,
addressed by CONTRACT_<SERVICE>_ADDR (scripts/contract.sh sets them), and
clients of the shared administration services on each of those addresses."""

from __future__ import annotations

import os

import pytest

from harness import Client, address_of, contract
from world import Parking, Suite


@pytest.fixture(scope="session")
def clients():
    made = {}
    missing = []
    for short, info in contract().servers().items():
        address = address_of(info)
        if not address:
            missing.append(info.env_var)
            continue
        made[short] = Client(info, address)
    if missing:
        pytest.fail(
            "the contract cases need the services' addresses: set "
            + ", ".join(missing)
            + " (scripts/contract.sh starts the suite and sets them)",
            pytrace=False,
        )
    yield made
    for c in made.values():
        c.close()


@pytest.fixture(scope="session")
def served_by(clients):
    """served_by[shared][server]: the shared administration service `shared`
    (e.g. "outbox") as `server` (e.g. "inventory") serves it about itself."""
    services = contract().services
    made = {
        shared: {
            server: Client(info, c.address, serving=services[server])
            for server, c in clients.items()
        }
        for shared, info in contract().shared().items()
    }
    yield made
    for by_server in made.values():
        for c in by_server.values():
            c.close()


@pytest.fixture(scope="session")
def suite(clients) -> Suite:
    return Suite(
        inventory=clients["inventory"],
        order=clients["order"],
        procurement=clients["procurement"],
        notification=clients["notification"],
    )


@pytest.fixture(scope="session")
def parking():
    """The inventory service that parks what it sends (world.Parking)."""
    address = os.environ.get("CONTRACT_INVENTORY_NO_PEERS_ADDR")
    if not address:
        pytest.fail(
            "the outbox cases need CONTRACT_INVENTORY_NO_PEERS_ADDR: an inventory service whose "
            "peers are unreachable, with outbox.max_attempts=1 (scripts/contract.sh starts it)",
            pytrace=False,
        )
    services = contract().services
    inventory = Client(services["inventory"], address)
    outbox = Client(services["outbox"], address, serving=services["inventory"])
    yield Parking(inventory=inventory, outbox=outbox)
    inventory.close()
    outbox.close()
