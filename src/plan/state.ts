// The data plane's configuration as plain data, decoded from the pinned maps.
// Planning works on this (pure); src/bpf/state.ts reads it, src/bpf/apply.ts writes.
import type { ForwardMethod, ServiceKey, SchedulerName, Addr } from '../model/types.js';

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
  return state.reals.filter((r) => r.svcId === svcId).sort((a, b) => b.seq - a.seq);
}
