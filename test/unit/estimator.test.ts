// The IPVS rate estimator (ip_vs_est.c) against hand computations and a steady rate.
import { describe, expect, test } from '@jest/globals';
import { EST_PERIOD_MS, EstimatorSet, RateEstimator } from '../../src/agent/estimator.js';
import type { Stats } from '../../src/model/types.js';

function st(conns: number, inPkts = 0, inBytes = 0, outPkts = 0, outBytes = 0): Stats {
  return { conns: BigInt(conns), inPkts: BigInt(inPkts), outPkts: BigInt(outPkts), inBytes: BigInt(inBytes), outBytes: BigInt(outBytes) };
}

describe('RateEstimator (kernel arithmetic)', () => {
  test('first steps match a hand computation of ip_vs_est.c', () => {
    const e = new RateEstimator();
    e.sample(st(0), 0);
    // 10 conns and 1000 bytes per 2 s:
    //   cps:   rate = 10 << 9 = 5120; avg: 0 → 1280 → 2240 → 2960
    //          read: (1280+0x1FF)>>10 = 1, (2240+511)>>10 = 2, (2960+511)>>10 = 3
    //   inbps: rate = 1000 << 4 = 16000; avg: 0 → 4000 → 7000
    //          read: (4000+0xF)>>5 = 125, (7000+15)>>5 = 219
    expect(e.sample(st(10, 20, 1000), 2000)).toBe(true);
    expect(e.raw().conns).toBe(1280n);
    expect(e.raw().inBytes).toBe(4000n);
    expect(e.rates()).toEqual({ cps: 1, inpps: 2, outpps: 0, inbps: 125, outbps: 0 });
    e.sample(st(20, 40, 2000), 4000);
    expect(e.raw().conns).toBe(2240n);
    expect(e.raw().inBytes).toBe(7000n);
    expect(e.rates().cps).toBe(2);
    expect(e.rates().inbps).toBe(219);
    e.sample(st(30, 60, 3000), 6000);
    expect(e.raw().conns).toBe(2960n);
    expect(e.rates().cps).toBe(3);
  });

  test('a constant rate converges to that rate', () => {
    const e = new RateEstimator();
    let t = 0;
    e.sample(st(0), t);
    for (let i = 1; i <= 60; i++) {
      t += EST_PERIOD_MS;
      // 7 conns/s, 1,000 packets/s, 1.5 MB/s in; 300 packets/s, 40 kB/s out
      e.sample(st(14 * i, 2000 * i, 3_000_000 * i, 600 * i, 80_000 * i), t);
    }
    expect(e.rates()).toEqual({ cps: 7, inpps: 1000, outpps: 300, inbps: 1_500_000, outbps: 40_000 });
    // the fixed-point average settles up to 3 units (of 2^-10) below: (rate - avg) >> 2 is 0 there
    expect(e.ratesExact().cps).toBeCloseTo(7, 2);
  });

  test('samples closer than 2 s do not step; a late sample is scaled to 2 s', () => {
    const e = new RateEstimator();
    e.sample(st(0), 0);
    expect(e.sample(st(5), 1000)).toBe(false);
    expect(e.raw().conns).toBe(0n);
    // 40 conns over 4 s = 20 per 2 s; two missed periods → two steps at rate 20<<9
    expect(e.sample(st(40), 4000)).toBe(true);
    const r = 20n << 9n;
    let avg = 0n;
    avg += (r - avg) >> 2n;
    avg += (r - avg) >> 2n;
    expect(e.raw().conns).toBe(avg);
    expect(e.stepCount).toBe(2);
  });

  test('the average falls back towards 0 when traffic stops (arithmetic shift of negatives)', () => {
    const e = new RateEstimator();
    e.sample(st(0), 0);
    e.sample(st(100), 2000); // avg = (100<<9)>>2 = 12800
    e.sample(st(100), 4000); // avg += (0 - 12800) >> 2 = -3200
    expect(e.raw().conns).toBe(9600n);
    for (let i = 3; i < 80; i++) e.sample(st(100), i * 2000);
    expect(e.rates().cps).toBe(0);
  });

  test('a counter going backwards (-Z) resets like ip_vs_zero_estimator', () => {
    const e = new RateEstimator();
    e.sample(st(0), 0);
    e.sample(st(1000), 2000);
    expect(e.rates().cps).toBeGreaterThan(0);
    expect(e.sample(st(3), 4000)).toBe(false);
    expect(e.rates().cps).toBe(0);
    e.sample(st(13), 6000); // 10 per 2 s from the new base
    expect(e.raw().conns).toBe(1280n);
  });

  test('warm start takes the first measured rate as the average', () => {
    const e = new RateEstimator({ warmStart: true });
    e.sample(st(0), 0);
    e.sample(st(10), 2000);
    expect(e.rates().cps).toBe(5);
    e.sample(st(20), 4000);
    expect(e.rates().cps).toBe(5);
  });
});

describe('EstimatorSet', () => {
  test('keeps one estimator per key and forgets keys no longer sampled', () => {
    const set = new EstimatorSet();
    set.sample('a', st(0), 0);
    set.sample('b', st(0), 0);
    set.prune();
    set.sample('a', st(10), 2000);
    set.prune();
    expect(set.size).toBe(1);
    expect(set.get('a')!.rates().cps).toBe(1);
    expect(set.get('b')).toBeUndefined();
  });
});
