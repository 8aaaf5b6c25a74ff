#!/usr/bin/env bash
# CPU and memory of `lvs-xdp monitor` itself, running in tmux (100x30) against a lab
# director with HTTP traffic, over DURATION seconds (default 60). Prints a markdown
# section for BENCHMARKS.md (also written to bench/monitor-cpu.md with --md).
# Needs root, tmux, a built tree (make build). Uses lab prefix lxt4b; always cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
INTERVAL=${INTERVAL:-1s}
P=lxt4b
S=lxt4b-monitor
BIN="$PWD/bin/lvs-xdp"
PIN=/sys/fs/bpf/$P-dir
MD=""
[ "${1:-}" = "--md" ] && MD=bench/monitor-cpu.md

cleanup() {
  tmux kill-session -t "$S" 2>/dev/null || true
  [ -n "${TRAFFIC:-}" ] && kill "$TRAFFIC" 2>/dev/null || true
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
  "env -u CI nsenter --net=/run/netns/$P-dir $BIN --pin-dir $PIN monitor --interval $INTERVAL"
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
sleep 2
T0=$(ticks); R0=$(rss); W0=$(date +%s.%N)
sleep "$DURATION"
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
- Reproduce: \`sudo bash bench/monitor-cpu.sh\` (DURATION=3600 for an hour; INTERVAL=500ms)

| refresh | CPU time | CPU (one core) | RSS start → end | connections made (service total) |
| --- | --- | --- | --- | --- |
| $INTERVAL | ${CPUS} s in ${DURATION} s | ${CPU} % | $((R0 / 1024)) MiB → $((R1 / 1024)) MiB | ${CONNS} |

Per refresh the monitor reads the service map, the counters of each service and real,
the global counters, the meta entry, and at most 5,000 connection entries (one syscall
per key and per value); the 65,536-slot real-server array is re-read only when a
service's table changed; \`ip link\` runs every 10 s. Ink redraws only when a visible
figure changed.

Screen at the end of the run:

\`\`\`
$SCREEN
\`\`\`
EOF
)
echo "$out"
[ -n "$MD" ] && echo "$out" > "$MD"
exit 0
