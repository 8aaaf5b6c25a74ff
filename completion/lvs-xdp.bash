# bash completion for lvs-xdp                                     -*- shell-script -*-
#
# Install: copy to /usr/share/bash-completion/completions/lvs-xdp (or source it).
# Completes lvs-xdp's own commands, ipvsadm's commands and options, schedulers,
# forwarding switches, interfaces for attach/detach, the services and real servers of
# the running configuration (from `lvs-xdp -Sn`, with the line's --pin-dir) after -t/-u
# and -r, network namespaces, and lab scenarios.

_lvs_xdp_commands="attach detach status realserver lab monitor agent"
_lvs_xdp_ipvsadm_cmds="-A -E -D -C -R -S -a -e -d -L -l -Z -P -Q -G -h -v
  --add-service --edit-service --delete-service --clear --restore --save --add-server
  --edit-server --delete-server --list --zero --set --start-daemon --stop-daemon
  --add-laddr --del-laddr --get-laddr --help --version"
_lvs_xdp_ipvsadm_opts="-t -u -f -s -p -M -r -g -i -m -w -x -y -c -n -X -6 -o -b -z
  --tcp-service --udp-service --sctp-service --fwmark-service --scheduler --persistent
  --netmask --pe --real-server --gatewaying --ipip --masquerading --fullnat --tun-type
  --tun-port --tun-nocsum --tun-csum --tun-remcsum --weight --u-threshold --l-threshold
  --connection --timeout --daemon --stats --rate --exact --thresholds --persistent-conn
  --tun-info --nosort --sort --ops --numeric --sched-flags --json --output --ipv6
  --syncid --sync-maxlen --mcast-interface --mcast-group --mcast-port --mcast-ttl
  --laddr --ifname --pin-dir"
_lvs_xdp_schedulers="rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos"

# Interfaces of this network namespace, without lo.
_lvs_xdp_ifaces() {
  local d
  for d in /sys/class/net/*; do
    [ -e "$d" ] && [ "${d##*/}" != lo ] && printf '%s\n' "${d##*/}"
  done
}

# The --pin-dir given on the line so far, if any, as arguments for lvs-xdp.
_lvs_xdp_pin_args() {
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --pin-dir) printf '%s\n' --pin-dir "${COMP_WORDS[i + 1]}"; return ;;
      --pin-dir=*) printf '%s\n' "${COMP_WORDS[i]}"; return ;;
    esac
  done
}

# `lvs-xdp -Sn` of the running configuration (nothing without a data plane or root).
_lvs_xdp_saved() {
  local pin=()
  mapfile -t pin < <(_lvs_xdp_pin_args)
  "${COMP_WORDS[0]}" "${pin[@]}" -Sn 2>/dev/null
}

# Services of protocol flag $1 (-t or -u): "-A -t 192.0.2.10:80 -s rr" → 192.0.2.10:80
_lvs_xdp_services() {
  _lvs_xdp_saved | awk -v p="$1" '$1 == "-A" && $2 == p { print $3 }'
}

# Real servers of the service named on the line (-t/-u ADDR), or of every service.
_lvs_xdp_reals() {
  local i proto="" svc=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -t|--tcp-service) proto=-t; svc=${COMP_WORDS[i + 1]} ;;
      -u|--udp-service) proto=-u; svc=${COMP_WORDS[i + 1]} ;;
    esac
  done
  _lvs_xdp_saved | awk -v p="$proto" -v s="$svc" \
    '$1 == "-a" && (p == "" || ($2 == p && $3 == s)) { for (i = 4; i < NF; i++) if ($i == "-r") print $(i + 1) }'
}

# Scenario names: lab/scenarios next to the lvs-xdp that is being completed.
_lvs_xdp_scenarios() {
  local bin root f
  bin=$(command -v "${COMP_WORDS[0]}" 2>/dev/null) || return
  root=$(dirname "$(dirname "$(readlink -f "$bin")")")
  for f in "$root"/lab/scenarios/*.json; do
    [ -e "$f" ] && { f=${f##*/}; printf '%s\n' "${f%.json}"; }
  done
}

_lvs_xdp_netns() {
  ip netns list 2>/dev/null | awk '{ print $1 }'
}

# COMPREPLY from a word list (newline- or space-separated) filtered by the current word.
_lvs_xdp_reply() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

_lvs_xdp() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local i cmd="" sub=""
  COMPREPLY=()

  # The command word: the first word that is not --pin-dir or its value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --pin-dir) ((i++)) ;;
      --pin-dir=*) ;;
      *) cmd=${COMP_WORDS[i]}; sub=${COMP_WORDS[i + 1]}; break ;;
    esac
  done

  if [ "$prev" = --pin-dir ]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    return
  fi

  if [ -z "$cmd" ]; then
    _lvs_xdp_reply "$_lvs_xdp_commands $_lvs_xdp_ipvsadm_cmds --pin-dir"
    return
  fi

  case $cmd in
    attach)
      case $prev in
        --mode) _lvs_xdp_reply "native generic" ;;
        --conn-tab-size) ;;
        *) if [[ $cur == -* ]]; then _lvs_xdp_reply "--mode --conn-tab-size"; else _lvs_xdp_reply "$(_lvs_xdp_ifaces)"; fi ;;
      esac
      return ;;
    detach)
      if [[ $cur == -* ]]; then _lvs_xdp_reply "--purge"; else _lvs_xdp_reply "$(_lvs_xdp_ifaces)"; fi
      return ;;
    status) return ;;
    realserver)
      if ((COMP_CWORD == i + 1)); then _lvs_xdp_reply "up down"; return; fi
      case $prev in
        --mode) _lvs_xdp_reply "dr tun" ;;
        --netns) _lvs_xdp_reply "$(_lvs_xdp_netns)" ;;
        --state-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        --vip) ;;
        *) _lvs_xdp_reply "--vip --mode --netns" ;;
      esac
      return ;;
    lab)
      if ((COMP_CWORD == i + 1)); then _lvs_xdp_reply "up down"; return; fi
      case $prev in
        --servers) _lvs_xdp_reply "name nginx" ;;
        --scenario) _lvs_xdp_reply "$(_lvs_xdp_scenarios)" ;;
        --prefix) ;;
        *) if [ "$sub" = up ]; then _lvs_xdp_reply "--prefix --servers --scenario --no-check"; else _lvs_xdp_reply "--prefix"; fi ;;
      esac
      return ;;
    monitor)
      case $prev in
        --interval|--width|--conn-limit) ;;
        *) _lvs_xdp_reply "--interval --once --no-color --width --conn-limit" ;;
      esac
      return ;;
    agent)
      [ "$prev" = --metrics ] || _lvs_xdp_reply "--metrics"
      return ;;
  esac

  # An ipvsadm command line.
  case $prev in
    -s|--scheduler) _lvs_xdp_reply "$_lvs_xdp_schedulers" ;;
    -t|--tcp-service) _lvs_xdp_reply "$(_lvs_xdp_services -t)" ;;
    -u|--udp-service) _lvs_xdp_reply "$(_lvs_xdp_services -u)" ;;
    -r|--real-server)
      # Adding a server names a new one; editing or deleting names an existing one.
      case $cmd in -e|-d|--edit-server|--delete-server) _lvs_xdp_reply "$(_lvs_xdp_reals)" ;; esac ;;
    --start-daemon|--stop-daemon) _lvs_xdp_reply "master backup" ;;
    --mcast-interface|--ifname) _lvs_xdp_reply "$(_lvs_xdp_ifaces)" ;;
    --tun-type) _lvs_xdp_reply "ipip gue gre" ;;
    --pe) _lvs_xdp_reply "sip" ;;
    --output) _lvs_xdp_reply "json" ;;
    -f|--fwmark-service|--sctp-service|-p|--persistent|-M|--netmask|-w|--weight|-x|--u-threshold|-y|--l-threshold|-b|--sched-flags|--tun-port|--syncid|--sync-maxlen|--mcast-group|--mcast-port|--mcast-ttl|-z|--laddr) ;;
    *) _lvs_xdp_reply "$_lvs_xdp_ipvsadm_opts" ;;
  esac
}

complete -F _lvs_xdp lvs-xdp
