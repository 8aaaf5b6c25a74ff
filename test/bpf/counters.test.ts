// The bulk per-CPU counter reader (src/bpf/counters.ts; state.ts readCounters uses it
// too) against a reference written here the plain way (one lookup per id, BigInt sums
// of every CPU's slot), on per-CPU maps of our own in the kernel: every id equal,
// across batch boundaries, with values that carry from the low u32 halves into the
// high ones.
import { afterAll, describe, expect, it } from '@jest/globals';
import { BATCH_ENTRIES, BpfMap, createMap, possibleCpus, u32Key } from '../../src/bpf/map.js';
import { CounterMapError, CounterSums, readCounterSums } from '../../src/bpf/counters.js';
import { lb_counters } from '../../src/bpf/generated/layout.js';
import type { Stats } from '../../src/model/types.js';

/** The reference: one lookup, each CPU's u64 fields added as BigInt. */
function readCounters(m: BpfMap, id: number): Stats {
  const v = m.lookup(u32Key(id))!;
  const F = lb_counters.fields;
  const s: Stats = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };
  const wrap = (x: bigint) => x & 0xffffffffffffffffn;
  for (const slot of m.slots(v)) {
    s.conns = wrap(s.conns + slot.readBigUInt64LE(F.conns.offset));
    s.inPkts = wrap(s.inPkts + slot.readBigUInt64LE(F.inpkts.offset));
    s.outPkts = wrap(s.outPkts + slot.readBigUInt64LE(F.outpkts.offset));
    s.inBytes = wrap(s.inBytes + slot.readBigUInt64LE(F.inbytes.offset));
    s.outBytes = wrap(s.outBytes + slot.readBigUInt64LE(F.outbytes.offset));
  }
  return s;
}

const PERCPU_ARRAY = 6;
const ARRAY = 2;

const opened: BpfMap[] = [];
function make(type: number, name: string, vs: number, n: number): BpfMap {
  const m = createMap(type, name, 4, vs, n);
  opened.push(m);
  return m;
}
afterAll(() => opened.forEach((m) => m.close()));

/** Deterministic per-CPU values; some near the top of what a CPU's share of 2^64 allows. */
function fill(m: BpfMap, n: number): void {
  const cpus = possibleCpus();
  const cap = (1n << 64n) / BigInt(cpus) - 1n; // the sum over CPUs stays below 2^64
  const keys = Buffer.alloc(4 * n);
  const values = Buffer.alloc(m.valueBytes * n);
  let x = 0x9e3779b97f4a7c15n;
  const next = (): bigint => {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return x;
  };
  for (let i = 0; i < n; i++) {
    keys.writeUInt32LE(i, i * 4);
    for (let c = 0; c < cpus; c++) {
      for (let f = 0; f < 5; f++) {
        const r = next();
        // small counts, values just under 2^32 (carries), and huge byte counters
        const v = i % 3 === 0 ? r % 1000n : i % 3 === 1 ? 0xffffffffn - (r % 7n) : r % cap;
        values.writeBigUInt64LE(v, i * m.valueBytes + c * m.slotBytes + f * 8);
      }
    }
  }
  m.updateMany(keys, values, n);
}

describe('readCounterSums', () => {
  it('equals readCounters for every id, across batch boundaries and from inside the map', () => {
    const n = BATCH_ENTRIES + 300;
    const m = make(PERCPU_ARRAY, 'tc_counters', lb_counters.size, n);
    fill(m, n);
    const all = readCounterSums(m, 0, n);
    expect(all.count).toBe(n);
    for (let id = 0; id < n; id++) expect(all.stats(id)).toEqual(readCounters(m, id));
    const part = readCounterSums(m, BATCH_ENTRIES - 5, 20);
    for (let id = BATCH_ENTRIES - 5; id < BATCH_ENTRIES + 15; id++) expect(part.stats(id)).toEqual(readCounters(m, id));
  });

  it('reuses the sums of the same range; a range past the end is cut at the end', () => {
    const m = make(PERCPU_ARRAY, 'tc_reuse', lb_counters.size, 50);
    fill(m, 50);
    const a = readCounterSums(m, 10, 20);
    expect(readCounterSums(m, 10, 20, a)).toBe(a);
    expect(readCounterSums(m, 11, 20, a)).not.toBe(a);
    const tail = readCounterSums(m, 45, 100);
    expect(tail.count).toBe(5);
    expect(tail.stats(49)).toEqual(readCounters(m, 49));
    m.update(u32Key(12), Buffer.alloc(m.valueBytes)); // zeroed (ipvsadm -Z)
    expect(readCounterSums(m, 10, 20, a).stats(12)).toEqual({ conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n });
  });

  it('refuses a map that does not hold per-CPU lb_counters', () => {
    expect(() => readCounterSums(make(ARRAY, 'tc_plain', lb_counters.size, 4), 0, 4)).toThrow(CounterMapError);
    expect(() => readCounterSums(make(PERCPU_ARRAY, 'tc_small', 8, 4), 0, 4)).toThrow(CounterMapError);
  });

  it('sums by hand: halves as built', () => {
    const s = new CounterSums(3, 1);
    s.lo.set([1, 2, 3, 4, 5]);
    s.hi.set([0, 0, 0, 1, 0xffffffff]);
    expect(s.stats(3)).toEqual({ conns: 1n, inPkts: 2n, outPkts: 3n, inBytes: (1n << 32n) + 4n, outBytes: (0xffffffffn << 32n) + 5n });
  });
});
