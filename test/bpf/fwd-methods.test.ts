// TUN, NAT and FULLNAT, byte for byte (BPF_PROG_TEST_RUN): each case gives the input
// frame, the verdict and the whole expected frame, built independently with full
// checksums (packets.ts) while the program updates them incrementally.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  XDP_DROP, XDP_TX, VERDICT_NAME, LB_IP4, LB_IP6, LB_MAC, REAL_MAC, addService, connEntry, describeBpf,
  loadForTest, realCounters, runCounted, setupFibNetns, svcCounters, svcKey, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, packet, type PacketSpec } from './packets.js';
import {
  ROUTER_NEXTHOP_MAC, addFwdReal, addLaddr, ethHdr, ethType, ipv4, ipv6, l3Of, setupClientRoutes,
} from './fwd-helpers.js';
import { lb_conn_flags } from '../../src/bpf/generated/layout.js';
import { wordsToAddr } from '../../src/bpf/addr.js';

const maybe = describeBpf('fwd-methods');

const CIP4 = '198.51.100.7';
const CIP6 = '2001:db8:ffff::7';
const ip4 = (src: string, dst: string, more: object = {}) => ({ v: 4 as const, src, dst, ttl: 61, id: 0x4242, ...more });
const ip6 = (src: string, dst: string, more: object = {}) => ({ v: 6 as const, src, dst, hopLimit: 61, flowLabel: 0x12345, ...more });
const syn = (sport: number, dport: number) => ({ proto: 'tcp' as const, sport, dport, flags: TCP.SYN, seq: 0x01020304, options: Buffer.from([2, 4, 5, 0xb4]) });
const synack = (sport: number, dport: number) => ({ proto: 'tcp' as const, sport, dport, flags: TCP.SYN | TCP.ACK, seq: 0x0a0b0c0d, ack: 0x01020305 });
const dgram = (sport: number, dport: number, more: object = {}) => ({ proto: 'udp' as const, sport, dport, ...more });

maybe('forwarding methods (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;
  const ids: Record<string, number> = {};

  beforeAll(() => {
    net = setupFibNetns();
    setupClientRoutes();
    t = loadForTest();
    const dp = t.dp;
    // TUN: one service per family and protocol, a real of each family behind them
    ids.tun4 = addService(dp, svcKey('tcp', '192.0.2.30', 80));
    ids.tun4r = addFwdReal(dp, svcKey('tcp', '192.0.2.30', 80), '192.0.2.11', 'tun');
    ids.tun4u = addService(dp, svcKey('udp', '192.0.2.30', 53));
    addFwdReal(dp, svcKey('udp', '192.0.2.30', 53), '192.0.2.12', 'tun');
    ids.tun6 = addService(dp, svcKey('tcp', '2001:db8::30', 80));
    addFwdReal(dp, svcKey('tcp', '2001:db8::30', 80), '2001:db8::11', 'tun');
    addService(dp, svcKey('udp', '2001:db8::30', 53));
    addFwdReal(dp, svcKey('udp', '2001:db8::30', 53), '192.0.2.13', 'tun'); // IPv6 in IPv4
    addService(dp, svcKey('udp', '192.0.2.31', 53));
    addFwdReal(dp, svcKey('udp', '192.0.2.31', 53), '2001:db8::13', 'tun'); // IPv4 in IPv6
    // NAT with port mapping 80 -> 8080
    for (const [proto, vip, rip] of [
      ['tcp', '192.0.2.40', '192.0.2.11'], ['udp', '192.0.2.40', '192.0.2.11'],
      ['tcp', '2001:db8::40', '2001:db8::11'], ['udp', '2001:db8::40', '2001:db8::11'],
    ] as const) {
      const port = proto === 'tcp' ? 80 : 53;
      ids[`nat-${proto}-${vip}`] = addService(dp, svcKey(proto, vip, port));
      ids[`natr-${proto}-${vip}`] = addFwdReal(dp, svcKey(proto, vip, port), rip, 'nat', proto === 'tcp' ? 8080 : 5353);
    }
    // FULLNAT, LIPs on the real servers' side
    for (const [proto, vip, rip, lip] of [
      ['tcp', '192.0.2.50', '192.0.2.12', '192.0.2.5'], ['udp', '192.0.2.50', '192.0.2.12', '192.0.2.5'],
      ['tcp', '2001:db8::50', '2001:db8::12', '2001:db8::5'], ['udp', '2001:db8::50', '2001:db8::12', '2001:db8::5'],
    ] as const) {
      const key = svcKey(proto, vip, 80);
      ids[`fnat-${proto}-${vip}`] = addService(dp, key);
      ids[`fnatr-${proto}-${vip}`] = addFwdReal(dp, key, rip, 'fullnat', 8080);
      addLaddr(dp, key, lip);
    }
    addService(dp, svcKey('tcp', '192.0.2.51', 80)); // FULLNAT without local addresses
    addFwdReal(dp, svcKey('tcp', '192.0.2.51', 80), '192.0.2.13', 'fullnat', 8080);
  });

  afterAll(() => t?.cleanup());

  function expectFrame(input: Buffer, verdict: number, expected: Buffer) {
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[verdict]);
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    return r;
  }

  // ---- TUN ----
  test('TUN IPv4 TCP: IPIP from the director, TTL kept, DSCP kept, CE becomes ECT(0), DF copied, ID 0', () => {
    const spec: PacketSpec = { ip: ip4(CIP4, '192.0.2.30', { tos: 0xbb, df: true }), l4: syn(40001, 80) };
    const inner = l3Of(packet(spec));
    const exp = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.11']!, LB_MAC, 0x0800),
      ipv4({ src: LB_IP4, dst: '192.0.2.11', protocol: 4, ttl: 61, tos: 0xba, id: 0, df: true }, inner),
    ]);
    const r = expectFrame(packet(spec), XDP_TX, exp);
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 });
    expect(realCounters(t!.dp, ids.tun4r!).inPkts).toBe(1n);
  });

  test('TUN IPv4 UDP without DF: outer without DF carries the inner ID', () => {
    const spec: PacketSpec = { ip: ip4(CIP4, '192.0.2.30', { tos: 0x10 }), l4: dgram(50001, 53), payload: Buffer.from('query') };
    const exp = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.12']!, LB_MAC, 0x0800),
      ipv4({ src: LB_IP4, dst: '192.0.2.12', protocol: 4, ttl: 61, tos: 0x10, id: 0x4242, df: false }, l3Of(packet(spec))),
    ]);
    expectFrame(packet(spec), XDP_TX, exp);
  });

  test('TUN IPv4 TCP with a VLAN tag keeps the tag', () => {
    const spec: PacketSpec = { eth: { vlan: 100 }, ip: ip4(CIP4, '192.0.2.30', { df: true }), l4: syn(40002, 80) };
    const exp = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.11']!, LB_MAC, 0x0800, 100),
      ipv4({ src: LB_IP4, dst: '192.0.2.11', protocol: 4, ttl: 61, tos: 0, id: 0, df: true }, l3Of(packet(spec), true)),
    ]);
    expectFrame(packet(spec), XDP_TX, exp);
  });

  test('TUN IPv6 TCP: ip6ip6, hop limit kept, flow label 0', () => {
    const spec: PacketSpec = { ip: ip6(CIP6, '2001:db8::30'), l4: syn(40001, 80) };
    const exp = Buffer.concat([
      ethHdr(REAL_MAC['2001:db8::11']!, LB_MAC, 0x86dd),
      ipv6({ src: LB_IP6, dst: '2001:db8::11', nextHeader: 41, hopLimit: 61, trafficClass: 0 }, l3Of(packet(spec))),
    ]);
    expectFrame(packet(spec), XDP_TX, exp);
  });

  test('TUN IPv6 service, IPv4 real: IPv6 in IPv4 (protocol 41), no DF', () => {
    const spec: PacketSpec = { ip: ip6(CIP6, '2001:db8::30'), l4: dgram(50002, 53), payload: Buffer.from('q6') };
    const r = runCounted(t!, packet(spec), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    const id = r.out.readUInt16BE(14 + 4); // a random ID: take the program's
    const exp = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.13']!, LB_MAC, 0x0800),
      ipv4({ src: LB_IP4, dst: '192.0.2.13', protocol: 41, ttl: 61, tos: 0, id, df: false }, l3Of(packet(spec))),
    ]);
    expect(r.out.toString('hex')).toBe(exp.toString('hex'));
  });

  test('TUN IPv4 service, IPv6 real: IPv4 in IPv6 (next header 4)', () => {
    const spec: PacketSpec = { ip: ip4(CIP4, '192.0.2.31', { tos: 0x2c }), l4: dgram(50003, 53), payload: Buffer.from('q4') };
    const exp = Buffer.concat([
      ethHdr(REAL_MAC['2001:db8::13']!, LB_MAC, 0x86dd),
      ipv6({ src: LB_IP6, dst: '2001:db8::13', nextHeader: 4, hopLimit: 61, trafficClass: 0x2c }, l3Of(packet(spec))),
    ]);
    expectFrame(packet(spec), XDP_TX, exp);
  });

  // ---- NAT ----
  for (const [proto, v] of [['tcp', 4], ['udp', 4], ['tcp', 6], ['udp', 6]] as const) {
    const vip = v === 4 ? '192.0.2.40' : '2001:db8::40';
    const rip = v === 4 ? '192.0.2.11' : '2001:db8::11';
    const cip = v === 4 ? CIP4 : CIP6;
    const vport = proto === 'tcp' ? 80 : 53;
    const rport = proto === 'tcp' ? 8080 : 5353;
    const ipOf = v === 4 ? ip4 : ip6;
    const l4Req = proto === 'tcp' ? syn(41000, vport) : dgram(41000, vport);
    const payload = proto === 'udp' ? Buffer.from('nat request') : undefined;

    test(`NAT IPv${v} ${proto}: request VIP:${vport} -> RIP:${rport}, reply back to VIP:${vport}, TTL-1`, () => {
      const dp = t!.dp;
      const input = packet({ ip: ipOf(cip, vip), l4: l4Req, payload });
      const expected = packet({
        eth: { dst: REAL_MAC[rip]!, src: LB_MAC }, ip: ipOf(cip, rip), l4: { ...l4Req, dport: rport }, payload,
      });
      const r = expectFrame(input, XDP_TX, expected);
      expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 });
      const c = connEntry(dp, { proto, src: cip, dst: vip, sport: 41000, dport: vport })!;
      expect(c.flags & lb_conn_flags.LB_CONN_F_PAIRED).toBeTruthy();
      const fam = v === 4 ? 'inet' : 'inet6';
      expect([wordsToAddr(c.peer_saddr, fam).ip, wordsToAddr(c.peer_daddr, fam).ip, c.peer_sport, c.peer_dport]).toEqual([cip, rip, 41000, rport]);
      const rev = connEntry(dp, { proto, src: cip, dst: rip, sport: 41000, dport: rport })!;
      expect(rev.flags).toBe(lb_conn_flags.LB_CONN_F_REVERSE | lb_conn_flags.LB_CONN_F_PAIRED);

      const l4Rep = proto === 'tcp' ? synack(rport, 41000) : dgram(rport, 41000);
      const repPayload = proto === 'udp' ? Buffer.from('nat reply!') : undefined;
      const hop = v === 4 ? { ttl: 64 } : { hopLimit: 64 };
      const reply = packet({ eth: { src: REAL_MAC[rip]!, dst: LB_MAC }, ip: ipOf(rip, cip, hop), l4: l4Rep, payload: repPayload });
      const hopOut = v === 4 ? { ttl: 63 } : { hopLimit: 63 };
      const out = packet({
        eth: { dst: ROUTER_NEXTHOP_MAC, src: LB_MAC }, ip: ipOf(vip, cip, hopOut), l4: { ...l4Rep, sport: vport }, payload: repPayload,
      });
      const before = svcCounters(dp, ids[`nat-${proto}-${vip}`]!);
      const rr = expectFrame(reply, XDP_TX, out);
      expect(rr.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_REPLY_NAT: 1 });
      const after = svcCounters(dp, ids[`nat-${proto}-${vip}`]!);
      expect(after.outPkts - before.outPkts).toBe(1n);
      const rc = realCounters(dp, ids[`natr-${proto}-${vip}`]!);
      expect(rc.outPkts).toBe(1n);
    });
  }

  test('NAT IPv4 UDP without checksum: stays without (0)', () => {
    const input = packet({ ip: ip4(CIP4, '192.0.2.40'), l4: dgram(41001, 53, { csum: 0 }), payload: Buffer.from('nocsum') });
    const expected = packet({
      eth: { dst: REAL_MAC['192.0.2.11']!, src: LB_MAC }, ip: ip4(CIP4, '192.0.2.11'), l4: dgram(41001, 5353, { csum: 0 }), payload: Buffer.from('nocsum'),
    });
    expectFrame(input, XDP_TX, expected);
  });

  test('NAT reply with TTL 1 goes to the kernel (it sends time exceeded)', () => {
    packet({ ip: ip4(CIP4, '192.0.2.40'), l4: syn(41002, 80) });
    runCounted(t!, packet({ ip: ip4(CIP4, '192.0.2.40'), l4: syn(41002, 80) }), net.ifindex);
    const reply = packet({ ip: ip4('192.0.2.11', CIP4, { ttl: 1 }), l4: synack(8080, 41002) });
    const r = runCounted(t!, reply, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.delta).toEqual({ LB_STAT_PASS_REPLY_TTL: 1 });
  });

  test('a packet from a NAT real that belongs to no connection is not translated', () => {
    const stray = packet({ ip: ip4('192.0.2.11', CIP4), l4: synack(8080, 49999) });
    const r = runCounted(t!, stray, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.delta).toEqual({ LB_STAT_PASS_NOT_VIP: 1 });
  });

  // ---- FULLNAT ----
  for (const [proto, v] of [['tcp', 4], ['udp', 4], ['tcp', 6], ['udp', 6]] as const) {
    const vip = v === 4 ? '192.0.2.50' : '2001:db8::50';
    const rip = v === 4 ? '192.0.2.12' : '2001:db8::12';
    const lip = v === 4 ? '192.0.2.5' : '2001:db8::5';
    const cip = v === 4 ? CIP4 : CIP6;
    const ipOf = v === 4 ? ip4 : ip6;
    const fam = v === 4 ? 'inet' : 'inet6';
    const l4Req = proto === 'tcp' ? syn(42000, 80) : dgram(42000, 80);
    const payload = proto === 'udp' ? Buffer.from('fullnat request') : undefined;

    test(`FULLNAT IPv${v} ${proto}: CIP:cport -> LIP:lport, VIP:80 -> RIP:8080; reply reversed`, () => {
      const dp = t!.dp;
      const input = packet({ ip: ipOf(cip, vip), l4: l4Req, payload });
      const r = runCounted(t!, input, net.ifindex);
      expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
      const c = connEntry(dp, { proto, src: cip, dst: vip, sport: 42000, dport: 80 })!;
      expect(wordsToAddr(c.peer_saddr, fam).ip).toBe(lip);
      expect(wordsToAddr(c.peer_daddr, fam).ip).toBe(rip);
      const lport = c.peer_sport;
      expect(lport).toBeGreaterThanOrEqual(1024);
      expect(c.peer_dport).toBe(8080);
      const expected = packet({
        eth: { dst: REAL_MAC[rip]!, src: LB_MAC }, ip: ipOf(lip, rip), l4: { ...l4Req, sport: lport, dport: 8080 }, payload,
      });
      expect(r.out.toString('hex')).toBe(expected.toString('hex'));

      const l4Rep = proto === 'tcp' ? synack(8080, lport) : dgram(8080, lport);
      const repPayload = proto === 'udp' ? Buffer.from('fullnat reply') : undefined;
      const hop = v === 4 ? { ttl: 64 } : { hopLimit: 64 };
      const reply = packet({ ip: ipOf(rip, lip, hop), l4: l4Rep, payload: repPayload });
      const hopOut = v === 4 ? { ttl: 63 } : { hopLimit: 63 };
      const out = packet({
        eth: { dst: ROUTER_NEXTHOP_MAC, src: LB_MAC }, ip: ipOf(vip, cip, hopOut), l4: { ...l4Rep, sport: 80, dport: 42000 }, payload: repPayload,
      });
      const rr = expectFrame(reply, XDP_TX, out);
      expect(rr.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_REPLY_NAT: 1 });
    });
  }

  test('FULLNAT: 200 connections get 200 different local ports, each with its reverse entry', () => {
    const dp = t!.dp;
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const r = runCounted(t!, packet({ ip: ip4(`198.51.100.${10 + (i % 50)}`, '192.0.2.50'), l4: syn(30000 + i, 80) }), net.ifindex);
      expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
      const c = connEntry(dp, { proto: 'tcp', src: `198.51.100.${10 + (i % 50)}`, dst: '192.0.2.50', sport: 30000 + i, dport: 80 })!;
      seen.add(c.peer_sport);
      const rev = connEntry(dp, { proto: 'tcp', src: '192.0.2.5', dst: '192.0.2.12', sport: c.peer_sport, dport: 8080 });
      expect(rev?.flags).toBe(lb_conn_flags.LB_CONN_F_REVERSE | lb_conn_flags.LB_CONN_F_PAIRED);
    }
    expect(seen.size).toBe(200);
  });

  test('FULLNAT without local addresses: dropped, counted', () => {
    const r = runCounted(t!, packet({ ip: ip4(CIP4, '192.0.2.51'), l4: syn(42001, 80) }), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[XDP_DROP]);
    expect(r.delta).toEqual({ LB_STAT_DROP_NO_LADDR: 1, LB_STAT_CONN_NEW: 1 });
  });

  test('IP options are kept and counted (NAT)', () => {
    const opts = Buffer.from([1, 1, 1, 0]); // NOP NOP NOP EOL
    const input = packet({ ip: ip4(CIP4, '192.0.2.40', { options: opts }), l4: syn(41003, 80) });
    const expected = packet({ eth: { dst: REAL_MAC['192.0.2.11']!, src: LB_MAC }, ip: ip4(CIP4, '192.0.2.11', { options: opts }), l4: syn(41003, 8080) });
    const r = expectFrame(input, XDP_TX, expected);
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1, LB_STAT_IPV4_OPTIONS: 1 });
  });

  test('ethType helper agrees', () => {
    expect(ethType('192.0.2.1')).toBe(0x0800);
  });
});
