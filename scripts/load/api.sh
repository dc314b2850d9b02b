#!/usr/bin/env bash
# Management API latency: the calls list and the single-call endpoint with
# 100,000 CDRs in SQLite, under wrk, on loopback.
#
#   scripts/load/api.sh                      # defaults below
#   DURATION=30 CONNECTIONS=16 DELAY_MS=0 scripts/load/api.sh   # saturate
#
# 1. a fresh SQLite database: `dce migrate`, `dce import` of
#    config/market.example.toml, then scripts/load/api_seed.sql (sqlite3)
#    writes CALLS call records shaped as the switch writes them;
# 2. `dce serve` on it (bootstrap admin from DCE_BOOTSTRAP_ADMIN_*, no API
#    rate limit), an access token from POST /api/v1/auth/login;
# 3. wrk with scripts/load/api.lua for DURATION seconds: MIX of requests go
#    to GET /api/v1/calls/{random id}, the rest to three calls lists (first
#    page; a campaign + outcome filter; a buyer filter).
#
# wrk is closed-loop and has no fixed-rate mode (wrk2 is not packaged): the
# rate is paced by CONNECTIONS and DELAY_MS (each connection waits DELAY_MS
# after each response), and the rate achieved is printed with the latency
# percentiles, for each endpoint mix on its own and together.
#
# Needs: wrk (apt-get install wrk), sqlite3, curl, a release build of dce
# (cargo build --release). Only 127.0.0.1 is used; each run is bounded by
# DURATION.
set -euo pipefail
cd "$(dirname "$0")/../.."

CALLS=${CALLS:-100000}
DURATION=${DURATION:-20}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-12}
DELAY_MS=${DELAY_MS:-4}
DCE=${DCE:-${CARGO_TARGET_DIR:-target}/release/dce}
HTTP_PORT=${HTTP_PORT:-25190}
SIP_PORT=${SIP_PORT:-25160}
WORK=$(mktemp -d /tmp/dce-api.XXXXXX)
EMAIL=admin@load.example
PASSWORD="load test password"

[ -x "$DCE" ] || { echo "build dce first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: apt-get install sqlite3" >&2; exit 2; }

pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

DB="sqlite://$WORK/dce.db"
"$DCE" --database "$DB" migrate >/dev/null
"$DCE" --database "$DB" import config/market.example.toml >/dev/null
sed "s/i < 100000/i < $CALLS/; s/100000 \* 2000/$CALLS * 2000/" scripts/load/api_seed.sql | sqlite3 "$WORK/dce.db" >/dev/null
echo "seeded $(sqlite3 "$WORK/dce.db" 'SELECT COUNT(*) FROM cdrs') call records"

DCE_BOOTSTRAP_ADMIN_EMAIL=$EMAIL DCE_BOOTSTRAP_ADMIN_PASSWORD=$PASSWORD \
DCE_API_RATE_LIMIT_PER_SECOND=0 DCE_API_ACCESS_TOKEN_TTL=1h DCE_MEDIA_ENABLED=false DCE_LOG_LEVEL=warn \
  "$DCE" --database "$DB" serve --sip-listen "127.0.0.1:$SIP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" \
  >/dev/null 2>"$WORK/dce.log" &
pid=$!
up=
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$HTTP_PORT/health/live" >/dev/null && { up=1; break; }; sleep 0.1; done
[ -n "$up" ] || { echo "dce serve did not start"; cat "$WORK/dce.log"; exit 1; }
TOKEN=$(curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/' || true)
[ -n "$TOKEN" ] || { echo "login failed"; cat "$WORK/dce.log"; exit 1; }
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP_PORT/api/v1/calls/seed-00000001" \
  || { echo "GET /calls/{id} failed"; cat "$WORK/dce.log"; exit 1; }

run() { # NAME MIX
  echo "== $1: $THREADS thread(s), $CONNECTIONS connections, ${DELAY_MS} ms pause, ${DURATION} s"
  TOKEN=$TOKEN CALLS=$CALLS MIX=$2 DELAY_MS=$DELAY_MS \
    timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 2s \
    -s scripts/load/api.lua "http://127.0.0.1:$HTTP_PORT" | sed -n '/^achieved/,$p'
}
# Warm the page cache and the connection pool.
DURATION=3 run warm-up 0.5 >/dev/null
run "single call (GET /calls/{id})" 1
run "calls list (GET /calls)" 0
run "mixed 50/50" 0.5
