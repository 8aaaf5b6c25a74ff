#!/usr/bin/env bash
# make demo: the namespace lab, a DR virtual service configured with ipvsadm's own
# syntax, a bounded burst of HTTP requests, the counters, and a clean teardown.
# KEEP=1 leaves the lab running (remove it with: make lab-down).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=lvsx
PIN=/sys/fs/bpf/lvsx-demo
BIN=./bin/lvs-xdp
REQUESTS=${REQUESTS:-30}
step=""

say() { step="$*"; printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\n\033[31mdemo failed at: %s\033[0m\n' "$step" >&2; }
dir() { nsenter --net=/run/netns/$PREFIX-dir -- "$BIN" --pin-dir "$PIN" "$@"; }
client() { nsenter --net=/run/netns/$PREFIX-client -- "$@"; }
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo; echo "lab left running (KEEP=1): try  nsenter --net=/run/netns/$PREFIX-dir $BIN --pin-dir $PIN -Ln"
    echo "remove it with: make lab-down  (and: rm -rf $PIN)"
    return
  fi
  dir detach --purge >/dev/null 2>&1 || true
  rm -rf "$PIN"
  "$BIN" lab down --prefix $PREFIX >/dev/null 2>&1 || true
}
trap 'fail; cleanup' ERR
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "make demo needs root (sudo make demo)" >&2; exit 1; }

say "building the lab: client, director and three real servers on one segment (192.0.2.0/24)"
"$BIN" lab up --prefix $PREFIX

say "on the director: lvs-xdp attach eth0"
dir attach eth0

say "configuring DR with ipvsadm syntax"
for c in "-A -t 192.0.2.10:80 -s rr" \
         "-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g" \
         "-a -t 192.0.2.10:80 -r 192.0.2.12:80 -g" \
         "-a -t 192.0.2.10:80 -r 192.0.2.13:80 -g"; do
  echo "  lvs-xdp $c"
  # shellcheck disable=SC2086
  dir $c
done
dir -Ln

say "client: $REQUESTS requests to http://192.0.2.10/"
declare -A seen=()
for i in $(seq 1 "$REQUESTS"); do
  name=$(client curl -sS --max-time 3 http://192.0.2.10/)
  seen[$name]=$(( ${seen[$name]:-0} + 1 ))
  printf '%s ' "$name"
done
echo
for k in "${!seen[@]}"; do echo "  $k answered ${seen[$k]}"; done
[ "${#seen[@]}" = 3 ] || { echo "expected answers from 3 real servers" >&2; false; }

say "lvs-xdp -Ln --stats (no OutPkts: in DR the replies bypass the director)"
dir -Ln --stats

say "lvs-xdp status"
dir status

say "done"
