import { describe, expect, test } from '@jest/globals';
import { renderMetrics } from '../../src/agent/metrics.js';
import { parseListen } from '../../src/agent/metrics-server.js';
import type { ListedService } from '../../src/ipvsadm/format-list.js';

const stats = (n: bigint) => ({ conns: n, inPkts: n * 10n, outPkts: 0n, inBytes: n * 600n, outBytes: 0n });
const svc: ListedService = {
  service: { protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80, scheduler: 'rr', onePacket: false, schedFlags: [] },
  stats: stats(3n),
  reals: [
    {
      real: { addr: { family: 'inet', ip: '192.0.2.11' }, port: 80, forward: 'dr', weight: 5, upperThreshold: 0, lowerThreshold: 0 },
      counts: { activeConns: 2, inactiveConns: 1, persistConns: 0 },
      stats: stats(3n),
    },
  ],
};

/** A small parser of the text format: name{labels} value → map. */
function parse(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (-?\d+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    out.set(m[1]! + (m[2] ?? ''), m[3]!);
  }
  return out;
}

describe('Prometheus metrics', () => {
  const text = renderMetrics({
    services: [svc],
    verdicts: [{ name: 'pass_not_vip', count: 4n }, { name: 'tx', count: 30n }, { name: 'drop_no_real', count: 1n }, { name: 'icmp_unreach', count: 2n }, { name: 'conn_new', count: 3n }],
    perCpuPackets: [20n, 15n],
  });
  const m = parse(text);

  test("node_exporter's ipvs names, types and help texts", () => {
    expect(text).toContain('# HELP node_ipvs_connections_total The total number of connections made.\n# TYPE node_ipvs_connections_total counter\n');
    expect(text).toContain('# TYPE node_ipvs_backend_connections_active gauge\n');
    expect(m.get('node_ipvs_connections_total')).toBe('3');
    expect(m.get('node_ipvs_incoming_packets_total')).toBe('30');
    expect(m.get('node_ipvs_incoming_bytes_total')).toBe('1800');
    expect(m.get('node_ipvs_outgoing_packets_total')).toBe('0');
  });

  test('backend labels in node_exporter order', () => {
    const l = '{local_address="192.0.2.10",local_mark="",local_port="80",proto="TCP",remote_address="192.0.2.11",remote_port="80"}';
    expect(m.get('node_ipvs_backend_connections_active' + l)).toBe('2');
    expect(m.get('node_ipvs_backend_connections_inactive' + l)).toBe('1');
    expect(m.get('node_ipvs_backend_weight' + l)).toBe('5');
  });

  test('lvs_xdp_* extras: verdicts by reason, scheduler misses, per-CPU packets', () => {
    expect(m.get('lvs_xdp_packets_total{reason="not_vip",verdict="pass"}')).toBe('4');
    expect(m.get('lvs_xdp_packets_total{reason="tx",verdict="forward"}')).toBe('30');
    expect(m.get('lvs_xdp_connections_scheduled_total{event="new"}')).toBe('3');
    expect(m.get('lvs_xdp_scheduler_misses_total')).toBe('3'); // dropped + refused with ICMP
    // events are not packets: lvs_xdp_packets_total sums to the packets seen
    expect(m.get('lvs_xdp_events_total{event="icmp_unreach"}')).toBe('2');
    expect([...m.keys()].filter((k) => k.startsWith('lvs_xdp_packets_total')).sort()).toEqual([
      'lvs_xdp_packets_total{reason="no_real",verdict="drop"}', 'lvs_xdp_packets_total{reason="not_vip",verdict="pass"}',
      'lvs_xdp_packets_total{reason="tx",verdict="forward"}']);
    expect(m.get('lvs_xdp_cpu_packets_total{cpu="1"}')).toBe('15');
  });

  test('--metrics address parsing', () => {
    expect(parseListen('127.0.0.1:9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListen(':9100')).toEqual({ host: '::', port: 9100 });
    expect(() => parseListen('9100')).toThrow(/ADDR:PORT/);
    expect(() => parseListen('1.2.3.4:70000')).toThrow(/ADDR:PORT/);
  });
});
