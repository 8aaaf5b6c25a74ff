// The NAT/FULLNAT reply cache (bpf/include/replycache.h) answers only what nat_reply()
// would have: replies of one connection run back to back (the cache serves the third
// reply on when they fall in one window of 4 jiffies, which a few microseconds apart
// they nearly always do; cases that depend on it are repeated over many connections),
// and each case checks what the full path would have done.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  LB_MAC, REAL_MAC, VERDICT_NAME, XDP_DROP, XDP_PASS, XDP_TX, addService, connEntry, connKey, describeBpf,
  loadForTest, realCounters, runCounted, setupFibNetns, svcCounters, svcKey, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, corrupt, packet, type PacketSpec } from './packets.js';
import { ROUTER_NEXTHOP_MAC, addFwdReal, addLaddr, setupClientRoutes } from './fwd-helpers.js';
import { lb_tcp_state } from '../../src/bpf/generated/layout.js';
import { wordsToAddr } from '../../src/bpf/addr.js';

const maybe = describeBpf('replycache');

const ROUNDS = 40;
const IP_CSUM_AT = 14 + 10; // Ethernet, then the IPv4 header checksum

/** One service of each kind whose replies come back through the director. */
interface Case {
  name: string;
  proto: 'tcp' | 'udp';
  fwd: 'nat' | 'fullnat';
  vip: string;
  rip: string;
  cip: string;
  lip?: string;
}
const CASES: Case[] = [
  { name: 'NAT IPv4 TCP', proto: 'tcp', fwd: 'nat', vip: '192.0.2.80', rip: '192.0.2.11', cip: '198.51.100.7' },
  { name: 'NAT IPv4 UDP', proto: 'udp', fwd: 'nat', vip: '192.0.2.80', rip: '192.0.2.11', cip: '198.51.100.7' },
  { name: 'NAT IPv6 TCP', proto: 'tcp', fwd: 'nat', vip: '2001:db8::80', rip: '2001:db8::11', cip: '2001:db8:ffff::7' },
  { name: 'FULLNAT IPv4 TCP', proto: 'tcp', fwd: 'fullnat', vip: '192.0.2.81', rip: '192.0.2.12', cip: '198.51.100.7', lip: '192.0.2.5' },
  { name: 'FULLNAT IPv6 UDP', proto: 'udp', fwd: 'fullnat', vip: '2001:db8::81', rip: '2001:db8::12', cip: '2001:db8:ffff::7', lip: '2001:db8::5' },
];
const VPORT = 80, RPORT = 8080;

maybe('per-CPU NAT/FULLNAT reply cache', () => {
  let t: TestDirector;
  let net: FibNetns;
  const svcIds = new Map<Case, number>();
  const realIds = new Map<Case, number>();
  let cport = 30000;

  beforeAll(() => {
    net = setupFibNetns();
    setupClientRoutes();
    t = loadForTest();
    for (const c of CASES) {
      const key = svcKey(c.proto, c.vip, VPORT);
      svcIds.set(c, addService(t.dp, key, 'rr'));
      realIds.set(c, addFwdReal(t.dp, key, c.rip, c.fwd, RPORT));
      if (c.lip) addLaddr(t.dp, key, c.lip);
    }
  }, 60_000);

  afterAll(() => t?.cleanup());

  const send = (b: Buffer) => runCounted(t, b, net.ifindex);
  const ipOf = (src: string, dst: string, more: object = {}): PacketSpec['ip'] =>
    src.includes(':') ? { v: 6, src, dst, hopLimit: 64, ...more } : { v: 4, src, dst, ttl: 64, id: 0x4243, ...more };
  const l4Of = (c: Case, sport: number, dport: number, flags: number): PacketSpec['l4'] =>
    c.proto === 'tcp' ? { proto: 'tcp', sport, dport, flags, seq: 7, ack: 9 } : { proto: 'udp', sport, dport };

  /** A new connection of c (the client's first packet forwarded); the reply's tuple. */
  function open(c: Case): { cport: number; replySrc: string; replyDst: string; replyDport: number } {
    const port = ++cport;
    const first = packet({ ip: ipOf(c.cip, c.vip), l4: l4Of(c, port, VPORT, TCP.SYN), payload: c.proto === 'udp' ? Buffer.from('q') : undefined });
    expect(VERDICT_NAME[send(first).verdict]).toBe('XDP_TX');
    if (c.fwd === 'nat') return { cport: port, replySrc: c.rip, replyDst: c.cip, replyDport: port };
    const ce = connEntry(t.dp, { proto: c.proto, src: c.cip, dst: c.vip, sport: port, dport: VPORT })!;
    const fam = c.cip.includes(':') ? 'inet6' : 'inet';
    expect(wordsToAddr(ce.peer_saddr, fam).ip).toBe(c.lip);
    return { cport: port, replySrc: c.rip, replyDst: c.lip!, replyDport: ce.peer_sport };
  }

  /** The real's reply of connection o; TCP flags ACK|PSH unless given. */
  function reply(c: Case, o: ReturnType<typeof open>, flags = TCP.ACK | TCP.PSH, more: object = {}, size?: number): Buffer {
    const hdr = (c.rip.includes(':') ? 40 : 20) + (c.proto === 'tcp' ? 20 : 8);
    return packet({
      eth: { src: REAL_MAC[c.rip]!, dst: LB_MAC },
      ip: ipOf(c.rip, o.replyDst, more),
      l4: l4Of(c, RPORT, o.replyDport, flags),
      payload: Buffer.alloc(size ? size - hdr : 12, 0x72),
    });
  }

  /**
   * Replies until one went the full way leaving the state as it was, which fills the
   * cache; returns that reply's frame. TCP: the first moves SYN_RECV → ESTABLISHED
   * (OUTPUT table) and is not cached, the second is; UDP: the first.
   */
  function warm(c: Case, o: ReturnType<typeof open>): Buffer {
    let r = send(reply(c, o));
    if (c.proto === 'tcp') r = send(reply(c, o));
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
    return r.out;
  }

  const forget = (c: Case, o: ReturnType<typeof open>) => {
    const del = (src: string, dst: string, sport: number, dport: number) =>
      t.dp.maps.lb_conns.delete(connKey({ proto: c.proto, src, dst, sport, dport }));
    del(c.cip, c.vip, o.cport, VPORT); // the client-side entry
    del(o.replyDst, c.rip, o.replyDport, RPORT); // the reverse entry (NAT: from CIP, FULLNAT: from LIP)
  };

  test.each(CASES)('$name: every later reply leaves exactly as the full path sent the last, counted once each', (c) => {
    for (let round = 0; round < 10; round++) {
      const o = open(c);
      const full = warm(c, o);
      const fam = c.vip.includes(':');
      // the full path's frame: from VIP:vport to the client, via the router, TTL - 1
      expect(full.subarray(0, 6).equals(Buffer.from(ROUTER_NEXTHOP_MAC.split(':').map((x) => parseInt(x, 16))))).toBe(true);
      expect(full.length).toBeGreaterThan(fam ? 54 : 34);
      const svc0 = svcCounters(t.dp, svcIds.get(c)!), real0 = realCounters(t.dp, realIds.get(c)!);
      const input = reply(c, o);
      for (let i = 0; i < 6; i++) {
        const r = send(input);
        expect(VERDICT_NAME[r.verdict]).toBe('XDP_TX');
        expect(r.out.toString('hex')).toBe(full.toString('hex'));
        expect(r.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_REPLY_NAT: 1 });
      }
      const svc1 = svcCounters(t.dp, svcIds.get(c)!), real1 = realCounters(t.dp, realIds.get(c)!);
      const len = BigInt(fam ? input.readUInt16BE(14 + 4) + 40 : input.readUInt16BE(14 + 2));
      expect([svc1.outPkts - svc0.outPkts, svc1.outBytes - svc0.outBytes]).toEqual([6n, 6n * len]);
      expect([real1.outPkts - real0.outPkts, real1.outBytes - real0.outBytes]).toEqual([6n, 6n * len]);
      expect(svc1.inPkts).toBe(svc0.inPkts);
    }
  });

  test.each(CASES)('$name: replies are answered from the cache within its window, and not after it', async (c) => {
    // The pair's entries removed right after a reply filled the slot: the full path
    // would no longer translate (no reverse entry), the cache still does, for 4
    // jiffies at most. A few syscalls fit in one window nearly always.
    let served = 0;
    const gone: Array<ReturnType<typeof open>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const o = open(c);
      warm(c, o);
      forget(c, o);
      if (send(reply(c, o)).verdict === XDP_TX) served++;
      gone.push(o);
    }
    // Without the cache nothing would be served; a round that outlasts its window is not.
    expect(served).toBeGreaterThanOrEqual(ROUNDS / 2);
    await new Promise((r) => setTimeout(r, 100)); // past 4 jiffies at any HZ (>= 100)
    for (const o of gone) {
      const r = send(reply(c, o));
      expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[XDP_PASS]);
      expect(r.delta).toEqual({ LB_STAT_PASS_NOT_VIP: 1 });
    }
  });

  const nat4 = CASES[0]!;

  test('a cached reply with a bad IPv4 header checksum is dropped, not sent', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const o = open(nat4);
      warm(nat4, o);
      const r = send(corrupt(reply(nat4, o), IP_CSUM_AT, 0x5a));
      expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[XDP_DROP]);
      expect(r.delta).toEqual({ LB_STAT_DROP_MALFORMED: 1 });
    }
  });

  test('a cached reply with TTL 1 goes to the kernel untouched (it sends time exceeded)', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const o = open(nat4);
      warm(nat4, o);
      const input = reply(nat4, o, TCP.ACK, { ttl: 1 });
      const r = send(input);
      expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[XDP_PASS]);
      expect(r.out.toString('hex')).toBe(input.toString('hex'));
      expect(r.delta).toEqual({ LB_STAT_PASS_REPLY_TTL: 1 });
    }
  });

  test('a FIN from the real after cached replies takes the full path: the connection leaves ESTABLISHED', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const o = open(nat4);
      warm(nat4, o);
      expect(VERDICT_NAME[send(reply(nat4, o, TCP.FIN | TCP.ACK)).verdict]).toBe('XDP_TX');
      const ce = connEntry(t.dp, { proto: 'tcp', src: nat4.cip, dst: nat4.vip, sport: o.cport, dport: VPORT });
      expect(ce?.state).toBe(lb_tcp_state.LB_TCP_FIN_WAIT);
    }
  });

  test('a cached connection\'s reply larger than the way to the client goes the full way (DF: to the kernel)', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const o = open(nat4);
      warm(nat4, o);
      const input = reply(nat4, o, TCP.ACK, { df: true }, 1501); // > the 1500-byte MTU
      const r = send(input);
      expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[XDP_PASS]);
      expect(r.out.toString('hex')).toBe(input.toString('hex'));
      expect(r.delta).toEqual({ LB_STAT_PASS_TOO_BIG: 1 });
    }
  });
});
