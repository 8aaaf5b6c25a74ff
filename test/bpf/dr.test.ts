// Direct routing, byte for byte: a packet for a virtual service leaves with
// XDP_TX, the chosen real's MAC as destination, lbt0's MAC as source, and every
// other byte as it came (IP untouched, VLAN tag kept). Katran-style table: each
// case names its input, the verdict and the whole expected frame.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  XDP_TX, VERDICT_NAME, LB_MAC, REAL_MAC, REALS4, REALS6, addReal, addService, describeBpf, connEntry,
  loadForTest, realCounters, runCounted, setupFibNetns, svcCounters, svcKey, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, packet, type PacketSpec } from './packets.js';
import type { Protocol, ServiceKey } from '../../src/model/types.js';

const maybe = describeBpf('dr');

const VIP4 = '192.0.2.10';
const VIP6 = '2001:db8::10';
const CIP4 = '198.51.100.7';
const CIP6 = '2001:db8:ffff::7';

interface Case {
  description: string;
  input: PacketSpec;
  /** Real the flow must reach: rr walks the list newest first (.13, .12, .11, …). */
  real: string;
  newConn: boolean;
  verdict: number;
}

function spec(proto: Protocol, v: 4 | 6, sport: number, flags: number, vlan?: number): PacketSpec {
  const ip = v === 4 ? ({ v: 4, src: CIP4, dst: VIP4, id: 0x4242, ttl: 61 } as const) : ({ v: 6, src: CIP6, dst: VIP6, flowLabel: 0x12345, hopLimit: 61 } as const);
  const l4 = proto === 'tcp' ? ({ proto, sport, dport: 80, flags, seq: 0x01020304, options: Buffer.from([2, 4, 5, 0xb4]) } as const) : ({ proto, sport, dport: 80 } as const);
  const payload = proto === 'udp' ? Buffer.from('datagram to a DR service') : flags & TCP.SYN ? undefined : Buffer.from('GET / HTTP/1.0\r\n\r\n');
  return { eth: vlan === undefined ? {} : { vlan }, ip, l4, payload };
}

/** Each service gets its cases in this order: the rr cycle is part of the expectation. */
const CASES: Case[] = [
  { description: 'IPv4 TCP SYN', input: spec('tcp', 4, 40001, TCP.SYN), real: '192.0.2.13', newConn: true, verdict: XDP_TX },
  { description: 'IPv4 TCP ACK+data of the same flow', input: spec('tcp', 4, 40001, TCP.ACK | TCP.PSH), real: '192.0.2.13', newConn: false, verdict: XDP_TX },
  { description: 'IPv4 TCP SYN with 802.1Q tag 100', input: spec('tcp', 4, 40002, TCP.SYN, 100), real: '192.0.2.12', newConn: true, verdict: XDP_TX },
  { description: 'IPv4 TCP SYN, third flow', input: spec('tcp', 4, 40003, TCP.SYN), real: '192.0.2.11', newConn: true, verdict: XDP_TX },
  { description: 'IPv4 TCP SYN, fourth flow wraps round', input: spec('tcp', 4, 40004, TCP.SYN, 7), real: '192.0.2.13', newConn: true, verdict: XDP_TX },
  { description: 'IPv4 UDP', input: spec('udp', 4, 50001, 0), real: '192.0.2.13', newConn: true, verdict: XDP_TX },
  { description: 'IPv4 UDP, same flow again', input: spec('udp', 4, 50001, 0), real: '192.0.2.13', newConn: false, verdict: XDP_TX },
  { description: 'IPv4 UDP with 802.1Q tag 4094', input: spec('udp', 4, 50002, 0, 4094), real: '192.0.2.12', newConn: true, verdict: XDP_TX },
  { description: 'IPv6 TCP SYN', input: spec('tcp', 6, 40001, TCP.SYN), real: '2001:db8::13', newConn: true, verdict: XDP_TX },
  { description: 'IPv6 TCP ACK+data of the same flow', input: spec('tcp', 6, 40001, TCP.ACK | TCP.PSH), real: '2001:db8::13', newConn: false, verdict: XDP_TX },
  { description: 'IPv6 TCP SYN with 802.1Q tag 100', input: spec('tcp', 6, 40002, TCP.SYN, 100), real: '2001:db8::12', newConn: true, verdict: XDP_TX },
  { description: 'IPv6 UDP', input: spec('udp', 6, 50001, 0), real: '2001:db8::13', newConn: true, verdict: XDP_TX },
  { description: 'IPv6 UDP with 802.1Q tag 100', input: spec('udp', 6, 50002, 0, 100), real: '2001:db8::12', newConn: true, verdict: XDP_TX },
  { description: 'IPv6 UDP, tagged flow again', input: spec('udp', 6, 50002, 0, 100), real: '2001:db8::12', newConn: false, verdict: XDP_TX },
];

function keyOf(c: Case): ServiceKey {
  const v4 = c.input.ip.v === 4;
  return svcKey(c.input.l4.proto as Protocol, v4 ? VIP4 : VIP6, 80);
}

/** IP total length: what IPVS counts as bytes (IPv4 tot_len, IPv6 40 + payload length). */
function ipLength(frame: Buffer, c: Case): number {
  const l3 = c.input.eth?.vlan === undefined ? 14 : 18;
  return c.input.ip.v === 4 ? frame.readUInt16BE(l3 + 2) : 40 + frame.readUInt16BE(l3 + 4);
}

maybe('DR forwarding (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;
  const svcIds = new Map<string, number>();
  const realIds = new Map<string, number>();
  const id = (k: ServiceKey): string => `${k.protocol}:${k.addr.ip}`;

  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
    for (const proto of ['tcp', 'udp'] as const) {
      for (const [vip, reals] of [[VIP4, REALS4], [VIP6, REALS6]] as const) {
        const key = svcKey(proto, vip, 80);
        svcIds.set(id(key), addService(t.dp, key, 'rr'));
        for (const rip of reals) realIds.set(`${id(key)}>${rip}`, addReal(t.dp, key, rip));
      }
    }
  }, 60_000);

  afterAll(() => t?.cleanup());

  test('lbt0 is the ingress and its MAC is the one the kernel reports', () => {
    expect(net.ifindex).toBeGreaterThan(0);
    expect(net.mac).toBe(LB_MAC);
  });

  test.each(CASES.map((c) => [c.description, c] as const))('%s', (_d, c) => {
    const dp = t!.dp;
    const key = keyOf(c);
    const sid = svcIds.get(id(key))!;
    const rid = realIds.get(`${id(key)}>${c.real}`)!;
    const input = packet(c.input);
    // Built on its own from the same description with the addresses DR must write.
    const expected = packet({ ...c.input, eth: { ...c.input.eth, dst: REAL_MAC[c.real]!, src: LB_MAC } });
    const svcBefore = svcCounters(dp, sid);
    const realBefore = realCounters(dp, rid);

    const r = runCounted(t!, input, net.ifindex);

    expect(VERDICT_NAME[r.verdict]).toBe(VERDICT_NAME[c.verdict]);
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
    expect(r.delta).toEqual(c.newConn ? { LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 } : { LB_STAT_TX: 1 });

    const len = BigInt(ipLength(input, c));
    const inc = { conns: c.newConn ? 1n : 0n, inPkts: 1n, inBytes: len, outPkts: 0n, outBytes: 0n };
    const svcAfter = svcCounters(dp, sid);
    const realAfter = realCounters(dp, rid);
    expect({
      conns: svcAfter.conns - svcBefore.conns, inPkts: svcAfter.inPkts - svcBefore.inPkts, inBytes: svcAfter.inBytes - svcBefore.inBytes,
      outPkts: svcAfter.outPkts - svcBefore.outPkts, outBytes: svcAfter.outBytes - svcBefore.outBytes,
    }).toEqual(inc);
    expect({
      conns: realAfter.conns - realBefore.conns, inPkts: realAfter.inPkts - realBefore.inPkts, inBytes: realAfter.inBytes - realBefore.inBytes,
      outPkts: realAfter.outPkts - realBefore.outPkts, outBytes: realAfter.outBytes - realBefore.outBytes,
    }).toEqual(inc);

    const l4 = c.input.l4 as { sport: number; dport: number };
    const conn = connEntry(dp, { proto: key.protocol, src: c.input.ip.src, dst: c.input.ip.dst, sport: l4.sport, dport: l4.dport });
    expect(conn?.real_id).toBe(rid);
    expect(conn?.svc_id).toBe(sid);
  });

  test('totals: every case counted once per service and per real', () => {
    const dp = t!.dp;
    for (const [k, sid] of svcIds) {
      const cases = CASES.filter((c) => id(keyOf(c)) === k);
      const s = svcCounters(dp, sid);
      expect(s.inPkts).toBe(BigInt(cases.length));
      expect(s.conns).toBe(BigInt(cases.filter((c) => c.newConn).length));
      expect(s.inBytes).toBe(cases.reduce((a, c) => a + BigInt(ipLength(packet(c.input), c)), 0n));
    }
  });
});
