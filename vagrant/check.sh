#!/usr/bin/env bash
# Checks the Vagrant lab's definition without starting any VM: installs vagrant (and the
# vagrant-libvirt plugin) from Debian's packages when missing, then validates once per
# scenario (LVS_MODE=dr|tun|nat|fullnat …, every lab/scenarios/*.json):
#   vagrant validate --ignore-provider      machines, networks, synced folder, provisioners
#   vagrant validate (provider libvirt)     the same plus the libvirt provider's settings
# validate reads the Vagrantfile and the scenario it loads; it downloads no box and starts
# nothing (libvirtd need not run). VirtualBox's settings can only be validated where
# VirtualBox is installed (it is not in Debian): done when VBoxManage is found.
set -euo pipefail
cd "$(dirname "$0")"

missing=""
command -v vagrant >/dev/null 2>&1 || missing=" vagrant"
dpkg -s vagrant-libvirt >/dev/null 2>&1 || missing="$missing vagrant-libvirt"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "check: installing$missing from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
  elif ! command -v vagrant >/dev/null 2>&1; then
    echo "vagrant is not installed (as root on Debian this script installs it: apt-get install vagrant vagrant-libvirt)" >&2
    exit 1
  fi
fi

# Keep vagrant's own state out of the user's home and the checkout.
if [ -z "${VAGRANT_HOME:-}" ]; then
  VAGRANT_HOME=$(mktemp -d)
  trap 'rm -rf "$VAGRANT_HOME"' EXIT
fi
export VAGRANT_HOME
export VAGRANT_DOTFILE_PATH=${VAGRANT_DOTFILE_PATH:-$VAGRANT_HOME/dotfile}
export VAGRANT_CHECKPOINT_DISABLE=1

bash -n provision/*.sh

providers=(generic)
vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt' && providers+=(libvirt)
command -v VBoxManage >/dev/null 2>&1 && providers+=(virtualbox)

failed=0
validate() { # MODE PROVIDER
  if [ "$2" = generic ]; then LVS_MODE=$1 vagrant validate --ignore-provider 2>&1
  else LVS_MODE=$1 VAGRANT_DEFAULT_PROVIDER=$2 vagrant validate 2>&1; fi
}
for f in ../lab/scenarios/*.json; do
  mode=$(basename "$f" .json)
  for p in "${providers[@]}"; do
    if out=$(validate "$mode" "$p"); then
      echo "LVS_MODE=$mode ($p): $(tail -n1 <<<"$out")"
    else
      echo "LVS_MODE=$mode ($p): vagrant validate failed:"; sed 's/^/  /' <<<"$out"; failed=1
    fi
  done
done
# A mode without a scenario is refused with a clear message.
if out=$(validate nosuchmode generic); then
  echo "LVS_MODE=nosuchmode: accepted, expected a refusal"; failed=1
elif ! grep -q 'no such scenario' <<<"$out"; then
  echo "LVS_MODE=nosuchmode: unexpected failure:"; sed 's/^/  /' <<<"$out"; failed=1
else
  echo "LVS_MODE=nosuchmode: refused ($(grep -o 'no such scenario.*' <<<"$out"))"
fi
exit $failed
