// lb_svc_dests: each service's destination list per generation (schedulers,
// bpf/include/sched.h). Written by apply, read back for the reals and their last weights.
import { expectFields } from './codec.js';
import { lb_svc_dests, lb_sched_limits } from './generated/layout.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { SvcEntry } from '../plan/state.js';

const MAX = lb_sched_limits.LB_MAX_SVC_DESTS;
const F = lb_svc_dests.fields;

export interface Dests {
  ids: number[];
  lastWeights: number[];
}

/** The lb_svc_dests index of a service's list in one generation. */
export function destsIndex(svcId: number, gen: number): number {
  return svcId * 2 + (gen & 1);
}

expectFields(lb_svc_dests, { count: 'u32', ids: 'u32', last_weight: 'u32' });

/**
 * Encodes a list into a value buffer (into: a map value's bytes, e.g. a slice of a
 * batch): the count and the list's ids and weights; the rest of both arrays zero.
 */
export function encodeDests(ids: number[], lastWeights: number[], into: Buffer = Buffer.alloc(lb_svc_dests.size)): Buffer {
  if (ids.length > MAX) throw new RangeError(`${ids.length} destinations, the data plane holds ${MAX}`);
  into.fill(0, 0, lb_svc_dests.size);
  into.writeUInt32LE(ids.length, F.count.offset);
  for (let i = 0; i < ids.length; i++) {
    into.writeUInt32LE(ids[i]! >>> 0, F.ids.offset + 4 * i);
    into.writeUInt32LE((lastWeights[i] ?? 0) >>> 0, F.last_weight.offset + 4 * i);
  }
  return into;
}

export function putDests(m: BpfMap, svcId: number, gen: number, ids: number[], lastWeights: number[]): void {
  m.update(u32Key(destsIndex(svcId, gen)), encodeDests(ids, lastWeights));
}

/** The list in a value: only its first count ids and weights are read (a full decode is 128 numbers). */
function decodeDests(v: Buffer, offset = 0): Dests {
  const n = Math.min(v.readUInt32LE(offset + F.count.offset), MAX);
  const ids = new Array<number>(n);
  const lastWeights = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    ids[i] = v.readUInt32LE(offset + F.ids.offset + 4 * i);
    lastWeights[i] = v.readUInt32LE(offset + F.last_weight.offset + 4 * i);
  }
  return { ids, lastWeights };
}

/** The live generation's list of a service: ids in list order and last weights. */
export function readDests(dp: Dataplane, svc: SvcEntry): Dests {
  const v = dp.maps.lb_svc_dests.lookup(u32Key(destsIndex(svc.id, svc.gen)));
  return v ? decodeDests(v) : { ids: [], lastWeights: [] };
}

/**
 * The live lists of all these services, by service id, in one batch read of the
 * index range they occupy (one syscall per 4,096 lists instead of one per service).
 */
export function readAllDests(dp: Dataplane, services: readonly SvcEntry[]): Map<number, Dests> {
  const out = new Map<number, Dests>();
  if (services.length === 0) return out;
  let lo = Infinity;
  let hi = -1;
  for (const s of services) {
    const i = destsIndex(s.id, s.gen);
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  const m = dp.maps.lb_svc_dests;
  const vb = m.valueBytes;
  const values = m.lookupRange(lo, hi - lo + 1);
  for (const s of services) {
    const off = (destsIndex(s.id, s.gen) - lo) * vb;
    out.set(s.id, off + vb <= values.length ? decodeDests(values, off) : { ids: [], lastWeights: [] });
  }
  return out;
}

/** IPVS dest->last_weight of every listed real, from the live destination lists: id → weight. */
export function lastWeightsOf(services: readonly SvcEntry[], lists: Map<number, Dests>): Map<number, number> {
  const lw = new Map<number, number>();
  for (const s of services) {
    const d = lists.get(s.id);
    d?.ids.forEach((id, i) => lw.set(id, d.lastWeights[i]!));
  }
  return lw;
}
