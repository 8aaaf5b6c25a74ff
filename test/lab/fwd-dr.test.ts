// DR (-g) end to end, beyond scenario-dr/dr.test.ts: UDP request/response over IPv4
// and IPv6, a 12 MB download arriving intact over both families, and the director's
// counters showing that the replies went straight to the client (OutPkts 0).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { labUnavailable } from './fixture.js';
import { curl, endScenario, expectRepliesDirect, playScenario, vipUdpAndDownloadCases, type FwdLab } from './fwd-scenario.js';
import { startVipResponders } from './fwd-udp.js';

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
  vipUdpAndDownloadCases(() => l, 'dr', { responder4: 'rs3', responder6: 'rs1', ns4: 'rs2', ns6: 'rs3' });
  test('the real servers answer the client directly: OutPkts/OutBytes 0, InPkts counted', () => {
    expectRepliesDirect(l, [['tcp', '192.0.2.10', 80], ['tcp', '2001:db8::10', 80], ['udp', '192.0.2.10', 5353], ['udp', '2001:db8::10', 5353]]);
  });
});
