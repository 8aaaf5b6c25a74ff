// Running external commands (ip, ethtool, sysctl, nginx …) with one error type.
// Every caller gets the same contract: a non-zero exit, a missing binary or a timeout
// becomes a CommandError whose message is one line, so the CLI can print it as is.
import { spawn, spawnSync } from 'node:child_process';
import { LvsError } from './errors.js';

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Kill the command after this long; every command is bounded (default 60 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Return the result instead of throwing when the exit status is not 0. */
  allowFailure?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status; 127 when the binary is missing, -1 when killed (timeout or signal). */
  status: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** A command that failed. The message is one line: command, status, first stderr line. */
export class CommandError extends LvsError {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(cmd: string, args: readonly string[], result: RunResult, reason?: string) {
    const why = reason ?? (firstLine(result.stderr) || `exit status ${result.status}`);
    super(`${[cmd, ...args].join(' ')}: ${why}`, 1);
    this.cmd = cmd;
    this.args = args;
    this.status = result.status;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.trim() ?? '';
}

/** Run a command to completion, synchronously. Throws CommandError unless allowFailure. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(cmd, args, {
    input: opts.input,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    env: opts.env,
    cwd: opts.cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const result: RunResult = {
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    status: r.status ?? (r.error ? errorStatus(r.error) : -1),
  };
  if (r.error) {
    // Missing binary or timeout: never "allowed", the caller could not learn anything.
    throw new CommandError(cmd, args, result, describeSpawnError(r.error, opts));
  }
  if (result.status !== 0 && !opts.allowFailure) throw new CommandError(cmd, args, result);
  return result;
}

/** Run a command without blocking the event loop (e.g. while a server in-process answers). */
export function runAsync(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError(cmd, args, { stdout, stderr, status: errorStatus(err) }, describeSpawnError(err, opts)));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result: RunResult = { stdout, stderr, status: code ?? -1 };
      if (timedOut) reject(new CommandError(cmd, args, result, `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`));
      else if (result.status !== 0 && !opts.allowFailure) reject(new CommandError(cmd, args, result));
      else resolve(result);
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * The bind-mount `ip netns add NAME` makes. Entering through it with nsenter changes only
 * the network namespace; `ip netns exec` would also remount /sys and hide /sys/fs/bpf.
 */
export function netnsPath(ns: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ns)) throw new LvsError(`illegal network namespace name: ${ns}`);
  return `/run/netns/${ns}`;
}

/** The argv that runs `cmd args` inside network namespace `ns` (for spawn/detached use). */
export function netnsArgv(ns: string, cmd: string, args: readonly string[]): [string, string[]] {
  return ['nsenter', [`--net=${netnsPath(ns)}`, '--', cmd, ...args]];
}

/** run() inside a named network namespace. */
export function inNetns(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const [c, a] = netnsArgv(ns, cmd, args);
  return run(c, a, opts);
}

/** runAsync() inside a named network namespace. */
export function inNetnsAsync(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [c, a] = netnsArgv(ns, cmd, args);
  return runAsync(c, a, opts);
}

function errorStatus(err: Error): number {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : -1;
}

function describeSpawnError(err: Error, opts: RunOptions): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'command not found';
  if (code === 'ETIMEDOUT') return `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
  return err.message;
}
