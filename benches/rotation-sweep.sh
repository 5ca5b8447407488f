#!/usr/bin/env bash
# The rotation sweep with a million CMKs, ten thousand of them due: how long the scheduler's
# sweep takes to find and rotate them all (issue 6: within 30 s).
#
#   benches/rotation-sweep.sh            # CMKS=1000000 DUE=10000
#
# Runs crates/kmip-ops/examples/rotation_sweep.rs on a sled store in a temp dir (real
# sealing, every commit flushed; the clock injected so the due CMKs are a month old).
# The result goes to target/bench-sweep/result.json.
set -euo pipefail
cd "$(dirname "$0")/.."

CMKS="${CMKS:-1000000}"
DUE="${DUE:-10000}"
out=target/bench-sweep
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cargo build --release --locked -p kmip-ops --example rotation_sweep
target/release/examples/rotation_sweep "$CMKS" "$DUE" "$work/data" | tee "$out/result.json"
du -sh "$work/data"
