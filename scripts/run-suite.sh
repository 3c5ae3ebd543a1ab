#!/usr/bin/env bash
# Starts the four services on their default ports with SQLite files under
# ./data, prefixes each line of output with the service name, and stops them
# all on Ctrl-C. Set BACKORDER_PROFILE=release for optimised binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${BACKORDER_PROFILE:-debug}"
bin="target/${profile}"
mkdir -p data

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

for service in notification inventory procurement order; do
  ( "${bin}/${service}" 2>&1 | sed -u "s/^/[${service}] /" ) &
  pids+=("$!")
done

echo "backorder suite: inventory :50051, order :50052, procurement :50053, notification :50054 (Ctrl-C stops)"
wait
