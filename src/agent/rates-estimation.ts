// The estimators of every subject (service, real, total), fed one round of counters
// per call, and the lb_rates records they produce. Pure apart from the store; time is
// passed in (monotonic ns), so tests control it.
//
// Things IPVS does that a sampler in another process must reproduce:
// - a new service or real starts from 0 (ip_vs_start_estimator); an entry is owned
//   (owner_seq) so a reused id never inherits another destination's rates;
// - `-Z` zeroes the estimator (ip_vs_zero_estimator): the CLI clears the entries
//   (zeroRates), the round sees an entry it did not write and restarts that estimator
//   from the counters as they are; a counter going backwards does the same;
// - an agent restart resumes: an entry still fresh and owned by the same object is
//   taken over with a warm start (the first step sets the average to the measured
//   rate), so rates do not fall to 0 and ramp up again.
//
// A round is ~17,000 subjects every 2 s, so it works on packed data: subjects and
// counters in typed arrays (RateFrame), lb_rates read by ranges and written in one
// batch, one estimator row per lb_rates index (EstimatorTable), nothing allocated
// per subject.
import { wordsOf } from '../bpf/counters.js';
import { lb_rate } from '../bpf/generated/layout.js';
import { EST_FIELDS, EstimatorTable } from './estimator-table.js';
import { RATES_ENTRIES, RATES_PERIOD_MS, RATES_STALE_MS } from './rate-entries.js';

/** One round's subjects in ascending index order, with their counters (u64 halves, EST_FIELDS each). */
export interface RateFrame {
  count: number;
  index: Uint32Array;
  owner: Uint32Array;
  lo: Uint32Array;
  hi: Uint32Array;
}

/** Where a round reads and writes lb_rate records (the lb_rates map, or memory in tests). */
export interface RateStore {
  /** Records of indices first..first+n-1, packed (lb_rate.size each). */
  load(first: number, n: number): Buffer;
  /** Writes n packed records at n packed u32 indices. */
  save(indices: Buffer, records: Buffer, n: number): void;
}

export class FrameOrderError extends Error {}

const REC = lb_rate.size;
const F = lb_rate.fields;
/** The record in u32 words (every field is 4-byte aligned; u64s are lo, hi). */
const W = REC / 4;
const W_UPDATED = F.updated_ns.offset / 4;
const W_OWNER = F.owner_seq.offset / 4;
const W_SAMPLES = F.samples.offset / 4;
/** Words of the rates in EST_FIELDS order; they lie together from cps to outbps (lb_shared.h). */
const W_RATE = [F.cps.offset / 4, F.inpps.offset / 4, F.outpps.offset / 4, F.inbps.offset / 4, F.outbps.offset / 4];
const W_RATES_START = F.cps.offset / 4;
const W_RATES_END = F.outbps.offset / 4 + 2;
const TWO32 = 4294967296;
/** Indices closer than this are loaded in one range (a few hundred bytes of slack beat a syscall). */
const SPAN_GAP = 64;
const STALE_NS = BigInt(RATES_STALE_MS) * 1_000_000n;

export class RatesEstimation {
  private readonly table: EstimatorTable;
  /** Rows with a running estimator (subjects of the last round) and their owners. */
  private readonly tracked = new Uint8Array(RATES_ENTRIES);
  private readonly owner = new Uint32Array(RATES_ENTRIES);
  /** Round number in which each row was last a subject (to find the ones gone). */
  private readonly seen = new Uint32Array(RATES_ENTRIES);
  private roundNo = 0;
  /** updated_ns of the last round's write: another value in an entry means the CLI zeroed it (-Z). */
  private wroteLo = 0;
  private wroteHi = 0;
  /** updated_ns of this round's records. */
  private stampLo = 0;
  private stampHi = 0;
  /** Rates taken over from a previous agent (record bytes), rewritten until our first step. */
  private readonly carried = new Map<number, Uint32Array>();
  private prev = new Uint32Array(0);
  private prevCount = 0;
  private firstRound = true;
  private keys: Buffer = Buffer.alloc(0);
  private records: Buffer = Buffer.alloc(0);
  private keyWords: Uint32Array = new Uint32Array(0);
  private recWords: Uint32Array = new Uint32Array(0);

  constructor(private store: RateStore, periodMs = RATES_PERIOD_MS) {
    this.table = new EstimatorTable(RATES_ENTRIES, periodMs);
  }

  /** The store of this round (the loop opens the map afresh each time). */
  setStore(store: RateStore): void {
    this.store = store;
  }

  /** Samples every subject at nowNs and writes its entry; clears entries of subjects gone. */
  round(frame: RateFrame, nowNs: bigint): void {
    const n = frame.count;
    const nowMs = Number(nowNs / 1_000_000n);
    this.stampLo = Number(nowNs & 0xffffffffn);
    this.stampHi = Number((nowNs >> 32n) & 0xffffffffn);
    const round = ++this.roundNo;
    this.reserve(n + this.prevCount);
    let out = 0;
    for (let k = 0; k < n; ) {
      let e = k + 1;
      for (; e < n && frame.index[e]! - frame.index[e - 1]! <= SPAN_GAP; e++) {
        if (frame.index[e]! <= frame.index[e - 1]!) throw new FrameOrderError(`rate subjects out of order at index ${frame.index[e]}`);
      }
      const first = frame.index[k]!;
      const stored = wordsOf(this.store.load(first, frame.index[e - 1]! - first + 1));
      for (let j = k; j < e; j++) {
        this.step(frame, j, stored, (frame.index[j]! - first) * W, nowMs, nowNs, out++);
        this.seen[frame.index[j]!] = round;
      }
      k = e;
    }
    for (let p = 0; p < this.prevCount; p++) {
      const i = this.prev[p]!;
      if (this.seen[i] === round) continue;
      this.tracked[i] = 0; // gone: its entry is cleared
      this.carried.delete(i);
      this.keyWords[out] = i;
      this.recWords.fill(0, out * W, (out + 1) * W);
      out++;
    }
    try {
      this.store.save(this.keys, this.records, out);
    } catch (e) {
      this.tracked.fill(0); // whatever was written, the next round starts every estimator afresh
      throw e;
    } finally {
      if (this.prev.length < n) this.prev = new Uint32Array(frame.index.length);
      this.prev.set(frame.index.subarray(0, n));
      this.prevCount = n;
    }
    this.wroteLo = this.stampLo;
    this.wroteHi = this.stampHi;
    this.firstRound = false;
  }

  /** One subject: restart its estimator if needed, sample it, fill its record (out-th of this round). */
  private step(frame: RateFrame, j: number, stored: Uint32Array, at: number, nowMs: number, nowNs: bigint, out: number): void {
    const i = frame.index[j]!;
    const own = frame.owner[j]!;
    const sSamples = stored[at + W_SAMPLES]!;
    if (this.tracked[i] && (this.owner[i] !== own || stored[at + W_UPDATED] !== this.wroteLo || stored[at + W_UPDATED + 1] !== this.wroteHi)) {
      this.tracked[i] = 0; // another object on this id, or zeroed by `-Z`: start afresh
    }
    if (!this.tracked[i]) {
      // Only the agent's first round takes over a previous agent's fresh entries.
      const updatedNs = (BigInt(stored[at + W_UPDATED + 1]!) << 32n) | BigInt(stored[at + W_UPDATED]!);
      const carry = this.firstRound && stored[at + W_OWNER] === own && sSamples > 0 && isFresh(updatedNs, nowNs);
      if (carry) this.carried.set(i, stored.slice(at + W_RATES_START, at + W_RATES_END));
      else if (this.carried.size) this.carried.delete(i);
      this.table.start(i, carry);
      this.owner[i] = own;
      this.tracked[i] = 1;
    }
    this.table.sample(i, frame.lo, frame.hi, j * EST_FIELDS, nowMs);
    const steps = this.table.steps(i);
    // (the map is empty but for an agent's first rounds: skip its lookups then)
    if (steps > 0 && this.carried.size) this.carried.delete(i);
    const rec = out * W;
    const r = this.recWords;
    this.keyWords[out] = i;
    const carried = this.carried.size ? this.carried.get(i) : undefined;
    if (steps > 0) {
      for (let f = 0; f < EST_FIELDS; f++) {
        const v = this.table.rate(i, f); // a whole number below 2^53, as a u64
        r[rec + W_RATE[f]!] = v; // stored mod 2^32: the low half
        r[rec + W_RATE[f]! + 1] = (v / TWO32) >>> 0;
      }
    } else if (carried) {
      r.set(carried, rec + W_RATES_START);
    } else {
      r.fill(0, rec + W_RATES_START, rec + W_RATES_END);
    }
    r[rec + W_UPDATED] = this.stampLo;
    r[rec + W_UPDATED + 1] = this.stampHi;
    r[rec + W_OWNER] = own;
    r[rec + W_SAMPLES] = steps > 0 ? Math.min(steps, 0xffffffff) : carried ? sSamples : 0;
  }

  private reserve(n: number): void {
    if (this.keys.length >= n * 4) return;
    this.keys = Buffer.alloc(n * 4);
    this.records = Buffer.alloc(n * REC);
    this.keyWords = wordsOf(this.keys);
    this.recWords = wordsOf(this.records);
  }
}

function isFresh(updatedNs: bigint, nowNs: bigint): boolean {
  return updatedNs !== 0n && nowNs - updatedNs < STALE_NS;
}
