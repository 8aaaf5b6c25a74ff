// The namespace lab itself, before any XDP: every real server answers directly, the
// director's kernel owns the VIP, the real servers hold it silently (DR setup), and
// labDown leaves nothing behind. Needs root and network namespaces.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { labDown, labUp, listNetns, type LabInfo } from '../../src/lab/lab.js';
import { patternBytes } from '../../src/lab/name-server.js';
import { isAlive, readPid } from '../../src/lab/process.js';
import { DEFAULT_STATE_DIR, netnsKey } from '../../src/realserver/apply.js';
import { labInfo } from '../../src/lab/topology.js';
import { inNetns } from '../../src/util/exec.js';
import { labUnavailable } from './fixture.js';

const PREFIX = 'lxt1';

const why = labUnavailable();
if (why) console.warn(`lab-topology: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

/** A command in a lab namespace; its stdout. Every call is bounded. */
const sh = (ns: string, cmd: string, ...args: string[]): string => inNetns(ns, cmd, args, { timeoutMs: 10_000 }).stdout;
const macOf = (ns: string): string => (JSON.parse(sh(ns, 'ip', '-j', 'link', 'show', 'eth0')) as Array<{ address: string }>)[0]!.address;

maybe('lab topology (root)', () => {
  let info: LabInfo = labInfo(PREFIX);

  beforeAll(async () => {
    info = await labUp({ prefix: PREFIX });
  }, 60_000);

  // Always, even when a test failed: the lab must never outlive its suite.
  afterAll(async () => {
    await labDown(PREFIX).catch((err: unknown) => console.error(`labDown: ${(err as Error).message}`));
  }, 60_000);

  test('every real server answers with its name, IPv4 and IPv6', () => {
    for (const rs of info.reals) {
      expect(sh(info.client.netns, 'curl', '-sS', '--max-time', '3', `http://${rs.ipv4}/`)).toBe(`${rs.name}\n`);
      expect(sh(info.client.netns, 'curl', '-sS', '--max-time', '3', `http://[${rs.ipv6}]/any/path`)).toBe(`${rs.name}\n`);
    }
  }, 30_000);

  test('GET /bytes/N returns the deterministic pattern', () => {
    const n = 3 * 1024 * 1024 + 17;
    const out = inNetns(info.client.netns, 'sh', ['-c', `curl -sS --max-time 5 http://${info.reals[0]!.ipv4}/bytes/${n} | sha256sum`]).stdout;
    expect(out.split(' ')[0]).toBe(createHash('sha256').update(patternBytes(0, n)).digest('hex'));
  }, 15_000);

  test('UDP echo answers "<name> <payload>"', () => {
    const rs = info.reals[1]!;
    const py = [
      'import socket,sys',
      's=socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)',
      's.settimeout(2)',
      's.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))',
      'print(s.recv(100).decode())',
    ].join('\n');
    expect(sh(info.client.netns, 'python3', '-c', py, rs.ipv4, String(info.udpPort))).toBe(`${rs.name} ping\n`);
    expect(sh(info.client.netns, 'python3', '-c', py, rs.ipv6, String(info.udpPort))).toBe(`${rs.name} ping\n`);
  }, 15_000);

  test('the director answers ping to the VIP and owns it on the wire', () => {
    sh(info.client.netns, 'ping', '-c', '1', '-W', '2', info.vip4);
    sh(info.client.netns, 'ping', '-6', '-c', '1', '-W', '2', info.vip6);
    // The real servers hold the VIP too; only the director may answer ARP/ND for it.
    const neigh = (family: string, ip: string): string =>
      (JSON.parse(sh(info.client.netns, 'ip', '-j', family, 'neigh', 'show', ip)) as Array<{ lladdr?: string }>)[0]?.lladdr ?? '';
    const dirMac = macOf(info.director.netns);
    expect(neigh('-4', info.vip4)).toBe(dirMac);
    expect(neigh('-6', info.vip6)).toBe(dirMac);
  }, 15_000);

  test('real servers: VIP on lo, arp_ignore=1, arp_announce=2', () => {
    for (const rs of info.reals) {
      const lo = JSON.parse(sh(rs.netns, 'ip', '-j', 'addr', 'show', 'dev', 'lo')) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
      const addrs = lo[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);
      expect(addrs).toEqual(expect.arrayContaining([`${info.vip4}/32`, `${info.vip6}/128`]));
      expect(sh(rs.netns, 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.lo.arp_ignore').split('\n').slice(0, 2)).toEqual(['1', '1']);
      expect(sh(rs.netns, 'sysctl', '-n', 'net.ipv4.conf.all.arp_announce', 'net.ipv4.conf.lo.arp_announce').split('\n').slice(0, 2)).toEqual(['2', '2']);
    }
  }, 15_000);

  test('DR return path: a frame for the VIP sent to a real server\'s MAC is answered by it', () => {
    // What the director will do in DR mode, done by hand with a static neighbour entry.
    const rs = info.reals[2]!;
    const c = info.client.netns;
    sh(c, 'ip', 'neigh', 'replace', info.vip4, 'lladdr', macOf(rs.netns), 'dev', 'eth0', 'nud', 'permanent');
    try {
      expect(sh(c, 'curl', '-sS', '--max-time', '3', `http://${info.vip4}/`)).toBe(`${rs.name}\n`);
    } finally {
      sh(c, 'ip', 'neigh', 'del', info.vip4, 'dev', 'eth0');
    }
  }, 15_000);

  test('switch ports run an XDP program (NAPI) and hosts send full checksums', () => {
    for (const h of info.hosts) {
      const port = JSON.parse(sh(info.switchNetns, 'ip', '-j', 'link', 'show', 'dev', h.switchPort))[0];
      expect(port.xdp).toBeDefined();
      expect(sh(h.netns, 'ethtool', '-k', 'eth0')).toMatch(/tx-checksumming: off/);
    }
  }, 15_000);

  test('labUp again replaces the lab instead of failing (now with nginx)', async () => {
    info = await labUp({ prefix: PREFIX, servers: 'nginx' });
    for (const rs of info.reals) {
      expect(sh(info.client.netns, 'curl', '-sS', '--max-time', '3', `http://${rs.ipv4}/`)).toBe(`${rs.name}\n`);
      expect(sh(info.client.netns, 'curl', '-sS', '--max-time', '3', `http://[${rs.ipv6}]/`)).toBe(`${rs.name}\n`);
    }
  }, 60_000);

  test('labDown removes namespaces, processes, state and run dir; a second labDown is harmless', async () => {
    const pids = readdirSync(info.runDir).filter((f) => f.endsWith('.pid')).map((f) => readPid(`${info.runDir}/${f}`)!);
    expect(pids).toHaveLength(3);
    const stateFiles = info.reals.map((rs) => `${DEFAULT_STATE_DIR}/realserver-${netnsKey(rs.netns)}.json`);
    stateFiles.forEach((f) => expect(existsSync(f)).toBe(true));
    await labDown(PREFIX);
    await labDown(PREFIX);
    expect(listNetns().filter((n) => n.startsWith(`${PREFIX}-`))).toEqual([]);
    expect(existsSync(info.runDir)).toBe(false);
    stateFiles.forEach((f) => expect(existsSync(f)).toBe(false));
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);
});
