// EstimatorTable (plain-number rows, src/agent/estimator-table.ts) against RateEstimator
// (BigInt, the reference) step for step: same averages read out, same steps, on
// seeded random histories with irregular timers, counters going backwards, warm
// starts, long gaps and counters far above 2^32 and 2^53.
import { describe, expect, test } from '@jest/globals';
import { RateEstimator } from '../../src/agent/estimator.js';
import { EstimatorTable } from '../../src/agent/estimator-table.js';
import type { Stats } from '../../src/model/types.js';

/** xorshift32: the same histories on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

const FIELDS = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const;

function halves(s: Stats): { lo: Uint32Array; hi: Uint32Array } {
  const lo = new Uint32Array(5);
  const hi = new Uint32Array(5);
  FIELDS.forEach((f, i) => {
    lo[i] = Number(s[f] & 0xffffffffn);
    hi[i] = Number(s[f] >> 32n);
  });
  return { lo, hi };
}

const readRates = (t: EstimatorTable, r: number) => {
  const [cps, inpps, outpps, inbps, outbps] = [0, 1, 2, 3, 4].map((f) => t.rate(r, f));
  return { cps, inpps, outpps, inbps, outbps };
};

/** Runs one history through both and compares after every sample. */
function compare(seed: number, opts: { warm: boolean; base: bigint; perPeriod: number[]; big?: boolean }): void {
  const rand = rng(seed);
  const ref = new RateEstimator({ warmStart: opts.warm });
  const table = new EstimatorTable(3);
  const row = 2;
  table.start(row, opts.warm);
  let s: Stats = { conns: opts.base, inPkts: opts.base * 3n, outPkts: opts.base, inBytes: opts.base * 1000n, outBytes: opts.base * 7n };
  let now = 1_000_000;
  for (let k = 0; k < 300; k++) {
    const r = rand();
    // irregular timers: early, on time, a little late, a long gap now and then
    now += r < 0.1 ? 700 : r < 0.7 ? 2000 : r < 0.95 ? 2000 + Math.floor(rand() * 900) : 2000 * (2 + Math.floor(rand() * 40));
    if (rand() < 0.03) {
      s = { conns: BigInt(Math.floor(rand() * 5)), inPkts: 1n, outPkts: 0n, inBytes: 60n, outBytes: 0n }; // -Z: backwards
    } else {
      const next = { ...s };
      FIELDS.forEach((f, i) => {
        const per = opts.perPeriod[i]!;
        next[f] += BigInt(Math.floor(rand() * per));
      });
      if (opts.big && rand() < 0.05) next.inBytes += 10_000_000_000_000n; // 10 TB: the scaled delta passes 2^53
      s = next;
    }
    const h = halves(s);
    const a = ref.sample(s, now);
    const b = table.sample(row, h.lo, h.hi, 0, now);
    expect(b).toBe(a);
    expect(table.steps(row)).toBe(ref.stepCount);
    expect(readRates(table, row)).toEqual(ref.rates());
  }
}

describe('EstimatorTable equals RateEstimator', () => {
  test('small rates, cold start', () => {
    compare(1, { warm: false, base: 0n, perPeriod: [20, 2000, 500, 300_000, 60_000] });
  });

  test('warm start (an agent taking over)', () => {
    compare(2, { warm: true, base: 12345n, perPeriod: [5, 50, 0, 3000, 0] });
  });

  test('counters above 2^32 and 2^53 (halves and carries), high rates', () => {
    compare(3, { warm: false, base: (1n << 56n) + 4294967290n, perPeriod: [2e6, 3e7, 3e7, 4e10, 4e10] });
  });

  test('a 100 Gbit/s service and a delta whose scaling passes 2^53', () => {
    compare(4, { warm: false, base: 1n << 40n, perPeriod: [1e6, 1e7, 1e7, 2.5e10, 2.5e10], big: true });
  });

  test('a late sample whose scaled delta passes 2^53 is scaled exactly (where doubles are off by one)', () => {
    // 37,420,655,435,144 B over 3,668 ms: × 2000 / 3668 is 20,403,847,020,252.8…; a double
    // division of the 7.5e16 product rounds it up to …253, which reads one B/s more.
    const ref = new RateEstimator();
    const t = new EstimatorTable(1);
    t.start(0, false);
    const zero: Stats = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };
    const late: Stats = { ...zero, inBytes: 37_420_655_435_144n };
    ref.sample(zero, 0);
    t.sample(0, new Uint32Array(5), new Uint32Array(5), 0, 0);
    ref.sample(late, 3668);
    const h = halves(late);
    t.sample(0, h.lo, h.hi, 0, 3668);
    expect(ref.raw().inBytes).toBe((20_403_847_020_252n << 4n) >> 2n);
    expect(readRates(t, 0)).toEqual(ref.rates());
  });

  test('rows are independent; start() forgets a row', () => {
    const t = new EstimatorTable(2);
    const z = new Uint32Array(5);
    const c = Uint32Array.from([400, 0, 0, 0, 0]);
    t.start(0, false);
    t.start(1, false);
    t.sample(0, z, z, 0, 0);
    t.sample(1, z, z, 0, 0);
    t.sample(0, c, z, 0, 2000);
    expect(t.rate(0, 0)).toBe(50); // 200/s, a quarter of the way
    expect(t.rate(1, 0)).toBe(0);
    t.start(0, false);
    expect(t.sample(0, c, z, 0, 4000)).toBe(false); // a new base, no step
    expect(t.rate(0, 0)).toBe(0);
    expect(t.steps(0)).toBe(0);
  });
});
