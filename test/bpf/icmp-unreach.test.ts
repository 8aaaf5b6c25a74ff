// No real server for a new connection: answered with an ICMP port unreachable, as
// IPVS's ip_vs_leave() does, byte for byte; sources no error may go to, and the rate
// limits (bpf/include/icmp_unreach.h).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { possibleCpus } from '../../src/bpf/map.js';
import {
  VERDICT_NAME, addReal, addService, describeBpf, globalStats, loadForTest, run as testRun, runCounted, setupFibNetns, svcKey,
  type FibNetns, type TestDirector,
} from './harness.js';
import { CLIENT_MAC, ROUTER_MAC, TCP, packet, padded } from './packets.js';
import { answerId, ethHdr, icmp4, icmp6, ipv4, ipv6, l3Of } from './fwd-helpers.js';
import { KERNEL_ICMP_LIMITS, type IcmpLimits } from '../../src/net/icmp-limits.js';
import { Dataplane, OlderPinsError } from '../../src/bpf/dataplane.js';
import { pinPaths } from '../../src/bpf/pins.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const maybe = describeBpf('icmp-unreach');
const VIP4 = '192.0.2.70';
const VIP6 = '2001:db8::70';
const UNUSED = Buffer.alloc(4); // the 32 bits after the checksum: unused in a port unreachable

const ANSWERED = { LB_STAT_TX: 1, LB_STAT_ICMP_UNREACH: 1 };
const REFUSED = { LB_STAT_DROP_NO_REAL: 1 };

/**
 * What Linux's icmp_send() writes for an IPv4 packet: TOS 0xc0 | its TOS bits, TTL 64,
 * DF clear, an unpredictable ID (taken from the answer `out`: answerId).
 */
function unreach4(input: Buffer, client: string, tos: number, out: string, vlan?: number): Buffer {
  const l3 = l3Of(input, vlan !== undefined);
  const quote = l3.subarray(0, Math.min(l3.readUInt16BE(2), 548));
  return Buffer.concat([
    ethHdr(CLIENT_MAC, ROUTER_MAC, 0x0800, vlan),
    ipv4({ src: VIP4, dst: client, protocol: 1, ttl: 64, tos: 0xc0 | (tos & 0x1e), id: answerId(Buffer.from(out, 'hex'), vlan !== undefined), df: false },
      icmp4(3, 3, UNUSED, quote)),
  ]);
}

function unreach6(input: Buffer, client: string): Buffer {
  const l3 = l3Of(input);
  const quote = l3.subarray(0, Math.min(40 + l3.readUInt16BE(4), 1232));
  return Buffer.concat([
    ethHdr(CLIENT_MAC, ROUTER_MAC, 0x86dd),
    ipv6({ src: VIP6, dst: client, nextHeader: 58, hopLimit: 64, trafficClass: 0 }, icmp6(VIP6, client, 1, 4, UNUSED, quote)),
  ]);
}

const eth = { src: CLIENT_MAC, dst: ROUTER_MAC };
let port = 40000;
const syn4 = (client: string, more: { tos?: number; vlan?: number } = {}): Buffer => packet({
  eth: { ...eth, vlan: more.vlan },
  ip: { v: 4, src: client, dst: VIP4, tos: more.tos ?? 0 },
  l4: { proto: 'tcp', sport: port++, dport: 80, flags: TCP.SYN },
});

maybe('port unreachable when no real server is available (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;

  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
    addService(t.dp, svcKey('tcp', VIP4, 80)); // no real at all
    addService(t.dp, svcKey('udp', VIP4, 53), 'wlc');
    addReal(t.dp, svcKey('udp', VIP4, 53), '192.0.2.11', 0); // quiesced: weight 0
    addService(t.dp, svcKey('udp', VIP6, 53));
  });
  afterAll(() => t?.cleanup());

  const run = (input: Buffer) => {
    const r = runCounted(t!, input, net.ifindex);
    return { verdict: VERDICT_NAME[r.verdict], out: r.out.toString('hex'), delta: r.delta };
  };

  test('IPv4 TCP SYN to a service without reals: port unreachable from the VIP, the whole packet quoted', () => {
    const input = syn4('198.51.100.20', { tos: 0x10 });
    const got = run(input);
    expect(got).toEqual({ verdict: 'XDP_TX', out: unreach4(input, '198.51.100.20', 0x10, got.out).toString('hex'), delta: ANSWERED });
  });

  test('IPv4 UDP to a service whose only real has weight 0; 1,000 bytes: 548 quoted', () => {
    const input = packet({ eth, ip: { v: 4, src: '198.51.100.21', dst: VIP4 }, l4: { proto: 'udp', sport: 5000, dport: 53 }, payload: Buffer.alloc(1000, 0x5a) });
    const got = run(input);
    const want = unreach4(input, '198.51.100.21', 0, got.out);
    expect(want.length).toBe(14 + 576);
    expect(got).toEqual({ verdict: 'XDP_TX', out: want.toString('hex'), delta: ANSWERED });
  });

  test('odd lengths: the checksum pads the last byte; Ethernet padding is not quoted', () => {
    const input = padded(packet({ eth, ip: { v: 4, src: '198.51.100.22', dst: VIP4 }, l4: { proto: 'udp', sport: 5001, dport: 53 }, payload: Buffer.from('x') }), 60);
    const got = run(input);
    const want = unreach4(input, '198.51.100.22', 0, got.out);
    expect(want.length).toBe(14 + 20 + 8 + 29);
    expect(got).toEqual({ verdict: 'XDP_TX', out: want.toString('hex'), delta: ANSWERED });
    for (const n of [2, 3, 4, 5]) {
      const odd = packet({ eth, ip: { v: 4, src: '198.51.100.23', dst: VIP4 }, l4: { proto: 'udp', sport: 5002 + n, dport: 53 }, payload: Buffer.alloc(n, 0xe7) });
      const got = run(odd);
      expect({ n, ...got }).toEqual({ n, verdict: 'XDP_TX', out: unreach4(odd, '198.51.100.23', 0, got.out).toString('hex'), delta: ANSWERED });
    }
  });

  test('IPv6 UDP, 13 bytes of data: destination unreachable, port unreachable (1/4)', () => {
    const input = packet({ eth, ip: { v: 6, src: '2001:db8:ffff::20', dst: VIP6 }, l4: { proto: 'udp', sport: 5010, dport: 53 }, payload: Buffer.alloc(13, 0x31) });
    expect(run(input)).toEqual({ verdict: 'XDP_TX', out: unreach6(input, '2001:db8:ffff::20').toString('hex'), delta: ANSWERED });
  });

  test('IPv6, 1,400 bytes: 1,232 quoted', () => {
    const input = packet({ eth, ip: { v: 6, src: '2001:db8:ffff::21', dst: VIP6 }, l4: { proto: 'udp', sport: 5011, dport: 53 }, payload: Buffer.alloc(1400 - 48, 0x32) });
    const want = unreach6(input, '2001:db8:ffff::21');
    expect(want.length).toBe(14 + 1280);
    expect(run(input)).toEqual({ verdict: 'XDP_TX', out: want.toString('hex'), delta: ANSWERED });
  });

  test('802.1Q: the answer keeps the tag', () => {
    const input = syn4('198.51.100.24', { vlan: 7 });
    const got = run(input);
    expect(got).toEqual({ verdict: 'XDP_TX', out: unreach4(input, '198.51.100.24', 0, got.out, 7).toString('hex'), delta: ANSWERED });
  });

  // Linux's ICMP socket sends with DF clear (IP_PMTUDISC_DONT), so each datagram needs an
  // ID of its own (RFC 6864), and ip_select_ident makes it hard to guess (RFC 7739).
  test('IPv4 answers: DF clear, IDs that differ from one answer to the next', () => {
    const outs = ['198.51.100.26', '198.51.100.27', '198.51.100.28', '198.51.100.29'].map((c) => Buffer.from(run(syn4(c)).out, 'hex'));
    expect(outs.map((o) => o.readUInt16BE(14 + 6))).toEqual([0, 0, 0, 0]);
    expect(new Set(outs.map((o) => answerId(o))).size).toBeGreaterThan(1); // four equal 16-bit IDs: 2^-48
  });

  test('no answer to a source no error may go to: dropped and counted, as before', () => {
    for (const src of ['0.0.0.0', '127.0.0.1', '224.0.0.5', '255.255.255.255']) {
      expect({ src, ...run(syn4(src)) }).toMatchObject({ src, verdict: 'XDP_DROP', delta: REFUSED });
    }
    for (const src of ['::1', 'ff02::1']) {
      const input = packet({ eth, ip: { v: 6, src, dst: VIP6 }, l4: { proto: 'udp', sport: 5012, dport: 53 } });
      expect({ src, ...run(input) }).toMatchObject({ src, verdict: 'XDP_DROP', delta: REFUSED });
    }
  });

  test('TCP without SYN is still the kernel\'s (no answer, as IPVS)', () => {
    const input = packet({ eth, ip: { v: 4, src: '198.51.100.25', dst: VIP4 }, l4: { proto: 'tcp', sport: 5013, dport: 80, flags: TCP.ACK } });
    expect(run(input)).toMatchObject({ verdict: 'XDP_PASS', delta: { LB_STAT_PASS_TCP_NO_CONN: 1 } });
  });

  test('per client: a burst of 6, then refused until a second has passed', () => {
    const started = Date.now();
    const verdicts = Array.from({ length: 9 }, () => run(syn4('198.51.100.30')).verdict);
    const elapsed = Date.now() - started;
    // Nine test runs take milliseconds; a machine stalled for a second would refill one.
    expect({ elapsed: elapsed < 1000, verdicts }).toEqual({
      elapsed: true,
      verdicts: [...Array(6).fill('XDP_TX'), ...Array(3).fill('XDP_DROP')],
    });
    // another client is not limited by this one
    expect(run(syn4('198.51.100.31')).verdict).toBe('XDP_TX');
  });

  test('overall: a burst of 50 per CPU, then 1,000 a second', async () => {
    await new Promise((r) => setTimeout(r, 60)); // the earlier answers' credit back: every bucket full
    const n = 1000;
    const started = Date.now();
    const before = globalStats(t!.dp);
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < n; i++) { // one syscall each: the loop takes milliseconds
      const v = VERDICT_NAME[testRun(t!.progFd, syn4(`10.99.${i >> 8}.${i & 255}`), net.ifindex).verdict];
      if (v === 'XDP_TX') answered++;
      else if (v === 'XDP_DROP') refused++;
    }
    const elapsedMs = Date.now() - started;
    const after = globalStats(t!.dp);
    const count = (s: 'LB_STAT_ICMP_UNREACH' | 'LB_STAT_DROP_NO_REAL') => Number(after[s] - before[s]);
    expect({ icmp: count('LB_STAT_ICMP_UNREACH'), noReal: count('LB_STAT_DROP_NO_REAL') }).toEqual({ icmp: answered, noReal: refused });
    // Each CPU this process ran on answered at most its burst plus what refilled there
    // meanwhile (one a millisecond); 1,000 test runs take far less than 450 ms.
    const cpus = possibleCpus();
    expect(answered + refused).toBe(n);
    expect(answered).toBeGreaterThanOrEqual(50);
    expect(answered).toBeLessThanOrEqual(cpus * (50 + elapsedMs + 1));
    expect(refused).toBeGreaterThan(0);
  });
});

// The limits are the director's sysctls, read when the program is loaded
// (src/net/icmp-limits.ts → lb_icmp_conf); here each load is given its own.
maybe('port unreachable: the limits the sysctls set (lb_icmp_conf)', () => {
  let net: FibNetns;
  const loads: TestDirector[] = [];
  beforeAll(() => { net = setupFibNetns(); });
  afterAll(() => { for (const l of loads) l.cleanup(); });

  const load = (limits: Partial<IcmpLimits>): TestDirector => {
    const l = loadForTest(65536, { ...KERNEL_ICMP_LIMITS, ...limits });
    loads.push(l);
    addService(l.dp, svcKey('tcp', VIP4, 80));
    addService(l.dp, svcKey('udp', VIP6, 53));
    return l;
  };
  const verdicts = (l: TestDirector, inputs: Buffer[]) => inputs.map((i) => VERDICT_NAME[testRun(l.progFd, i, net.ifindex).verdict]);
  const udp6 = (client: string) => packet({ eth, ip: { v: 6, src: client, dst: VIP6 }, l4: { proto: 'udp', sport: port++, dport: 53 } });
  const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

  test('icmp_ratelimit 200 ms: a burst of 6, then one more once 200 ms have passed', async () => {
    const l = load({ peerMsV4: 200 });
    expect(verdicts(l, times(7, () => syn4('198.51.100.40')))).toEqual([...Array(6).fill('XDP_TX'), 'XDP_DROP']);
    await new Promise((r) => setTimeout(r, 260));
    expect(verdicts(l, times(2, () => syn4('198.51.100.40')))).toEqual(['XDP_TX', 'XDP_DROP']);
  });

  test('icmp_ratelimit 0: no limit per client (the overall one still holds)', () => {
    const l = load({ peerMsV4: 0 });
    expect(verdicts(l, times(12, () => syn4('198.51.100.41')))).toEqual(Array(12).fill('XDP_TX'));
  });

  test('a ratemask without destination unreachable: no limit at all, per family', () => {
    const l = load({ limitV4: false, msgsBurst: 1, msgsPerSec: 1 });
    expect(verdicts(l, times(12, () => syn4('198.51.100.42')))).toEqual(Array(12).fill('XDP_TX'));
    // ICMPv6 still limited (its mask has the type): a burst of 1 a CPU, then one a second
    const v6 = verdicts(l, times(8, () => udp6('2001:db8:ffff::40')));
    expect(v6.filter((v) => v === 'XDP_TX').length).toBeLessThanOrEqual(possibleCpus());
    expect(v6).toContain('XDP_DROP');
  });

  test('pins made before lb_icmp_conf existed: a command says to attach again, in one line', () => {
    const l = load({});
    rmSync(join(pinPaths(l.pinDir).maps, 'lb_icmp_conf'));
    expect(() => Dataplane.open(pinPaths(l.pinDir))).toThrow(OlderPinsError);
    expect(() => Dataplane.open(pinPaths(l.pinDir)))
      .toThrow(`pinned maps in ${l.pinDir} were made by an older lvs-xdp (no lb_icmp_conf): run 'lvs-xdp attach IFACE' again to upgrade them in place`);
  });

  test('icmp_msgs_per_sec 0: the burst, then nothing', async () => {
    const l = load({ msgsPerSec: 0, msgsBurst: 5 });
    const v = verdicts(l, times(30, (i) => syn4(`10.98.0.${i + 1}`)));
    await new Promise((r) => setTimeout(r, 50)); // 50 answers' worth at the default rate
    v.push(...verdicts(l, times(10, (i) => syn4(`10.98.1.${i + 1}`))));
    const answered = v.filter((x) => x === 'XDP_TX').length;
    expect(answered).toBeGreaterThanOrEqual(5);
    expect(answered).toBeLessThanOrEqual(5 * possibleCpus()); // per CPU, as above
  });
});
