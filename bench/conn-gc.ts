// Cost of the in-kernel connection expiry sweep (bpf/include/gc.h) at a given table
// fill: the sweep's own timing (lb_gc.last_cost_ns, bpf_ktime_get_ns around it).
// Needs root; touches no interface (nothing is sent, the table is filled directly).
//
// Prints: sweeps run on demand (lb_gc_sweep) that keep every entry (the steady state),
// the second one (recount corrections); then the BPF timer's own walks for
// TIMER_SECS (default 25): how long each took and how long the timer then waited
// (gc.h gc_next_ms bounds the sweep's share of a CPU), and the share that makes; last,
// one sweep that expires them all.
//
//   node dist/bench/conn-gc.js [ENTRIES=1000000] [TIMER_SECS=25]
import { rmSync } from 'node:fs';
import { loadDirector } from '../src/bpf/object.js';
import { ensurePinDir, pinPaths } from '../src/bpf/pins.js';
import { Dataplane } from '../src/bpf/dataplane.js';
import { applyOps } from '../src/bpf/apply.js';
import { readState } from '../src/bpf/state.js';
import { encode } from '../src/bpf/codec.js';
import { lb_conn, lb_conn_key, lb_tcp_state } from '../src/bpf/generated/layout.js';
import { monotonicNs, readGc, setGcPaused, sweepNow } from '../src/bpf/conns.js';
import { planAddReal, planAddService } from '../src/plan/plan.js';
import { directorObject } from '../src/util/paths.js';
import type { Addr } from '../src/model/types.js';

const N = Number(process.argv[2] ?? 1_000_000);
const TIMER_SECS = Number(process.argv[3] ?? 25);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pins = pinPaths(`/sys/fs/bpf/lvs-xdp-bench-gc-${process.pid}`);
const a = (ip: string): Addr => ({ family: 'inet', ip });

rmSync(pins.dir, { recursive: true, force: true });
ensurePinDir(pins);
const prog = loadDirector({ objPath: directorObject(), pins, connSize: Math.max(1 << 21, N * 2) });
const dp = Dataplane.open(pins);
try {
  setGcPaused(dp, true);
  const key = { protocol: 'tcp' as const, addr: a('192.0.2.10'), port: 80 };
  applyOps(dp, planAddService(readState(dp), { ...key, scheduler: 'rr', onePacket: false, schedFlags: [] }));
  const reals: Array<{ id: number; seq: number }> = [];
  for (let i = 0; i < 4; i++) {
    const ops = planAddReal(readState(dp), key, { addr: a(`192.0.2.${11 + i}`), port: 80, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 });
    applyOps(dp, ops);
    const put = ops.find((o) => o.op === 'put-real');
    if (put?.op === 'put-real') reals.push({ id: put.real.id, seq: put.real.seq });
  }
  const t0 = Date.now();
  const now = monotonicNs();
  const k = Buffer.alloc(lb_conn_key.size);
  const v = Buffer.alloc(lb_conn.size);
  for (let i = 0; i < N; i++) {
    const r = reals[i % reals.length]!;
    encode(lb_conn_key, { saddr: [(0x0a000000 + Math.floor(i / 50000)) >>> 0, 0, 0, 0], daddr: [0xc000020a, 0, 0, 0], sport: 1024 + (i % 50000), dport: 80, proto: 6, family: 2 }, k);
    encode(lb_conn, { last_seen_ns: now, real_id: r.id, svc_id: 0, real_seq: r.seq, state: lb_tcp_state.LB_TCP_ESTABLISHED, flags: 0 }, v);
    dp.maps.lb_conns.update(k, v);
  }
  console.log(`filled ${N} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const run = (label: string, advanceSec: number) => {
    const w = process.hrtime.bigint();
    sweepNow(pins, BigInt(advanceSec) * 1_000_000_000n);
    const wall = Number(process.hrtime.bigint() - w) / 1e6;
    const g = readGc(dp);
    console.log(`${label}: ${(Number(g.last_cost_ns) / 1e6).toFixed(1)} ms in the kernel (${wall.toFixed(1)} ms wall), scanned ${g.last_scanned}, expired ${g.last_expired}`);
    return Number(g.last_cost_ns) / 1e6;
  };
  run('sweep 1 (recount notes the differences)', 0);
  run('sweep 2 (recount corrects them)', 0);
  const steady = [3, 4, 5, 6, 7].map((i) => run(`sweep ${i} (steady: nothing expires)`, 0));
  const sorted = steady.sort((x, y) => x - y);
  // The timer's own walks of the same table, as a user's director does them.
  const walks: Array<{ cost: number; wait: number }> = [];
  let runs = readGc(dp).runs;
  setGcPaused(dp, false);
  const end = Date.now() + TIMER_SECS * 1000;
  while (Date.now() < end) {
    await sleep(50);
    const g = readGc(dp);
    if (g.runs === runs) continue;
    runs = g.runs;
    walks.push({ cost: Number(g.last_cost_ns) / 1e6, wait: g.next_ms });
    console.log(`timer walk ${walks.length}: ${walks.at(-1)!.cost.toFixed(1)} ms, scanned ${g.last_scanned}; next walk in ${g.next_ms} ms`);
  }
  setGcPaused(dp, true);
  if (walks.length === 0) throw new Error(`the timer did not walk the table in ${TIMER_SECS} s`);
  const shares = walks.map((w) => (100 * w.cost) / w.wait).sort((x, y) => x - y);
  const waits = walks.map((w) => w.wait).sort((x, y) => x - y);
  run('sweep expiring every entry', 100_000);
  console.log(`steady-state sweep of ${N} entries: median ${sorted[2]!.toFixed(1)} ms`);
  console.log(`timer: a walk every ${(waits[Math.floor(waits.length / 2)]! / 1000).toFixed(1)} s; share ${shares[Math.floor(shares.length / 2)]!.toFixed(2)} % of one CPU`);
} finally {
  dp.close();
  prog.close();
  rmSync(pins.dir, { recursive: true, force: true });
}
