// `ipvsadm -Lc` (connection entries, as print_conn() formats /proc/net/ip_vs_conn)
// and `ipvsadm -L --daemon` (list_daemon()).
import type { Addr, Protocol } from '../model/types.js';
import { left } from './format-num.js';
import { addrPortName } from './format-name.js';
import type { Resolver } from './format-name.js';

export interface ConnEndpoint {
  addr: Addr;
  port: number;
}

export interface ConnEntry {
  /** IP marks a persistence template. */
  protocol: 'TCP' | 'UDP' | 'IP';
  expiresSec: number;
  /** Kernel state name: ESTABLISHED, SYN_RECV, ..., UDP, NONE, ASSURED. */
  state: string;
  client: ConnEndpoint;
  virtual: ConnEndpoint;
  real: ConnEndpoint;
  /** Persistence engine columns, shown with --persistent-conn when both are present. */
  peName?: string;
  peData?: string;
}

export interface ConnFormatOptions {
  persistentConn?: boolean;
  resolve?: Resolver;
}

const PROTOCOLS: Record<ConnEntry['protocol'], Protocol | undefined> = { TCP: 'tcp', UDP: 'udp', IP: undefined };

/** minutes:seconds with %02d each; minutes are not bounded. */
function expireText(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 60))}:${two(s % 60)}`;
}

export function formatConnections(entries: readonly ConnEntry[], numeric: boolean, opts: ConnFormatOptions = {}): string {
  const pc = opts.persistentConn === true;
  let out = 'IPVS connection entries\n';
  out += pc
    ? `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} ${left('destination', 18)} ${left('pe name', 16)} pe_data\n`
    : `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} destination\n`;
  for (const e of entries) {
    const proto = PROTOCOLS[e.protocol];
    const name = (p: ConnEndpoint): string => addrPortName(p.addr, p.port, proto, numeric, opts.resolve);
    const head = `${left(e.protocol, 3)} ${left(expireText(e.expiresSec), 6)} ${left(e.state, 11)} ${left(name(e.client), 18)} ${left(name(e.virtual), 18)}`;
    if (pc && e.peName !== undefined && e.peData !== undefined) {
      // ipvsadm pads the destination to 16 and the engine name to 18 here (its arguments
      // and widths are shifted by one); kept as printed.
      out += `${head} ${left(name(e.real), 16)} ${left(e.peName, 18)} ${e.peData}\n`;
    } else {
      out += `${head} ${name(e.real)}\n`;
    }
  }
  return out;
}

export interface DaemonInfo {
  state: 'master' | 'backup';
  mcastInterface: string;
  syncid: number;
  /** Shown only when non-zero, as ipvsadm does for each of these. */
  syncMaxlen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

/** `ipvsadm -L --daemon`: the master's line, then the backup's. */
export function formatDaemons(daemons: readonly DaemonInfo[]): string {
  const ordered = [...daemons.filter((d) => d.state === 'master'), ...daemons.filter((d) => d.state === 'backup')];
  return ordered.map((d) => {
    let line = `${d.state} sync daemon (mcast=${d.mcastInterface}, syncid=${d.syncid}`;
    if (d.syncMaxlen) line += `, maxlen=${d.syncMaxlen}`;
    if (d.mcastGroup) line += `, group=${d.mcastGroup}`;
    if (d.mcastPort) line += `, port=${d.mcastPort}`;
    if (d.mcastTtl) line += `, ttl=${d.mcastTtl}`;
    return `${line})\n`;
  }).join('');
}
