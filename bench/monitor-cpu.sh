#!/usr/bin/env bash
# CPU and memory of `lvs-xdp monitor` itself, running in tmux (100x30) against a lab
# director with HTTP traffic, over DURATION seconds (default 60), with RSS and the JS
# heap sampled every SAMPLE seconds (default 60) so a plateau can be told from a leak.
# Prints a markdown section for BENCHMARKS.md (also written to bench/monitor-cpu.md
# with --md). Needs root, tmux, a built tree (make build). Uses lab prefix lxt4b;
# always cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
INTERVAL=${INTERVAL:-1s}
SAMPLE=${SAMPLE:-60}
P=lxt4b
S=lxt4b-monitor
BIN="$PWD/bin/lvs-xdp"
PIN=/sys/fs/bpf/$P-dir
MEMLOG=/tmp/$P-memlog.$$
MD=""
[ "${1:-}" = "--md" ] && MD=bench/monitor-cpu.md

# The heap can only be read from inside the process: this module, loaded ahead of the
# CLI (node --import, through NODE_OPTIONS, as a data: URL so there is no extra file),
# appends "uptime rss heapUsed heapTotal external arrayBuffers liveHeap" every 10 s.
# liveHeap is heapUsed just after the last full (mark-compact) GC: what is still
# referenced, without the garbage a sampled heapUsed includes. It allocates nothing
# the monitor keeps and forces no GC.
MEMLOG_JS='import{appendFileSync}from"node:fs";import{PerformanceObserver,constants as C}from"node:perf_hooks";
const f=process.env.LVS_MONITOR_MEMLOG;let live=0;
new PerformanceObserver((l)=>{for(const e of l.getEntries())if(e.detail?.kind===C.NODE_PERFORMANCE_GC_MAJOR)live=process.memoryUsage().heapUsed}).observe({entryTypes:["gc"]});
setInterval(()=>{const m=process.memoryUsage();appendFileSync(f,[Math.round(process.uptime()),m.rss,m.heapUsed,m.heapTotal,m.external,m.arrayBuffers,live].join(" ")+"\n")},10000).unref();'
PRELOAD="--import=data:text/javascript;base64,$(printf %s "$MEMLOG_JS" | base64 -w0)"

cleanup() {
  tmux kill-session -t "$S" 2>/dev/null || true
  [ -n "${TRAFFIC:-}" ] && kill "$TRAFFIC" 2>/dev/null || true
  rm -f "$MEMLOG"
  nsenter --net=/run/netns/$P-dir "$BIN" --pin-dir "$PIN" detach --purge >/dev/null 2>&1 || true
  "$BIN" lab down --prefix $P >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$BIN" lab up --prefix $P >/dev/null
D() { nsenter --net=/run/netns/$P-dir "$BIN" --pin-dir "$PIN" "$@"; }
D attach eth0 >/dev/null
D -A -t 192.0.2.10:80 -s rr
for i in 1 2 3; do D -a -t 192.0.2.10:80 -r 192.0.2.1$i -g; done

tmux new-session -d -s "$S" -x 100 -y 30 \
  "env -u CI LVS_MONITOR_MEMLOG=$MEMLOG NODE_OPTIONS='$PRELOAD' nsenter --net=/run/netns/$P-dir $BIN --pin-dir $PIN monitor --interval $INTERVAL"
sleep 3
PID=$(tmux display -p -t "$S" '#{pane_pid}')
[ "$(cat /proc/$PID/comm)" = node ] || { echo "monitor-cpu: pane process is $(cat /proc/$PID/comm), not node" >&2; exit 1; }

# Traffic: bounded loop of curl requests, about 20 per second, for the whole run.
(
  end=$((SECONDS + DURATION + 2))
  while [ $SECONDS -lt $end ]; do
    nsenter --net=/run/netns/$P-client curl -s --max-time 2 -o /dev/null http://192.0.2.10/ || true
    sleep 0.05
  done
) &
TRAFFIC=$!

HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' /proc/$PID/stat; }
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
# One row of the memory series: elapsed | RSS | heap used | live heap | heap total |
# external | CPU over the step before; heap figures from the newest MEMLOG line.
SERIES=""
row() { SERIES+=$'\n'"| $(($1 / 60)):$(printf %02d $(($1 % 60))) | $2 |"; }
sample() {
  local t=$1 tk=$2 w=$3 r cpu
  r=$(rss)
  cpu=$(awk -v a="$PT" -v b="$tk" -v hz="$HZ" -v w0="$PW" -v w1="$w" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / (w1 - w0) }')
  PT=$tk PW=$w
  [ "$r" -gt "$RMAX" ] && RMAX=$r
  set -- $(tail -n1 "$MEMLOG" 2>/dev/null || true)
  if [ $# -lt 7 ]; then row "$t" "$((r / 1024)) | ? | ? | ? | ? | $cpu"; return; fi
  local live=–
  [ "$7" != 0 ] && live=$(mib "$7") # no full GC yet
  row "$t" "$((r / 1024)) | $(mib "$3") | $live | $(mib "$4") | $(mib "$5") | $cpu"
}
sleep 2
T0=$(ticks); R0=$(rss); W0=$(date +%s.%N)
PT=$T0 PW=$W0 RMAX=$R0
SERIES="| 0:00 | $((R0 / 1024)) | | | | | |"
for ((t = SAMPLE; t <= DURATION; t += SAMPLE)); do
  sleep "$SAMPLE"
  sample "$t" "$(ticks)" "$(date +%s.%N)"
done
[ $((DURATION % SAMPLE)) -ne 0 ] && sleep $((DURATION % SAMPLE))
T1=$(ticks); R1=$(rss); W1=$(date +%s.%N)
CONNS=$(D -Ln --stats --exact | awk '/^TCP/ {print $3}')
SCREEN=$(tmux capture-pane -p -t "$S")

CPU=$(awk -v t0="$T0" -v t1="$T1" -v hz="$HZ" -v w0="$W0" -v w1="$W1" 'BEGIN { printf "%.2f", 100 * (t1 - t0) / hz / (w1 - w0) }')
CPUS=$(awk -v t0="$T0" -v t1="$T1" -v hz="$HZ" 'BEGIN { printf "%.2f", (t1 - t0) / hz }')
out=$(cat <<EOF
## Monitor CPU (\`lvs-xdp monitor\`)

The monitor's own process (node), refreshing every $INTERVAL in a 100×30 tmux pane,
against a lab director (one rr service, three DR reals) while a client makes about
20 HTTP requests per second; measured from /proc/PID/stat over ${DURATION} s.

- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, kernel $(uname -r); Node $(node -v)
- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- Reproduce: \`sudo bash bench/monitor-cpu.sh\` (DURATION=3600 for an hour; INTERVAL=500ms; SAMPLE=60)

| refresh | CPU time | CPU (one core) | RSS start → end | connections made (service total) |
| --- | --- | --- | --- | --- |
| $INTERVAL | ${CPUS} s in ${DURATION} s | ${CPU} % | $((R0 / 1024)) MiB → $((R1 / 1024)) MiB | ${CONNS} |

Per refresh the monitor reads the service map, the counters of each service and real,
the global counters, the meta entry, and at most 5,000 connection entries (one syscall
per key and per value); the 65,536-slot real-server array is re-read only when a
service's table changed; \`ip link\` runs every 10 s. Ink redraws only when a visible
figure changed.

Memory every ${SAMPLE} s (MiB; RSS peak $((RMAX / 1024)) MiB). *Heap used* is sampled, garbage
included; *live heap* is the heap just after the last full GC, the figure that grows
without bound if something leaks; *external* is memory V8 objects hold outside the
heap (Buffers, koffi). CPU is the monitor's over the step before.

| elapsed | RSS | heap used | live heap | heap total | external | CPU % |
| --- | --- | --- | --- | --- | --- | --- |
${SERIES}

Screen at the end of the run:

\`\`\`
$SCREEN
\`\`\`
EOF
)
echo "$out"
[ -n "$MD" ] && echo "$out" > "$MD"
exit 0
