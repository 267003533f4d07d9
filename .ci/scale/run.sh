#!/usr/bin/env bash
# The scale-out end-to-end suite (tests/scale/) against real servers from Debian's packages:
# PostgreSQL 15 (the local cluster, postgres/postgres on 127.0.0.1:5432) and redis-server.
# Nothing may skip: FRONTDESK_SCALE_REQUIRED=1 turns a missing piece into a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}

if ! command -v redis-server >/dev/null; then
  apt-get install -y -q redis-server >/dev/null
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster 15 main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
"$PY" -c 'import asyncpg, redis, taskiq_redis' 2>/dev/null || "$PY" -m pip install -q -e '.[scale]'

export FRONTDESK_SCALE_REQUIRED=1
export FRONTDESK_SCALE_PG_URL=${FRONTDESK_SCALE_PG_URL:-postgresql://postgres:postgres@127.0.0.1:5432/postgres}
unset FRONTDESK_DATABASE_URL  # the suite makes its own databases
"$PY" -m pytest -q -p no:cacheprovider tests/scale -rs "$@"
