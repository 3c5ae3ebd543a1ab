"""Fixtures of the contract suite: one client per service of the contract,
addressed by CONTRACT_<SERVICE>_ADDR (scripts/contract.sh sets them)."""

from __future__ import annotations

import pytest

from harness import Client, address_of, contract
from world import Suite


@pytest.fixture(scope="session")
def clients():
    made = {}
    missing = []
    for short, info in contract().services.items():
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
def suite(clients) -> Suite:
    return Suite(
        inventory=clients["inventory"],
        order=clients["order"],
        procurement=clients["procurement"],
        notification=clients["notification"],
    )
