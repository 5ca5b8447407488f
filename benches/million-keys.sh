#!/usr/bin/env bash
# kmipd with a million stored keys: its resident memory, and Locate by Name against the same
# Locate with a thousand keys, on one server, in one run.
#
#   benches/million-keys.sh                 # KEYS=1000000 SMALL=1000 DURATION=5
#   CONFIG=other.toml OUT=target/bench-million-other benches/million-keys.sh
#
# One kmipd on a fresh sled data dir (the dev config). First SMALL named keys go in and
# Locate and Get are measured; then the store is filled to KEYS named keys and the same
# phases run again (after `sync`). kmip-bench reports the server's RSS after each phase. Results go to
# target/bench-million/ (JSON per step, and summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS="${KEYS:-1000000}"
SMALL="${SMALL:-1000}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
CONFIG="${CONFIG:-config.toml}"
out="${OUT:-target/bench-million}"
work="$(mktemp -d)"
mkdir -p "$out"
cargo build --release --locked -p kmipd -p kmip-bench

source benches/common.sh
start_kmipd "$CONFIG"

kmip_bench() { # label, then kmip-bench's phase flags
  local label="$1"
  shift
  target/release/kmip-bench --host localhost --port "$port" --cert certs/client.pem --key certs/client.key \
    --ca certs/ca.pem --connections "$CONNECTIONS" --kmip-version 1.4 --server-pid "$pid" --json "$@" >"$out/$label.json"
}
echo "== $SMALL keys" >&2
kmip_bench small --fill "$((SMALL - 100))" --keys 100 --duration "$DURATION" --op locate --op get
echo "== filling to $KEYS keys" >&2
kmip_bench fill --fill "$((KEYS - SMALL - 101))" --keys 1 --operations 1 --warmup 0 --op get
# The fill leaves gigabytes of dirty pages: let the kernel write them back before measuring,
# so that its writeback does not share the two cores with the phases compared.
sync
sleep 5
kmip_bench large --keys 100 --duration "$DURATION" --op locate --op get
du -sk "$work/data" | cut -f1 >"$out/data-kib"

python3 - "$out" "$SMALL" "$KEYS" "$(nproc)" <<'PY'
import json, sys
out, small, large, cores = sys.argv[1:]
def phases(label):
    return {p["operation"]: p for p in json.load(open(f"{out}/{label}.json"))["phases"]}
s = phases("small")
l = {k: v for k, v in phases("fill").items() if k == "Create (fill)"} | phases("large")
data_mib = int(open(f"{out}/data-kib").read()) / 1024
lines = [
    f"{cores} cores, client and server on one machine; 32 connections; KMIP 1.4; sled, dev config.",
    "",
    f"| step | operation | ops/s | p99 µs | CPU µs/op | kmipd RSS MiB after | peak RSS MiB |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
]
for label, ph, n in (("small", s, small), ("large", l, large)):
    for op, p in ph.items():
        cpu = p.get("server_cpu_us_per_op")
        lines.append(
            f"| {int(n):,} keys | {op} | {p['ops_per_second']:.0f} | {p['latency_us']['p99']} | "
            f"{'-' if cpu is None else f'{cpu:.1f}'} | {p['server_rss_kib'] / 1024:.0f} | {p['server_peak_rss_kib'] / 1024:.0f} |"
        )
lines += [
    "",
    f"Locate by Name with {int(large):,} keys at {l['Locate']['ops_per_second'] / s['Locate']['ops_per_second']:.2f}x "
    f"its rate with {int(small):,}; Get at {l['Get']['ops_per_second'] / s['Get']['ops_per_second']:.2f}x. "
    f"Data dir {data_mib:.0f} MiB.",
]
open(f"{out}/summary.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
