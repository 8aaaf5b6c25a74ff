// Connections and scheduling: a flow keeps its real whatever the tables do; rr and
// wrr follow IPVS's sequences; weight 0 quiesces; a removed real's flows go
// elsewhere on their next SYN; TCP state follows IPVS's input-only table. Every
// change goes through the control plane (readState → plan → applyOps).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  VERDICT_NAME, addReal, addService, describeBpf, connEntry, deleteReal, editReal, loadForTest,
  realOfMac, runCounted, setupFibNetns, svcKey, type FibNetns, type StatName, type TestDirector,
} from './harness.js';
import { TCP, macText, packet, withMacs } from './packets.js';
import { readState } from '../../src/bpf/state.js';
import { lb_tcp_state } from '../../src/bpf/generated/layout.js';
import type { Protocol, ServiceKey } from '../../src/model/types.js';

const maybe = describeBpf('conntrack');

const { LB_TCP_SYN_RECV: SR, LB_TCP_ESTABLISHED: ES, LB_TCP_FIN_WAIT: FW, LB_TCP_TIME_WAIT: TW, LB_TCP_CLOSE: CL } = lb_tcp_state;

let t: TestDirector | undefined;
let net: FibNetns;

interface Flow {
  proto: Protocol;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

let clientPort = 20000;
function flowTo(key: ServiceKey, src = key.addr.family === 'inet' ? '198.51.100.9' : '2001:db8:ffff::9'): Flow {
  return { proto: key.protocol, src, dst: key.addr.ip, sport: ++clientPort, dport: key.port };
}

interface Sent {
  verdict: string;
  /** The real the frame was sent to (by its destination MAC), when forwarded. */
  real?: string;
  delta: Partial<Record<StatName, number>>;
}

/** One packet of flow f with TCP flags (ignored for UDP); checks a forwarded frame is byte-exact. */
function send(f: Flow, flags: number = TCP.SYN): Sent {
  const v4 = !f.dst.includes(':');
  const input = packet({
    ip: v4 ? { v: 4, src: f.src, dst: f.dst } : { v: 6, src: f.src, dst: f.dst },
    l4: f.proto === 'tcp' ? { proto: 'tcp', sport: f.sport, dport: f.dport, flags } : { proto: 'udp', sport: f.sport, dport: f.dport },
    payload: flags & TCP.SYN ? undefined : Buffer.from('data'),
  });
  const r = runCounted(t!, input, net.ifindex);
  const verdict = VERDICT_NAME[r.verdict]!;
  if (verdict !== 'XDP_TX') return { verdict, delta: r.delta };
  const mac = macText(r.out);
  const real = realOfMac(mac, v4 ? 'inet' : 'inet6');
  expect(r.out.toString('hex')).toBe(withMacs(input, mac, net.mac).toString('hex'));
  return { verdict, real: real ?? `unknown MAC ${mac}`, delta: r.delta };
}

const tally = (reals: Array<string | undefined>): Record<string, number> =>
  reals.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r ?? 'none']: (acc[r ?? 'none'] ?? 0) + 1 }), {});

/** A fresh service (own VIP, own cursor) with DR reals: [ip, weight] in insertion order. */
function service(vip: string, scheduler: 'rr' | 'wrr', reals: Array<[string, number]>, proto: Protocol = 'tcp'): ServiceKey {
  const key = svcKey(proto, vip, 80);
  addService(t!.dp, key, scheduler);
  for (const [ip, w] of reals) addReal(t!.dp, key, ip, w);
  return key;
}

maybe('connection tracking and scheduling (BPF_PROG_TEST_RUN)', () => {
  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
  }, 30_000);

  afterAll(() => t?.cleanup());

  test('rr over 3 reals: 6 new flows cycle through 3 distinct reals, newest first as IPVS', () => {
    const key = service('192.0.2.50', 'rr', [['192.0.2.11', 1], ['192.0.2.12', 1], ['192.0.2.13', 1]]);
    const got = Array.from({ length: 6 }, () => send(flowTo(key)));
    const reals = got.map((s) => s.real);
    expect(new Set(reals.slice(0, 3)).size).toBe(3);
    expect(reals.slice(3)).toEqual(reals.slice(0, 3));
    expect(reals).toEqual(['192.0.2.13', '192.0.2.12', '192.0.2.11', '192.0.2.13', '192.0.2.12', '192.0.2.11']);
    for (const s of got) expect(s.delta).toEqual({ LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1 });
  }, 30_000);

  test('wrr 3:2:1 over 60 new flows gives exactly 30/20/10 (IPv6, UDP)', () => {
    const key = service('2001:db8::51', 'wrr', [['2001:db8::11', 3], ['2001:db8::12', 2], ['2001:db8::13', 1]], 'udp');
    const got = Array.from({ length: 60 }, () => send(flowTo(key)).real);
    expect(tally(got)).toEqual({ '2001:db8::11': 30, '2001:db8::12': 20, '2001:db8::13': 10 });
  }, 30_000);

  test('a flow stays on its real when the weights (and so the table) change', () => {
    const key = service('192.0.2.52', 'wrr', [['192.0.2.11', 1], ['192.0.2.12', 1], ['192.0.2.13', 1]]);
    const f = flowTo(key);
    const first = send(f, TCP.SYN).real!;
    for (const ip of ['192.0.2.11', '192.0.2.12', '192.0.2.13']) editReal(t!.dp, key, ip, ip === first ? 1 : 5);
    const svc = readState(t!.dp).services.find((s) => s.key.addr.ip === key.addr.ip)!;
    expect(svc.tableLen).toBe(11); // the table really was rebuilt: 1 + 5 + 5 slots
    for (const flags of [TCP.SYN, TCP.ACK, TCP.ACK | TCP.PSH, TCP.SYN, TCP.FIN | TCP.ACK]) {
      expect(send(f, flags)).toEqual({ verdict: 'XDP_TX', real: first, delta: { LB_STAT_TX: 1 } });
    }
    // New flows follow the new table (1:5:5); one period covers every slot once.
    const fresh = tally(Array.from({ length: 11 }, () => send(flowTo(key)).real));
    const others = ['192.0.2.11', '192.0.2.12', '192.0.2.13'].filter((ip) => ip !== first);
    expect(fresh).toEqual({ [first]: 1, [others[0]!]: 5, [others[1]!]: 5 });
  }, 30_000);

  test('weight 0 (quiesced): no new flows, but its existing flow stays', () => {
    const key = service('192.0.2.53', 'rr', [['192.0.2.11', 1], ['192.0.2.12', 1]]);
    const f = flowTo(key);
    const quiet = send(f).real!;
    const other = quiet === '192.0.2.11' ? '192.0.2.12' : '192.0.2.11';
    editReal(t!.dp, key, quiet, 0);
    const fresh = Array.from({ length: 6 }, () => send(flowTo(key)).real);
    expect(fresh).toEqual(Array(6).fill(other));
    expect(send(f, TCP.ACK)).toEqual({ verdict: 'XDP_TX', real: quiet, delta: { LB_STAT_TX: 1 } });
    expect(send(f, TCP.SYN)).toEqual({ verdict: 'XDP_TX', real: quiet, delta: { LB_STAT_TX: 1 } });
  }, 30_000);

  test('TCP state follows IPVS input-only table: SYN→SYN_RECV, ACK→ESTABLISHED, FIN→FIN_WAIT, RST→CLOSE', () => {
    const key = service('192.0.2.54', 'rr', [['192.0.2.11', 1]]);
    const cases: Array<{ steps: Array<[number, number]> }> = [
      { steps: [[TCP.SYN, SR], [TCP.ACK, ES], [TCP.FIN | TCP.ACK, FW], [TCP.RST, CL]] },
      { steps: [[TCP.SYN, SR], [TCP.SYN, SR], [TCP.ACK | TCP.PSH, ES], [TCP.SYN, ES], [TCP.FIN, FW], [TCP.ACK, FW]] },
      { steps: [[TCP.SYN, SR], [TCP.FIN, TW], [TCP.RST | TCP.ACK, CL], [TCP.SYN, SR]] },
      { steps: [[TCP.SYN, SR], [TCP.RST, SR], [TCP.ACK, ES], [TCP.RST | TCP.SYN, CL]] },
    ];
    for (const c of cases) {
      const f = flowTo(key);
      for (const [flags, state] of c.steps) {
        expect(send(f, flags).verdict).toBe('XDP_TX');
        expect({ flags, state: connEntry(t!.dp, f)?.state }).toEqual({ flags, state });
      }
    }
    const u = flowTo(service('192.0.2.54', 'rr', [['192.0.2.11', 1]], 'udp'));
    send(u);
    expect(connEntry(t!.dp, u)?.state).toBe(lb_tcp_state.LB_UDP_STATE);
  }, 30_000);

  test('deleting a real: next SYN of its flow is rescheduled, a non-SYN is passed', () => {
    const key = service('192.0.2.55', 'rr', [['192.0.2.11', 1], ['192.0.2.12', 1]]);
    const flows = Array.from({ length: 4 }, () => flowTo(key));
    const on = flows.map((f) => send(f).real);
    expect(on).toEqual(['192.0.2.12', '192.0.2.11', '192.0.2.12', '192.0.2.11']);
    deleteReal(t!.dp, key, '192.0.2.12');
    expect(send(flows[2]!, TCP.ACK)).toEqual({ verdict: 'XDP_PASS', delta: { LB_STAT_PASS_TCP_NO_CONN: 1, LB_STAT_CONN_RESCHED: 1 } });
    expect(send(flows[0]!, TCP.SYN)).toEqual({
      verdict: 'XDP_TX', real: '192.0.2.11', delta: { LB_STAT_TX: 1, LB_STAT_CONN_NEW: 1, LB_STAT_CONN_RESCHED: 1 },
    });
    expect(connEntry(t!.dp, flows[0]!)?.state).toBe(SR);
    expect(send(flows[1]!, TCP.ACK)).toEqual({ verdict: 'XDP_TX', real: '192.0.2.11', delta: { LB_STAT_TX: 1 } });
    expect(send(flows[0]!, TCP.ACK)).toEqual({ verdict: 'XDP_TX', real: '192.0.2.11', delta: { LB_STAT_TX: 1 } });
  }, 30_000);

  test('a real added into a removed one\'s id inherits neither its flows nor its next hop', () => {
    // The last-added real is removed and a new one takes its id (lowest free).
    // lb_conn.real_seq / lb_nexthop.real_seq tell them apart only if the new
    // real's seq differs from the removed one's.
    const key = service('192.0.2.56', 'rr', [['192.0.2.11', 1], ['192.0.2.12', 1]]);
    const f = flowTo(key);
    expect(send(f).real).toBe('192.0.2.12');
    const before = readState(t!.dp);
    const svcId = before.services.find((s) => s.key.addr.ip === key.addr.ip)!.id;
    const gone = before.reals.find((r) => r.svcId === svcId && r.addr.ip === '192.0.2.12')!;
    deleteReal(t!.dp, key, '192.0.2.12');
    const newId = addReal(t!.dp, key, '192.0.2.13');
    expect(newId).toBe(gone.id); // precondition: the id really is reused
    // The old flow's packet must not reach 192.0.2.13 (nor the removed .12).
    expect(send(f, TCP.ACK)).toEqual({ verdict: 'XDP_PASS', delta: { LB_STAT_PASS_TCP_NO_CONN: 1, LB_STAT_CONN_RESCHED: 1 } });
    // New flows scheduled to .13 carry .13's MAC, not the cached next hop of .12.
    const next = Array.from({ length: 2 }, () => send(flowTo(key)).real).sort();
    expect(next).toEqual(['192.0.2.11', '192.0.2.13']);
    // Why: plan.ts gives a new real seq = max(live seqs) + 1, which repeats the
    // removed real's seq when it was the last one added.
    expect(readState(t!.dp).reals.find((r) => r.id === newId)!.seq).not.toBe(gone.seq);
  }, 30_000);
});
