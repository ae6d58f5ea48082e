#!/usr/bin/env bash
# `make cluster`: three PostgreSQL-backed nodes on 8001-8003 behind HAProxy on 8000, on this machine, with the
# demo loaded. Ctrl-C stops everything. Override with ECABINET_DATABASE_URL / ECABINET_REDIS_URL /
# ECABINET_DATA_DIR (shared by the nodes: uploaded documents, rendered pages, keys).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # every package of this checkout, installed or not
PG_SERVER=${PG_SERVER:-postgresql+psycopg://postgres@127.0.0.1:5432}
export ECABINET_DATABASE_URL=${ECABINET_DATABASE_URL:-$PG_SERVER/ecabinet_cluster}
export ECABINET_REDIS_URL=${ECABINET_REDIS_URL:-redis://127.0.0.1:6379/0}
export ECABINET_REDIS_CHANNEL=${ECABINET_REDIS_CHANNEL:-ecabinet-cluster}
export ECABINET_DATA_DIR=${ECABINET_DATA_DIR:-var/cluster}
export ECABINET_TRUSTED_PROXIES=${ECABINET_TRUSTED_PROXIES:-127.0.0.1}
export ECABINET_DEMO_MODE=1 ECABINET_RTC_HOST_ADDRESSES=${ECABINET_RTC_HOST_ADDRESSES:-127.0.0.1}

# The database, once, with the demo loaded into it (a second `make cluster` reuses both).
created=$($BIN/python - <<'PY'
import os
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
url = make_url(os.environ["ECABINET_DATABASE_URL"])
admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
with admin.connect() as conn:
    if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).scalar():
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        print("created")
admin.dispose()
PY
)
if [ "$created" = "created" ]; then $BIN/ecabinet demo --no-serve; fi

pids=()
stop() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait || true; }
trap stop EXIT INT TERM
for port in 8001 8002 8003; do
  ECABINET_NODE_ID="node-$port" $BIN/ecabinet serve --port "$port" &
  pids+=($!)
done
haproxy -db -f deploy/haproxy.cfg &
pids+=($!)
echo "e-Cabinet cluster: http://127.0.0.1:8000 (nodes 8001-8003; HAProxy checks /healthz)"
wait -n
