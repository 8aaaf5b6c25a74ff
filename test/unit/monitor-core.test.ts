// The monitor's data side without a data plane: formatting, layout widths, the
// sampler (rates, bounded history), the live source's publishing, arguments, actions.
import { describe, expect, test } from '@jest/globals';
import { compact, cutEnd, sparkline, truncMiddle } from '../../src/monitor/format.js';
import { Ring, HistoryBook } from '../../src/monitor/history.js';
import { headerLines, tableLayout } from '../../src/monitor/layout.js';
import { plainFrame } from '../../src/monitor/frame.js';
import { demoSnapshot } from '../../src/monitor/fake-source.js';
import { Sampler } from '../../src/monitor/sampler.js';
import { LiveSource } from '../../src/monitor/source.js';
import { WeightActions, editWeightArgs } from '../../src/monitor/actions.js';
import { parseInterval, parseMonitorArgs } from '../../src/cli/monitor.js';
import type { RawSample, SampleReader } from '../../src/monitor/reader.js';
import type { RealEntry, SvcEntry } from '../../src/plan/state.js';
import type { Real, Service, Stats } from '../../src/model/types.js';
import { statNames } from '../../src/bpf/stat-names.js';

describe('format', () => {
  test('compact numbers fit their column', () => {
    expect(compact(999)).toBe('999');
    expect(compact(12345)).toBe('12345');
    expect(compact(123456)).toBe('123K');
    expect(compact(1048576, 6)).toBe('1.0M');
    expect(compact(2.5)).toBe('2.5');
    expect(compact(0)).toBe('0');
    for (const n of [1, 99999, 100000, 999999, 1e7, 5.5e9, 1e13]) expect(compact(n).length).toBeLessThanOrEqual(5);
  });

  test('addresses are cut in the middle, keeping the port', () => {
    expect(truncMiddle('[2001:db8:aaaa:bbbb:cccc:dddd:eeee:11]:80', 20)).toBe('[2001:db8…eee:11]:80');
    expect(truncMiddle('192.0.2.11:80', 20)).toBe('192.0.2.11:80');
    expect(truncMiddle('abcdefghij', 5).length).toBe(5);
  });

  test('screen lines are cut at the end, never padded', () => {
    expect(cutEnd('abcdefghij', 5)).toBe('abcd…');
    expect(cutEnd('abc', 5)).toBe('abc');
    expect(cutEnd('abc', 0)).toBe('');
  });

  test('sparklines scale to the largest point and pad on the left', () => {
    expect(sparkline([0, 1, 2, 4], 4)).toBe('▁▃▅█');
    expect(sparkline([1, 1], 4)).toBe('  ██');
    expect(sparkline([0, 0], 2)).toBe('▁▁');
  });
});

describe('history', () => {
  test('a ring keeps the last N points', () => {
    const r = new Ring(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
  });
  test('the book forgets rows that disappear', () => {
    const b = new HistoryBook(60);
    b.push('a', 1, 1, 1);
    b.prune();
    b.prune();
    expect(b.size).toBe(0);
  });
});

describe('layout', () => {
  test('every frame line fits the width at 80, 100 and 200 columns', () => {
    const snap = demoSnapshot([
      { key: { protocol: 'tcp', addr: { family: 'inet6', ip: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff' }, port: 65535 },
        reals: [{ ip: '2001:db8:ffff:ffff:ffff:ffff:ffff:fffe', cps: 123456 }] },
      { key: { protocol: 'udp', addr: { family: 'inet', ip: '255.255.255.255' }, port: 65535 }, reals: [{ ip: '203.0.113.254', port: 65535 }] },
    ]);
    for (const w of [80, 100, 200]) {
      const text = plainFrame(snap, w);
      for (const l of text.split('\n')) expect([...l].length).toBeLessThanOrEqual(w);
      expect(text).not.toMatch(/\x1b/);
    }
    expect(tableLayout(80).sparkWidth).toBeGreaterThanOrEqual(4);
    expect(tableLayout(200, 50).nameWidth).toBe(50);
    expect(tableLayout(200, 50).sparkWidth).toBe(60);
  });

  test('header: ICMP errors the program answered (XDP_TX) are shown apart from forwarded packets', () => {
    const snap = demoSnapshot([]);
    const counts: Record<string, [bigint, number]> = { tx: [110n, 12], redirect: [500n, 50], icmp_unreach: [7n, 2], icmp_too_big: [3n, 0], icmp_fwd: [9n, 1], drop_no_real: [4n, 1] };
    const packets = snap.header.packets.map((p) => ({ ...p, count: counts[p.name]?.[0] ?? 0n, rate: counts[p.name]?.[1] ?? 0 }));
    const [, l2, l3] = headerLines({ ...snap.header, packets }, 1000, 200);
    expect(l2).toBe('packets fwd 600 60/s (tx 100 redir 500) │ icmp 10 2/s │ pass 0 0/s │ drop 4 1/s');
    expect(l3).toBe('drop: no_real 4 │ pass: none │ icmp: too_big 3 unreach 7');
    const quiet = snap.header.packets.map((p) => ({ ...p, count: p.name === 'tx' ? 5n : 0n, rate: 0 }));
    expect(headerLines({ ...snap.header, packets: quiet }, 1000, 200).slice(1)).toEqual([
      'packets fwd 5 0/s (tx 5 redir 0) │ pass 0 0/s │ drop 0 0/s', 'drop: none │ pass: none']);
  });
});

// ---- sampler and live source against made-up readings ----
const svc: SvcEntry = {
  key: { protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 },
  id: 0, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0, gen: 0, tableLen: 1,
};
const real: RealEntry = {
  id: 0, svcId: 0, addr: { family: 'inet', ip: '192.0.2.11' }, port: 80, forward: 'dr', weight: 1,
  flags: 1, upperThreshold: 0, lowerThreshold: 0, seq: 1,
};
function st(conns: number, pkts: number): Stats {
  return { conns: BigInt(conns), inPkts: BigInt(pkts), outPkts: 0n, inBytes: BigInt(pkts * 100), outBytes: 0n };
}
function raw(atMs: number, conns: number, pkts: number, weight = 1): RawSample {
  return {
    atMs, services: [svc], reals: [{ ...real, weight }],
    svcStats: new Map([[0, st(conns, pkts)]]), realStats: new Map([[0, st(conns, pkts)]]),
    packets: statNames().map((name) => ({ name, count: name === 'tx' ? BigInt(pkts) : 0n })),
    meta: { connSize: 1024, tcp: 900, tcpfin: 120, udp: 300 },
    interfaces: [{ name: 'eth0', mode: 'native', progId: 7 }],
    conns: { rows: [], scanned: 0, expired: 0, limit: 5000, truncated: false },
    perReal: new Map([[0, { activeConns: 2, inactiveConns: 5, persistConns: 0 }]]),
  };
}

describe('Sampler', () => {
  test('rates from the IPVS estimator, per-refresh points, counts from the connection scan', () => {
    const s = new Sampler({ pinDir: '/x', intervalMs: 1000 });
    s.update(raw(0, 0, 0), 1, false);
    s.update(raw(1000, 10, 100), 2, false);
    const snap = s.update(raw(2000, 20, 200), 3, false);
    const r = snap.services[0]!.reals[0]!;
    expect(r.rates.cps).toBe(10); // warm start: the first 2-s step takes the measured rate
    expect(r.history.cps).toEqual([10, 10]);
    expect(r.history.pps).toEqual([100, 100]);
    expect(r.counts).toEqual({ activeConns: 2, inactiveConns: 5, persistConns: 0 });
    expect(snap.services[0]!.counts.inactiveConns).toBe(5);
    expect(snap.header.packets.find((p) => p.name === 'tx')!.rate).toBe(100);
    expect(r.health).toBe('n/a');
  });

  test('history stays bounded at 60 points however long it runs', () => {
    const s = new Sampler({ pinDir: '/x', intervalMs: 1000 });
    let snap;
    for (let i = 0; i < 500; i++) snap = s.update(raw(i * 1000, i, i * 10), i + 1, false);
    expect(snap!.services[0]!.history.cps).toHaveLength(60);
  });

  test('reals that come and go leave no estimator or history behind', () => {
    const s = new Sampler({ pinDir: '/x', intervalMs: 1000 });
    for (let i = 0; i < 5000; i++) {
      // a different real server every 10 readings, 500 in all
      const r = { ...raw(i * 1000, i, i * 10), reals: [{ ...real, addr: { family: 'inet' as const, ip: `10.0.${Math.floor(i / 2560)}.${Math.floor(i / 10) % 256}` } }] };
      const snap = s.update(r, i + 1, false);
      expect(snap.services[0]!.reals[0]!.history.cps.length).toBeLessThanOrEqual(60);
    }
    expect(s.tracked).toEqual({ estimators: 2, histories: 2 }); // the service and its one real
  });
});

class FakeReader implements SampleReader {
  i = 0;
  constructor(private readonly f: (i: number) => RawSample) {}
  read(): RawSample {
    return this.f(this.i++);
  }
  close(): void {}
}

describe('LiveSource', () => {
  test('publishes only when what is shown changes', () => {
    let conns = 0;
    const src = new LiveSource({
      reader: new FakeReader((i) => raw(i * 1000, conns, conns)), runner: () => ({ ok: true, message: '' }),
      pinDir: '/x', intervalMs: 1000,
    });
    let published = 0;
    src.subscribe(() => published++);
    src.tick(); // first reading
    src.tick(); // a zero rate point appears
    const n = published;
    src.tick();
    src.tick();
    src.tick();
    // idle: the sparklines only gain zeros, so nothing but history changes... which is shown;
    // once the 60-point rings are all zeros nothing changes at all:
    for (let i = 0; i < 70; i++) src.tick();
    const idle = published;
    src.tick();
    src.tick();
    expect(published).toBe(idle);
    expect(n).toBeGreaterThan(0);
    conns = 50;
    src.tick();
    expect(published).toBe(idle + 1);
    src.stop();
  });

  test('a failed reading keeps the data and reports the error', () => {
    let fail = false;
    const src = new LiveSource({
      reader: new FakeReader((i) => {
        if (fail) throw new Error('no lvs-xdp data plane in /x');
        return raw(i * 1000, i, i);
      }),
      runner: () => ({ ok: true, message: '' }), pinDir: '/x', intervalMs: 1000,
    });
    src.tick();
    fail = true;
    src.tick();
    expect(src.getSnapshot().error).toMatch(/no lvs-xdp data plane/);
    expect(src.getSnapshot().services).toHaveLength(1);
    src.stop();
  });
});

describe('actions go through the ipvsadm command line', () => {
  const service: Service = { ...svc.key, scheduler: 'rr', onePacket: false, schedFlags: [] };
  const r: Real = { addr: real.addr, port: 80, forward: 'dr', weight: 3, upperThreshold: 10, lowerThreshold: 0 };

  test('edit arguments keep forwarding and thresholds', () => {
    expect(editWeightArgs(service, r, '0')).toEqual(['-e', '-t', '192.0.2.10:80', '-r', '192.0.2.11:80', '-g', '-w', '0', '-x', '10']);
    const v6: Service = { ...service, protocol: 'udp', addr: { family: 'inet6', ip: '2001:db8::10' }, port: 53 };
    expect(editWeightArgs(v6, { ...r, addr: { family: 'inet6', ip: '2001:db8::11' }, upperThreshold: 0 }, '2'))
      .toEqual(['-e', '-u', '[2001:db8::10]:53', '-r', '[2001:db8::11]:80', '-g', '-w', '2']);
  });

  test('drain remembers the weight and restore puts it back; failures are reported', () => {
    const ran: string[][] = [];
    let answer = { ok: true, message: '' };
    const a = new WeightActions((args) => (ran.push(args), answer));
    expect(a.toggleDrain(service, r).message).toBe('drained 192.0.2.11:80 (weight 3 → 0; d restores)');
    expect(ran[0]).toContain('0');
    expect(a.toggleDrain(service, { ...r, weight: 0 }).message).toBe('restored 192.0.2.11:80 (weight 0 → 3)');
    expect(ran[1]!.slice(6, 8)).toEqual(['-w', '3']);
    answer = { ok: false, message: 'Illegal weight specified' };
    const res = a.setWeight(service, r, '-5');
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/^192\.0\.2\.11:80: Illegal weight specified \(lvs-xdp -e -t 192\.0\.2\.10:80/);
  });
});

describe('monitor arguments', () => {
  test('intervals with units', () => {
    expect(parseInterval('1s')).toBe(1000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('2')).toBe(2000);
    expect(parseInterval('1.5s')).toBe(1500);
    expect(() => parseInterval('10ms')).toThrow("monitor: illegal interval '10ms' (like 1s or 500ms, from 100ms to 60s)");
    expect(() => parseInterval('fast')).toThrow(/illegal interval 'fast'/);
  });

  test('options, NO_COLOR, and one-line errors', () => {
    expect(parseMonitorArgs([], {})).toMatchObject({ intervalMs: 1000, once: false, color: true });
    expect(parseMonitorArgs([], { NO_COLOR: '1' }).color).toBe(false);
    expect(parseMonitorArgs([], { NO_COLOR: '' }).color).toBe(true);
    expect(parseMonitorArgs(['--interval=250ms', '--once', '--no-color', '--width', '100'], {}))
      .toMatchObject({ intervalMs: 250, once: true, color: false, width: 100 });
    expect(() => parseMonitorArgs(['--interval'], {})).toThrow("monitor: option '--interval' needs a value");
    expect(() => parseMonitorArgs(['--bogus'], {})).toThrow("monitor: unknown option '--bogus' (lvs-xdp monitor --help)");
    expect(() => parseMonitorArgs(['--width', '20'], {})).toThrow(/--width needs a number from 40 to 1000/);
  });
});
