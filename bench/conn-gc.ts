// Cost of the in-kernel connection expiry sweep (bpf/include/gc.h) at a given table
// fill: the sweep's own timing (lb_gc.last_cost_ns, bpf_ktime_get_ns around it).
// Needs root; touches no interface (nothing is sent, the table is filled directly).
//
//   node dist/bench/conn-gc.js [ENTRIES=1000000]
//
// Prints: a sweep that keeps every entry (the steady state, once a second), the
// second one (recount corrections), and one that expires them all.
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
  run('sweep expiring every entry', 100_000);
  console.log(`steady-state sweep of ${N} entries: median ${sorted[2]!.toFixed(1)} ms every period (1 s)`);
} finally {
  dp.close();
  prog.close();
  rmSync(pins.dir, { recursive: true, force: true });
}
