// Persistence (-p, -M, port-0 services) through the data plane: templates keyed by
// service + masked client, the template's real wins (also when quiesced: IPVS's
// expire_quiescent_template=0), a deleted real's template is dropped, templates
// outlive their timeout while they control connections, PersistConn counts.
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import {
  addReal, addr, applyPlan, describeBpf, editReal, loadForTest, realOfMac, runCounted, setupFibNetns, svcKey,
  VERDICT_NAME, deleteReal, type FibNetns, type TestDirector,
} from './harness.js';
import { TCP, macText, packet } from './packets.js';
import { listConnections, readRealConns, setGcPaused, sweepNow } from '../../src/bpf/conns.js';
import { pinPaths } from '../../src/bpf/pins.js';
import { planAddService, planDeleteService } from '../../src/plan/plan.js';
import type { ServiceKey } from '../../src/model/types.js';

const describe = describeBpf('persist');
const SEC = 1_000_000_000n;
let t: TestDirector;
let net: FibNetns;
let sport = 40000;

function addPersistent(key: ServiceKey, timeout: number, netmask?: string | number): void {
  applyPlan(t.dp, (s) => planAddService(s, { ...key, scheduler: 'rr', persistence: timeout, netmask, onePacket: false, schedFlags: [] }));
}

/** A new TCP connection (SYN) from src to vip:port; returns the real it went to. */
function connect(src: string, vip: string, port: number, flags = TCP.SYN, sp = ++sport): string {
  const v4 = !vip.includes(':');
  const input = packet({
    ip: v4 ? { v: 4, src, dst: vip } : { v: 6, src, dst: vip },
    l4: { proto: 'tcp', sport: sp, dport: port, flags },
  });
  const r = runCounted(t, input, net.ifindex);
  const verdict = VERDICT_NAME[r.verdict]!;
  if (verdict !== 'XDP_TX') return verdict;
  return realOfMac(macText(r.out), v4 ? 'inet' : 'inet6') ?? 'unknown';
}

const sweep = (sec: number) => sweepNow(pinPaths(t.pinDir), BigInt(sec) * SEC);
const templates = () => listConnections(t.dp, { tcp: 0, tcpfin: 0, udp: 0 }, () => 20).filter((e) => e.client.port === 0);

describe('persistence templates (bpf)', () => {
  const key = svcKey('tcp', '192.0.2.20', 80);
  const ids: Record<string, number> = {};

  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
  });
  afterAll(() => t?.cleanup());
  beforeEach(() => {
    setGcPaused(t.dp, true);
    sweep(1e6);
    for (const s of [key, svcKey('tcp', '192.0.2.21', 0), svcKey('tcp', '2001:db8::20', 443)]) {
      try {
        applyPlan(t.dp, (st) => planDeleteService(st, s));
      } catch { /* not there */ }
    }
    sweep(1e6);
  });

  test('-p: every connection of one client goes to one real; PersistConn counts the template', () => {
    addPersistent(key, 20);
    for (const ip of ['192.0.2.11', '192.0.2.12', '192.0.2.13']) ids[ip] = addReal(t.dp, key, ip);
    const first = connect('198.51.100.1', '192.0.2.20', 80);
    for (let i = 0; i < 5; i++) expect(connect('198.51.100.1', '192.0.2.20', 80)).toBe(first);
    const other = connect('198.51.100.2', '192.0.2.20', 80);
    expect(other).not.toBe(first);
    expect(readRealConns(t.dp, ids[first]!)).toEqual({ activeConns: 0, inactiveConns: 6, persistConns: 1 });
    const tl = templates();
    expect(tl).toHaveLength(2);
    expect(tl[0]).toMatchObject({ protocol: 'TCP', state: 'NONE', virtual: { port: 80 }, real: { port: 80 } });
  });

  test('-M 255.255.255.0: clients of one /24 share the template', () => {
    addPersistent(key, 20, '255.255.255.0');
    for (const ip of ['192.0.2.11', '192.0.2.12']) addReal(t.dp, key, ip);
    const a = connect('198.51.100.10', '192.0.2.20', 80);
    expect(connect('198.51.100.99', '192.0.2.20', 80)).toBe(a);
    expect(connect('203.0.113.5', '192.0.2.20', 80)).not.toBe(a);
    expect(templates().map((e) => e.client.addr.ip).sort()).toEqual(['198.51.100.0', '203.0.113.0']);
  });

  test('a quiesced real (weight 0) keeps its template clients; new clients go elsewhere', () => {
    addPersistent(key, 20);
    for (const ip of ['192.0.2.11', '192.0.2.12']) addReal(t.dp, key, ip);
    const a = connect('198.51.100.1', '192.0.2.20', 80);
    editReal(t.dp, key, a, 0);
    expect(connect('198.51.100.1', '192.0.2.20', 80)).toBe(a);
    for (let i = 2; i < 6; i++) expect(connect(`198.51.100.${i}`, '192.0.2.20', 80)).not.toBe(a);
  });

  test('a deleted real\'s template is dropped: its client is scheduled afresh', () => {
    addPersistent(key, 20);
    for (const ip of ['192.0.2.11', '192.0.2.12']) addReal(t.dp, key, ip);
    const a = connect('198.51.100.1', '192.0.2.20', 80);
    deleteReal(t.dp, key, a);
    const b = connect('198.51.100.1', '192.0.2.20', 80);
    expect(b).not.toBe(a);
    expect(b).toMatch(/^192\.0\.2\.1[12]$/);
    expect(connect('198.51.100.1', '192.0.2.20', 80)).toBe(b);
  });

  test('a template lives while it controls connections, then expires -p seconds later', () => {
    addPersistent(key, 20);
    for (const ip of ['192.0.2.11', '192.0.2.12']) ids[ip] = addReal(t.dp, key, ip);
    const sp = ++sport;
    const a = connect('198.51.100.1', '192.0.2.20', 80, TCP.SYN, sp);
    connect('198.51.100.1', '192.0.2.20', 80, TCP.ACK, sp); // ESTABLISHED: 900 s
    sweep(21);
    expect(templates()).toHaveLength(1); // n_control 1: kept, its timeout started over
    sweep(901); // the connection expires; the template's restarted timeout too
    sweep(901 + 21);
    expect(templates()).toHaveLength(0);
    expect(readRealConns(t.dp, ids[a]!)).toEqual({ activeConns: 0, inactiveConns: 0, persistConns: 0 });
  });

  test('an idle template expires after its -p timeout and the client may move', () => {
    addPersistent(key, 100);
    for (const ip of ['192.0.2.11', '192.0.2.12']) addReal(t.dp, key, ip);
    const sp = ++sport;
    const a = connect('198.51.100.1', '192.0.2.20', 80, TCP.SYN, sp);
    sweep(61); // SYN_RECV gone (60 s): the template controls nothing
    sweep(99);
    expect(templates()).toHaveLength(1);
    expect(connect('198.51.100.1', '192.0.2.20', 80)).toBe(a); // restarts the template's timeout
    sweep(61); // its new connection expired
    sweep(101);
    expect(templates()).toHaveLength(0);
    expect(connect('198.51.100.1', '192.0.2.20', 80)).not.toBe(a); // rr moved on
  });

  test('port-0 service (-p): all ports of the VIP, one real per client', () => {
    addPersistent(svcKey('tcp', '192.0.2.21', 0), 20);
    for (const ip of ['192.0.2.11', '192.0.2.12']) addReal(t.dp, svcKey('tcp', '192.0.2.21', 0), ip);
    const a = connect('198.51.100.1', '192.0.2.21', 80);
    expect(a).toMatch(/^192\.0\.2\.1[12]$/);
    expect(connect('198.51.100.1', '192.0.2.21', 443)).toBe(a);
    expect(connect('198.51.100.1', '192.0.2.21', 8080)).toBe(a);
    expect(templates().find((e) => e.virtual.addr.ip === '192.0.2.21')).toMatchObject({ virtual: { port: 0 }, real: { port: 0 } });
  });

  test('IPv6 -M 64: clients of one /64 share the template', () => {
    const k6 = svcKey('tcp', '2001:db8::20', 443);
    addPersistent(k6, 20, 64);
    for (const ip of ['2001:db8::11', '2001:db8::12']) addReal(t.dp, k6, ip);
    const a = connect('2001:db8:1:2::5', '2001:db8::20', 443);
    expect(connect('2001:db8:1:2::ffff', '2001:db8::20', 443)).toBe(a);
    expect(connect('2001:db8:1:3::5', '2001:db8::20', 443)).not.toBe(a);
    expect(addr(a).family).toBe('inet6');
  });
});
