#!/usr/bin/env bash
# kmip-bench against one kmipd on sled, one kmipd on PostgreSQL, and three kmipd nodes on one
# PostgreSQL database (connections spread over the three, as a TCP load balancer would), all
# on this one machine and in one run: the figures show what the shared store costs and that
# three nodes serve correctly, not how they scale (they share the same cores).
#
#   benches/cluster.sh              # settings through the environment, as compare-pykmip.sh
#
# PostgreSQL is a throwaway cluster from Debian's packages (scripts/postgres.sh). Results go
# to target/bench-cluster/ (JSON per setup, and summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-10}"
KEYS="${KEYS:-200}"
KMIP_VERSION="${KMIP_VERSION:-1.4}"
out=target/bench-cluster
work="$(mktemp -d)"
mkdir -p "$out"
source benches/common.sh
source scripts/postgres.sh

cargo build --release --locked -p kmipd -p kmip-bench
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  postgres_stop
  rm -rf "$work"
}
trap cleanup EXIT
postgres_start

# A config for the store `$1` ("sled", or a PostgreSQL database name).
config() {
  local file="$work/$1.toml"
  sed "s|\"certs/|\"$PWD/certs/|" config.toml >"$file"
  if [ "$1" != sled ]; then
    psql -q "$KMIP_TEST_POSTGRES_URL" -c "CREATE DATABASE $1"
    sed -i "s|^\[store\]$|[store]\nkind = \"postgres\"|" "$file"
    printf '\n[store.postgres]\nurl = "%s"\npool_size = 16\n' "${KMIP_TEST_POSTGRES_URL%/*}/$1" >>"$file"
  fi
  echo "$file"
}

# Starts a kmipd on `$1` (a config) with its own data dir: its KMIP port in `port`, its pid
# appended to `pids` (not in a subshell, which would lose both).
start() {
  port="$(free_port)"
  target/release/kmipd --config "$1" --port "$port" --http-port 0 --data-dir "$work/data-$port" \
    >"$work/kmipd-$port.out" 2>&1 &
  pids+=($!)
  wait_for_port "$port"
}

# Runs the phases against the ports `$2...` and the pids in `server_pids`; label `$1`.
bench() {
  local label="$1"
  shift
  local ports=()
  for p in "$@"; do ports+=(--port "$p"); done
  echo "== $label (ports $*)" >&2
  target/release/kmip-bench --host localhost "${ports[@]}" --cert certs/client.pem --key certs/client.key \
    --ca certs/ca.pem --connections "$CONNECTIONS" --kmip-version "$KMIP_VERSION" "${server_pids[@]}" --json \
    --duration "$DURATION" --keys "$KEYS" --op create --op get --op locate --op encrypt >"$out/$label.json"
}

start "$(config sled)"
server_pids=(--server-pid "${pids[-1]}")
bench sled-1 "$port"

start "$(config bench_one)"
server_pids=(--server-pid "${pids[-1]}")
bench postgres-1 "$port"

shared="$(config bench_three)"
ports=()
server_pids=()
for _ in 1 2 3; do
  start "$shared"
  ports+=("$port")
  server_pids+=(--server-pid "${pids[-1]}")
done
bench postgres-3 "${ports[@]}"

python3 - "$out" "$CONNECTIONS" "$KMIP_VERSION" "$(nproc)" <<'PY'
import json, sys
out, connections, version, cores = sys.argv[1:]
setups = ["sled-1", "postgres-1", "postgres-3"]
runs = {s: {p["operation"]: p for p in json.load(open(f"{out}/{s}.json"))["phases"]} for s in setups}
lines = [f"{cores} cores, client, PostgreSQL and every node on one machine; {connections} connections; KMIP {version}.", "",
         "| operation | " + " | ".join(f"{s} ops/s | {s} p99 µs | {s} CPU µs/op" for s in setups) + " | errors |",
         "| --- | " + " | ".join("---: | ---: | ---:" for _ in setups) + " | --- |"]
for op in runs["sled-1"]:
    cells, errors = [], []
    for s in setups:
        p = runs[s][op]
        cpu = p.get("server_cpu_us_per_op")
        cells.append(f"{p['ops_per_second']:.0f} | {p['latency_us']['p99']} | {'-' if cpu is None else f'{cpu:.1f}'}")
        errors.append(str(p["errors"] or "-"))
    lines.append(f"| {op} | " + " | ".join(cells) + f" | {' / '.join(errors)} |")
text = "\n".join(lines)
open(f"{out}/summary.md", "w").write(text + "\n")
print(text)
PY
