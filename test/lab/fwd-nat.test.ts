// NAT (-m) end to end: the nat scenario (reals on an inside network, default route
// via the director), then IPv6, UDP, port mapping and a 12 MB download.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { labUnavailable } from './fixture.js';
import { curl, downloadIntact, endScenario, playScenario, udp, type FwdLab } from './fwd-scenario.js';

const PREFIX = 'lxt9';
const why = labUnavailable();
if (why) console.warn(`fwd-nat lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

maybe('NAT through the XDP director (root, namespaces)', () => {
  let l: FwdLab;
  beforeAll(async () => {
    l = await playScenario('nat', PREFIX);
    for (const rs of ['rs1', 'rs2', 'rs3']) l.sh(l.netns(rs), 'ip', '-6', 'route', 'replace', '2001:db8::/64', 'via', '2001:db8:1::2');
    l.cli('-A', '-u', '192.0.2.10:53', '-s', 'rr');
    l.cli('-a', '-u', '192.0.2.10:53', '-r', '198.51.100.11:53', '-m');
    l.cli('-A', '-t', '[2001:db8::10]:80', '-s', 'rr');
    l.cli('-a', '-t', '[2001:db8::10]:80', '-r', '[2001:db8:1::12]:80', '-m');
    l.cli('-A', '-u', '[2001:db8::10]:53', '-s', 'rr');
    l.cli('-a', '-u', '[2001:db8::10]:53', '-r', '[2001:db8:1::13]:53', '-m');
    l.cli('-A', '-t', '192.0.2.10:8080', '-s', 'rr');
    l.cli('-a', '-t', '192.0.2.10:8080', '-r', '198.51.100.13:80', '-m');
  }, 120_000);
  afterAll(async () => endScenario(PREFIX), 60_000);

  test('IPv4 TCP (the scenario check) and the listing say Masq', () => {
    expect(curl(l, 'http://192.0.2.10/')).toMatch(/^rs[123]$/);
    expect(l.cli('-Ln')).toContain('  -> 198.51.100.11:80             Masq    1');
  });
  test('IPv6 TCP', () => expect(curl(l, 'http://[2001:db8::10]/')).toBe('rs2'));
  test('UDP request/response, IPv4 and IPv6', () => {
    expect(udp(l, '192.0.2.10', 53, 'ping4')).toBe('rs1 ping4');
    expect(udp(l, '2001:db8::10', 53, 'ping6')).toBe('rs3 ping6');
  });
  test('port mapping: VIP:8080 -> RIP:80', () => expect(curl(l, 'http://192.0.2.10:8080/')).toBe('rs3'));
  test('12 MB download arrives intact (IPv4 and IPv6)', () => {
    expect(downloadIntact(l, 'http://192.0.2.10/bytes/12000000', 12_000_000)).toBe(true);
    expect(downloadIntact(l, 'http://[2001:db8::10]/bytes/12000000', 12_000_000)).toBe(true);
  }, 90_000);
});
