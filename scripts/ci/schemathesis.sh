#!/usr/bin/env bash
# Property-based conformance of the management API: schemathesis (PyPI)
# generates requests from /openapi.json of a real `dce serve` (fresh SQLite
# database, an admin token) and checks that no response is a 5xx and that
# every status code, content type, header and body matches the spec.
#
#   scripts/ci/schemathesis.sh            # uses $CARGO_TARGET_DIR/debug/dce
#   DCE=target/release/dce MAX_EXAMPLES=100 scripts/ci/schemathesis.sh
#
# Bounded: MAX_EXAMPLES per operation (default 30) and MAX_TIME seconds
# (default 240). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../.."
DCE=${DCE:-${CARGO_TARGET_DIR:-target}/debug/dce}
MAX_EXAMPLES=${MAX_EXAMPLES:-30}
MAX_TIME=${MAX_TIME:-240}
[ -x "$DCE" ] || { echo "build dce first (cargo build)" >&2; exit 2; }
command -v st >/dev/null || { echo "schemathesis missing: pip install 'schemathesis>=4,<5'" >&2; exit 2; }

WORK=$(mktemp -d /tmp/dce-schemathesis.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port)
SIP_PORT=$(free_port)
EMAIL=admin@example.com
PASSWORD=schemathesis-admin-password

DCE_BOOTSTRAP_ADMIN_EMAIL=$EMAIL DCE_BOOTSTRAP_ADMIN_PASSWORD=$PASSWORD \
  DCE_API_RATE_LIMIT_PER_SECOND=0 DCE_LOG_LEVEL=warn \
  DCE_BILLING_SPOOL="$WORK/spool" DCE_MEDIA_PORTS=40000-40099 \
  "$DCE" --database "sqlite://$WORK/dce.db" serve \
  --market config/market.example.toml \
  --sip-listen "127.0.0.1:$SIP_PORT" --http-listen "127.0.0.1:$HTTP_PORT" \
  >/dev/null 2>"$WORK/dce.log" &
DCE_PID=$!
trap 'kill $DCE_PID 2>/dev/null || true; wait $DCE_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$HTTP_PORT"
for _ in $(seq 300); do curl -sf "$BASE/health/live" >/dev/null && break; sleep 0.1; done

TOKEN=$(curl -sf -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# The admin's own session must outlive the run: logging out (which revokes
# it) is exercised by tests/it/api_auth.rs, not here.
# From the scratch folder: schemathesis keeps a cache where it runs.
cd "$WORK"
st run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --exclude-path /api/v1/auth/logout \
  --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --workers 2 \
  --request-timeout 10 || { echo "--- dce log ---"; tail -50 "$WORK/dce.log"; exit 1; }
