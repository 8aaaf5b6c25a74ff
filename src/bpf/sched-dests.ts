// lb_svc_dests: each service's destination list per generation (schedulers,
// bpf/include/sched.h). Written by apply, read back for the last weights.
import { encode, decode } from './codec.js';
import { lb_svc_dests, lb_sched_limits } from './generated/layout.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { RealEntry, SvcEntry } from '../plan/state.js';

const MAX = lb_sched_limits.LB_MAX_SVC_DESTS;

function pad(a: number[]): number[] {
  return [...a, ...new Array<number>(MAX - a.length).fill(0)];
}

export function putDests(m: BpfMap, svcId: number, gen: number, ids: number[], lastWeights: number[]): void {
  if (ids.length > MAX) throw new RangeError(`${ids.length} destinations, the data plane holds ${MAX}`);
  m.update(u32Key(svcId * 2 + (gen & 1)), encode(lb_svc_dests, { count: ids.length, pad: 0, ids: pad(ids), last_weight: pad(lastWeights) }));
}

/** The live generation's list of a service: ids in list order and last weights. */
export function readDests(dp: Dataplane, svc: SvcEntry): { ids: number[]; lastWeights: number[] } {
  const v = dp.maps.lb_svc_dests.lookup(u32Key(svc.id * 2 + (svc.gen & 1)));
  if (!v) return { ids: [], lastWeights: [] };
  const d = decode(lb_svc_dests, v);
  const n = Math.min(d.count, MAX);
  return { ids: d.ids.slice(0, n), lastWeights: d.last_weight.slice(0, n) };
}

/** Fills RealEntry.lastWeight from the live destination lists (IPVS dest->last_weight). */
export function withLastWeights(dp: Dataplane, services: SvcEntry[], reals: RealEntry[]): RealEntry[] {
  const lw = new Map<number, number>();
  for (const s of services) {
    const d = readDests(dp, s);
    d.ids.forEach((id, i) => lw.set(id, d.lastWeights[i]!));
  }
  return reals.map((r) => (lw.has(r.id) ? { ...r, lastWeight: lw.get(r.id)! } : r));
}
