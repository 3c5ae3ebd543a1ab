"""Waits until each address answers grpc.health.v1.Health/Check (service "")
with SERVING. Used by scripts/contract.sh.

    python wait_serving.py --timeout 60 name=host:port [name=host:port ...]

Exits 0 when all serve, 1 (naming the laggards) otherwise. A PID file per
name (--pids DIR, DIR/<name>.pid) lets it stop early when a process died.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import grpc

# HealthCheckRequest{service: ""} is the empty message; the response's field
# 1 (status) is SERVING = 1, encoded as 0x08 0x01.
SERVING = b"\x08\x01"


def serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        try:
            return check(b"", timeout=2) == SERVING
        except grpc.RpcError:
            return False


def alive(pid_dir: str | None, name: str) -> bool:
    if not pid_dir:
        return True
    try:
        with open(os.path.join(pid_dir, f"{name}.pid"), encoding="utf-8") as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--pids")
    parser.add_argument("targets", nargs="+")
    args = parser.parse_args()
    pending = dict(t.split("=", 1) for t in args.targets)
    deadline = time.monotonic() + args.timeout
    while pending:
        for name, address in list(pending.items()):
            if serving(address):
                print(f"  {name} SERVING on {address}")
                del pending[name]
            elif not alive(args.pids, name):
                print(f"wait_serving: {name} exited before serving", file=sys.stderr)
                return 1
        if pending and time.monotonic() > deadline:
            print(
                f"wait_serving: not SERVING after {args.timeout:.0f}s: {', '.join(sorted(pending))}",
                file=sys.stderr,
            )
            return 1
        if pending:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
