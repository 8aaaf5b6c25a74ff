// A lab with a director running lvs-xdp, for tests: up in beforeAll, always down
// in afterAll (also when a test failed), each test file with its own prefix.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../src/lab/lab.js';
import { inNetns } from '../../src/util/exec.js';
import { repoRoot } from '../../src/util/paths.js';

export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    mkdirSync('/run/netns', { recursive: true });
    execFileSync('nsenter', ['--version'], { stdio: 'ignore', timeout: 5_000 });
  } catch (err) {
    return `no network namespaces here (${(err as Error).message})`;
  }
  return undefined;
}

export interface Lab {
  info: LabInfo;
  pinDir: string;
  /** lvs-xdp in the director's namespace; returns stdout, throws on non-zero exit. */
  cli(...args: string[]): string;
  /** lvs-xdp in the director's namespace without throwing. */
  cliStatus(...args: string[]): { status: number; stdout: string; stderr: string };
  /** A command in a lab namespace (bounded). */
  sh(ns: string, cmd: string, ...args: string[]): string;
  curl(url: string, ...extra: string[]): string;
}

export async function startLab(prefix: string, servers: 'name' | 'nginx' = 'name'): Promise<Lab> {
  const info = await labUp({ prefix, servers });
  const pinDir = `/sys/fs/bpf/${prefix}-dir`;
  const bin = join(repoRoot(), 'bin', 'lvs-xdp');
  const cliStatus = (...args: string[]) => {
    const r = inNetns(info.director.netns, bin, ['--pin-dir', pinDir, ...args], { timeoutMs: 30_000, allowFailure: true });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const cli = (...args: string[]) => {
    const r = cliStatus(...args);
    if (r.status !== 0) throw new Error(`lvs-xdp ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const sh = (ns: string, cmd: string, ...args: string[]) => inNetns(ns, cmd, args, { timeoutMs: 15_000 }).stdout;
  const curl = (url: string, ...extra: string[]) =>
    inNetns(info.client.netns, 'curl', ['-sS', '--max-time', '3', ...extra, url], { timeoutMs: 10_000, allowFailure: true }).stdout;
  return { info, pinDir, cli, cliStatus, sh, curl };
}

export async function stopLab(prefix: string, lab?: Lab): Promise<void> {
  if (lab) lab.cliStatus('detach', '--purge');
  rmSync(`/sys/fs/bpf/${prefix}-dir`, { recursive: true, force: true });
  await labDown(prefix);
}
