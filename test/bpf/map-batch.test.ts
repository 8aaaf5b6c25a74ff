// Batch map operations (BpfMap.lookupRange / entries / updateMany / deleteMany)
// against the one-key-at-a-time calls they replace, on maps of our own.
import { afterAll, describe, expect, it } from '@jest/globals';
import { BATCH_ENTRIES, BpfMap, createMap, possibleCpus, u32Key } from '../../src/bpf/map.js';

const HASH = 1;
const ARRAY = 2;
const PERCPU_ARRAY = 6;

const opened: BpfMap[] = [];
function make(type: number, name: string, ks: number, vs: number, n: number): BpfMap {
  const m = createMap(type, name, ks, vs, n);
  opened.push(m);
  return m;
}
afterAll(() => opened.forEach((m) => m.close()));

function valueOf(m: BpfMap, i: number): Buffer {
  const v = Buffer.alloc(m.valueBytes);
  for (let off = 0; off + 4 <= v.length; off += 4) v.writeUInt32LE((i * 7919 + off) >>> 0, off);
  return v;
}

describe('batch map operations', () => {
  it('array: updateMany then lookupRange equal the per-slot lookups, across batch boundaries', () => {
    const n = BATCH_ENTRIES * 2 + 17;
    const m = make(ARRAY, 'tb_arr', 4, 12, n + 5);
    const keys = Buffer.concat(Array.from({ length: n }, (_, i) => u32Key(i)));
    const values = Buffer.concat(Array.from({ length: n }, (_, i) => valueOf(m, i)));
    m.updateMany(keys, values, n);
    for (const i of [0, 1, BATCH_ENTRIES - 1, BATCH_ENTRIES, n - 1]) expect(m.lookup(u32Key(i))).toEqual(valueOf(m, i));
    // the whole range, a range starting inside, and a range running past the end
    expect(m.lookupRange(0, n)).toEqual(values);
    expect(m.lookupRange(5, 3)).toEqual(values.subarray(5 * 12, 8 * 12));
    const tail = m.lookupRange(n - 2, 100);
    expect(tail.length).toBe(7 * 12);
    expect(tail.subarray(0, 24)).toEqual(values.subarray((n - 2) * 12));
    expect(tail.subarray(24)).toEqual(Buffer.alloc(5 * 12));
    // into: read into the caller's buffer (a view of it comes back); too small: a new one
    const into = Buffer.alloc(10 * 12, 0xee);
    const view = m.lookupRange(5, 3, into);
    expect(view.buffer).toBe(into.buffer);
    expect(view).toEqual(values.subarray(5 * 12, 8 * 12));
    expect(into.subarray(3 * 12)).toEqual(Buffer.alloc(7 * 12, 0xee));
    expect(m.lookupRange(0, 20, into).buffer).not.toBe(into.buffer);
  });

  it('per-CPU array: one slot per possible CPU, 8-byte aligned', () => {
    const m = make(PERCPU_ARRAY, 'tb_pcpu', 4, 12, 100);
    expect(m.valueBytes).toBe(16 * possibleCpus());
    const keys = Buffer.concat([u32Key(3), u32Key(50)]);
    const values = Buffer.concat([valueOf(m, 3), valueOf(m, 50)]);
    m.updateMany(keys, values, 2);
    const got = m.lookupRange(3, 48);
    expect(got.subarray(0, m.valueBytes)).toEqual(m.lookup(u32Key(3)));
    expect(got.subarray(47 * m.valueBytes)).toEqual(m.lookup(u32Key(50)));
    expect(m.lookup(u32Key(50))!.subarray(0, 12)).toEqual(valueOf(m, 50).subarray(0, 12));
  });

  it('hash: entries() yields every entry once; deleteMany removes them; a bad key is refused', () => {
    const n = BATCH_ENTRIES + 300;
    const m = make(HASH, 'tb_hash', 8, 8, n * 2);
    const keys = Buffer.alloc(8 * n);
    const values = Buffer.alloc(8 * n);
    for (let i = 0; i < n; i++) {
      keys.writeBigUInt64LE(BigInt(i) * 1000003n, i * 8);
      values.writeBigUInt64LE(BigInt(i), i * 8);
    }
    m.updateMany(keys, values, n);
    const seen = new Map<bigint, bigint>();
    for (const b of m.entries()) {
      for (let i = 0; i < b.count; i++) seen.set(b.keys.readBigUInt64LE(i * 8), b.values.readBigUInt64LE(i * 8));
    }
    expect(seen.size).toBe(n);
    for (let i = 0; i < n; i += 97) expect(seen.get(BigInt(i) * 1000003n)).toBe(BigInt(i));
    m.deleteMany(keys, n - 1);
    expect([...m.entries()].reduce((s, b) => s + b.count, 0)).toBe(1);
    expect(() => m.deleteMany(keys, 1)).toThrow(/batch delete from tb_hash: No such file/);
    const full = make(HASH, 'tb_full', 8, 8, 2);
    expect(() => full.updateMany(keys, values, 3)).toThrow(/batch update of tb_full: Argument list too long/);
  });
});
