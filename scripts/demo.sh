#!/usr/bin/env bash
# make demo: the namespace lab, once per forwarding method (DR, TUN, NAT, FULLNAT), each
# configured with ipvsadm's own syntax from lab/scenarios/<method>.json, a bounded burst
# of HTTP requests, the counters and a frame of the live monitor, then a clean teardown.
# KEEP=1 leaves the last lab running (remove it with: make lab-down).
# METHODS="dr nat" runs only some of them.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=lvsx
PIN=/sys/fs/bpf/$PREFIX-dir
BIN=./bin/lvs-xdp
REQUESTS=${REQUESTS:-30}
METHODS=${METHODS:-dr tun nat fullnat}
step=""

say() { step="$*"; printf '\n\033[1m==> %s\033[0m\n' "$*"; }
dir() { nsenter --net=/run/netns/$PREFIX-dir -- "$BIN" --pin-dir "$PIN" "$@"; }
client() { nsenter --net=/run/netns/$PREFIX-client -- "$@"; }
down() { "$BIN" lab down --prefix $PREFIX >/dev/null 2>&1 || true; }
finish() {
  status=$?
  if [ $status -ne 0 ]; then printf '\n\033[31mdemo failed at: %s\033[0m\n' "$step" >&2; fi
  if [ "${KEEP:-0}" = 1 ] && [ $status -eq 0 ]; then
    echo; echo "lab left running (KEEP=1): nsenter --net=/run/netns/$PREFIX-dir $BIN --pin-dir $PIN -Ln"
    echo "remove it with: make lab-down"
  else
    down
  fi
}
trap finish EXIT

[ "$(id -u)" = 0 ] || { echo "make demo needs root (sudo make demo)" >&2; exit 1; }
down

last=${METHODS##* }
for m in $METHODS; do
  say "$m: lab with a client, a director and three real servers; director configured with ipvsadm syntax"
  "$BIN" lab up --prefix $PREFIX --scenario "$m"

  say "$m: client sends $REQUESTS requests to http://192.0.2.10/"
  declare -A seen=()
  for _ in $(seq 1 "$REQUESTS"); do
    name=$(client curl -sS --max-time 3 http://192.0.2.10/)
    seen[$name]=$(( ${seen[$name]:-0} + 1 ))
    printf '%s ' "$name"
  done
  echo
  for k in "${!seen[@]}"; do echo "  $k answered ${seen[$k]}"; done
  [ "${#seen[@]}" = 3 ] || { echo "expected answers from 3 real servers" >&2; false; }
  unset seen

  say "$m: lvs-xdp -Ln --stats"
  dir -Ln --stats

  say "$m: lvs-xdp monitor --once"
  dir monitor --once

  if [ "$m" != "$last" ] || [ "${KEEP:-0}" != 1 ]; then
    say "$m: lab down"
    down
  fi
done

say "done: $METHODS"
