#!/usr/bin/env bash
# Calls per second through DCE and through Kamailio, in one run, on loopback.
#
#   scripts/load/cps.sh [RATES]        e.g. scripts/load/cps.sh "100 200 400 800"
#
# For each rate, each proxy gets STEP_SECONDS of sipp calls (caller -> proxy
# -> sipp buyer that answers; each call held HOLD_MS then hung up), bounded
# in count (rate x STEP_SECONDS) and time. It reports calls ok/failed,
# retransmissions, and for DCE its own INVITE-in -> INVITE-out delay
# (hdrhistogram p50/p99 from /stats/switch) and the INVITEs it shed with 503.
# DCE anchors each call's media (MEDIA=true); sipp sends no RTP here, so
# this measures the signalling cost of opening and releasing relay
# sessions, not forwarding (scripts/load/rtp.sh measures that).
# After the steps, an overload step offers twice DCE's highest rate with
# >= 99.9% completed and reports how many of the calls DCE admitted completed.
#
# Needs: sipp (sip-tester), kamailio, curl, a release build of dce
# (cargo build --release). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

RATES=${1:-"100 200 400 800 1200"}
STEP_SECONDS=${STEP_SECONDS:-10}
HOLD_MS=${HOLD_MS:-1000}
# MEDIA=true (default): every call gets a relay session (4 sockets bound at
# INVITE, released at hangup); MEDIA=false: signalling only.
MEDIA=${MEDIA:-true}
DCE=${DCE:-${CARGO_TARGET_DIR:-target}/release/dce}
WORK=$(mktemp -d /tmp/dce-cps.XXXXXX)
SCEN=scripts/sipp
DCE_PORT=25060 KAM_PORT=25070 BUYER_PORT=25080 HTTP_PORT=25090

[ -x "$DCE" ] || { echo "build dce first: cargo build --release" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp missing: apt-get install sip-tester" >&2; exit 2; }
command -v kamailio >/dev/null || { echo "kamailio missing: apt-get install kamailio" >&2; exit 2; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

cat > "$WORK/market.toml" <<TOML
[[seller]]
name = "load"
trunks = ["127.0.0.1"]
[[buyer]]
name = "load-buyer"
balance = "100000000.00"
[[campaign]]
name = "load"
seller = "load"
numbers = ["+18005550100"]
payout = "1.00"
[[target]]
name = "load-target"
buyer = "load-buyer"
campaign = "load"
destination = "sip:buyer@127.0.0.1:$BUYER_PORT"
bid = "2.00"
TOML

# The buyer: answers every call, for the whole run.
sipp -sf "$SCEN/uas_answer.xml" -i 127.0.0.1 -p "$BUYER_PORT" -nostdin -max_socket 65000 \
  -timeout 3600s >/dev/null 2>&1 &
pids+=($!)

start_dce() {
  rm -f "$WORK/dce.db"*
  DCE_LOG_LEVEL=warn DCE_FRAUD_MAX_CALLS_PER_CALLER=0 DCE_SIP_INBOUND_QUEUE=16384 \
    DCE_BILLING_SPOOL="$WORK/dce-cdr.spool" \
    DCE_MEDIA_ENABLED="$MEDIA" DCE_MEDIA_PORTS=30000-59999 DCE_MEDIA_MAX_SESSIONS=15000 \
    "$DCE" --database "sqlite://$WORK/dce.db" serve --market "$WORK/market.toml" \
    --sip-listen "127.0.0.1:$DCE_PORT" --http-listen "127.0.0.1:$HTTP_PORT" >/dev/null 2>"$WORK/dce.log" &
  dce_pid=$!
  pids+=("$dce_pid")
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$HTTP_PORT/health/live" >/dev/null && return; sleep 0.1; done
  echo "dce did not start" >&2; cat "$WORK/dce.log" >&2; exit 1
}
stop_dce() { kill -TERM "$dce_pid" 2>/dev/null || true; wait "$dce_pid" 2>/dev/null || true; }

start_kamailio() {
  sed -e "s/LISTEN_PORT/$KAM_PORT/" -e "s/BUYER_PORT/$BUYER_PORT/" scripts/load/kamailio.cfg > "$WORK/kamailio.cfg"
  kamailio -f "$WORK/kamailio.cfg" -DD -E -m 256 -M 16 -P "$WORK/kamailio.pid" 2>"$WORK/kamailio.log" &
  kam_pid=$!
  sleep 1
}
stop_kamailio() { kill "$kam_pid" 2>/dev/null || true; wait "$kam_pid" 2>/dev/null || true; }

# run_step PORT RATE -> "ok failed retrans" from sipp's statistics file.
run_step() {
  local port=$1 rate=$2 calls=$(( $2 * STEP_SECONDS ))
  rm -f "$WORK"/uac_*.csv
  (cd "$WORK" && sipp "127.0.0.1:$port" -sf "$OLDPWD/$SCEN/uac_call.xml" -i 127.0.0.1 -p 25100 \
    -s 18005550100 -key caller +12125551234 -r "$rate" -m "$calls" -d "$HOLD_MS" -l $(( rate * 4 + 100 )) \
    -nostdin -max_socket 65000 -timeout $(( STEP_SECONDS * 3 + 30 ))s -trace_stat -stf uac_stats.csv \
    >/dev/null 2>&1 || true)
  # The last line of the cumulative statistics: SuccessfulCall(C), FailedCall(C), Retransmissions(C).
  awk -F';' 'NR==1 { for (i=1;i<=NF;i++) { if ($i=="SuccessfulCall(C)") s=i; if ($i=="FailedCall(C)") f=i; if ($i=="Retransmissions(C)") r=i } }
             END { print $s, $f, $r }' "$WORK/uac_stats.csv"
}

printf '%-9s %6s %7s %7s %7s %8s %8s %7s %9s %9s\n' proxy cps offered ok failed ok% retrans shed p50_us p99_us
best_dce=0
for rate in $RATES; do
  start_dce
  read -r ok failed retrans < <(run_step "$DCE_PORT" "$rate")
  stats=$(curl -sf "http://127.0.0.1:$HTTP_PORT/stats/switch")
  stop_dce
  shed=$(echo "$stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["shed"])')
  p50=$(echo "$stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["invite_delay"].get("p50_us","-"))')
  p99=$(echo "$stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["invite_delay"].get("p99_us","-"))')
  offered=$(( rate * STEP_SECONDS ))
  pct=$(python3 -c "print(f'{100*$ok/$offered:.2f}')")
  printf '%-9s %6s %7s %7s %7s %8s %8s %7s %9s %9s\n' dce "$rate" "$offered" "$ok" "$failed" "$pct" "$retrans" "$shed" "$p50" "$p99"
  python3 -c "import sys; sys.exit(0 if $ok*1000 >= $offered*999 else 1)" && best_dce=$rate

  start_kamailio
  read -r ok failed retrans < <(run_step "$KAM_PORT" "$rate")
  stop_kamailio
  pct=$(python3 -c "print(f'{100*$ok/$offered:.2f}')")
  printf '%-9s %6s %7s %7s %7s %8s %8s %7s %9s %9s\n' kamailio "$rate" "$offered" "$ok" "$failed" "$pct" "$retrans" - - -
done

if [ "$best_dce" -gt 0 ]; then
  over=$(( best_dce * 2 ))
  start_dce
  read -r ok failed retrans < <(run_step "$DCE_PORT" "$over")
  stats=$(curl -sf "http://127.0.0.1:$HTTP_PORT/stats/switch")
  stop_dce
  shed=$(echo "$stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["shed"])')
  offered=$(( over * STEP_SECONDS ))
  admitted=$(( offered - shed ))
  pct=$(python3 -c "print(f'{100*$ok/max($admitted,1):.2f}')")
  echo
  echo "overload: $over cps offered ($offered calls) to dce: $shed shed with 503, $admitted admitted, $ok completed = $pct% of admitted, $retrans retransmissions"
fi
echo "work files: $WORK"
