// lb_rates, the map the agent's estimator writes and `-Ln --rate` / `--json` read
// (bpf/include/lb_shared.h, "rates (issue #5)"): index = service id, LB_MAX_SERVICES
// + real id, LB_RATES_TOTAL for the sum over services. Each entry carries the
// CLOCK_MONOTONIC time of its write, so readers treat entries older than
// LB_RATES_STALE_MS as 0 (no agent running), and an owner, so a reused id never
// shows another destination's rates.
import type { Rates } from '../ipvsadm/format-list.js';
import { u32Key, type BpfMap } from '../bpf/map.js';
import { decode, encode } from '../bpf/codec.js';
import { lb_limits, lb_rate, lb_rates_limits } from '../bpf/generated/layout.js';
import type { RealEntry, SvcEntry } from '../plan/state.js';
import type { RateStore } from './rates-estimation.js';

export const RATES_PERIOD_MS = lb_rates_limits.LB_RATES_PERIOD_MS;
export const RATES_STALE_MS = lb_rates_limits.LB_RATES_STALE_MS;
export const RATES_TOTAL_INDEX = lb_rates_limits.LB_RATES_TOTAL;
export const RATES_ENTRIES = lb_rates_limits.LB_RATES_ENTRIES;

/** lb_rates index of a service's and a real's entry. */
export const svcRateIndex = (svcId: number): number => svcId;
export const realRateIndex = (realId: number): number => lb_limits.LB_MAX_SERVICES + realId;

/** The monotonic clock lb_rates timestamps use (CLOCK_MONOTONIC, shared by all processes). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** FNV-1a (32 bit) of a text: the owner of an entry, so reused ids are told apart. */
export function ownerHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

/** Owners of entries: a service by its key, a real by service, address, port and seq. */
export const svcOwner = (s: Pick<SvcEntry, 'key'>): number => ownerHash(`svc ${s.key.protocol} ${s.key.addr.ip} ${s.key.port}`);
export const realOwner = (r: Pick<RealEntry, 'svcId' | 'addr' | 'port' | 'seq'>): number =>
  ownerHash(`real ${r.svcId} ${r.addr.ip} ${r.port} ${r.seq}`);
export const TOTAL_OWNER = 1;

/** What lb_rates holds for one index. */
export interface RateEntry {
  rates: Rates;
  updatedNs: bigint;
  owner: number;
  samples: number;
}

export const ZERO_RATES: Rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };

export function entryOf(v: Buffer): RateEntry {
  const d = decode(lb_rate, v);
  return {
    rates: { cps: Number(d.cps), inpps: Number(d.inpps), outpps: Number(d.outpps), inbps: Number(d.inbps), outbps: Number(d.outbps) },
    updatedNs: d.updated_ns,
    owner: d.owner_seq,
    samples: d.samples,
  };
}

/** The lb_rate record of an entry (entryOf's inverse). */
export function recordOf(e: RateEntry): Buffer {
  return encode(lb_rate, {
    cps: BigInt(e.rates.cps), inpps: BigInt(e.rates.inpps), outpps: BigInt(e.rates.outpps),
    inbps: BigInt(e.rates.inbps), outbps: BigInt(e.rates.outbps),
    updated_ns: e.updatedNs, owner_seq: e.owner, samples: Math.min(e.samples, 0xffffffff),
  });
}

/** lb_rates as a RateStore: ranges read and records written in batches. */
export function mapStore(map: BpfMap): RateStore {
  return {
    load: (first, n) => map.lookupRange(first, n),
    save: (indices, records, n) => map.updateMany(indices, records, n),
  };
}

/** One entry of lb_rates (readers outside the loop). */
export function readRateEntry(map: BpfMap, index: number): RateEntry | undefined {
  const v = map.lookup(u32Key(index));
  return v ? entryOf(v) : undefined;
}
