"""The suite covers the whole contract: every RPC of every service in the
.proto files has exactly one contract case. A new RPC (or a new service)
without a case fails here. A shared administration package (served by every
service about itself, e.g. backorder.outbox.v1) counts once: its cases call
one server and check that server's domain."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import grpc

from harness import SERVING_DOMAIN, SHARED_PACKAGES, contract, registered_cases

HERE = Path(__file__).resolve().parent


def _load_all_cases() -> dict[str, str]:
    # Import every test module (pytest has usually done so already; this
    # makes the check hold when this file runs alone too).
    for path in sorted(HERE.glob("test_*.py")):
        importlib.import_module(path.stem)
    return registered_cases()


def test_every_rpc_of_every_service_has_a_contract_case():
    methods = contract().all_methods()
    assert methods, "no RPCs found in the .proto files"
    cases = _load_all_cases()
    missing = sorted(methods - cases.keys())
    assert not missing, (
        "RPCs without a contract case (add one in tests/contract/test_<service>.py, "
        "decorated with @contract_case(service, method)):\n  " + "\n  ".join(missing)
    )
    stale = sorted(cases.keys() - methods)
    assert not stale, f"contract cases of RPCs that no longer exist: {stale}"


def test_the_contract_is_what_the_suite_expects():
    services = contract().services
    assert set(contract().servers()) >= {"inventory", "order", "procurement", "notification"}, (
        services.keys()
    )
    # backorder.outbox.v1 is administration every service serves about its
    # own outbox. Every package SHARED_PACKAGES names must exist, so a renamed
    # package cannot leave a stale exemption behind.
    shared_packages = {info.package for info in contract().shared().values()}
    assert shared_packages == SHARED_PACKAGES, (
        f"shared administration packages found {sorted(shared_packages)}, "
        f"expected {sorted(SHARED_PACKAGES)}"
    )
    for short, info in services.items():
        if info.shared:
            # No domain of its own: each server answers with its own, which
            # the cases check on every server's address.
            comment = " ".join(info.comment.split())
            assert info.domain is None and SERVING_DOMAIN in comment, (
                f"{info.full_name} is served by every service: its comment must document "
                f"ErrorInfo with {SERVING_DOMAIN!r} (and no fixed domain), not {comment!r}"
            )
        else:
            # The service comment names the ErrorInfo domain the cases check.
            assert info.domain == f"{short}.backorder", (
                f"{info.full_name}: documented ErrorInfo domain {info.domain!r}"
            )
        for method in info.method_names():
            comment = " ".join(info.rpc_comments.get(method, "").split())
            assert "Errors:" in comment, (
                f"{info.full_name}/{method}: its comment documents no errors (the contract "
                "the case checks)"
            )
            listed = set(re.findall(r"\b[A-Z][A-Z_]+[A-Z]\b", comment.split("Errors:", 1)[1]))
            codes = {c.name for c in grpc.StatusCode}
            assert listed & codes, f"{info.full_name}/{method}: no gRPC code in {comment!r}"
