// The agent's rate rounds (src/agent/rates-estimation.ts) against the kernel's
// estimator (ip_vs_est.c, re-derived here independently), with lb_rates held in
// memory (records as the map holds them) and a controlled clock.
import { describe, expect, test } from '@jest/globals';
import {
  entryOf, RATES_ENTRIES, RatesEstimation, realOwner, realRateIndex, RATES_TOTAL_INDEX, recordOf, svcOwner, svcRateIndex,
  type RateEntry, type RateFrame, type RateStore,
} from '../../src/agent/rates.js';
import { fillCounters, subjectListOf } from '../../src/agent/rate-subjects.js';
import { CounterSums } from '../../src/bpf/counters.js';
import { lb_rate } from '../../src/bpf/generated/layout.js';
import type { Stats } from '../../src/model/types.js';
import type { RealEntry, SvcEntry } from '../../src/plan/state.js';

const S = 1_000_000_000n; // ns per second
const REC = lb_rate.size;

/** lb_rates in memory: every index exists (an array map), entries read and set as RateEntry. */
function memStore(): RateStore & { m: { get(i: number): RateEntry; set(i: number, e: RateEntry): void } } {
  const buf = Buffer.alloc(RATES_ENTRIES * REC);
  return {
    load: (first, n) => Buffer.from(buf.subarray(first * REC, (first + n) * REC)),
    save: (indices, records, n) => {
      for (let k = 0; k < n; k++) records.copy(buf, indices.readUInt32LE(k * 4) * REC, k * REC, (k + 1) * REC);
    },
    m: {
      get: (i) => entryOf(buf.subarray(i * REC, (i + 1) * REC)),
      set: (i, e) => void recordOf(e).copy(buf, i * REC),
    },
  };
}

/** A round's frame from subjects given with IPVS stats (ascending indices). */
function frameOf(subs: Array<{ index: number; owner: number; stats: Stats }>): RateFrame {
  const lo = new Uint32Array(subs.length * 5);
  const hi = new Uint32Array(subs.length * 5);
  subs.forEach((s, k) => [s.stats.conns, s.stats.inPkts, s.stats.outPkts, s.stats.inBytes, s.stats.outBytes].forEach((v, f) => {
    lo[k * 5 + f] = Number(v & 0xffffffffn);
    hi[k * 5 + f] = Number(v >> 32n);
  }));
  return { count: subs.length, index: Uint32Array.from(subs, (s) => s.index), owner: Uint32Array.from(subs, (s) => s.owner), lo, hi };
}

/** RatesEstimation with the frame built from plain subjects. */
function estimation(store: RateStore) {
  const est = new RatesEstimation(store);
  return { round: (subs: Array<{ index: number; owner: number; stats: Stats }>, nowNs: bigint) => est.round(frameOf(subs), nowNs) };
}

/** ip_vs_estimation_kthread's per-estimator step, as the kernel does it (s64 fixed point). */
class KernelEst {
  last = [0n, 0n, 0n, 0n, 0n];
  avg = [0n, 0n, 0n, 0n, 0n];
  constructor(first: bigint[]) { this.last = [...first]; }
  step(now: bigint[]): void {
    const shift = [9n, 9n, 9n, 4n, 4n];
    now.forEach((n, i) => {
      const rate = (n - this.last[i]!) << shift[i]!;
      this.last[i] = n;
      this.avg[i]! += (rate - this.avg[i]!) >> 2n;
    });
  }
  read(): number[] {
    const scale = [10n, 10n, 10n, 5n, 5n];
    return this.avg.map((a, i) => Number((a + ((1n << (scale[i]! - 1n)) - 1n)) >> scale[i]!));
  }
}

const stats = (c: bigint, ip: bigint, op: bigint, ib: bigint, ob: bigint): Stats => ({ conns: c, inPkts: ip, outPkts: op, inBytes: ib, outBytes: ob });
const arr = (s: Stats): bigint[] => [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes];
const asArr = (e: RateEntry): number[] => [e.rates.cps, e.rates.inpps, e.rates.outpps, e.rates.inbps, e.rates.outbps];

describe('rates rounds follow IPVS’s estimator', () => {
  test('a constant rate: every 2-second round equals the kernel’s step; converges to the rate', () => {
    const store = memStore();
    const est = estimation(store);
    const t0 = 1000n * S;
    // 100 conn/s, 1000 pkt/s in, 10 pkt/s out, 1.5 MB/s in, 800 B/s out
    const at = (k: number) => stats(BigInt(200 * k), BigInt(2000 * k), BigInt(20 * k), BigInt(3_000_000 * k), BigInt(1600 * k));
    const sub = (k: number) => [{ index: 7, owner: 42, stats: at(k) }];
    est.round(sub(0), t0);
    expect(asArr(store.m.get(7))).toEqual([0, 0, 0, 0, 0]); // first round only sets the base
    const kern = new KernelEst(arr(at(0)));
    for (let k = 1; k <= 15; k++) {
      est.round(sub(k), t0 + BigInt(k) * 2n * S);
      kern.step(arr(at(k)));
      expect(asArr(store.m.get(7))).toEqual(kern.read());
      expect(store.m.get(7).samples).toBe(k);
    }
    // after 15 steps: within 1.4% of the true rate ((3/4)^15 = 1.3%)
    const [cps, inpps, outpps, inbps, outbps] = asArr(store.m.get(7));
    expect(cps).toBeGreaterThanOrEqual(98); expect(cps).toBeLessThanOrEqual(100);
    expect(inpps).toBeGreaterThanOrEqual(986); expect(inpps).toBeLessThanOrEqual(1000);
    expect(outpps).toBeGreaterThanOrEqual(9); expect(outpps).toBeLessThanOrEqual(10);
    expect(inbps).toBeGreaterThanOrEqual(1_479_000); expect(inbps).toBeLessThanOrEqual(1_500_000);
    expect(outbps).toBeGreaterThanOrEqual(789); expect(outbps).toBeLessThanOrEqual(800);
  });

  test('timestamps and owners are written; vanished subjects are cleared', () => {
    const store = memStore();
    const est = estimation(store);
    est.round([{ index: 1, owner: 5, stats: stats(0n, 0n, 0n, 0n, 0n) }, { index: 2, owner: 6, stats: stats(0n, 0n, 0n, 0n, 0n) }], 10n * S);
    expect(store.m.get(1)).toMatchObject({ updatedNs: 10n * S, owner: 5 });
    est.round([{ index: 1, owner: 5, stats: stats(2n, 2n, 0n, 100n, 0n) }], 12n * S);
    expect(store.m.get(2)).toMatchObject({ updatedNs: 0n, owner: 0, samples: 0 });
    const k = new KernelEst([0n, 0n, 0n, 0n, 0n]);
    k.step([2n, 2n, 0n, 100n, 0n]);
    expect(asArr(store.m.get(1))).toEqual(k.read()); // [0, 0, 0, 12, 0]: 1/s rounds to 0 after one step, as in IPVS
  });

  test('-Z: an entry the agent did not write restarts its estimator from the counters as they are', () => {
    const store = memStore();
    const est = estimation(store);
    const s = (n: bigint) => [{ index: 3, owner: 9, stats: stats(n, n * 10n, 0n, n * 1000n, 0n) }];
    est.round(s(0n), 0n);
    for (let k = 1n; k <= 5n; k++) est.round(s(k * 1000n), k * 2n * S);
    expect(store.m.get(3).rates.cps).toBeGreaterThan(300);
    // the CLI's zeroRates(): the entry is cleared (counters zeroed by -Z as well)
    store.m.set(3, { rates: { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 }, updatedNs: 0n, owner: 0, samples: 0 });
    est.round(s(10n), 12n * S);
    expect(store.m.get(3)).toMatchObject({ samples: 0, rates: { cps: 0 } });
    est.round(s(20n), 14n * S); // 10 conns in 2 s: 5/s, first step a quarter of it
    const k = new KernelEst([10n, 100n, 0n, 10000n, 0n]);
    k.step([20n, 200n, 0n, 20000n, 0n]);
    expect(asArr(store.m.get(3))).toEqual(k.read());
  });

  test('a counter going backwards (service re-created, counters zeroed) restarts the estimator', () => {
    const store = memStore();
    const est = estimation(store);
    est.round([{ index: 4, owner: 1, stats: stats(0n, 0n, 0n, 0n, 0n) }], 0n);
    est.round([{ index: 4, owner: 1, stats: stats(400n, 0n, 0n, 0n, 0n) }], 2n * S);
    expect(store.m.get(4).rates.cps).toBe(50);
    est.round([{ index: 4, owner: 1, stats: stats(3n, 0n, 0n, 0n, 0n) }], 4n * S);
    expect(store.m.get(4).rates.cps).toBe(0);
  });

  test('another object on the same id (owner changed) starts from 0', () => {
    const store = memStore();
    const est = estimation(store);
    est.round([{ index: 4, owner: 1, stats: stats(0n, 0n, 0n, 0n, 0n) }], 0n);
    est.round([{ index: 4, owner: 1, stats: stats(400n, 0n, 0n, 0n, 0n) }], 2n * S);
    est.round([{ index: 4, owner: 2, stats: stats(800n, 0n, 0n, 0n, 0n) }], 4n * S);
    expect(store.m.get(4)).toMatchObject({ owner: 2, samples: 0, rates: { cps: 0 } });
  });

  test('an agent restart takes over fresh entries of the same owner (warm start), not stale ones', () => {
    const store = memStore();
    const a = estimation(store);
    const sub = (n: bigint, index = 8) => [{ index, owner: 3, stats: stats(n, 0n, 0n, 0n, 0n) }];
    a.round([...sub(0n), ...sub(0n, 9)], 0n);
    for (let k = 1n; k <= 40n; k++) a.round([...sub(k * 200n), ...sub(k * 200n, 9)], k * 2n * S);
    expect(store.m.get(8).rates.cps).toBe(100);
    // entry 9 is made stale (written long ago): not taken over
    store.m.set(9, { ...store.m.get(9), updatedNs: 1n });
    const b = estimation(store); // the new agent, 1 s after the old one's last round
    b.round([...sub(8200n), ...sub(8200n, 9)], 81n * S);
    expect(store.m.get(8).rates.cps).toBe(100); // carried over until its own first step
    expect(store.m.get(9).rates.cps).toBe(0);
    b.round([...sub(8400n), ...sub(8400n, 9)], 83n * S);
    expect(store.m.get(8).rates.cps).toBe(100); // warm start: the measured rate at once
    expect(store.m.get(9).rates.cps).toBe(25); // cold: a quarter of the way, as IPVS
  });

  test('subjects of a state: services, reals (owned by seq) and the total of the services, ascending', () => {
    const services: SvcEntry[] = [
      { key: { protocol: 'udp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 53 }, id: 1, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0, gen: 0, tableLen: 1 },
      { key: { protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 }, id: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0, gen: 0, tableLen: 1 },
    ];
    const reals: RealEntry[] = [
      { id: 7, svcId: 1, addr: { family: 'inet', ip: '192.0.2.12' }, port: 53, forward: 'dr', weight: 1, flags: 1, upperThreshold: 0, lowerThreshold: 0, seq: 3 },
      { id: 5, svcId: 0, addr: { family: 'inet', ip: '192.0.2.11' }, port: 80, forward: 'dr', weight: 1, flags: 1, upperThreshold: 0, lowerThreshold: 0, seq: 2 },
    ];
    const list = subjectListOf(services, reals);
    expect([...list.frame.index]).toEqual([svcRateIndex(0), svcRateIndex(1), realRateIndex(5), realRateIndex(7), RATES_TOTAL_INDEX]);
    expect(list.frame.owner[0]).toBe(svcOwner(services[1]!));
    expect(list.frame.owner[2]).toBe(realOwner(reals[1]!));
    expect(realOwner({ ...reals[1]!, seq: 3 })).not.toBe(list.frame.owner[2]);
    // counters by id range; the total carries from the low halves into the high ones
    const svc = new CounterSums(0, 2);
    const real = new CounterSums(5, 3);
    svc.lo.set([0xffffffff, 1, 0, 10, 0], 0);
    svc.hi.set([0, 0, 0, 0, 0], 0);
    svc.lo.set([3, 1, 0, 10, 0], 5);
    svc.hi.set([0, 0, 0, 7, 0], 5);
    real.lo.set([100, 1, 0, 10, 0], 0);
    real.lo.set([200, 2, 0, 20, 0], 10);
    const frame = fillCounters(list, svc, real);
    const at = (k: number) => [0, 1, 2, 3, 4].map((f) => (BigInt(frame.hi[k * 5 + f]!) << 32n) | BigInt(frame.lo[k * 5 + f]!));
    expect(at(1)).toEqual([3n, 1n, 0n, (7n << 32n) + 10n, 0n]);
    expect(at(2)).toEqual([100n, 1n, 0n, 10n, 0n]);
    expect(at(3)).toEqual([200n, 2n, 0n, 20n, 0n]);
    expect(at(4)).toEqual([0xffffffffn + 3n, 2n, 0n, (7n << 32n) + 20n, 0n]);
  });

  test('subjects must come in ascending index order', () => {
    const est = new RatesEstimation(memStore());
    expect(() => est.round(frameOf([{ index: 9, owner: 1, stats: stats(0n, 0n, 0n, 0n, 0n) }, { index: 3, owner: 1, stats: stats(0n, 0n, 0n, 0n, 0n) }]), S))
      .toThrow(/out of order/);
  });
});
