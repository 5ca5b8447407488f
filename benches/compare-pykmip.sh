#!/usr/bin/env bash
# kmip-bench against kmipd and against the PyKMIP 0.11 server, with the same client, settings
# and machine, in one run; prints each operation's rate on both and the ratio.
#
#   benches/compare-pykmip.sh            # defaults below; override through the environment
#   CONNECTIONS=32 DURATION=10 KEYS=200 OPERATIONS=500 KMIP_VERSION=1.4 benches/compare-pykmip.sh
#
# KMIP 1.4 by default: the newest version both servers speak (PyKMIP stops at 2.0 and refuses
# 1.4-only fields such as the GCM tag in earlier versions). PyKMIP has no ReKey, so it is left
# out. The last row is the handshake rate: a Get on a new mutual-TLS connection each (TLS 1.3
# with kmipd, 1.2 with PyKMIP, which offers no more). Results go to target/bench-compare/
# (JSON per server, and summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-10}"
KEYS="${KEYS:-200}"
OPERATIONS="${OPERATIONS:-500}"
KMIP_VERSION="${KMIP_VERSION:-1.4}"
out=target/bench-compare
work="$(mktemp -d)"
mkdir -p "$out"

if [ ! -x .venv/bin/pykmip-server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check pykmip==0.11.0
fi
cargo build --release --locked -p kmipd -p kmip-bench

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

source benches/common.sh

bench() { # port pid label
  local common=(--host localhost --port "$1" --cert certs/client.pem --key certs/client.key --ca certs/ca.pem
    --connections "$CONNECTIONS" --kmip-version "$KMIP_VERSION" --server-pid "$2" --json)
  target/release/kmip-bench "${common[@]}" --duration "$DURATION" --keys "$KEYS" \
    --op create --op get --op get-attributes --op locate --op encrypt --op decrypt >"$out/$3-timed.json"
  target/release/kmip-bench "${common[@]}" --operations "$OPERATIONS" --op activate --op destroy >"$out/$3-counted.json"
  # New mutual-TLS connections per second: each Get on a connection of its own.
  target/release/kmip-bench "${common[@]}" --duration "$DURATION" --keys "$KEYS" --connect-per-request \
    --op get >"$out/$3-handshakes.json"
}

# kmipd, on the dev config, a fresh data dir and a free port.
port="$(free_port)"
target/release/kmipd --config config.toml --port "$port" --http-port 0 --data-dir "$work/kmipd" >"$work/kmipd.out" 2>&1 &
pids+=($!)
wait_for_port "$port"
echo "== kmipd on $port" >&2
bench "$port" "${pids[0]}" kmipd

# The PyKMIP server on the same dev PKI.
port="$(free_port)"
mkdir -p "$work/policies"
cat >"$work/pykmip.conf" <<CONF
[server]
hostname=127.0.0.1
port=$port
certificate_path=$PWD/certs/server.pem
key_path=$PWD/certs/server.key
ca_path=$PWD/certs/ca.pem
auth_suite=TLS1.2
policy_path=$work/policies
enable_tls_client_auth=True
logging_level=WARNING
database_path=$work/pykmip.db
CONF
.venv/bin/pykmip-server -f "$work/pykmip.conf" -l "$work/pykmip.log" >"$work/pykmip.out" 2>&1 &
pids+=($!)
wait_for_port "$port"
echo "== PyKMIP server on $port" >&2
bench "$port" "${pids[1]}" pykmip

python3 - "$out" "$CONNECTIONS" "$KMIP_VERSION" "$(nproc)" <<'PY'
import json, sys
out, connections, version, cores = sys.argv[1:]
def phases(label):
    result = {}
    for kind in ("timed", "counted", "handshakes"):
        for p in json.load(open(f"{out}/{label}-{kind}.json"))["phases"]:
            name = p["operation"] if kind != "handshakes" else f"{p['operation']}, a new connection each"
            result[name] = p
    return result
ours, theirs = phases("kmipd"), phases("pykmip")
lines = [f"{cores} cores, client and servers on one machine; {connections} connections; KMIP {version}.", "",
         "| operation | kmipd ops/s | kmipd p99 µs | kmipd CPU µs/op | PyKMIP ops/s | PyKMIP p99 µs | ratio | errors (kmipd / PyKMIP) |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
for op, a in ours.items():
    b = theirs.get(op)
    ratio = a["ops_per_second"] / b["ops_per_second"] if b and b["ops_per_second"] else float("nan")
    cpu = a.get("server_cpu_us_per_op")
    cpu = "-" if cpu is None else f"{cpu:.1f}"
    lines.append(f"| {op} | {a['ops_per_second']:.0f} | {a['latency_us']['p99']} | {cpu} | "
                 f"{b['ops_per_second']:.0f} | {b['latency_us']['p99']} | {ratio:.1f}× | {a['errors'] or '-'} / {b['errors'] or '-'} |")
text = "\n".join(lines)
open(f"{out}/summary.md", "w").write(text + "\n")
print(text)
PY
