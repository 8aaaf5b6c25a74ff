// notify_up / notify_down / quorum_up / quorum_down scripts: run as keepalived runs them,
// through /bin/sh -c, in their own process group, never awaited by the agent's loop.
// Each is bounded: after timeoutMs its group gets SIGTERM, SIGKILL a grace period later.
import { spawn } from 'node:child_process';

export interface ScriptOptions {
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL (default 2000 ms). */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ScriptOutcome {
  /** Exit status; undefined when killed by a signal or not started. */
  status?: number;
  signal?: string;
  timedOut: boolean;
  /** Could not be started at all (spawn error). */
  error?: string;
  /** Last line of stderr (for the log). */
  stderr: string;
}

export const DEFAULT_SCRIPT_TIMEOUT_MS = 30_000;

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  try {
    if (pid) process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

/** Starts `command`; the promise settles when it exits (or is killed). It never rejects. */
export function runScript(command: string, opts: ScriptOptions = {}): Promise<ScriptOutcome> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: opts.env ?? process.env });
    } catch (e) {
      resolve({ timedOut: false, error: (e as Error).message, stderr: '' });
      return;
    }
    child.unref();
    let stderr = '';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4096);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), opts.killGraceMs ?? 2000);
      killTimer.unref();
    }, opts.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS);
    timer.unref();
    const last = (): string => stderr.trim().split('\n').pop()?.trim() ?? '';
    child.once('error', (e) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({ timedOut, error: e.message, stderr: last() });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({ ...(code !== null ? { status: code } : {}), ...(sig ? { signal: sig } : {}), timedOut, stderr: last() });
    });
  });
}

/** "" when the script did what a script should (exit 0), else why not, in a few words. */
export function scriptProblem(o: ScriptOutcome, timeoutMs = DEFAULT_SCRIPT_TIMEOUT_MS): string {
  if (o.error) return `could not run: ${o.error}`;
  if (o.timedOut) return `killed after the ${timeoutMs} ms timeout`;
  if (o.signal) return `killed by ${o.signal}`;
  if (o.status) return `exited with status ${o.status}${o.stderr ? `: ${o.stderr}` : ''}`;
  return '';
}
