#!/usr/bin/env bash
# The client needs nothing but curl (common.sh) and its address on the client network.
set -euo pipefail
# shellcheck source=lib.sh
. "${LVS_REPO:-/lvs-xdp}/vagrant/provision/lib.sh"
echo "client ready: $(for n in $(host_networks); do host_addr "$n" ipv4; done); VIP $(vip_addr ipv4) $(vip_addr ipv6)"
