#!/usr/bin/env bash
# The scenario's checks from the client: each URL requested N times must be answered by
# exactly the expected real servers. Waits (bounded) for the service to come up first.
#   vagrant provision client --provision-with check
set -euo pipefail
# shellcheck source=lib.sh
. "${LVS_REPO:-/lvs-xdp}/vagrant/provision/lib.sh"
WAIT=${LVS_CHECK_WAIT:-300}

status=0
while read -r check; do
  url=$(jq -r .url <<<"$check")
  n=$(jq -r .requests <<<"$check")
  want=$(jq -r '.expect | sort | join(" ")' <<<"$check")
  deadline=$((SECONDS + WAIT))
  until curl -fsS --max-time 3 "$url" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "check $url: no answer within ${WAIT}s"; status=1; continue 2; }
    sleep 5
  done
  declare -A seen=()
  for _ in $(seq 1 "$n"); do
    name=$(curl -fsS --max-time 3 "$url" 2>/dev/null || echo "(failed)")
    seen[$name]=$(( ${seen[$name]:-0} + 1 ))
  done
  got=$(printf '%s\n' "${!seen[@]}" | sort | xargs)
  counts=$(for k in "${!seen[@]}"; do printf '%s x%s\n' "$k" "${seen[$k]}"; done | sort | paste -sd, | sed 's/,/, /g')
  if [ "$got" = "$want" ]; then echo "check $url: $counts: ok"
  else echo "check $url: $counts: FAILED (expected $want)"; status=1; fi
  unset seen
done < <(scenario_checks)
exit $status
