// Upgrades and crashes: one long-lived TCP connection through the director (a keep-alive
// HTTP request every 100 ms, each answered) survives `attach` with a rebuilt program (the
// program id changes, the pinned maps stay) and `kill -9` of the agent, twice. A restarted
// agent finds its pools as it left them and writes nothing. Pinned maps of another layout
// are refused by -Ln and attach with a clear message.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';
import { repoRoot } from '../../src/util/paths.js';
import { agentFiles, removeAgentFiles } from '../../src/agent/pidfile.js';
import { inNetns, inNetnsAsync } from '../../src/util/exec.js';
import { lb_abi, lb_meta, lb_svc, lb_svc_key } from '../../src/bpf/generated/layout.js';

const PREFIX = 'lxtf';
const why = labUnavailable();
if (why) console.warn(`upgrade lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

const dir = mkdtempSync('/tmp/lxtf-upgrade-');
const BIN = join(repoRoot(), 'bin', 'lvs-xdp');
const BAD = [`/sys/fs/bpf/${PREFIX}-bad1`, `/sys/fs/bpf/${PREFIX}-bad2`];

const CONF = `virtual_server 192.0.2.10 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 192.0.2.11 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
      alpha
    }
  }
  real_server 192.0.2.12 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
      alpha
    }
  }
}
`;

/** One TCP connection, a request every 100 ms for `ms`, every reply counted; a reset, close or 2 s stall is an error. */
const CLIENT = `
const net = require('net');
const dur = Number(process.argv[1]);
const s = net.connect({ host: '192.0.2.10', port: 80 });
let sent = 0, got = 0, err = null, buf = '', last = Date.now(), maxGap = 0, done = false;
const names = new Set();
s.on('connect', () => {
  last = Date.now();
  const t = setInterval(() => {
    if (Date.now() - last > 2000) err = err || 'stalled for 2 s';
    s.write('GET / HTTP/1.1\\r\\nHost: vip\\r\\n\\r\\n'); sent++;
  }, 100);
  setTimeout(() => { clearInterval(t); setTimeout(() => {
    done = true; console.log(JSON.stringify({ sent, got, names: [...names], err, maxGap })); s.destroy(); }, 1000); }, dur);
});
s.on('data', (d) => {
  buf += d;
  for (let m; (m = /^HTTP\\/1\\.1 200[^]*?\\r\\n\\r\\n(\\w+)\\n/.exec(buf)); buf = buf.slice(m[0].length)) {
    got++; names.add(m[1]); const now = Date.now(); maxGap = Math.max(maxGap, now - last); last = now;
  }
});
s.on('error', (e) => { err = err || e.code || e.message; });
s.on('close', () => { if (!done) { err = err || 'connection closed'; console.log(JSON.stringify({ sent, got, names: [...names], err, maxGap })); } });
`;

function progId(lab: Lab, ifname = 'eth0'): number | undefined {
  const j = JSON.parse(lab.sh(lab.info.director.netns, 'ip', '-j', 'link', 'show', ifname)) as Array<{ xdp?: { prog?: { id: number }; attached?: Array<{ prog?: { id: number } }> } }>;
  const x = j[0]?.xdp;
  return x?.prog?.id ?? x?.attached?.[0]?.prog?.id;
}

function hex(b: Buffer): string[] {
  return [...b].map((x) => x.toString(16).padStart(2, '0'));
}

maybe('upgrades and crashes (root, namespaces)', () => {
  let lab: Lab;
  const agents: ChildProcess[] = [];
  let obj2 = '';

  async function startAgent(): Promise<{ child: ChildProcess; out: () => string }> {
    let out = '';
    const child = spawn('nsenter', [`--net=/run/netns/${PREFIX}-dir`, '--', BIN, '--pin-dir', lab.pinDir, 'agent',
      '--config', join(dir, 'keepalived.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    agents.push(child);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`agent did not start in 15 s:\n${out}`)), 15_000);
      child.stdout!.on('data', () => { if (out.includes('agent: running')) { clearTimeout(t); resolve(); } });
      child.once('exit', (c) => { clearTimeout(t); reject(new Error(`agent exited ${c}:\n${out}`)); });
    });
    return { child, out: () => out };
  }

  async function kill9(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    for (const d of [`/sys/fs/bpf/${PREFIX}-dir`, ...BAD]) rmSync(d, { recursive: true, force: true });
    writeFileSync(join(dir, 'keepalived.conf'), CONF);
    // "a new build": the same source compiled again with another build tag, into its own file
    obj2 = join(dir, 'lb.bpf.o');
    const arch = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
    execFileSync('clang', ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', '-mcpu=v3', `-I/usr/include/${arch}-linux-gnu`,
      '-DLB_BUILD_TAG=2', '-c', join(repoRoot(), 'bpf', 'lb.bpf.c'), '-o', obj2], { stdio: 'pipe', timeout: 120_000 });
    lab = await startLab(PREFIX);
    lab.cli('attach', 'eth0');
  }, 180_000);

  afterAll(async () => {
    for (const a of agents) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
    await stopLab(PREFIX, lab);
    removeAgentFiles(agentFiles(`/sys/fs/bpf/${PREFIX}-dir`));
    for (const d of BAD) rmSync(d, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('a long-lived connection survives a program replacement and two kill -9 of the agent', async () => {
    const first = await startAgent();
    for (let i = 0; i < 100 && !/192\.0\.2\.12:80\s+Route\s+1/.test(lab.cli('-Ln')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(lab.cli('-Ln')).toMatch(/192\.0\.2\.11:80\s+Route\s+1 /);
    expect(lab.cli('-Ln')).toMatch(/192\.0\.2\.12:80\s+Route\s+1 /);
    const stream = inNetnsAsync(lab.info.client.netns, process.execPath, ['-e', CLIENT, '12000'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));

    // (a) upgrade: attach again with another build of the program
    const before = progId(lab);
    const r = inNetns(lab.info.director.netns, BIN, ['--pin-dir', lab.pinDir, 'attach', 'eth0'],
      { env: { ...process.env, LVS_XDP_OBJ: obj2 }, timeoutMs: 30_000 });
    expect(r.stdout).toContain('replaced program on eth0');
    const after = progId(lab);
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    await new Promise((r) => setTimeout(r, 1500));

    // (b) crash: kill -9 the agent, start another, kill -9 that one too
    await kill9(first.child);
    await new Promise((r) => setTimeout(r, 1000));
    const second = await startAgent();
    await new Promise((r) => setTimeout(r, 3000)); // its checkers report (alpha): the pool it found stays
    await kill9(second.child);
    expect(second.out()).toContain('every checker has reported');
    expect(second.out()).not.toContain('dataplane:'); // nothing to change: nothing written

    const res = JSON.parse((await stream).stdout.trim().split('\n').pop()!) as { sent: number; got: number; names: string[]; err: string | null; maxGap: number };
    expect(res.err).toBeNull();
    expect(res.sent).toBeGreaterThan(100);
    expect(res.got).toBe(res.sent);
    expect(res.names).toHaveLength(1); // one connection, one real server, all along
    expect(res.maxGap).toBeLessThan(1000);
    // still forwarding new connections with no agent at all
    expect(lab.curl('http://192.0.2.10/')).toMatch(/^rs[12]\n$/);
  }, 90_000);

  test('pinned maps of another layout are refused with a clear message, never misread', () => {
    // (1) lb_meta says layout version 999
    mkdirSync(join(BAD[0]!, 'maps'), { recursive: true });
    const meta = join(BAD[0]!, 'maps', 'lb_meta');
    execFileSync('bpftool', ['map', 'create', meta, 'type', 'array', 'key', '4', 'value', String(lb_meta.size), 'entries', '1', 'name', 'lb_meta']);
    const v = Buffer.alloc(lb_meta.size);
    v.writeUInt32LE(999, lb_meta.fields.abi_version.offset);
    execFileSync('bpftool', ['map', 'update', 'pinned', meta, 'key', '0', '0', '0', '0', 'value', 'hex', ...hex(v)]);
    const want = new RegExp(`^maps in ${BAD[0]} have layout version 999, this build uses ${lb_abi.LB_ABI_VERSION}; detach and remove ${BAD[0]} to start afresh\\n$`);
    const ls = inNetns(lab.info.director.netns, BIN, ['--pin-dir', BAD[0]!, '-Ln'], { allowFailure: true });
    expect(ls.status).not.toBe(0);
    expect(ls.stderr).toMatch(want);
    lab.sh(lab.info.director.netns, 'ip', 'link', 'add', 'lxtfdummy', 'type', 'veth', 'peer', 'name', 'lxtfdummy1');
    lab.sh(lab.info.director.netns, 'ip', 'link', 'set', 'lxtfdummy', 'up');
    const at = inNetns(lab.info.director.netns, BIN, ['--pin-dir', BAD[0]!, 'attach', 'lxtfdummy'], { allowFailure: true });
    expect(at.status).not.toBe(0);
    expect(at.stderr).toMatch(want);
    expect(progId(lab, 'lxtfdummy')).toBeUndefined();
    const ag = inNetns(lab.info.director.netns, BIN, ['--pin-dir', BAD[0]!, 'agent', '--config', join(dir, 'keepalived.conf')], { allowFailure: true, timeoutMs: 15_000 });
    expect(ag.status).not.toBe(0);
    expect(ag.stderr).toMatch(want);

    // (2) a map whose value size differs from this build's struct
    mkdirSync(join(BAD[1]!, 'maps'), { recursive: true });
    execFileSync('bpftool', ['map', 'create', join(BAD[1]!, 'maps', 'lb_meta'), 'type', 'array', 'key', '4', 'value', String(lb_meta.size), 'entries', '1', 'name', 'lb_meta']);
    execFileSync('bpftool', ['map', 'create', join(BAD[1]!, 'maps', 'lb_services'), 'type', 'hash', 'key', String(lb_svc_key.size),
      'value', String(lb_svc.size + 8), 'entries', '16', 'name', 'lb_services']);
    const ls2 = inNetns(lab.info.director.netns, BIN, ['--pin-dir', BAD[1]!, '-Ln'], { allowFailure: true });
    expect(ls2.status).not.toBe(0);
    expect(ls2.stderr).toBe(`pinned map lb_services in ${BAD[1]} has another layout (key ${lb_svc_key.size}/${lb_svc_key.size}, value ${lb_svc.size + 8}/${lb_svc.size} bytes): ` +
      `it was made by an incompatible lvs-xdp version; detach and remove ${BAD[1]} to start afresh\n`);
    const at2 = inNetns(lab.info.director.netns, BIN, ['--pin-dir', BAD[1]!, 'attach', 'lxtfdummy'], { allowFailure: true });
    expect(at2.status).not.toBe(0);
    expect(at2.stderr).toContain('pinned map lb_services');
    expect(progId(lab, 'lxtfdummy')).toBeUndefined();
  }, 60_000);
});
