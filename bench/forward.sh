#!/usr/bin/env bash
# Forwarding rate, packets counted where they arrive: our live-frame generator
# (bench/pktgen.ts + bench/gen.bpf.c) in lxbench-cli sends 64-byte IPv4 UDP frames over
# 256 flows to the director; the sink on the real server's veth counts them. Director
# configurations, back to back in one lab, in rounds: the denominator (trivial
# XDP_REDIRECT d0->d1), lvs-xdp DR, lvs-xdp NAT, nftables DNAT. NAT's other direction
# too: the generator in lxbench-rs sends one real's replies to the 256 client flows
# into d1, the sink on the client's c0 counts them; its denominator is the trivial
# XDP_REDIRECT d1->d0.
#
#   bash bench/forward.sh OUT.md     (root; from the repository root; run by bench/run.sh)
#
# Writes a Markdown section to OUT.md. Fails only when a measurement cannot be taken.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: forward.sh OUT.md}
source bench/lab.sh
ROUNDS=${BENCH_ROUNDS:-5} SECS=${BENCH_SECS:-1.5}

STATS0=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS0"; lab_down' EXIT
lab_up

RES=$LAB_RUN/forward.tsv
: > "$RES"
measure() {   # measure NAME DPORT: one timed run, its JSON into the results (DPORT "replies": NAT's replies)
  local name=$1 json
  json=$(generate "$2" "$SECS") || die "forwarding measurement '$name' could not be taken"
  echo "        $name: $json" >&2
  printf '%s\t%s\n' "$name" "$json" >> "$RES"
}
progtime() {   # progtime NAME PIN DPORT: the program's own ns per packet over one run
  local ns pps
  read -r ns pps < <(prog_time "$2" "$3" "$SECS") && [ -n "$ns" ] || die "program time of $1 could not be taken"
  printf 'program time: %s\t{"ns":%s}\n' "$1" "$ns" >> "$RES"
}
lvs_udp_packets() {  # packets lvs-xdp forwarded for UDP VIP:PORT (its own counters; out: replies)
  lvs -Ln --stats --exact | awk -v vip="$VIP:$1" -v col=$([ "${2:-}" = out ] && echo 5 || echo 4) \
    '$1 == "UDP" && $2 == vip { print $col }'
}

lvs_setup; lvs_detach
# Rounds: every director configuration once per round, so drift and other work on the
# machine fall on all of them alike.
for round in $(seq "$ROUNDS"); do
  echo "  RUN   forward: round $round of $ROUNDS (6 x ${SECS} s)" >&2
  dir_fwd;    measure "trivial XDP_REDIRECT d0->d1" 9; fwd_detach
  dir_fwd d1 d0; measure "trivial XDP_REDIRECT d1->d0" replies; fwd_detach d1
  lvs_attach
  b9=$(lvs_udp_packets 9) b10=$(lvs_udp_packets 10)
  measure "lvs-xdp DR" 9
  measure "lvs-xdp NAT" 10
  a9=$(lvs_udp_packets 9) a10=$(lvs_udp_packets 10)
  [ "${a9:-0}" -gt "${b9:-0}" ] && [ "${a10:-0}" -gt "${b10:-0}" ] \
    || die "lvs-xdp: its UDP services counted no packets (the frames did not take its XDP path)"
  # the 256 client flows of VIP:11 (its NAT pairs, UDP timeout 300 s), then their replies
  udp_generate 11 0.2 >/dev/null || die "lvs-xdp NAT: the client flows of VIP:11 could not be sent"
  b11=$(lvs_udp_packets 11 out)
  measure "lvs-xdp NAT replies" replies
  a11=$(lvs_udp_packets 11 out)
  [ "${a11:-0}" -gt "${b11:-0}" ] || die "lvs-xdp: no NAT reply translated (the replies did not take its XDP path)"
  lvs_detach
  dir_nft; d0_gro on; measure "nftables DNAT (numgen + conntrack)" 9; nft_clear
done
# What each XDP program itself costs per packet under this load, apart from the path
# around it: the kernel's own statistics (two clock reads per run, which every figure
# includes alike). Separate rounds: the statistics slow the path down.
sysctl -qw kernel.bpf_stats_enabled=1
for round in 1 2 3; do
  echo "  RUN   forward: program time, round $round of 3" >&2
  dir_fwd; progtime "trivial XDP_REDIRECT" "$LAB_PINS/progs/xdp_fwd" 9; fwd_detach
  lvs_attach; progtime "lvs-xdp DR" "$LVS_PINS/prog" 9; progtime "lvs-xdp NAT" "$LVS_PINS/prog" 10
  progtime "lvs-xdp NAT replies" "$LVS_PINS/prog" replies; lvs_detach
done
sysctl -qw kernel.bpf_stats_enabled="$STATS0"
dir_clear

node dist/bench/report.js forward "$RES" > "$OUT" || die "forwarding report"
