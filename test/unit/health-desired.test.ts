import { describe, expect, test } from '@jest/globals';
import { desiredState } from '../../src/agent/desired.js';
import { emptyHealth, step, type HealthState } from '../../src/agent/health.js';
import { parseKeepalivedFile, parseKeepalivedText } from '../../src/keepalived/index.js';

const load = (config: ReturnType<typeof parseKeepalivedText>): HealthState => step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;

describe('desired services and reals from configuration + health', () => {
  test('reference example: alpha + inhibit_on_failure → the real at weight 0 and the sorry server until the first success', () => {
    const config = parseKeepalivedFile('/work/shared/reference/keepalived-example.conf');
    const st = load(config);
    const svc = { protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80, scheduler: 'wlc', persistence: 300,
      netmask: '255.255.255.0', onePacket: false, schedFlags: [] };
    const rs = (ip: string, weight: number) => ({ addr: { family: 'inet', ip }, port: 80, forward: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });
    expect(desiredState(st)).toEqual({ services: [{ vs: 'tcp 192.0.2.10:80', service: svc, reals: [rs('10.0.0.11', 0), rs('10.0.0.99', 1)] }], skipped: [] });
    const up = step(st, { type: 'result', vs: 'tcp 192.0.2.10:80', real: '10.0.0.11:80', checker: 0, ok: true, nowMs: 1 }).state;
    expect(desiredState(up).services[0]!.reals).toEqual([rs('10.0.0.11', 100)]);
  });

  test('without health state yet, the state a load would start with; thresholds and NAT ports carried', () => {
    const config = parseKeepalivedText('virtual_server 192.0.2.10 80 {\n protocol UDP\n lb_algo rr\n ops\n' +
      ' real_server 192.0.2.11 8080 {\n uthreshold 9\n lthreshold 2\n weight 3\n }\n}\n', '/k.conf');
    expect(desiredState({ config, vs: [] }).services).toEqual([{
      vs: 'udp 192.0.2.10:80',
      service: { protocol: 'udp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80, scheduler: 'rr', onePacket: true, schedFlags: [] },
      reals: [{ addr: { family: 'inet', ip: '192.0.2.11' }, port: 8080, forward: 'nat', weight: 3, upperThreshold: 9, lowerThreshold: 2 }],
    }]);
  });

  test('groups expand to one service per address; fwmark services and entries, SCTP are skipped with a reason', () => {
    const config = parseKeepalivedFile('test/unit/fixtures/keepalived/director.conf');
    const d = desiredState(load(config));
    expect(d.services.map((s) => `${s.vs} → ${s.service.protocol}:${s.service.addr.ip}:${s.service.port} ${s.reals.map((r) => `${r.addr.ip}:${r.port}/${r.forward}/${r.weight}`).join(',')}`)).toEqual([
      // alpha TCP real (4) down at start: 3 < quorum 5 + hysteresis 2, so the sorry server serves alone
      'udp 192.0.2.53:53 → udp:192.0.2.53:53 192.0.2.99:53/nat/1',
      // alpha + inhibit: weight 0 until checked; the checker-less real is alive with its weight 0
      'tcp [2001:db8::10]:80 → tcp:2001:db8::10:80 2001:db8::11:80/dr/0,2001:db8::12:80/dr/0',
      'group web4 tcp → tcp:192.0.2.20:443 203.0.113.21:443/tun/1',
      'group web4 tcp → tcp:192.0.2.21:443 203.0.113.21:443/tun/1',
      'group web4 tcp → tcp:192.0.2.22:443 203.0.113.21:443/tun/1',
      'group web4 tcp → tcp:198.51.100.7:443 203.0.113.21:443/tun/1',
    ]);
    expect(d.skipped).toEqual([
      { vs: 'group web4 tcp', reason: 'group web4: fwmark 7 is not supported by lvs-xdp' },
      { vs: 'fwmark 5', reason: 'fwmark services are not supported by lvs-xdp' },
    ]);
    const sctp = parseKeepalivedText('virtual_server 192.0.2.10 80 {\n protocol SCTP\n lb_algo rr\n real_server 192.0.2.11 {\n }\n}\n', '/k.conf');
    expect(desiredState(load(sctp))).toEqual({ services: [], skipped: [{ vs: 'sctp 192.0.2.10:80', reason: 'protocol sctp is not supported by lvs-xdp' }] });
  });

  test('the quorum-loss view: sorry server in, alive reals out', () => {
    const config = parseKeepalivedText('virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n quorum 2\n sorry_server 192.0.2.99 80\n' +
      ' real_server 192.0.2.11 80 {\n TCP_CHECK {\n retry 0\n }\n }\n real_server 192.0.2.12 80 {\n TCP_CHECK {\n retry 0\n }\n }\n}\n', '/k.conf');
    const st = step(load(config), { type: 'result', vs: 'tcp 192.0.2.10:80', real: '192.0.2.12:80', checker: 0, ok: false, nowMs: 1 }).state;
    expect(desiredState(st).services[0]!.reals.map((r) => `${r.addr.ip}/${r.weight}`)).toEqual(['192.0.2.99/1']);
  });
});
