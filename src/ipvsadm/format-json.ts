// `-L … --json` (also `--output json`): every listing as one JSON document, the
// machine-readable twin of format-list.ts / format-conn.ts. The schema is
// docs/json-schema.json; a change that removes or renames a field bumps
// JSON_SCHEMA_VERSION. Counters are u64 in the data plane: they are written as JSON
// integers with every digit (they may exceed 2^53; parse them with a big-number
// aware parser if they can get that large). `-o json` is not possible: ipvsadm's
// -o is --ops.
import type { Addr, ForwardMethod, Protocol, Stats } from '../model/types.js';
import type { ListOptions } from './command.js';
import type { ConnEntry, DaemonInfo } from './format-conn.js';
import type { ListedReal, ListedService, Rates } from './format-list.js';
import { IPVS_VERSION } from './format-list.js';
import { addrPortName, maskText, schedFlagsText } from './format-name.js';
import type { Resolver } from './format-name.js';
import { sortDests, sortServices } from './sort.js';

export const JSON_SCHEMA_VERSION = 1;
export const JSON_SCHEMA_ID = 'https://lvs-xdp.invalid/schema/ipvsadm-list.json';

const FORWARD_NAMES: Record<ForwardMethod, string> = { dr: 'Route', tun: 'Tunnel', nat: 'Masq', fullnat: 'FullNat' };
const ZERO: Rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };

export interface JsonListContext {
  connTableSize: number;
  resolve?: Resolver;
  /** The rates come from a running estimator (false: no agent, all rates 0). */
  ratesFresh: boolean;
  /** Sum over all services (IPVS's totals, /proc/net/ip_vs_stats). */
  total?: { stats: Stats; rates: Rates };
}

/** Serialises with bigints as plain JSON integers (every digit kept). */
export function toJson(doc: unknown): string {
  const text = JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v.toString()}` : v), 2);
  return `${text.replace(/"\\u0000big:(\d+)"/g, '$1')}\n`;
}

function header(kind: string): Record<string, unknown> {
  return { schema: JSON_SCHEMA_ID, schemaVersion: JSON_SCHEMA_VERSION, kind };
}

function statsJson(s: Stats): Record<string, bigint> {
  return { conns: s.conns, inPkts: s.inPkts, outPkts: s.outPkts, inBytes: s.inBytes, outBytes: s.outBytes };
}

function ratesJson(r: Rates | undefined): Rates {
  const x = r ?? ZERO;
  return { cps: x.cps, inpps: x.inpps, outpps: x.outpps, inbps: x.inbps, outbps: x.outbps };
}

function endpoint(addr: Addr, port: number, protocol: Protocol | undefined, numeric: boolean, resolve?: Resolver) {
  return { family: addr.family, address: addr.ip, port, name: addrPortName(addr, port, protocol, numeric, resolve) };
}

function realJson(v: ListedService, r: ListedReal, opts: ListOptions, resolve?: Resolver) {
  const { real, counts } = r;
  return {
    ...endpoint(real.addr, real.port, v.service.protocol, opts.numeric, resolve),
    forward: real.forward,
    forwardName: FORWARD_NAMES[real.forward],
    tunnelInfo: real.forward === 'tun' ? 'ipip' : 'n/a',
    weight: real.weight,
    upperThreshold: real.upperThreshold,
    lowerThreshold: real.lowerThreshold,
    activeConns: counts.activeConns,
    inactiveConns: counts.inactiveConns,
    persistConns: counts.persistConns,
    stats: statsJson(r.stats),
    rates: ratesJson(r.rates),
  };
}

function serviceJson(v: ListedService, opts: ListOptions, resolve?: Resolver) {
  const s = v.service;
  const reals = opts.nosort ? v.reals : sortDests(v.reals, (r) => r.real);
  const flags = schedFlagsText(s);
  return {
    protocol: s.protocol,
    ...endpoint(s.addr, s.port, s.protocol, opts.numeric, resolve),
    scheduler: s.scheduler,
    schedFlags: flags === '' ? [] : flags.split(','),
    persistent: s.persistence === undefined ? null : { timeout: s.persistence, netmask: maskText(s) ?? null },
    onePacket: s.onePacket,
    ...(v.laddrs?.length ? { localAddresses: v.laddrs.map((a) => a.ip) } : {}),
    stats: statsJson(v.stats),
    rates: ratesJson(v.rates),
    reals: reals.map((r) => realJson(v, r, opts, resolve)),
  };
}

/** `-L[n] [--stats|--rate|…] --json [-t|-u service]`: services, reals, counters, rates. */
export function formatListJson(views: readonly ListedService[], opts: ListOptions, ctx: JsonListContext): string {
  const sorted = opts.nosort ? [...views] : sortServices(views, (v) => v.service);
  return toJson({
    ...header('services'),
    ipvsVersion: IPVS_VERSION,
    connTableSize: ctx.connTableSize,
    ratesFresh: ctx.ratesFresh,
    services: sorted.map((v) => serviceJson(v, opts, ctx.resolve)),
    ...(ctx.total ? { total: { stats: statsJson(ctx.total.stats), rates: ratesJson(ctx.total.rates) } } : {}),
  });
}

/** `-Lc --json`: the connection entries (templates have protocol "IP"). */
export function formatConnectionsJson(entries: readonly ConnEntry[], numeric: boolean, resolve?: Resolver): string {
  const proto = (e: ConnEntry): Protocol | undefined => (e.protocol === 'TCP' ? 'tcp' : e.protocol === 'UDP' ? 'udp' : undefined);
  return toJson({
    ...header('connections'),
    connections: entries.map((e) => ({
      protocol: e.protocol,
      expires: Math.max(0, Math.floor(e.expiresSec)),
      state: e.state,
      client: endpoint(e.client.addr, e.client.port, proto(e), numeric, resolve),
      virtual: endpoint(e.virtual.addr, e.virtual.port, proto(e), numeric, resolve),
      real: endpoint(e.real.addr, e.real.port, proto(e), numeric, resolve),
      ...(e.peName !== undefined ? { peName: e.peName, peData: e.peData ?? '' } : {}),
    })),
  });
}

/** `-L --timeout --json`. */
export function formatTimeoutJson(tcp: number, tcpfin: number, udp: number): string {
  return toJson({ ...header('timeout'), timeout: { tcp, tcpfin, udp } });
}

/** `-L --daemon --json`: the sync daemons running (none: an empty list). */
export function formatDaemonsJson(daemons: readonly DaemonInfo[]): string {
  return toJson({
    ...header('daemons'),
    daemons: daemons.map((d) => ({
      state: d.state,
      mcastInterface: d.mcastInterface,
      syncid: d.syncid,
      syncMaxlen: d.syncMaxlen ?? null,
      mcastGroup: d.mcastGroup ?? null,
      mcastPort: d.mcastPort ?? null,
      mcastTtl: d.mcastTtl ?? null,
    })),
  });
}
