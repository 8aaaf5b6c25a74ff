// IPVS's rate estimator (net/netfilter/ipvs/ip_vs_est.c), as a pure value fed with
// counter snapshots and their times. Used by `monitor`, and the reference for the
// agent's EstimatorTable (estimator-table.ts: the same maths for ~17,000 rows in plain
// numbers, which feeds lb_rates for `--rate`), so it knows nothing of maps or the UI.
//
// The kernel samples every 2 seconds and keeps an exponentially weighted average
//     avg += (rate - avg) / 4                      (W = 2^-2)
// in fixed point: cps/inpps/outpps scaled by 2^10, bytes by 2^5. A 2-second delta
// d becomes the scaled per-second rate with one shift: d << 9 (= d * 2^10 / 2) and
// d << 4 (= d * 2^5 / 2). The average moves by an arithmetic shift right of the
// signed difference. Reading rounds: (avg + 0x1FF) >> 10 and (avg + 0xF) >> 5.
// BigInt keeps the 64-bit arithmetic exact (and >> on BigInt floors, as s64 >> does).
//
// Two things the kernel does not need and a user-space sampler does:
// - samples arrive when a timer fires, not exactly every 2 s: a step is taken once 2 s
//   have passed, and the delta is scaled to 2 s (identical to the kernel at exactly
//   2000 ms); a gap of k periods takes k steps, as k kernel ticks would have;
// - a counter that goes backwards (ipvsadm -Z, a real removed and re-added) resets the
//   estimator as ip_vs_zero_estimator() does.
import type { Stats } from '../model/types.js';
import type { Rates } from '../ipvsadm/format-list.js';

/** The kernel's sampling period. */
export const EST_PERIOD_MS = 2000;

/** More missed periods than this change nothing visible: (3/4)^32 < 1e-4. */
export const MAX_CATCH_UP = 32;

const FIELDS = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const;
type Field = (typeof FIELDS)[number];
/** Left shift turning a 2-second delta into the scaled per-second rate. */
const SHIFT: Record<Field, bigint> = { conns: 9n, inPkts: 9n, outPkts: 9n, inBytes: 4n, outBytes: 4n };
/** Scale of the stored average (2^10 for counts, 2^5 for bytes). */
const SCALE: Record<Field, bigint> = { conns: 10n, inPkts: 10n, outPkts: 10n, inBytes: 5n, outBytes: 5n };
const RATE_OF: Record<Field, keyof Rates> = {
  conns: 'cps', inPkts: 'inpps', outPkts: 'outpps', inBytes: 'inbps', outBytes: 'outbps',
};

export interface EstimatorOptions {
  /**
   * The first step sets the average to the measured rate instead of moving a quarter
   * of the way from 0. The kernel starts from 0 because it starts with the service;
   * a monitor that starts late would otherwise under-report for ~10 s. Default false.
   */
  warmStart?: boolean;
  periodMs?: number;
}

export class RateEstimator {
  private last: Stats | undefined;
  private lastAt = 0;
  private avg: Record<Field, bigint> = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };
  private steps = 0;
  private readonly warm: boolean;
  private readonly period: number;

  constructor(opts: EstimatorOptions = {}) {
    this.warm = opts.warmStart ?? false;
    this.period = opts.periodMs ?? EST_PERIOD_MS;
  }

  /**
   * Feeds the counters as read at nowMs (any monotonic millisecond clock). Returns
   * true when an estimation step was taken.
   */
  sample(s: Stats, nowMs: number): boolean {
    if (!this.last) {
      this.reset(s, nowMs);
      return false;
    }
    if (FIELDS.some((f) => s[f] < this.last![f])) {
      this.reset(s, nowMs);
      return false;
    }
    const elapsed = nowMs - this.lastAt;
    if (elapsed < this.period) return false;
    const periods = Math.min(MAX_CATCH_UP, Math.floor(elapsed / this.period));
    const el = BigInt(Math.round(elapsed));
    const per = BigInt(this.period);
    for (const f of FIELDS) {
      // delta over `elapsed`, brought to one period: exact when elapsed == period.
      const d = el === per ? s[f] - this.last[f] : ((s[f] - this.last[f]) * per) / el;
      const rate = d << SHIFT[f];
      if (this.warm && this.steps === 0) {
        this.avg[f] = rate;
      } else {
        for (let k = 0; k < periods; k++) this.avg[f] += (rate - this.avg[f]) >> 2n;
      }
    }
    this.steps += periods;
    this.last = { ...s };
    this.lastAt = nowMs;
    return true;
  }

  /** ip_vs_zero_estimator(): counters as they are now become the base; averages 0. */
  reset(s: Stats, nowMs: number): void {
    this.last = { ...s };
    this.lastAt = nowMs;
    for (const f of FIELDS) this.avg[f] = 0n;
    this.steps = 0;
  }

  /** ip_vs_read_estimator(): whole numbers per second, rounded as the kernel does. */
  rates(): Rates {
    const out = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
    for (const f of FIELDS) {
      const half = (1n << (SCALE[f] - 1n)) - 1n; // 0x1FF for 2^10, 0xF for 2^5
      const v = (this.avg[f] + half) >> SCALE[f];
      out[RATE_OF[f]] = Number(v < 0n ? 0n : v);
    }
    return out;
  }

  /** The same averages without rounding to whole numbers (for graphs). */
  ratesExact(): Rates {
    const out = { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
    for (const f of FIELDS) out[RATE_OF[f]] = Math.max(0, Number(this.avg[f]) / Number(1n << SCALE[f]));
    return out;
  }

  /** The scaled averages themselves (what the kernel stores in struct ip_vs_estimator). */
  raw(): Readonly<Record<Field, bigint>> {
    return { ...this.avg };
  }

  /** Estimation steps taken since the last reset. */
  get stepCount(): number {
    return this.steps;
  }
}

/** One estimator per key (service, real, ...); keys not sampled in a round are dropped. */
export class EstimatorSet<K extends string = string> {
  private readonly map = new Map<K, RateEstimator>();
  private seen = new Set<K>();

  constructor(private readonly opts: EstimatorOptions = {}) {}

  sample(key: K, s: Stats, nowMs: number): RateEstimator {
    let e = this.map.get(key);
    if (!e) {
      e = new RateEstimator(this.opts);
      this.map.set(key, e);
    }
    e.sample(s, nowMs);
    this.seen.add(key);
    return e;
  }

  get(key: K): RateEstimator | undefined {
    return this.map.get(key);
  }

  /** Forgets estimators whose key was not sampled since the previous prune. */
  prune(): void {
    for (const k of this.map.keys()) if (!this.seen.has(k)) this.map.delete(k);
    this.seen = new Set();
  }

  get size(): number {
    return this.map.size;
  }
}
