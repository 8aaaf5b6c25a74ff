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
import { idRange } from './id-range.js';

const MAX = lb_fwd_limits.LB_MAX_LADDRS;

/** The pools of these services, from one batch read of lb_laddrs over their ids. */
export function readLaddrs(dp: Dataplane, services: SvcEntry[]): Record<number, Addr[]> {
  const out: Record<number, Addr[]> = {};
  const m = dp.maps.lb_laddrs;
  const [lo, hi] = idRange(services.map((s) => s.id));
  if (hi < 0) return out;
  const values = m.lookupRange(lo, hi - lo + 1);
  for (const s of services) {
    const off = (s.id - lo) * m.valueBytes;
    if (off + m.valueBytes > values.length) continue;
    // most services have no pool: look at the count before decoding 64 words
    if (values.readUInt32LE(off + lb_laddr_set.fields.count.offset) === 0) continue;
    const set = decode(lb_laddr_set, values, off);
    const n = Math.min(set.count, MAX);
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
  putLaddrsMany(dp, [{ svcId, addrs }]);
}

/**
 * putLaddrs for the pools of several distinct services: the old pools are read in one
 * batch, the counters of an old pool in one more, and the new pools and every
 * counter slot are written in one batch each (a -R gives each new service an empty
 * pool: 18 syscalls per service before). All pools are written before any counters.
 */
export function putLaddrsMany(dp: Dataplane, pools: ReadonlyArray<{ svcId: number; addrs: Addr[] }>): void {
  if (pools.length === 0) return;
  const sets = dp.maps.lb_laddrs;
  const stats = dp.maps.lb_laddr_stats;
  const [lo, hi] = idRange(pools.map((p) => p.svcId));
  const old = sets.lookupRange(lo, hi - lo + 1);
  const setKeys = Buffer.alloc(4 * pools.length);
  const setValues = Buffer.alloc(sets.valueBytes * pools.length);
  const statKeys = Buffer.alloc(4 * MAX * pools.length);
  const statValues = Buffer.alloc(stats.valueBytes * MAX * pools.length);
  pools.forEach(({ svcId, addrs }, p) => {
    const off = (svcId - lo) * sets.valueBytes;
    const oldCount = Math.min(old.readUInt32LE(off + lb_laddr_set.fields.count.offset), MAX);
    const oldAddrs = oldCount ? decode(lb_laddr_set, old, off).addr : [];
    // the old counters, only when there was a pool to carry them
    const saved = oldCount ? stats.lookupRange(svcId * MAX, MAX) : undefined;
    const words: number[] = [];
    addrs.forEach((a) => words.push(...addrToWords(a)));
    setKeys.writeUInt32LE(svcId, 4 * p);
    encode(lb_laddr_set, { count: addrs.length, addr: words }, setValues.subarray(p * sets.valueBytes, (p + 1) * sets.valueBytes));
    for (let i = 0; i < MAX; i++) {
      const slot = p * MAX + i;
      statKeys.writeUInt32LE(svcId * MAX + i, 4 * slot);
      const a = addrs[i];
      if (!a || !saved) continue; // zero: a slot past the end, or a new address
      const w = addrToWords(a);
      let from = -1;
      for (let j = 0; j < oldCount; j++) {
        const ow = oldAddrs.slice(j * 4, j * 4 + 4);
        if (ow.every((x, k) => x === w[k])) from = j;
      }
      if (from >= 0) saved.copy(statValues, slot * stats.valueBytes, from * stats.valueBytes, (from + 1) * stats.valueBytes);
    }
  });
  sets.updateMany(setKeys, setValues, pools.length);
  stats.updateMany(statKeys, statValues, MAX * pools.length);
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
