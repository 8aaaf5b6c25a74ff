import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatConnections, formatDaemons, formatList, formatListService, formatTimeout,
} from '../../src/ipvsadm/format-list.js';
import type { ConnEntry } from '../../src/ipvsadm/format-list.js';
import { largeNum } from '../../src/ipvsadm/format-num.js';
import { cmpDests, glibcSort } from '../../src/ipvsadm/sort.js';
import { formatUsage, formatVersion } from '../../src/ipvsadm/usage.js';
import { listOpts, real, referenceTable, svc, v4, v6, view } from './golden/ipvsadm-views.js';

const here = dirname(fileURLToPath(import.meta.url));
const golden = (name: string): string => readFileSync(join(here, 'golden', name), 'utf8');
const ctx = { connTableSize: 4096 };

describe('ipvsadm -L', () => {
  test('-Ln matches the reference rendering (trailing spaces included)', () => {
    expect(formatList(referenceTable(), listOpts(), ctx)).toBe(golden('ipvsadm-Ln.txt'));
  });
  test('--stats with K/M/G scaling', () => {
    expect(formatList(referenceTable(), listOpts({ stats: true }), ctx)).toBe(golden('ipvsadm-Ln-stats.txt'));
  });
  test('--stats --exact', () => {
    expect(formatList(referenceTable(), listOpts({ stats: true, exact: true }), ctx)).toBe(golden('ipvsadm-Ln-stats-exact.txt'));
  });
  test('--rate: services scale every column, reals only the byte rates', () => {
    const [udp, tcp] = referenceTable();
    tcp!.rates = { cps: 12, inpps: 3400, outpps: 0, inbps: 123456789, outbps: 0 };
    tcp!.reals[0]!.rates = { cps: 7, inpps: 123456789, outpps: 0, inbps: 98765432101, outbps: 0 };
    expect(formatList([udp!, tcp!], listOpts({ rate: true }), ctx)).toBe(golden('ipvsadm-Ln-rate.txt'));
  });
  test('--thresholds and --persistent-conn', () => {
    expect(formatList(referenceTable(), listOpts({ thresholds: true }), ctx)).toBe(golden('ipvsadm-Ln-thresholds.txt'));
    expect(formatList(referenceTable(), listOpts({ persistentConn: true }), ctx)).toBe(golden('ipvsadm-Ln-persistent-conn.txt'));
  });
  test('--tun-info, IPv6, FullNat, sh/mh flags, listing order', () => {
    const views = [
      view(svc({ addr: v6('2001:db8::10'), port: 80, scheduler: 'mh', schedFlags: ['mh-port'], persistence: 360, netmask: 64 }), [
        real({ addr: v6('2001:db8::11'), port: 80 }),
        real({ addr: v4('203.0.113.9'), port: 80, forward: 'tun' }),
      ]),
      view(svc({ addr: v4('192.0.2.20'), port: 443, scheduler: 'sh', schedFlags: ['sh-port', 'sh-fallback'] }), [
        real({ addr: v4('198.51.100.6'), port: 8443, forward: 'fullnat' }),
        real({ addr: v4('198.51.100.5'), port: 443, forward: 'tun', weight: 2 }, 1, 0),
      ]),
    ];
    expect(formatList(views, listOpts({ tunInfo: true }), ctx)).toBe(golden('ipvsadm-Ln-tun-info.txt'));
  });
  test('seed output: ipvsadm -ln of a DR service (003, lines 387-392)', () => {
    const views = [view(svc({ addr: v4('192.168.246.160'), port: 80, scheduler: 'rr' }), [
      real({ addr: v4('192.168.246.162'), port: 80 }), real({ addr: v4('192.168.246.161'), port: 80 }),
    ])];
    expect(formatList(views, listOpts(), ctx)).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  192.168.246.160:80 rr\n' +
      '  -> 192.168.246.161:80           Route   1      0          0         \n' +
      '  -> 192.168.246.162:80           Route   1      0          0         \n');
  });
  test('seed output: ipvsadm -L without -n names ports (004, "TCP  .:http rr persistent 20")', () => {
    const views = [view(svc({ addr: v4('192.168.100.200'), port: 80, scheduler: 'rr', persistence: 20 }), [
      real({ addr: v4('192.168.100.232'), port: 80 }),
    ])];
    const out = formatList(views, listOpts({ numeric: false }), { connTableSize: 4096, resolve: () => '.' });
    expect(out.split('\n').slice(3, 5)).toEqual([
      'TCP  .:http rr persistent 20',
      '  -> .:http                       Route   1      0          0         ',
    ]);
    // Without a resolver the address stays numeric but the port is still named.
    expect(formatList(views, listOpts({ numeric: false }), ctx).split('\n')[3]).toBe('TCP  192.168.100.200:http rr persistent 20');
  });
  test('long IPv4 names are cut to 33 / 28 characters; IPv6 never', () => {
    const long = 'a-very-long-host-name.example.org';
    const views = [view(svc({ addr: v4('192.0.2.1'), port: 8081 }), [real({ addr: v4('10.0.0.1'), port: 8081 })])];
    const lines = formatList(views, listOpts({ numeric: false }), { connTableSize: 4096, resolve: () => long }).split('\n');
    expect(lines[3]).toBe(`${`TCP  ${long}:8081`.slice(0, 33)} wlc`);
    expect(lines[4]).toBe(`  -> ${`${long}:8081`.slice(0, 28)} Route   1      0          0         `);
    const v6views = [view(svc({ addr: v6('2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'), port: 80 }),
      [real({ addr: v6('2001:db8:aaaa:bbbb:cccc:dddd:eeee:2'), port: 80 })])];
    const l6 = formatList(v6views, listOpts(), ctx).split('\n');
    expect(l6[3]).toBe('TCP  [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:80 wlc');
    expect(l6[4]).toBe('  -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:2]:80 Route   1      0          0         ');
  });
  test('-L -t host:port has no version header; --nosort keeps the given order', () => {
    const [udp] = referenceTable();
    expect(formatListService(udp!, listOpts(), ctx)).toBe(golden('ipvsadm-Ln.txt').split('\n').filter((_, k) => k === 1 || k === 2 || k === 5 || k === 6).join('\n') + '\n');
    const out = formatList(referenceTable(), listOpts({ nosort: true }), ctx).split('\n');
    expect(out[3]).toBe('UDP  192.0.2.10:53 rr ops');
  });
  test('an empty table', () => {
    expect(formatList([], listOpts(), { connTableSize: 4096 })).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n');
  });
  test('flag-N names for other schedulers; sh never shows flag-3', () => {
    const l = (s: Parameters<typeof svc>[0]) => formatList([view(svc(s), [])], listOpts(), ctx).split('\n')[3];
    expect(l({ addr: v4('192.0.2.1'), port: 80, scheduler: 'rr', schedFlags: ['flag-1', 'flag-3'] })).toBe('TCP  192.0.2.1:80 rr (flag-1,flag-3)');
    expect(l({ addr: v4('192.0.2.1'), port: 80, scheduler: 'sh', schedFlags: ['flag-3'] })).toBe('TCP  192.0.2.1:80 sh');
    expect(l({ addr: v4('192.0.2.1'), port: 80, persistence: 60, netmask: '255.255.255.255' })).toBe('TCP  192.0.2.1:80 wlc persistent 60');
  });
});

describe('numbers and order', () => {
  test('print_largenum scaling', () => {
    expect(largeNum(0n, false)).toBe('        0');
    expect(largeNum(99_999_999n, false)).toBe(' 99999999');
    expect(largeNum(100_000_000n, false)).toBe('  100000K');
    expect(largeNum(999_999_999n, false)).toBe('  999999K');
    expect(largeNum(1_000_000_000n, false)).toBe('    1000M');
    expect(largeNum(99_999_999_999n, false)).toBe('   99999M');
    expect(largeNum(100_000_000_000n, false)).toBe('     100G');
    expect(largeNum(100_000_000_000_000n, false)).toBe('     100T');
    expect(largeNum(18_446_744_073_709_551_615n, false)).toBe('18446744T');
    expect(largeNum(12345678n, true)).toBe(' 12345678');
    expect(largeNum(123456789n, true)).toBe(' 123456789');
  });
  test('libipvs compares addresses as signed differences (10/8 lists after 192.168/16)', () => {
    const d = (ip: string, port = 80) => ({ addr: v4(ip), port });
    const sorted = glibcSort([d('10.0.0.11'), d('192.168.1.1'), d('10.0.0.2'), d('10.0.0.2', 22)], cmpDests);
    expect(sorted.map((x) => `${x.addr.ip}:${x.port}`)).toEqual(['192.168.1.1:80', '10.0.0.2:22', '10.0.0.2:80', '10.0.0.11:80']);
  });
});

describe('timeouts, connections, daemons', () => {
  test('--timeout', () => {
    expect(formatTimeout(900, 120, 300)).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
  });
  test('-Lnc matches the reference', () => {
    const e: ConnEntry = {
      protocol: 'TCP', expiresSec: 895, state: 'ESTABLISHED',
      client: { addr: v4('198.51.100.7'), port: 51234 }, virtual: { addr: v4('192.0.2.10'), port: 80 },
      real: { addr: v4('10.0.0.11'), port: 80 },
    };
    expect(formatConnections([e], true)).toBe(
      'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination\n' +
      'TCP 14:55  ESTABLISHED 198.51.100.7:51234 192.0.2.10:80      10.0.0.11:80\n');
  });
  test('-Lc names ports; templates and long expiries; --persistent-conn columns', () => {
    const tmpl: ConnEntry = {
      protocol: 'IP', expiresSec: 6000, state: 'NONE',
      client: { addr: v4('198.51.100.0'), port: 0 }, virtual: { addr: v4('192.0.2.10'), port: 80 },
      real: { addr: v4('10.0.0.11'), port: 80 }, peName: 'sip', peData: 'abc',
    };
    const udp: ConnEntry = {
      protocol: 'UDP', expiresSec: 5, state: 'UDP',
      client: { addr: v6('2001:db8::7'), port: 5353 }, virtual: { addr: v6('2001:db8::10'), port: 53 },
      real: { addr: v6('2001:db8::21'), port: 53 },
    };
    expect(formatConnections([tmpl, udp], false).split('\n').slice(2)).toEqual([
      'IP  100:00 NONE        198.51.100.0:0     192.0.2.10:80      10.0.0.11:80',
      'UDP 00:05  UDP         [2001:db8::7]:5353 [2001:db8::10]:domain [2001:db8::21]:domain',
      '',
    ]);
    expect(formatConnections([tmpl], true, { persistentConn: true })).toBe(
      'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination        pe name          pe_data\n' +
      'IP  100:00 NONE        198.51.100.0:0     192.0.2.10:80      10.0.0.11:80     sip                abc\n');
  });
  test('--daemon', () => {
    expect(formatDaemons([
      { state: 'backup', mcastInterface: 'eth1', syncid: 0 },
      { state: 'master', mcastInterface: 'eth0', syncid: 51, syncMaxlen: 1472, mcastGroup: '224.0.0.81', mcastPort: 8848, mcastTtl: 1 },
    ])).toBe(
      'master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
      'backup sync daemon (mcast=eth1, syncid=0)\n');
  });
});

describe('usage and version', () => {
  test('as ipvsadm: the 1.31 text exactly', () => {
    const u = formatUsage('ipvsadm');
    expect(u.startsWith('ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\nUsage:\n  ipvsadm -A|E virtual-service')).toBe(true);
    expect(u).toContain('  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,\n');
    expect(u.endsWith('  --mcast-ttl ttl                     Multicast TTL (default=1)\n')).toBe(true);
    expect(u).not.toContain('fullnat');
    expect(formatVersion('ipvsadm')).toBe('ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n');
  });
  test('as lvs-xdp: program name substituted, extra commands listed', () => {
    const u = formatUsage('lvs-xdp');
    expect(u).toContain('  lvs-xdp -L|l [virtual-service] [options]\n');
    expect(u).not.toMatch(/ipvsadm -/);
    for (const word of ['attach IFACE', '--mode native|generic', 'detach', 'status', 'realserver up|down --vip VIP [--mode dr|tun]',
      'lab up|down', 'monitor', 'agent', '--pin-dir', '--fullnat', '--json']) {
      expect(u).toContain(word);
    }
  });
});
