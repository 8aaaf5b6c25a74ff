// Connection state, timeouts, expiry and the per-real counts (issue #4): TCP states
// by IPVS's tables, ActiveConn/InActConn moved at every ESTABLISHED transition,
// expiry by the in-kernel sweep (its clock advanced through lb_gc_sweep), the
// two-sweep recount, -Lnc listing, and the BPF timer running on its own.
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import {
  addReal, addService, applyPlan, connEntry, describeBpf, globalStats, loadForTest, runCounted, setupFibNetns,
  svcKey, VERDICT_NAME, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, packet } from './packets.js';
import { lb_conn_flags, lb_tcp_state } from '../../src/bpf/generated/layout.js';
import { listConnections, readGc, readRealConns, setGcPaused, sweepNow } from '../../src/bpf/conns.js';
import { pinPaths } from '../../src/bpf/pins.js';
import { u32Key } from '../../src/bpf/map.js';
import { planDeleteReal } from '../../src/plan/plan.js';
import type { Protocol, ServiceKey } from '../../src/model/types.js';

const S = lb_tcp_state;
const SEC = 1_000_000_000n;
const describe = describeBpf('conn-state');

let t: TestDirector;
let net: FibNetns;
const tcpKey = svcKey('tcp', '192.0.2.10', 80);
const udpKey = svcKey('udp', '192.0.2.10', 53);
let real: number; // the one real of both services' ids: tcp
let udpReal: number;

interface Flow { proto: Protocol; src: string; dst: string; sport: number; dport: number }
let port = 30000;
const flow = (key: ServiceKey, src = '198.51.100.7'): Flow => ({ proto: key.protocol, src, dst: key.addr.ip, sport: ++port, dport: key.port });

function send(f: Flow, flags = TCP.SYN): string {
  const input = packet({
    ip: { v: 4, src: f.src, dst: f.dst },
    l4: f.proto === 'tcp' ? { proto: 'tcp', sport: f.sport, dport: f.dport, flags } : { proto: 'udp', sport: f.sport, dport: f.dport },
    payload: Buffer.from('x'),
  });
  return VERDICT_NAME[runCounted(t, input, net.ifindex).verdict]!;
}

const counts = (id = real) => readRealConns(t.dp, id);
const sweep = (advanceSec: number) => sweepNow(pinPaths(t.pinDir), BigInt(Math.round(advanceSec * 1000)) * (SEC / 1000n));
const state = (f: Flow) => connEntry(t.dp, f)?.state;

/** Expires everything so each test starts from an empty table with zero counts. */
function drain(): void {
  sweep(1e6);
}

describe('connection state and expiry (bpf)', () => {
  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
    addService(t.dp, tcpKey, 'rr');
    real = addReal(t.dp, tcpKey, '192.0.2.11');
    addService(t.dp, udpKey, 'rr');
    udpReal = addReal(t.dp, udpKey, '192.0.2.12');
  });
  afterAll(() => t?.cleanup());
  beforeEach(() => {
    setGcPaused(t.dp, true);
    drain();
  });

  test('the BPF timer sweeps on its own, about once a second', async () => {
    setGcPaused(t.dp, false);
    const before = readGc(t.dp).runs;
    await new Promise((r) => setTimeout(r, 2600));
    expect(Number(readGc(t.dp).runs - before)).toBeGreaterThanOrEqual(2);
    setGcPaused(t.dp, true);
  });

  test('TCP states by the input-only table; ActiveConn only while ESTABLISHED', () => {
    const f = flow(tcpKey);
    expect(send(f, TCP.SYN)).toBe('XDP_TX');
    expect(state(f)).toBe(S.LB_TCP_SYN_RECV);
    expect(counts()).toEqual({ activeConns: 0, inactiveConns: 1, persistConns: 0 });
    send(f, TCP.ACK);
    expect(state(f)).toBe(S.LB_TCP_ESTABLISHED);
    expect(connEntry(t.dp, f)!.flags & lb_conn_flags.LB_CONN_F_INACTIVE).toBe(0);
    expect(counts()).toEqual({ activeConns: 1, inactiveConns: 0, persistConns: 0 });
    send(f, TCP.FIN | TCP.ACK);
    expect(state(f)).toBe(S.LB_TCP_FIN_WAIT);
    expect(counts()).toEqual({ activeConns: 0, inactiveConns: 1, persistConns: 0 });
    send(f, TCP.ACK);
    expect(state(f)).toBe(S.LB_TCP_FIN_WAIT);
    send(f, TCP.RST);
    expect(state(f)).toBe(S.LB_TCP_CLOSE);
    expect(counts()).toEqual({ activeConns: 0, inactiveConns: 1, persistConns: 0 });
  });

  test('UDP connections count as inactive, as IPVS', () => {
    const f = flow(udpKey);
    send(f);
    expect(state(f)).toBe(S.LB_UDP_STATE);
    expect(counts(udpReal)).toEqual({ activeConns: 0, inactiveConns: 1, persistConns: 0 });
  });

  test.each([
    ['SYN_RECV', 60, [TCP.SYN]],
    ['ESTABLISHED', 900, [TCP.SYN, TCP.ACK]],
    ['FIN_WAIT', 120, [TCP.SYN, TCP.ACK, TCP.FIN | TCP.ACK]],
    ['CLOSE', 10, [TCP.SYN, TCP.ACK, TCP.RST]],
    ['TIME_WAIT', 120, [TCP.SYN, TCP.FIN]],
  ])('%s expires after IPVS default %i s, not before, and leaves its count', (_name, timeout, flags) => {
    const f = flow(tcpKey);
    for (const fl of flags) send(f, fl);
    const before = globalStats(t.dp).LB_STAT_CONN_EXPIRED;
    sweep(timeout - 1);
    expect(connEntry(t.dp, f)).toBeDefined();
    sweep(timeout + 1);
    expect(connEntry(t.dp, f)).toBeUndefined();
    expect(counts()).toEqual({ activeConns: 0, inactiveConns: 0, persistConns: 0 });
    expect(globalStats(t.dp).LB_STAT_CONN_EXPIRED - before).toBe(1n);
  });

  test('--set tcp tcpfin udp changes ESTABLISHED, FIN_WAIT and UDP (0 keeps a value)', () => {
    applyPlan(t.dp, () => [{ op: 'set-timeouts', tcp: 30, tcpfin: 5, udp: 7 }]);
    applyPlan(t.dp, () => [{ op: 'set-timeouts', tcp: 0, tcpfin: 0, udp: 0 }]);
    const es = flow(tcpKey);
    send(es, TCP.SYN);
    send(es, TCP.ACK);
    const fw = flow(tcpKey);
    send(fw, TCP.SYN);
    send(fw, TCP.FIN);
    const u = flow(udpKey);
    send(u);
    sweep(4);
    expect([state(es), state(fw), state(u)]).toEqual([S.LB_TCP_ESTABLISHED, S.LB_TCP_TIME_WAIT, S.LB_UDP_STATE]);
    sweep(8);
    expect(connEntry(t.dp, u)).toBeUndefined();
    expect(connEntry(t.dp, es)).toBeDefined();
    sweep(31);
    expect(connEntry(t.dp, es)).toBeUndefined();
    applyPlan(t.dp, () => [{ op: 'set-timeouts', tcp: 900, tcpfin: 120, udp: 300 }]);
  });

  test('FIN_WAIT follows tcpfin', () => {
    applyPlan(t.dp, () => [{ op: 'set-timeouts', tcp: 0, tcpfin: 5, udp: 0 }]);
    const f = flow(tcpKey);
    send(f, TCP.SYN);
    send(f, TCP.ACK);
    send(f, TCP.FIN | TCP.ACK);
    sweep(4);
    expect(state(f)).toBe(S.LB_TCP_FIN_WAIT);
    sweep(6);
    expect(connEntry(t.dp, f)).toBeUndefined();
    applyPlan(t.dp, () => [{ op: 'set-timeouts', tcp: 0, tcpfin: 120, udp: 0 }]);
  });

  test('-Lnc lists connections with expire counting down from the state timeout', () => {
    const f = flow(tcpKey);
    send(f, TCP.SYN);
    send(f, TCP.ACK);
    const list = listConnections(t.dp, { tcp: 900, tcpfin: 120, udp: 300 }, () => undefined);
    const e = list.find((x) => x.client.port === f.sport)!;
    expect(e).toMatchObject({ protocol: 'TCP', state: 'ESTABLISHED', virtual: { port: 80 }, real: { addr: { ip: '192.0.2.11' }, port: 80 } });
    expect(e.expiresSec).toBeGreaterThan(897);
    expect(e.expiresSec).toBeLessThanOrEqual(900);
  });

  test('counts equal the live connections after many flows expire in a mixed order', () => {
    const flows = Array.from({ length: 40 }, () => flow(tcpKey));
    flows.forEach((f, i) => {
      send(f, TCP.SYN);
      if (i % 2 === 0) send(f, TCP.ACK); // 20 established
      if (i % 4 === 0) send(f, TCP.FIN | TCP.ACK); // 10 of them closing
    });
    expect(counts()).toEqual({ activeConns: 10, inactiveConns: 30, persistConns: 0 });
    sweep(61); // SYN_RECV (60 s) gone: 20
    expect(counts()).toEqual({ activeConns: 10, inactiveConns: 10, persistConns: 0 });
    sweep(121); // FIN_WAIT gone
    expect(counts()).toEqual({ activeConns: 10, inactiveConns: 0, persistConns: 0 });
  });

  test('a count that drifted (e.g. an LRU eviction) is corrected after two sweeps, and counted', () => {
    const f = flow(tcpKey);
    send(f, TCP.SYN);
    send(f, TCP.ACK);
    const buf = t.dp.maps.lb_real_conns.lookup(u32Key(real))!;
    buf.writeBigInt64LE(5n, 0); // active = 5, the table holds 1
    t.dp.maps.lb_real_conns.update(u32Key(real), buf);
    const before = globalStats(t.dp).LB_STAT_CONN_RECOUNT;
    sweep(0);
    expect(counts().activeConns).toBe(5); // a first difference may be a race: only noted
    sweep(0);
    expect(counts()).toEqual({ activeConns: 1, inactiveConns: 0, persistConns: 0 });
    expect(globalStats(t.dp).LB_STAT_CONN_RECOUNT - before).toBe(1n);
  });

  test('a deleted real\'s connections expire on their timeout and touch no count', () => {
    const extra = addReal(t.dp, tcpKey, '192.0.2.13');
    const flows = Array.from({ length: 4 }, () => flow(tcpKey));
    for (const f of flows) send(f, TCP.SYN);
    applyPlan(t.dp, (s) => planDeleteReal(s, tcpKey, { addr: { family: 'inet', ip: '192.0.2.13' }, port: 80 }));
    sweep(0);
    sweep(0); // two sweeps: the recount would act now if it counted dead entries
    expect(flows.filter((f) => connEntry(t.dp, f))).toHaveLength(4);
    expect(counts()).toEqual({ activeConns: 0, inactiveConns: 2, persistConns: 0 });
    expect(listConnections(t.dp, { tcp: 0, tcpfin: 0, udp: 0 }, () => undefined)).toHaveLength(2); // dead ones not listed
    sweep(61);
    expect(flows.filter((f) => connEntry(t.dp, f))).toHaveLength(0);
    expect(counts()).toEqual({ activeConns: 0, inactiveConns: 0, persistConns: 0 });
    expect(extra).not.toBe(real);
  });
});
