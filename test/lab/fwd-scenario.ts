// Shared by the forwarding-method lab suites (fwd-*.test.ts): a scenario of
// lab/scenarios played with its own checks, then more traffic of every kind.
import { createHash } from 'node:crypto';
import { expect, test } from '@jest/globals';
import { scenarioDown, scenarioUp, directorCli } from '../../src/lab/scenario-run.js';
import type { ScenarioLab } from '../../src/lab/scenario-plan.js';
import { inNetns } from '../../src/util/exec.js';
import { patternBytes } from '../../src/lab/name-server.js';
import { answerSource } from './fwd-udp.js';

export interface FwdLab {
  lab: ScenarioLab;
  cli(...argv: string[]): string;
  sh(ns: string, cmd: string, ...args: string[]): string;
  client(cmd: string, ...args: string[]): { status: number; stdout: string };
  netns(name: string): string;
}

export async function playScenario(name: string, prefix: string): Promise<FwdLab> {
  const { lab, checks } = await scenarioUp({ name, prefix, check: true });
  expect(checks.every((c) => c.ok)).toBe(true);
  const cli = (...argv: string[]) => {
    const r = directorCli(lab, argv);
    if (r.status !== 0) throw new Error(`lvs-xdp ${argv.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const sh = (ns: string, cmd: string, ...args: string[]) => inNetns(ns, cmd, args, { timeoutMs: 20_000 }).stdout;
  const clientNs = lab.hosts.find((h) => h.role === 'client')!.netns;
  const client = (cmd: string, ...args: string[]) => {
    const r = inNetns(clientNs, cmd, args, { timeoutMs: 40_000, allowFailure: true });
    return { status: r.status, stdout: r.stdout };
  };
  const netns = (host: string) => lab.hosts.find((h) => h.name === host)!.netns;
  return { lab, cli, sh, client, netns };
}

export async function endScenario(prefix: string): Promise<void> {
  await scenarioDown(prefix);
}

/** curl through the VIP; the body (a real server's name) or '' on failure. */
export function curl(l: FwdLab, url: string): string {
  const r = l.client('curl', '-sS', '--max-time', '3', '-g', url);
  return r.status === 0 ? r.stdout.trim() : '';
}

/** One UDP request/response through the VIP (socat, 3 s); the answer or ''. */
export function udp(l: FwdLab, host: string, port: number, text: string): string {
  const target = host.includes(':') ? `UDP6:[${host}]:${port}` : `UDP4:${host}:${port}`;
  const r = l.client('bash', '-c', `echo ${text} | timeout 3 socat -T 2 - ${target}`);
  return r.stdout.trim();
}

/** A download of n pattern bytes through the VIP, compared by SHA-256. */
export function downloadIntact(l: FwdLab, url: string, n: number): boolean {
  const r = l.client('bash', '-c', `curl -sS -g --max-time 30 '${url}' | sha256sum`);
  const want = createHash('sha256').update(patternBytes(0, n)).digest('hex');
  return r.stdout.split(' ')[0] === want;
}

export interface Stats { conns: number; inPkts: number; outPkts: number; inBytes: number; outBytes: number }
/** Counters of one service and of its reals, from `-Ln --json`. */
export function statsOf(l: FwdLab, protocol: 'tcp' | 'udp', address: string, port: number): { svc: Stats; reals: Stats[] } {
  const doc = JSON.parse(l.cli('-Ln', '--json'));
  const s = doc.services.find((x: any) => x.protocol === protocol && x.address === address && x.port === port);
  if (!s) throw new Error(`no service ${protocol} ${address}:${port} in -Ln --json`);
  return { svc: s.stats, reals: s.reals.map((r: any) => r.stats) };
}

/**
 * DR and TUN: the real servers answered the client directly. The director counted
 * connections and InPkts for each service, no OutPkts/OutBytes for it or its reals,
 * and for VIP:80 fewer InPkts than the ~8,300 segments a 12 MB download sent back.
 */
export function expectRepliesDirect(l: FwdLab, services: ReadonlyArray<readonly ['tcp' | 'udp', string, number]>): void {
  for (const [p, a, port] of services) {
    const { svc, reals } = statsOf(l, p, a, port);
    expect({ svc: `${p} ${a}:${port}`, conns: svc.conns > 0, inPkts: svc.inPkts > 0, outPkts: svc.outPkts, outBytes: svc.outBytes })
      .toEqual({ svc: `${p} ${a}:${port}`, conns: true, inPkts: true, outPkts: 0, outBytes: 0 });
    for (const r of reals) expect([r.outPkts, r.outBytes]).toEqual([0, 0]);
  }
  expect(statsOf(l, 'tcp', '192.0.2.10', 80).svc.inPkts).toBeLessThan(8_000);
}

/** What the UDP services at VIP 192.0.2.10 / 2001:db8::10 answer: port 5353 (a responder
 * bound to the VIP, fwd-udp.ts) and 53 (the lab name server), each "real-server tag". */
export interface VipUdpAnswers { responder4: string; responder6: string; ns4: string; ns6: string }

/**
 * The cases every method's lab runs over UDP and a big download, as tests of the
 * enclosing describe (lab() is its FwdLab once beforeAll has run); tag marks the
 * requests of this method.
 */
export function vipUdpAndDownloadCases(lab: () => FwdLab, tag: string, answers: VipUdpAnswers): void {
  test('UDP request/response, IPv4 and IPv6 (a responder bound to the VIP)', () => {
    expect(udp(lab(), '192.0.2.10', 5353, `${tag}4`)).toBe(`${answers.responder4} ${tag}4`);
    expect(udp(lab(), '2001:db8::10', 5353, `${tag}6`)).toBe(`${answers.responder6} ${tag}6`);
  });
  // The name server answers from the address asked (one socket per local address),
  // as a client's connected socket requires.
  test('UDP request/response with the lab name server, IPv4 and IPv6', () => {
    expect(udp(lab(), '192.0.2.10', 53, `${tag}4`)).toBe(`${answers.ns4} ${tag}4`);
    expect(udp(lab(), '2001:db8::10', 53, `${tag}6`)).toBe(`${answers.ns6} ${tag}6`);
  });
  test('the lab name server answers from the VIP it was asked on', () => {
    expect(answerSource(lab(), '192.0.2.10', 53)).toBe('192.0.2.10');
    expect(answerSource(lab(), '2001:db8::10', 53)).toBe('2001:db8::10');
  });
  test('12 MB download arrives intact (IPv4 and IPv6)', () => {
    expect(downloadIntact(lab(), 'http://192.0.2.10/bytes/12000000', 12_000_000)).toBe(true);
    expect(downloadIntact(lab(), 'http://[2001:db8::10]/bytes/12000000', 12_000_000)).toBe(true);
  }, 90_000);
}
