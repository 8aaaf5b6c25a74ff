// The per-CPU flow cache (bpf/include/flowcache.h) answers only what lb_conns would
// have answered: these cases run packets of one flow back to back (the cache serves
// the third packet on when they fall in one window of 4 jiffies, which a few
// microseconds apart they nearly always do; each case is repeated over many flows so
// that it is exercised whatever the clock does) and check what the full path would
// have done.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  LB_MAC, REAL_MAC, REALS4, XDP_DROP, XDP_PASS, XDP_TX, VERDICT_NAME, addReal, addService, connEntry, connKey, describeBpf,
  loadForTest, realCounters, run, setupFibNetns, svcCounters, svcKey, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, corrupt, macText, tcp, udp } from './packets.js';
import { addFwdReal, addLaddr, setupClientRoutes } from './fwd-helpers.js';
import type { ForwardMethod } from '../../src/model/types.js';
import { execFileSync } from 'node:child_process';
import { possibleCpus, u32Key } from '../../src/bpf/map.js';
import { pinPaths } from '../../src/bpf/pins.js';
import { lb_limits, lb_real, lb_real_flags, lb_tcp_state } from '../../src/bpf/generated/layout.js';

const maybe = describeBpf('flowcache');

/**
 * Test oracle: flowcache.h's flow_hash for an IPv4 TCP key, masked as cache_slot
 * masks it, without the CPU's offset. Words are read as the program reads them (little-endian loads of
 * network-order bytes). If the two drift apart, the three-flow test below fails
 * (its flows no longer share a set), it does not pass vacuously.
 */
function slotOf(src: string, dst: string, sport: number, dport: number): number {
  const word = (ip: string) => Buffer.from(ip.split('.').map(Number)).readUInt32LE(0);
  const be16 = (n: number) => ((n & 0xff) << 8) | (n >>> 8);
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = word(src);
  h ^= rotl(word(dst), 11);
  h ^= rotl(((be16(sport) << 16) | be16(dport)) >>> 0, 23) ^ 6;
  h >>>= 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) & (lb_limits.LB_FLOW_SLOTS - 1);
}

const VIP = '192.0.2.10';
const CIP = '198.51.100.9';
const ROUNDS = 40;
const IP_CSUM_AT = 14 + 10; // Ethernet, then the IPv4 header checksum
const METHODS: ForwardMethod[] = ['tun', 'nat', 'fullnat'];

maybe('per-CPU flow cache in front of lb_conns', () => {
  let t: TestDirector;
  let net: FibNetns;
  let tcpSvc: number;
  let udpSvc: number;
  const tcpReals = new Map<string, number>();
  let sport = 20000;

  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
    const tk = svcKey('tcp', VIP, 80);
    tcpSvc = addService(t.dp, tk, 'rr');
    for (const rip of REALS4) tcpReals.set(rip, addReal(t.dp, tk, rip));
    const uk = svcKey('udp', VIP, 53);
    udpSvc = addService(t.dp, uk, 'rr');
    for (const rip of REALS4) addReal(t.dp, uk, rip);
    setupClientRoutes();
    for (const [i, fwd] of METHODS.entries()) {
      const key = svcKey(fwd === 'tun' ? 'tcp' : 'udp', `192.0.2.${60 + i}`, 80);
      addService(t.dp, key, 'rr');
      addFwdReal(t.dp, key, REALS4[i]!, fwd, fwd === 'tun' ? 80 : 8080);
      if (fwd === 'fullnat') addLaddr(t.dp, key, '192.0.2.5');
    }
  }, 60_000);

  afterAll(() => t?.cleanup());

  const send = (b: Buffer) => run(t.progFd, b, net.ifindex);
  const ack = (port: number, flags = TCP.ACK | TCP.PSH) => tcp(CIP, VIP, port, 80, flags);
  const realOf = (frame: Buffer) => REALS4.find((ip) => REAL_MAC[ip] === macText(frame.subarray(0, 6)));

  /** A new TCP flow, established and forwarded twice (the second ACK fills the cache). */
  function established(port = ++sport): { port: number; real: string } {
    const syn = send(tcp(CIP, VIP, port, 80, TCP.SYN));
    expect(VERDICT_NAME[syn.verdict]).toBe('XDP_TX');
    const real = realOf(syn.out)!;
    for (let i = 0; i < 2; i++) expect(realOf(send(ack(port)).out)).toBe(real);
    return { port, real };
  }

  test('every ACK of a flow reaches its real, counted once each, frame rewritten as DR does', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { port, real } = established();
      const rid = tcpReals.get(real)!;
      const svc0 = svcCounters(t.dp, tcpSvc), real0 = realCounters(t.dp, rid);
      const input = ack(port);
      for (let i = 0; i < 10; i++) {
        const r = send(input);
        expect(r.verdict).toBe(XDP_TX);
        expect(macText(r.out.subarray(0, 6))).toBe(REAL_MAC[real]);
        expect(macText(r.out.subarray(6, 12))).toBe(LB_MAC);
        expect(r.out.subarray(12).equals(input.subarray(12))).toBe(true);
      }
      const svc1 = svcCounters(t.dp, tcpSvc), real1 = realCounters(t.dp, rid);
      const len = BigInt(input.readUInt16BE(14 + 2));
      expect([svc1.inPkts - svc0.inPkts, svc1.inBytes - svc0.inBytes, svc1.conns - svc0.conns]).toEqual([10n, 10n * len, 0n]);
      expect([real1.inPkts - real0.inPkts, real1.inBytes - real0.inBytes]).toEqual([10n, 10n * len]);
    }
  });

  test.each(METHODS)('%s: every later packet of a flow leaves exactly as the full path sent the second', (fwd) => {
    const i = METHODS.indexOf(fwd);
    const vip = `192.0.2.${60 + i}`;
    for (let round = 0; round < ROUNDS; round++) {
      const port = ++sport;
      const first = fwd === 'tun' ? tcp(CIP, vip, port, 80, TCP.SYN) : udp(CIP, vip, port, 80, Buffer.from('first'));
      const later = fwd === 'tun' ? tcp(CIP, vip, port, 80, TCP.ACK | TCP.PSH) : udp(CIP, vip, port, 80, Buffer.from('later'));
      expect(VERDICT_NAME[send(first).verdict]).toBe('XDP_TX');
      const second = send(later); // the full path (a conntrack hit), which fills the cache
      expect(VERDICT_NAME[second.verdict]).toBe('XDP_TX');
      for (let n = 0; n < 5; n++) {
        const r = send(later);
        expect(r.verdict).toBe(second.verdict);
        expect(r.out.toString('hex')).toBe(second.out.toString('hex'));
      }
    }
  });

  test('a cached flow with a bad IPv4 header checksum is dropped, not forwarded', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { port } = established();
      expect(VERDICT_NAME[send(corrupt(ack(port), IP_CSUM_AT, 0x5a)).verdict]).toBe(VERDICT_NAME[XDP_DROP]);
    }
  });

  test('a FIN after cached ACKs takes the full path: the entry leaves ESTABLISHED', () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { port, real } = established();
      const fin = send(ack(port, TCP.FIN | TCP.ACK));
      expect(realOf(fin.out)).toBe(real);
      const c = connEntry(t.dp, { proto: 'tcp', src: CIP, dst: VIP, sport: port, dport: 80 });
      expect(c?.state).toBe(lb_tcp_state.LB_TCP_FIN_WAIT);
    }
  });

  /** Ways a real's slot stops being the real a cached flow was scheduled to. */
  const SLOT_CHANGES: Array<[string, (slot: Buffer) => void]> = [
    ['is freed', (b) => {
      const at = lb_real.fields.flags.offset;
      b.writeUInt32LE(b.readUInt32LE(at) & ~lb_real_flags.LB_REAL_F_USED, at);
    }],
    ['is reused by another real (new seq)', (b) => {
      const at = lb_real.fields.seq.offset;
      b.writeUInt32LE(b.readUInt32LE(at) + 1000, at);
    }],
  ];

  test.each(SLOT_CHANGES)('a real whose slot %s between two packets of a cached flow is not sent to', (_what, change) => {
    for (let round = 0; round < ROUNDS; round++) {
      const { port, real } = established();
      const rid = tcpReals.get(real)!;
      const slot = t.dp.maps.lb_reals.lookup(u32Key(rid))!;
      const changed = Buffer.from(slot);
      change(changed);
      // One map write, microseconds: the next packet falls in the window of the last.
      t.dp.maps.lb_reals.update(u32Key(rid), changed);
      const r = send(ack(port));
      t.dp.maps.lb_reals.update(u32Key(rid), slot);
      // As the full path: the entry is dead, and an ACK without an entry goes to the kernel.
      expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[XDP_PASS]);
    }
  });

  test('two flows of one slot are both served (two ways); a third flow of the set replaces one', () => {
    // Per round, fresh client ports: a and b hash to the same slot i, c to i or i ^ 1.
    const bySlot = new Map<number, number[]>();
    for (let p = 40000; p < 65536; p++) {
      const i = slotOf(CIP, VIP, p, 80);
      bySlot.set(i, [...(bySlot.get(i) ?? []), p]);
    }
    const groups: number[][] = [];
    for (const [i, ps] of bySlot) {
      const third = ps[2] ?? bySlot.get(i ^ 1)?.[0];
      if (ps.length >= 2 && third !== undefined && !groups.some((g) => g.includes(third))) groups.push([ps[0]!, ps[1]!, third]);
      if (groups.length === ROUNDS) break;
    }
    expect(groups).toHaveLength(ROUNDS);
    const forget = (port: number) =>
      t.dp.maps.lb_conns.delete(connKey({ proto: 'tcp', src: CIP, dst: VIP, sport: port, dport: 80 }));
    /** Served from the cache: its lb_conns entry is gone, so the full path would pass it. */
    const served = (port: number) => send(ack(port)).verdict === XDP_TX;
    let both = 0, one = 0;
    for (const [a, b, c] of groups) {
      // Each flow is filled and its entry removed at once: a few syscalls, within one
      // window nearly always (a round that outlasts it is counted in neither figure).
      established(a); forget(a!);
      established(b); forget(b!);
      if (served(a!) && served(b!)) both++;
      established(c); forget(c!);
      if (served(c!) && served(a!) !== served(b!)) one++;
    }
    // Direct-mapped, a and b would evict each other: `both` would be 0.
    expect(both).toBeGreaterThanOrEqual(ROUNDS / 2);
    expect(one).toBeGreaterThanOrEqual(ROUNDS / 2);
  });

  test('the caches (flows, NAT replies) have a share of slots for every possible CPU (sized at load)', () => {
    const show = (...args: string[]) => JSON.parse(execFileSync('bpftool', [...args, '-j'], { encoding: 'utf8' }));
    const prog = show('prog', 'show', 'pinned', pinPaths(t.pinDir).prog) as { map_ids: number[] };
    const maps = prog.map_ids.map((id) => show('map', 'show', 'id', String(id)) as { name: string; max_entries: number });
    expect(maps.find((m) => m.name === 'lb_flow_cache')?.max_entries).toBe(lb_limits.LB_FLOW_SLOTS * possibleCpus());
    expect(maps.find((m) => m.name === 'lb_reply_cache')?.max_entries).toBe(lb_limits.LB_REPLY_SLOTS * possibleCpus());
  });

  test('UDP flows are served too, and a packet after the window refreshes the entry\'s clock', async () => {
    const port = 5300;
    const dgram = udp(CIP, VIP, port, 53);
    const first = send(dgram);
    expect(first.verdict).toBe(XDP_TX);
    const real = realOf(first.out);
    for (let i = 0; i < 5; i++) expect(realOf(send(dgram).out)).toBe(real);
    const key = { proto: 'udp' as const, src: CIP, dst: VIP, sport: port, dport: 53 };
    const seen0 = connEntry(t.dp, key)!.last_seen_ns;
    await new Promise((r) => setTimeout(r, 100)); // past 4 jiffies at any HZ (>= 100)
    expect(realOf(send(dgram).out)).toBe(real);
    expect(connEntry(t.dp, key)!.last_seen_ns).toBeGreaterThan(seen0);
    expect(svcCounters(t.dp, udpSvc).inPkts).toBe(7n);
  });
});
