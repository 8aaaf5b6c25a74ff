#!/usr/bin/env bash
# Profile of the director's conntrack-hit DR path, by C source line: perf samples
# the hit path repeated by BPF_PROG_TEST_RUN (bench/ns-per-packet.ts --profile-hit),
# then bench/jit-lines.ts maps the samples in the JIT image to source lines.
#   sudo bash bench/profile-hit.sh [SECONDS]      (after make build; needs perf)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-8}
command -v perf >/dev/null || { echo "profile-hit: needs perf (apt-get install linux-perf)" >&2; exit 1; }
mkdir -p .output/bench
for f in trivial gen; do
  [ -f .output/bench/$f.bpf.o ] || clang -O2 -g -Wall -target bpf -mcpu=v3 -I/usr/include/"$(uname -m)"-linux-gnu \
    -c bench/$f.bpf.c -o .output/bench/$f.bpf.o
done
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
taskset -c 1 unshare --net perf record -q -e cpu-clock -F 5000 -o "$tmp/perf.data" -- \
  node dist/bench/ns-per-packet.js --profile-hit "$SECS" 2>&1 | tail -1
perf report -i "$tmp/perf.data" --no-children --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12 || true
perf script -i "$tmp/perf.data" -F ip,sym,symoff 2>/dev/null | sed -n 's/.*_lb_xdp+//p' | sort | uniq -c > "$tmp/offsets"
tag=$(perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null | sed -n 's/.*bpf_prog_\([0-9a-f]*\)_lb_xdp.*/\1/p' | sort -u | head -1) || true
# The same build again (same tag: same image), loaded while its line table is read.
taskset -c 1 unshare --net node dist/bench/ns-per-packet.js --profile-hit 6 >/dev/null 2>&1 &
id=
for _ in $(seq 100); do
  id=$(bpftool prog show 2>/dev/null | awk -F: -v tag="$tag" '/name lb_xdp/ && $0 ~ "tag " tag { print $1; exit }')
  [ -n "$id" ] && break; sleep 0.1
done
[ -n "$id" ] || { echo "profile-hit: program with tag $tag not found" >&2; exit 1; }
echo "--- lb_xdp by source line (share of its samples)"
node dist/bench/jit-lines.js "$id" "$tmp/offsets"
