#!/usr/bin/env bash
# Forwarding rate, packets counted where they arrive: our live-frame generator
# (bench/pktgen.ts + bench/gen.bpf.c) in lxbench-cli sends 64-byte IPv4 UDP frames over
# 256 flows to the director; the sink on the real server's veth counts them. Director
# configurations, back to back in one lab, in rounds: the denominator (trivial
# XDP_REDIRECT d0->d1), lvs-xdp DR, lvs-xdp NAT, nftables DNAT.
#
#   bash bench/forward.sh OUT.md     (root; from the repository root; run by bench/run.sh)
#
# Writes a Markdown section to OUT.md. Fails only when a measurement cannot be taken.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: forward.sh OUT.md}
source bench/lab.sh
ROUNDS=${BENCH_ROUNDS:-5} SECS=${BENCH_SECS:-1.5}

trap lab_down EXIT
lab_up

RES=$LAB_RUN/forward.tsv
: > "$RES"
measure() {   # measure NAME DPORT: pktgen on CPU 1, one timed run, JSON into the results
  local name=$1 dport=$2 json
  json=$(taskset -c 1 nsenter --net=/run/netns/$NS_CLI -- timeout 60 node dist/bench/pktgen.js \
    --pins "$LAB_PINS" --dev c0 --dmac $MAC_D0 --smac $MAC_C0 --saddr 192.0.2.1 --daddr $VIP \
    --dport "$dport" --flows 256 --seconds "$SECS" --runs 1 --warmup 0.3) \
    || die "forwarding measurement '$name' could not be taken"
  echo "        $name: $json" >&2
  printf '%s\t%s\n' "$name" "$json" >> "$RES"
}
lvs_udp_packets() {  # packets lvs-xdp forwarded for UDP VIP:PORT (its own counters)
  lvs -Ln --stats --exact | awk -v vip="$VIP:$1" '$1 == "UDP" && $2 == vip { print $4 }'
}

lvs_setup; lvs_detach
# Rounds: every director configuration once per round, so drift and other work on the
# machine fall on all of them alike.
for round in $(seq "$ROUNDS"); do
  echo "  RUN   forward: round $round of $ROUNDS (4 x ${SECS} s)" >&2
  dir_fwd;    measure "trivial XDP_REDIRECT d0->d1" 9; fwd_detach
  lvs_attach
  b9=$(lvs_udp_packets 9) b10=$(lvs_udp_packets 10)
  measure "lvs-xdp DR" 9
  measure "lvs-xdp NAT" 10
  a9=$(lvs_udp_packets 9) a10=$(lvs_udp_packets 10)
  [ "${a9:-0}" -gt "${b9:-0}" ] && [ "${a10:-0}" -gt "${b10:-0}" ] \
    || die "lvs-xdp: its UDP services counted no packets (the frames did not take its XDP path)"
  lvs_detach
  dir_nft; d0_gro on; measure "nftables DNAT (numgen + conntrack)" 9; nft_clear
done
dir_clear

node dist/bench/report.js forward "$RES" > "$OUT" || die "forwarding report"
