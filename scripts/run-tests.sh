#!/usr/bin/env bash
# Runs the test suites and prints the one line CI reads: `tests: N passed, N failed`.
#   unit — pure TypeScript, no root
#   bpf  — the compiled program through BPF_PROG_TEST_RUN, inside a private
#          network namespace (unshare --net) so its veth and neighbours touch
#          nothing of the host
#   lab  — network namespaces with a client, a director and real servers
# Root-only suites skip with a message when not run as root. Exit status is
# non-zero when any test failed or any suite could not run.
set -u
cd "$(dirname "$0")/.."
which="${1:-all}"
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
export LVS_TEST_COUNTS="$counts"
export NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}"
JEST="node_modules/.bin/jest"
status=0

run_suite() {
  local name=$1; shift
  echo "=== $name tests"
  local before; before=$(wc -l <"$counts")
  "$@" || status=1
  # A suite that crashed before jest's reporter ran has written nothing: count it as failed.
  if [ "$(wc -l <"$counts")" = "$before" ]; then echo "0 1" >>"$counts"; status=1; fi
}

is_root() { [ "$(id -u)" = 0 ]; }

if [ "$which" = all ] || [ "$which" = unit ]; then
  run_suite unit "$JEST" --selectProjects unit --ci
fi
if [ "$which" = all ] || [ "$which" = bpf ]; then
  if is_root; then
    run_suite bpf unshare --net -- bash -c 'ip link set lo up && exec "$0" "$@"' "$JEST" --selectProjects bpf --ci --runInBand
  else
    echo "=== bpf tests skipped: they load XDP programs and need root (sudo make test)"
  fi
fi
if [ "$which" = all ] || [ "$which" = lab ]; then
  if is_root; then
    run_suite lab "$JEST" --selectProjects lab --ci --runInBand
  else
    echo "=== lab tests skipped: they build network namespaces and need root (sudo make test)"
  fi
fi

passed=$(awk '{p+=$1} END {print p+0}' "$counts")
failed=$(awk '{f+=$2} END {print f+0}' "$counts")
[ "$failed" -gt 0 ] && status=1
echo "tests: $passed passed, $failed failed"
exit $status
