// Applies one option to the command being built, in argv order, with the checks
// ipvsadm's parse_options() makes at that moment. Order matters and is kept:
// "-r" before "-t" copies a zero service port, "-M" before an IPv6 "-t" is reset to /128.
import type { Addr, ForwardMethod, Protocol } from '../model/types.js';
import { UnsupportedError, UsageError } from '../util/errors.js';
import type { CmdName, OptName } from './options.js';
import { OptionSet } from './options.js';
import { atoi, inet6Pton, inetAton, parseHostPort, stringToNumber } from './parse-addr.js';
import type { PoptOption } from './popt.js';

/** 31 days: ipvsadm's MAX_TIMEOUT for -p and --set. */
export const MAX_TIMEOUT = 86400 * 31;
/** IPVS_SVC_PERSISTENT_TIMEOUT: what a bare -p gives. */
export const DEFAULT_PERSISTENCE = 360;
const INT_MAX = 2147483647;
const V4_HOST_MASK = 0xffffffff;

/** Everything ipvsadm's struct ipvs_command_entry and format flags hold while parsing. */
export interface Draft {
  cmd: CmdName;
  opts: OptionSet;
  protocol?: Protocol;
  svcAddr?: Addr;
  svcPort: number;
  scheduler: string;
  persistence?: number;
  /** IPv4: the mask as a 32-bit number; IPv6: the prefix length. */
  netmask: number;
  onePacket: boolean;
  schedFlagsArg: string;
  peName?: string;
  realAddr?: Addr;
  realPort: number;
  forward: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  daemonState?: 'master' | 'backup';
  daemon: Record<string, string | number>;
  tunType: 'ipip' | 'gue' | 'gre';
  outputJson: boolean;
  /** -z: a FULLNAT local address (issue #3). */
  laddr?: Addr;
}

export function newDraft(cmd: CmdName): Draft {
  return {
    cmd, opts: new OptionSet(), svcPort: 0, scheduler: '', netmask: V4_HOST_MASK, onePacket: false,
    schedFlagsArg: '', realPort: 0, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0,
    daemon: {}, tunType: 'ipip', outputJson: false,
  };
}

function parseTimeout(buf: string, min: number): number {
  const n = stringToNumber(buf, min, MAX_TIMEOUT);
  if (n === null) throw new UsageError(`invalid timeout value \`${buf}' specified`);
  return n;
}

export function parseTimeoutArg(buf: string): number {
  return parseTimeout(buf, 0);
}

function numberArg(buf: string, min: number, max: number, what: string): number {
  const n = stringToNumber(buf, min, max);
  if (n === null) throw new UsageError(`illegal ${what} specified`);
  return n;
}

/** The argument of an option popt guarantees one for. */
function req(o: PoptOption): string {
  return o.arg ?? '';
}

function parseService(d: Draft, o: PoptOption, protocol: Protocol): void {
  d.opts.add('service-address');
  d.protocol = protocol;
  const hp = parseHostPort(req(o), protocol);
  if (!hp) throw new UsageError('illegal virtual server address[:port] specified');
  d.svcAddr = hp.addr;
  // parse_service() sets the IPv6 granularity to /128 and leaves an IPv4 one alone.
  if (hp.addr.family === 'inet6') d.netmask = 128;
  if (hp.port !== undefined) d.svcPort = hp.port;
}

function parseNetmask(d: Draft, buf: string): void {
  d.opts.add('netmask');
  if (d.svcAddr?.family !== 'inet6') {
    const m = buf === 'localhost' ? 0x7f000001 : inetAton(buf);
    if (m === null) throw new UsageError('illegal virtual server persistent mask specified');
    d.netmask = m;
  } else {
    const m = atoi(buf);
    if (m < 1 || m > 128) throw new UsageError('illegal ipv6 netmask specified');
    d.netmask = m;
  }
}

function parseMcastGroup(d: Draft, buf: string): void {
  d.opts.add('mcast-group');
  if (buf.includes(':')) {
    const w = inet6Pton(buf);
    if (!w || w[0]! >> 8 !== 0xff) throw new UsageError(`invalid IPv6 mcast-group \`${buf}'`);
  } else {
    const strict = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(buf);
    const first = strict ? Number(strict[1]) : -1;
    const ok = strict && strict.slice(1).every((p) => Number(p) <= 255 && !(p.length > 1 && p.startsWith('0')));
    if (!ok || first < 224 || first > 239) throw new UsageError(`invalid IPv4 mcast-group \`${buf}'`);
  }
  d.daemon['mcastGroup'] = buf;
}

function setForward(d: Draft, fwd: ForwardMethod): void {
  d.opts.add('forwarding-method');
  d.forward = fwd;
}

/** Marks a list-only flag; the matrix decides later whether the command allows it. */
function flag(d: Draft, name: OptName): void {
  d.opts.add(name);
}

/** One option after the command. Unknown tags (a second command, -h, -v) are invalid here. */
export function applyOption(d: Draft, o: PoptOption): void {
  switch (o.tag) {
    case 't': return parseService(d, o, 'tcp');
    case 'u': return parseService(d, o, 'udp');
    case 'sctp':
      d.opts.add('service-address');
      throw new UnsupportedError('SCTP services are not supported yet');
    case 'f': {
      d.opts.add('service-address');
      const buf = req(o);
      const n = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(buf) ? Number(buf.trim()) : NaN;
      if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) throw new UsageError(`invalid fwmark value \`${buf}' specified`);
      throw new UnsupportedError('fwmark services are not supported yet');
    }
    case '6':
      // -6 is only meaningful after -f, which lvs-xdp does not take yet.
      throw new UsageError('-6 used before -f');
    case 's':
      d.opts.add('scheduler');
      // The kernel's name buffer is 16 bytes; ipvsadm copies at most 15 characters.
      d.scheduler = req(o).slice(0, 15);
      return;
    case 'p':
      d.opts.add('persistent');
      d.persistence = o.arg === undefined ? DEFAULT_PERSISTENCE : parseTimeout(o.arg, 1);
      return;
    case 'M': return parseNetmask(d, req(o));
    case 'r': {
      d.opts.add('real-server');
      // Before -t/-u the protocol is unknown and service names do not resolve (IPPROTO_IP).
      const hp = parseHostPort(req(o), d.protocol);
      if (!hp) throw new UsageError('illegal real server address[:port] specified');
      d.realAddr = hp.addr;
      // Without ":port" the real server takes the service port known at this point.
      d.realPort = hp.port ?? d.svcPort;
      return;
    }
    case 'i': return setForward(d, 'tun');
    case 'g': return setForward(d, 'dr');
    case 'm': return setForward(d, 'nat');
    case 'fullnat': return setForward(d, 'fullnat');
    case 'w':
      d.opts.add('weight');
      d.weight = numberArg(req(o), 0, 65535, 'weight');
      return;
    case 'x':
      d.opts.add('u-threshold');
      d.upperThreshold = numberArg(req(o), 0, INT_MAX, 'u_threshold');
      return;
    case 'y':
      d.opts.add('l-threshold');
      d.lowerThreshold = numberArg(req(o), 0, INT_MAX, 'l_threshold');
      return;
    case 'c': return flag(d, 'connection');
    case 'n': return flag(d, 'numeric');
    case 'mcast-interface':
      d.opts.add('mcast-interface');
      d.daemon['mcastInterface'] = req(o).slice(0, 15);
      return;
    case 'syncid':
      d.opts.add('syncid');
      d.daemon['syncid'] = numberArg(req(o), 0, 255, 'syncid');
      return;
    case 'timeout': return flag(d, 'timeout');
    case 'daemon': return flag(d, 'daemon');
    case 'stats': return flag(d, 'stats');
    case 'rate': return flag(d, 'rate');
    case 'thresholds': return flag(d, 'thresholds');
    case 'persistent-conn': return flag(d, 'persistent-conn');
    case 'nosort': return flag(d, 'nosort');
    case 'sort': return; // sorting is the default; accepted for compatibility
    case 'X': return flag(d, 'exact');
    case 'tun-info': return flag(d, 'tun-info');
    case 'o':
      d.opts.add('ops');
      d.onePacket = true;
      return;
    case 'pe':
      d.opts.add('pe');
      d.peName = req(o);
      return;
    case 'b':
      d.opts.add('sched-flags');
      d.schedFlagsArg = req(o);
      return;
    case 'mcast-group': return parseMcastGroup(d, req(o));
    case 'mcast-port':
      d.opts.add('mcast-port');
      d.daemon['mcastPort'] = numberArg(req(o), 1, 65535, 'mcast-port');
      return;
    case 'mcast-ttl':
      d.opts.add('mcast-ttl');
      d.daemon['mcastTtl'] = numberArg(req(o), 1, 255, 'mcast-ttl');
      return;
    case 'sync-maxlen':
      d.opts.add('sync-maxlen');
      d.daemon['syncMaxlen'] = numberArg(req(o), 1, 65535 - 20 - 8, 'sync-maxlen');
      return;
    case 'tun-type': {
      d.opts.add('tun-type');
      const t = req(o);
      if (t !== 'ipip' && t !== 'gue' && t !== 'gre') throw new UsageError('illegal tunnel type specified');
      d.tunType = t;
      return;
    }
    case 'tun-port':
      d.opts.add('tun-port');
      numberArg(req(o), 1, 65535, 'tunnel port');
      return;
    case 'tun-nocsum': return flag(d, 'tun-nocsum');
    case 'tun-csum': return flag(d, 'tun-csum');
    case 'tun-remcsum': return flag(d, 'tun-remcsum');
    case 'json':
      d.opts.add('json');
      d.outputJson = true;
      return;
    case 'z': {
      // DPVS's parse_service() of the argument; only the address counts (issue #3)
      d.opts.add('laddr');
      const hp = parseHostPort(req(o), d.protocol);
      if (!hp) throw new UsageError('illegal local address');
      d.laddr = hp.addr;
      return;
    }
    case 'F':
      // DPVS puts the LIP on this interface; lvs-xdp leaves addresses to the system.
      d.opts.add('ifname');
      return;
    case 'output':
      if (req(o) !== 'json') throw new UsageError(`illegal output format \`${req(o)}' specified`);
      d.opts.add('json');
      d.outputJson = true;
      return;
    default:
      throw new UsageError(`invalid option \`${o.word}'`);
  }
}
