// The forwarding methods' maps (issue #3): FULLNAT local addresses (lb_laddrs) and
// their counters (lb_laddr_stats), and the reply switch (lb_fwd_conf) that makes
// the data plane look packets up as NAT/FULLNAT replies.
import type { Addr } from '../model/types.js';
import { decode, encode } from './codec.js';
import { addrToWords, familyOf, wordsToAddr } from './addr.js';
import {
  lb_conn, lb_conn_flags, lb_conn_key, lb_fwd_conf, lb_fwd_conf_flags, lb_fwd_limits, lb_laddr_counters, lb_laddr_set,
} from './generated/layout.js';
import { u32Key } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { SvcEntry } from '../plan/state.js';

const MAX = lb_fwd_limits.LB_MAX_LADDRS;

export function readLaddrs(dp: Dataplane, services: SvcEntry[]): Record<number, Addr[]> {
  const out: Record<number, Addr[]> = {};
  for (const s of services) {
    const v = dp.maps.lb_laddrs.lookup(u32Key(s.id));
    if (!v) continue;
    const set = decode(lb_laddr_set, v);
    const n = Math.min(set.count, MAX);
    if (n === 0) continue;
    const family = s.key.addr.family;
    out[s.id] = Array.from({ length: n }, (_, i) => wordsToAddr(set.addr.slice(i * 4, i * 4 + 4), family));
  }
  return out;
}

export interface LaddrCounters {
  conflicts: bigint;
  conns: bigint;
}

function statsKey(svcId: number, idx: number): Buffer {
  return u32Key(svcId * MAX + idx);
}

/** Per-CPU counters of one LIP slot, summed. */
export function readLaddrCounters(dp: Dataplane, svcId: number, idx: number): LaddrCounters {
  const m = dp.maps.lb_laddr_stats;
  const v = m.lookup(statsKey(svcId, idx));
  const out = { conflicts: 0n, conns: 0n };
  if (!v) return out;
  for (const slot of m.slots(v)) {
    const c = decode(lb_laddr_counters, slot);
    out.conflicts += c.conflicts;
    out.conns += c.conns;
  }
  return out;
}

/**
 * Writes a service's pool. Each address keeps its counters (they move with it when
 * an earlier one is removed); slots past the end are zeroed. The pool is one map
 * value, replaced in one update.
 */
export function putLaddrs(dp: Dataplane, svcId: number, addrs: Addr[]): void {
  const m = dp.maps.lb_laddr_stats;
  const old = dp.maps.lb_laddrs.lookup(u32Key(svcId));
  const oldSet = old ? decode(lb_laddr_set, old) : undefined;
  const oldAddrs = oldSet ? oldSet.addr : [];
  const oldCount = oldSet ? Math.min(oldSet.count, MAX) : 0;
  const raw = (idx: number): Buffer | undefined => m.lookup(statsKey(svcId, idx));
  const saved = Array.from({ length: MAX }, (_, i) => (i < oldCount ? raw(i) : undefined));
  const words: number[] = [];
  addrs.forEach((a) => words.push(...addrToWords(a)));
  dp.maps.lb_laddrs.update(u32Key(svcId), encode(lb_laddr_set, { count: addrs.length, addr: words }));
  for (let i = 0; i < MAX; i++) {
    const a = addrs[i];
    let from: Buffer | undefined;
    if (a) {
      const w = addrToWords(a);
      for (let j = 0; j < oldCount; j++) {
        const ow = oldAddrs.slice(j * 4, j * 4 + 4);
        if (ow.every((x, k) => x === w[k])) from = saved[j];
      }
    }
    m.update(statsKey(svcId, i), from ?? Buffer.alloc(m.valueBytes));
  }
}

/** Turns on the reply lookup (a NAT or FULLNAT real exists). Never turned off by
 * itself: replies of the last NAT connections still need it; it costs one lookup. */
export function enableReplies(dp: Dataplane): void {
  const cur = decode(lb_fwd_conf, dp.maps.lb_fwd_conf.lookup(u32Key(0))!);
  if (cur.flags & lb_fwd_conf_flags.LB_FWD_CONF_REPLIES) return;
  dp.maps.lb_fwd_conf.update(u32Key(0), encode(lb_fwd_conf, { flags: cur.flags | lb_fwd_conf_flags.LB_FWD_CONF_REPLIES }));
}

/**
 * Live connections per (service, LIP): reverse entries whose key's source is the
 * LIP (DPVS's CONNS column). Walks the connection table: for -G only.
 */
export function countLaddrConns(dp: Dataplane): Map<string, number> {
  const out = new Map<string, number>();
  const m = dp.maps.lb_conns;
  for (const k of m.keys()) {
    const v = m.lookup(k);
    if (!v) continue;
    const c = decode(lb_conn, v);
    if (!(c.flags & lb_conn_flags.LB_CONN_F_REVERSE) || c.fwd !== 3) continue;
    const key = decode(lb_conn_key, k);
    const lip = wordsToAddr(key.saddr, familyOf(key.family));
    const id = `${c.svc_id}|${lip.ip}`;
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}
