// Reads the configuration and the counters out of the pinned maps.
import { zeroStats, type Addr, type Family, type Protocol, type Real, type Stats } from '../model/types.js';
import { decode, expectFields, viewOf } from './codec.js';
import { lb_fwd, lb_meta, lb_real, lb_real_flags, lb_svc, lb_svc_key } from './generated/layout.js';
import { familyOf, wordsToAddr } from './addr.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { DpState, RealEntry, SvcEntry } from '../plan/state.js';
import { schedulerByCode } from '../sched/registry.js';
import { lastWeightsOf, readAllDests, type Dests } from './sched-dests.js';
import { readLaddrs } from './fwd-state.js';
import { idRange } from './id-range.js';
import { readCounterSums } from './counters.js';
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

// The hot readers below take fields straight from a batch's bytes: decode() of every
// field of 16,000 reals (arrays, bigints, a switch per field) was most of readState.
const K = lb_svc_key.fields;
const S = lb_svc.fields;
const R = lb_real.fields;
expectFields(lb_svc_key, { addr: 'be32', port: 'be16', proto: 'u8', family: 'u8' });
expectFields(lb_svc, { id: 'u32', flags: 'u32', timeout: 'u32', netmask: 'be32', sched: 'u8', gen: 'u8', table_len: 'u32' });
expectFields(lb_real, {
  addr: 'be32', port: 'be16', family: 'u8', fwd: 'u8', svc_id: 'u32', weight: 'u32', flags: 'u32', u_threshold: 'u32', l_threshold: 'u32', seq: 'u32',
});

/** The address of four be32 words at off (IPv4 in the first). */
function addrAt(v: DataView, off: number, family: Family): Addr {
  if (family === 'inet') return { family, ip: `${v.getUint8(off)}.${v.getUint8(off + 1)}.${v.getUint8(off + 2)}.${v.getUint8(off + 3)}` };
  return wordsToAddr([0, 4, 8, 12].map((k) => v.getUint32(off + k, false)), family);
}

/** Every service entry, read in batches (BPF_MAP_LOOKUP_BATCH), in the map's order. */
export function readServices(dp: Dataplane): SvcEntry[] {
  const out: SvcEntry[] = [];
  const m = dp.maps.lb_services;
  const ks = m.info.keySize;
  const vb = m.valueBytes;
  for (const b of m.entries()) {
    const keys = viewOf(b.keys);
    const values = viewOf(b.values);
    for (let i = 0; i < b.count; i++) {
      const k = i * ks;
      const v = i * vb;
      out.push({
        key: {
          protocol: protoOf(keys.getUint8(k + K.proto.offset)),
          addr: addrAt(keys, k + K.addr.offset, familyOf(keys.getUint8(k + K.family.offset))),
          port: keys.getUint16(k + K.port.offset, false),
        },
        id: values.getUint32(v + S.id.offset, true),
        scheduler: schedulerByCode(values.getUint8(v + S.sched.offset)),
        flags: values.getUint32(v + S.flags.offset, true),
        timeout: values.getUint32(v + S.timeout.offset, true),
        netmask: values.getUint32(v + S.netmask.offset, false),
        gen: values.getUint8(v + S.gen.offset),
        tableLen: values.getUint32(v + S.table_len.offset, true),
      });
    }
  }
  return out;
}

/** The lb_reals slot at offset of a view, or undefined when the slot is free. */
function realAt(v: DataView, id: number, off: number, lastWeight?: number): RealEntry | undefined {
  const flags = v.getUint32(off + R.flags.offset, true);
  if (!(flags & lb_real_flags.LB_REAL_F_USED)) return undefined;
  return {
    id,
    svcId: v.getUint32(off + R.svc_id.offset, true),
    addr: addrAt(v, off + R.addr.offset, familyOf(v.getUint8(off + R.family.offset))),
    port: v.getUint16(off + R.port.offset, false),
    forward: forwardOf(v.getUint8(off + R.fwd.offset)),
    weight: v.getUint32(off + R.weight.offset, true),
    flags,
    upperThreshold: v.getUint32(off + R.u_threshold.offset, true),
    lowerThreshold: v.getUint32(off + R.l_threshold.offset, true),
    seq: v.getUint32(off + R.seq.offset, true),
    lastWeight,
  };
}

/** A destination slot of lb_reals (at offset in v: a batch), or undefined when the slot is free. */
export function realEntryOf(id: number, v: Buffer | undefined, offset = 0): RealEntry | undefined {
  return v ? realAt(viewOf(v), id, offset) : undefined;
}

/**
 * The lb_reals slots that these destination lists name, read in batches over the id
 * range they span (one syscall per 4,096 entries; one lookup per real cost ~0.2 s for
 * 16,000 reals). at(svcId, id) is the slot's offset in view when it holds a real of
 * that service, else -1: a real written by a command that died before its service
 * switched tables is not listed (it was never live, and its slot is reused).
 */
export interface LiveReals {
  view: DataView;
  /** The lowest id read and how many slots from it: for callers' per-id arrays. */
  lo: number;
  span: number;
  at(svcId: number, id: number): number;
}

export function readLiveReals(dp: Dataplane, lists: readonly (readonly number[])[]): LiveReals {
  let lo = Infinity;
  let hi = -1;
  for (const ids of lists) [lo, hi] = idRange(ids, lo, hi);
  if (hi < 0) return { view: new DataView(new ArrayBuffer(0)), lo: 0, span: 0, at: () => -1 };
  const m = dp.maps.lb_reals;
  const vb = m.valueBytes;
  const bytes = m.lookupRange(lo, hi - lo + 1);
  const view = viewOf(bytes);
  const flags = R.flags.offset;
  const svc = R.svc_id.offset;
  return {
    view, lo, span: hi - lo + 1,
    at(svcId, id) {
      const off = (id - lo) * vb;
      if (id < lo || off + vb > bytes.length) return -1;
      if (!(view.getUint32(off + flags, true) & lb_real_flags.LB_REAL_F_USED)) return -1;
      return view.getUint32(off + svc, true) === svcId ? off : -1;
    },
  };
}

/** What a listing shows of the real at off (a LiveReals offset), and its seq (list order). */
export function listedRealAt(v: DataView, off: number): { real: Real; seq: number } {
  return {
    real: {
      addr: addrAt(v, off + R.addr.offset, familyOf(v.getUint8(off + R.family.offset))),
      port: v.getUint16(off + R.port.offset, false),
      forward: forwardOf(v.getUint8(off + R.fwd.offset)),
      weight: v.getUint32(off + R.weight.offset, true),
      upperThreshold: v.getUint32(off + R.u_threshold.offset, true),
      lowerThreshold: v.getUint32(off + R.l_threshold.offset, true),
    },
    seq: v.getUint32(off + R.seq.offset, true),
  };
}

/** The reals of these services (readLiveReals), each once, by id. */
export function readReals(
  dp: Dataplane, services: SvcEntry[], lists?: Map<number, Dests>, lastWeights?: Map<number, number>,
): RealEntry[] {
  const all = lists ?? readAllDests(dp, services);
  const own = services.map((s) => all.get(s.id)!.ids);
  const live = readLiveReals(dp, own);
  const seen = new Uint8Array(live.span); // a real listed twice is taken once
  const out: RealEntry[] = [];
  for (let k = 0; k < services.length; k++) {
    const ids = own[k]!;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const off = live.at(services[k]!.id, id);
      if (off < 0 || seen[id - live.lo]) continue;
      seen[id - live.lo] = 1;
      out.push(realAt(live.view, id, off, lastWeights?.get(id))!);
    }
  }
  // by id; the lists usually give them in that order already (a sort of 16,000 with a
  // comparator in cold code is not free)
  for (let i = 1; i < out.length; i++) if (out[i]!.id < out[i - 1]!.id) return out.sort((a, b) => a.id - b.id);
  return out;
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

/** Sums a per-CPU lb_counters entry into IPVS's stats. */
export function readCounters(map: BpfMap, id: number): Stats {
  return readCountersOf(map, [id])(id);
}

/**
 * The counters of many ids (lb_svc_stats, lb_real_stats) in one batch read of the
 * range they span (counters.ts, the agent's reader): id → stats. Ids outside the map
 * read as zero.
 */
export function readCountersOf(map: BpfMap, ids: readonly number[]): (id: number) => Stats {
  const [lo, hi] = idRange(ids);
  if (hi < 0) return () => zeroStats();
  const sums = readCounterSums(map, lo, hi - lo + 1);
  return (id) => (id >= lo && id < lo + sums.count ? sums.stats(id) : zeroStats());
}

/** Global per-CPU u64 counters (enum lb_stat), summed. */
export function readGlobalStats(dp: Dataplane, count: number): bigint[] {
  const m = dp.maps.lb_stats;
  const values = m.lookupRange(0, count);
  return Array.from({ length: count }, (_, i) => {
    const v = values.subarray(i * m.valueBytes, (i + 1) * m.valueBytes);
    return v.length ? m.slots(v).reduce((sum, b) => sum + b.readBigUInt64LE(0), 0n) : 0n;
  });
}

export function readMeta(dp: Dataplane) {
  return decode(lb_meta, dp.maps.lb_meta.lookup(u32Key(0))!);
}
