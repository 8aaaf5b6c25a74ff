// ICMP, byte for byte, the cases icmp.test.ts leaves out: errors about a DR or TUN
// connection's reply delivered to its real server (DR: new MACs only; TUN: in IPIP /
// ip6ip6 like the connection's packets), and NAT/FULLNAT replies too big for the
// egress (FULLNAT: the director answers the real from the LIP; NAT: the kernel does).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  LB_IP4, LB_IP6, LB_MAC, REAL_MAC, VERDICT_NAME, addService, connEntry, describeBpf, loadForTest, realCounters, runCounted,
  setupFibNetns, svcKey, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, packet, type PacketSpec } from './packets.js';
import { addFwdReal, addLaddr, answerId, ethHdr, icmp4, icmp6, ipv4, ipv6, l3Of, setupClientRoutes } from './fwd-helpers.js';

const maybe = describeBpf('icmp-more');
const CIP4 = '198.51.100.9';
const CIP6 = '2001:db8:ffff::9';
/** A router between the director and the clients that reports errors. */
const HOP4 = '203.0.113.1';
const HOP6 = '2001:db8:ffff::1';
const HOP_MAC = '02:00:00:00:00:e1';


const syn = (sport: number, dport: number) => ({ proto: 'tcp' as const, sport, dport, flags: TCP.SYN, seq: 0x11223344 });
const synack = (sport: number, dport: number) => ({ proto: 'tcp' as const, sport, dport, flags: TCP.SYN | TCP.ACK, seq: 0x55667788, ack: 0x11223345 });

maybe('ICMP for DR and TUN, NAT/FULLNAT replies too big (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;
  const ids: Record<string, number> = {};

  beforeAll(() => {
    net = setupFibNetns();
    setupClientRoutes();
    t = loadForTest();
    const dp = t.dp;
    addService(dp, svcKey('tcp', '192.0.2.70', 80));
    ids.dr4 = addFwdReal(dp, svcKey('tcp', '192.0.2.70', 80), '192.0.2.11', 'dr');
    addService(dp, svcKey('udp', '2001:db8::70', 53));
    ids.dr6 = addFwdReal(dp, svcKey('udp', '2001:db8::70', 53), '2001:db8::11', 'dr');
    addService(dp, svcKey('tcp', '192.0.2.71', 80));
    ids.tun4 = addFwdReal(dp, svcKey('tcp', '192.0.2.71', 80), '192.0.2.12', 'tun');
    addService(dp, svcKey('tcp', '2001:db8::71', 80));
    ids.tun6 = addFwdReal(dp, svcKey('tcp', '2001:db8::71', 80), '2001:db8::12', 'tun');
    addService(dp, svcKey('tcp', '192.0.2.72', 80));
    addFwdReal(dp, svcKey('tcp', '192.0.2.72', 80), '192.0.2.13', 'nat', 8080);
    addService(dp, svcKey('tcp', '2001:db8::72', 80));
    addFwdReal(dp, svcKey('tcp', '2001:db8::72', 80), '2001:db8::13', 'nat', 8080);
    addService(dp, svcKey('tcp', '192.0.2.73', 80));
    addFwdReal(dp, svcKey('tcp', '192.0.2.73', 80), '192.0.2.13', 'fullnat', 8080);
    addLaddr(dp, svcKey('tcp', '192.0.2.73', 80), '192.0.2.7');
    addService(dp, svcKey('tcp', '2001:db8::73', 80));
    addFwdReal(dp, svcKey('tcp', '2001:db8::73', 80), '2001:db8::13', 'fullnat', 8080);
    addLaddr(dp, svcKey('tcp', '2001:db8::73', 80), '2001:db8::7');
  });
  afterAll(() => t?.cleanup());

  /** The client's first packet: makes the connection entry. */
  function open(spec: PacketSpec): void {
    const r = runCounted(t!, packet(spec), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
  }

  // ---- DR: the error is about a reply VIP -> CIP that the real sent; it goes to the
  // real as the connection's packets do, with new MACs and nothing else changed ----

  test('DR IPv4: host unreachable about a reply goes to the real, only the MACs changed', () => {
    open({ ip: { v: 4, src: CIP4, dst: '192.0.2.70' }, l4: syn(44000, 80) });
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.70', dst: CIP4, ttl: 63, df: true, id: 0 }, l4: synack(80, 44000) }));
    const body = ipv4({ src: HOP4, dst: '192.0.2.70', protocol: 1, ttl: 250, tos: 0xc0, id: 0x3131, df: false }, icmp4(3, 1, Buffer.alloc(4), reply));
    const input = Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x0800), body]);
    const expected = Buffer.concat([ethHdr(REAL_MAC['192.0.2.11']!, LB_MAC, 0x0800), body]);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_FWD: 1 });
  });

  test('DR IPv6: packet too big about a UDP reply goes to the real, only the MACs changed', () => {
    open({ ip: { v: 6, src: CIP6, dst: '2001:db8::70' }, l4: { proto: 'udp', sport: 44001, dport: 53 }, payload: Buffer.from('q6') });
    const reply = l3Of(packet({ ip: { v: 6, src: '2001:db8::70', dst: CIP6, hopLimit: 63 }, l4: { proto: 'udp', sport: 53, dport: 44001 }, payload: Buffer.alloc(1400, 0x41) }));
    const quote = reply.subarray(0, 1232);
    const body = ipv6({ src: HOP6, dst: '2001:db8::70', nextHeader: 58, hopLimit: 255, trafficClass: 0 },
      icmp6(HOP6, '2001:db8::70', 2, 0, Buffer.from([0, 0, 0x05, 0x00]), quote));
    const input = Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x86dd), body]);
    const expected = Buffer.concat([ethHdr(REAL_MAC['2001:db8::11']!, LB_MAC, 0x86dd), body]);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_FWD: 1 });
  });

  test('DR: an error about a flow with no connection goes to the kernel', () => {
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.70', dst: CIP4, ttl: 63 }, l4: synack(80, 44999) }));
    const body = ipv4({ src: HOP4, dst: '192.0.2.70', protocol: 1, ttl: 250, tos: 0xc0, id: 1, df: false }, icmp4(3, 1, Buffer.alloc(4), reply));
    const r = runCounted(t!, Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x0800), body]), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.delta).toEqual({ LB_STAT_PASS_OTHER_PROTO: 1 });
  });

  // ---- TUN: the error is encapsulated towards the real like the connection's packets:
  // outer from the director's address, TTL and DSCP of the error, DF copied ----

  test('TUN IPv4: time exceeded about a reply goes to the real in IPIP', () => {
    open({ ip: { v: 4, src: CIP4, dst: '192.0.2.71' }, l4: syn(44100, 80) });
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.71', dst: CIP4, ttl: 1, df: true, id: 0 }, l4: synack(80, 44100) }));
    const err = ipv4({ src: HOP4, dst: '192.0.2.71', protocol: 1, ttl: 250, tos: 0xc0, id: 0x4141, df: false }, icmp4(11, 0, Buffer.alloc(4), reply));
    const input = Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x0800), err]);
    const expected = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.12']!, LB_MAC, 0x0800),
      ipv4({ src: LB_IP4, dst: '192.0.2.12', protocol: 4, ttl: 250, tos: 0xc0, id: 0x4141, df: false }, err),
    ]);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_FWD: 1 });
  });

  test('TUN IPv4: an error with DF set: outer DF, ID 0', () => {
    open({ ip: { v: 4, src: CIP4, dst: '192.0.2.71' }, l4: syn(44101, 80) });
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.71', dst: CIP4, ttl: 63 }, l4: synack(80, 44101) }));
    const err = ipv4({ src: HOP4, dst: '192.0.2.71', protocol: 1, ttl: 17, tos: 0xc3, id: 0x4242, df: true }, icmp4(3, 0, Buffer.alloc(4), reply));
    const expected = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.12']!, LB_MAC, 0x0800),
      // ECN CE (3) of the error becomes ECT(0) (2) outside, as INET_ECN_encapsulate
      ipv4({ src: LB_IP4, dst: '192.0.2.12', protocol: 4, ttl: 17, tos: 0xc2, id: 0, df: true }, err),
    ]);
    const r = runCounted(t!, Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x0800), err]), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
  });

  test('TUN IPv6: destination unreachable about a reply goes to the real in ip6ip6', () => {
    open({ ip: { v: 6, src: CIP6, dst: '2001:db8::71' }, l4: syn(44102, 80) });
    const reply = l3Of(packet({ ip: { v: 6, src: '2001:db8::71', dst: CIP6, hopLimit: 63 }, l4: synack(80, 44102) }));
    const err = ipv6({ src: HOP6, dst: '2001:db8::71', nextHeader: 58, hopLimit: 200, trafficClass: 0xe0 },
      icmp6(HOP6, '2001:db8::71', 1, 3, Buffer.alloc(4), reply));
    const expected = Buffer.concat([
      ethHdr(REAL_MAC['2001:db8::12']!, LB_MAC, 0x86dd),
      ipv6({ src: LB_IP6, dst: '2001:db8::12', nextHeader: 41, hopLimit: 200, trafficClass: 0xe0 }, err),
    ]);
    const r = runCounted(t!, Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x86dd), err]), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_FWD: 1 });
  });

  // LB_STAT_ICMP_FWD is counted only for an error that did leave: one that fwd_tun()
  // drops (too big, no next hop, …) counts only its drop.
  test('TUN: an error too big for the tunnel is dropped, never answered with ICMP (one verdict counted)', () => {
    open({ ip: { v: 4, src: CIP4, dst: '192.0.2.71' }, l4: syn(44103, 80) });
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.71', dst: CIP4, ttl: 63, df: true, id: 0 }, l4: { ...synack(80, 44103), flags: TCP.ACK }, payload: Buffer.alloc(1440, 0x5a) }));
    const err = ipv4({ src: HOP4, dst: '192.0.2.71', protocol: 1, ttl: 250, tos: 0xc0, id: 7, df: true }, icmp4(3, 1, Buffer.alloc(4), reply));
    expect(err.length).toBeGreaterThan(1480);
    const r = runCounted(t!, Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x0800), err]), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_DROP');
    expect(r.delta).toEqual({ LB_STAT_DROP_TOO_BIG: 1 });
  });

  // ---- NAT reply too big: the kernel forwards nothing it cannot fit and answers the
  // real itself, so the program passes it (IPv6, IPv4 with DF); IPv4 without DF is
  // dropped (XDP cannot fragment) ----

  function natReply(v: 4 | 6, sport: number, df: boolean): Buffer {
    const vip = v === 4 ? '192.0.2.72' : '2001:db8::72';
    const rip = v === 4 ? '192.0.2.13' : '2001:db8::13';
    const cip = v === 4 ? CIP4 : CIP6;
    open({ ip: v === 4 ? { v: 4, src: cip, dst: vip } : { v: 6, src: cip, dst: vip }, l4: syn(sport, 80) });
    const size = 1501; // > the 1500-byte MTU of the way to the client
    const hdr = (v === 4 ? 20 : 40) + 20;
    return packet({
      eth: { src: REAL_MAC[rip]!, dst: LB_MAC },
      ip: v === 4 ? { v: 4, src: rip, dst: cip, df, id: 0x5151 } : { v: 6, src: rip, dst: cip },
      l4: { proto: 'tcp', sport: 8080, dport: sport, flags: TCP.ACK, seq: 9, ack: 0x11223345 },
      payload: Buffer.alloc(size - hdr, 0x6e),
    });
  }

  test('NAT IPv4 reply with DF, too big: passed to the kernel untouched (it answers the real)', () => {
    const input = natReply(4, 44200, true);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.out.toString('hex')).toBe(input.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_PASS_TOO_BIG: 1 });
  });

  test('NAT IPv6 reply too big: passed to the kernel untouched', () => {
    const input = natReply(6, 44201, false);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.out.toString('hex')).toBe(input.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_PASS_TOO_BIG: 1 });
  });

  test('NAT IPv4 reply without DF, too big: dropped and counted', () => {
    const r = runCounted(t!, natReply(4, 44202, false), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_DROP');
    expect(r.delta).toEqual({ LB_STAT_DROP_TOO_BIG: 1 });
  });

  // ---- FULLNAT reply too big: the real sent it to the LIP, an address of the director:
  // the director answers it from the LIP (the kernel would not: the connection is ours) ----

  function fullnatReply(v: 4 | 6, sport: number): { input: Buffer; lport: number } {
    const vip = v === 4 ? '192.0.2.73' : '2001:db8::73';
    const rip = v === 4 ? '192.0.2.13' : '2001:db8::13';
    const lip = v === 4 ? '192.0.2.7' : '2001:db8::7';
    const cip = v === 4 ? CIP4 : CIP6;
    open({ ip: v === 4 ? { v: 4, src: cip, dst: vip } : { v: 6, src: cip, dst: vip }, l4: syn(sport, 80) });
    const lport = connEntry(t!.dp, { proto: 'tcp', src: cip, dst: vip, sport, dport: 80 })!.peer_sport;
    const hdr = (v === 4 ? 20 : 40) + 20;
    const input = packet({
      eth: { src: REAL_MAC[rip]!, dst: LB_MAC },
      ip: v === 4 ? { v: 4, src: rip, dst: lip, df: true, id: 0, tos: 0x2b } : { v: 6, src: rip, dst: lip },
      l4: { proto: 'tcp', sport: 8080, dport: lport, flags: TCP.ACK, seq: 9, ack: 0x11223345 },
      payload: Buffer.alloc(1600 - hdr, 0x66),
    });
    return { input, lport };
  }

  test('FULLNAT IPv4 reply with DF, too big: fragmentation needed from the LIP to the real, MTU 1500, 548 bytes quoted', () => {
    const { input } = fullnatReply(4, 44300);
    const quote = l3Of(input).subarray(0, 548);
    const r = runCounted(t!, input, net.ifindex);
    const expected = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.13']!, LB_MAC, 0x0800),
      ipv4({ src: '192.0.2.7', dst: '192.0.2.13', protocol: 1, ttl: 64, tos: 0xc0 | (0x2b & 0x1e), id: answerId(r.out), df: false },
        icmp4(3, 4, Buffer.from([0, 0, 0x05, 0xdc]), quote)),
    ]);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_TOO_BIG: 1 });
  });

  test('FULLNAT IPv6 reply too big: packet too big from the LIP to the real, MTU 1500, 1232 bytes quoted', () => {
    const { input } = fullnatReply(6, 44301);
    const quote = l3Of(input).subarray(0, 1232);
    const expected = Buffer.concat([
      ethHdr(REAL_MAC['2001:db8::13']!, LB_MAC, 0x86dd),
      ipv6({ src: '2001:db8::7', dst: '2001:db8::13', nextHeader: 58, hopLimit: 64, trafficClass: 0 },
        icmp6('2001:db8::7', '2001:db8::13', 2, 0, Buffer.from([0, 0, 0x05, 0xdc]), quote)),
    ]);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_TOO_BIG: 1 });
  });

  // As ip_vs_in_icmp() (ip_vs_in_stats): a forwarded ICMP error is the connection's
  // incoming traffic, counted in its real's and service's InPkts/InBytes.
  test('DR/TUN errors count as the connection real\'s incoming traffic (IPVS: ip_vs_in_stats in ip_vs_in_icmp)', () => {
    open({ ip: { v: 4, src: CIP4, dst: '192.0.2.70' }, l4: syn(44400, 80) });
    const before = realCounters(t!.dp, ids.dr4!);
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.70', dst: CIP4, ttl: 63 }, l4: synack(80, 44400) }));
    const body = ipv4({ src: HOP4, dst: '192.0.2.70', protocol: 1, ttl: 250, tos: 0xc0, id: 2, df: false }, icmp4(3, 1, Buffer.alloc(4), reply));
    runCounted(t!, Buffer.concat([ethHdr(LB_MAC, HOP_MAC, 0x0800), body]), net.ifindex);
    const after = realCounters(t!.dp, ids.dr4!);
    expect([after.inPkts - before.inPkts, after.inBytes - before.inBytes]).toEqual([1n, BigInt(body.length)]);
  });
});
