#!/usr/bin/env bash
# RTP relay load: DCE's relay and rtpengine (userspace, --table=-1), same run,
# on loopback.
#
#   scripts/load/rtp.sh [CALLS]        e.g. SCHED="chrt -f 10" scripts/load/rtp.sh "1500 2000 2500"
#
# For each call count N: a `direct` baseline (caller and buyer sockets send to
# each other, no relay), then DCE (a MediaEngine in its own process), then
# rtpengine (set up over ng). Each call sends 160-byte G.711 RTP at 50 pps in
# each direction for WARMUP_SECONDS + STEP_SECONDS; one table row per relay
# and N: loss, one-way latency p50/p99/p99.9, latency added over the direct
# baseline, relay CPU (utime+stime of its process from /proc) and µs CPU per
# packet. Bounded: (WARMUP_SECONDS + STEP_SECONDS + setup) per row, and the
# whole run by `timeout`.
#
# Needs: rtpengine (apt-get install rtpengine-daemon; its service is not
# used). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

CALLS=${1:-"750 1000 1250 1500 1750 2000 2500 3000"}
STEP_SECONDS=${STEP_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-2}
RELAYS=${RELAYS:-direct,dce,rtpengine}
# Generator receiver sweep period in µs (0: block in poll(2), woken per
# arrival); DCE relay worker threads (0: one per core).
RX_POLL_US=${RX_POLL_US:-100}
DCE_WORKERS=${DCE_WORKERS:-0}
# Optional scheduling prefix for generator and relays alike (they inherit
# it), e.g. SCHED="chrt -f 10" on a machine shared with builds: the other
# work then only gets the CPU the benchmark leaves. Empty: as is.
SCHED=${SCHED:-}
# Optional pinning (comma lists of CPUs): the generator's threads to
# GEN_CPUS, the relay process under test to RELAY_CPUS (e.g. GEN_CPUS=0
# RELAY_CPUS=1 DCE_WORKERS=1 RTPENGINE_THREADS=1: one core each). Empty:
# wherever the scheduler puts them.
GEN_CPUS=${GEN_CPUS:-}
RELAY_CPUS=${RELAY_CPUS:-}
# rtpengine --num-threads (0: its default, one per core).
RTPENGINE_THREADS=${RTPENGINE_THREADS:-0}
# Generator sender tick in µs (divides 20000): each tick sends the calls due
# in it; shorter ticks send the same load in smaller bursts.
TICK_US=${TICK_US:-1000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-media}

command -v rtpengine >/dev/null || { echo "rtpengine missing: apt-get install rtpengine-daemon" >&2; exit 2; }
# 4 sockets per call in either relay: raise the soft limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo bench -j 1 --no-run -p dce-media --bench relay_load >&2
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# SCHED='$SCHED' RX_POLL_US=$RX_POLL_US DCE_WORKERS=$DCE_WORKERS DCE_RELAY_IO=${DCE_RELAY_IO:-auto} GEN_CPUS='$GEN_CPUS' RELAY_CPUS='$RELAY_CPUS' RTPENGINE_THREADS=$RTPENGINE_THREADS TICK_US=$TICK_US"
# shellcheck disable=SC2086 # SCHED is a command prefix, split on purpose
timeout $((60 + 6 * (STEP_SECONDS + WARMUP_SECONDS + 20) * $(wc -w <<<"$CALLS"))) \
  $SCHED cargo bench -j 1 -q -p dce-media --bench relay_load -- \
    --calls "$CALLS" --secs "$STEP_SECONDS" --warmup "$WARMUP_SECONDS" --relays "$RELAYS" \
    --rx-poll-us "$RX_POLL_US" --dce-workers "$DCE_WORKERS" \
    --gen-cpus "$GEN_CPUS" --relay-cpus "$RELAY_CPUS" --rtpengine-threads "$RTPENGINE_THREADS" \
    --tick-us "$TICK_US"
