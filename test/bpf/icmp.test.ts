// ICMP, byte for byte: too-big answers written by the program (TUN), and ICMP errors
// about NAT/FULLNAT connections translated both ways.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  LB_MAC, REAL_MAC, VERDICT_NAME, addService, connEntry, describeBpf, loadForTest, runCounted, setupFibNetns, svcKey,
  type FibNetns, type TestDirector,
} from './harness.js';
import { CLIENT_MAC, ROUTER_MAC, TCP, packet } from './packets.js';
import { ROUTER_NEXTHOP_MAC, addFwdReal, answerId, addLaddr, ethHdr, icmp4, icmp6, ipv4, ipv6, l3Of, setupClientRoutes } from './fwd-helpers.js';

const maybe = describeBpf('icmp');
const CIP4 = '198.51.100.8';
const CIP6 = '2001:db8:ffff::8';


maybe('ICMP (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;

  beforeAll(() => {
    net = setupFibNetns();
    setupClientRoutes();
    t = loadForTest();
    addService(t.dp, svcKey('tcp', '192.0.2.60', 80));
    addFwdReal(t.dp, svcKey('tcp', '192.0.2.60', 80), '192.0.2.11', 'tun');
    addService(t.dp, svcKey('udp', '2001:db8::60', 53));
    addFwdReal(t.dp, svcKey('udp', '2001:db8::60', 53), '2001:db8::11', 'tun');
    addService(t.dp, svcKey('udp', '192.0.2.61', 53));
    addFwdReal(t.dp, svcKey('udp', '192.0.2.61', 53), '192.0.2.12', 'nat', 5353);
    addService(t.dp, svcKey('udp', '192.0.2.62', 53));
    addFwdReal(t.dp, svcKey('udp', '192.0.2.62', 53), '192.0.2.13', 'fullnat', 5353);
    addLaddr(t.dp, svcKey('udp', '192.0.2.62', 53), '192.0.2.6');
  });
  afterAll(() => t?.cleanup());

  test('TUN IPv4, DF, 1490 bytes: fragmentation needed, MTU 1480, from the VIP, 548 bytes quoted', () => {
    const input = packet({
      eth: { src: CLIENT_MAC, dst: ROUTER_MAC },
      ip: { v: 4, src: CIP4, dst: '192.0.2.60', df: true, tos: 0x28, ttl: 60 },
      l4: { proto: 'tcp', sport: 43000, dport: 80, flags: TCP.SYN },
      payload: Buffer.alloc(1490 - 40, 0x61),
    });
    const quote = l3Of(input).subarray(0, 548);
    const mtu = Buffer.from([0, 0, 0x05, 0xc8]); // unused 0, next-hop MTU 1480
    const r = runCounted(t!, input, net.ifindex);
    const expected = Buffer.concat([
      ethHdr(CLIENT_MAC, ROUTER_MAC, 0x0800),
      ipv4({ src: '192.0.2.60', dst: CIP4, protocol: 1, ttl: 64, tos: 0xc8, id: answerId(r.out), df: false }, icmp4(3, 4, mtu, quote)),
    ]);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_TOO_BIG: 1, LB_STAT_CONN_NEW: 1 });
  });

  test('TUN IPv4 without DF and too big: dropped and counted (XDP cannot fragment)', () => {
    const input = packet({
      ip: { v: 4, src: CIP4, dst: '192.0.2.60' }, l4: { proto: 'tcp', sport: 43001, dport: 80, flags: TCP.SYN },
      payload: Buffer.alloc(1490 - 40),
    });
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_DROP');
    expect(r.delta).toEqual({ LB_STAT_DROP_TOO_BIG: 1, LB_STAT_CONN_NEW: 1 });
  });

  test('TUN IPv6, 1470 bytes: packet too big, MTU 1460, 1232 bytes quoted', () => {
    const input = packet({
      eth: { src: CLIENT_MAC, dst: ROUTER_MAC },
      ip: { v: 6, src: CIP6, dst: '2001:db8::60' }, l4: { proto: 'udp', sport: 43002, dport: 53 },
      payload: Buffer.alloc(1470 - 48, 0x62),
    });
    const quote = l3Of(input).subarray(0, 1232);
    const expected = Buffer.concat([
      ethHdr(CLIENT_MAC, ROUTER_MAC, 0x86dd),
      ipv6({ src: '2001:db8::60', dst: CIP6, nextHeader: 58, hopLimit: 64, trafficClass: 0 },
        icmp6('2001:db8::60', CIP6, 2, 0, Buffer.from([0, 0, 0x05, 0xb4]), quote)),
    ]);
    const r = runCounted(t!, input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
  });

  test('NAT: port unreachable from the real goes to the client as from the VIP, quoting VIP:53', () => {
    runCounted(t!, packet({ ip: { v: 4, src: CIP4, dst: '192.0.2.61' }, l4: { proto: 'udp', sport: 43100, dport: 53 }, payload: Buffer.from('q') }), net.ifindex);
    // what the real received, quoted in its error
    const seen = l3Of(packet({ ip: { v: 4, src: CIP4, dst: '192.0.2.12' }, l4: { proto: 'udp', sport: 43100, dport: 5353 }, payload: Buffer.from('q') }));
    const err = Buffer.concat([
      ethHdr(LB_MAC, REAL_MAC['192.0.2.12']!, 0x0800),
      ipv4({ src: '192.0.2.12', dst: CIP4, protocol: 1, ttl: 64, tos: 0xc0, id: 7, df: false }, icmp4(3, 3, Buffer.alloc(4), seen)),
    ]);
    // the client must see its own datagram quoted, answered by the VIP
    const mine = l3Of(packet({ ip: { v: 4, src: CIP4, dst: '192.0.2.61' }, l4: { proto: 'udp', sport: 43100, dport: 53 }, payload: Buffer.from('q') }));
    const quoted = Buffer.from(mine);
    quoted.writeUInt16BE(seen.readUInt16BE(20 + 6), 20 + 6); // the quoted UDP checksum is left as the real saw it (IPVS)
    const expected = Buffer.concat([
      ethHdr(ROUTER_NEXTHOP_MAC, LB_MAC, 0x0800),
      ipv4({ src: '192.0.2.61', dst: CIP4, protocol: 1, ttl: 63, tos: 0xc0, id: 7, df: false }, icmp4(3, 3, Buffer.alloc(4), quoted)),
    ]);
    const r = runCounted(t!, err, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_ICMP_FWD: 1 });
  });

  test('FULLNAT: an error about a reply (router -> VIP) reaches the real from LIP, quoting RIP -> LIP:lport', () => {
    runCounted(t!, packet({ ip: { v: 4, src: CIP4, dst: '192.0.2.62' }, l4: { proto: 'udp', sport: 43200, dport: 53 }, payload: Buffer.from('q') }), net.ifindex);
    const c = connEntry(t!.dp, { proto: 'udp', src: CIP4, dst: '192.0.2.62', sport: 43200, dport: 53 })!;
    const lport = c.peer_sport;
    // our reply to the client, as a router quotes it
    const reply = l3Of(packet({ ip: { v: 4, src: '192.0.2.62', dst: CIP4, ttl: 63 }, l4: { proto: 'udp', sport: 53, dport: 43200 }, payload: Buffer.from('a') }));
    const err = Buffer.concat([
      ethHdr(LB_MAC, ROUTER_NEXTHOP_MAC, 0x0800),
      ipv4({ src: '198.51.100.1', dst: '192.0.2.62', protocol: 1, ttl: 60, tos: 0xc0, id: 9, df: false }, icmp4(3, 1, Buffer.alloc(4), reply)),
    ]);
    const realSent = l3Of(packet({ ip: { v: 4, src: '192.0.2.13', dst: '192.0.2.6', ttl: 63 }, l4: { proto: 'udp', sport: 5353, dport: lport }, payload: Buffer.from('a') }));
    const quoted = Buffer.from(realSent);
    quoted.writeUInt16BE(reply.readUInt16BE(20 + 6), 20 + 6);
    const expected = Buffer.concat([
      ethHdr(REAL_MAC['192.0.2.13']!, LB_MAC, 0x0800),
      ipv4({ src: '192.0.2.6', dst: '192.0.2.13', protocol: 1, ttl: 60, tos: 0xc0, id: 9, df: false }, icmp4(3, 1, Buffer.alloc(4), quoted)),
    ]);
    const r = runCounted(t!, err, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
  });

  test('an echo request to a VIP still goes to the kernel', () => {
    const r = runCounted(t!, packet({ ip: { v: 4, src: CIP4, dst: '192.0.2.60' }, l4: { proto: 'icmp' } }), net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.delta).toEqual({ LB_STAT_PASS_OTHER_PROTO: 1 });
  });
});
