#!/usr/bin/env bash
# Webhook ingest benchmark: one command runs everything.
#
#   docs/benchmarks/webhook_ingest.sh
#
# Builds `omniportal` and `meta-sim` in release (if missing or older than the sources),
# installs wrk (Debian) and whatsapp-api-js (npm, into a temporary directory) if missing, then
# runs bench.py: for Postgres and then SQLite, a fresh meta-sim, fresh databases, 20 stores
# with an auto-reply each, and wrk driving signed single-message webhooks at 64 connections
# for 10 s; then waits until every message is answered at the simulator and checks that every
# acknowledged message was stored and answered exactly once; then the same wrk load against
# whatsapp-api-js on node:http. Prints a Markdown table; everything it started is stopped and
# every database it created is dropped.
#
# Environment (defaults): DURATION=10 CONNECTIONS=64 THREADS=2 STORES=20 MPS=1000 RUNS=1
# BACKENDS=postgres,sqlite PEER=1 PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
# WORK_DIR=/tmp/omni-bench (generated bodies, logs, results.json); INGEST_ONLY=1 (also measure
# each backend with the workers off); SKIP_BUILD=1 (use the release binaries as they are);
# OMNI_ENV_<NAME>=<value> passes <NAME>=<value> to the server (e.g.
# OMNI_ENV_OMNI_DATABASE__POOL_SIZE=16); DIAG_ANALYZE_SECS=N (diagnostic: ANALYZE the inbox
# every N s during Postgres runs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

target="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export BIN_DIR="$target/release"
export WORK_DIR="${WORK_DIR:-/tmp/omni-bench}"
export PEER_DIR="$WORK_DIR/peer"

need_build=0
[ "${SKIP_BUILD:-0}" = 1 ] && need_build=skip
for bin in omniportal meta-sim; do
  [ -x "$BIN_DIR/$bin" ] || need_build=1
done
if [ "$need_build" = 0 ] &&
  [ -n "$(find crates Cargo.toml Cargo.lock config migrations -newer "$BIN_DIR/omniportal" -type f 2>/dev/null | head -1)" ]; then
  need_build=1
fi
if [ "$need_build" = 1 ]; then
  echo "building release binaries (several minutes on 2 cores)..." >&2
  cargo build --release -p omni-app -p omni-meta-sim --bin omniportal --bin meta-sim
fi

if ! command -v wrk >/dev/null; then
  echo "installing wrk..." >&2
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
for tool in psql node npm python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
pg_isready -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" >/dev/null ||
  { echo "Postgres is not accepting connections at ${PGHOST:-127.0.0.1}:${PGPORT:-5432}" >&2; exit 1; }

mkdir -p "$WORK_DIR"
# Only what an earlier run of this script left there.
rm -rf "$WORK_DIR"/bodies.* "$WORK_DIR"/data_* "$WORK_DIR"/*.log "$WORK_DIR"/results.json "$PEER_DIR"
mkdir -p "$PEER_DIR"
if [ "${PEER:-1}" = 1 ]; then
  echo "installing whatsapp-api-js into $PEER_DIR..." >&2
  (cd "$PEER_DIR" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund whatsapp-api-js@6 >/dev/null)
  cp "$here/peer_whatsapp_api_js.mjs" "$PEER_DIR/"
fi

ulimit -n 65536 2>/dev/null || true
python3 "$here/bench.py" | tee "$WORK_DIR/table.md"
