// What the rate loop estimates each round: every service, every live real and the
// total, with their counters. The configuration part changes rarely, so it is read
// again only when it changed; the counters are read every round in bulk
// (src/bpf/counters.ts).
//
// How a change is told without reading the configuration (~17,000 lookups through the
// destination lists): every change to which reals a service has goes through writes
// the data plane never makes itself (src/plan/plan.ts):
// - a new real takes a new seq, raising lb_meta.next_seq;
// - a removed real's lb_reals slot is zeroed (and its service switches tables);
// - services come and go, and switch tables, in lb_services.
// So each round compares next_seq, the bytes of lb_services (one batch read) and the
// bytes of lb_reals over the ids of the reals it knows (a few batch reads) with the
// previous round's; any difference rebuilds the list. Whatever is read to rebuild is
// read after the values compared, so a change meanwhile shows as a difference next round.
import { readCounterSums, type CounterSums } from '../bpf/counters.js';
import type { Dataplane } from '../bpf/dataplane.js';
import { readMeta, readReals, readServices } from '../bpf/state.js';
import type { RealEntry, SvcEntry } from '../plan/state.js';
import { EST_FIELDS } from './estimator-table.js';
import { RATES_TOTAL_INDEX, TOTAL_OWNER, realOwner, realRateIndex, svcOwner, svcRateIndex } from './rate-entries.js';
import type { RateFrame } from './rates-estimation.js';

/** Services and reals with rates, ascending by id; the frame lists services, reals, then the total. */
export interface SubjectList {
  svcIds: Uint32Array;
  realIds: Uint32Array;
  frame: RateFrame;
}

/** The subjects of these services and reals, with room for their counters. */
export function subjectListOf(services: ReadonlyArray<Pick<SvcEntry, 'id' | 'key'>>, reals: ReadonlyArray<Pick<RealEntry, 'id' | 'svcId' | 'addr' | 'port' | 'seq'>>): SubjectList {
  const svcs = [...services].sort((a, b) => a.id - b.id);
  const rs = [...reals].sort((a, b) => a.id - b.id);
  const count = svcs.length + rs.length + 1;
  const index = new Uint32Array(count);
  const owner = new Uint32Array(count);
  svcs.forEach((s, k) => {
    index[k] = svcRateIndex(s.id);
    owner[k] = svcOwner(s);
  });
  rs.forEach((r, k) => {
    index[svcs.length + k] = realRateIndex(r.id);
    owner[svcs.length + k] = realOwner(r);
  });
  index[count - 1] = RATES_TOTAL_INDEX;
  owner[count - 1] = TOTAL_OWNER;
  return {
    svcIds: Uint32Array.from(svcs, (s) => s.id),
    realIds: Uint32Array.from(rs, (r) => r.id),
    frame: { count, index, owner, lo: new Uint32Array(count * EST_FIELDS), hi: new Uint32Array(count * EST_FIELDS) },
  };
}

/**
 * Copies each subject's counters into the frame, the total being the sum over the
 * services (IPVS's tot_stats), carried in u32 halves like the sums themselves.
 */
export function fillCounters(list: SubjectList, svc: CounterSums, real: CounterSums): RateFrame {
  const { frame, svcIds, realIds } = list;
  const copy = (sums: CounterSums, id: number, k: number): void => {
    const from = (id - sums.first) * EST_FIELDS;
    for (let f = 0; f < EST_FIELDS; f++) {
      frame.lo[k * EST_FIELDS + f] = sums.lo[from + f]!;
      frame.hi[k * EST_FIELDS + f] = sums.hi[from + f]!;
    }
  };
  for (let k = 0; k < svcIds.length; k++) copy(svc, svcIds[k]!, k);
  for (let k = 0; k < realIds.length; k++) copy(real, realIds[k]!, svcIds.length + k);
  const t = (frame.count - 1) * EST_FIELDS;
  for (let f = 0; f < EST_FIELDS; f++) {
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < svcIds.length; k++) {
      lo += frame.lo[k * EST_FIELDS + f]!; // < 4,096 × 2^32: exact
      hi += frame.hi[k * EST_FIELDS + f]!;
    }
    frame.lo[t + f] = lo; // stored mod 2^32; the carry goes into the high half
    frame.hi[t + f] = hi + ((lo / 4294967296) >>> 0);
  }
  return frame;
}

/** The live reals of these services (state.ts readReals) and the bytes of their
 * lb_reals slots, lowest to highest id, for the next rounds' comparison. */
function liveReals(dp: Dataplane, services: SvcEntry[]): { reals: RealEntry[]; bytes: Buffer } {
  const reals = readReals(dp, services); // sorted by id
  if (!reals.length) return { reals, bytes: Buffer.alloc(0) };
  const first = reals[0]!.id;
  return { reals, bytes: dp.maps.lb_reals.lookupRange(first, reals[reals.length - 1]!.id - first + 1) };
}

/** lb_services as bytes (keys then values of every entry), to compare between rounds. */
function servicesBytes(dp: Dataplane): Buffer {
  const m = dp.maps.lb_services;
  const parts: Buffer[] = [];
  for (const b of m.entries()) {
    parts.push(b.keys.subarray(0, b.count * m.info.keySize), b.values.subarray(0, b.count * m.valueBytes));
  }
  return Buffer.concat(parts);
}

/** The subjects of a data plane, re-read when its configuration changed, and their counters each round. */
export class SubjectSource {
  private seenMaps = '';
  private nextSeq = -1;
  private services: Buffer = Buffer.alloc(0);
  private reals: Buffer = Buffer.alloc(0);
  private list?: SubjectList;
  private svcSums?: CounterSums;
  private realSums?: CounterSums;

  /** This round's frame: the subjects (cached) with counters read now. */
  read(dp: Dataplane): RateFrame {
    const list = this.subjects(dp);
    const span = (ids: Uint32Array): [number, number] => (ids.length ? [ids[0]!, ids[ids.length - 1]! - ids[0]! + 1] : [0, 0]);
    const [sf, sn] = span(list.svcIds);
    const [rf, rn] = span(list.realIds);
    this.svcSums = readCounterSums(dp.maps.lb_svc_stats, sf, sn, this.svcSums);
    this.realSums = readCounterSums(dp.maps.lb_real_stats, rf, rn, this.realSums);
    return fillCounters(list, this.svcSums, this.realSums);
  }

  /** The subject list, rebuilt only when the configuration (or the maps themselves) changed. */
  subjects(dp: Dataplane): SubjectList {
    const maps = `${dp.maps.lb_services.info.id}/${dp.maps.lb_reals.info.id}/${dp.maps.lb_meta.info.id}`;
    const nextSeq = readMeta(dp).next_seq;
    const services = servicesBytes(dp);
    if (this.list && maps === this.seenMaps && nextSeq === this.nextSeq && services.equals(this.services) && this.realsUnchanged(dp, this.list)) {
      return this.list;
    }
    const svcs = readServices(dp);
    const live = liveReals(dp, svcs);
    this.list = subjectListOf(svcs, live.reals);
    this.seenMaps = maps;
    this.nextSeq = nextSeq;
    this.services = services;
    this.reals = Buffer.from(live.bytes); // a copy: the range read may be larger
    return this.list;
  }

  /** lb_reals over the known reals' ids holds what it held when the list was built. */
  private realsUnchanged(dp: Dataplane, list: SubjectList): boolean {
    const ids = list.realIds;
    if (!ids.length) return true;
    return dp.maps.lb_reals.lookupRange(ids[0]!, ids[ids.length - 1]! - ids[0]! + 1).equals(this.reals);
  }
}
