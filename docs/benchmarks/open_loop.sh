#!/usr/bin/env bash
# Open-loop sustained capacity of the webhook -> reply path: one command runs everything.
#
#   docs/benchmarks/open_loop.sh                                   # 5 rates x 60 s, Postgres and SQLite
#   RATES=250,500,1000,2000 STEP_SECS=20 BACKENDS=postgres docs/benchmarks/open_loop.sh
#   PEER=1 docs/benchmarks/open_loop.sh                            # also whatsapp-api-js and pywa
#
# Builds `omniportal` and `meta-sim` in release (if missing or older than the sources;
# SKIP_BUILD=1 skips that), installs the peers when PEER=1 (whatsapp-api-js@6 from npm into
# $WORK_DIR/peer; pywa 3.9.0, fastapi and uvicorn[standard] from PyPI into the venv $WORK_DIR/pyvenv;
# neither is committed), then runs open_loop.py (see its --help for every setting): per backend
# and peer a fresh meta-sim and fresh databases, 20 stores with an auto-reply, and signed
# webhooks at each offered rate on a fixed schedule. Prints a Markdown table (also in
# $WORK_DIR/open_loop.md) and writes $WORK_DIR/open_loop.json; stops everything it started and
# drops every database it created.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

target="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export BIN_DIR="${BIN_DIR:-$target/release}"
export WORK_DIR="${WORK_DIR:-/tmp/omni-open-loop}"
export PEER_DIR="${PEER_DIR:-$WORK_DIR/peer}"
export PYVENV="${PYVENV:-$WORK_DIR/pyvenv}"

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

for tool in psql python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
pg_isready -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" >/dev/null ||
  { echo "Postgres is not accepting connections at ${PGHOST:-127.0.0.1}:${PGPORT:-5432}" >&2; exit 1; }

mkdir -p "$WORK_DIR"
# Only what an earlier run of this script left there.
rm -rf "$WORK_DIR"/data_* "$WORK_DIR"/gen_* "$WORK_DIR"/*.log "$WORK_DIR"/open_loop.json
if [ "${PEER:-0}" = 1 ]; then
  peers="${PEERS:-whatsapp-api-js,pywa}"
  if [[ "$peers" == *whatsapp-api-js* ]] && [ ! -d "$PEER_DIR/node_modules/whatsapp-api-js" ]; then
    command -v npm >/dev/null || { echo "missing: npm" >&2; exit 1; }
    echo "installing whatsapp-api-js into $PEER_DIR..." >&2
    mkdir -p "$PEER_DIR"
    (cd "$PEER_DIR" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund whatsapp-api-js@6 >/dev/null)
  fi
  # pywa 3.9.0, the last 3.x: pywa 4 rejects (KeyError 'user_id') a message webhook whose
  # contact has no BSUID, and the generated webhooks (gen_webhooks.py's shape) have none.
  if [[ "$peers" == *pywa* ]] &&
    ! "$PYVENV/bin/python" -c 'import pywa, uvicorn, fastapi; assert pywa.__version__ == "3.9.0"' 2>/dev/null; then
    echo "installing pywa 3.9.0, fastapi, uvicorn[standard] into $PYVENV..." >&2
    python3 -m venv "$PYVENV"
    "$PYVENV/bin/pip" install -q 'pywa==3.9.0' fastapi 'uvicorn[standard]'
  fi
fi

ulimit -n 65536 2>/dev/null || true
python3 "$here/open_loop.py" | tee "$WORK_DIR/open_loop.md"
