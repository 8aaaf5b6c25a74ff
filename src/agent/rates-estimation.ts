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
/** Offsets of the rates in the record, in EST_FIELDS order. */
const RATE_OFF = [F.cps.offset, F.inpps.offset, F.outpps.offset, F.inbps.offset, F.outbps.offset];
/** The five rates lie together at the start of the record (cps .. outbps, lb_shared.h). */
const RATES_START = F.cps.offset;
const RATES_END = F.outbps.offset + 8;
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
  private readonly carried = new Map<number, Buffer>();
  private prev = new Uint32Array(0);
  private prevCount = 0;
  private firstRound = true;
  private keys: Buffer = Buffer.alloc(0);
  private records: Buffer = Buffer.alloc(0);

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
      const stored = this.store.load(first, frame.index[e - 1]! - first + 1);
      for (let j = k; j < e; j++) {
        this.step(frame, j, stored, (frame.index[j]! - first) * REC, nowMs, nowNs, out++);
        this.seen[frame.index[j]!] = round;
      }
      k = e;
    }
    for (let p = 0; p < this.prevCount; p++) {
      const i = this.prev[p]!;
      if (this.seen[i] === round) continue;
      this.tracked[i] = 0; // gone: its entry is cleared
      this.carried.delete(i);
      this.keys.writeUInt32LE(i, out * 4);
      this.records.fill(0, out * REC, (out + 1) * REC);
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
  private step(frame: RateFrame, j: number, stored: Buffer, at: number, nowMs: number, nowNs: bigint, out: number): void {
    const i = frame.index[j]!;
    const own = frame.owner[j]!;
    const sOwner = stored.readUInt32LE(at + F.owner_seq.offset);
    const sSamples = stored.readUInt32LE(at + F.samples.offset);
    const sLo = stored.readUInt32LE(at + F.updated_ns.offset);
    const sHi = stored.readUInt32LE(at + F.updated_ns.offset + 4);
    if (this.tracked[i] && (this.owner[i] !== own || sLo !== this.wroteLo || sHi !== this.wroteHi)) {
      this.tracked[i] = 0; // another object on this id, or zeroed by `-Z`: start afresh
    }
    if (!this.tracked[i]) {
      // Only the agent's first round takes over a previous agent's fresh entries.
      const carry = this.firstRound && sOwner === own && sSamples > 0 && isFresh(stored.readBigUInt64LE(at + F.updated_ns.offset), nowNs);
      if (carry) this.carried.set(i, Buffer.from(stored.subarray(at + RATES_START, at + RATES_END)));
      else this.carried.delete(i);
      this.table.start(i, carry);
      this.owner[i] = own;
      this.tracked[i] = 1;
    }
    this.table.sample(i, frame.lo, frame.hi, j * EST_FIELDS, nowMs);
    const steps = this.table.steps(i);
    if (steps > 0) this.carried.delete(i);
    const rec = out * REC;
    this.keys.writeUInt32LE(i, out * 4);
    const carried = this.carried.get(i);
    if (steps > 0) {
      for (let f = 0; f < EST_FIELDS; f++) writeU64(this.records, rec + RATE_OFF[f]!, this.table.rate(i, f));
    } else if (carried) {
      carried.copy(this.records, rec + RATES_START);
    } else {
      this.records.fill(0, rec + RATES_START, rec + RATES_END);
    }
    this.records.writeUInt32LE(this.stampLo, rec + F.updated_ns.offset);
    this.records.writeUInt32LE(this.stampHi, rec + F.updated_ns.offset + 4);
    this.records.writeUInt32LE(own, rec + F.owner_seq.offset);
    this.records.writeUInt32LE(steps > 0 ? Math.min(steps, 0xffffffff) : carried ? sSamples : 0, rec + F.samples.offset);
  }

  private reserve(n: number): void {
    if (this.keys.length >= n * 4) return;
    this.keys = Buffer.alloc(n * 4);
    this.records = Buffer.alloc(n * REC);
  }
}

function isFresh(updatedNs: bigint, nowNs: bigint): boolean {
  return updatedNs !== 0n && nowNs - updatedNs < STALE_NS;
}

/** A rate (a whole number below 2^53) as a little-endian u64. */
function writeU64(buf: Buffer, off: number, v: number): void {
  buf.writeUInt32LE(v % TWO32, off);
  buf.writeUInt32LE(Math.floor(v / TWO32), off + 4);
}
