// ipvsadm 1.31's option table and its command/option compatibility matrix
// (commands_v_options in ipvsadm.c), with lvs-xdp's additions appended:
// --fullnat counts as a forwarding method, --json / --output json as a list option.
import { UsageError } from '../util/errors.js';
import type { OptionSpec } from './popt.js';

/** Commands in ipvsadm's CMD_* order; the names are what its messages print. */
export const CMD_NAMES = [
  'add-service', 'edit-service', 'delete-service', 'flush', 'list', 'add-server',
  'delete-server', 'edit-server', 'set', 'start-daemon', 'stop-daemon', 'restore', 'save', 'zero',
  // FULLNAT local addresses, as the DPVS/Alibaba ipvsadm forks name them (issue #3)
  'add-laddr', 'del-laddr', 'get-laddr',
] as const;
export type CmdName = (typeof CMD_NAMES)[number];

/** Options in ipvsadm's OPTC_* order (bit positions), then lvs-xdp's. */
export const OPT_NAMES = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask',
  'real-server', 'forwarding-method', 'weight', 'u-threshold', 'l-threshold',
  'mcast-interface', 'timeout', 'daemon', 'stats', 'rate', 'thresholds', 'persistent-conn',
  'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags', 'mcast-group', 'mcast-port',
  'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum',
  'tun-remcsum',
  // lvs-xdp
  'json',
  // FULLNAT local addresses (-z LIP, -F IFNAME as the DPVS fork takes them; issue #3)
  'laddr', 'ifname',
] as const;
export type OptName = (typeof OPT_NAMES)[number];

/*
 * '+' compulsory, 'x' illegal, '1' exclusive (only one '1' option), ' ' optional.
 * Columns follow OPT_NAMES: the first 34 are ipvsadm's table verbatim, then json,
 * then laddr and ifname (FULLNAT local addresses, issue #3).
 */
const MATRIX: Record<CmdName, string> = {
  'add-service':    'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx' + 'x' + 'xx',
  'edit-service':   'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx' + 'x' + 'xx',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  'flush':          'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  'list':           ' 11xxxxxxxxx11       xxxxxxx xxxxx' + ' ' + 'xx',
  'add-server':     'xx+xxx+    xxxxxxxxxxxxxxxxxx     ' + 'x' + 'xx',
  'delete-server':  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  'edit-server':    'xx+xxx+    xxxxxxxxxxxxxxxxxx     ' + 'x' + 'xx',
  'set':            'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  'start-daemon':   'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx' + 'x' + 'xx',
  'stop-daemon':    'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx' + 'x' + 'xx',
  'restore':        'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  'save':           ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  'zero':           'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
  // -P/-Q need the service and -z; -F is optional here (DPVS requires it). -G: the service optional.
  'add-laddr':      'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + '+ ',
  'del-laddr':      'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + '+ ',
  'get-laddr':      'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x' + 'xx',
};

/** Set of options seen so far; a second use of one is an error, as set_option() does. */
export class OptionSet {
  /** One flag per OPT_NAMES position: the matrix check asks for every column of every line of a -R. */
  private readonly seen = new Uint8Array(OPT_NAMES.length);
  add(name: OptName): void {
    const i = OPT_INDEX[name];
    if (this.seen[i]) throw new UsageError(`multiple '${name}' options specified`);
    this.seen[i] = 1;
  }
  has(name: OptName): boolean {
    return this.seen[OPT_INDEX[name]] === 1;
  }
  /** has() by OPT_NAMES position. */
  hasAt(i: number): boolean {
    return this.seen[i] === 1;
  }
}

const OPT_INDEX = Object.fromEntries(OPT_NAMES.map((n, i) => [n, i])) as Record<OptName, number>;

/** generic_opt_check(): the matrix, walked in column order so the first fault wins. */
export function checkCommandOptions(cmd: CmdName, opts: OptionSet): void {
  const row = MATRIX[cmd];
  let exclusive: OptName | undefined;
  for (let j = 0; j < OPT_NAMES.length; j++) {
    const name = OPT_NAMES[j]!;
    const rule = row[j];
    if (!opts.hasAt(j)) {
      if (rule === '+') throw new UsageError(`You need to supply the '${name}' option for the '${cmd}' command`);
      continue;
    }
    if (rule === 'x') throw new UsageError(`Illegal '${name}' option with the '${cmd}' command`);
    if (rule === '1') {
      if (exclusive === undefined) exclusive = name;
      else throw new UsageError(`The option '${name}' conflicts with the '${exclusive}' option in the '${cmd}' command`);
    }
  }
}

/** ipvsadm's popt table (short letter, long name, argument) plus lvs-xdp's long options. */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { long: 'add-service', short: 'A', arg: 'none', tag: 'A' },
  { long: 'edit-service', short: 'E', arg: 'none', tag: 'E' },
  { long: 'delete-service', short: 'D', arg: 'none', tag: 'D' },
  { long: 'clear', short: 'C', arg: 'none', tag: 'C' },
  { long: 'list', short: 'L', arg: 'none', tag: 'L' },
  { short: 'l', arg: 'none', tag: 'L' },
  { long: 'zero', short: 'Z', arg: 'none', tag: 'Z' },
  { long: 'add-server', short: 'a', arg: 'none', tag: 'a' },
  { long: 'edit-server', short: 'e', arg: 'none', tag: 'e' },
  { long: 'delete-server', short: 'd', arg: 'none', tag: 'd' },
  { long: 'set', arg: 'none', tag: 'set' },
  { long: 'help', short: 'h', arg: 'none', tag: 'h' },
  { long: 'version', short: 'v', arg: 'none', tag: 'v' },
  { long: 'restore', short: 'R', arg: 'none', tag: 'R' },
  { long: 'save', short: 'S', arg: 'none', tag: 'S' },
  { long: 'start-daemon', arg: 'required', tag: 'start-daemon' },
  { long: 'stop-daemon', arg: 'required', tag: 'stop-daemon' },
  { long: 'tcp-service', short: 't', arg: 'required', tag: 't' },
  { long: 'udp-service', short: 'u', arg: 'required', tag: 'u' },
  { long: 'sctp-service', arg: 'required', tag: 'sctp' },
  { long: 'fwmark-service', short: 'f', arg: 'required', tag: 'f' },
  { long: 'scheduler', short: 's', arg: 'required', tag: 's' },
  { long: 'persistent', short: 'p', arg: 'optional', tag: 'p' },
  { long: 'netmask', short: 'M', arg: 'required', tag: 'M' },
  { long: 'real-server', short: 'r', arg: 'required', tag: 'r' },
  { long: 'masquerading', short: 'm', arg: 'none', tag: 'm' },
  { long: 'ipip', short: 'i', arg: 'none', tag: 'i' },
  { long: 'gatewaying', short: 'g', arg: 'none', tag: 'g' },
  { long: 'weight', short: 'w', arg: 'required', tag: 'w' },
  { long: 'u-threshold', short: 'x', arg: 'required', tag: 'x' },
  { long: 'l-threshold', short: 'y', arg: 'required', tag: 'y' },
  { long: 'numeric', short: 'n', arg: 'none', tag: 'n' },
  { long: 'connection', short: 'c', arg: 'none', tag: 'c' },
  { long: 'mcast-interface', arg: 'required', tag: 'mcast-interface' },
  { long: 'syncid', arg: 'required', tag: 'syncid' },
  { long: 'timeout', arg: 'none', tag: 'timeout' },
  { long: 'daemon', arg: 'none', tag: 'daemon' },
  { long: 'stats', arg: 'none', tag: 'stats' },
  { long: 'rate', arg: 'none', tag: 'rate' },
  { long: 'thresholds', arg: 'none', tag: 'thresholds' },
  { long: 'persistent-conn', arg: 'none', tag: 'persistent-conn' },
  { long: 'nosort', arg: 'none', tag: 'nosort' },
  { long: 'sort', arg: 'none', tag: 'sort' },
  { long: 'exact', short: 'X', arg: 'none', tag: 'X' },
  { long: 'ipv6', short: '6', arg: 'none', tag: '6' },
  { long: 'ops', short: 'o', arg: 'none', tag: 'o' },
  { long: 'pe', arg: 'required', tag: 'pe' },
  { long: 'sched-flags', short: 'b', arg: 'required', tag: 'b' },
  { long: 'mcast-group', arg: 'required', tag: 'mcast-group' },
  { long: 'mcast-port', arg: 'required', tag: 'mcast-port' },
  { long: 'mcast-ttl', arg: 'required', tag: 'mcast-ttl' },
  { long: 'sync-maxlen', arg: 'required', tag: 'sync-maxlen' },
  { long: 'tun-info', arg: 'none', tag: 'tun-info' },
  { long: 'tun-type', arg: 'required', tag: 'tun-type' },
  { long: 'tun-port', arg: 'required', tag: 'tun-port' },
  { long: 'tun-nocsum', arg: 'none', tag: 'tun-nocsum' },
  { long: 'tun-csum', arg: 'none', tag: 'tun-csum' },
  { long: 'tun-remcsum', arg: 'none', tag: 'tun-remcsum' },
  // lvs-xdp additions: long forms only, so no ipvsadm short letter changes meaning.
  { long: 'fullnat', arg: 'none', tag: 'fullnat' },
  { long: 'json', arg: 'none', tag: 'json' },
  { long: 'output', arg: 'required', tag: 'output' },
  // FULLNAT local addresses: the DPVS/Alibaba ipvsadm forks' letters (issue #3)
  { long: 'add-laddr', short: 'P', arg: 'none', tag: 'P' },
  { long: 'del-laddr', short: 'Q', arg: 'none', tag: 'Q' },
  { long: 'get-laddr', short: 'G', arg: 'none', tag: 'G' },
  { long: 'laddr', short: 'z', arg: 'required', tag: 'z' },
  { long: 'ifname', arg: 'required', tag: 'F' }, // DPVS's -F: long form only here (-F stays unknown)
];
