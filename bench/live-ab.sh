#!/usr/bin/env bash
# Before/after of a data-plane change under live forwarding: lb_xdp's own time per
# packet, measured by the kernel (kernel.bpf_stats_enabled: run_time_ns / run_cnt of
# the attached program), while bench/forward.sh's traffic runs through it. Two builds
# of lb.bpf.o are attached in turn, interleaved in rounds, beside the trivial
# XDP_REDIRECT for scale.
#
#   sudo bash bench/live-ab.sh BEFORE.o AFTER.o [ROUNDS]     (after make build)
#   LIVE_AB_PORTS="9 10"  UDP services to send to: 9 = DR, 10 = NAT (default both);
#                         "replies": NAT's replies (VIP:11's real to its 256 clients)
#
# Why not packets per second: the generator, the director and the sink share one CPU
# here, and the machine's speed moves ±20 % within minutes (steal time), so a 10 %
# change in the program is lost in the rate. The program's own time moves far less,
# though it includes the statistics' own cost (two clock reads, ~40 ns in this VM,
# visible as the trivial program's figure). Bounded: ROUNDS × (1 + 2 × ports) runs of
# 1.5 s. Prints one line per round and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(readlink -f "${1:?usage: live-ab.sh BEFORE.o AFTER.o [ROUNDS]}")
B=$(readlink -f "${2:?usage: live-ab.sh BEFORE.o AFTER.o [ROUNDS]}")
ROUNDS=${3:-5} SECS=1.5 PORTS=${LIVE_AB_PORTS:-"9 10"}
[ -f "$A" ] && [ -f "$B" ] || { echo "live-ab: $A or $B is missing" >&2; exit 1; }
source bench/lab.sh
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS0"; lab_down' EXIT
lab_up
sysctl -qw kernel.bpf_stats_enabled=1

one() {   # one LABEL PIN DPORT: appends "LABEL ns" to the results, prints a column
  local ns pps
  read -r ns pps < <(prog_time "$2" "$3" "$SECS") && [ -n "$ns" ] || die "live-ab: no program time for $1"
  echo "$1 $ns" >> "$LAB_RUN/live-ab.txt"
  printf '  %s %s ns (%s pps)' "$1" "$ns" "$pps"
}

lvs_setup
udp_generate 11 0.2 >/dev/null || die "live-ab: the client flows of VIP:11 could not be sent"  # pairs for "replies"
lvs_detach
: > "$LAB_RUN/live-ab.txt"
for round in $(seq "$ROUNDS"); do
  printf 'round %d:' "$round"
  dir_fwd; one trivial "$LAB_PINS/progs/xdp_fwd" 9; fwd_detach
  for port in $PORTS; do
    name=$(case $port in 9) echo DR ;; replies) echo NAT-replies ;; *) echo NAT ;; esac)
    LVS_XDP_OBJ=$A lvs_attach; one "before-$name" "$LVS_PINS/prog" "$port"; lvs_detach
    LVS_XDP_OBJ=$B lvs_attach; one "after-$name" "$LVS_PINS/prog" "$port"; lvs_detach
  done
  echo
done
echo "medians of lb_xdp's own ns per packet (trivial XDP_REDIRECT for scale):"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
  const by = new Map();
  for (const [k, v] of rows) by.set(k, [...(by.get(k) ?? []), Number(v)]);
  for (const [k, xs] of by) { xs.sort((a, b) => a - b); console.log(`  ${k.padEnd(12)} ${xs[xs.length >> 1].toFixed(1)} ns`); }
' "$LAB_RUN/live-ab.txt"
