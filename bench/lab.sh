# shellcheck shell=bash
# The benchmark lab (sourced by bench/forward.sh and bench/tcp.sh): direct veth pairs,
# no bridge, static neighbours, documentation addresses only.
#
#   lxbench-cli  c0 192.0.2.1/24 ---------- d0 192.0.2.2/24   lxbench-dir   (VIP 192.0.2.100 on lo)
#                                           d1 203.0.113.1/24 ---------- r0 203.0.113.11-14  lxbench-rs
#                cx0 198.51.100.1/24 ------------------------------------ rx0 198.51.100.2/24
#
# The client (and the UDP generator) is lxbench-cli; four real-server addresses share
# one namespace (one nginx, one sink); cx0-rx0 is the "talking to the real server
# directly" path and the DR return path (the director is not on it, as in DR).
# Every name starts with lxbench (lxt4b belongs to another benchmark: never touched).

NS_CLI=lxbench-cli NS_DIR=lxbench-dir NS_RS=lxbench-rs
VIP=192.0.2.100
RIPS=(203.0.113.11 203.0.113.12 203.0.113.13 203.0.113.14)
MAC_C0=02:00:00:00:00:c0 MAC_D0=02:00:00:00:00:d0 MAC_D1=02:00:00:00:00:d1
MAC_R0=02:00:00:00:00:e0 MAC_CX0=02:00:00:00:00:c1 MAC_RX0=02:00:00:00:00:e1
LAB_PINS=/sys/fs/bpf/lxbench-$$        # gen.bpf.o programs and maps (bpftool loadall)
LVS_PINS=/sys/fs/bpf/lxbench-lvs-$$    # lvs-xdp's own pin directory
LAB_RUN=/tmp/lxbench-run-$$            # nginx files, haproxy pid, logs
GEN_OBJ=${GEN_OBJ:-.output/bench/gen.bpf.o}

in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" -- "$@"; }
die() { echo "bench: $*" >&2; exit 1; }
lvs() { in_ns "$NS_DIR" timeout 60 bin/lvs-xdp --pin-dir "$LVS_PINS" "$@"; }
sysctl_ns() { local ns=$1; shift; for kv in "$@"; do in_ns "$ns" sysctl -qw "$kv" >/dev/null; done; }

lab_down() {
  set +e
  [ -f "$LAB_RUN/haproxy.pid" ] && kill "$(cat "$LAB_RUN/haproxy.pid")" 2>/dev/null
  for pid in "$LAB_RUN/rs-nginx.pid" "$LAB_RUN/nat/rs-nginx.pid"; do   # tcp.sh's two
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
  done
  # lvs-xdp's detach while the director's namespace still exists: it also removes what
  # attach saved under /run/lvs-xdp/forwarding (a script that died mid-run left it)
  [ -d "$LVS_PINS" ] && ip netns list | grep -qw "$NS_DIR" && dir_clear
  set +e   # again: dir_clear ends with set -e
  for ns in "$NS_CLI" "$NS_DIR" "$NS_RS"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$LAB_PINS" "$LVS_PINS" "$LAB_RUN"
  set -e
}

lab_up() {
  for ns in "$NS_CLI" "$NS_DIR" "$NS_RS"; do
    ip netns list | grep -qw "^$ns" && die "namespace $ns exists (another bench running? remove it with ip netns del $ns)"
  done
  [ -f "$GEN_OBJ" ] || die "$GEN_OBJ missing (bench/run.sh builds it)"
  mkdir -p "$LAB_RUN"
  for ns in "$NS_CLI" "$NS_DIR" "$NS_RS"; do ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
  ip link add c0 netns "$NS_CLI" address $MAC_C0 type veth peer d0 netns "$NS_DIR" address $MAC_D0
  ip link add d1 netns "$NS_DIR" address $MAC_D1 type veth peer r0 netns "$NS_RS" address $MAC_R0
  ip link add cx0 netns "$NS_CLI" address $MAC_CX0 type veth peer rx0 netns "$NS_RS" address $MAC_RX0
  for ns in "$NS_CLI" "$NS_DIR" "$NS_RS"; do
    sysctl_ns "$ns" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  in_ns "$NS_CLI" ip addr add 192.0.2.1/24 dev c0
  in_ns "$NS_CLI" ip addr add 198.51.100.1/24 dev cx0
  in_ns "$NS_DIR" ip addr add 192.0.2.2/24 dev d0
  in_ns "$NS_DIR" ip addr add 203.0.113.1/24 dev d1
  in_ns "$NS_DIR" ip addr add $VIP/32 dev lo
  for r in "${RIPS[@]}"; do in_ns "$NS_RS" ip addr add "$r"/24 dev r0; done
  in_ns "$NS_RS" ip addr add 198.51.100.2/24 dev rx0
  in_ns "$NS_RS" ip addr add $VIP/32 dev lo
  for l in "$NS_CLI:c0" "$NS_CLI:cx0" "$NS_DIR:d0" "$NS_DIR:d1" "$NS_RS:r0" "$NS_RS:rx0"; do
    in_ns "${l%%:*}" ip link set "${l##*:}" up
    sysctl_ns "${l%%:*}" net.ipv4.conf."${l##*:}".rp_filter=0
  done
  # veth leaves TCP/UDP checksums to "hardware" (CHECKSUM_PARTIAL) and XDP forwards
  # frames as they are: hosts put full checksums on the wire, as real NICs do
  for l in "$NS_CLI:c0" "$NS_CLI:cx0" "$NS_RS:r0" "$NS_RS:rx0"; do
    in_ns "${l%%:*}" ethtool -K "${l##*:}" tx off >/dev/null
  done
  sysctl_ns "$NS_DIR" net.ipv4.ip_forward=1
  sysctl_ns "$NS_RS" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  for ns in "$NS_CLI" "$NS_RS"; do
    sysctl_ns "$ns" net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 \
      net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
  done
  # static neighbours everywhere: no ARP in any figure
  in_ns "$NS_CLI" ip neigh replace 192.0.2.2 lladdr $MAC_D0 dev c0 nud permanent
  in_ns "$NS_CLI" ip neigh replace $VIP lladdr $MAC_D0 dev c0 nud permanent
  in_ns "$NS_CLI" ip neigh replace 198.51.100.2 lladdr $MAC_RX0 dev cx0 nud permanent
  in_ns "$NS_DIR" ip neigh replace 192.0.2.1 lladdr $MAC_C0 dev d0 nud permanent
  for r in "${RIPS[@]}"; do in_ns "$NS_DIR" ip neigh replace "$r" lladdr $MAC_R0 dev d1 nud permanent; done
  in_ns "$NS_RS" ip neigh replace 203.0.113.1 lladdr $MAC_D1 dev r0 nud permanent
  in_ns "$NS_RS" ip neigh replace 198.51.100.1 lladdr $MAC_CX0 dev rx0 nud permanent
  in_ns "$NS_RS" ip neigh replace 192.0.2.1 lladdr $MAC_CX0 dev rx0 nud permanent
  # replies from the VIP (DR) go straight back over rx0, as in DR; replies from a real's
  # address (nftables DNAT) go back through the director, which undoes the NAT
  in_ns "$NS_RS" ip rule add from $VIP lookup 100 pref 100
  in_ns "$NS_RS" ip route add 192.0.2.0/24 dev rx0 table 100
  in_ns "$NS_RS" ip route add 192.0.2.0/24 via 203.0.113.1 dev r0
  # gen.bpf.o: generator, sink, trivial redirect, pass; the sink stays on r0 for the
  # whole run (UDP counted and dropped, everything else passed to the kernel)
  mkdir -p "$LAB_PINS"
  bpftool prog loadall "$GEN_OBJ" "$LAB_PINS/progs" pinmaps "$LAB_PINS/maps" \
    || die "could not load $GEN_OBJ"
  in_ns "$NS_RS" bpftool net attach xdpdrv pinned "$LAB_PINS/progs/xdp_sink" dev r0 \
    || die "could not attach the sink to r0"
}

# udp_generate DPORT SECS: our generator (pktgen.ts) on CPU 1 from lxbench-cli, 256 UDP
# flows to VIP:DPORT, one timed run after 0.3 s of warm-up; prints its JSON.
udp_generate() {
  taskset -c 1 nsenter --net=/run/netns/$NS_CLI -- timeout 60 node dist/bench/pktgen.js \
    --pins "$LAB_PINS" --dev c0 --dmac $MAC_D0 --smac $MAC_C0 --saddr 192.0.2.1 --daddr $VIP \
    --dport "$1" --flows 256 --seconds "$2" --runs 1 --warmup 0.3
}

# udp_reply_generate SECS: the same generator from lxbench-rs into the director's d1:
# the replies of NAT service VIP:11's one real (RIPS[0]:11) to the 256 client flows
# `udp_generate 11` opened (192.0.2.1:10000-10255); counted by the sink on c0 (c0_xdp xdp_sink).
udp_reply_generate() {
  taskset -c 1 nsenter --net=/run/netns/$NS_RS -- timeout 60 node dist/bench/pktgen.js \
    --pins "$LAB_PINS" --dev r0 --dmac $MAC_D1 --smac $MAC_R0 --saddr "${RIPS[0]}" --daddr 192.0.2.1 \
    --sport-base 11 --dport 10000 --step dport --flows 256 --seconds "$1" --runs 1 --warmup 0.3
}

# c0_xdp PROG | c0_xdp: attach gen.bpf.o's PROG to the client's c0, or detach it. The
# NAPI it gives c0 lets it receive XDP frames (replies through the director): xdp_sink
# counts them for the reply direction's runs (into the same map as r0's), xdp_pass for
# tcp.sh's NAT path. Off otherwise: the other figures are taken as they always were.
c0_xdp() {
  if [ -n "${1:-}" ]; then
    in_ns "$NS_CLI" bpftool net attach xdpdrv pinned "$LAB_PINS/progs/$1" dev c0 || die "attach $1 to c0"
  else
    in_ns "$NS_CLI" bpftool net detach xdpdrv dev c0 || die "detach the program on c0"
  fi
}

# generate DPORT SECS: udp_generate to VIP:DPORT, or with DPORT "replies" the NAT
# replies of udp_reply_generate, the sink on c0 attached for just that run.
generate() {
  if [ "$1" = replies ]; then
    local out rc=0
    c0_xdp xdp_sink
    out=$(udp_reply_generate "$2") || rc=$?
    c0_xdp
    [ "$rc" = 0 ] && echo "$out"
    return "$rc"
  fi
  udp_generate "$1" "$2"
}

# "run_time_ns run_cnt" of the program pinned at $1, as the kernel counts them while
# kernel.bpf_stats_enabled is on.
prog_stats() {
  bpftool prog show pinned "$1" -j | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const p = JSON.parse(s); console.log(p.run_time_ns ?? 0, p.run_cnt ?? 0); })'
}

# prog_time PIN DPORT SECS: one generate run; prints the pinned program's own ns
# per packet over it (one decimal; needs kernel.bpf_stats_enabled=1) and the packets
# per second at the sink (forward.sh's program-time pass, live-ab.sh).
prog_time() {
  local t0 c0 t1 c1 pps ns
  read -r t0 c0 < <(prog_stats "$1")
  pps=$(generate "$2" "$3" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).median))') \
    || die "generator run for the program time of $1 failed"
  read -r t1 c1 < <(prog_stats "$1")
  [ "$c1" -gt "$c0" ] || die "$1 ran no packets"
  ns=$(( (t1 - t0) * 10 / (c1 - c0) ))
  echo "$((ns / 10)).$((ns % 10)) $pps"
}

# Director configurations (exactly one active at a time).
dir_clear() {
  set +e
  in_ns "$NS_DIR" bpftool net detach xdpdrv dev d0 2>/dev/null
  in_ns "$NS_DIR" bpftool net detach xdpdrv dev d1 2>/dev/null
  if [ -d "$LVS_PINS" ]; then
    lvs -C >/dev/null 2>&1
    lvs detach d0 d1 >/dev/null 2>&1
    lvs detach --purge >/dev/null 2>&1
    rm -rf "$LVS_PINS"
  fi
  in_ns "$NS_DIR" nft flush ruleset 2>/dev/null
  [ -f "$LAB_RUN/haproxy.pid" ] && kill "$(cat "$LAB_RUN/haproxy.pid")" 2>/dev/null && sleep 0.5
  rm -f "$LAB_RUN/haproxy.pid"
  in_ns "$NS_DIR" ethtool -K d0 gro off >/dev/null 2>&1
  set -e
}

dir_fwd() {   # the denominator: trivial XDP_REDIRECT d0 -> d1 (dir_fwd d1 d0: the other way)
  local from=${1:-d0} to=${2:-d1} idx
  idx=$(in_ns "$NS_DIR" ip -o link show "$to" | cut -d: -f1)
  bpftool map update pinned "$LAB_PINS/maps/fwd_ifindex" key 0 0 0 0 \
    value $((idx & 255)) $(((idx >> 8) & 255)) 0 0 || die "fwd_ifindex"
  in_ns "$NS_DIR" bpftool net attach xdpdrv pinned "$LAB_PINS/progs/xdp_fwd" dev "$from" || die "attach xdp_fwd"
}

dir_fwd_tcp() {   # the TCP figures' trivial forwarder: VIP:80 -> r0 by MAC rewrite (gen.bpf.c xdp_fwd_mac)
  local idx hex
  idx=$(in_ns "$NS_DIR" ip -o link show d1 | cut -d: -f1)
  bpftool map update pinned "$LAB_PINS/maps/fwd_ifindex" key 0 0 0 0 \
    value $((idx & 255)) $(((idx >> 8) & 255)) 0 0 || die "fwd_ifindex"
  mac_bytes() { echo "$1" | tr ':' ' ' | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g'; }
  # vip (4 bytes, network order), dmac, smac, port 80 (network order), pad
  hex="$(echo $VIP | tr '.' ' ') $(mac_bytes $MAC_R0) $(mac_bytes $MAC_D1) 0 80 0 0"
  # shellcheck disable=SC2086
  bpftool map update pinned "$LAB_PINS/maps/fwd_mac" key 0 0 0 0 value $hex || die "fwd_mac"
  in_ns "$NS_DIR" bpftool net attach xdpdrv pinned "$LAB_PINS/progs/xdp_fwd_mac" dev d0 || die "attach xdp_fwd_mac"
}

# lvs-xdp, configured once: UDP VIP:9 over the four reals by DR, UDP VIP:10 by NAT,
# TCP VIP:80 by DR. Detaching keeps the pinned maps (services, conntrack) for the next attach.
lvs_setup() {
  local r
  lvs attach d0 d1 >/dev/null 2>>"$LAB_RUN/lvs.log" || die "lvs-xdp attach d0 d1 failed: $(tail -1 "$LAB_RUN/lvs.log")"
  # UDP :9 DR, :10 NAT, :11 NAT to one real (its replies, forward.sh); TCP :80 DR, :83
  # NAT to the reals' :8083 (tcp.sh; NAT replies come back through the director, as
  # nftables DNAT's on :81 do)
  lvs -A -u $VIP:9 -s rr && lvs -A -u $VIP:10 -s rr && lvs -A -t $VIP:80 -s rr && lvs -A -t $VIP:83 -s rr \
    && lvs -A -u $VIP:11 -s rr && lvs -a -u $VIP:11 -r "${RIPS[0]}":11 -m || die "lvs-xdp -A failed"
  for r in "${RIPS[@]}"; do
    lvs -a -u $VIP:9 -r "$r":9 -g && lvs -a -u $VIP:10 -r "$r":10 -m && lvs -a -t $VIP:80 -r "$r":80 -g \
      && lvs -a -t $VIP:83 -r "$r":8083 -m || die "lvs-xdp -a failed"
  done
}
lvs_attach() { lvs attach d0 d1 >/dev/null 2>>"$LAB_RUN/lvs.log" || die "lvs-xdp attach d0 d1 failed: $(tail -1 "$LAB_RUN/lvs.log")"; }
lvs_detach() { lvs detach d0 d1 >/dev/null || die "lvs-xdp detach d0 d1 failed"; }
fwd_detach() { in_ns "$NS_DIR" bpftool net detach xdpdrv dev "${1:-d0}" || die "detach xdp_fwd"; }
nft_clear() { in_ns "$NS_DIR" nft flush ruleset; in_ns "$NS_DIR" ethtool -K d0 gro off >/dev/null; }

dir_nft() {   # the kernel's path: nftables DNAT numgen + conntrack (bench/nft-dnat.nft)
  in_ns "$NS_DIR" nft -f bench/nft-dnat.nft || die "nft -f bench/nft-dnat.nft failed"
}

# XDP frames reach a veth only when it has NAPI (an XDP program or GRO): GRO when no
# XDP program is on d0, so nothing of XDP is on the kernel's path
d0_gro() { in_ns "$NS_DIR" ethtool -K d0 gro "$1" >/dev/null || die "ethtool -K d0 gro $1"; }

dir_haproxy() {
  local cfg=$LAB_RUN/haproxy.cfg
  sed "s#@PIDFILE@#$LAB_RUN/haproxy.pid#" bench/haproxy.cfg > "$cfg"
  in_ns "$NS_DIR" haproxy -D -f "$cfg" || die "haproxy did not start"
  for _ in $(seq 50); do [ -s "$LAB_RUN/haproxy.pid" ] && break; sleep 0.1; done
  [ -s "$LAB_RUN/haproxy.pid" ] || die "haproxy wrote no pid file"
}
