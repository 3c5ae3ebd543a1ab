"""Contract-suite harness: clients built from the .proto files at test time.

Nothing here knows the Rust types. The .proto files under the module root
(proto/, or CONTRACT_PROTO_ROOT) are compiled with ``python -m
grpc_tools.protoc`` into a temporary directory; requests and responses are
the generated message classes, and each RPC is called through a generic
unary-unary callable named after the method's descriptor.

Addresses come from the environment: CONTRACT_<SERVICE>_ADDR (host:port),
where <SERVICE> is the package's service segment, e.g.
CONTRACT_INVENTORY_ADDR for backorder.inventory.v1.

A shared administration package (SHARED_PACKAGES, e.g. backorder.outbox.v1)
is served by every service about itself: it has no address of its own, and
its errors carry the ErrorInfo domain of the service that answered. Its
clients are made per serving service (`Client(info, address, serving=...)`).
"""

from __future__ import annotations

import atexit
import functools
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import grpc
from google.protobuf import descriptor_pb2, message_factory
from google.rpc import error_details_pb2, status_pb2

HERE = Path(__file__).resolve().parent
PROTO_ROOT = Path(os.environ.get("CONTRACT_PROTO_ROOT", HERE.parent.parent / "proto")).resolve()
CALL_TIMEOUT = float(os.environ.get("CONTRACT_CALL_TIMEOUT", "15"))
WAIT = float(os.environ.get("CONTRACT_WAIT_SECONDS", "30"))

# Packages every service serves about its own state; their service comment
# documents SERVING_DOMAIN instead of a domain of their own.
SHARED_PACKAGES = frozenset({"backorder.outbox.v1"})
SERVING_DOMAIN = "the serving service's domain"

UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
LOWER_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
DETAILS_KEY = "grpc-status-details-bin"


# --------------------------------------------------------------------------
# Compiling the contract


@dataclass
class ServiceInfo:
    """One gRPC service of the contract."""

    full_name: str  # backorder.inventory.v1.InventoryService
    short: str  # inventory
    module: Any  # the generated *_pb2 module
    descriptor: Any  # google.protobuf.descriptor.ServiceDescriptor
    domain: str | None  # ErrorInfo domain named in the service comment
    rpc_comments: dict[str, str] = field(default_factory=dict)
    comment: str = ""  # the service comment
    package: str = ""  # backorder.inventory.v1

    @property
    def shared(self) -> bool:
        """Served by every service about itself (no address of its own)."""
        return self.package in SHARED_PACKAGES

    @property
    def env_var(self) -> str:
        if self.shared:
            raise LookupError(f"{self.full_name} is served by every service; it has no address")
        return f"CONTRACT_{self.short.upper()}_ADDR"

    def method_names(self) -> list[str]:
        return [m.name for m in self.descriptor.methods]


@dataclass
class Contract:
    """Every service found in the .proto files."""

    services: dict[str, ServiceInfo]  # by short name
    out_dir: Path

    def all_methods(self) -> set[str]:
        return {
            f"{s.full_name}/{m}" for s in self.services.values() for m in s.method_names()
        }

    def servers(self) -> dict[str, ServiceInfo]:
        """The services that run (each with an address), by short name."""
        return {k: s for k, s in self.services.items() if not s.shared}

    def shared(self) -> dict[str, ServiceInfo]:
        """The shared administration services every server serves too."""
        return {k: s for k, s in self.services.items() if s.shared}


def _proto_files() -> list[Path]:
    files = sorted(PROTO_ROOT.rglob("*.proto"))
    if not files:
        raise RuntimeError(f"no .proto files under {PROTO_ROOT}")
    return files


def _comments(fds: descriptor_pb2.FileDescriptorSet) -> dict[str, tuple[str, dict[str, str]]]:
    """Service full name -> (service comment, {rpc: comment})."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for f in fds.file:
        by_path = {tuple(loc.path): loc.leading_comments for loc in f.source_code_info.location}
        for si, svc in enumerate(f.service):
            # FileDescriptorProto.service = 6, ServiceDescriptorProto.method = 2
            svc_comment = by_path.get((6, si), "")
            rpcs = {m.name: by_path.get((6, si, 2, mi), "") for mi, m in enumerate(svc.method)}
            out[f"{f.package}.{svc.name}"] = (svc_comment, rpcs)
    return out


@functools.lru_cache(maxsize=1)
def contract() -> Contract:
    """Compiles the .proto files once per process and loads the modules."""
    import grpc_tools  # noqa: PLC0415 (only needed here)

    wkt = Path(grpc_tools.__file__).resolve().parent / "_proto"
    out = Path(tempfile.mkdtemp(prefix="contract-protos-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    files = _proto_files()
    descriptor_set = out / "contract.pb"
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{wkt}",
        f"--python_out={out}",
        f"--descriptor_set_out={descriptor_set}",
        "--include_source_info",
        *[str(p.relative_to(PROTO_ROOT)) for p in files],
    ]
    result = subprocess.run(cmd, cwd=PROTO_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"protoc failed:\n{result.stdout}\n{result.stderr}")
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    comments = _comments(fds)
    sys.path.insert(0, str(out))
    services: dict[str, ServiceInfo] = {}
    for p in files:
        rel = p.relative_to(PROTO_ROOT).with_suffix("")
        module = importlib.import_module(".".join(rel.parts) + "_pb2")
        for svc in module.DESCRIPTOR.services_by_name.values():
            package = module.DESCRIPTOR.package  # backorder.inventory.v1
            parts = package.split(".")
            short = parts[-2] if len(parts) >= 2 else parts[-1]
            svc_comment, rpc_comments = comments.get(svc.full_name, ("", {}))
            m = re.search(r'domain "([^"]+)"', svc_comment.replace("\n", " "))
            if short in services:
                raise RuntimeError(f"two services in package segment {short!r}")
            services[short] = ServiceInfo(
                full_name=svc.full_name,
                short=short,
                module=module,
                descriptor=svc,
                domain=m.group(1) if m else None,
                rpc_comments=rpc_comments,
                comment=svc_comment,
                package=package,
            )
    return Contract(services=services, out_dir=out)


# --------------------------------------------------------------------------
# Calling


class RpcFailed(AssertionError):
    """A call that was expected to succeed failed."""


@dataclass
class ErrorReport:
    """A decoded error status."""

    code: grpc.StatusCode
    message: str
    status: status_pb2.Status
    info: error_details_pb2.ErrorInfo
    bad_request: error_details_pb2.BadRequest | None
    precondition: error_details_pb2.PreconditionFailure | None

    @property
    def fields(self) -> list[str]:
        return [v.field for v in self.bad_request.field_violations] if self.bad_request else []


def _decode_status(err: grpc.RpcError) -> status_pb2.Status | None:
    for key, value in err.trailing_metadata() or ():
        if key == DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


class Method:
    """One RPC, called with a request message or with keyword fields."""

    def __init__(self, client: "Client", descriptor: Any):
        self.client = client
        self.descriptor = descriptor
        self.name = descriptor.name
        self.full_name = f"{client.info.full_name}/{descriptor.name}"
        # Names the serving service too where several serve this RPC.
        self.label = self.full_name + (f" on {client.serving}" if client.info.shared else "")
        self.request_class = message_factory.GetMessageClass(descriptor.input_type)
        self.response_class = message_factory.GetMessageClass(descriptor.output_type)
        self._call = client.channel.unary_unary(
            f"/{self.full_name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.response_class.FromString,
        )

    def request(self, request: Any = None, **fields: Any) -> Any:
        if request is not None:
            if fields:
                raise TypeError("give a request message or fields, not both")
            if not isinstance(request, self.request_class):
                raise TypeError(f"{self.name} takes {self.request_class.__name__}")
            return request
        return self.request_class(**fields)

    def raw(self, request: Any = None, **fields: Any) -> Any:
        """Calls; raises grpc.RpcError on failure."""
        return self._call(self.request(request, **fields), timeout=CALL_TIMEOUT)

    def __call__(self, request: Any = None, **fields: Any) -> Any:
        """Calls and returns the response; a failure fails the test."""
        req = self.request(request, **fields)
        try:
            return self._call(req, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            raise RpcFailed(
                f"{self.label} failed: {err.code().name}: {err.details()}\nrequest: {req}"
            ) from None

    def error(
        self,
        code: grpc.StatusCode,
        request: Any = None,
        *,
        field: str | None = None,
        precondition: bool = False,
        why: str = "",
        domain: str | None = None,
        **fields: Any,
    ) -> ErrorReport:
        """Calls expecting `code`; checks the status details and returns them.

        Every error must carry grpc-status-details-bin with a google.rpc.Status
        whose code matches, holding a google.rpc.ErrorInfo with an
        UPPER_SNAKE_CASE reason and the service's documented domain (for a
        shared administration service, the serving service's).
        INVALID_ARGUMENT must also carry a google.rpc.BadRequest (naming
        `field` when given); `precondition=True` requires a
        google.rpc.PreconditionFailure. `domain` overrides the service's
        ErrorInfo domain where the contract documents another (refusals
        relayed from a peer).
        """
        req = self.request(request, **fields)
        label = f"{self.label} ({why or 'bad input'})"
        try:
            response = self._call(req, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            got = err.code()
            details = err.details() or ""
            assert got == code, (
                f"{label}: expected {code.name}, got {got.name}: {details}\nrequest: {req}"
            )
            status = _decode_status(err)
            assert status is not None, f"{label}: no {DETAILS_KEY} trailer on {got.name}"
            assert status.code == got.value[0], (
                f"{label}: google.rpc.Status code {status.code} != call code {got.name}"
            )
            info = bad = pre = None
            for any_ in status.details:
                if any_.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    any_.Unpack(info)
                elif any_.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    any_.Unpack(bad)
                elif any_.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                    pre = error_details_pb2.PreconditionFailure()
                    any_.Unpack(pre)
            assert info is not None, f"{label}: status details carry no google.rpc.ErrorInfo"
            assert UPPER_SNAKE.match(info.reason), (
                f"{label}: ErrorInfo.reason {info.reason!r} is not UPPER_SNAKE_CASE"
            )
            domain = domain or self.client.domain
            if domain:
                assert info.domain == domain, (
                    f"{label}: ErrorInfo.domain {info.domain!r}, documented {domain!r}"
                )
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                assert bad is not None and bad.field_violations, (
                    f"{label}: INVALID_ARGUMENT without a google.rpc.BadRequest violation"
                )
                if field is not None:
                    names = [v.field for v in bad.field_violations]
                    assert field in names, f"{label}: violations {names}, expected {field!r}"
            if precondition:
                assert pre is not None and pre.violations, (
                    f"{label}: no google.rpc.PreconditionFailure violations"
                )
                for v in pre.violations:
                    assert UPPER_SNAKE.match(v.type), (
                        f"{label}: PreconditionFailure type {v.type!r} not UPPER_SNAKE_CASE"
                    )
            return ErrorReport(got, details, status, info, bad, pre)
        raise AssertionError(
            f"{label}: expected {code.name}, but the call succeeded\n"
            f"request: {req}\nresponse: {response}"
        )


class Client:
    """All RPCs of one service, as attributes named like the RPCs.

    A shared administration service needs `serving`, the service whose
    address this is: its errors carry that service's documented domain.
    """

    def __init__(self, info: ServiceInfo, address: str, serving: ServiceInfo | None = None):
        if info.shared and (serving is None or serving.shared):
            raise ValueError(f"{info.full_name} is served by every service: name which (serving=)")
        if not info.shared and serving is not None and serving is not info:
            raise ValueError(f"{info.full_name} is served by {info.short} only")
        self.info = info
        self.pb = info.module
        self.address = address
        self.serving = (serving or info).short
        # The ErrorInfo domain this address answers with.
        self.domain = (serving or info).domain
        self.channel = grpc.insecure_channel(address)
        for m in info.descriptor.methods:
            setattr(self, m.name, Method(self, m))

    def close(self) -> None:
        self.channel.close()


def address_of(info: ServiceInfo) -> str | None:
    return os.environ.get(info.env_var) or None


# --------------------------------------------------------------------------
# The registry of contract cases


_CASES: dict[str, str] = {}


def contract_case(service: str, method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Marks a test as the contract case of `service`'s RPC `method`.

    `service` is the short name (inventory, order, ...). Fails at import
    time when the RPC does not exist, so a renamed RPC cannot leave a stale
    case behind.
    """
    info = contract().services.get(service)
    if info is None:
        raise LookupError(f"no service {service!r} in the .proto files")
    if method not in info.method_names():
        raise LookupError(f"{info.full_name} has no RPC {method!r}")
    full = f"{info.full_name}/{method}"

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not fn.__name__.startswith("test_"):
            raise NameError(f"contract case {fn.__name__} must be a test_ function")
        previous = _CASES.get(full)
        if previous is not None and previous != f"{fn.__module__}.{fn.__qualname__}":
            raise ValueError(f"{full} has two contract cases: {previous} and {fn.__qualname__}")
        _CASES[full] = f"{fn.__module__}.{fn.__qualname__}"
        fn.contract_method = full
        return fn

    return mark


def registered_cases() -> dict[str, str]:
    return dict(_CASES)


# --------------------------------------------------------------------------
# Shape checks


def rid() -> str:
    """A fresh request id."""
    return str(uuid.uuid4())


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except (ValueError, AttributeError, TypeError):
        return False


def assert_uuid(value: str, what: str) -> None:
    assert is_uuid(value), f"{what}: expected a UUID, got {value!r}"


def assert_time_set(msg: Any, field_name: str, what: str = "") -> None:
    assert msg.HasField(field_name), f"{what or type(msg).__name__}.{field_name} is unset"
    ts = getattr(msg, field_name)
    assert ts.seconds > 1_600_000_000, f"{what}.{field_name} is not a plausible time: {ts}"


def assert_time_unset(msg: Any, field_name: str, what: str = "") -> None:
    assert not msg.HasField(field_name), (
        f"{what or type(msg).__name__}.{field_name} should be unset, got {getattr(msg, field_name)}"
    )


def assert_enum(msg: Any, field_name: str, what: str = "") -> str:
    """The field holds a defined, non-UNSPECIFIED value; returns its name."""
    fd = msg.DESCRIPTOR.fields_by_name[field_name]
    value = getattr(msg, field_name)
    ev = fd.enum_type.values_by_number.get(value)
    assert ev is not None, f"{what}.{field_name}: {value} is not a value of {fd.enum_type.name}"
    assert value != 0, f"{what or type(msg).__name__}.{field_name} is {ev.name}"
    return ev.name


def check_shape(msg: Any, where: str = "") -> None:
    """Generic checks on a response: every non-empty id field (`id`, `*_id`,
    `*_ids`, except the hex `trace_id`) is a UUID, and every enum field holds
    a value the contract defines. Recurses into messages."""
    where = where or type(msg).__name__
    for fd, value in msg.ListFields():
        path = f"{where}.{fd.name}"
        repeated = fd.is_repeated
        values = list(value) if repeated else [value]
        if fd.type == fd.TYPE_STRING and fd.name != "trace_id" and (
            fd.name == "id" or fd.name.endswith("_id") or fd.name.endswith("_ids")
        ):
            for i, v in enumerate(values):
                if v:
                    assert_uuid(v, f"{path}[{i}]" if repeated else path)
        elif fd.type == fd.TYPE_ENUM:
            for v in values:
                assert v in fd.enum_type.values_by_number, (
                    f"{path}: {v} is not a value of {fd.enum_type.name}"
                )
        elif fd.type == fd.TYPE_MESSAGE and fd.message_type.full_name != "google.protobuf.Timestamp":
            for i, v in enumerate(values):
                check_shape(v, f"{path}[{i}]" if repeated else path)


def eventually(what: str, probe: Callable[[], Any], timeout: float = WAIT, interval: float = 0.1) -> Any:
    """Polls `probe` until it returns something truthy; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


def timestamp(seconds_from_now: float) -> Any:
    from google.protobuf import timestamp_pb2  # noqa: PLC0415

    ts = timestamp_pb2.Timestamp()
    ts.seconds = int(time.time() + seconds_from_now)
    return ts


def copy_with(msg: Any, **changes: Any) -> Any:
    """A copy of a request message with some fields replaced."""
    out = type(msg)()
    out.CopyFrom(msg)
    for name, value in changes.items():
        fd = out.DESCRIPTOR.fields_by_name[name]
        if fd.is_repeated:
            out.ClearField(name)
            getattr(out, name).extend(value)
        elif fd.type == fd.TYPE_MESSAGE:
            if value is None:
                out.ClearField(name)
            else:
                getattr(out, name).CopyFrom(value)
        else:
            setattr(out, name, value)
    return out


def check_idempotent(method: Method, request: Any, **different: Any) -> Any:
    """The same request again returns the same answer; the same request_id
    with a different body is ALREADY_EXISTS. Returns the first answer."""
    first = method(request)
    again = method(request)
    assert again == first, f"{method.name}: a retry must return the stored answer"
    method.error(
        grpc.StatusCode.ALREADY_EXISTS,
        copy_with(request, **different),
        why="request_id reused with a different body",
    )
    return first


def malformed_request_id(method: Method, request: Any) -> None:
    """request_id is documented as a UUID: a malformed or missing one is
    INVALID_ARGUMENT naming request_id."""
    for bad in ("42", ""):
        method.error(
            grpc.StatusCode.INVALID_ARGUMENT,
            copy_with(request, request_id=bad),
            field="request_id",
            why=f"request_id {bad!r}",
        )
