// Names without -n: /etc/hosts and /etc/services read as glibc's files backend does,
// from fixture files (the system's /etc/hosts is never touched), no DNS.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalIp, filesResolver, parseHosts, parseServices } from '../../src/ipvsadm/resolve.js';
import { formatConnections, formatList } from '../../src/ipvsadm/format-list.js';
import { formatSave } from '../../src/ipvsadm/format-save.js';
import { listOpts, real, svc, v4, v6, view } from './golden/ipvsadm-views.js';

const here = dirname(fileURLToPath(import.meta.url));
const fx = (n: string): string => join(here, 'fixtures', 'resolve', n);
const golden = (name: string): string => readFileSync(join(here, 'golden', name), 'utf8');
const files = { hostsPath: fx('hosts'), servicesPath: fx('services') };

describe('resolver over hosts/services files', () => {
  test('canonical addresses', () => {
    expect(canonicalIp('2001:DB8:0:0::10')).toBe('2001:db8::10');
    expect(canonicalIp('192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalIp('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalIp('nope')).toBeUndefined();
  });

  test('/etc/hosts: first line for an address wins, its first name; comments ignored', () => {
    const h = parseHosts(readFileSync(fx('hosts'), 'utf8'));
    expect(h.get('192.0.2.10')).toBe('www.lab.example');
    expect(h.get('2001:db8::10')).toBe('v6vip.lab.example');
    expect(h.has('#')).toBe(false);
  });

  test('/etc/services: first entry per port/protocol, official name', () => {
    const s = parseServices(readFileSync(fx('services'), 'utf8'));
    expect(s.get('80/tcp')).toBe('http');
    expect(s.get('8443/tcp')).toBe('first-wins');
    expect(s.get('8080/udp')).toBeUndefined();
  });

  test('unknown addresses and ports stay numeric; templates (no protocol) get no port name', () => {
    const r = filesResolver(files);
    expect(r(v4('203.0.113.1'))).toBe('203.0.113.1');
    expect(r.port?.(9999, 'tcp')).toBeUndefined();
    expect(r.port?.(80, undefined)).toBeUndefined();
  });

  test('missing files: nothing resolves (numeric), nothing throws', () => {
    const r = filesResolver({ hostsPath: fx('absent'), servicesPath: fx('absent') });
    expect(r(v4('192.0.2.10'))).toBe('192.0.2.10');
    expect(r.port?.(80, 'tcp')).toBeUndefined();
  });

  test('LVS_XDP_HOSTS / LVS_XDP_SERVICES point the CLI at other files', () => {
    const r = filesResolver({}, { LVS_XDP_HOSTS: fx('hosts'), LVS_XDP_SERVICES: fx('services') });
    expect(r(v4('192.0.2.11'))).toBe('rs1.lab.example');
  });

  test('ipvsadm -L (no -n) golden: names cut at 33/28 as ipvsadm does, ports by name', () => {
    const views = [
      view(svc({ addr: v4('192.0.2.10'), port: 80, scheduler: 'rr' }), [
        real({ addr: v4('192.0.2.11'), port: 80 }), real({ addr: v4('192.0.2.12'), port: 8080 }), real({ addr: v4('192.0.2.13'), port: 8443 }),
      ]),
      view(svc({ protocol: 'udp', addr: v4('192.0.2.10'), port: 53, scheduler: 'wrr' }), [real({ addr: v4('198.51.100.7'), port: 53, weight: 3 })]),
      view(svc({ addr: v6('2001:db8::10'), port: 80, scheduler: 'rr' }), [real({ addr: v6('2001:db8::11'), port: 80 })]),
    ];
    const out = formatList(views, listOpts({ numeric: false }), { connTableSize: 4096, resolve: filesResolver(files) });
    expect(out).toBe(golden('ipvsadm-L-names.txt'));
    const save = formatSave(views, false, filesResolver(files));
    expect(save).toBe(golden('ipvsadm-S-names.txt'));
  });

  test('-c without -n names the endpoints', () => {
    const out = formatConnections([{ protocol: 'TCP', expiresSec: 61, state: 'ESTABLISHED', client: { addr: v4('198.51.100.7'), port: 40000 }, virtual: { addr: v4('192.0.2.10'), port: 80 }, real: { addr: v4('192.0.2.11'), port: 80 } }], false, { resolve: filesResolver(files) });
    expect(out.split('\n')[2]).toBe('TCP 01:01  ESTABLISHED client.example:40000 www.lab.example:http rs1.lab.example:http');
  });
});
