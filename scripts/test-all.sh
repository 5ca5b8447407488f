#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need (a Python venv with
# PyKMIP 0.11.0, PostgreSQL from Debian's packages), runs every check CI runs, and cleans up
# after itself (the throwaway PostgreSQL cluster stops and goes). README.md and .ci/run both
# call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where the shared vectors live: beside the repository unless told otherwise.
export KMIP_VECTORS="${KMIP_VECTORS:-$(cd .. && pwd)/shared/kmip-vectors}"
if [ ! -d "$KMIP_VECTORS" ]; then
  echo "test-all: no KMIP vectors at $KMIP_VECTORS (set KMIP_VECTORS)" >&2
  exit 1
fi

step() { printf '\n== %s\n' "$*"; }

# A fresh clone gains nothing from incremental compilation, and its caches cost a GiB of disk.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL=0
fi

step "python venv with the real KMIP clients (.venv)"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import kmip, huaweicloudsdkkms, huaweicloudsdkdws, qumulo, schemathesis, pytest, testtools, boto3' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check pykmip==0.11.0 huaweicloudsdkkms huaweicloudsdkdws qumulo-api schemathesis pytest testtools boto3
fi
export KMIP_PYTHON="$PWD/.venv/bin/python"
# PyKMIP's own integration suite ships only in its source distribution.
if [ ! -d .venv/pykmip-src/pykmip-0.11.0/kmip/tests/integration ]; then
  .venv/bin/pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps pykmip==0.11.0 -d .venv/pykmip-src
  tar -xzf .venv/pykmip-src/pykmip-0.11.0.tar.gz -C .venv/pykmip-src
fi
export KMIP_PYKMIP_SOURCE="$PWD/.venv/pykmip-src/pykmip-0.11.0"

step "a throwaway PostgreSQL cluster on a loopback port"
source scripts/postgres.sh
trap postgres_stop EXIT
postgres_start

step "cargo deny (licenses, bans, sources; advisories when the RustSec database is reachable)"
deny="$(command -v cargo-deny || true)"
if [ -z "$deny" ]; then
  deny="$PWD/target/tools/bin/cargo-deny"
  [ -x "$deny" ] || cargo install --quiet --locked cargo-deny@0.20.2 --root "$PWD/target/tools"
fi
"$deny" --offline check licenses bans sources
if curl -sf --max-time 10 -o /dev/null https://github.com/rustsec/advisory-db; then
  "$deny" check advisories
else
  echo "SKIPPED cargo deny check advisories: github.com, where the RustSec database lives, is unreachable from here"
fi

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Run by `cargo test`, a criterion benchmark runs each case once; the debug build the tests use
# serves, where `cargo bench` would add a whole optimised build to the disk.
step "benchmarks (smoke: each runs once)"
cargo test --workspace --benches --locked

step "tests"
log="$(mktemp)"
trap 'rm -f "$log"; postgres_stop' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"

step "the conformance and interop suites again, every kmipd on PostgreSQL"
KMIP_TEST_STORE=postgres cargo test -p kmipd --test e2e --locked -- conformance pykmip qumulo huawei 2>&1 | tee -a "$log"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
