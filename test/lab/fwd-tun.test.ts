// TUN (-i) end to end: the tun scenario (IPIP to the real servers, which decapsulate
// in XDP and answer the client directly), then IPv6 (ip6ip6) with the real servers'
// IPv6 VIP set up as `realserver up --vip 2001:db8::10 --mode tun`, UDP over both
// families, a mixed-family tunnel (IPv6 VIP in IPv4), a 12 MB download, and the
// director's counters showing that no reply went through it (OutPkts 0).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { inNetns } from '../../src/util/exec.js';
import { repoRoot } from '../../src/util/paths.js';
import { labUnavailable } from './fixture.js';
import { curl, endScenario, expectRepliesDirect, playScenario, vipUdpAndDownloadCases, type FwdLab } from './fwd-scenario.js';
import { startVipResponders } from './fwd-udp.js';

const PREFIX = 'lxtb';
const why = labUnavailable();
if (why) console.warn(`fwd-tun lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;


maybe('TUN through the XDP director (root, namespaces)', () => {
  let l: FwdLab;
  let stopResponders: (() => void) | undefined;
  beforeAll(async () => {
    l = await playScenario('tun', PREFIX);
    // the scenario sets the real servers up for the IPv4 VIP only (realServers.realserver
    // of lab/scenarios/tun.json); the IPv6 VIP needs its own `realserver up … --mode tun`
    for (const rs of ['rs1', 'rs2', 'rs3']) {
      const r = inNetns(l.netns(rs), join(repoRoot(), 'bin', 'lvs-xdp'), ['realserver', 'up', '--vip', '2001:db8::10', '--mode', 'tun'], { timeoutMs: 30_000, allowFailure: true });
      if (r.status !== 0) throw new Error(`realserver up --vip 2001:db8::10 --mode tun in ${rs}: ${r.stderr.trim()}`);
    }
    l.cli('-A', '-u', '192.0.2.10:53', '-s', 'rr');
    l.cli('-a', '-u', '192.0.2.10:53', '-r', '192.0.2.11:53', '-i');
    l.cli('-A', '-t', '[2001:db8::10]:80', '-s', 'rr');
    l.cli('-a', '-t', '[2001:db8::10]:80', '-r', '[2001:db8::12]:80', '-i');
    l.cli('-A', '-u', '[2001:db8::10]:53', '-s', 'rr');
    l.cli('-a', '-u', '[2001:db8::10]:53', '-r', '[2001:db8::13]:53', '-i');
    // UDP answered from the VIP (fwd-udp.ts): one real per family
    l.cli('-A', '-u', '192.0.2.10:5353', '-s', 'rr');
    l.cli('-a', '-u', '192.0.2.10:5353', '-r', '192.0.2.12:5353', '-i');
    l.cli('-A', '-u', '[2001:db8::10]:5353', '-s', 'rr');
    l.cli('-a', '-u', '[2001:db8::10]:5353', '-r', '[2001:db8::11]:5353', '-i');
    // mixed families: an IPv6 service tunnelled to an IPv4 real server (IPv6 in IPv4);
    // a VIP of its own, as TUN keeps the service port
    l.sh(l.netns('dir'), 'ip', '-6', 'addr', 'add', '2001:db8::20/128', 'dev', 'eth0', 'nodad');
    const r = inNetns(l.netns('rs1'), join(repoRoot(), 'bin', 'lvs-xdp'), ['realserver', 'up', '--vip', '2001:db8::20', '--mode', 'tun'], { timeoutMs: 30_000, allowFailure: true });
    if (r.status !== 0) throw new Error(`realserver up --vip 2001:db8::20 --mode tun in rs1: ${r.stderr.trim()}`);
    l.cli('-A', '-t', '[2001:db8::20]:80', '-s', 'rr');
    l.cli('-a', '-t', '[2001:db8::20]:80', '-r', '192.0.2.11:80', '-i');
    stopResponders = await startVipResponders(l, ['rs1', 'rs2', 'rs3'], ['192.0.2.10', '2001:db8::10'], 5353);
    l.cli('-Z');
  }, 120_000);
  afterAll(async () => {
    stopResponders?.();
    await endScenario(PREFIX);
  }, 60_000);

  test('IPv4 TCP (the scenario check) and the listing say Tunnel', () => {
    expect(curl(l, 'http://192.0.2.10/')).toMatch(/^rs[123]$/);
    expect(l.cli('-Ln')).toContain('  -> 192.0.2.11:80                Tunnel  1');
  });
  test('IPv6 TCP (ip6ip6)', () => expect(curl(l, 'http://[2001:db8::10]/')).toBe('rs2'));
  vipUdpAndDownloadCases(() => l, 'tun', { responder4: 'rs2', responder6: 'rs1', ns4: 'rs1', ns6: 'rs3' });
  test('mixed families: IPv6 VIP through an IPv4 tunnel', () => expect(curl(l, 'http://[2001:db8::20]/')).toBe('rs1'));
  test('the real servers answer the client directly: OutPkts/OutBytes 0, InPkts counted', () => {
    expectRepliesDirect(l, [
      ['tcp', '192.0.2.10', 80], ['tcp', '2001:db8::10', 80], ['udp', '192.0.2.10', 5353], ['udp', '2001:db8::10', 5353],
      ['tcp', '2001:db8::20', 80],
    ]);
  });
});
