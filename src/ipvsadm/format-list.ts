// `ipvsadm -L` output, byte for byte as ipvsadm 1.31's list_all()/print_service_entry()
// print it: column widths, trailing spaces, the 33/28-character cuts of IPv4 names,
// K/M/G/T scaling, and the listing order (see sort.ts). FullNat is lvs-xdp's own
// forwarding name; it fits ipvsadm's %-7s column.
import type { Addr, ForwardMethod, Real, RealCounts, ServiceView, Stats } from '../model/types.js';
import type { ListOptions } from './command.js';
import { left, largeNum, right, toBig } from './format-num.js';
import { addrPortName, maskText, schedFlagsText } from './format-name.js';
import type { Resolver } from './format-name.js';
import { sortDests, sortServices } from './sort.js';

export { formatConnections, formatDaemons } from './format-conn.js';
export type { ConnEntry, ConnEndpoint, DaemonInfo } from './format-conn.js';

/** Per-second rates from the estimator (ipvsadm's stats64.cps, inpps, ...). */
export interface Rates {
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
}

export interface ListedReal {
  real: Real;
  counts: RealCounts;
  stats: Stats;
  rates?: Rates;
}

/** A ServiceView that may carry rates for --rate; plain views list with zero rates. */
export interface ListedService extends ServiceView {
  rates?: Rates;
  reals: ListedReal[];
}

export interface ListContext {
  /** Connection hash table size shown in the header (ipvs_info.size). */
  connTableSize: number;
  /** Host names for non-numeric output; numeric addresses when absent. */
  resolve?: (a: Addr) => string;
}

/** The IPVS version lvs-xdp reports, as the kernel module does. */
export const IPVS_VERSION = '1.2.1';

const FORWARD_NAMES: Record<ForwardMethod, string> = {
  dr: 'Route', tun: 'Tunnel', nat: 'Masq', fullnat: 'FullNat',
};

const NO_RATES: Rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
const PROT_COL = 'Prot LocalAddress:Port';

/** `ipvsadm -L[n]` of the whole table: header, column titles, every service. */
export function formatList(views: readonly ListedService[], opts: ListOptions, ctx: ListContext): string {
  return formatListInOrder(opts.nosort ? views : sortServices(views, (v) => v.service), opts, ctx);
}

/**
 * formatList of views already in listing order (sort.ts), taken one at a time: a lazy
 * sequence (cli/views.ts listingViews) is formatted without holding every view.
 */
export function formatListInOrder(views: Iterable<ListedService>, opts: ListOptions, ctx: ListContext): string {
  let out = `IP Virtual Server version ${IPVS_VERSION} (size=${ctx.connTableSize})\n${title(opts)}`;
  for (const v of views) out += serviceEntry(v, opts, ctx.resolve);
  return out;
}

/** `ipvsadm -L -t host:port`: list_service() prints no version header. */
export function formatListService(view: ListedService, opts: ListOptions, ctx: ListContext): string {
  return title(opts) + serviceEntry(view, opts, ctx.resolve);
}

/** `ipvsadm -L --timeout`. */
export function formatTimeout(tcp: number, tcpfin: number, udp: number): string {
  return `Timeout (tcp tcpfin udp): ${tcp} ${tcpfin} ${udp}\n`;
}

function title(opts: ListOptions): string {
  const cols = (names: string[], widths: number[], align: 'l' | 'r'): string =>
    names.map((n, k) => (align === 'r' ? right(n, widths[k]!) : left(n, widths[k]!))).join(' ');
  const sub = '  -> RemoteAddress:Port\n';
  if (opts.stats) {
    return `${left(PROT_COL, 33)} ${cols(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], [8, 8, 8, 8, 8], 'r')}\n${sub}`;
  }
  if (opts.rate) {
    return `${left(PROT_COL, 33)} ${cols(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], [8, 8, 8, 8, 8], 'r')}\n${sub}`;
  }
  if (opts.thresholds) {
    return `${left(PROT_COL, 33)} ${cols(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], [10, 10, 10, 10], 'l')}\n${sub}`;
  }
  if (opts.persistentConn) {
    return `${left(PROT_COL, 33)} ${cols(['Weight', 'PersistConn', 'ActiveConn', 'InActConn'], [9, 11, 10, 10], 'l')}\n${sub}`;
  }
  if (opts.tunInfo) {
    return 'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  }
  return 'Prot LocalAddress:Port Scheduler Flags\n' +
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

function statsCols(s: Stats, exact: boolean): string {
  return [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, exact)).join('');
}

function serviceLine(v: ListedService, opts: ListOptions, resolve?: Resolver): string {
  const s = v.service;
  const vname = addrPortName(s.addr, s.port, s.protocol, opts.numeric, resolve);
  let name = `${left(s.protocol.toUpperCase(), 4)} ${vname}`;
  if (s.addr.family !== 'inet6') name = name.slice(0, 33);
  if (opts.stats) return left(name, 33) + statsCols(v.stats, opts.exact);
  if (opts.rate) {
    const r = v.rates ?? NO_RATES;
    return left(name, 33) + [r.cps, r.inpps, r.outpps, r.inbps, r.outbps].map((n) => largeNum(n, opts.exact)).join('');
  }
  let line = `${name} ${s.scheduler}`;
  const flags = schedFlagsText(s);
  if (flags !== '') line += ` (${flags})`;
  if (s.persistence !== undefined) {
    line += ` persistent ${s.persistence}`;
    const mask = maskText(s);
    if (mask !== undefined) line += ` mask ${mask}`;
  }
  if (s.onePacket) line += ' ops';
  return line;
}

function realLine(v: ListedService, r: ListedReal, opts: ListOptions, resolve?: Resolver): string {
  const { real, counts } = r;
  let dname = addrPortName(real.addr, real.port, v.service.protocol, opts.numeric, resolve);
  if (real.addr.family !== 'inet6') dname = dname.slice(0, 28);
  const head = `  -> ${left(dname, 28)}`;
  if (opts.stats) return head + statsCols(r.stats, opts.exact);
  if (opts.rate) {
    const x = r.rates ?? NO_RATES;
    // Real servers' CPS and packet rates are plain %8llu in ipvsadm; only bytes scale.
    return `${head} ${[x.cps, x.inpps, x.outpps].map((n) => right(toBig(n), 8)).join(' ')}` +
      largeNum(x.inbps, opts.exact) + largeNum(x.outbps, opts.exact);
  }
  if (opts.thresholds) {
    return `${head} ${[real.upperThreshold, real.lowerThreshold, counts.activeConns, counts.inactiveConns].map((n) => left(n, 10)).join(' ')}`;
  }
  if (opts.persistentConn) {
    return `${head} ${left(real.weight, 9)} ${left(counts.persistConns, 11)} ${left(counts.activeConns, 10)} ${left(counts.inactiveConns, 10)}`;
  }
  const fwd = left(FORWARD_NAMES[real.forward], 7);
  const tail = `${left(real.weight, 6)} ${left(counts.activeConns, 10)} ${left(counts.inactiveConns, 10)}`;
  if (opts.tunInfo) {
    // lvs-xdp tunnels are IPIP (ip6ip6 for IPv6), which ipvsadm names "ipip".
    const info = real.forward === 'tun' ? 'ipip' : 'n/a';
    return `${head} ${fwd} ${left(info, 13)} ${tail}`;
  }
  return `${head} ${fwd} ${tail}`;
}

function serviceEntry(v: ListedService, opts: ListOptions, resolve?: Resolver): string {
  const reals = opts.nosort ? v.reals : sortDests(v.reals, (r) => r.real);
  // joined, not appended: join() copies the lines into one flat string, where `+=`
  // kept a tree of ~13 string pieces per line alive until the whole listing was
  // written (7 MB for 17,000 lines, copied again by every young-generation GC)
  const lines = new Array<string>(reals.length + 2);
  lines[0] = serviceLine(v, opts, resolve);
  for (let i = 0; i < reals.length; i++) lines[i + 1] = realLine(v, reals[i]!, opts, resolve);
  lines[reals.length + 1] = '';
  return lines.join('\n');
}
