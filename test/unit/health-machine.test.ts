import { describe, expect, test } from '@jest/globals';
import { emptyHealth, nextDueMs, step, type HealthAction, type HealthEvent, type HealthState } from '../../src/agent/health.js';
import { parseKeepalivedText } from '../../src/keepalived/index.js';

const VS = 'tcp 192.0.2.10:80';
const R1 = '192.0.2.11:80';
const R2 = '192.0.2.12:80';

function cfg(vsBody: string, reals: string): ReturnType<typeof parseKeepalivedText> {
  return parseKeepalivedText(`virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo wrr\n lb_kind DR\n delay_loop 6\n${vsBody}\n${reals}\n}\n`, '/k.conf');
}
const real = (ip: string, body: string, check = 'TCP_CHECK {\n retry 2\n delay_before_retry 1\n }') => `real_server ${ip} 80 {\n${body}\n${check}\n}`;

/** Runs events in order; returns the final state and each step's actions. */
function run(state: HealthState, events: HealthEvent[]): { state: HealthState; steps: HealthAction[][] } {
  const steps: HealthAction[][] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    steps.push(r.actions);
  }
  return { state, steps };
}
const res = (realKey: string, ok: boolean, nowMs: number, extra: { weight?: number; checker?: number } = {}): HealthEvent =>
  ({ type: 'result', vs: VS, real: realKey, checker: extra.checker ?? 0, ok, nowMs, ...(extra.weight !== undefined ? { weight: extra.weight } : {}) });

describe('health: one real, retries (tcp_epilog)', () => {
  const config = cfg('', real('192.0.2.11', ' weight 5\n notify_up /bin/up\n notify_down /bin/down'));

  test('load adds the service and, without alpha, the real at once', () => {
    const { actions, state } = step(emptyHealth(), { type: 'load', config, nowMs: 0 });
    expect(actions).toEqual([{ type: 'add-service', vs: VS }, { type: 'add-real', vs: VS, real: R1, weight: 5 }]);
    expect(nextDueMs(state)).toBe(0);
  });

  test('after a success, a failure is retried `retry` times delay_before_retry apart, then the real goes down', () => {
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const { state, steps } = run(s0, [
      { type: 'tick', nowMs: 0 }, res(R1, true, 0),
      { type: 'tick', nowMs: 6000 }, { type: 'tick', nowMs: 6010 }, res(R1, false, 6020),
      { type: 'tick', nowMs: 7020 }, res(R1, false, 7030),
      { type: 'tick', nowMs: 8030 }, res(R1, false, 8040),
      { type: 'tick', nowMs: 14040 }, res(R1, false, 14050),
      res(R1, true, 20060),
    ]);
    expect(steps[0]).toEqual([{ type: 'run-check', vs: VS, real: R1, checker: 0 }]);
    expect(steps[1]).toEqual([]);
    expect(steps[2]).toEqual([{ type: 'run-check', vs: VS, real: R1, checker: 0 }]);
    expect(steps[3]).toEqual([]); // still running: not started twice
    expect(steps[4]).toEqual([]); // failure 1 → retry 1 of 2
    expect(steps[6]).toEqual([]); // failure 2 → retry 2 of 2
    expect(steps[8]).toEqual([
      { type: 'remove-real', vs: VS, real: R1 },
      { type: 'run-script', vs: VS, real: R1, reason: 'notify_down', script: '/bin/down' },
    ]);
    expect(steps[10]).toEqual([]); // already down: nothing more
    expect(steps[11]).toEqual([
      { type: 'add-real', vs: VS, real: R1, weight: 5 },
      { type: 'run-script', vs: VS, real: R1, reason: 'notify_up', script: '/bin/up' },
    ]);
    expect(nextDueMs(state)).toBe(20060 + 6000);
  });

  test('retries are scheduled delay_before_retry after the failure, normal checks delay_loop after', () => {
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const a = run(s0, [{ type: 'tick', nowMs: 0 }, res(R1, true, 100)]).state;
    expect(nextDueMs(a)).toBe(6100);
    const b = run(a, [{ type: 'tick', nowMs: 6100 }, res(R1, false, 6200)]).state;
    expect(nextDueMs(b)).toBe(7200);
    const c = run(b, [{ type: 'tick', nowMs: 7200 }, res(R1, true, 7300)]).state;
    expect(nextDueMs(c)).toBe(13300);
    expect(c.vs[0]!.reals[0]!.checkers[0]!.retryIt).toBe(0);
  });

  test('the very first check needs only one failure (retry_it starts at retry)', () => {
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const { steps } = run(s0, [{ type: 'tick', nowMs: 0 }, res(R1, false, 5)]);
    expect(steps[1]).toEqual([
      { type: 'remove-real', vs: VS, real: R1 },
      { type: 'run-script', vs: VS, real: R1, reason: 'notify_down', script: '/bin/down' },
    ]);
  });

  test('load jitter spreads the first check over warmup', () => {
    const s = step(emptyHealth(), { type: 'load', config, nowMs: 1000, jitter: 0.5 }).state;
    expect(nextDueMs(s)).toBe(1000 + 3000);
  });
});

describe('health: alpha and inhibit_on_failure', () => {
  test('alpha: the real starts down and joins on its first success; a first failure runs notify_down', () => {
    const config = cfg(' alpha', real('192.0.2.11', ' notify_down /bin/down') + '\n' + real('192.0.2.12', ''));
    const l = step(emptyHealth(), { type: 'load', config, nowMs: 0 });
    expect(l.actions).toEqual([{ type: 'add-service', vs: VS }]);
    const { steps } = run(l.state, [res(R1, false, 10), res(R2, true, 10), res(R1, true, 6010)]);
    expect(steps[0]).toEqual([{ type: 'run-script', vs: VS, real: R1, reason: 'notify_down', script: '/bin/down' }]);
    expect(steps[1]).toEqual([{ type: 'add-real', vs: VS, real: R2, weight: 1 }]);
    expect(steps[2]).toEqual([{ type: 'add-real', vs: VS, real: R1, weight: 1 }]);
  });

  test('inhibit_on_failure: in the pool from the start (weight 0 under alpha), down → weight 0, up → configured weight', () => {
    const config = cfg(' alpha', real('192.0.2.11', ' weight 7\n inhibit_on_failure'));
    const l = step(emptyHealth(), { type: 'load', config, nowMs: 0 });
    expect(l.actions).toEqual([{ type: 'add-service', vs: VS }, { type: 'add-real', vs: VS, real: R1, weight: 0 }]);
    const { steps } = run(l.state, [res(R1, true, 1), res(R1, false, 2), res(R1, false, 3), res(R1, false, 4), res(R1, true, 5)]);
    expect(steps[0]).toEqual([{ type: 'set-weight', vs: VS, real: R1, weight: 7 }]);
    expect(steps[1]).toEqual([]);
    expect(steps[2]).toEqual([]);
    expect(steps[3]).toEqual([{ type: 'set-weight', vs: VS, real: R1, weight: 0 }]);
    expect(steps[4]).toEqual([{ type: 'set-weight', vs: VS, real: R1, weight: 7 }]);
  });

  test('several checkers: down when any is down, back only when all are up', () => {
    const two = 'TCP_CHECK {\n retry 0\n }\n MISC_CHECK {\n misc_path /bin/true\n }';
    const config = cfg('', real('192.0.2.11', '', two));
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const { steps } = run(s0, [res(R1, false, 1), res(R1, false, 2, { checker: 1 }), res(R1, true, 3), res(R1, true, 4, { checker: 1 })]);
    expect(steps[0]).toEqual([{ type: 'remove-real', vs: VS, real: R1 }]);
    expect(steps[1]).toEqual([]);
    expect(steps[2]).toEqual([]);
    expect(steps[3]).toEqual([{ type: 'add-real', vs: VS, real: R1, weight: 1 }]);
  });
});

describe('health: quorum, hysteresis and the sorry server (update_quorum_state)', () => {
  const reals = real('192.0.2.11', ' weight 3', 'TCP_CHECK {\n retry 0\n }') + '\n' + real('192.0.2.12', ' weight 4', 'TCP_CHECK {\n retry 0\n }');
  const body = ' quorum 5\n hysteresis 2\n sorry_server 192.0.2.99 80\n quorum_up /bin/qup\n quorum_down /bin/qdown';

  test('lost below quorum - hysteresis, regained at quorum + hysteresis; the sorry server covers in between', () => {
    const config = cfg(body, reals);
    const l = step(emptyHealth(), { type: 'load', config, nowMs: 0 });
    expect(l.state.vs[0]!.quorumUp).toBe(true); // 7 >= 5 + 2
    const { steps, state } = run(l.state, [res(R2, false, 1), res(R1, false, 2), res(R1, true, 3), res(R2, true, 4)]);
    expect(steps[0]).toEqual([{ type: 'remove-real', vs: VS, real: R2 }]); // 3 is not < 5 - 2
    expect(steps[1]).toEqual([
      { type: 'add-sorry', vs: VS, real: '192.0.2.99:80', weight: 1 },
      { type: 'remove-real', vs: VS, real: R1 },
      { type: 'run-script', vs: VS, reason: 'quorum_down', script: '/bin/qdown' },
    ]);
    expect(steps[2]).toEqual([]); // 3 < 5 + 2: quorum still down, R1 waits behind the sorry server
    expect(steps[3]).toEqual([
      { type: 'remove-sorry', vs: VS, real: '192.0.2.99:80' },
      { type: 'add-real', vs: VS, real: R1, weight: 3 },
      { type: 'add-real', vs: VS, real: R2, weight: 4 },
      { type: 'run-script', vs: VS, reason: 'quorum_up', script: '/bin/qup' },
    ]);
    expect(state.vs[0]!.quorumUp).toBe(true);
  });

  test('alpha: starting without quorum puts the sorry server in at once and runs quorum_down', () => {
    const config = cfg(body + '\n alpha', reals);
    const l = step(emptyHealth(), { type: 'load', config, nowMs: 0 });
    expect(l.actions).toEqual([
      { type: 'add-service', vs: VS },
      { type: 'add-sorry', vs: VS, real: '192.0.2.99:80', weight: 1 },
      { type: 'run-script', vs: VS, reason: 'quorum_down', script: '/bin/qdown' },
    ]);
  });

  test('sorry_server_inhibit keeps the sorry server in the pool with weight 0 while quorum holds', () => {
    const config = cfg(body + '\n sorry_server_inhibit', reals);
    const l = step(emptyHealth(), { type: 'load', config, nowMs: 0 });
    expect(l.actions).toContainEqual({ type: 'add-sorry', vs: VS, real: '192.0.2.99:80', weight: 0 });
    const down = run(l.state, [res(R2, false, 1), res(R1, false, 2)]).steps[1]!;
    expect(down[0]).toEqual({ type: 'add-sorry', vs: VS, real: '192.0.2.99:80', weight: 1 });
  });

  test('without a sorry server, losing quorum only runs quorum_down (the reals stay as they are)', () => {
    const config = cfg(' quorum 4\n quorum_down /bin/qdown', reals);
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    expect(run(s0, [res(R2, false, 1)]).steps[0]).toEqual([
      { type: 'remove-real', vs: VS, real: R2 },
      { type: 'run-script', vs: VS, reason: 'quorum_down', script: '/bin/qdown' },
    ]);
  });
});

describe('health: misc_dynamic weights (check_misc.c)', () => {
  const config = cfg('', real('192.0.2.11', ' weight 10', 'MISC_CHECK {\n misc_path /bin/check\n misc_dynamic\n }'));

  test('exit 2..255 sets weight = status - 2, exit 0 restores the configured weight, a failure removes and resets', () => {
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const { steps, state } = run(s0, [
      res(R1, true, 1, { weight: 3 }), res(R1, true, 2, { weight: 3 }), res(R1, true, 3), res(R1, true, 4, { weight: 0 }),
      res(R1, false, 5), res(R1, true, 6),
    ]);
    expect(steps[0]).toEqual([{ type: 'set-weight', vs: VS, real: R1, weight: 3 }]);
    expect(steps[1]).toEqual([]);
    expect(steps[2]).toEqual([{ type: 'set-weight', vs: VS, real: R1, weight: 10 }]);
    expect(steps[3]).toEqual([{ type: 'set-weight', vs: VS, real: R1, weight: 0 }]);
    expect(steps[4]).toEqual([{ type: 'remove-real', vs: VS, real: R1 }]); // MISC retry defaults to 0
    expect(state.vs[0]!.reals[0]!.effectiveWeight).toBe(10);
    expect(steps[5]).toEqual([{ type: 'add-real', vs: VS, real: R1, weight: 10 }]);
  });

  test('a dynamic weight of 0 counts as no live weight for the quorum', () => {
    const c = cfg(' quorum_down /bin/qdown', real('192.0.2.11', ' weight 10', 'MISC_CHECK {\n misc_path /bin/check\n misc_dynamic\n }'));
    const s0 = step(emptyHealth(), { type: 'load', config: c, nowMs: 0 }).state;
    expect(run(s0, [res(R1, true, 1, { weight: 0 })]).steps[0]).toEqual([
      { type: 'set-weight', vs: VS, real: R1, weight: 0 },
      { type: 'run-script', vs: VS, reason: 'quorum_down', script: '/bin/qdown' },
    ]);
  });
});

describe('health: stop, reload, omega', () => {
  const reals = real('192.0.2.11', ' notify_down /bin/down') + '\n' + real('192.0.2.12', ' notify_down /bin/down2');

  test('stop with omega: the service goes (with its reals), notify_down for the alive reals and quorum_down', () => {
    const config = cfg(' omega\n quorum_down /bin/qdown', reals);
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const s1 = run(s0, [res(R2, false, 1)]).state;
    expect(step(s1, { type: 'stop' }).actions).toEqual([
      { type: 'remove-service', vs: VS },
      { type: 'run-script', vs: VS, real: R1, reason: 'notify_down', script: '/bin/down' },
      { type: 'run-script', vs: VS, reason: 'quorum_down', script: '/bin/qdown' },
    ]);
  });

  test('stop without omega runs no script', () => {
    const config = cfg(' quorum_down /bin/qdown', reals);
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    expect(step(s0, { type: 'stop' }).actions.filter((a) => a.type === 'run-script')).toEqual([]);
  });

  test('reloading the same configuration changes nothing and keeps a down real down', () => {
    const config = cfg('', reals);
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const s1 = run(s0, [res(R2, false, 1)]).state;
    const again = cfg('', reals);
    const r = step(s1, { type: 'load', config: again, nowMs: 50 });
    expect(r.actions).toEqual([]);
    expect(r.state.vs[0]!.reals.map((x) => x.alive)).toEqual([true, false]);
    expect(run(r.state, [res(R2, true, 60)]).steps[0]).toEqual([{ type: 'add-real', vs: VS, real: R2, weight: 1 }]);
  });

  test('reload removing a real and a service: notify_down for the alive ones (omega not needed)', () => {
    const config = cfg('', reals);
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const fewer = cfg('', real('192.0.2.11', ''));
    const r = step(s0, { type: 'load', config: fewer, nowMs: 10 });
    expect(r.actions).toEqual([
      { type: 'remove-real', vs: VS, real: R2 },
      { type: 'run-script', vs: VS, real: R2, reason: 'notify_down', script: '/bin/down2' },
    ]);
    const none = parseKeepalivedText('virtual_server 192.0.2.20 80 {\n protocol TCP\n lb_algo rr\n real_server 192.0.2.21 80 {\n }\n}\n', '/k.conf');
    const gone = step(s0, { type: 'load', config: none, nowMs: 10 });
    expect(gone.actions).toEqual([
      { type: 'add-service', vs: 'tcp 192.0.2.20:80' },
      { type: 'add-real', vs: 'tcp 192.0.2.20:80', real: '192.0.2.21:80', weight: 1 },
      { type: 'remove-service', vs: VS },
      { type: 'run-script', vs: VS, real: R1, reason: 'notify_down', script: '/bin/down' },
      { type: 'run-script', vs: VS, real: R2, reason: 'notify_down', script: '/bin/down2' },
    ]);
  });

  test('results for unknown servers are ignored; step never mutates its input', () => {
    const config = cfg('', reals);
    const s0 = step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
    const snapshot = JSON.stringify(s0);
    expect(step(s0, { type: 'result', vs: 'tcp 192.0.2.99:1', real: R1, checker: 0, ok: false, nowMs: 1 }).actions).toEqual([]);
    step(s0, res(R1, false, 1));
    expect(JSON.stringify(s0)).toBe(snapshot);
  });
});
