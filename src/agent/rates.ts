// The agent's rate loop: every 2 seconds (IPVS's estimator period) it reads the
// per-CPU counters of every service and real (lb_svc_stats, lb_real_stats), feeds
// them to one RateEstimator each (src/agent/estimator.ts: EWMA with weight 1/4 in
// the kernel's fixed point) and writes the results into the pinned lb_rates map,
// which `-Ln --rate` and `--json` read. The XDP program never touches lb_rates, and
// reading per-CPU counters takes no lock on the data path: the data plane is not
// disturbed.
//
// lb_rates layout (bpf/include/lb_shared.h, "rates (issue #5)"): index = service id,
// LB_MAX_SERVICES + real id, LB_RATES_TOTAL for the sum over services. Each entry
// carries the CLOCK_MONOTONIC time of its write; readers treat entries older than
// LB_RATES_STALE_MS as 0 (no agent running).
//
// Things IPVS does that a sampler in another process must reproduce:
// - a new service or real starts from 0 (ip_vs_start_estimator); an entry is owned
//   (owner_seq) so a reused id never inherits another destination's rates;
// - `-Z` zeroes the estimator (ip_vs_zero_estimator): the CLI clears the entries
//   (zeroRates), the loop sees an entry it did not write and restarts that estimator
//   from the counters as they are; a counter going backwards does the same;
// - an agent restart resumes: an entry still fresh and owned by the same object is
//   taken over with a warm start (the first step sets the average to the measured
//   rate), so rates do not fall to 0 and ramp up again.
import { addStats, zeroStats, type Stats } from '../model/types.js';
import type { Rates } from '../ipvsadm/format-list.js';
import { RateEstimator } from './estimator.js';
import { Dataplane } from '../bpf/dataplane.js';
import type { PinPaths } from '../bpf/pins.js';
import { readCounters, readReals, readServices } from '../bpf/state.js';
import { u32Key, type BpfMap } from '../bpf/map.js';
import { decode, encode } from '../bpf/codec.js';
import { lb_limits, lb_rate, lb_rates_limits } from '../bpf/generated/layout.js';
import type { DpState, RealEntry, SvcEntry } from '../plan/state.js';

export const RATES_PERIOD_MS = lb_rates_limits.LB_RATES_PERIOD_MS;
export const RATES_STALE_MS = lb_rates_limits.LB_RATES_STALE_MS;
export const RATES_TOTAL_INDEX = lb_rates_limits.LB_RATES_TOTAL;

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

/** One object whose rates are estimated: a service, a real or the total. */
export interface RateSubject {
  index: number;
  owner: number;
  stats: Stats;
}

/** What lb_rates holds for one index. */
export interface RateEntry {
  rates: Rates;
  updatedNs: bigint;
  owner: number;
  samples: number;
}

export const ZERO_RATES: Rates = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };

function sumStats(list: Stats[]): Stats {
  return list.reduce(addStats, zeroStats());
}

/** Services, reals and the total of a data plane state, with their counters. */
export function subjectsOf(state: DpState, counters: (kind: 'svc' | 'real', id: number) => Stats): RateSubject[] {
  const out: RateSubject[] = [];
  const svcStats: Stats[] = [];
  for (const s of state.services) {
    const stats = counters('svc', s.id);
    svcStats.push(stats);
    out.push({ index: svcRateIndex(s.id), owner: svcOwner(s), stats });
  }
  for (const r of state.reals) {
    out.push({ index: realRateIndex(r.id), owner: realOwner(r), stats: counters('real', r.id) });
  }
  out.push({ index: RATES_TOTAL_INDEX, owner: TOTAL_OWNER, stats: sumStats(svcStats) });
  return out;
}

/** Where the loop reads and writes entries (the lb_rates map, or a fake in tests). */
export interface RateStore {
  read(index: number): RateEntry | undefined;
  write(index: number, e: RateEntry): void;
}

interface Tracked {
  est: RateEstimator;
  owner: number;
  /** updated_ns of our last write: another value there means the CLI zeroed it (-Z). */
  wroteNs: bigint;
  /** Rates taken over from a previous agent, rewritten until our first step. */
  carried?: Rates;
}

/**
 * The estimators of every subject, fed one round of counters per call. Pure apart
 * from the store; time is passed in (monotonic ns), so tests control it.
 */
export class RatesEstimation {
  private readonly tracked = new Map<number, Tracked>();
  private firstRound = true;

  constructor(private store: RateStore, private readonly periodMs = RATES_PERIOD_MS) {}

  /** The store of this round (the loop opens the map afresh each time). */
  setStore(store: RateStore): void {
    this.store = store;
  }

  /** Samples every subject at nowNs and writes its entry; clears entries of subjects gone. */
  round(subjects: readonly RateSubject[], nowNs: bigint): void {
    const nowMs = Number(nowNs / 1_000_000n);
    const seen = new Set<number>();
    for (const sub of subjects) {
      seen.add(sub.index);
      const stored = this.store.read(sub.index);
      let t = this.tracked.get(sub.index);
      if (t && (t.owner !== sub.owner || stored?.updatedNs !== t.wroteNs)) {
        t = undefined; // another object on this id, or zeroed by `-Z`: start afresh
      }
      if (!t) {
        // Only the agent's first round takes over a previous agent's fresh entries.
        const carried = this.firstRound && stored && stored.owner === sub.owner && stored.samples > 0 &&
          this.isFresh(stored, nowNs) ? stored.rates : undefined;
        t = { est: new RateEstimator({ warmStart: carried !== undefined, periodMs: this.periodMs }), owner: sub.owner, wroteNs: 0n, carried };
        this.tracked.set(sub.index, t);
      }
      t.est.sample(sub.stats, nowMs);
      const steps = t.est.stepCount;
      if (steps > 0) t.carried = undefined;
      const rates = steps > 0 ? t.est.rates() : t.carried ?? ZERO_RATES;
      const samples = steps > 0 ? steps : t.carried ? (stored?.samples ?? 0) : 0;
      this.store.write(sub.index, { rates, updatedNs: nowNs, owner: sub.owner, samples });
      t.wroteNs = nowNs;
    }
    for (const index of [...this.tracked.keys()]) {
      if (seen.has(index)) continue;
      this.tracked.delete(index);
      this.store.write(index, { rates: ZERO_RATES, updatedNs: 0n, owner: 0, samples: 0 });
    }
    this.firstRound = false;
  }

  private isFresh(e: RateEntry, nowNs: bigint): boolean {
    return e.updatedNs !== 0n && nowNs - e.updatedNs < BigInt(RATES_STALE_MS) * 1_000_000n;
  }
}

/** lb_rates as a RateStore. */
export function mapStore(map: BpfMap): RateStore {
  return {
    read(index) {
      const v = map.lookup(u32Key(index));
      return v ? entryOf(v) : undefined;
    },
    write(index, e) {
      map.update(u32Key(index), encode(lb_rate, {
        cps: BigInt(e.rates.cps), inpps: BigInt(e.rates.inpps), outpps: BigInt(e.rates.outpps),
        inbps: BigInt(e.rates.inbps), outbps: BigInt(e.rates.outbps),
        updated_ns: e.updatedNs, owner_seq: e.owner, samples: Math.min(e.samples, 0xffffffff),
      }));
    },
  };
}

export function entryOf(v: Buffer): RateEntry {
  const d = decode(lb_rate, v);
  return {
    rates: { cps: Number(d.cps), inpps: Number(d.inpps), outpps: Number(d.outpps), inbps: Number(d.inbps), outbps: Number(d.outbps) },
    updatedNs: d.updated_ns,
    owner: d.owner_seq,
    samples: d.samples,
  };
}

/**
 * Services and their reals, read cheaply: readState() walks all LB_MAX_REALS slots of
 * lb_reals (over a second of syscalls), too much every 2 s. Each service's live
 * destination list (lb_svc_dests, which holds every destination of the service in
 * IPVS list order) names the reals to look up.
 */
export function readServicesAndReals(dp: Dataplane): DpState {
  const services = readServices(dp);
  return { services, reals: readReals(dp, services) };
}

/** One round against an open data plane: read services, reals and counters, estimate, write. */
export function ratesRound(dp: Dataplane, est: RatesEstimation, nowNs = monotonicNs()): void {
  const state = readServicesAndReals(dp);
  const subjects = subjectsOf(state, (kind, id) => readCounters(kind === 'svc' ? dp.maps.lb_svc_stats : dp.maps.lb_real_stats, id));
  est.round(subjects, nowNs);
}

export interface RatesLoop {
  stop(): void;
}

/**
 * Starts the estimator loop of `lvs-xdp agent`: a round now (it only sets the
 * baselines) and one every period. The data plane is opened per round, so a
 * re-attach or an upgrade under the agent is picked up. Errors are reported and
 * the loop goes on.
 */
export function startRatesLoop(pins: PinPaths, onError: (e: Error) => void, periodMs = RATES_PERIOD_MS): RatesLoop {
  let est: RatesEstimation | undefined;
  let mapId = -1;
  let lastError: string | undefined;
  const tick = (): void => {
    try {
      const dp = Dataplane.open(pins);
      try {
        // A new lb_rates map (detach --purge, attach) means new objects: start afresh.
        if (!est || dp.maps.lb_rates.info.id !== mapId) {
          est = new RatesEstimation(mapStore(dp.maps.lb_rates), periodMs);
          mapId = dp.maps.lb_rates.info.id;
        }
        est.setStore(mapStore(dp.maps.lb_rates));
        ratesRound(dp, est);
      } finally {
        dp.close();
      }
      lastError = undefined;
    } catch (e) {
      // Reported once until it changes or goes away (no data plane: every round fails).
      if ((e as Error).message !== lastError) onError(e as Error);
      lastError = (e as Error).message;
    }
  };
  tick();
  // A little over the period: a timer that fires a hair early would skip a step (the
  // estimator scales every delta to exactly one period, so the rates stay exact).
  const timer = setInterval(tick, periodMs + 10);
  return { stop: () => clearInterval(timer) };
}
