// `-L … --json`: every listing validated against docs/json-schema.json, plus the
// values that matter (u64 digits kept, order as -L, rates, counts, persistence).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatConnectionsJson, formatDaemonsJson, formatListJson, formatTimeoutJson, JSON_SCHEMA_ID, toJson,
} from '../../src/ipvsadm/format-json.js';
import type { ConnEntry } from '../../src/ipvsadm/format-list.js';
import { resolverFrom, parseHosts, parseServices } from '../../src/ipvsadm/resolve.js';
import { listOpts, real, referenceTable, stats, svc, v4, v6, view } from './golden/ipvsadm-views.js';
import { validate } from './golden/json-validate.js';

const here = dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(readFileSync(join(here, '..', '..', 'docs', 'json-schema.json'), 'utf8')) as Record<string, unknown>;
const check = (text: string): Record<string, unknown> => {
  const doc = JSON.parse(text) as Record<string, unknown>;
  expect(validate(schema, doc)).toEqual([]);
  return doc;
};

describe('--json', () => {
  test('the schema document names the id the output carries', () => {
    expect(schema.$id).toBe(JSON_SCHEMA_ID);
  });

  test('service listing: every field of the schema, in -L order, u64 digits kept', () => {
    const views = referenceTable();
    views[1]!.rates = { cps: 12, inpps: 3400, outpps: 0, inbps: 123456789, outbps: 0 };
    const text = formatListJson(views, listOpts(), {
      connTableSize: 4096, ratesFresh: true,
      total: { stats: stats(2300, 171234, 0, 123456789012n, 0), rates: { cps: 12, inpps: 3400, outpps: 0, inbps: 123456789, outbps: 0 } },
    });
    const doc = check(text) as any;
    expect(doc).toMatchObject({ kind: 'services', schemaVersion: 1, ipvsVersion: '1.2.1', connTableSize: 4096, ratesFresh: true });
    // sorted as -L sorts (TCP 80 before UDP 53, as ipvsadm's listing order does)
    expect(doc.services.map((s: any) => s.name)).toEqual(['192.0.2.10:80', '192.0.2.10:53']);
    const tcp = doc.services[0];
    expect(tcp).toMatchObject({
      protocol: 'tcp', family: 'inet', address: '192.0.2.10', port: 80, scheduler: 'wlc', schedFlags: [],
      persistent: { timeout: 300, netmask: '255.255.255.0' }, onePacket: false,
      stats: { conns: 2300, inPkts: 171234, outPkts: 0, inBytes: 123456789012, outBytes: 0 },
      rates: { cps: 12, inpps: 3400, inbps: 123456789 },
    });
    expect(tcp.reals[0]).toMatchObject({
      address: '10.0.0.11', port: 80, forward: 'dr', forwardName: 'Route', tunnelInfo: 'n/a', weight: 100,
      upperThreshold: 500, lowerThreshold: 100, activeConns: 12, inactiveConns: 40, persistConns: 7,
      stats: { conns: 1200, inPkts: 90000, inBytes: 5400000 }, rates: { cps: 0 },
    });
    expect(doc.services[1]).toMatchObject({ protocol: 'udp', onePacket: true, persistent: null });
    expect(doc.services[1].reals[0]).toMatchObject({ forward: 'nat', forwardName: 'Masq', inactiveConns: 3 });
    expect(doc.total.stats.inBytes).toBe(123456789012);
  });

  test('counters beyond 2^53 are written with every digit', () => {
    const big = 18446744073709551615n;
    expect(toJson({ a: big, b: [1n], c: 'x' })).toBe('{\n  "a": 18446744073709551615,\n  "b": [\n    1\n  ],\n  "c": "x"\n}\n');
    const v = [view(svc({ addr: v4('192.0.2.1'), port: 80, scheduler: 'rr' }), [], stats(1, 1, 1, big, 0))];
    const text = formatListJson(v, listOpts(), { connTableSize: 1, ratesFresh: false });
    expect(text).toContain('"inBytes": 18446744073709551615');
    check(text);
  });

  test('IPv6, sh flags, tunnel reals, --nosort keeps the table order; names without -n', () => {
    const views = [
      view(svc({ addr: v6('2001:db8::10'), port: 80, scheduler: 'sh', schedFlags: ['sh-port'], persistence: 360, netmask: 64 }), [
        real({ addr: v4('192.0.2.12'), port: 80, forward: 'tun' }),
        real({ addr: v4('192.0.2.11'), port: 80 }),
      ]),
      view(svc({ addr: v4('192.0.2.10'), port: 80, scheduler: 'rr' }), []),
    ];
    const resolve = resolverFrom(parseHosts('192.0.2.11 rs1\n2001:db8::10 v6vip\n'), parseServices('http 80/tcp\n'));
    const doc = check(formatListJson(views, listOpts({ numeric: false, nosort: true }), { connTableSize: 1, resolve, ratesFresh: false })) as any;
    expect(doc.services[0]).toMatchObject({ family: 'inet6', address: '2001:db8::10', name: '[v6vip]:http', schedFlags: ['sh-port'], persistent: { timeout: 360, netmask: '64' } });
    expect(doc.services[0].reals.map((r: any) => [r.name, r.tunnelInfo])).toEqual([['192.0.2.12:http', 'ipip'], ['rs1:http', 'n/a']]);
    const sorted = check(formatListJson(views, listOpts(), { connTableSize: 1, ratesFresh: false })) as any;
    expect(sorted.services[0].address).toBe('192.0.2.10');
    expect(sorted.services[1].reals.map((r: any) => r.address)).toEqual(['192.0.2.11', '192.0.2.12']);
  });

  test('-c, --timeout, --daemon documents', () => {
    const conns: ConnEntry[] = [
      { protocol: 'TCP', expiresSec: 895.7, state: 'ESTABLISHED', client: { addr: v4('198.51.100.7'), port: 51234 }, virtual: { addr: v4('192.0.2.10'), port: 80 }, real: { addr: v4('192.0.2.11'), port: 80 } },
      { protocol: 'IP', expiresSec: 300, state: 'NONE', client: { addr: v4('198.51.100.7'), port: 0 }, virtual: { addr: v4('192.0.2.10'), port: 80 }, real: { addr: v4('192.0.2.11'), port: 80 } },
    ];
    const c = check(formatConnectionsJson(conns, true)) as any;
    expect(c.kind).toBe('connections');
    expect(c.connections[0]).toMatchObject({ protocol: 'TCP', expires: 895, state: 'ESTABLISHED', client: { address: '198.51.100.7', port: 51234, name: '198.51.100.7:51234' } });
    expect(c.connections[1].protocol).toBe('IP');
    expect(check(formatTimeoutJson(900, 120, 300))).toMatchObject({ kind: 'timeout', timeout: { tcp: 900, tcpfin: 120, udp: 300 } });
    expect(check(formatDaemonsJson([]))).toMatchObject({ kind: 'daemons', daemons: [] });
    const d = check(formatDaemonsJson([{ state: 'master', mcastInterface: 'eth0', syncid: 51, syncMaxlen: 1472 }])) as any;
    expect(d.daemons[0]).toEqual({ state: 'master', mcastInterface: 'eth0', syncid: 51, syncMaxlen: 1472, mcastGroup: null, mcastPort: null, mcastTtl: null });
  });

  test('the checker rejects documents missing required fields (it is not vacuous)', () => {
    const doc = JSON.parse(formatListJson(referenceTable(), listOpts(), { connTableSize: 1, ratesFresh: false }));
    delete doc.services[0].reals[0].activeConns;
    doc.services[1].rates.cps = -1;
    const errs = validate(schema, doc);
    expect(errs.join('\n')).toMatch(/missing activeConns/);
    expect(errs.join('\n')).toMatch(/below 0/);
    expect(validate(schema, { schema: JSON_SCHEMA_ID, schemaVersion: 1, kind: 'timeout' }).length).toBeGreaterThan(0);
  });
});
