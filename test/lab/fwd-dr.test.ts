// DR (-g) end to end, beyond scenario-dr/dr.test.ts: UDP request/response over IPv4
// and IPv6, a 12 MB download arriving intact over both families, and the director's
// counters showing that the replies went straight to the client (OutPkts 0).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { labUnavailable } from './fixture.js';
import { curl, downloadIntact, endScenario, playScenario, statsOf, udp, type FwdLab } from './fwd-scenario.js';
import { answerSource, startVipResponders } from './fwd-udp.js';

const PREFIX = 'lxtc';
const why = labUnavailable();
if (why) console.warn(`fwd-dr lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;


maybe('DR through the XDP director: UDP and big downloads (root, namespaces)', () => {
  let l: FwdLab;
  let stopResponders: (() => void) | undefined;
  beforeAll(async () => {
    l = await playScenario('dr', PREFIX); // real servers: `realserver up --vip 192.0.2.10 --vip 2001:db8::10`
    l.cli('-A', '-u', '192.0.2.10:53', '-s', 'rr');
    l.cli('-a', '-u', '192.0.2.10:53', '-r', '192.0.2.12:53', '-g');
    l.cli('-A', '-u', '[2001:db8::10]:53', '-s', 'rr');
    l.cli('-a', '-u', '[2001:db8::10]:53', '-r', '[2001:db8::13]:53', '-g');
    l.cli('-A', '-u', '192.0.2.10:5353', '-s', 'rr');
    l.cli('-a', '-u', '192.0.2.10:5353', '-r', '192.0.2.13:5353', '-g');
    l.cli('-A', '-u', '[2001:db8::10]:5353', '-s', 'rr');
    l.cli('-a', '-u', '[2001:db8::10]:5353', '-r', '[2001:db8::11]:5353', '-g');
    stopResponders = await startVipResponders(l, ['rs1', 'rs2', 'rs3'], ['192.0.2.10', '2001:db8::10'], 5353);
    l.cli('-Z');
  }, 120_000);
  afterAll(async () => {
    stopResponders?.();
    await endScenario(PREFIX);
  }, 60_000);

  test('IPv4 and IPv6 TCP (the scenario checks)', () => {
    expect(curl(l, 'http://192.0.2.10/')).toMatch(/^rs[123]$/);
    expect(curl(l, 'http://[2001:db8::10]/')).toMatch(/^rs[123]$/);
  });
  test('UDP request/response, IPv4 and IPv6 (a responder bound to the VIP)', () => {
    expect(udp(l, '192.0.2.10', 5353, 'dr4')).toBe('rs3 dr4');
    expect(udp(l, '2001:db8::10', 5353, 'dr6')).toBe('rs1 dr6');
  });
  // The name server answers from the address asked (one socket per local address),
  // as a client's connected socket requires.
  test('UDP request/response with the lab name server, IPv4 and IPv6', () => {
    expect(udp(l, '192.0.2.10', 53, 'dr4')).toBe('rs2 dr4');
    expect(udp(l, '2001:db8::10', 53, 'dr6')).toBe('rs3 dr6');
  });
  test('the lab name server answers from the VIP it was asked on', () => {
    expect(answerSource(l, '192.0.2.10', 53)).toBe('192.0.2.10');
    expect(answerSource(l, '2001:db8::10', 53)).toBe('2001:db8::10');
  });
  test('12 MB download arrives intact (IPv4 and IPv6)', () => {
    expect(downloadIntact(l, 'http://192.0.2.10/bytes/12000000', 12_000_000)).toBe(true);
    expect(downloadIntact(l, 'http://[2001:db8::10]/bytes/12000000', 12_000_000)).toBe(true);
  }, 90_000);
  test('the real servers answer the client directly: OutPkts/OutBytes 0, InPkts counted', () => {
    for (const [p, a, port] of [['tcp', '192.0.2.10', 80], ['tcp', '2001:db8::10', 80], ['udp', '192.0.2.10', 5353], ['udp', '2001:db8::10', 5353]] as const) {
      const { svc, reals } = statsOf(l, p, a, port);
      expect({ svc: `${p} ${a}:${port}`, conns: svc.conns > 0, inPkts: svc.inPkts > 0, outPkts: svc.outPkts, outBytes: svc.outBytes })
        .toEqual({ svc: `${p} ${a}:${port}`, conns: true, inPkts: true, outPkts: 0, outBytes: 0 });
      for (const r of reals) expect([r.outPkts, r.outBytes]).toEqual([0, 0]);
    }
    expect(statsOf(l, 'tcp', '192.0.2.10', 80).svc.inPkts).toBeLessThan(8_000); // ~8,300 segments went the other way
  });
});
