// Rates at a controlled packet rate: the compiled director is fed known numbers of
// packets per 2-second period through BPF_PROG_TEST_RUN (repeat N), the agent's
// round (src/agent/rates.ts) samples the per-CPU counters at a controlled clock and
// writes lb_rates, and `-Ln --rate`'s reader (src/cli/list-rate.ts) prints what
// IPVS's estimator would print for the same counts.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { check, libbpf } from '../../src/bpf/ffi/libbpf.js';
import {
  addReal, addService, deleteReal, describeBpf, loadForTest, realCounters, setupFibNetns, svcCounters, svcKey, XDP_TX,
  type FibNetns, type TestDirector,
} from './harness.js';
import { packet, type PacketSpec } from './packets.js';
import {
  RatesEstimation, SubjectSource, entryOf, mapStore, monotonicNs, ratesRound, realOwner, realRateIndex,
} from '../../src/agent/rates.js';
import { readCounterSums } from '../../src/bpf/counters.js';
import { u32Key } from '../../src/bpf/map.js';
import { withRates, zeroRates } from '../../src/cli/list-rate.js';
import { buildViews } from '../../src/cli/views.js';
import { readCounters, readMeta, readState } from '../../src/bpf/state.js';
import { formatList } from '../../src/ipvsadm/format-list.js';
import type { Stats } from '../../src/model/types.js';

const maybe = describeBpf('rates');
const VIP = '192.0.2.10';
const S = 1_000_000_000n;

function udp(sport: number): PacketSpec {
  return { eth: {}, ip: { v: 4, src: '198.51.100.7', dst: VIP, ttl: 61 }, l4: { proto: 'udp', sport, dport: 53 }, payload: Buffer.alloc(100, 0x61) };
}

/** BPF_PROG_TEST_RUN with repeat: the program runs `repeat` times over the same packet. */
function runRepeat(progFd: number, pkt: Buffer, ifindex: number, repeat: number): number {
  const out = Buffer.alloc(pkt.length + 4096);
  const ctx = Buffer.alloc(24);
  ctx.writeUInt32LE(pkt.length, 4);
  ctx.writeUInt32LE(ifindex, 12);
  const opts = {
    sz: 80, data_in: pkt, data_out: out, data_size_in: pkt.length, data_size_out: out.length, ctx_in: ctx, ctx_out: null,
    ctx_size_in: ctx.length, ctx_size_out: 0, retval: 0, repeat, duration: 0, flags: 0, cpu: 0, batch_size: 0,
  };
  check(libbpf().bpf_prog_test_run_opts(progFd, opts), 'bpf_prog_test_run_opts');
  return opts.retval;
}

/** The kernel's estimator (ip_vs_est.c) over a list of 2-second counter snapshots. */
function kernelRates(snaps: Stats[]): number[] {
  const f = (s: Stats) => [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes];
  const shift = [9n, 9n, 9n, 4n, 4n];
  const scale = [10n, 10n, 10n, 5n, 5n];
  const avg = [0n, 0n, 0n, 0n, 0n];
  for (let k = 1; k < snaps.length; k++) {
    const a = f(snaps[k]!), b = f(snaps[k - 1]!);
    for (let i = 0; i < 5; i++) avg[i]! += (((a[i]! - b[i]!) << shift[i]!) - avg[i]!) >> 2n;
  }
  return avg.map((v, i) => Number((v + ((1n << (scale[i]! - 1n)) - 1n)) >> scale[i]!));
}

maybe('rates from the per-CPU counters (BPF_PROG_TEST_RUN, controlled rate)', () => {
  let fib: FibNetns;
  let t: TestDirector;
  const key = svcKey('udp', VIP, 53);
  let svcId = 0;
  let realId = 0;

  beforeAll(() => {
    fib = setupFibNetns();
    t = loadForTest();
    svcId = addService(t.dp, key, 'rr');
    realId = addReal(t.dp, key, '192.0.2.11');
  });
  afterAll(() => t?.cleanup());

  test('10 cps and 1000 pps for 20 s: --rate prints the IPVS estimator’s values', () => {
    const est = new RatesEstimation(mapStore(t.dp.maps.lb_rates));
    const src = new SubjectSource();
    // a simulated clock: round k at base + 2k s
    const base = monotonicNs();
    const snaps: Stats[] = [svcCounters(t.dp, svcId)];
    ratesRound(t.dp, est, src, base);
    let sport = 20000;
    for (let k = 1; k <= 10; k++) {
      // one period: 20 new flows (1 packet each) + 1980 more packets of one flow
      for (let i = 0; i < 20; i++) expect(runRepeat(t.progFd, packet(udp(sport++)), fib.ifindex, 1)).toBe(XDP_TX);
      expect(runRepeat(t.progFd, packet(udp(sport - 1)), fib.ifindex, 1980)).toBe(XDP_TX);
      snaps.push(svcCounters(t.dp, svcId));
      ratesRound(t.dp, est, src, base + BigInt(k) * 2n * S);
    }
    const d = snaps[10]!;
    expect(d.conns).toBe(200n);
    expect(d.inPkts).toBe(20_000n);
    const bytesPerPkt = Number(d.inBytes / d.inPkts);
    const want = kernelRates(snaps);
    const state = readState(t.dp);
    const rv = withRates(t.dp, state, buildViews(t.dp, state), base + 21n * S); // 1 s after the last round
    expect(rv.fresh).toBe(true);
    const r = rv.services[0]!.rates!;
    expect([r.cps, r.inpps, r.outpps, r.inbps, r.outbps]).toEqual(want);
    // within 6% of the true rate after 10 steps ((3/4)^10 = 5.6%), as IPVS would be
    expect(r.cps).toBeGreaterThanOrEqual(9);
    expect(r.inpps).toBeGreaterThanOrEqual(940);
    expect(r.inpps).toBeLessThanOrEqual(1000);
    expect(r.inbps).toBeGreaterThanOrEqual(Math.floor(0.94 * 1000 * bytesPerPkt));
    expect(r.outpps).toBe(0); // DR: the director never sees replies
    // the single real got everything: same rates
    const rr = rv.services[0]!.reals[0]!.rates!;
    expect(rr).toEqual(r);
    expect(realCounters(t.dp, realId).inPkts).toBe(20_000n);
    // the agent's bulk reader saw what the per-id reader sees
    expect(readCounterSums(t.dp.maps.lb_svc_stats, svcId, 1).stats(svcId)).toEqual(readCounters(t.dp.maps.lb_svc_stats, svcId));
    expect(readCounterSums(t.dp.maps.lb_real_stats, realId, 1).stats(realId)).toEqual(readCounters(t.dp.maps.lb_real_stats, realId));
    expect(rv.total).toEqual(r);
    const text = formatList(rv.services, { numeric: true, connections: false, timeout: false, daemon: false, stats: false, rate: true, thresholds: false, persistentConn: false, tunInfo: false, exact: false, nosort: false, json: false }, { connTableSize: readMeta(t.dp).conn_size });
    const pad = (n: number) => String(n).padStart(9);
    expect(text.split('\n')[3]).toBe(`${'UDP  192.0.2.10:53'.padEnd(33)}${want.map(pad).join('')}`);
  });

  test('no round for longer than LB_RATES_STALE_MS: rates read as 0 (no agent)', () => {
    const state = readState(t.dp);
    const rv = withRates(t.dp, state, buildViews(t.dp, state), monotonicNs() + 30n * S);
    expect(rv.fresh).toBe(false);
    expect(rv.services[0]!.rates).toEqual({ cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 });
  });

  test('-Z clears the service’s rates; the next rounds start from 0 as ip_vs_zero_estimator()', () => {
    zeroRates(t.dp, readState(t.dp), key); // a new agent would otherwise take over the previous test's rates
    const est = new RatesEstimation(mapStore(t.dp.maps.lb_rates));
    const src = new SubjectSource();
    const base = monotonicNs();
    ratesRound(t.dp, est, src, base);
    runRepeat(t.progFd, packet(udp(30000)), fib.ifindex, 1000);
    ratesRound(t.dp, est, src, base + 2n * S);
    let state = readState(t.dp);
    expect(withRates(t.dp, state, buildViews(t.dp, state), base + 5n * S).services[0]!.rates!.inpps).toBe(125); // 500/s, a quarter
    zeroRates(t.dp, state, key);
    state = readState(t.dp);
    expect(withRates(t.dp, state, buildViews(t.dp, state), base + 5n * S).services[0]!.rates!.inpps).toBe(0);
    ratesRound(t.dp, est, src, base + 4n * S);
    state = readState(t.dp);
    expect(withRates(t.dp, state, buildViews(t.dp, state), base + 5n * S).services[0]!.rates!.inpps).toBe(0);
  });

  test('a configuration change is picked up at the next round; an unchanged one is not re-read', () => {
    const src = new SubjectSource();
    const est = new RatesEstimation(mapStore(t.dp.maps.lb_rates));
    const base = monotonicNs();
    ratesRound(t.dp, est, src, base);
    const before = src.subjects(t.dp);
    expect(src.subjects(t.dp)).toBe(before); // nothing changed: the same list, not read again
    const added = addReal(t.dp, key, '192.0.2.12');
    const withNew = src.subjects(t.dp);
    expect(withNew).not.toBe(before);
    expect([...withNew.realIds]).toEqual([realId, added].sort((a, b) => a - b));
    ratesRound(t.dp, est, src, base + 2n * S);
    const entry = () => entryOf(t.dp.maps.lb_rates.lookup(u32Key(realRateIndex(added)))!);
    const real = readState(t.dp).reals.find((r) => r.id === added)!;
    expect(entry()).toMatchObject({ owner: realOwner(real), updatedNs: base + 2n * S });
    deleteReal(t.dp, key, '192.0.2.12');
    expect([...src.subjects(t.dp).realIds]).toEqual([realId]);
    ratesRound(t.dp, est, src, base + 4n * S);
    expect(entry()).toMatchObject({ owner: 0, updatedNs: 0n, samples: 0 }); // gone: cleared
  });
});
