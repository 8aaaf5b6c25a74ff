// IPVS's rate estimator (estimator.ts has the maths and the kernel's reasons) for many
// subjects at once, one row each, in typed arrays of plain numbers. The agent steps
// ~17,000 estimators every 2 s; RateEstimator's BigInt arithmetic allocates a value
// per field per operation, which with the GC behind it cost more than the reading.
// The tests hold this table step for step equal to RateEstimator.
//
// Exactness without BigInt:
// - counters are u64 given as two u32 halves (src/bpf/counters.ts); "went backwards"
//   compares the halves, and the delta (new - last) is formed from them, exact while it
//   is below 2^53; a larger delta, or a late sample whose scaling would pass 2^53, is
//   computed in BigInt (never in practice: it takes 9 PB in one period);
// - averages and rates are integers held in doubles: exact while below 2^53, i.e. while
//   a period's delta is below 2^44 packets (8.8e12 per second) or 2^49 bytes (2.8e14 B/s),
//   orders of magnitude above what one host forwards. `>> 2` of the signed difference
//   is Math.floor(x / 4) (a division by 4 is exact in binary floating point).
import { EST_PERIOD_MS, MAX_CATCH_UP } from './estimator.js';

/** Fields per row, in lb_counters order: conns, inpkts, outpkts, inbytes, outbytes. */
export const EST_FIELDS = 5;
/** d << 9 for counts, d << 4 for bytes (estimator.ts), as multiplications. */
const MUL = [512, 512, 512, 16, 16];
/** Reading: (avg + 0x1FF) >> 10 for counts, (avg + 0xF) >> 5 for bytes. */
const HALF = [0x1ff, 0x1ff, 0x1ff, 0xf, 0xf];
const DIV = [1024, 1024, 1024, 32, 32];
const TWO32 = 4294967296;

const HAS_LAST = 1;
const WARM = 2;

export class EstimatorTable {
  private readonly lastLo: Uint32Array;
  private readonly lastHi: Uint32Array;
  private readonly avg: Float64Array;
  private readonly lastAt: Float64Array;
  private readonly stepCount: Float64Array;
  private readonly flags: Uint8Array;

  constructor(readonly rows: number, private readonly period = EST_PERIOD_MS) {
    this.lastLo = new Uint32Array(rows * EST_FIELDS);
    this.lastHi = new Uint32Array(rows * EST_FIELDS);
    this.avg = new Float64Array(rows * EST_FIELDS);
    this.lastAt = new Float64Array(rows);
    this.stepCount = new Float64Array(rows);
    this.flags = new Uint8Array(rows);
  }

  /** A new estimator in row r (ip_vs_start_estimator); warm: the first step takes the measured rate. */
  start(r: number, warm: boolean): void {
    this.flags[r] = warm ? WARM : 0;
    this.stepCount[r] = 0;
    this.avg.fill(0, r * EST_FIELDS, (r + 1) * EST_FIELDS);
  }

  /**
   * RateEstimator.sample for row r: counters (u64 halves lo/hi at off..off+4) read at
   * nowMs. Returns true when an estimation step was taken.
   */
  sample(r: number, lo: Uint32Array, hi: Uint32Array, off: number, nowMs: number): boolean {
    const b = r * EST_FIELDS;
    if (!(this.flags[r]! & HAS_LAST)) return this.reset(r, lo, hi, off, nowMs);
    for (let f = 0; f < EST_FIELDS; f++) {
      const h = hi[off + f]!;
      const lh = this.lastHi[b + f]!;
      if (h < lh || (h === lh && lo[off + f]! < this.lastLo[b + f]!)) return this.reset(r, lo, hi, off, nowMs);
    }
    const elapsed = nowMs - this.lastAt[r]!;
    if (elapsed < this.period) return false;
    const periods = Math.min(MAX_CATCH_UP, Math.floor(elapsed / this.period));
    const el = Math.round(elapsed);
    const warmFirst = (this.flags[r]! & WARM) !== 0 && this.stepCount[r] === 0;
    for (let f = 0; f < EST_FIELDS; f++) {
      const nl = lo[off + f]!;
      const nh = hi[off + f]!;
      let d = (nh - this.lastHi[b + f]!) * TWO32 + (nl - this.lastLo[b + f]!);
      if (d > Number.MAX_SAFE_INTEGER || (el !== this.period && d * this.period > Number.MAX_SAFE_INTEGER)) {
        d = this.bigDelta(nl, nh, this.lastLo[b + f]!, this.lastHi[b + f]!, el);
      } else if (el !== this.period) {
        d = Math.floor((d * this.period) / el); // delta over `elapsed`, brought to one period
      }
      const rate = d * MUL[f]!;
      if (warmFirst) {
        this.avg[b + f] = rate;
      } else {
        let a = this.avg[b + f]!;
        for (let k = 0; k < periods; k++) a += Math.floor((rate - a) / 4);
        this.avg[b + f] = a;
      }
      this.lastLo[b + f] = nl;
      this.lastHi[b + f] = nh;
    }
    this.stepCount[r] = this.stepCount[r]! + periods;
    this.lastAt[r] = nowMs;
    return true;
  }

  /** Estimation steps of row r since its last reset. */
  steps(r: number): number {
    return this.stepCount[r]!;
  }

  /** ip_vs_read_estimator() of field f of row r: whole units per second, rounded as the kernel. */
  rate(r: number, f: number): number {
    const v = Math.floor((this.avg[r * EST_FIELDS + f]! + HALF[f]!) / DIV[f]!);
    return v < 0 ? 0 : v;
  }

  /** ip_vs_zero_estimator(): the counters as they are become the base, averages 0. */
  private reset(r: number, lo: Uint32Array, hi: Uint32Array, off: number, nowMs: number): false {
    const b = r * EST_FIELDS;
    for (let f = 0; f < EST_FIELDS; f++) {
      this.lastLo[b + f] = lo[off + f]!;
      this.lastHi[b + f] = hi[off + f]!;
      this.avg[b + f] = 0;
    }
    this.lastAt[r] = nowMs;
    this.stepCount[r] = 0;
    this.flags[r] = this.flags[r]! | HAS_LAST;
    return false;
  }

  /** The scaled delta in BigInt, for deltas too large for exact doubles. */
  private bigDelta(nl: number, nh: number, ll: number, lh: number, el: number): number {
    const d = ((BigInt(nh) << 32n) | BigInt(nl)) - ((BigInt(lh) << 32n) | BigInt(ll));
    return Number(el === this.period ? d : (d * BigInt(this.period)) / BigInt(el));
  }
}
