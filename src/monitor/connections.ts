// Connection entries for the monitor. Today they come straight from the lb_conns map,
// read with a bound (every key is a syscall); when the connection collector (agent)
// keeps counts of its own, another ConnectionsProvider can serve them instead.
import { decode } from '../bpf/codec.js';
import { lb_conn, lb_conn_key, lb_tcp_state } from '../bpf/generated/layout.js';
import { familyOf, wordsToAddr } from '../bpf/addr.js';
import type { BpfMap } from '../bpf/map.js';
import type { RealEntry } from '../plan/state.js';
import type { RealCounts } from '../model/types.js';
import type { ConnRow, ConnSample } from './types.js';

export const DEFAULT_CONN_LIMIT = 5000;

export interface ConnReadContext {
  reals: ReadonlyMap<number, RealEntry>;
  /** bpf_ktime_get_coarse_ns() now (CLOCK_MONOTONIC). */
  nowNs: bigint;
  timeouts: { tcp: number; tcpfin: number; udp: number };
}

export interface ConnectionsProvider {
  /** At most `limit` entries; counts per real id over the live ones. */
  read(limit: number, ctx: ConnReadContext): { sample: ConnSample; perReal: Map<number, RealCounts> };
}

/** State names as ipvsadm -Lnc prints them (ip_vs_proto_tcp.c tcp_state_name_table). */
const STATE_NAMES: Record<number, string> = {
  [lb_tcp_state.LB_TCP_NONE]: 'NONE',
  [lb_tcp_state.LB_TCP_ESTABLISHED]: 'ESTABLISHED',
  [lb_tcp_state.LB_TCP_SYN_SENT]: 'SYN_SENT',
  [lb_tcp_state.LB_TCP_SYN_RECV]: 'SYN_RECV',
  [lb_tcp_state.LB_TCP_FIN_WAIT]: 'FIN_WAIT',
  [lb_tcp_state.LB_TCP_TIME_WAIT]: 'TIME_WAIT',
  [lb_tcp_state.LB_TCP_CLOSE]: 'CLOSE',
  [lb_tcp_state.LB_TCP_CLOSE_WAIT]: 'CLOSE_WAIT',
  [lb_tcp_state.LB_TCP_LAST_ACK]: 'LAST_ACK',
  [lb_tcp_state.LB_TCP_LISTEN]: 'LISTEN',
  [lb_tcp_state.LB_TCP_SYNACK]: 'SYNACK',
  [lb_tcp_state.LB_UDP_STATE]: 'UDP',
};

export function stateName(code: number): string {
  return STATE_NAMES[code] ?? `STATE_${code}`;
}

/** IPVS's default timeout per TCP state (tcp_timeouts[]); --set changes tcp, tcpfin, udp. */
export function stateTimeout(code: number, t: ConnReadContext['timeouts']): number {
  switch (code) {
    case lb_tcp_state.LB_TCP_ESTABLISHED: return t.tcp || 900;
    case lb_tcp_state.LB_TCP_FIN_WAIT: return t.tcpfin || 120;
    case lb_tcp_state.LB_UDP_STATE: return t.udp || 300;
    case lb_tcp_state.LB_TCP_SYN_RECV: return 60;
    case lb_tcp_state.LB_TCP_CLOSE: return 10;
    case lb_tcp_state.LB_TCP_CLOSE_WAIT: return 60;
    case lb_tcp_state.LB_TCP_LAST_ACK: return 30;
    default: return 120; // NONE, SYN_SENT, TIME_WAIT, LISTEN, SYNACK
  }
}

/** IPVS counts a connection active only while TCP is ESTABLISHED; UDP stays inactive. */
export function isActive(code: number): boolean {
  return code === lb_tcp_state.LB_TCP_ESTABLISHED;
}

export class MapConnections implements ConnectionsProvider {
  constructor(private readonly map: BpfMap) {}

  read(limit: number, ctx: ConnReadContext): { sample: ConnSample; perReal: Map<number, RealCounts> } {
    const rows: ConnRow[] = [];
    const perReal = new Map<number, RealCounts>();
    let scanned = 0;
    let expired = 0;
    let truncated = false;
    for (const k of this.map.keys()) {
      if (scanned >= limit) {
        truncated = true;
        break;
      }
      scanned++;
      const v = this.map.lookup(k);
      if (!v) continue; // removed while we iterated
      const key = decode(lb_conn_key, k);
      const c = decode(lb_conn, v);
      const ageSec = Number(ctx.nowNs > c.last_seen_ns ? ctx.nowNs - c.last_seen_ns : 0n) / 1e9;
      const left = stateTimeout(c.state, ctx.timeouts) - ageSec;
      if (left <= 0) {
        expired++;
        continue;
      }
      const real = ctx.reals.get(c.real_id);
      const live = real !== undefined && real.seq === c.real_seq;
      let family;
      try {
        family = familyOf(key.family);
      } catch {
        continue;
      }
      const active = isActive(c.state);
      if (live) {
        const n = perReal.get(c.real_id) ?? { activeConns: 0, inactiveConns: 0, persistConns: 0 };
        if (active) n.activeConns++;
        else n.inactiveConns++;
        perReal.set(c.real_id, n);
      }
      rows.push({
        protocol: key.proto === 17 ? 'UDP' : 'TCP',
        state: stateName(c.state),
        expiresSec: left,
        client: { addr: wordsToAddr(key.saddr, family), port: key.sport },
        virtual: { addr: wordsToAddr(key.daddr, family), port: key.dport },
        real: live ? { addr: real.addr, port: real.port } : undefined,
        realId: c.real_id,
        active,
      });
    }
    // Soonest to expire last, as a long-lived connection is the interesting one.
    rows.sort((a, b) => b.expiresSec - a.expiresSec);
    return { sample: { rows, scanned, expired, limit, truncated }, perReal };
  }
}
