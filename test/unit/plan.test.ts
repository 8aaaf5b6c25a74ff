import { describe, expect, test } from '@jest/globals';
import * as plan from '../../src/plan/plan.js';
import type { DpState } from '../../src/plan/state.js';
import type { Real, Service } from '../../src/model/types.js';
import { StateError } from '../../src/util/errors.js';
import { planRestore } from '../../src/cli/ipvsadm.js';
import { parseIpvsadm } from '../../src/ipvsadm/parse.js';

const empty: DpState = { services: [], reals: [] };
const svc = (over: Partial<Service> = {}): Service => ({
  protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80,
  scheduler: 'rr', onePacket: false, schedFlags: [], ...over,
});
const real = (ip: string, over: Partial<Real> = {}): Real => ({
  addr: { family: 'inet', ip }, port: 80, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over,
});

function withService(s = svc()): DpState {
  return plan.applyToState(empty, plan.planAddService(empty, s));
}

describe('planning ipvsadm commands', () => {
  test('-A twice: Service already exists, exit 255 like ipvsadm', () => {
    const st = withService();
    expect(() => plan.planAddService(st, svc())).toThrow(new StateError('Service already exists'));
    try { plan.planAddService(st, svc()); } catch (e) { expect((e as StateError).exitCode).toBe(255); }
  });
  test('-a to a missing service: Service not defined', () => {
    expect(() => plan.planAddReal(empty, svc(), real('192.0.2.11'))).toThrow('Service not defined');
  });
  test('-a twice: Destination already exists; -e/-d of a missing one: No such destination', () => {
    let st = withService();
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.11')));
    expect(() => plan.planAddReal(st, svc(), real('192.0.2.11'))).toThrow('Destination already exists');
    expect(() => plan.planEditReal(st, svc(), real('192.0.2.12'))).toThrow('No such destination');
    expect(() => plan.planDeleteReal(st, svc(), real('192.0.2.12'))).toThrow('No such destination');
  });
  test('-E/-D of a missing service: No such service', () => {
    expect(() => plan.planEditService(empty, svc())).toThrow('No such service');
    expect(() => plan.planDeleteService(empty, svc())).toThrow('No such service');
  });
  test('every scheduler, -p and every forwarding method are accepted', () => {
    expect(() => plan.planAddService(empty, svc({ scheduler: 'wlc' }))).not.toThrow(); // all 14 schedulers exist
    expect(() => plan.planAddService(empty, svc({ persistence: 360 }))).not.toThrow(); // -p: issue #4
    const st = withService();
    for (const forward of ['tun', 'nat', 'fullnat'] as const) {
      expect(() => plan.planAddReal(st, svc(), real('192.0.2.11', { forward }))).not.toThrow();
    }
  });
  test('an IPv6 real behind an IPv4 DR service is refused', () => {
    const st = withService();
    expect(() => plan.planAddReal(st, svc(), { ...real('x'), addr: { family: 'inet6', ip: '2001:db8::11' } })).toThrow(StateError);
  });
  test('adding a real: real first, then the idle table generation, then the switch', () => {
    const st = withService();
    const ops = plan.planAddReal(st, svc(), real('192.0.2.11'));
    expect(ops.map((o) => o.op)).toEqual(['zero-real-stats', 'zero-real-conns', 'set-next-seq', 'put-real', 'put-slots', 'put-dests', 'put-service']);
    const slots = ops.find((o) => o.op === 'put-slots')!;
    const sv = ops.find((o) => o.op === 'put-service')!;
    if (slots.op !== 'put-slots' || sv.op !== 'put-service') throw new Error('shape');
    expect(slots.gen).toBe(1);
    expect(sv.svc.gen).toBe(1);
    expect(sv.svc.tableLen).toBe(1);
  });
  test('deleting a real: the table without it is switched in before the real goes', () => {
    let st = withService();
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.11')));
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.12')));
    const ops = plan.planDeleteReal(st, svc(), real('192.0.2.11'));
    expect(ops.map((o) => o.op)).toEqual(['put-slots', 'put-dests', 'put-service', 'del-real']);
  });
  test('the table lists newest first (IPVS list_add) and alternates generations', () => {
    let st = withService(svc({ scheduler: 'wrr' }));
    const gens: number[] = [];
    for (const [ip, w] of [['192.0.2.11', 3], ['192.0.2.12', 2], ['192.0.2.13', 1]] as const) {
      const ops = plan.planAddReal(st, svc(), real(ip, { weight: w }));
      const p = ops.find((o) => o.op === 'put-slots');
      if (p?.op === 'put-slots') gens.push(p.gen);
      st = plan.applyToState(st, ops);
    }
    expect(gens).toEqual([1, 0, 1]);
    const ids = Object.fromEntries(st.reals.map((r) => [r.addr.ip, r.id]));
    const last = plan.planEditReal(st, svc(), real('192.0.2.13', { weight: 1 })).find((o) => o.op === 'put-slots');
    if (last?.op !== 'put-slots') throw new Error('shape');
    const a = ids['192.0.2.11'], b = ids['192.0.2.12'], c = ids['192.0.2.13'];
    expect(last.slots).toEqual([a, b, a, c, b, a]);
  });
  test('a real added after the newest was deleted gets a new seq, never the deleted one\'s', () => {
    let st = withService();
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.11')));
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.12')));
    const gone = st.reals.find((r) => r.addr.ip === '192.0.2.12')!;
    st = plan.applyToState(st, plan.planDeleteReal(st, svc(), real('192.0.2.12')));
    const pr = plan.planAddReal(st, svc(), real('192.0.2.13')).find((o) => o.op === 'put-real');
    if (pr?.op !== 'put-real') throw new Error('shape');
    expect(pr.real.id).toBe(gone.id);
    expect(pr.real.seq).toBeGreaterThan(gone.seq);
  });
  test('ids are reused lowest-first after a delete', () => {
    let st = withService();
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.11')));
    st = plan.applyToState(st, plan.planAddReal(st, svc(), real('192.0.2.12')));
    st = plan.applyToState(st, plan.planDeleteReal(st, svc(), real('192.0.2.11')));
    const ops = plan.planAddReal(st, svc(), real('192.0.2.13'));
    const pr = ops.find((o) => o.op === 'put-real');
    if (pr?.op !== 'put-real') throw new Error('shape');
    expect(pr.real.id).toBe(0);
    expect(pr.real.seq).toBe(3);
  });
});

describe('-R restore', () => {
  const good = [
    '# seed rules',
    '',
    'ipvsadm -A -t 192.0.2.10:80 -s rr',
    '-a -t 192.0.2.10:80 -r 192.0.2.11 -g',
    '-a -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 2',
  ].join('\n');

  test('plans every line in order', () => {
    const ops = planRestore(empty, good);
    expect(ops.filter((o) => o.op === 'put-real').length).toBe(2);
  });
  test('a bad line is named by number and nothing is planned', () => {
    const bad = good + '\n-a -t 192.0.2.99:80 -r 192.0.2.11';
    expect(() => planRestore(empty, bad)).toThrow(/^line 6: Service not defined$/);
  });
  test('a syntax error is named by number too', () => {
    expect(() => planRestore(empty, '-A -t 192.0.2.10:80 -s rr\n-A -t nonsense')).toThrow(/^line 2: /);
  });
  test('the parser feeds the planner: -Ln-style listing command is not a change', () => {
    expect(parseIpvsadm(['-Ln']).kind).toBe('list');
  });
});
