// The agent with a keepalived configuration against real servers in namespaces:
// a dead HTTP daemon takes its real out (or to weight 0 with inhibit_on_failure) within
// delay_loop + retry × delay_before_retry, traffic goes on with the others, the real
// comes back when its daemon does; MISC_CHECK misc_dynamic changes the wrr split; the
// sorry server takes over when every real is down; reload applies only the difference.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';
import { repoRoot } from '../../src/util/paths.js';
import { agentFiles, removeAgentFiles } from '../../src/agent/pidfile.js';
import { startServer, stopServer } from '../../src/lab/servers.js';

const PREFIX = 'lxte';
const why = labUnavailable();
if (why) console.warn(`agent-health lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

/** What the health checks need at most to notice: delay_loop + retry × delay_before_retry + connect_timeout, plus slack. */
const DETECT_MS = (1 + 1 * 1 + 1) * 1000 + 3000;

const dir = mkdtempSync('/tmp/lxte-agent-');
const CONF = join(dir, 'keepalived.conf');

function httpReal(n: number, extra = ''): string {
  return `  real_server 192.0.2.1${n} 80 {
    weight 1
${extra}
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }`;
}

function miscReal(n: number): string {
  return `  real_server 2001:db8::1${n} 80 {
    weight 1
    MISC_CHECK {
      misc_path "${dir}/check rs${n}"
      misc_dynamic
      misc_timeout 2
    }
  }`;
}

function config(rs2Weight = 1): string {
  return `global_defs {
  router_id LXTE
}
virtual_server 192.0.2.10 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  sorry_server 192.0.2.13 80
${httpReal(1, `    notify_down "${dir}/notify rs1 down"\n    notify_up "${dir}/notify rs1 up"`)}
${httpReal(2, `    inhibit_on_failure`).replace('weight 1', `weight ${rs2Weight}`)}
}
virtual_server 2001:db8::10 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind DR
  protocol TCP
${miscReal(1)}
${miscReal(2)}
}
`;
}

/** Reals of one service in `-Ln` as "ip weight" lines (sorted), or undefined if the service is absent. */
function pool(lab: Lab, header: string): string[] | undefined {
  const lines = lab.cli('-Ln').split('\n');
  const i = lines.findIndex((l) => l.trimEnd() === header || l.startsWith(header + ' '));
  if (i < 0) return undefined;
  const out: string[] = [];
  for (const l of lines.slice(i + 1)) {
    const m = /^\s+->\s+(\S+)\s+\S+\s+(\d+)/.exec(l);
    if (!m) break;
    out.push(`${m[1]} ${m[2]}`);
  }
  return out.sort();
}

async function waitPool(lab: Lab, header: string, want: string[], ms = DETECT_MS): Promise<number> {
  const t0 = Date.now();
  let last: string[] | undefined;
  while (Date.now() - t0 < ms) {
    last = pool(lab, header);
    if (JSON.stringify(last) === JSON.stringify([...want].sort())) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${header}: pool is ${JSON.stringify(last)}, wanted ${JSON.stringify(want)} within ${ms} ms`);
}

function names(lab: Lab, url: string, n: number): Record<string, number> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const got = lab.curl(url).trim() || '(failed)';
    seen[got] = (seen[got] ?? 0) + 1;
  }
  return seen;
}

maybe('agent: keepalived health checks (root, namespaces)', () => {
  let lab: Lab;
  let agent: ChildProcess | undefined;
  let out = '';
  const runDir = `/run/lvs-xdp-lab/${PREFIX}`;
  const rsNs = (n: number) => `${PREFIX}-rs${n}`;
  const kill = (n: number) => stopServer(runDir, `rs${n}`);
  const revive = (n: number) => startServer('name', rsNs(n), `rs${n}`, 80, 53, runDir);
  const setCode = (n: number, code: number) => writeFileSync(join(dir, `rs${n}.code`), `${code}\n`);
  /** The agent's output arrives through a pipe: give the event loop turns until the line is there. */
  const logged = async (what: RegExp | string, ms = 3000): Promise<void> => {
    const has = () => (typeof what === 'string' ? out.includes(what) : what.test(out));
    for (let t = 0; !has() && t < ms; t += 50) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(what);
  };
  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    writeFileSync(join(dir, 'notify'), `#!/bin/sh\necho "$@" >> ${dir}/notify.log\n`);
    writeFileSync(join(dir, 'check'), `#!/bin/sh\nexit $(cat ${dir}/$1.code 2>/dev/null || echo 0)\n`);
    chmodSync(join(dir, 'notify'), 0o755);
    chmodSync(join(dir, 'check'), 0o755);
    writeFileSync(CONF, config());
    rmSync(`/sys/fs/bpf/${PREFIX}-dir`, { recursive: true, force: true }); // left by an interrupted run
    lab = await startLab(PREFIX);
    lab.cli('attach', 'eth0');
    // made by hand: the agent must leave it alone
    lab.cli('-A', '-u', '192.0.2.10:53', '-s', 'rr');
    lab.cli('-a', '-u', '192.0.2.10:53', '-r', '192.0.2.13', '-g');
    agent = spawn('nsenter', [`--net=/run/netns/${PREFIX}-dir`, '--', join(repoRoot(), 'bin', 'lvs-xdp'),
      '--pin-dir', lab.pinDir, 'agent', '--config', CONF], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`agent did not start in 15 s:\n${out}`)), 15_000);
      agent!.stdout!.on('data', () => { if (out.includes('agent: running')) { clearTimeout(t); resolve(); } });
      agent!.once('exit', (c) => { clearTimeout(t); reject(new Error(`agent exited ${c}:\n${out}`)); });
    });
  }, 90_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
    }
    if (process.env.LXT_SHOW_AGENT) console.log(out);
    await stopLab(PREFIX, lab);
    removeAgentFiles(agentFiles(`/sys/fs/bpf/${PREFIX}-dir`));
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('at start: both virtual servers applied; the hand-made service left alone; ignored statements listed once', async () => {
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.11:80 1', '192.0.2.12:80 1']);
    await waitPool(lab, 'TCP  [2001:db8::10]:80 wrr', ['[2001:db8::11]:80 1', '[2001:db8::12]:80 1']);
    expect(pool(lab, 'UDP  192.0.2.10:53 rr')).toEqual(['192.0.2.13:53 1']);
    await logged('agent: service udp:192.0.2.10:53 is not in');
    expect(out.match(/global_defs: ignored/g)).toHaveLength(1);
    const seen = names(lab, 'http://192.0.2.10/', 6);
    expect(seen).toEqual({ rs1: 3, rs2: 3 });
  }, 30_000);

  test('MISC_CHECK misc_dynamic: exit status sets the weight, and the wrr split follows', async () => {
    setCode(1, 5); // weight 3
    setCode(2, 3); // weight 1
    await waitPool(lab, 'TCP  [2001:db8::10]:80 wrr', ['[2001:db8::11]:80 3', '[2001:db8::12]:80 1']);
    expect(names(lab, 'http://[2001:db8::10]/', 8)).toEqual({ rs1: 6, rs2: 2 });
    setCode(1, 0); // exit 0: the configured weight again
    setCode(2, 0);
    await waitPool(lab, 'TCP  [2001:db8::10]:80 wrr', ['[2001:db8::11]:80 1', '[2001:db8::12]:80 1']);
    await logged(/real server \[2001:db8::11\]:80: weight 1 -> 3 \(misc_dynamic\)/);
  }, 30_000);

  test('a dead HTTP daemon: removed within the check interval, traffic goes on, back when restarted; notify scripts run', async () => {
    await kill(1);
    const took = await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.12:80 1']);
    expect(took).toBeLessThan(DETECT_MS);
    expect(names(lab, 'http://192.0.2.10/', 6)).toEqual({ rs2: 6 });
    await logged(/HTTP_GET of 192\.0\.2\.11:80 \(VS tcp 192\.0\.2\.10:80\) failed: .*; checker DOWN/);
    await logged('real server 192.0.2.11:80 is DOWN');
    await revive(1);
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.11:80 1', '192.0.2.12:80 1']);
    expect(names(lab, 'http://192.0.2.10/', 4)).toEqual({ rs1: 2, rs2: 2 });
    const notes = () => (existsSync(join(dir, 'notify.log')) ? readFileSync(join(dir, 'notify.log'), 'utf8') : '');
    for (let i = 0; i < 20 && !notes().includes('rs1 up'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(notes()).toBe('rs1 down\nrs1 up\n');
  }, 40_000);

  test('inhibit_on_failure: weight 0 instead of removal, connections quiesced; restored when back', async () => {
    await kill(2);
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.11:80 1', '192.0.2.12:80 0']);
    expect(names(lab, 'http://192.0.2.10/', 4)).toEqual({ rs1: 4 });
    await revive(2);
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.11:80 1', '192.0.2.12:80 1']);
  }, 40_000);

  test('sorry server: takes over when every real is down, steps back when they return', async () => {
    await Promise.all([kill(1), kill(2)]);
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.12:80 0', '192.0.2.13:80 1']);
    expect(names(lab, 'http://192.0.2.10/', 3)).toEqual({ rs3: 3 });
    await logged('sorry server 192.0.2.13:80 takes over');
    await Promise.all([revive(1), revive(2)]);
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.11:80 1', '192.0.2.12:80 1']);
    expect(names(lab, 'http://192.0.2.10/', 2)).toEqual({ rs1: 1, rs2: 1 });
  }, 40_000);

  test('reload (lvs-xdp agent reload): only the difference; a syntax error names file:line and keeps everything', async () => {
    const stats = () => lab.cli('-Ln', '--stats').split('\n').find((l) => l.startsWith('TCP  [2001:db8::10]:80'))!;
    names(lab, 'http://[2001:db8::10]/', 2);
    const before = stats();
    const conns = Number(before.trim().split(/\s+/)[2]);
    expect(conns).toBeGreaterThan(0);
    await settle();
    const mark = out.length;
    writeFileSync(CONF, config(2));
    const r = lab.cliStatus('agent', 'reload');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^agent \(pid \d+\): reloaded .*keepalived\.conf: 2 virtual server\(s\)/);
    await waitPool(lab, 'TCP  192.0.2.10:80 rr', ['192.0.2.11:80 1', '192.0.2.12:80 2']);
    for (let i = 0; i < 50 && !out.slice(mark).includes('dataplane: edit-real'); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // anything else it would have done
    const applied = out.slice(mark).split('\n').filter((l) => l.includes('agent: dataplane:'));
    expect(applied.map((l) => l.replace(/^\S+ agent: /, ''))).toEqual(['dataplane: edit-real tcp:192.0.2.10:80 192.0.2.12:80 dr weight 2 (VS tcp 192.0.2.10:80)']);
    expect(Number(stats().trim().split(/\s+/)[2])).toBe(conns); // the untouched service was not recreated
    // a broken file: nothing changes
    writeFileSync(CONF, config(3).replace('lb_kind DR\n', 'lb_kind DR {\n'));
    const bad = lab.cliStatus('agent', 'reload');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^agent reload: reload failed: ${CONF.replace(/\//g, '\\/')}:\\d+: .*; keeping the running configuration\\n$`));
    expect(pool(lab, 'TCP  192.0.2.10:80 rr')).toEqual(['192.0.2.11:80 1', '192.0.2.12:80 2']);
    expect(pool(lab, 'UDP  192.0.2.10:53 rr')).toEqual(['192.0.2.13:53 1']);
  }, 40_000);

  test('SIGTERM stops the agent; the data plane keeps its pools and forwards', async () => {
    const exited = new Promise<number | null>((r) => agent!.once('exit', (c) => r(c)));
    agent!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(pool(lab, 'TCP  192.0.2.10:80 rr')).toEqual(['192.0.2.11:80 1', '192.0.2.12:80 2']);
    const seen = names(lab, 'http://192.0.2.10/', 4);
    expect(seen).toEqual({ rs1: 2, rs2: 2 }); // rr: weights above 0 do not matter
    const r = lab.cliStatus('agent', 'reload');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^agent reload: no agent is running for the data plane in \/sys\/fs\/bpf\/lxte-dir/);
  }, 30_000);

  test('an agent started on a broken configuration names file:line, exits 1 and applies nothing', () => {
    const before = lab.cli('-Ln');
    writeFileSync(CONF, config(1).replace('lb_kind DR\n', 'lb_kind DR {\n'));
    const r = lab.cliStatus('agent', '--config', CONF);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${CONF.replace(/\//g, '\\/')}:\\d+: unbalanced braces`));
    expect(lab.cli('-Ln')).toBe(before);
  }, 30_000);
});
