// Shared by the forwarding-method lab suites (fwd-*.test.ts): a scenario of
// lab/scenarios played with its own checks, then more traffic of every kind.
import { createHash } from 'node:crypto';
import { expect } from '@jest/globals';
import { scenarioDown, scenarioUp, directorCli } from '../../src/lab/scenario-run.js';
import type { ScenarioLab } from '../../src/lab/scenario-plan.js';
import { inNetns } from '../../src/util/exec.js';
import { patternBytes } from '../../src/lab/name-server.js';

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
