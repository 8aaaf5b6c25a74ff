// Control-plane figures for `make bench`: restoring 1,000 services x 16 reals with
// `lvs-xdp -R`, listing them with `-Ln` (wall clock of the CLI, node start-up
// included, as an operator sees it), and the agent's CPU and memory with that set
// and 1,000,000 live connections in the table (sampled from /proc over ~20 s).
// Needs root; run by bench/run.sh inside `unshare --net` (no interface is touched:
// the director is loaded into a pin directory of its own, never attached).
//
//   node dist/bench/control-plane.js --md OUT.md [--conns 1000000] [--agent-secs 20]
//
// Fails only when a measurement cannot be taken (a command fails, a count is wrong).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDirector } from '../src/bpf/object.js';
import { ensurePinDir, pinPaths } from '../src/bpf/pins.js';
import { Dataplane } from '../src/bpf/dataplane.js';
import { readState } from '../src/bpf/state.js';
import { encode } from '../src/bpf/codec.js';
import { lb_conn, lb_conn_key, lb_tcp_state } from '../src/bpf/generated/layout.js';
import { monotonicNs } from '../src/bpf/conns.js';
import { directorObject, repoRoot } from '../src/util/paths.js';

class BenchError extends Error {}

const SERVICES = 1000, REALS = 16, RUNS = 3;
const arg = (name: string, dflt?: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const MD = arg('md');
const CONNS = Number(arg('conns', '1000000'));
const AGENT_SECS = Number(arg('agent-secs', '20'));
const pins = pinPaths(`/sys/fs/bpf/lxbench-cp-${process.pid}`);
const cli = join(repoRoot(), 'bin', 'lvs-xdp');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** 1,000 TCP services (198.51.100.1-250, ports 80-83; rr and wlc in turn), 16 DR reals each. */
function rules(): string {
  const out: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const vip = `198.51.100.${1 + (i % 250)}:${80 + Math.floor(i / 250)}`;
    out.push(`-A -t ${vip} -s ${i % 2 ? 'wlc' : 'rr'}`);
    for (let j = 0; j < REALS; j++) {
      out.push(`-a -t ${vip} -r 203.0.113.${1 + ((i * REALS + j) % 254)}:${8000 + j} -g -w ${1 + (j % 4)}`);
    }
  }
  return out.join('\n') + '\n';
}

function timed(args: string[], input?: string): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cli, ['--pin-dir', pins.dir, ...args], { input, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new BenchError(`lvs-xdp ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`);
  return { ms, stdout: r.stdout };
}

/** 1M established connections spread over every real, written straight into lb_conns. */
function fillConns(dp: Dataplane): number {
  const st = readState(dp);
  const reals = st.reals;
  if (reals.length !== SERVICES * REALS) throw new BenchError(`expected ${SERVICES * REALS} reals, found ${reals.length}`);
  const svcs = new Map(st.services.map((s) => [s.id, s]));
  const t0 = Date.now();
  const now = monotonicNs();
  const k = Buffer.alloc(lb_conn_key.size);
  const v = Buffer.alloc(lb_conn.size);
  for (let i = 0; i < CONNS; i++) {
    const r = reals[i % reals.length]!;
    const s = svcs.get(r.svcId)!;
    const vip = (s.key.addr as { ip: string }).ip.split('.').map(Number);
    encode(lb_conn_key, {
      saddr: [(0xc0000200 + (Math.floor(i / 60000) & 0xff)) >>> 0, 0, 0, 0],
      daddr: [((vip[0]! << 24) | (vip[1]! << 16) | (vip[2]! << 8) | vip[3]!) >>> 0, 0, 0, 0],
      sport: 1024 + (i % 60000), dport: s.key.port, proto: 6, family: 2,
    }, k);
    encode(lb_conn, { last_seen_ns: now, real_id: r.id, svc_id: s.id, real_seq: r.seq, state: lb_tcp_state.LB_TCP_ESTABLISHED, flags: 0 }, v);
    dp.maps.lb_conns.update(k, v);
  }
  return (Date.now() - t0) / 1000;
}

const CLK_TCK = 100; // USER_HZ on Linux
function procCpuTicks(pid: number): { user: number; sys: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), sys: Number(fields[12]) }; // utime, stime (fields 14, 15)
}
function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function agentLoad(): Promise<{ cpuPct: number; userPct: number; rssMb: number; maxRssMb: number; secs: number }> {
  const log = `/tmp/lxbench-agent-${process.pid}.log`;
  const child = spawn(cli, ['--pin-dir', pins.dir, 'agent'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  try {
    await sleep(4000); // start-up (node, first snapshot) is not the steady state
    if (child.exitCode !== null || !child.pid) throw new BenchError(`lvs-xdp agent exited: ${err.trim().split('\n')[0] ?? ''}`);
    const pid = child.pid; // bin/lvs-xdp execs node: same pid
    const c0 = procCpuTicks(pid), t0 = process.hrtime.bigint();
    const rss: number[] = [];
    for (let s = 0; s < AGENT_SECS; s++) { await sleep(1000); rss.push(procRssMb(pid)); }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const c1 = procCpuTicks(pid);
    const pct = (ticks: number) => (ticks / CLK_TCK / secs) * 100;
    const cpuPct = pct(c1.user + c1.sys - c0.user - c0.sys), userPct = pct(c1.user - c0.user);
    return { cpuPct, userPct, rssMb: median(rss), maxRssMb: Math.max(...rss), secs };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(log, { force: true });
  }
}

async function main(): Promise<void> {
  rmSync(pins.dir, { recursive: true, force: true });
  ensurePinDir(pins);
  const prog = loadDirector({ objPath: directorObject(), pins, connSize: 1 << 21 });
  prog.close();
  const file = `/tmp/lxbench-rules-${process.pid}`;
  writeFileSync(file, rules());
  try {
    const input = readFileSync(file, 'utf8');
    const restore: number[] = [], list: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      timed(['-C']);
      restore.push(timed(['-R'], input).ms);
      console.error(`  -R 1,000 x 16: ${restore.at(-1)!.toFixed(0)} ms`);
    }
    for (let i = 0; i < RUNS; i++) {
      const r = timed(['-Ln']);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('TCP') || l.trimStart().startsWith('->')).length;
      if (lines !== SERVICES * (REALS + 1) + 1) throw new BenchError(`-Ln listed ${lines} lines, expected ${SERVICES * (REALS + 1) + 1}`);
      list.push(r.ms);
      console.error(`  -Ln: ${r.ms.toFixed(0)} ms`);
    }
    const dp = Dataplane.open(pins);
    let fillSecs: number;
    try { fillSecs = fillConns(dp); } finally { dp.close(); }
    console.error(`  filled ${CONNS} connections in ${fillSecs.toFixed(1)} s`);
    const a = await agentLoad();
    console.error(`  agent: ${a.cpuPct.toFixed(2)} % of one core, VmRSS ${a.rssMb.toFixed(0)} MB (max ${a.maxRssMb.toFixed(0)})`);

    const row = (fig: string, v: string, goal: string, ok: boolean) => `| ${fig} | ${v} | ${goal} | ${ok ? '**met**' : 'not met'} |`;
    const R = median(restore), L = median(list);
    const md = [
      '## Control plane (1,000 services × 16 reals)', '',
      '| figure | median | goal | |', '|---|---|---|---|',
      row('`lvs-xdp -R` of 1,000 services × 16 reals (wall clock, node start included)', `${R.toFixed(0)} ms`, '≤ 1 s', R <= 1000),
      row('`lvs-xdp -Ln` of that set', `${L.toFixed(0)} ms`, '≤ 200 ms', L <= 200),
      row(`agent CPU (rate estimation over that set, ${CONNS.toLocaleString('en-US')} live connections)`, `${a.cpuPct.toFixed(2)} % of one core (user ${a.userPct.toFixed(1)} %)`, '≤ 5 %', a.cpuPct <= 5),
      row('agent memory (VmRSS, median of the samples; the goal is judged on the max)', `${a.rssMb.toFixed(0)} MB (max ${a.maxRssMb.toFixed(0)} MB)`, '≤ 150 MB', a.maxRssMb <= 150),
      '',
      `Runs: -R ${restore.map((x) => x.toFixed(0)).join(' · ')} ms (each after -C); -Ln ${list.map((x) => x.toFixed(0)).join(' · ')} ms.`,
      `Agent sampled from /proc/PID/stat (utime+stime) and /proc/PID/status over ${a.secs.toFixed(0)} s, after 4 s of start-up;`,
      `the ${CONNS.toLocaleString('en-US')} connections (ESTABLISHED, spread over all 16,000 reals) were written into lb_conns`,
      `in ${fillSecs.toFixed(1)} s before it started. Expiry and per-real counting of connections is not the agent's work:`,
      'the data plane\'s BPF timer does it (its cost is the next section\'s figure).',
      `<!-- agent-cpu-pct: ${a.cpuPct.toFixed(2)} -->`,
    ].join('\n') + '\n';
    if (MD) writeFileSync(MD, md); else process.stdout.write(md);
  } finally {
    rmSync(file, { force: true });
    rmSync(pins.dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench: control plane: ${(e as Error).message}`);
  rmSync(pins.dir, { recursive: true, force: true });
  process.exit(1);
});
