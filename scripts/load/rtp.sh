#!/usr/bin/env bash
# RTP relay load: DCE's relay and rtpengine (userspace, --table=-1), same run,
# on loopback.
#
#   scripts/load/rtp.sh [CALLS]        e.g. scripts/load/rtp.sh "250 500 1000 2000"
#
# For each call count N: a `direct` baseline (caller and buyer sockets send to
# each other, no relay), then DCE (a MediaEngine in its own process), then
# rtpengine (set up over ng). Each call sends 160-byte G.711 RTP at 50 pps in
# each direction for WARMUP_SECONDS + STEP_SECONDS; one table row per relay
# and N: loss, one-way latency p50/p99/p99.9, latency added over the direct
# baseline, relay CPU (utime+stime of its process from /proc) and µs CPU per
# packet. Bounded: (WARMUP_SECONDS + STEP_SECONDS + setup) per row.
#
# Needs: rtpengine (apt-get install rtpengine-daemon; its service is not
# used). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

CALLS=${1:-"250 500 1000 1500 2000 3000"}
STEP_SECONDS=${STEP_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-2}
RELAYS=${RELAYS:-direct,dce,rtpengine}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-media}

command -v rtpengine >/dev/null || { echo "rtpengine missing: apt-get install rtpengine-daemon" >&2; exit 2; }
# 4 sockets per call in either relay: raise the soft limit as far as allowed.
ulimit -n "$(ulimit -Hn)"

cargo bench -j 1 --no-run -p dce-media --bench relay_load >&2
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs"
timeout $((60 + 6 * (STEP_SECONDS + WARMUP_SECONDS + 20) * $(wc -w <<<"$CALLS"))) \
  cargo bench -j 1 -q -p dce-media --bench relay_load -- \
    --calls "$CALLS" --secs "$STEP_SECONDS" --warmup "$WARMUP_SECONDS" --relays "$RELAYS"
