#!/usr/bin/env bash
# Language-independent contract suite (tests/contract/, Python + pytest).
#
# Starts the four service binaries from target/debug (build them first:
# `make contract` runs `cargo build --bins`) on free loopback ports with a
# fresh temporary directory of SQLite files, waits until each reports
# grpc.health.v1 SERVING, runs pytest against them, and always stops them;
# on failure it prints their logs.
#
# A fifth process, a second order service whose peers are all unreachable,
# lets the suite check PlaceOrder's documented UNAVAILABLE. A sixth, a second
# inventory service whose peers are unreachable and whose outbox gives up
# after one attempt, parks what it sends: real parked messages for the
# OutboxAdminService cases.
#
# Python tools live in .tools/venv (git-ignored), installed from the pins in
# tests/contract/requirements.txt. Extra arguments go to pytest, e.g.
#   scripts/contract.sh -k inventory -x
# Environment: CONTRACT_PROFILE (debug), CARGO_TARGET_DIR (target),
# CONTRACT_KEEP=1 keeps the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

profile="${CONTRACT_PROFILE:-debug}"
bin_dir="${CARGO_TARGET_DIR:-target}/${profile}"
case "$bin_dir" in /*) ;; *) bin_dir="$root/$bin_dir" ;; esac
services=(notification inventory procurement order)

# ---- binaries
missing=()
for s in "${services[@]}"; do
  [ -x "$bin_dir/$s" ] || missing+=("$bin_dir/$s")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "contract.sh: service binaries missing: ${missing[*]}" >&2
  echo "contract.sh: build them first: cargo build --bins (or run: make contract)" >&2
  exit 1
fi

# ---- Python environment
venv="$root/.tools/venv"
requirements="$root/tests/contract/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== preparing $venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || {
      echo "contract.sh: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
fi
py="$venv/bin/python"

# ---- ports and directories
tmp="$(mktemp -d "${TMPDIR:-/tmp}/backorder-contract.XXXXXX")"
mkdir -p "$tmp/pids" "$tmp/notifications"
read -r -a ports <<<"$("$py" - <<'EOF'
import socket
socks = []
for _ in range(7):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)"
declare -A port=(
  [inventory]="${ports[0]}" [order]="${ports[1]}" [procurement]="${ports[2]}"
  [notification]="${ports[3]}" [order-isolated]="${ports[4]}"
  [inventory-isolated]="${ports[5]}"
)
dead_port="${ports[6]}" # nothing listens there

pids=()
status=1
stop() {
  local code=$?
  trap - EXIT INT TERM
  [ "$status" -eq 0 ] || [ "$code" -eq 0 ] || status=$code
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$tmp"/*.log; do
      [ -f "$log" ] || continue
      echo
      echo "==== $(basename "$log") (last 200 lines)"
      tail -n 200 "$log"
    done
  fi
  if [ "${CONTRACT_KEEP:-0}" = 1 ]; then
    echo "contract.sh: kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

start() { # name binary peers-port-of(inventory order procurement notification) [VAR=value...]
  local name="$1" binary="$2" inv="$3" ord="$4" proc="$5" notif="$6"
  shift 6
  env \
    BACKORDER__SERVER__HOST=127.0.0.1 \
    BACKORDER__SERVER__PORT="${port[$name]}" \
    BACKORDER__DATABASE__URL="sqlite://$tmp/$name.db?mode=rwc" \
    BACKORDER__PEERS__INVENTORY="http://127.0.0.1:$inv" \
    BACKORDER__PEERS__ORDER="http://127.0.0.1:$ord" \
    BACKORDER__PEERS__PROCUREMENT="http://127.0.0.1:$proc" \
    BACKORDER__PEERS__NOTIFICATION="http://127.0.0.1:$notif" \
    BACKORDER__CHANNELS__DIR="$tmp/notifications" \
    BACKORDER__OUTBOX__POLL_INTERVAL_MS=200 \
    BACKORDER__OUTBOX__MAX_BACKOFF_MS=500 \
    BACKORDER_CONFIG_FILE="$tmp/no-config.toml" \
    RUST_LOG="${RUST_LOG:-info}" \
    NO_COLOR=1 \
    "$@" \
    "$bin_dir/$binary" >"$tmp/$name.log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$tmp/pids/$name.pid"
}

echo "== starting the services (SQLite in $tmp)"
for s in "${services[@]}"; do
  start "$s" "$s" "${port[inventory]}" "${port[order]}" "${port[procurement]}" "${port[notification]}"
done
start order-isolated order "$dead_port" "$dead_port" "$dead_port" "$dead_port"
start inventory-isolated inventory "$dead_port" "$dead_port" "$dead_port" "$dead_port" \
  BACKORDER__OUTBOX__MAX_ATTEMPTS=1

targets=()
for name in "${!port[@]}"; do targets+=("$name=127.0.0.1:${port[$name]}"); done
"$py" "$root/tests/contract/wait_serving.py" --timeout 60 --pids "$tmp/pids" "${targets[@]}"

echo "== contract suite"
set +e
(
  cd "$root/tests/contract" &&
    CONTRACT_INVENTORY_ADDR="127.0.0.1:${port[inventory]}" \
      CONTRACT_ORDER_ADDR="127.0.0.1:${port[order]}" \
      CONTRACT_PROCUREMENT_ADDR="127.0.0.1:${port[procurement]}" \
      CONTRACT_NOTIFICATION_ADDR="127.0.0.1:${port[notification]}" \
      CONTRACT_ORDER_NO_PEERS_ADDR="127.0.0.1:${port[order-isolated]}" \
      CONTRACT_INVENTORY_NO_PEERS_ADDR="127.0.0.1:${port[inventory-isolated]}" \
      CONTRACT_CHANNELS_DIR="$tmp/notifications" \
      CONTRACT_PROTO_ROOT="$root/proto" \
      "$py" -m pytest "$@"
)
status=$?
set -e
exit "$status"
