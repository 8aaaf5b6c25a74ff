// Reads the configuration and the counters out of the pinned maps.
import { zeroStats, type Protocol, type Stats } from '../model/types.js';
import { decode } from './codec.js';
import { lb_counters, lb_fwd, lb_meta, lb_real, lb_real_flags, lb_svc, lb_svc_key } from './generated/layout.js';
import { familyOf, wordsToAddr } from './addr.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { DpState, RealEntry, SvcEntry } from '../plan/state.js';
import { schedulerByCode } from '../sched/registry.js';
import { lastWeightsOf, readAllDests, type Dests } from './sched-dests.js';
import { readLaddrs } from './fwd-state.js';
import { idRange } from './id-range.js';
import type { ForwardMethod } from '../model/types.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

export const FORWARD_CODE: Record<ForwardMethod, number> = {
  dr: lb_fwd.LB_FWD_DR,
  tun: lb_fwd.LB_FWD_TUN,
  nat: lb_fwd.LB_FWD_NAT,
  fullnat: lb_fwd.LB_FWD_FULLNAT,
};

const FORWARD_OF = new Map(Object.entries(FORWARD_CODE).map(([k, v]) => [v, k as ForwardMethod]));

export function forwardOf(code: number): ForwardMethod {
  const f = FORWARD_OF.get(code);
  if (!f) throw new RangeError(`unknown forwarding method ${code}`);
  return f;
}

export function protoCode(p: Protocol): number {
  return p === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
}

export function protoOf(code: number): Protocol {
  if (code === IPPROTO_TCP) return 'tcp';
  if (code === IPPROTO_UDP) return 'udp';
  throw new RangeError(`unknown protocol ${code}`);
}

/** Every service entry, read in batches (BPF_MAP_LOOKUP_BATCH), in the map's order. */
export function readServices(dp: Dataplane): SvcEntry[] {
  const out: SvcEntry[] = [];
  const m = dp.maps.lb_services;
  const ks = m.info.keySize;
  const vb = m.valueBytes;
  for (const b of m.entries()) {
    for (let i = 0; i < b.count; i++) {
      const key = decode(lb_svc_key, b.keys, i * ks);
      const svc = decode(lb_svc, b.values, i * vb);
      const family = familyOf(key.family);
      out.push({
        key: { protocol: protoOf(key.proto), addr: wordsToAddr(key.addr, family), port: key.port },
        id: svc.id,
        scheduler: schedulerByCode(svc.sched),
        flags: svc.flags,
        timeout: svc.timeout,
        netmask: svc.netmask,
        gen: svc.gen,
        tableLen: svc.table_len,
      });
    }
  }
  return out;
}

/** A destination slot of lb_reals (at offset in v: a batch), or undefined when the slot is free. */
export function realEntryOf(id: number, v: Buffer | undefined, offset = 0): RealEntry | undefined {
  if (!v || !(v.readUInt32LE(offset + lb_real.fields.flags.offset) & lb_real_flags.LB_REAL_F_USED)) return undefined;
  const r = decode(lb_real, v, offset);
  return {
    id,
    svcId: r.svc_id,
    addr: wordsToAddr(r.addr, familyOf(r.family)),
    port: r.port,
    forward: forwardOf(r.fwd),
    weight: r.weight,
    flags: r.flags,
    upperThreshold: r.u_threshold,
    lowerThreshold: r.l_threshold,
    seq: r.seq,
  };
}

/**
 * The reals of these services, found through each service's live destination list
 * (lb_svc_dests holds every real of a service, in list order): a real written by a
 * command that died before its service switched tables is not listed: it was never
 * live, and its slot is reused. The lists and then the lb_reals slots from the lowest
 * listed id to the highest are read in batches (one syscall per 4,096 entries; one
 * lookup per real cost ~0.2 s for 16,000 reals).
 */
export function readReals(
  dp: Dataplane, services: SvcEntry[], lists?: Map<number, Dests>, lastWeights?: Map<number, number>,
): RealEntry[] {
  const all = lists ?? readAllDests(dp, services);
  const [lo, hi] = idRange([...all.values()].flatMap((d) => d.ids));
  if (hi < 0) return [];
  const m = dp.maps.lb_reals;
  const vb = m.valueBytes;
  const slots = m.lookupRange(lo, hi - lo + 1);
  const out: RealEntry[] = [];
  const seen = new Set<number>();
  for (const s of services) {
    for (const id of all.get(s.id)!.ids) {
      if (seen.has(id) || (id - lo + 1) * vb > slots.length) continue;
      const r = realEntryOf(id, slots, (id - lo) * vb);
      if (!r || r.svcId !== s.id) continue;
      const lw = lastWeights?.get(id);
      if (lw !== undefined) r.lastWeight = lw;
      seen.add(id);
      out.push(r);
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

export function readState(dp: Dataplane): DpState {
  const services = readServices(dp);
  const lists = readAllDests(dp, services);
  return {
    services,
    reals: readReals(dp, services, lists, lastWeightsOf(services, lists)), // with mh's last weights (schedulers)
    laddrs: readLaddrs(dp, services), // FULLNAT local addresses
    nextSeq: readMeta(dp).next_seq,
  };
}

/** Sums the per-CPU lb_counters slots of the value at offset into IPVS's stats. */
function sumCounters(map: BpfMap, v: Buffer, offset: number): Stats {
  const s = zeroStats();
  const F = lb_counters.fields;
  for (let off = offset; off < offset + map.valueBytes; off += map.slotBytes) {
    s.conns += v.readBigUInt64LE(off + F.conns.offset);
    s.inPkts += v.readBigUInt64LE(off + F.inpkts.offset);
    s.outPkts += v.readBigUInt64LE(off + F.outpkts.offset);
    s.inBytes += v.readBigUInt64LE(off + F.inbytes.offset);
    s.outBytes += v.readBigUInt64LE(off + F.outbytes.offset);
  }
  return s;
}

/** Sums a per-CPU lb_counters entry into IPVS's stats. */
export function readCounters(map: BpfMap, id: number): Stats {
  const v = map.lookup(u32Key(id));
  return v ? sumCounters(map, v, 0) : zeroStats();
}

/**
 * The counters of many ids (lb_svc_stats, lb_real_stats) in one batch read of the
 * range they span: id → stats. Ids outside the map read as zero.
 */
export function readCountersOf(map: BpfMap, ids: readonly number[]): (id: number) => Stats {
  const [lo, hi] = idRange(ids);
  if (hi < 0) return () => zeroStats();
  const values = map.lookupRange(lo, hi - lo + 1);
  return (id) => {
    const off = (id - lo) * map.valueBytes;
    return id >= lo && off + map.valueBytes <= values.length ? sumCounters(map, values, off) : zeroStats();
  };
}

/** Global per-CPU u64 counters (enum lb_stat), summed. */
export function readGlobalStats(dp: Dataplane, count: number): bigint[] {
  const m = dp.maps.lb_stats;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const v = m.lookup(u32Key(i));
    out.push(v ? m.slots(v).reduce((s, b) => s + b.readBigUInt64LE(0), 0n) : 0n);
  }
  return out;
}

export function readMeta(dp: Dataplane) {
  return decode(lb_meta, dp.maps.lb_meta.lookup(u32Key(0))!);
}
