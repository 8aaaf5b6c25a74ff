// The sweep's CPU budget (bpf/include/gc.h gc_next_ms): after a walk that took C, the
// BPF timer waits max(period, min(C x 100, 30 s)) before the next one, so a table big
// enough for a walk to take tens of ms is walked less often than once a second.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { addReal, addService, describeBpf, loadForTest, svcKey, type TestDirector } from './harness.js';
import { encode } from '../../src/bpf/codec.js';
import { lb_conn, lb_conn_key, lb_conn_timeout, lb_tcp_state } from '../../src/bpf/generated/layout.js';
import { monotonicNs, readGc, setGcPaused } from '../../src/bpf/conns.js';
import { readState } from '../../src/bpf/state.js';

const describe = describeBpf('gc-budget');
const N = 400_000; // ~0.1 us per entry: a walk of ~40 ms, a wait of ~4 s
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestDirector;

describe('the sweep keeps to its CPU budget (bpf)', () => {
  beforeAll(() => {
    t = loadForTest(1 << 20);
    setGcPaused(t.dp, true);
    const key = svcKey('tcp', '192.0.2.10', 80);
    addService(t.dp, key, 'rr');
    addReal(t.dp, key, '192.0.2.11');
    const r = readState(t.dp).reals[0]!;
    const ks = lb_conn_key.size;
    const vs = lb_conn.size;
    const now = monotonicNs();
    for (let done = 0; done < N; done += 4096) {
      const n = Math.min(4096, N - done);
      const keys = Buffer.alloc(ks * n);
      const values = Buffer.alloc(vs * n);
      for (let i = 0; i < n; i++) {
        const c = done + i;
        encode(lb_conn_key, {
          saddr: [(0x0a000000 + Math.floor(c / 50000)) >>> 0, 0, 0, 0], daddr: [0xc000020a, 0, 0, 0],
          sport: 1024 + (c % 50000), dport: 80, proto: 6, family: 2,
        }, keys.subarray(i * ks, (i + 1) * ks));
        encode(lb_conn, {
          last_seen_ns: now, real_id: r.id, real_seq: r.seq, svc_id: r.svcId, state: lb_tcp_state.LB_TCP_ESTABLISHED, flags: 0,
        }, values.subarray(i * vs, (i + 1) * vs));
      }
      t.dp.maps.lb_conns.updateMany(keys, values, n);
    }
  });
  afterAll(() => t?.cleanup());

  test('after a long walk the timer waits cost x 100 (capped at 30 s), and sweeps no sooner', async () => {
    const before = readGc(t.dp).runs;
    setGcPaused(t.dp, false);
    let g = readGc(t.dp);
    for (let i = 0; i < 40 && g.runs === before; i++) {
      await sleep(100);
      g = readGc(t.dp);
    }
    expect(g.runs).toBe(before + 1n);
    expect(Number(g.last_scanned)).toBe(N);
    const cost = Number(g.last_cost_ns);
    const { LB_GC_PERIOD_MS: period, LB_GC_BUDGET_PCT: pct, LB_GC_MAX_WAIT_MS: cap } = lb_conn_timeout;
    expect(cost * 100 / pct / 1e6).toBeGreaterThan(period); // the budget decides, not the period
    expect(g.next_ms).toBe(Math.max(period, Math.min(cap, Math.floor(cost / (10000 * pct)))));
    await sleep(Math.min(g.next_ms - 700, 2500)); // well inside the wait: no other walk
    expect(readGc(t.dp).runs).toBe(before + 1n);
    setGcPaused(t.dp, true);
  }, 20_000);
});
