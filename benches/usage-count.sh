#!/usr/bin/env bash
# What counting encryptions costs: kmip-bench's Encrypt phase on two rotating keys of one
# kmipd, one with a cap on encryptions per version (2^40, never reached here) and one
# without, alternated over several rounds in one run; prints each round, the medians and
# their ratio (also in target/bench-usage/summary.md).
#
#   benches/usage-count.sh        # ROUNDS=5 DURATION=5 CONNECTIONS=32 through the environment
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
out=target/bench-usage
work="$(mktemp -d)"
mkdir -p "$out"
source benches/common.sh

cargo build --release --locked -p kmipd -p kmip-bench
port="$(free_port)"
http="$(free_port)"
target/release/kmipd --config config.toml --port "$port" --http-port "$http" --data-dir "$work/data" \
  >"$work/kmipd.out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_port "$http"

api() {
  curl -sSf --cacert certs/ca.pem -H "X-Auth-Token: dev-token" -H "Content-Type: application/json" "$@"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
# A rotating key, capped at `$2` encryptions per version or not ("none"); prints its first version's UID.
cmk() {
  local key_id
  key_id="$(api -X POST "https://127.0.0.1:$http/v1.0/dev-project/kms/create-key" -d "{\"key_alias\": \"$1\"}" |
    field '["key_info"]["key_id"]')"
  if [ "$2" != none ]; then
    api -X PUT "https://127.0.0.1:$http/v1/keys/$key_id/policy" -d "{\"max_encryptions_per_version\": $2}" >/dev/null
  fi
  api "https://127.0.0.1:$http/v1/keys/$key_id/versions" | field '["versions"][0]["uid"]'
}
plain="$(cmk plain none)"
capped="$(cmk capped $((1 << 40)))"

rate() { # uid label round
  target/release/kmip-bench --port "$port" --cert certs/client.pem --key certs/client.key --ca certs/ca.pem \
    --connections "$CONNECTIONS" --kmip-version 2.1 --server-pid "$pid" --json --duration "$DURATION" \
    --use-key "$1" --op encrypt >"$out/$2-$3.json"
}
for round in $(seq "$ROUNDS"); do
  echo "== round $round" >&2
  rate "$plain" plain "$round"
  rate "$capped" capped "$round"
done

python3 - "$out" "$ROUNDS" "$CONNECTIONS" "$(nproc)" <<'PY'
import json, statistics, sys
out, rounds, connections, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def phase(label, r):
    return json.load(open(f"{out}/{label}-{r}.json"))["phases"][0]
lines = [f"{cores} cores, client and server on one machine; {connections} connections; KMIP 2.1; AES-GCM, 64 bytes.", "",
         "| round | without a cap ops/s | CPU µs/op | with a cap ops/s | CPU µs/op | ratio |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
plain, capped = [], []
for r in range(1, rounds + 1):
    a, b = phase("plain", r), phase("capped", r)
    plain.append(a["ops_per_second"]); capped.append(b["ops_per_second"])
    lines.append(f"| {r} | {a['ops_per_second']:.0f} | {a.get('server_cpu_us_per_op') or 0:.1f} | "
                 f"{b['ops_per_second']:.0f} | {b.get('server_cpu_us_per_op') or 0:.1f} | "
                 f"{b['ops_per_second'] / a['ops_per_second']:.3f} |")
mp, mc = statistics.median(plain), statistics.median(capped)
lines.append(f"| median | {mp:.0f} | | {mc:.0f} | | {mc / mp:.3f} |")
text = "\n".join(lines)
open(f"{out}/summary.md", "w").write(text + "\n")
print(text)
PY
