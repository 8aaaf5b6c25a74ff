import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpvsadm, parseRestoreLine } from '../../src/ipvsadm/parse.js';
import type { Command } from '../../src/ipvsadm/command.js';
import { LvsError } from '../../src/util/errors.js';

const words = (s: string): string[] => s.split(' ').filter((w) => w !== '');
const parse = (s: string): Command => parseIpvsadm(words(s));

interface Failure { name: string; message: string; exitCode: number }
function failure(argv: string[] | string, restoreLine?: number): Failure {
  try {
    if (restoreLine !== undefined) parseRestoreLine(argv as string, restoreLine);
    else parseIpvsadm(typeof argv === 'string' ? words(argv) : argv);
  } catch (e) {
    if (e instanceof LvsError) return { name: e.name, message: e.message, exitCode: e.exitCode };
    throw e;
  }
  throw new Error(`expected a failure for ${String(argv)}`);
}

const TRY = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";
const v4 = (ip: string) => ({ family: 'inet', ip });
const v6 = (ip: string) => ({ family: 'inet6', ip });

describe('service commands', () => {
  test('defaults: wlc, not persistent, no flags', () => {
    expect(parse('-A -t 192.0.2.10:80')).toEqual({
      kind: 'add-service',
      service: { protocol: 'tcp', addr: v4('192.0.2.10'), port: 80, scheduler: 'wlc', onePacket: false, schedFlags: [] },
    });
  });
  test('long options and = arguments', () => {
    expect(parseIpvsadm(['--add-service', '--udp-service=192.0.2.10:53', '--scheduler', 'rr', '--ops'])).toEqual({
      kind: 'add-service',
      service: { protocol: 'udp', addr: v4('192.0.2.10'), port: 53, scheduler: 'rr', onePacket: true, schedFlags: [] },
    });
  });
  test('bare -p gives 360, -p N and -pN and -p=N take N', () => {
    const p = (s: string) => (parse(s) as Extract<Command, { kind: 'add-service' }>).service.persistence;
    expect(p('-A -t 192.0.2.10:80 -p')).toBe(360);
    expect(p('-A -t 192.0.2.10:80 -p -s rr')).toBe(360);
    expect(p('-A -t 192.0.2.10:80 -p 300')).toBe(300);
    expect(p('-A -t 192.0.2.10:80 -p300')).toBe(300);
    expect(p('-A -t 192.0.2.10:80 -p=2678400')).toBe(2678400);
    expect(p('-A -t 192.0.2.10:80 --persistent 1')).toBe(1);
  });
  test('persistence range 1..2678400', () => {
    expect(failure('-A -t 192.0.2.10:80 -p 0')).toEqual({ name: 'UsageError', message: "invalid timeout value `0' specified", exitCode: 2 });
    expect(failure('-A -t 192.0.2.10:80 -p 2678401').message).toBe("invalid timeout value `2678401' specified");
    expect(failure('-A -t 192.0.2.10:80 -p abc').message).toBe("invalid timeout value `abc' specified");
  });
  test('-M: dotted mask for IPv4, prefix for IPv6', () => {
    const s = (x: string) => (parse(x) as Extract<Command, { kind: 'add-service' }>).service;
    expect(s('-A -t 192.0.2.10:80 -p -M 255.255.255.0').netmask).toBe('255.255.255.0');
    expect(s('-A -t 192.0.2.10:80 -p -M 0xffffff00').netmask).toBe('255.255.255.0');
    expect(s('-A -t 192.0.2.10:80 -p -M 255.255.255.255').netmask).toBeUndefined();
    expect(s('-A -t [2001:db8::1]:80 -p -M 64').netmask).toBe(64);
    expect(s('-A -t [2001:db8::1]:80 -p -M 128').netmask).toBeUndefined();
    // -M before an IPv6 -t: parse_service resets the granularity to /128.
    expect(s('-A -M 255.255.0.0 -t [2001:db8::1]:80 -p').netmask).toBeUndefined();
    expect(failure('-A -t 192.0.2.10:80 -M 255.255.256.0').message).toBe('illegal virtual server persistent mask specified');
    expect(failure('-A -t [2001:db8::1]:80 -M 129').message).toBe('illegal ipv6 netmask specified');
    expect(failure('-A -t [2001:db8::1]:80 -M x').message).toBe('illegal ipv6 netmask specified');
  });
  test('scheduler flags', () => {
    const s = (x: string) => (parse(x) as Extract<Command, { kind: 'add-service' }>).service.schedFlags;
    expect(s('-A -t 192.0.2.10:80 -s sh -b sh-port,sh-fallback')).toEqual(['sh-fallback', 'sh-port']);
    expect(s('-A -t 192.0.2.10:80 -s mh -b mh-port')).toEqual(['mh-port']);
    expect(s('-A -t 192.0.2.10:80 -b flag-1,flag-3')).toEqual(['flag-1', 'flag-3']);
    expect(s('-A -t 192.0.2.10:80 -b sh-port -s sh')).toEqual(['sh-port']);
    expect(failure('-A -t 192.0.2.10:80 -s rr -b sh-port')).toEqual({ name: 'UsageError', message: "incompatible scheduler flag `sh-port'", exitCode: 2 });
    expect(failure('-A -t 192.0.2.10:80 -b mh-fallback').message).toBe("incompatible scheduler flag `mh-fallback'");
    expect(failure('-A -t 192.0.2.10:80 -b flag-4').message).toBe("invalid scheduler flag `flag-4'");
    // Flags are parsed before the option matrix is consulted.
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -b bogus').message).toBe("invalid scheduler flag `bogus'");
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -b flag-1').message).toBe("Illegal 'sched-flags' option with the 'add-server' command");
  });
  test('every kernel scheduler name is accepted; unknown ones are the kernel error', () => {
    for (const s of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos']) {
      expect((parse(`-A -t 192.0.2.10:80 -s ${s}`) as Extract<Command, { kind: 'add-service' }>).service.scheduler).toBe(s);
    }
    expect(failure('-A -t 192.0.2.10:80 -s foo')).toEqual({ name: 'StateError', message: 'Scheduler or persistence engine not found', exitCode: 255 });
  });
  test('zero port needs persistence; ops needs UDP', () => {
    expect(failure('-A -t 192.0.2.10')).toEqual({ name: 'UsageError', message: 'Zero port specified for non-persistent service', exitCode: 2 });
    expect(failure('-E -t 192.0.2.10:0').message).toBe('Zero port specified for non-persistent service');
    expect(parse('-A -t 192.0.2.10 -p')).toMatchObject({ kind: 'add-service', service: { port: 0, persistence: 360 } });
    expect(failure('-A -t 192.0.2.10:80 -o')).toEqual({ name: 'UsageError', message: 'One-Packet Scheduling is only for UDP virtual services', exitCode: 2 });
  });
  test('edit and delete', () => {
    expect(parse('-E -t 192.0.2.10:80 -s rr')).toMatchObject({ kind: 'edit-service', service: { scheduler: 'rr' } });
    expect(parse('-D -u 192.0.2.10:53')).toEqual({ kind: 'delete-service', key: { protocol: 'udp', addr: v4('192.0.2.10'), port: 53 } });
    expect(failure('-D -t 192.0.2.10:80 -s rr').message).toBe("Illegal 'scheduler' option with the 'delete-service' command");
  });
  test('fwmark, sctp and pe are parsed but not supported', () => {
    expect(failure('-A -f 1')).toEqual({ name: 'UnsupportedError', message: 'fwmark services are not supported yet', exitCode: 2 });
    expect(failure('-A -f 0').message).toBe("invalid fwmark value `0' specified");
    expect(failure('-A -f x').message).toBe("invalid fwmark value `x' specified");
    expect(failure('-A -6 -t 192.0.2.10:80').message).toBe('-6 used before -f');
    expect(failure('-A --sctp-service 192.0.2.10:80').name).toBe('UnsupportedError');
    expect(failure('-A -t 192.0.2.10:80 --pe sip -p').name).toBe('UnsupportedError');
  });
});

describe('addresses', () => {
  const key = (s: string) => (parse(s) as Extract<Command, { kind: 'delete-service' }>).key;
  test('IPv6 is canonicalised (RFC 5952)', () => {
    expect(key('-D -t [2001:DB8:0:0:0:0:0:1]:80')).toEqual({ protocol: 'tcp', addr: v6('2001:db8::1'), port: 80 });
    expect(key('-D -t [2001:db8:0:0:1:0:0:1]:443').addr.ip).toBe('2001:db8::1:0:0:1');
    expect(key('-D -t [2001:0db8:0000:0001:0000:0000:0000:0000]:80').addr.ip).toBe('2001:db8:0:1::');
    expect(key('-D -t [::ffff:192.0.2.1]:80').addr.ip).toBe('::ffff:192.0.2.1');
    expect(key('-D -t [2001:db8:1:1:1:1:0:1]:80').addr.ip).toBe('2001:db8:1:1:1:1:0:1');
    // Without brackets an IPv6 literal is the whole argument: port 0.
    expect(key('-D -t 2001:db8::1')).toEqual({ protocol: 'tcp', addr: v6('2001:db8::1'), port: 0 });
  });
  test('inet_aton forms, localhost, service names', () => {
    expect(key('-D -t 10.1:80').addr.ip).toBe('10.0.0.1');
    expect(key('-D -t 0x7f.1:80').addr.ip).toBe('127.0.0.1');
    expect(key('-D -t 012.0.0.1:80').addr.ip).toBe('10.0.0.1');
    expect(key('-D -t localhost:http')).toEqual({ protocol: 'tcp', addr: v4('127.0.0.1'), port: 80 });
    expect(key('-D -t 192.0.2.1:https').port).toBe(443);
    expect(key('-D -u 192.0.2.1:domain').port).toBe(53);
    expect(key('-D -t 192.0.2.1:www').port).toBe(80);
    expect(key('-D -t 192.0.2.1:ssh').port).toBe(22);
    // A bracketed IPv4 address loses its port, as in ipvsadm.
    expect(key('-D -t [192.0.2.1]:80').port).toBe(0);
  });
  test('bad addresses', () => {
    const bad = { name: 'UsageError', message: 'illegal virtual server address[:port] specified', exitCode: 2 };
    for (const a of ['example.com:80', '80', '192.0.2.256:80', '192.0.2.1:65536', '192.0.2.1:', '192.0.2.1:nosuch',
      '[2001:db8::1]', '[2001:db8::1]:', '2001:db8::1:80:', '1.2.3.4.5:80', '08.1.1.1:80', '-1']) {
      expect(failure(['-D', '-t', a])).toEqual(bad);
    }
    expect(failure('-D -u 192.0.2.1:ssh')).toEqual(bad); // ssh is a TCP-only name
    expect(failure('-a -t 192.0.2.1:80 -r example.com').message).toBe('illegal real server address[:port] specified');
  });
});

describe('real servers', () => {
  type AddReal = Extract<Command, { kind: 'add-real' }>;
  const real = (s: string) => (parse(s) as AddReal).real;
  test('defaults: -g, weight 1, service port', () => {
    expect(parse('-a -t 192.0.2.10:80 -r 10.0.0.11')).toEqual({
      kind: 'add-real',
      key: { protocol: 'tcp', addr: v4('192.0.2.10'), port: 80 },
      real: { addr: v4('10.0.0.11'), port: 80, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
    });
  });
  test('-g and -i force the service port; -m and --fullnat keep the mapping', () => {
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11:8080 -g').port).toBe(80);
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11:8080 -i').port).toBe(80);
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11:8080 -m')).toMatchObject({ port: 8080, forward: 'nat' });
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11:8080 --fullnat')).toMatchObject({ port: 8080, forward: 'fullnat' });
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11 -m').port).toBe(80);
    // -r before -t copies the service port known then (none yet).
    expect(real('-a -r 10.0.0.11 -t 192.0.2.10:80 -m').port).toBe(0);
    expect(real('-e -t 192.0.2.10:80 -r 10.0.0.11:8080 -i -w 3')).toMatchObject({ port: 80, forward: 'tun', weight: 3 });
  });
  test('weight and thresholds', () => {
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11 -w 0 -x 100 -y 50')).toMatchObject({ weight: 0, upperThreshold: 100, lowerThreshold: 50 });
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.11 -w 65535').weight).toBe(65535);
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.11 -w 65536')).toEqual({ name: 'UsageError', message: 'illegal weight specified', exitCode: 2 });
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.11 -w -1').message).toBe('illegal weight specified');
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.11 -x x').message).toBe('illegal u_threshold specified');
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.11 -y 2147483648').message).toBe('illegal l_threshold specified');
  });
  test('address families and tunnel options', () => {
    expect(real('-a -t 192.0.2.10:80 -r [2001:db8::11]:80 -i').addr).toEqual(v6('2001:db8::11'));
    expect(failure('-a -t 192.0.2.10:80 -r [2001:db8::11]:80 -m').message).toBe('Different address family is allowed only for tunneling servers');
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -m --tun-type gue').message).toBe('Tunnel options conflict with forward method');
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -i --tun-type gue')).toEqual({
      name: 'UsageError', message: "You need to supply the 'tun-port' option for the 'gue' tunnel type", exitCode: 2 });
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -i --tun-csum').message).toBe("Illegal 'tun-csum' option with the 'ipip' tunnel type");
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -i --tun-type gue --tun-port 6080 --tun-csum --tun-nocsum').message)
      .toBe("The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type");
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -i --tun-type gue --tun-port 6080').name).toBe('UnsupportedError');
    expect(real('-a -t 192.0.2.10:80 -r 10.0.0.1 -i --tun-type ipip').forward).toBe('tun');
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -i --tun-type vxlan').message).toBe('illegal tunnel type specified');
  });
  test('delete keeps the given port', () => {
    expect(parse('-d -t 192.0.2.10:80 -r 10.0.0.11:8080')).toEqual({
      kind: 'delete-real', key: { protocol: 'tcp', addr: v4('192.0.2.10'), port: 80 }, real: { addr: v4('10.0.0.11'), port: 8080 },
    });
    expect(failure('-d -t 192.0.2.10:80 -r 10.0.0.11 -w 2').message).toBe("Illegal 'weight' option with the 'delete-server' command");
  });
  test('compulsory options', () => {
    expect(failure('-a -t 192.0.2.10:80')).toEqual({
      name: 'UsageError', message: "You need to supply the 'real-server' option for the 'add-server' command", exitCode: 2 });
    expect(failure('-a -r 10.0.0.1').message).toBe("You need to supply the 'service-address' option for the 'add-server' command");
    expect(failure('-A -s rr').message).toBe("You need to supply the 'service-address' option for the 'add-service' command");
    expect(failure('-A -t 192.0.2.10:80 -w 3')).toEqual({
      name: 'UsageError', message: "Illegal 'weight' option with the 'add-service' command", exitCode: 2 });
    expect(failure('-A -t 192.0.2.10:80 -n').message).toBe("Illegal 'numeric' option with the 'add-service' command");
  });
});

describe('list, save, zero, set, daemon', () => {
  test('combined short flags as popt reads them', () => {
    expect(parse('-Ln')).toMatchObject({ kind: 'list', options: { numeric: true, connections: false } });
    expect(parse('-Lnc')).toMatchObject({ kind: 'list', options: { numeric: true, connections: true } });
    expect(parse('-lnc')).toMatchObject({ kind: 'list', options: { numeric: true, connections: true } });
    expect(parse('-lnX --stats')).toMatchObject({ kind: 'list', options: { numeric: true, exact: true, stats: true } });
    expect(parse('-At 192.0.2.10:80 -s rr')).toMatchObject({ kind: 'add-service', service: { port: 80, scheduler: 'rr' } });
    expect(parse('-at 192.0.2.10:80 -r10.0.0.1 -mw5')).toMatchObject({ kind: 'add-real', real: { forward: 'nat', weight: 5 } });
  });
  test('no arguments lists everything', () => {
    expect(parseIpvsadm([])).toEqual({
      kind: 'list',
      options: { numeric: false, connections: false, timeout: false, daemon: false, stats: false, rate: false,
        thresholds: false, persistentConn: false, tunInfo: false, exact: false, nosort: false, json: false },
    });
  });
  test('every list option', () => {
    expect(parse('-L -n --stats --rate --thresholds --persistent-conn --tun-info --exact --nosort --sort')).toMatchObject({
      options: { stats: true, rate: true, thresholds: true, persistentConn: true, tunInfo: true, exact: true, nosort: true },
    });
    expect(parse('-L --timeout')).toMatchObject({ options: { timeout: true } });
    expect(parse('-L --daemon')).toMatchObject({ options: { daemon: true } });
    expect(parse('-L -t 192.0.2.10:80')).toMatchObject({ key: { port: 80 } });
    expect(parse('-L --json')).toMatchObject({ options: { json: true } });
    expect(parse('-L --output json')).toMatchObject({ options: { json: true } });
    expect(parse('-Ln --output=json')).toMatchObject({ options: { json: true, numeric: true } });
  });
  test('list conflicts', () => {
    // generic_opt_check() names the later column first (the reference's wording is reversed).
    expect(failure('-L -c -t 192.0.2.10:80')).toEqual({ name: 'UsageError',
      message: "The option 'service-address' conflicts with the 'connection' option in the 'list' command", exitCode: 2 });
    expect(failure('-L --timeout --daemon').message).toBe("The option 'daemon' conflicts with the 'timeout' option in the 'list' command");
    expect(failure('-L -c --stats').message).toBe('options conflicts in the list command');
    expect(failure('-L --daemon --persistent-conn').message).toBe('options conflicts in the list command');
    // -o is ipvsadm's --ops (no argument): "json" is a stray word, reported before the matrix.
    expect(failure('-L -o json').message).toBe('unexpected argument json');
    expect(failure('-L -o').message).toBe("Illegal 'ops' option with the 'list' command");
    expect(failure('-L --output yaml').message).toBe("illegal output format `yaml' specified");
    expect(failure('-S --json').message).toBe("Illegal 'json' option with the 'save' command");
    expect(failure('-L -s rr').message).toBe("Illegal 'scheduler' option with the 'list' command");
  });
  test('save, restore, clear, zero', () => {
    expect(parse('-S')).toEqual({ kind: 'save', numeric: false });
    expect(parse('-Sn')).toEqual({ kind: 'save', numeric: true });
    expect(parse('--save -n')).toEqual({ kind: 'save', numeric: true });
    expect(parse('-R')).toEqual({ kind: 'restore' });
    expect(parse('-C')).toEqual({ kind: 'clear' });
    expect(parse('--clear')).toEqual({ kind: 'clear' });
    expect(parse('-Z')).toEqual({ kind: 'zero' });
    expect(parse('-Z -u 192.0.2.10:53')).toEqual({ kind: 'zero', key: { protocol: 'udp', addr: v4('192.0.2.10'), port: 53 } });
    expect(failure('-C -n').message).toBe("Illegal 'numeric' option with the 'flush' command");
  });
  test('--set', () => {
    expect(parse('--set 900 120 300')).toEqual({ kind: 'set-timeout', tcp: 900, tcpfin: 120, udp: 300 });
    expect(parse('--set 0 0 0')).toEqual({ kind: 'set-timeout', tcp: 0, tcpfin: 0, udp: 0 });
    expect(failure('--set 900 120').message).toBe('--set option requires 3 timeout values');
    expect(failure('--set 900 120 300 5').message).toBe('unexpected argument 5');
    expect(failure('--set tcp tcpfin udp').message).toBe("invalid timeout value `tcp' specified");
  });
  test('sync daemon', () => {
    expect(parse('--start-daemon master')).toEqual({ kind: 'start-daemon', state: 'master', options: { mcastInterface: 'eth0' } });
    expect(parse('--start-daemon backup --mcast-interface eth1 --syncid 51 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 1 --sync-maxlen 1472'))
      .toEqual({ kind: 'start-daemon', state: 'backup', options: { mcastInterface: 'eth1', syncid: 51, mcastGroup: '224.0.0.81', mcastPort: 8848, mcastTtl: 1, syncMaxlen: 1472 } });
    expect(parse('--stop-daemon master --syncid 3')).toEqual({ kind: 'stop-daemon', state: 'master' });
    expect(failure('--start-daemon state').message).toBe('illegal start-daemon parameter specified');
    expect(failure('--stop-daemon both').message).toBe('illegal start_daemon specified');
    expect(failure('--start-daemon master --syncid 256').message).toBe('illegal syncid specified');
    expect(failure('--start-daemon master --mcast-group 192.0.2.1').message).toBe("invalid IPv4 mcast-group `192.0.2.1'");
    expect(failure('--start-daemon master --mcast-group 2001:db8::1').message).toBe("invalid IPv6 mcast-group `2001:db8::1'");
    expect(failure('--stop-daemon master --mcast-port 1').message).toBe("Illegal 'mcast-port' option with the 'stop-daemon' command");
  });
  test('help and version win when first', () => {
    expect(parse('-h')).toEqual({ kind: 'help' });
    expect(parse('--help -L --bogus')).toEqual({ kind: 'help' });
    expect(parse('-v')).toEqual({ kind: 'version' });
    expect(parse('--version')).toEqual({ kind: 'version' });
  });
});

describe('popt-level errors', () => {
  test('the first option must be a command (Try ... exit 255)', () => {
    const tryHelp = { name: 'TryHelpError', message: TRY, exitCode: 255 };
    expect(failure('-n -L')).toEqual(tryHelp);
    expect(failure('-y')).toEqual(tryHelp);
    expect(failure('save')).toEqual(tryHelp);
    expect(failure('--stop-daemon')).toEqual(tryHelp);
    expect(failure('--bogus')).toEqual(tryHelp);
    expect(failure('-q')).toEqual(tryHelp);
  });
  test('errors after the command: popt text, exit 255', () => {
    expect(failure('-L --bogus')).toEqual({ name: 'PoptError', message: '--bogus: unknown option', exitCode: 255 });
    expect(failure('-Lq')).toEqual({ name: 'PoptError', message: '-Lq: unknown option', exitCode: 255 });
    expect(failure('-A -t')).toEqual({ name: 'PoptError', message: '-t: missing argument', exitCode: 255 });
    expect(failure('-A --tcp-service')).toEqual({ name: 'PoptError', message: '--tcp-service: missing argument', exitCode: 255 });
    // lvs-xdp's --fullnat has no short form; -F is not an option.
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -F').message).toBe('-F: unknown option');
  });
  test('a second command is an invalid option (ipvsadm 1.31 only reads the command first)', () => {
    expect(failure('-A -t 192.0.2.10:80 -D')).toEqual({ name: 'UsageError', message: "invalid option `-D'", exitCode: 2 });
    expect(failure('-L -h').message).toBe("invalid option `-h'");
    expect(failure('-Ll').message).toBe("invalid option `-Ll'");
  });
  test('repeated options and stray words', () => {
    expect(failure('-A -t 192.0.2.10:80 -s rr -s wrr').message).toBe("multiple 'scheduler' options specified");
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -g -m').message).toBe("multiple 'forwarding-method' options specified");
    expect(failure('-a -t 192.0.2.10:80 -r 10.0.0.1 -m --fullnat').message).toBe("multiple 'forwarding-method' options specified");
    expect(failure('-L extra').message).toBe('unexpected argument extra');
    expect(failure('-L -- -n').message).toBe('unexpected argument -n');
  });
});

describe('seed command lines (from the LVS how-tos)', () => {
  const ok: Array<[string, Record<string, unknown>]> = [
    ['-A -t 192.168.1.2:80 -s wrr', { kind: 'add-service', service: expect.objectContaining({ scheduler: 'wrr', port: 80 }) }],
    ['-A -t 192.168.100.200:80 -s rr -p 20', { kind: 'add-service', service: expect.objectContaining({ persistence: 20 }) }],
    ['-A -t 192.168.146.100:80 -s rr', { kind: 'add-service' }],
    ['-A -t 192.168.168.130:80 -s rr', { kind: 'add-service' }],
    ['-A -t 192.168.246.160:80 -s rr ', { kind: 'add-service' }],
    ['-A -t 192.168.31.100:80 -s wrr', { kind: 'add-service' }],
    ['-A -t 192.168.50.128:80 -s rr ', { kind: 'add-service' }],
    ['-At 200.168.10.10:80 -s rr', { kind: 'add-service' }],
    ['-a -t 192.168.1.2:80 -r 192.168.2.10:80 -m -w 1', { kind: 'add-real', real: expect.objectContaining({ forward: 'nat', port: 80 }) }],
    ['-a -t 192.168.100.200:80 -r 192.168.100.232 -g -w 1', { kind: 'add-real', real: expect.objectContaining({ forward: 'dr', port: 80 }) }],
    ['-a -t 192.168.146.100:80 -r 192.168.146.131 -g -w 1', { kind: 'add-real' }],
    ['-a -t 192.168.246.160:80 -r 192.168.246.161 -g ', { kind: 'add-real' }],
    ['-a -t 192.168.31.100:80 -r 172.25.0.31 -m -w 1', { kind: 'add-real', real: expect.objectContaining({ port: 80, forward: 'nat' }) }],
    ['-a -t 192.168.50.128:80 -r 192.168.246.161 -m  ', { kind: 'add-real' }],
    ['-a -t 172.16.100.1:80 -r 192.168.10.9 -g', { kind: 'add-real' }],
    ['-at 192.168.1.241 -r 192.168.2.249 -m', { kind: 'add-real', key: expect.objectContaining({ port: 0 }), real: expect.objectContaining({ port: 0 }) }],
    ['-at 200.168.10.10:80 -r 200.168.10.2 -g', { kind: 'add-real' }],
    ['-d -t 192.168.100.200:80 -r 192.168.100.233', { kind: 'delete-real' }],
    ['-D -t 192.168.100.200:80', { kind: 'delete-service' }],
    ['-C', { kind: 'clear' }], ['-R', { kind: 'restore' }], ['-S', { kind: 'save' }], ['--save', { kind: 'save' }],
    ['-L', { kind: 'list' }], ['-L --timeout', { kind: 'list' }], ['-L -c', { kind: 'list' }], ['-L -n', { kind: 'list' }],
    ['-L -n --rate', { kind: 'list' }], ['-L -n --stats', { kind: 'list' }], ['-Ln', { kind: 'list' }],
    ['-ln', { kind: 'list' }], ['-lnc', { kind: 'list' }], ['-h', { kind: 'help' }],
  ];
  test.each(ok)('ipvsadm %s', (line, expected) => {
    expect(parse(line)).toMatchObject(expected);
  });
  const bad: Array<[string, string, number]> = [
    ['-At 192.168.1.241 -s rr', 'Zero port specified for non-persistent service', 2],
    ['-a -t 192.168.100.200:80 -r 192.168.100.2333 -g -w 1', 'illegal real server address[:port] specified', 2],
    ['-a -t 172.16.100.1:80 -r 192.168.10.8 –g', 'unexpected argument –g', 2],
    ['--set tcp tcpfin udp', "invalid timeout value `tcp' specified", 2],
    ['--start-daemon state --mcast-interface interface', 'illegal start-daemon parameter specified', 2],
    ['--stop-daemon', TRY, 255],
    ['-y', TRY, 255],
    ['save', TRY, 255],
    ['start', TRY, 255],
  ];
  test.each(bad)('ipvsadm %s fails', (line, message, code) => {
    const f = failure(line);
    expect([f.message, f.exitCode]).toEqual([message, code]);
  });
});

describe('restore lines', () => {
  test('comments, blanks and ipvsadm words', () => {
    expect(parseRestoreLine('', 1)).toBeNull();
    expect(parseRestoreLine('   \t', 2)).toBeNull();
    expect(parseRestoreLine('# saved by ipvsadm', 3)).toBeNull();
    expect(parseRestoreLine('ipvsadm', 4)).toBeNull();
    expect(parseRestoreLine('ipvsadm -A -t 192.0.2.10:80 -s rr # web', 5)).toMatchObject({ kind: 'add-service', service: { scheduler: 'rr' } });
    expect(parseRestoreLine('-a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 100\r', 6)).toMatchObject({ kind: 'add-real', real: { weight: 100 } });
  });
  test('errors carry the line number and keep their class', () => {
    expect(failure('-A -t 192.0.2.10', 7)).toEqual({ name: 'UsageError', message: 'line 7: Zero port specified for non-persistent service', exitCode: 2 });
    expect(failure('-R', 8)).toEqual({ name: 'TryHelpError', message: `line 8: ${TRY}`, exitCode: 255 });
    expect(failure('foo', 9).exitCode).toBe(255);
    expect(failure('-A -f 3', 10)).toEqual({ name: 'UnsupportedError', message: 'line 10: fwmark services are not supported yet', exitCode: 2 });
  });
});

describe('every ipvsadm line in the seed how-tos', () => {
  const dir = '/work/shared/seeds';
  const lines: string[] = [];
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const m = /ipvsadm\s+(-[^\u0080-\uffff#]*?)(?:\s*(?:#|\/\/|[\u0080-\uffff]).*)?$/.exec(l);
        // Skip synopsis lines ("-A|E", "[-s scheduler]") and shell variables.
        if (m && !/[|[$<>]/.test(m[1]!)) lines.push(m[1]!.trim());
      }
    }
  }
  test('the seeds were found', () => {
    if (!existsSync(dir)) return; // seeds live outside the repository
    expect(lines.length).toBeGreaterThan(30);
  });
  test.each(lines.map((l) => [l]))('ipvsadm %s gives a Command or a typed error', (line) => {
    try {
      expect(parseIpvsadm(words(line)).kind).toEqual(expect.any(String));
    } catch (e) {
      expect(e).toBeInstanceOf(LvsError);
    }
  });
});
