// What the director does NOT forward, and why: each case names its verdict and
// the lb_stat counters that must move (every other counter stays put). Passed
// packets go to the kernel untouched. Then truncations at every length and a
// seeded fuzz, judged by an independent reading of the frame (packets.ts
// parseFrame) and the rules at the top of bpf/lb.bpf.c.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  XDP_DROP, XDP_PASS, XDP_TX, VERDICT_NAME, REAL_MAC, REALS4, REALS6, UNRESOLVED4, UNRESOLVED6, addReal, addService,
  describeBpf, loadForTest, run, runCounted, setupFibNetns, svcKey, type FibNetns, type StatName, type TestDirector,
} from './harness.js';
import {
  TCP, arp, build, corrupt, ipBytes, macText, packet, padded, parseFrame, truncate, withMacs, type PacketSpec, type Parsed,
} from './packets.js';
import { readState } from '../../src/bpf/state.js';
import { lb_stat } from '../../src/bpf/generated/layout.js';

const maybe = describeBpf('pass-drop');

const VIP4 = '192.0.2.10';
const VIP6 = '2001:db8::10';
const NOREAL4 = '192.0.2.30';
const NONEIGH4 = '192.0.2.40';
const NONEIGH6 = '2001:db8::40';
const CIP4 = '198.51.100.7';
const CIP6 = '2001:db8:ffff::7';

let port = 30000;
/** A fresh client port per case, so no case meets another's connection. */
const nextPort = (): number => ++port;

function v4(dst: string, l4: PacketSpec['l4'], ip: Partial<PacketSpec['ip']> = {}, more: Partial<PacketSpec> = {}): Buffer {
  return packet({ ip: { v: 4, src: CIP4, dst, ...ip } as PacketSpec['ip'], l4, ...more });
}
function v6(dst: string, l4: PacketSpec['l4'], ip: Partial<PacketSpec['ip']> = {}, more: Partial<PacketSpec> = {}): Buffer {
  return packet({ ip: { v: 6, src: CIP6, dst, ...ip } as PacketSpec['ip'], l4, ...more });
}
const syn = (dport = 80): PacketSpec['l4'] => ({ proto: 'tcp', sport: nextPort(), dport, flags: TCP.SYN });
const ack = (): PacketSpec['l4'] => ({ proto: 'tcp', sport: nextPort(), dport: 80, flags: TCP.ACK });
const dgram = (len?: number): PacketSpec['l4'] => ({ proto: 'udp', sport: nextPort(), dport: 80, len });
const DATA = { payload: Buffer.from('0123456789abcdef') };

function withIpv4Csum(b: Buffer, l3: number, xor: number): Buffer {
  return corrupt(b, l3 + 11, xor);
}

/** Builds that count forwarded IPv4 packets with options as an event count it once more. */
const OPTIONS_EVENT: Partial<Record<StatName, number>> = 'LB_STAT_IPV4_OPTIONS' in lb_stat ? { ['LB_STAT_IPV4_OPTIONS' as StatName]: 1 } : {};

interface Case {
  description: string;
  input: Buffer;
  verdict: number;
  delta: Partial<Record<StatName, number>>;
}

const pass = (s: StatName): Partial<Record<StatName, number>> => ({ [s]: 1 });

const CASES: Case[] = [
  { description: 'IPv4 TCP to a non-VIP address', input: v4('192.0.2.99', syn()), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_VIP') },
  { description: 'IPv4 TCP to the VIP on a port without a service', input: v4(VIP4, syn(81)), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_VIP') },
  { description: 'IPv4 UDP to the VIP on a port without a service', input: v4(VIP4, { proto: 'udp', sport: nextPort(), dport: 53 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_VIP') },
  { description: 'IPv6 TCP to a non-VIP address', input: v6('2001:db8::99', syn()), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_VIP') },
  { description: 'IPv6 TCP from the VIP (reply direction), not to it', input: v6(CIP6, syn(), { src: VIP6 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_VIP') },
  { description: 'ARP who-has the VIP', input: arp(CIP4, VIP4), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_IP') },
  { description: 'ARP with an 802.1Q tag', input: arp(CIP4, VIP4, { vlan: 5 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_NOT_IP') },
  { description: 'ICMP echo to the IPv4 VIP', input: v4(VIP4, { proto: 'icmp' }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_OTHER_PROTO') },
  { description: 'ICMPv6 echo to the IPv6 VIP', input: v6(VIP6, { proto: 'icmp' }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_OTHER_PROTO') },
  { description: 'IPv4 first fragment (MF) to the VIP', input: v4(VIP4, syn(), { mf: true }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_FRAGMENT') },
  { description: 'IPv4 later fragment (offset 185) to the VIP', input: v4(VIP4, syn(), { offset: 185 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_FRAGMENT') },
  { description: 'IPv4 last fragment (offset, no MF) of UDP to the VIP', input: v4(VIP4, dgram(), { offset: 1 }, DATA), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_FRAGMENT') },
  { description: 'IPv6 fragment header before TCP to the VIP', input: v6(VIP6, syn(), { ext: [{ type: 'frag', mf: true }] }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_FRAGMENT') },
  { description: 'IPv6 atomic fragment (offset 0, no MF) to the VIP', input: v6(VIP6, syn(), { ext: [{ type: 'frag' }] }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_FRAGMENT') },
  { description: 'IPv6 hop-by-hop header before TCP to the VIP', input: v6(VIP6, syn(), { ext: [{ type: 'hbh' }] }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_IPV6_EXT') },
  { description: 'IPv4 tot_len larger than the frame', input: v4(VIP4, syn(), { totLen: 60 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'IPv4 IHL 4 (< 5)', input: v4(VIP4, syn(), { ihl: 4 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'IPv4 IHL past tot_len', input: v4(VIP4, syn(), { ihl: 15 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'IPv4 ethertype with an IPv6 header', input: (() => { const b = v6(VIP6, syn()); b.writeUInt16BE(0x0800, 12); return b; })(), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'IPv6 payload length larger than the frame', input: v6(VIP6, syn(), { payloadLen: 100 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'IPv4 tot_len ends inside the TCP header', input: v4(VIP4, syn(), { totLen: 30 }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'VLAN tag cut off', input: truncate(v4(VIP4, syn(), {}, { eth: { vlan: 3 } }), 16), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_MALFORMED_L3') },
  { description: 'bad IPv4 header checksum to the VIP', input: (() => { const b = build({ ip: { v: 4, src: CIP4, dst: VIP4 }, l4: syn() }); return withIpv4Csum(b.bytes, b.l3, 0x01); })(), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'bad IPv4 header checksum with options to the VIP', input: v4(VIP4, syn(), { options: Buffer.from([1, 1, 1, 0]), csum: 0x1234 }), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'bad IPv4 checksum, tagged, to the VIP', input: v4(VIP4, syn(), { csum: 0 }, { eth: { vlan: 9 } }), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'TCP doff 4 (< 5) to the VIP', input: v4(VIP4, { proto: 'tcp', sport: nextPort(), dport: 80, flags: TCP.SYN, doff: 4 }), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'TCP doff 0 to the IPv6 VIP', input: v6(VIP6, { proto: 'tcp', sport: nextPort(), dport: 80, flags: TCP.SYN, doff: 0 }), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'TCP doff past the IP length', input: v4(VIP4, { proto: 'tcp', sport: nextPort(), dport: 80, flags: TCP.SYN, doff: 15 }, {}, DATA), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'UDP length larger than the packet (IPv4)', input: v4(VIP4, dgram(64), {}, DATA), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'UDP length larger than the packet (IPv6)', input: v6(VIP6, dgram(25), {}, DATA), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'UDP length 7 (< header)', input: v4(VIP4, dgram(7), {}, DATA), verdict: XDP_DROP, delta: pass('LB_STAT_DROP_MALFORMED') },
  { description: 'TCP ACK without SYN and without a connection', input: v4(VIP4, ack(), {}, DATA), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_TCP_NO_CONN') },
  { description: 'TCP FIN without a connection (IPv6)', input: v6(VIP6, { proto: 'tcp', sport: nextPort(), dport: 80, flags: TCP.FIN | TCP.ACK }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_TCP_NO_CONN') },
  { description: 'TCP SYN+RST without a connection', input: v4(VIP4, { proto: 'tcp', sport: nextPort(), dport: 80, flags: TCP.SYN | TCP.RST }), verdict: XDP_PASS, delta: pass('LB_STAT_PASS_TCP_NO_CONN') },
  { description: 'TCP SYN to a service without reals: port unreachable (icmp-unreach.test.ts)', input: v4(NOREAL4, syn()), verdict: XDP_TX, delta: { LB_STAT_TX: 1, LB_STAT_ICMP_UNREACH: 1 } },
  { description: 'TCP SYN to a real without a neighbour entry (IPv4)', input: v4(NONEIGH4, syn()), verdict: XDP_DROP, delta: { LB_STAT_DROP_NO_NEIGH: 1, LB_STAT_CONN_NEW: 1 } },
  { description: 'TCP SYN to a real without a neighbour entry (IPv6)', input: v6(NONEIGH6, syn()), verdict: XDP_DROP, delta: { LB_STAT_DROP_NO_NEIGH: 1, LB_STAT_CONN_NEW: 1 } },
  // The same rules let these through: checks against being too strict.
  { description: 'IPv4 with options and a right checksum is forwarded', input: v4(VIP4, syn(), { options: Buffer.from([1, 1, 1, 0, 1, 1, 1, 0]) }), verdict: XDP_TX, delta: { LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1, ...OPTIONS_EVENT } },
  { description: 'IPv4 DF set (not a fragment) is forwarded', input: v4(VIP4, syn(), { df: true }), verdict: XDP_TX, delta: { LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 } },
  { description: 'short frame with Ethernet padding past tot_len is forwarded', input: padded(v4(VIP4, dgram(), {}, { payload: Buffer.from('x') }), 60), verdict: XDP_TX, delta: { LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 } },
];

maybe('pass and drop rules (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;

  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
    const dp = t.dp;
    for (const proto of ['tcp', 'udp'] as const) {
      for (const [vip, reals] of [[VIP4, REALS4], [VIP6, REALS6]] as const) {
        addService(dp, svcKey(proto, vip, 80));
        for (const rip of reals) addReal(dp, svcKey(proto, vip, 80), rip);
      }
    }
    addService(dp, svcKey('tcp', NOREAL4, 80));
    for (const [vip, rip] of [[NONEIGH4, UNRESOLVED4], [NONEIGH6, UNRESOLVED6]] as const) {
      addService(dp, svcKey('tcp', vip, 80));
      addReal(dp, svcKey('tcp', vip, 80), rip);
    }
  }, 60_000);

  afterAll(() => t?.cleanup());

  test.each(CASES.map((c) => [c.description, c] as const))('%s', (_d, c) => {
    const r = runCounted(t!, c.input, net.ifindex);
    expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[c.verdict]);
    expect(r.delta).toEqual(c.delta);
    if (c.verdict === XDP_PASS) expect(r.out.toString('hex')).toBe(c.input.toString('hex'));
    if (c.delta.LB_STAT_ICMP_UNREACH) {
      // back to the sender (the answer's bytes: icmp-unreach.test.ts)
      expect(macText(r.out)).toBe(macText(c.input.subarray(6)));
    } else if (c.verdict === XDP_TX) {
      const dst = macText(r.out);
      expect(Object.values(REAL_MAC)).toContain(dst);
      expect(r.out.toString('hex')).toBe(withMacs(c.input, dst, net.mac).toString('hex'));
    }
  });

  const bases: Array<[string, () => Buffer]> = [
    ['IPv4 TCP SYN', () => v4(VIP4, syn(), {}, DATA)],
    ['IPv4 UDP, tagged', () => v4(VIP4, dgram(), {}, { ...DATA, eth: { vlan: 12 } })],
    ['IPv6 TCP SYN', () => v6(VIP6, syn(), {}, DATA)],
    ['IPv6 UDP', () => v6(VIP6, dgram(), {}, DATA)],
  ];
  test.each(bases)('%s truncated at every length: never forwarded until whole', (_d, make) => {
    const full = make();
    for (let n = 0; n <= full.length; n++) {
      const frame = truncate(full, n);
      if (n < 14) {
        // The kernel refuses test frames shorter than an Ethernet header (bpf_test_init).
        expect(() => run(t!.progFd, frame, net.ifindex)).toThrow(expect.objectContaining({ errno: 22 }));
        continue;
      }
      const r = runCounted(t!, frame, net.ifindex);
      if (n === full.length) {
        expect([n, VERDICT_NAME[r.verdict]]).toEqual([n, 'XDP_TX']);
      } else {
        expect([n, VERDICT_NAME[r.verdict]]).toEqual([n, 'XDP_PASS']);
        expect([n, r.delta]).toEqual([n, { LB_STAT_PASS_MALFORMED_L3: 1 }]);
        expect(r.out.equals(frame)).toBe(true);
      }
    }
  });

  describe('seeded fuzz, judged by an independent parse', () => {
    const oracle = (): Oracle => new Oracle(readState(t!.dp));

    test('2,000 random frames', () => {
      const rnd = mulberry32(0x5eed1);
      const o = oracle();
      const seen = new Map<string, number>();
      for (let i = 0; i < 2000; i++) {
        const frame = randomFrame(rnd, i);
        const outcome = judge(t!, net, o, frame, `random #${i} ${frame.toString('hex')}`);
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }
      // The generator reaches past the early exits, or the loop proves little.
      for (const k of ['LB_STAT_PASS_NOT_IP', 'LB_STAT_PASS_MALFORMED_L3', 'LB_STAT_DROP_MALFORMED', 'LB_STAT_PASS_TCP_NO_CONN', 'LB_STAT_TX']) {
        expect([k, (seen.get(k) ?? 0) > 10]).toEqual([k, true]);
      }
    }, 120_000);

    test('2,000 single-byte corruptions of valid VIP packets', () => {
      const rnd = mulberry32(0xc0441);
      const o = oracle();
      // Established flows first: the oracle learns each one's real from its opening packet.
      const specs: PacketSpec[] = [
        { ip: { v: 4, src: '203.0.113.5', dst: VIP4 }, l4: { proto: 'tcp', sport: 5555, dport: 80, flags: TCP.ACK | TCP.PSH }, payload: Buffer.from('GET /fuzz HTTP/1.1\r\n\r\n') },
        { eth: { vlan: 77 }, ip: { v: 4, src: '203.0.113.6', dst: VIP4 }, l4: { proto: 'udp', sport: 5556, dport: 80 }, payload: Buffer.from('fuzzed datagram') },
        { ip: { v: 6, src: '2001:db8:ffff::5', dst: VIP6 }, l4: { proto: 'tcp', sport: 5557, dport: 80, flags: TCP.ACK }, payload: Buffer.from('GET /fuzz6') },
        { ip: { v: 6, src: '2001:db8:ffff::6', dst: VIP6, flowLabel: 7 }, l4: { proto: 'udp', sport: 5558, dport: 80 }, payload: Buffer.from('fuzzed v6 datagram') },
      ];
      for (const s of specs) {
        const opener = s.l4.proto === 'tcp' ? packet({ ...s, l4: { ...s.l4, flags: TCP.SYN }, payload: undefined }) : packet(s);
        expect(judge(t!, net, o, opener, 'opener')).toBe('LB_STAT_TX');
      }
      const flows = specs.map((s) => packet(s));
      const seen = new Map<string, number>();
      for (let i = 0; i < 2000; i++) {
        const base = flows[i % flows.length]!;
        const at = Math.floor(rnd() * base.length);
        const xor = 1 + Math.floor(rnd() * 255);
        const frame = corrupt(base, at, xor);
        const outcome = judge(t!, net, o, frame, `corruption #${i}: byte ${at} ^ 0x${xor.toString(16)} of ${base.toString('hex')}`);
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }
      for (const k of ['LB_STAT_TX', 'LB_STAT_DROP_MALFORMED', 'LB_STAT_PASS_TCP_NO_CONN', 'LB_STAT_PASS_NOT_VIP', 'LB_STAT_PASS_MALFORMED_L3']) {
        expect([k, (seen.get(k) ?? 0) > 10]).toEqual([k, true]);
      }
    }, 120_000);
  });
});

// ---- the oracle: the stated rules over an independent parse -------------------

type Svc = { reals: string[] };

class Oracle {
  private readonly services = new Map<string, Svc>();
  /** Connections the fuzz made: 5-tuple → real's MAC. */
  readonly conns = new Map<string, string>();

  constructor(state: ReturnType<typeof readState>) {
    for (const s of state.services) {
      const reals = state.reals.filter((r) => r.svcId === s.id && r.weight > 0).map((r) => r.addr.ip);
      this.services.set(`${s.key.protocol}|${ipHex(s.key.addr.ip)}|${s.key.port}`, { reals });
    }
  }

  service(p: Parsed): Svc | undefined {
    return this.services.get(`${p.proto === 6 ? 'tcp' : 'udp'}|${p.dst!.toString('hex')}|${p.dport}`);
  }
}

function ipHex(ip: string): string {
  return ipBytes(ip).toString('hex');
}

const STOP_STAT: Record<NonNullable<Parsed['stop']>, StatName> = {
  'not-ip': 'LB_STAT_PASS_NOT_IP',
  'malformed-l3': 'LB_STAT_PASS_MALFORMED_L3',
  fragment: 'LB_STAT_PASS_FRAGMENT',
  'ipv6-ext': 'LB_STAT_PASS_IPV6_EXT',
  'other-proto': 'LB_STAT_PASS_OTHER_PROTO',
};

/**
 * Runs one frame and checks verdict, counters and output against the rules.
 * Returns the outcome counter, for coverage accounting.
 */
function judge(t: TestDirector, net: FibNetns, o: Oracle, frame: Buffer, what: string): string {
  const r = runCounted(t, frame, net.ifindex);
  const got = { what, verdict: VERDICT_NAME[r.verdict], delta: r.delta };
  const p = parseFrame(frame);
  const expectPass = (stat: StatName): string => {
    expect(got).toEqual({ what, verdict: 'XDP_PASS', delta: { [stat]: 1 } });
    expect({ what, untouched: r.out.equals(frame) }).toEqual({ what, untouched: true });
    return stat;
  };
  if (p.stop) return expectPass(STOP_STAT[p.stop]);
  const svc = o.service(p);
  if (!svc) return expectPass('LB_STAT_PASS_NOT_VIP');
  if (!p.l4Ok || !p.csumOk) {
    expect(got).toEqual({ what, verdict: 'XDP_DROP', delta: { LB_STAT_DROP_MALFORMED: 1 } });
    return 'LB_STAT_DROP_MALFORMED';
  }
  const tuple = [p.family, p.src!.toString('hex'), p.dst!.toString('hex'), p.sport, p.dport, p.proto].join('|');
  let realMac = o.conns.get(tuple);
  const isNew = realMac === undefined;
  if (isNew) {
    if (p.proto === 6 && (!(p.tcpFlags! & TCP.SYN) || p.tcpFlags! & TCP.RST)) return expectPass('LB_STAT_PASS_TCP_NO_CONN');
    if (svc.reals.length === 0) {
      // answered with a port unreachable, or dropped once the client's or the CPU's
      // ICMP rate is spent (icmp-unreach.test.ts checks the answers byte for byte)
      if (got.verdict === 'XDP_TX') {
        expect(got).toEqual({ what, verdict: 'XDP_TX', delta: { LB_STAT_TX: 1, LB_STAT_ICMP_UNREACH: 1 } });
        expect({ what, back: r.out.subarray(0, 6).equals(frame.subarray(6, 12)) }).toEqual({ what, back: true });
        return 'LB_STAT_ICMP_UNREACH';
      }
      expect(got).toEqual({ what, verdict: 'XDP_DROP', delta: { LB_STAT_DROP_NO_REAL: 1 } });
      return 'LB_STAT_DROP_NO_REAL';
    }
    // Which real rr picks is conntrack.test.ts's business; here: one of the service's.
    realMac = macText(r.out);
    expect({ what, real: svc.reals.map((ip) => REAL_MAC[ip]).includes(realMac) }).toEqual({ what, real: true });
    o.conns.set(tuple, realMac);
  }
  expect(got).toEqual({ what, verdict: 'XDP_TX', delta: isNew ? { LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 } : { LB_STAT_TX: 1 } });
  expect({ what, out: r.out.toString('hex') }).toEqual({ what, out: withMacs(frame, realMac!, net.mac).toString('hex') });
  return 'LB_STAT_TX';
}

/** Deterministic PRNG (mulberry32): the same frames on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/**
 * Four kinds in turn: pure noise; noise behind an IP ethertype; a valid IPv4
 * header to the VIP (right checksum, tot_len = the rest) before random L4 bytes
 * with a TCP/UDP protocol; the same for IPv6.
 */
function randomFrame(rnd: () => number, i: number): Buffer {
  const len = 14 + Math.floor(rnd() * 100);
  switch (i % 4) {
    case 0:
      return randomBytes(rnd, len);
    case 1: {
      const b = randomBytes(rnd, len);
      b.writeUInt16BE([0x0800, 0x86dd, 0x8100, 0x0806][Math.floor(rnd() * 4)]!, 12);
      return b;
    }
    default: {
      const v6 = i % 4 === 3;
      const l4 = randomBytes(rnd, Math.floor(rnd() * 48));
      const proto = rnd() < 0.5 ? 6 : 17;
      if (l4.length >= 4) l4.writeUInt16BE(80, 2); // aim at the service port
      if (proto === 6 && l4.length >= 14 && rnd() < 0.5) l4[13] = TCP.SYN | (l4[13]! & ~TCP.RST & 0xff);
      if (proto === 6 && l4.length >= 13 && rnd() < 0.5) l4[12] = (5 + Math.floor(rnd() * 3)) << 4;
      if (proto === 17 && l4.length >= 6 && rnd() < 0.5) l4.writeUInt16BE(l4.length, 4);
      return v6
        ? packet({ ip: { v: 6, src: '2001:db8:eeee::1', dst: VIP6, nextHeader: proto }, l4: { proto: 'raw', bytes: l4 } })
        : packet({ ip: { v: 4, src: '203.0.113.99', dst: VIP4, protocol: proto, ttl: Math.floor(rnd() * 256) }, l4: { proto: 'raw', bytes: l4 } });
    }
  }
}
