// DR end to end: a client curls the VIP, the director's XDP program picks a real
// server and rewrites the MAC, the real server answers the client directly.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';
import { forwardingStateDir } from '../../src/net/forwarding.js';
import { pinPaths } from '../../src/bpf/pins.js';

const PREFIX = 'lxt2';
const why = labUnavailable();
if (why) console.warn(`dr lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

/** rx packets of eth0 in a namespace. */
function rxPackets(lab: Lab, ns: string): number {
  const j = JSON.parse(lab.sh(ns, 'ip', '-s', '-j', 'link', 'show', 'eth0'))[0];
  return Number(j.stats64.rx.packets);
}

/** Service line's InPkts / OutPkts from `-Ln --stats --exact`. */
function serviceStats(lab: Lab): { conns: number; inPkts: number; outPkts: number } {
  const line = lab.cli('-Ln', '--stats', '--exact').split('\n').find((l) => l.startsWith('TCP'))!;
  const [, , conns, inPkts, outPkts] = line.trim().split(/\s+/);
  return { conns: Number(conns), inPkts: Number(inPkts), outPkts: Number(outPkts) };
}

maybe('DR through the XDP director (root, namespaces)', () => {
  let lab: Lab;
  const vip = 'http://192.0.2.10/';

  beforeAll(async () => {
    lab = await startLab(PREFIX);
  }, 60_000);

  afterAll(async () => {
    await stopLab(PREFIX, lab);
  }, 60_000);

  test('before attach, the director kernel owns the VIP: HTTP refused, ping answered', () => {
    expect(lab.curl(vip)).toBe('');
    lab.sh(lab.info.client.netns, 'ping', '-c', '1', '-W', '2', '192.0.2.10');
  });

  test('attach reports the mode; ipvsadm syntax configures an rr service', () => {
    const out = lab.cli('attach', 'eth0');
    expect(out).toMatch(/attached to eth0 \((native|generic) XDP\)/);
    lab.cli('-A', '-t', '192.0.2.10:80', '-s', 'rr');
    for (const i of [1, 2, 3]) lab.cli('-a', '-t', '192.0.2.10:80', '-r', `192.0.2.1${i}`, '-g');
    expect(lab.cli('-Ln')).toBe(
      'IP Virtual Server version 1.2.1 (size=1048576)\n' +
        'Prot LocalAddress:Port Scheduler Flags\n' +
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
        'TCP  192.0.2.10:80 rr\n' +
        '  -> 192.0.2.11:80                Route   1      0          0         \n' +
        '  -> 192.0.2.12:80                Route   1      0          0         \n' +
        '  -> 192.0.2.13:80                Route   1      0          0         \n',
    );
  }, 30_000);

  test('30 requests reach all three real servers in round-robin order', () => {
    const names: string[] = [];
    for (let i = 0; i < 30; i++) names.push(lab.curl(vip).trim());
    expect(new Set(names)).toEqual(new Set(['rs1', 'rs2', 'rs3']));
    // a fixed cycle of three distinct servers
    for (let i = 3; i < 30; i++) expect(names[i]).toBe(names[i - 3]);
    expect(new Set(names.slice(0, 3)).size).toBe(3);
  }, 60_000);

  test('replies go straight from the real servers to the client', () => {
    const before = serviceStats(lab);
    const dirRx = rxPackets(lab, lab.info.director.netns);
    const cliRx = rxPackets(lab, lab.info.client.netns);
    for (let i = 0; i < 10; i++) expect(lab.curl(vip)).toMatch(/^rs[123]\n$/);
    const after = serviceStats(lab);
    const inPkts = after.inPkts - before.inPkts;
    expect(after.conns - before.conns).toBe(10);
    expect(after.outPkts).toBe(0);
    // The director received the client's packets (and at most a little ARP/ND), no replies;
    // the client received at least SYN-ACK, data and FIN of every connection.
    expect(rxPackets(lab, lab.info.director.netns) - dirRx).toBeLessThan(inPkts + 10);
    expect(rxPackets(lab, lab.info.client.netns) - cliRx).toBeGreaterThanOrEqual(30);
  }, 60_000);

  test('a service without real servers refuses at once (ICMP port unreachable, as IPVS)', () => {
    lab.cli('-A', '-t', '192.0.2.10:81', '-s', 'wlc');
    const icmp = () => Number(/^\s*icmp_unreach\s+(\d+)$/m.exec(lab.cli('status'))?.[1] ?? 0);
    const before = icmp();
    // curl's exit code 7: could not connect; in well under a second, not after SYN retries
    const [code, secs] = lab.curl('http://192.0.2.10:81/', '-o', '/dev/null', '-w', '%{exitcode} %{time_total}').split(' ');
    expect({ code, fast: Number(secs) < 1 }).toEqual({ code: '7', fast: true });
    expect(icmp() - before).toBe(1);
    // the limits are the director namespace's sysctls, read by attach (a fresh namespace: defaults)
    expect(lab.cli('status')).toMatch(/^port unreachable limits \(sysctls at attach\): IPv4 per client 6, then 1 per 1000 ms;/m);
    lab.cli('-D', '-t', '192.0.2.10:81');
  }, 30_000);

  test('wrr 3:2:1 splits 60 new connections exactly 30/20/10', () => {
    lab.cli('-E', '-t', '192.0.2.10:80', '-s', 'wrr');
    lab.cli('-e', '-t', '192.0.2.10:80', '-r', '192.0.2.11', '-g', '-w', '3');
    lab.cli('-e', '-t', '192.0.2.10:80', '-r', '192.0.2.12', '-g', '-w', '2');
    lab.cli('-e', '-t', '192.0.2.10:80', '-r', '192.0.2.13', '-g', '-w', '1');
    const count: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const n = lab.curl(vip).trim();
      count[n] = (count[n] ?? 0) + 1;
    }
    expect(count).toEqual({ rs1: 30, rs2: 20, rs3: 10 });
  }, 90_000);

  test('a bad command changes nothing and says why in one line', () => {
    const before = lab.cli('-Sn');
    const r = lab.cliStatus('-a', '-t', '192.0.2.10:80', '-r', '192.0.2.11', '-m');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const dup = lab.cliStatus('-A', '-t', '192.0.2.10:80', '-s', 'rr');
    expect(dup.stderr.trim()).toBe('Service already exists');
    expect(lab.cli('-Sn')).toBe(before);
  }, 30_000);

  test('after detach the director kernel answers as before', () => {
    lab.cli('detach', 'eth0');
    expect(lab.curl(vip)).toBe('');
    lab.sh(lab.info.client.netns, 'ping', '-c', '1', '-W', '2', '192.0.2.10');
    const xdp = JSON.parse(lab.sh(lab.info.director.netns, 'ip', '-j', 'link', 'show', 'eth0'))[0].xdp;
    expect(xdp).toBeUndefined();
    // and forwarding is back to what it was (off in the lab)
    expect(lab.sh(lab.info.director.netns, 'sysctl', '-n', 'net.ipv4.conf.eth0.forwarding').trim()).toBe('0');
    // and the saved setting's folder for this pin directory is gone with it
    expect(existsSync(forwardingStateDir(pinPaths(lab.pinDir)))).toBe(false);
  }, 30_000);
});
