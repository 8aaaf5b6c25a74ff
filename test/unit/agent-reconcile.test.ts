import { describe, expect, test } from '@jest/globals';
import { describeCommand, reconcile, sameServiceSettings, type CurrentService } from '../../src/agent/reconcile.js';
import type { DesiredState } from '../../src/agent/desired.js';
import type { Real, Service } from '../../src/model/types.js';

const v4 = (ip: string) => ({ family: 'inet' as const, ip });
const svc = (port: number, extra: Partial<Service> = {}): Service =>
  ({ protocol: 'tcp', addr: v4('192.0.2.10'), port, scheduler: 'rr', onePacket: false, schedFlags: [], ...extra });
const rs = (ip: string, weight = 1, extra: Partial<Real> = {}): Real =>
  ({ addr: v4(ip), port: 80, forward: 'dr', weight, upperThreshold: 0, lowerThreshold: 0, ...extra });
const want = (...services: Array<{ vs: string; service: Service; reals: Real[] }>): DesiredState => ({ services, skipped: [] });
const key = (s: Service) => ({ protocol: s.protocol, addr: s.addr, port: s.port });

describe('reconcile: desired services vs the data plane', () => {
  test('an empty data plane gets the service, then its reals', () => {
    const r = reconcile(want({ vs: 'A', service: svc(80), reals: [rs('192.0.2.11'), rs('192.0.2.12', 2)] }), []);
    expect(r.plans).toHaveLength(1);
    expect(r.plans[0]!.commands.map(describeCommand)).toEqual([
      'add-service tcp:192.0.2.10:80 rr',
      'add-real tcp:192.0.2.10:80 192.0.2.11:80 dr weight 1',
      'add-real tcp:192.0.2.10:80 192.0.2.12:80 dr weight 2',
    ]);
    expect(r.owned).toEqual([key(svc(80))]);
    expect(r.foreign).toEqual([]);
  });

  test('a service that already matches gets no command at all (reload leaves it untouched)', () => {
    const cur: CurrentService[] = [{ service: svc(80), reals: [rs('192.0.2.12', 2), rs('192.0.2.11')] }];
    expect(reconcile(want({ vs: 'A', service: svc(80), reals: [rs('192.0.2.11'), rs('192.0.2.12', 2)] }), cur).plans).toEqual([]);
  });

  test('only the difference: a weight edit, an addition, a removal — additions before removals', () => {
    const cur: CurrentService[] = [{ service: svc(80), reals: [rs('192.0.2.11'), rs('192.0.2.12')] }];
    const r = reconcile(want({ vs: 'A', service: svc(80), reals: [rs('192.0.2.11', 0), rs('192.0.2.13')] }), cur);
    expect(r.plans[0]!.commands.map(describeCommand)).toEqual([
      'edit-real tcp:192.0.2.10:80 192.0.2.11:80 dr weight 0',
      'add-real tcp:192.0.2.10:80 192.0.2.13:80 dr weight 1',
      'delete-real tcp:192.0.2.10:80 192.0.2.12:80',
    ]);
  });

  test('service settings: scheduler change is an edit; default persistence netmask equals an explicit one', () => {
    const cur: CurrentService[] = [{ service: svc(80, { persistence: 300, netmask: '255.255.255.255' }), reals: [] }];
    expect(reconcile(want({ vs: 'A', service: svc(80, { persistence: 300 }), reals: [] }), cur).plans).toEqual([]);
    const r = reconcile(want({ vs: 'A', service: svc(80, { scheduler: 'wrr', persistence: 300 }), reals: [] }), cur);
    expect(r.plans[0]!.commands.map((c) => c.kind)).toEqual(['edit-service']);
    expect(sameServiceSettings(svc(80, { schedFlags: ['flag-1', 'flag-2'] }), svc(80, { schedFlags: ['flag-2', 'flag-1'] }))).toBe(true);
    expect(sameServiceSettings(svc(80), svc(80, { onePacket: true }))).toBe(false);
  });

  test('services made by hand are foreign and left alone; owned ones dropped from the config are deleted', () => {
    const cur: CurrentService[] = [
      { service: svc(80), reals: [rs('192.0.2.11')] },
      { service: svc(53, { protocol: 'udp' }), reals: [rs('192.0.2.11')] },
      { service: svc(443), reals: [] },
    ];
    const r = reconcile(want({ vs: 'A', service: svc(80), reals: [rs('192.0.2.11')] }), cur, { owned: [key(svc(80)), key(svc(443))] });
    expect(r.plans.map((p) => p.commands.map(describeCommand))).toEqual([['delete-service tcp:192.0.2.10:443']]);
    expect(r.foreign).toEqual([key(svc(53, { protocol: 'udp' }))]);
    // the deleted one stays owned until it is gone, so a failed delete is retried
    expect(r.owned).toEqual([key(svc(80)), key(svc(443))]);
    const after = reconcile(want({ vs: 'A', service: svc(80), reals: [rs('192.0.2.11')] }), cur.filter((c) => c.service.port !== 443), { owned: r.owned });
    expect(after.owned).toEqual([key(svc(80))]);
  });

  test('a held virtual server is owned but not touched', () => {
    const cur: CurrentService[] = [{ service: svc(80), reals: [rs('192.0.2.11', 5)] }];
    const d = want({ vs: 'A', service: svc(80), reals: [rs('192.0.2.11', 0)] }, { vs: 'B', service: svc(81), reals: [] });
    const r = reconcile(d, cur, { hold: new Set(['A']) });
    expect(r.plans.map((p) => p.vs)).toEqual(['B']);
    expect(r.owned).toEqual([key(svc(80)), key(svc(81))]);
  });

  test('the same address twice (overlapping groups): planned once', () => {
    const r = reconcile(want({ vs: 'G', service: svc(80), reals: [] }, { vs: 'G', service: svc(80), reals: [] }), []);
    expect(r.plans).toHaveLength(1);
  });
});
