// Reference model of the 14 schedulers against cases worked by hand from the
// kernel sources' definitions (net/netfilter/ipvs/ip_vs_<name>.c).
import { describe, expect, test } from '@jest/globals';
import type { DestView } from '../../src/sched/dest-view.js';
import { connOverhead } from '../../src/sched/dest-view.js';
import { lcPick } from '../../src/sched/lc.js';
import { wlcPick } from '../../src/sched/wlc.js';
import { sedPick } from '../../src/sched/sed.js';
import { nqPick } from '../../src/sched/nq.js';
import { foPick } from '../../src/sched/fo.js';
import { ovfPick } from '../../src/sched/ovf.js';
import { twosPick, twosProbabilities } from '../../src/sched/twos.js';
import { lblcPick, LBLC_EXPIRE_NS, type LblcCache } from '../../src/sched/lblc.js';
import { lblcrPick } from '../../src/sched/lblcr.js';
import { OverloadFlag } from '../../src/sched/overload.js';
import { shTable } from '../../src/sched/sh.js';
import { dhTable } from '../../src/sched/dh.js';
import { mhTable } from '../../src/sched/mh.js';
import { addrFold, hsiphash32, shHash, MH_TAB_SIZE } from '../../src/sched/hash.js';
import { modelPick } from '../../src/sched/model.js';
import { SCHEDULERS } from '../../src/model/types.js';
import { isImplemented } from '../../src/sched/registry.js';

const d = (id: number, weight: number, active = 0, inactive = 0, overloaded = false): DestView => ({ id, weight, active, inactive, overloaded });

describe('registry', () => {
  test('all fourteen schedulers are implemented', () => {
    expect(SCHEDULERS.filter((s) => !isImplemented(s))).toEqual([]);
  });
});

describe('connection schedulers', () => {
  test('overhead = active * 256 + inactive (ip_vs_dest_conn_overhead)', () => {
    expect(connOverhead(d(0, 1, 2, 3))).toBe(515);
  });
  test('lc: least overhead, first in list order on ties, weight 0 and overloaded skipped', () => {
    expect(lcPick([d(1, 1, 1, 0), d(2, 1, 0, 5), d(3, 1, 0, 5)])?.id).toBe(2);
    expect(lcPick([d(1, 0, 0, 0), d(2, 1, 0, 1)])?.id).toBe(2);
    expect(lcPick([d(1, 1, 0, 0, true), d(2, 1, 0, 1)])?.id).toBe(2);
    expect(lcPick([d(1, 0), d(2, 0)])).toBeUndefined();
  });
  test('wlc: h1 * w2 > h2 * w1 without division (A 512/1 vs B 1280/3 -> B)', () => {
    expect(wlcPick([d(1, 1, 2), d(2, 3, 5)])?.id).toBe(2);
    // equal load: the earlier one stays (strict >)
    expect(wlcPick([d(1, 1, 1), d(2, 2, 2)])?.id).toBe(1);
    // the first with weight > 0 starts, weight 0 never wins even when idle
    expect(wlcPick([d(1, 0), d(2, 1, 9), d(3, 0)])?.id).toBe(2);
    expect(wlcPick([d(1, 0)])).toBeUndefined();
  });
  test('sed: (active + 1) / weight, inactive ignored', () => {
    // A: (0+1)/1 = 1; B: (2+1)/3 = 1: tie -> A; B with 1 active: 2/3 < 1 -> B
    expect(sedPick([d(1, 1, 0, 50), d(2, 3, 2)])?.id).toBe(1);
    expect(sedPick([d(1, 1, 0, 50), d(2, 3, 1)])?.id).toBe(2);
    // wlc would pick A here (inactive counts there): 50 vs 256*2/3
    expect(wlcPick([d(1, 1, 0, 50), d(2, 3, 1)])?.id).toBe(1);
  });
  test('nq: an idle server is taken at once, else sed', () => {
    expect(nqPick([d(1, 10, 1), d(2, 1, 0)])?.id).toBe(2);
    expect(nqPick([d(1, 10, 1), d(2, 1, 1)])?.id).toBe(1);
    expect(nqPick([d(1, 0, 0), d(2, 1, 3)])?.id).toBe(2);
  });
  test('fo: first with the highest weight', () => {
    expect(foPick([d(1, 2), d(2, 5), d(3, 5)])?.id).toBe(2);
    expect(foPick([d(1, 2), d(2, 5, 0, 0, true), d(3, 5)])?.id).toBe(3);
    expect(foPick([d(1, 0)])).toBeUndefined();
  });
  test('ovf: highest weight until its active connections exceed its weight', () => {
    expect(ovfPick([d(1, 2, 0), d(2, 3, 3)])?.id).toBe(2); // 3 active = weight: still taken
    expect(ovfPick([d(1, 2, 0), d(2, 3, 4)])?.id).toBe(1); // 4 > 3: overflow
    expect(ovfPick([d(1, 2, 3), d(2, 3, 4)])).toBeUndefined();
  });
  test('twos: r1, r2 in [0, T]; the first to bring r <= 0; the less loaded per weight wins', () => {
    const ds = [d(1, 1, 1), d(2, 2, 0)]; // T = 3, draws mod 4
    expect(twosPick(ds, 0, 0)?.id).toBe(1); // r1 = 0 -> first
    expect(twosPick(ds, 1, 3)?.id).toBe(2); // c1 = 1 (overhead 256), c2 = 2 (0): 2 * 256 > 1 * 0
    expect(twosPick(ds, 3, 1)?.id).toBe(2); // c1 = 2, c2 = 1: 1 * 0 > 2 * 256 false -> c1
    const p = twosProbabilities([d(1, 1), d(2, 1)]); // equal load: choice1 stands, P(1) = 2/3
    expect(p.get(1)).toBeCloseTo(2 / 3);
    expect(p.get(2)).toBeCloseTo(1 / 3);
  });
});

describe('lblc / lblcr', () => {
  test('lblc keeps a destination address on its server until it is overloaded', () => {
    const cache: LblcCache = new Map();
    const ds = [d(1, 1, 0), d(2, 1, 0)];
    expect(lblcPick(ds, cache, '192.0.2.10', 0n)?.id).toBe(1);
    ds[0]!.active = 5; // wlc would now pick 2, but the cache holds 1 (no server below half its weight)
    ds[1]!.active = 1;
    expect(lblcPick(ds, cache, '192.0.2.10', 1n)?.id).toBe(1);
    ds[1]!.active = 0; // now 2 has 2*0 < 1: 1 (5 > 1) is overloaded -> wlc -> 2, cache moves
    expect(lblcPick(ds, cache, '192.0.2.10', 2n)?.id).toBe(2);
    ds[0]!.active = 0;
    expect(lblcPick(ds, cache, '192.0.2.10', 3n)?.id).toBe(2);
  });
  test('lblc: weight 0 invalidates the entry; 24 h without use expires it', () => {
    const cache: LblcCache = new Map();
    const ds = [d(1, 1, 0), d(2, 1, 0)];
    expect(lblcPick(ds, cache, 'x', 0n)?.id).toBe(1);
    ds[1]!.inactive = 0;
    ds[0]!.inactive = 3;
    expect(lblcPick(ds, cache, 'x', LBLC_EXPIRE_NS)?.id).toBe(1); // exactly 24 h: still there
    expect(lblcPick(ds, cache, 'x', 2n * LBLC_EXPIRE_NS + 1n)?.id).toBe(2); // expired: wlc
    ds[1]!.weight = 0;
    expect(lblcPick(ds, cache, 'x', 2n * LBLC_EXPIRE_NS + 2n)?.id).toBe(1);
  });
  test('lblcr grows the set when its members are overloaded and shrinks it after 24 h', () => {
    const cache: LblcCache = new Map();
    const ds = [d(1, 1, 0), d(2, 1, 0), d(3, 4, 0)];
    expect(lblcrPick(ds, cache, 'x', 0n)?.id).toBe(1);
    ds[0]!.active = 2; // 2 > 1 and 3 has 0*2 < 4: overloaded -> wlc: 2 (0) ... 
    expect(lblcrPick(ds, cache, 'x', 1n)?.id).toBe(2);
    expect(cache.get('x')!.dests.map((m) => m.id)).toEqual([2, 1]);
    // set min: 2 (overhead 0) over 1 (512)
    expect(lblcrPick(ds, cache, 'x', 2n)?.id).toBe(2);
    // after 24 h without change, the most loaded member (1) leaves the set
    expect(lblcrPick(ds, cache, 'x', 3n + LBLC_EXPIRE_NS)?.id).toBe(2);
    expect(cache.get('x')!.dests.map((m) => m.id)).toEqual([2]);
  });
});

describe('thresholds -x/-y (ip_vs_bind_dest / ip_vs_unbind_dest)', () => {
  test('set at u, cleared below l', () => {
    const f = new OverloadFlag();
    const t = { upper: 4, lower: 2 };
    f.bind(3, t);
    expect(f.overloaded).toBe(false);
    f.bind(4, t);
    expect(f.overloaded).toBe(true);
    f.unbind(3, t);
    f.unbind(2, t);
    expect(f.overloaded).toBe(true);
    f.unbind(1, t);
    expect(f.overloaded).toBe(false);
  });
  test('without -y, cleared below 3/4 of u', () => {
    const f = new OverloadFlag();
    const t = { upper: 8, lower: 0 };
    f.bind(8, t);
    f.unbind(6, t); // 24 < 24 false
    expect(f.overloaded).toBe(true);
    f.unbind(5, t);
    expect(f.overloaded).toBe(false);
  });
  test('raising or removing -x clears it', () => {
    const f = new OverloadFlag();
    f.bind(4, { upper: 4, lower: 0 });
    f.edit({ upper: 4, lower: 0 }, { upper: 3, lower: 0 });
    expect(f.overloaded).toBe(true);
    f.edit({ upper: 3, lower: 0 }, { upper: 10, lower: 0 });
    expect(f.overloaded).toBe(false);
  });
});

describe('hashing tables', () => {
  const e = (id: number, weight: number, ip = `192.0.2.${10 + id}`) => ({ id, weight, addr: { family: 'inet' as const, ip }, port: 80 });
  test('fold and the sh/dh hash (ip_vs_sh_hashkey)', () => {
    expect(addrFold('192.0.2.1')).toBe(0xc0000201);
    expect(addrFold('2001:db8::1')).toBe((0x20010db8 ^ 0 ^ 0 ^ 1) >>> 0);
    // (0xc0000201 * 2654435761) mod 2^32 = 0x...; low 8 bits by hand: 0x01 * 0xb1 = 0xb1
    expect(shHash(0xc0000201)).toBe(Number((0xc0000201n * 2654435761n) & 255n));
    expect(shHash(0xc0000201, 5)).toBe((shHash(0xc0000201) + 5) & 255);
  });
  test('sh: 256 buckets, each destination weight buckets in a row, cyclic; weight 0 keeps one', () => {
    const t = shTable([e(1, 2), e(2, 1), e(3, 0)]);
    expect(t.length).toBe(256);
    expect(t.slice(0, 8)).toEqual([1, 1, 2, 3, 1, 1, 2, 3]);
    expect(shTable([])).toEqual([]);
  });
  test('dh: bucket i holds destination i mod n, weights ignored', () => {
    const t = dhTable([e(1, 5), e(2, 1)]);
    expect(t.slice(0, 4)).toEqual([1, 2, 1, 2]);
  });
  test('hsiphash: SipHash-1-3, deterministic and keyed', () => {
    expect(hsiphash32(1, 2654435761n)).toBe(hsiphash32(1, 2654435761n));
    expect(hsiphash32(1, 2654435761n)).not.toBe(hsiphash32(1, 2654446892n));
    expect(hsiphash32(1, 2654435761n)).toBeLessThan(2 ** 32);
  });
  test('mh: every one of the 4093 entries filled, shares follow the weights', () => {
    const t = mhTable([e(1, 1), e(2, 1), e(3, 2)]);
    expect(t.length).toBe(MH_TAB_SIZE);
    const n = (id: number) => t.filter((x) => x === id).length;
    expect(n(1) + n(2) + n(3)).toBe(MH_TAB_SIZE);
    expect(Math.abs(n(3) / MH_TAB_SIZE - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(n(1) / MH_TAB_SIZE - 0.25)).toBeLessThan(0.02);
  });
  test('mh: quiescing (weight 0) leaves the table unchanged: turns come from last_weight', () => {
    const a = mhTable([e(1, 1), e(2, 1)]);
    const b = mhTable([{ ...e(1, 0), lastWeight: 1 }, e(2, 1)]);
    expect(b).toEqual(a);
  });
  test('mh: removing one of 10 reals moves only its clients, plus a small measured share', () => {
    const reals = Array.from({ length: 10 }, (_, i) => e(i + 1, 1));
    const before = mhTable(reals);
    const after = mhTable(reals.filter((r) => r.id !== 5));
    const own = before.filter((x) => x === 5).length;
    const moved = before.filter((x, i) => x !== 5 && after[i] !== x).length;
    console.log(`mh disruption: removed real held ${own}/${MH_TAB_SIZE} entries (${((100 * own) / MH_TAB_SIZE).toFixed(1)}%), ` +
      `other entries moved: ${moved} (${((100 * moved) / MH_TAB_SIZE).toFixed(2)}%)`);
    expect(after.every((x) => x !== 5)).toBe(true);
    expect(moved / MH_TAB_SIZE).toBeLessThan(0.03);
    // adding it back restores the table exactly (the table is a function of the set)
    expect(mhTable(reals)).toEqual(before);
  });
});

describe('model dispatcher', () => {
  test('sh without fallback: unavailable bucket = none; with fallback the rehash sequence', () => {
    const dests = [d(1, 1), d(2, 0)];
    const table = shTable([{ id: 1, weight: 1 }, { id: 2, weight: 0 }]); // alternating 1, 2
    const pkt = (ip: string) => ({ saddr: ip, daddr: '192.0.2.10', sport: 1234 });
    let onTwo = '';
    for (let i = 1; i < 255 && !onTwo; i++) if (table[shHash(addrFold(`198.51.100.${i}`))] === 2) onTwo = `198.51.100.${i}`;
    expect(modelPick({ scheduler: 'sh', dests, table }, pkt(onTwo))).toBeUndefined();
    expect(modelPick({ scheduler: 'sh', dests, table, fallback: true }, pkt(onTwo))).toBe(1);
  });
});
