# shellcheck shell=bash
# Everything the provisioning scripts know about the lab comes from the scenario file
# ($LVS_SCENARIO, lab/scenarios/<mode>.json in the synced repository), read here with jq:
# the namespace lab (src/lab/scenario.ts) reads the very same file. $LVS_HOST is this
# VM's host name in it. test/unit/scenarios.test.ts runs these functions on every scenario.

: "${LVS_SCENARIO:?LVS_SCENARIO must name the scenario file}"
: "${LVS_HOST:?LVS_HOST must name this host in the scenario}"

sc() { jq -r --arg h "$LVS_HOST" "$@" "$LVS_SCENARIO"; }

scenario_name() { sc '.name'; }
scenario_method() { sc '.method'; }
host_role() { sc '.hosts[] | select(.name == $h) | .role'; }
# Networks this host is on, in the scenario's order.
host_networks() { sc '(.hosts[] | select(.name == $h) | .addresses) as $a | .networks[].name | select($a[.] != null)'; }
# host_addr NETWORK ipv4|ipv6
host_addr() { sc --arg n "$1" --arg f "$2" '.hosts[] | select(.name == $h) | .addresses[$n][$f]'; }
# net_prefix_len NETWORK ipv4|ipv6
net_prefix_len() { sc --arg n "$1" --arg f "$2" '.networks[] | select(.name == $n) | .[$f] | split("/")[1]'; }
vip_network() { sc '.vip.network'; }
vip_addr() { sc --arg f "$1" '.vip[$f]'; }
director_sysctls() { sc '.director.sysctls[]'; }
# "NETWORK ADDRESS" per local address (FULLNAT).
director_local_addresses() { sc '.director.localAddresses[] | "\(.network) \(.ipv4)"'; }
director_attach_networks() { sc '.director.attach[]'; }
# One JSON array (an lvs-xdp argument vector) per line.
director_commands() { sc -c '.director.commands[]'; }
# Arguments of `lvs-xdp realserver up`, one per line; nothing when the method needs none.
realserver_args() { sc '.realServers.realserver // empty | ((.vips[] | ("--vip", .)), "--mode", .mode)'; }
# "TO VIA" per route every real server needs.
real_routes() { sc '.realServers.routes[] | "\(.to) \(.via)"'; }
# One JSON object {url, requests, expect} per line.
scenario_checks() { sc -c '.checks[]'; }

# The interface holding IPv4 address $1 (Vagrant gave it to a private network NIC).
iface_of_ipv4() {
  ip -o -4 addr show | awk -v a="$1" '{ split($4, p, "/"); if (p[1] == a) { print $2; exit } }'
}
# This host's interface on scenario network $1.
iface_on() {
  local addr ifname
  addr=$(host_addr "$1" ipv4)
  ifname=$(iface_of_ipv4 "$addr")
  [ -n "$ifname" ] || { echo "no interface holds $addr (network $1)" >&2; return 1; }
  echo "$ifname"
}

# Runs a JSON argument vector: run_argv lvs-xdp '["-A","-t","192.0.2.10:80"]'.
run_argv() {
  local prog=$1 json=$2 argv=()
  mapfile -t argv < <(jq -r '.[]' <<<"$json")
  echo "+ $prog ${argv[*]}"
  "$prog" "${argv[@]}"
}
