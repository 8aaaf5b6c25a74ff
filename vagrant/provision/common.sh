#!/usr/bin/env bash
# Every VM: jq (the scenario is read with it), the packages of its role, the scenario's
# IPv6 addresses on the private NICs (Vagrant sets only IPv4), and lvs-xdp itself from the
# synced repository on the director and the real servers.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
# shellcheck source=lib.sh
. "${LVS_REPO:-/lvs-xdp}/vagrant/provision/lib.sh"

role=$(host_role)
[ -n "$role" ] || { echo "host $LVS_HOST is not in $LVS_SCENARIO" >&2; exit 1; }
echo "== $LVS_HOST: $role of scenario $(scenario_name) ($(scenario_method))"

case $role in
  client) pkgs="curl ca-certificates" ;;
  real) pkgs="curl ca-certificates make nginx-light xz-utils" ;;
  director) pkgs="curl ca-certificates make xz-utils" ;;
esac
# shellcheck disable=SC2086
apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgs >/dev/null

for net in $(host_networks); do
  dev=$(iface_on "$net")
  sysctl -q -w "net.ipv6.conf.$dev.accept_dad=0"
  ip -6 addr replace "$(host_addr "$net" ipv6)/$(net_prefix_len "$net" ipv6)" dev "$dev" nodad
  echo "$net: $dev $(host_addr "$net" ipv4) $(host_addr "$net" ipv6)"
done

[ "$role" = client ] && exit 0

# Node.js 20 or later (Debian 12 ships 18): the official build, checked against its SHA-256.
NODE_VERSION=${NODE_VERSION:-v20.18.0}
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
  case $(dpkg --print-architecture) in amd64) arch=x64 ;; arm64) arch=arm64 ;; *) echo "no Node.js build for this CPU" >&2; exit 1 ;; esac
  tarball="node-$NODE_VERSION-linux-$arch.tar.xz"
  tmp=$(mktemp -d)
  curl -fsSLo "$tmp/$tarball" "https://nodejs.org/dist/$NODE_VERSION/$tarball"
  curl -fsSLo "$tmp/SHASUMS256.txt" "https://nodejs.org/dist/$NODE_VERSION/SHASUMS256.txt"
  (cd "$tmp" && grep " $tarball\$" SHASUMS256.txt | sha256sum -c -)
  dest=/usr/local/lib/nodejs-$NODE_VERSION
  mkdir -p "$dest"
  tar -xJf "$tmp/$tarball" -C "$dest" --strip-components=1 --no-same-owner
  for b in node npm npx; do ln -sf "$dest/bin/$b" "/usr/local/bin/$b"; done
  rm -rf "$tmp"
fi
echo "node $(node -v)"

# make setup installs clang, libbpf, bpftool, … from Debian; build; link /usr/local/bin/lvs-xdp.
make -C "$LVS_REPO" setup build install
