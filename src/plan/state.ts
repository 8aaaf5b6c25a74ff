// The data plane's configuration as plain data, decoded from the pinned maps.
// Planning works on this (pure); src/bpf/state.ts reads it, src/bpf/apply.ts writes.
import type { ForwardMethod, ServiceKey, SchedulerName, Addr } from '../model/types.js';
import { serviceKeyString } from '../model/types.js';

export interface SvcEntry {
  key: ServiceKey;
  id: number;
  scheduler: SchedulerName;
  flags: number;
  /** Persistence timeout in seconds (0 = none). */
  timeout: number;
  netmask: number;
  gen: number;
  tableLen: number;
}

export interface RealEntry {
  id: number;
  svcId: number;
  addr: Addr;
  port: number;
  forward: ForwardMethod;
  weight: number;
  flags: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** Insertion order: IPVS keeps destinations in a list, newest first. */
  seq: number;
  /** IPVS dest->last_weight: the latest non-zero weight (kept in lb_svc_dests; mh builds from it). */
  lastWeight?: number;
}

export interface DpState {
  /** lb_meta.next_seq: the seq the next real gets (0 in maps made before it existed). */
  nextSeq?: number;
  services: SvcEntry[];
  reals: RealEntry[];
  /** FULLNAT local addresses by service id (issue #3); absent = none read. */
  laddrs?: Record<number, Addr[]>;
}

/** The service's destinations in IPVS list order (list_add_rcu: newest first). */
export function realsOf(state: DpState, svcId: number): RealEntry[] {
  return [...(indexOfReals(state.reals).bySvc.get(svcId) ?? [])].sort((a, b) => b.seq - a.seq);
}

/**
 * Derived facts of a reals list, computed once per list object. Lists are treated
 * as values everywhere, except by plan.ts applyInPlace (a -R of thousands of lines
 * plans against one working copy), which keeps this index up to date itself.
 */
export interface RealsIndex {
  bySvc: Map<number, RealEntry[]>;
  /** id → position in the list */
  pos: Map<number, number>;
  topId: number;
  topSeq: number;
}

const realsIndexes = new WeakMap<readonly RealEntry[], RealsIndex>();

export function indexOfReals(reals: readonly RealEntry[]): RealsIndex {
  let ix = realsIndexes.get(reals);
  if (ix) return ix;
  const made: RealsIndex = { bySvc: new Map(), pos: new Map(), topId: -1, topSeq: 0 };
  reals.forEach((r, i) => indexReal(made, r, i));
  realsIndexes.set(reals, made);
  return made;
}

/** Enters r, at position i of its list, into the index. */
function indexReal(ix: RealsIndex, r: RealEntry, i: number): void {
  const g = ix.bySvc.get(r.svcId);
  if (g) g.push(r);
  else ix.bySvc.set(r.svcId, [r]);
  ix.pos.set(r.id, i);
  if (r.id > ix.topId) ix.topId = r.id;
  if (r.seq > ix.topSeq) ix.topSeq = r.seq;
}

/** Puts r into a list the caller owns (replacing the real of the same id), index kept. */
export function putRealInPlace(reals: RealEntry[], r: RealEntry): void {
  const ix = indexOfReals(reals);
  let at = ix.pos.get(r.id);
  if (at !== undefined) {
    const old = reals[at]!;
    const g = ix.bySvc.get(old.svcId)!;
    g.splice(g.indexOf(old), 1);
    reals[at] = r;
  } else {
    at = reals.push(r) - 1;
  }
  indexReal(ix, r, at);
}

/** Removes the real of this id from a list the caller owns; the index is rebuilt on next use. */
export function removeRealInPlace(reals: RealEntry[], id: number): void {
  const at = indexOfReals(reals).pos.get(id);
  if (at === undefined) return;
  reals.splice(at, 1);
  realsIndexes.delete(reals);
}

/**
 * Derived facts of a services list, computed once per list object and kept up to
 * date by putServiceInPlace/removeServiceInPlace: every -a of a -R looks its
 * service up by key, and a scan of 1,000 services per line was most of planning.
 */
export interface ServicesIndex {
  /** serviceKeyString(key) → service */
  byKey: Map<string, SvcEntry>;
  /** id → position in the list */
  pos: Map<number, number>;
  topId: number;
}

const servicesIndexes = new WeakMap<readonly SvcEntry[], ServicesIndex>();

export function indexOfServices(services: readonly SvcEntry[]): ServicesIndex {
  let ix = servicesIndexes.get(services);
  if (ix) return ix;
  const made: ServicesIndex = { byKey: new Map(), pos: new Map(), topId: -1 };
  services.forEach((s, i) => indexService(made, s, i));
  servicesIndexes.set(services, made);
  return made;
}

/** Enters s, at position i of its list, into the index. */
function indexService(ix: ServicesIndex, s: SvcEntry, i: number): void {
  ix.byKey.set(serviceKeyString(s.key), s);
  ix.pos.set(s.id, i);
  if (s.id > ix.topId) ix.topId = s.id;
}

/** Puts s into a list the caller owns (replacing the service of the same id), index kept. */
export function putServiceInPlace(services: SvcEntry[], s: SvcEntry): void {
  const ix = indexOfServices(services);
  let at = ix.pos.get(s.id);
  if (at !== undefined) {
    ix.byKey.delete(serviceKeyString(services[at]!.key));
    services[at] = s;
  } else {
    at = services.push(s) - 1;
  }
  indexService(ix, s, at);
}

/** Removes the service of this id from a list the caller owns; the index is rebuilt on next use. */
export function removeServiceInPlace(services: SvcEntry[], id: number): void {
  const at = indexOfServices(services).pos.get(id);
  if (at === undefined) return;
  services.splice(at, 1);
  servicesIndexes.delete(services);
}
