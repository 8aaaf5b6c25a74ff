// The agent loop against an in-memory data plane and scripted check results (real timers,
// delay_loop in tens of milliseconds; every wait bounded).
import { afterEach, describe, expect, test } from '@jest/globals';
import { AgentRunner, type DataplanePort, type PlanOutcome } from '../../src/agent/runner.js';
import { describeCommand, type CurrentService } from '../../src/agent/reconcile.js';
import type { CheckResult } from '../../src/agent/checkers/index.js';
import type { CheckerConfig } from '../../src/keepalived/index.js';
import { parseKeepalivedText } from '../../src/keepalived/index.js';
import type { Command } from '../../src/ipvsadm/command.js';
import { sameRealKey, sameServiceKey } from '../../src/model/types.js';
import { UnsupportedError } from '../../src/util/errors.js';

class FakeDataplane implements DataplanePort {
  services: CurrentService[] = [];
  applied: string[] = [];
  refuse: (c: Command) => string | undefined = () => undefined;
  down = false;

  transact(decide: (c: CurrentService[]) => import('../../src/agent/reconcile.js').ServicePlan[]): PlanOutcome[] {
    if (this.down) throw new Error('no lvs-xdp data plane in /x');
    return decide(structuredClone(this.services)).map((plan) => {
      const bad = plan.commands.find((c) => this.refuse(c));
      if (bad) return { plan, failed: { command: bad, error: new UnsupportedError(this.refuse(bad)!) } };
      for (const c of plan.commands) this.apply(c);
      return { plan };
    });
  }

  private apply(c: Command): void {
    this.applied.push(describeCommand(c));
    const find = (k: import('../../src/model/types.js').ServiceKey) => this.services.find((s) => sameServiceKey(s.service, k))!;
    if (c.kind === 'add-service') this.services.push({ service: c.service, reals: [] });
    else if (c.kind === 'edit-service') find(c.service).service = c.service;
    else if (c.kind === 'delete-service') this.services = this.services.filter((s) => !sameServiceKey(s.service, c.key));
    else if (c.kind === 'add-real') find(c.key).reals.push(c.real);
    else if (c.kind === 'edit-real') find(c.key).reals = find(c.key).reals.map((r) => (sameRealKey(r, c.real) ? c.real : r));
    else if (c.kind === 'delete-real') find(c.key).reals = find(c.key).reals.filter((r) => !sameRealKey(r, c.real));
  }

  weights(port = 80): string {
    const s = this.services.find((x) => x.service.port === port);
    return s ? s.reals.map((r) => `${r.addr.ip}=${r.weight}`).sort().join(' ') : '(none)';
  }
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const check = (body: string) => `TCP_CHECK {\n retry 1\n delay_before_retry 0.02\n connect_timeout 1\n${body}\n }`;
const vs = (port: number, body: string, reals: string) =>
  `virtual_server 192.0.2.10 ${port} {\n delay_loop 0.02\n lb_algo rr\n lb_kind DR\n protocol TCP\n${body}\n${reals}\n}\n`;
const real = (n: number, body = '', ck = check('')) => `real_server 192.0.2.1${n} ${80} {\n weight 1\n${body}\n${ck}\n}\n`;

interface Harness {
  runner: AgentRunner;
  dp: FakeDataplane;
  log: string[];
  ok: Map<string, CheckResult>;
  scripts: string[];
  setText(t: string): void;
}

let live: AgentRunner[] = [];
afterEach(async () => {
  await Promise.all(live.map((r) => r.stop()));
  live = [];
});

function harness(text: string, dp = new FakeDataplane()): Harness {
  let cur = text;
  const log: string[] = [];
  const ok = new Map<string, CheckResult>();
  const scripts: string[] = [];
  const runner = new AgentRunner({
    configFile: '/etc/k.conf',
    port: dp,
    log: (l) => log.push(l),
    parse: (f) => parseKeepalivedText(cur, f),
    check: async (c: CheckerConfig) => {
      await new Promise((r) => setTimeout(r, 2));
      const ip = c.type === 'MISC_CHECK' ? c.path : c.connect.ip.ip;
      return ok.get(ip) ?? { ok: true, reason: 'ok' };
    },
    script: async (cmd) => {
      scripts.push(cmd);
      return { status: 0, timedOut: false, stderr: '' };
    },
    random: () => 0,
    retryMs: 100,
  });
  live.push(runner);
  return { runner, dp, log, ok, scripts, setText: (t) => (cur = t) };
}

describe('agent runner', () => {
  test('a failing real is removed after retry failures and restored when it recovers; notify scripts run', async () => {
    const h = harness(vs(80, '', real(1, ' notify_down "/bin/echo down"\n notify_up "/bin/echo up"') + real(2)));
    h.runner.start();
    expect(h.dp.weights()).toBe('192.0.2.11=1 192.0.2.12=1');
    h.ok.set('192.0.2.11', { ok: false, reason: 'connect failed: ECONNREFUSED' });
    await until('rs1 removed', () => h.dp.weights() === '192.0.2.12=1');
    expect(h.log.some((l) => /TCP_CHECK of 192\.0\.2\.11:80 \(VS tcp 192\.0\.2\.10:80\) failed: connect failed: ECONNREFUSED; checker DOWN/.test(l))).toBe(true);
    expect(h.log).toContain('VS tcp 192.0.2.10:80: real server 192.0.2.11:80 is DOWN');
    expect(h.log).toContain('dataplane: delete-real tcp:192.0.2.10:80 192.0.2.11:80 (VS tcp 192.0.2.10:80)');
    expect(h.scripts).toContain('/bin/echo down');
    h.ok.delete('192.0.2.11');
    await until('rs1 back', () => h.dp.weights() === '192.0.2.11=1 192.0.2.12=1');
    expect(h.scripts).toContain('/bin/echo up');
  });

  test('inhibit_on_failure sets weight 0 instead; all down → the sorry server takes over, and leaves again', async () => {
    const h = harness(vs(80, ' sorry_server 192.0.2.13 80', real(1, ' inhibit_on_failure') + real(2)));
    h.runner.start();
    h.ok.set('192.0.2.11', { ok: false, reason: 'x' });
    await until('rs1 at weight 0', () => h.dp.weights() === '192.0.2.11=0 192.0.2.12=1');
    h.ok.set('192.0.2.12', { ok: false, reason: 'x' });
    await until('sorry server in', () => h.dp.weights() === '192.0.2.11=0 192.0.2.13=1');
    expect(h.log.some((l) => l.includes('sorry server 192.0.2.13:80 takes over'))).toBe(true);
    h.ok.clear();
    await until('pool back', () => h.dp.weights() === '192.0.2.11=1 192.0.2.12=1');
  });

  test('MISC_CHECK misc_dynamic sets the weight from the exit status', async () => {
    const misc = 'MISC_CHECK {\n misc_path /check-rs1\n misc_dynamic\n retry 0\n }';
    const h = harness(vs(80, '', real(1, ' weight 10', misc)));
    h.runner.start();
    expect(h.dp.weights()).toBe('192.0.2.11=10');
    h.ok.set('/check-rs1', { ok: true, weight: 3, reason: 'exited with status 5: weight 3' });
    await until('weight 3', () => h.dp.weights() === '192.0.2.11=3');
    expect(h.log.some((l) => l.includes('weight 10 -> 3 (misc_dynamic)'))).toBe(true);
  });

  test('hand-made services are left alone and reported once; a refused service does not stop the others', async () => {
    const dp = new FakeDataplane();
    dp.services.push({ service: { protocol: 'udp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 53, scheduler: 'rr', onePacket: false, schedFlags: [] }, reals: [] });
    dp.refuse = (c) => (c.kind === 'add-service' && c.service.scheduler === 'wlc' ? "scheduler 'wlc' is not supported yet" : undefined);
    const h = harness(vs(81, '', real(1)).replace('lb_algo rr', 'lb_algo wlc') + vs(80, '', real(1)), dp);
    h.runner.start();
    expect(h.dp.weights(80)).toBe('192.0.2.11=1');
    expect(h.dp.weights(81)).toBe('(none)');
    expect(h.dp.weights(53)).toBe('');
    h.ok.set('192.0.2.11', { ok: false, reason: 'x' });
    await until('rs1 removed', () => h.dp.weights(80) === '');
    expect(h.log.filter((l) => l.includes('udp:192.0.2.10:53 is not in /etc/k.conf: configured by hand, left alone'))).toHaveLength(1);
    expect(h.log.filter((l) => l.includes("VS tcp 192.0.2.10:81: the data plane refused 'add-service tcp:192.0.2.10:81 wlc': scheduler 'wlc' is not supported yet"))).toHaveLength(1);
  });

  test('reload applies only the difference; a syntax error keeps the running configuration', async () => {
    const text = vs(80, '', real(1) + real(2)) + vs(81, '', real(1));
    const h = harness(text);
    h.runner.start();
    h.dp.applied = [];
    h.setText(vs(80, '', real(1) + real(2).replace('weight 1', 'weight 4')) + vs(82, '', real(3)));
    expect(h.runner.reload().ok).toBe(true);
    expect(h.dp.applied).toEqual([
      'edit-real tcp:192.0.2.10:80 192.0.2.12:80 dr weight 4',
      'add-service tcp:192.0.2.10:82 rr',
      'add-real tcp:192.0.2.10:82 192.0.2.13:82 dr weight 1',
      'delete-service tcp:192.0.2.10:81',
    ]);
    h.dp.applied = [];
    h.setText('virtual_server 192.0.2.10 80 {\n lb_algo rr\n');
    const r = h.runner.reload();
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^reload failed: \/etc\/k\.conf:\d+: .*; keeping the running configuration$/);
    expect(h.dp.applied).toEqual([]);
    expect(h.runner.state.config.virtualServers.map((v) => v.id)).toEqual(['tcp 192.0.2.10:80', 'tcp 192.0.2.10:82']);
  });

  test('ignored statements are reported once, at load, with file and line', () => {
    const h = harness('global_defs {\n router_id X\n}\n' + vs(80, '', real(1)));
    h.runner.start();
    h.runner.reload();
    expect(h.log.filter((l) => l.startsWith('/etc/k.conf:1: global_defs: ignored:'))).toHaveLength(1);
  });

  test('at start, a service already in the data plane is held as found until its checkers have reported', async () => {
    const dp = new FakeDataplane();
    const h0 = harness(vs(80, '', real(1, '', check(' alpha'))), dp);
    h0.runner.start();
    await until('rs1 up', () => dp.weights() === '192.0.2.11=1');
    await h0.runner.stop();
    // a new agent: alpha would start rs1 down (removed) — held instead until its first check
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const log: string[] = [];
    const r2 = new AgentRunner({
      configFile: '/etc/k.conf', port: dp, log: (l) => log.push(l), random: () => 0,
      parse: (f) => parseKeepalivedText(vs(80, '', real(1, '', check(' alpha'))), f),
      check: async () => { await gate; return { ok: true, reason: 'ok' }; },
    });
    live.push(r2);
    dp.applied = [];
    r2.start();
    expect(dp.weights()).toBe('192.0.2.11=1');
    expect(dp.applied).toEqual([]);
    release();
    await until('released', () => log.some((l) => l.includes('every checker has reported')));
    expect(dp.weights()).toBe('192.0.2.11=1');
    expect(dp.applied).toEqual([]);
  });

  test('stop leaves the data plane as it is; an unreachable data plane is retried', async () => {
    const h = harness(vs(80, '', real(1)));
    h.dp.down = true;
    h.runner.start();
    expect(h.log.some((l) => l.startsWith('dataplane: cannot apply the configuration: no lvs-xdp data plane'))).toBe(true);
    h.dp.down = false;
    await until('applied after retry', () => h.dp.weights() === '192.0.2.11=1', 8000);
    await h.runner.stop();
    h.ok.set('192.0.2.11', { ok: false, reason: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(h.dp.weights()).toBe('192.0.2.11=1');
  }, 15_000);
});
