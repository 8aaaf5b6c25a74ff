#!/usr/bin/env bash
# The director: sysctls, the VIP (as the how-tos' eth0:0 alias) and any local addresses,
# the XDP program on the scenario's interfaces, then the scenario's lvs-xdp commands.
# Runs again cleanly (`vagrant provision dir`): addresses are replaced, the table cleared.
set -euo pipefail
# shellcheck source=lib.sh
. "${LVS_REPO:-/lvs-xdp}/vagrant/provision/lib.sh"

for kv in $(director_sysctls); do sysctl -w "$kv"; done

vdev=$(iface_on "$(vip_network)")
ip addr replace "$(vip_addr ipv4)/32" dev "$vdev" label "$vdev:0"
ip -6 addr replace "$(vip_addr ipv6)/128" dev "$vdev" nodad

director_local_addresses | while read -r net lip; do
  ip addr replace "$lip/32" dev "$(iface_on "$net")"
done

ifaces=()
for net in $(director_attach_networks); do ifaces+=("$(iface_on "$net")"); done
lvs-xdp attach "${ifaces[@]}"

lvs-xdp -C
director_commands | while read -r argv; do run_argv lvs-xdp "$argv"; done
lvs-xdp -Ln
