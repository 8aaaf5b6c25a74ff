#!/usr/bin/env bash
# TCP through a real client: wrk in lxbench-cli against nginx on the real server
# (src/lab/nginx.ts, one worker), keep-alive and `Connection: close`, over five paths
# in one lab, in rounds: direct (cx0-rx0, no director), lvs-xdp DR (replies straight
# back over rx0, as DR does), a trivial XDP forwarder in its place (the hop's own cost),
# lvs-xdp NAT and nftables DNAT (bench/nft-dnat.nft; both with replies via the
# director) and HAProxy TCP mode, 2 threads (bench/haproxy.cfg).
#
#   bash bench/tcp.sh OUT.md     (root; from the repository root; run by bench/run.sh)
#
# Writes a Markdown section to OUT.md. Fails only when a measurement cannot be taken.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: tcp.sh OUT.md}
source bench/lab.sh
# five rounds of 4 s, not three of 5: one wrk run moves ±15 % with the VM, and the
# ratios are medians of per-round pairs, which three rounds leave to one outlier
RUNS=${BENCH_RUNS:-5} DUR=${BENCH_WRK_SECS:-4}
WRK=(wrk -t2 -c64 -d"${DUR}"s --timeout 2s)

command -v wrk >/dev/null || die "wrk is not installed (make setup)"
command -v haproxy >/dev/null || die "haproxy is not installed"
trap lab_down EXIT
lab_up
# the kernel path's own table: room for every connection of the run (TIME_WAIT
# entries stay 120 s by default; both settings are per namespace and may be refused)
sysctl_ns "$NS_DIR" net.netfilter.nf_conntrack_tcp_timeout_time_wait=10 2>/dev/null || true

# nginx on :80 for DR, nftables and HAProxy, another on :8083 for lvs-xdp NAT: NAT and
# nftables DNAT both reach the real as CIP:cport → RIP, and with one port the real's
# TIME_WAIT sockets of one path's closed connections refuse the other's new ones
# (nftables fell to ~100 connections/s after lvs-xdp NAT's run)
node --input-type=module -e "
  import { startNginx } from './dist/src/lab/nginx.js';
  await startNginx('$NS_RS', 'rs', 80, '$LAB_RUN');
  await startNginx('$NS_RS', 'rs', 8083, '$LAB_RUN/nat');
" || die "nginx did not start in $NS_RS"

RES=$LAB_RUN/tcp.tsv
: > "$RES"
check_path() {  # the path answers, from the real server
  local url=$1 got
  got=$(in_ns "$NS_CLI" curl -s -m 3 "$url") || die "$url does not answer (path broken)"
  [ "$got" = rs ] || die "$url answered '$got', not the real server"
}
bench_one() {  # bench_one NAME URL keepalive|close RUN
  local name=$1 url=$2 mode=$3 i=$4 out rps errs hdr=()
  [ "$mode" = close ] && hdr=(-H 'Connection: close')
  out=$(in_ns "$NS_CLI" timeout $((DUR + 20)) "${WRK[@]}" "${hdr[@]}" "$url" 2>&1) \
    || die "wrk $name ($mode) failed: $(echo "$out" | tail -1)"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | paste -sd';' || true)
  [ -n "$rps" ] && awk -v r="$rps" 'BEGIN { exit !(r > 0) }' || die "wrk $name ($mode): no requests completed"
  echo "        $name $mode run $i: $rps req/s ${errs:+($errs)}" >&2
  printf '%s\t%s\t%s\t%s\n' "$name" "$mode" "$rps" "$errs" >> "$RES"
}

TRIVIAL="trivial XDP forwarder" NAT_PATH="lvs-xdp NAT"
PATHS=("direct|http://198.51.100.2/" "lvs-xdp DR|http://$VIP/" "$TRIVIAL|http://$VIP/" "$NAT_PATH|http://$VIP:83/"
  "nftables DNAT|http://$VIP:81/" "HAProxy TCP mode|http://$VIP:82/")
# lvs-xdp (VIP:80 DR, :83 NAT), nftables (:81) and HAProxy (:82) are up at once, so every round runs
# each path back to back. The trivial forwarder (gen.bpf.c xdp_fwd_mac: VIP:80 to the
# real server by MAC rewrite, no table) takes d0 from lvs-xdp for its own runs: it shows
# what the extra hop costs any XDP director on this machine.
# lvs-xdp NAT sends the replies to the client on c0 as XDP frames, which a veth
# receives only with NAPI on its peer (an XDP program or GRO), as any real NIC has: a
# pass-all program on c0 during its runs only. The kernel paths' replies (nftables,
# HAProxy) reach c0 as before, without paying for it.
path_on() {
  [ "$1" = "$TRIVIAL" ] && { lvs_detach; dir_fwd_tcp; }
  [ "$1" = "$NAT_PATH" ] && c0_xdp xdp_pass
  return 0
}
path_off() {
  [ "$1" = "$TRIVIAL" ] && { fwd_detach; lvs_attach; }
  [ "$1" = "$NAT_PATH" ] && c0_xdp
  return 0
}
lvs_setup; dir_nft; dir_haproxy
for p in "${PATHS[@]}"; do path_on "${p%%|*}"; check_path "${p#*|}"; path_off "${p%%|*}"; done
for i in $(seq "$RUNS"); do
  echo "  RUN   tcp: round $i of $RUNS (${#PATHS[@]} paths x 2 modes x ${DUR} s)" >&2
  for mode in keepalive close; do
    for p in "${PATHS[@]}"; do
      path_on "${p%%|*}"; bench_one "${p%%|*}" "${p#*|}" $mode $i; path_off "${p%%|*}"
    done
  done
done
dir_clear

node dist/bench/report.js tcp "$RES" > "$OUT" || die "tcp report"
