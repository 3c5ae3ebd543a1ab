#!/usr/bin/env bash
# Starts the four services on their default ports with SQLite files under
# ./data, prefixes each line of output with the service name, and stops them
# all on Ctrl-C, or as soon as one of them exits. Set BACKORDER_PROFILE=release
# for optimised binaries, BACKORDER_BIN_DIR to take them from elsewhere,
# BACKORDER_DATA_DIR for another data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${BACKORDER_PROFILE:-debug}"
bin="${BACKORDER_BIN_DIR:-target/${profile}}"
data="${BACKORDER_DATA_DIR:-data}"
mkdir -p "$data"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

for service in notification inventory procurement order; do
  # Output through a process substitution so that $! is the service itself,
  # which is what must receive SIGTERM.
  # Only an explicit data directory overrides the services' own settings
  # (defaults under ./data, or a config file).
  overrides=()
  if [ -n "${BACKORDER_DATA_DIR:-}" ]; then
    overrides=("BACKORDER__DATABASE__URL=sqlite://${data}/${service}.db?mode=rwc"
      "BACKORDER__CHANNELS__DIR=${data}/notifications")
  fi
  env "${overrides[@]}" "${bin}/${service}" > >(sed -u "s/^/[${service}] /") 2>&1 &
  pids+=("$!")
done

echo "backorder suite: inventory :50051, order :50052, procurement :50053, notification :50054 (Ctrl-C stops)"
# One service alone is no suite: when any of them exits (a taken port, a bad
# setting), stop the others and report its status.
status=0
wait -n || status=$?
echo "backorder suite: a service exited (status ${status}); stopping the others" >&2
exit "$status"
