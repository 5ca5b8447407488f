#!/usr/bin/env bash
# Where kmipd's CPU goes under one operation: perf samples kmipd (call graphs from DWARF line
# tables) while kmip-bench drives the operation, then prints the heaviest call paths.
#
#   benches/profile.sh get               # or create, locate, encrypt...; SECONDS_=5
#
# Needs `perf` (linux-perf) and perf_event_paranoid <= 2 for one's own processes. Builds a
# release kmipd with line tables (CARGO_PROFILE_RELEASE_DEBUG), so the report names files.
# The raw profile stays in target/profile/OP.data; the report in target/profile/OP.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

op="${1:-get}"
# Operations that consume a key each would spend the sampled window preparing keys (one
# connection, in turn), so only the timed ones are profiled.
case "$op" in
  activate | destroy | rekey) echo "profile.sh: $op consumes prepared keys; profile a timed operation" >&2; exit 2 ;;
esac
seconds="${SECONDS_:-5}"
out=target/profile
work="$(mktemp -d)"
mkdir -p "$out"
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release --locked -p kmipd -p kmip-bench

source benches/common.sh
start_kmipd config.toml

# Sample the middle of the run: after the keys are made and the warm-up is over.
(sleep 6 && perf record -e cpu-clock -F 999 --call-graph dwarf,8192 -p "$pid" -o "$out/$op.data" \
  -- sleep "$seconds" >/dev/null 2>&1) &
sampler=$!
target/release/kmip-bench --host localhost --port "$port" --cert certs/client.pem --key certs/client.key \
  --ca certs/ca.pem --connections 32 --kmip-version 1.4 --keys 100 --server-pid "$pid" --duration "$((seconds + 6))" --op "$op"
wait "$sampler"

{
  echo "# perf report: kmipd under $op, $seconds s, $(nproc) cores"
  echo "## by thread"
  perf report -i "$out/$op.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -E '^ +[0-9]'
  echo "## inclusive, our frames and the syscalls (top 60)"
  perf report -i "$out/$op.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -60
} | tee "$out/$op.txt"
