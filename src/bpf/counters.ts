// Bulk reads of the per-CPU lb_counters maps (lb_svc_stats, lb_real_stats): a range
// of ids with BPF_MAP_LOOKUP_BATCH (one syscall per 4,096 ids instead of one per id)
// and the CPUs' slots summed straight out of the returned bytes. The agent reads
// ~17,000 of these every 2 s; readCounters (state.ts) allocates a Buffer per id, an
// object per CPU and five BigInts per slot, which was most of its CPU.
//
// Sums are kept exact without BigInt: each u64 as two u32 halves (lo, hi). The low
// halves of all CPUs are added as plain numbers (< CPUs × 2^32, exact in a double)
// and the carry moved into the high half, so the result is the u64 sum mod 2^64, as
// the kernel's own u64 arithmetic would give.
import type { Stats } from '../model/types.js';
import { lb_counters } from './generated/layout.js';
import type { BpfMap } from './map.js';

/** Counters per id, in lb_counters order: conns, inpkts, outpkts, inbytes, outbytes. */
export const COUNTER_FIELDS = 5;
const FIELD_OFFSETS = [
  lb_counters.fields.conns.offset, lb_counters.fields.inpkts.offset, lb_counters.fields.outpkts.offset,
  lb_counters.fields.inbytes.offset, lb_counters.fields.outbytes.offset,
];
const TWO32 = 4294967296;

export class CounterMapError extends Error {}

/**
 * A map read as u32 words, without copying when it can: indexing a Uint32Array is
 * several times cheaper than Buffer.readUInt32LE's checked reads. Words are in host
 * order, which is the map's (little-endian hosts, as everywhere in src/bpf). Views
 * need 4-byte alignment; a Buffer.alloc of map-read size has its own ArrayBuffer at 0.
 */
export function wordsOf(buf: Buffer): Uint32Array {
  if (buf.length % 4 !== 0) throw new RangeError(`${buf.length} bytes are not whole u32 words`);
  return buf.byteOffset % 4 === 0
    ? new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4)
    : new Uint32Array(Uint8Array.prototype.slice.call(buf).buffer);
}

// One read buffer per map, reused by every round (the agent reads ~3 MB per round).
const scratch = new WeakMap<BpfMap, Buffer>();
function scratchFor(map: BpfMap, n: number): Buffer {
  const need = Math.min(n, map.info.maxEntries) * map.valueBytes;
  let b = scratch.get(map);
  if (!b || b.length < need) {
    b = Buffer.alloc(need);
    scratch.set(map, b);
  }
  return b;
}

/** Summed counters of ids first..first+count-1: u64 halves at [(id - first) * 5 + field]. */
export class CounterSums {
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;

  constructor(readonly first: number, readonly count: number) {
    this.lo = new Uint32Array(count * COUNTER_FIELDS);
    this.hi = new Uint32Array(count * COUNTER_FIELDS);
  }

  /** The counters of one id as IPVS's stats (allocates: for tests and occasional readers). */
  stats(id: number): Stats {
    const at = (f: number): bigint => {
      const i = (id - this.first) * COUNTER_FIELDS + f;
      return (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
    };
    return { conns: at(0), inPkts: at(1), outPkts: at(2), inBytes: at(3), outBytes: at(4) };
  }
}

/**
 * Reads ids first..first+n-1 of a per-CPU lb_counters array map and sums each over
 * the CPUs. `into` is reused when it covers exactly that range (no garbage per round).
 * Ids past the map's end are left out (count is then smaller than n).
 */
export function readCounterSums(map: BpfMap, first: number, n: number, into?: CounterSums): CounterSums {
  if (!map.percpu || map.info.valueSize !== lb_counters.size) {
    throw new CounterMapError(`${map.label} is not a per-CPU map of lb_counters (value ${map.info.valueSize} bytes)`);
  }
  const raw = map.lookupRange(first, n, scratchFor(map, n));
  const count = raw.length / map.valueBytes;
  const out = into && into.first === first && into.count === count ? into : new CounterSums(first, count);
  const cpus = map.valueBytes / map.slotBytes;
  const words = wordsOf(raw);
  const idWords = map.valueBytes / 4;
  const slotWords = map.slotBytes / 4;
  for (let id = 0; id < count; id++) {
    const base = id * idWords;
    for (let f = 0; f < COUNTER_FIELDS; f++) {
      const w = base + FIELD_OFFSETS[f]! / 4; // little-endian u64: low word first
      let lo = 0;
      let hi = 0;
      for (let c = 0; c < cpus; c++) {
        lo += words[w + c * slotWords]!;
        hi += words[w + c * slotWords + 1]!;
      }
      // A Uint32Array store keeps the value mod 2^32: the low half, and the high half
      // with the carry added (wrapping as u64 addition does).
      out.lo[id * COUNTER_FIELDS + f] = lo;
      out.hi[id * COUNTER_FIELDS + f] = hi + ((lo / TWO32) >>> 0);
    }
  }
  return out;
}
