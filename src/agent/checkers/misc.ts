// MISC_CHECK (check_misc.c misc_check_child_thread): run misc_path with /bin/sh -c in
// its own process group. Exit 0 = up. With misc_dynamic, exit 2..255 is also up and asks
// for weight = status - 2 (keepalived: cur_weight = status - 2 - iweight added to the
// configured weight, so the effective weight is status - 2, range 0..253); exit 0 keeps
// the configured weight. Exit 1 — and without misc_dynamic any non-zero status — is down,
// as is death by a signal. On misc_timeout the group gets SIGTERM, then SIGKILL after a
// grace period (keepalived: 2 s), and the check counts as failed ("timed out").
import { spawn, type ChildProcess } from 'node:child_process';
import { errorText, type Checker, type CheckResult, type CheckTarget } from './types.js';

export interface MiscCheckOptions {
  /** Command line for /bin/sh -c. */
  path: string;
  timeoutMs: number;
  dynamic: boolean;
  /** Time between SIGTERM and SIGKILL on timeout (default 2000 ms, as keepalived). */
  killGraceMs?: number;
  uid?: number;
  gid?: number;
}

/** Outcome of an exit status as keepalived reads it. */
export function miscVerdict(status: number, dynamic: boolean): CheckResult {
  if (status === 0) return { ok: true, reason: 'exited with status 0' };
  if (dynamic && status >= 2 && status <= 255) return { ok: true, weight: status - 2, reason: `exited with status ${status}: weight ${status - 2}` };
  return { ok: false, reason: `exited with status ${status}` };
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

export function miscCheck(_target: CheckTarget | undefined, options: MiscCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    let timedOut: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', options.path], {
        detached: true, stdio: 'ignore',
        ...(options.uid !== undefined ? { uid: options.uid } : {}), ...(options.gid !== undefined ? { gid: options.gid } : {}),
      });
    } catch (e) {
      resolve({ ok: false, reason: `cannot run ${options.path}: ${errorText(e)}` });
      return;
    }
    const stop = (why: string): void => {
      if (timedOut) return;
      timedOut = why;
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), options.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => stop(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = (): void => stop('aborted');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (r: CheckResult): void => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      // Whatever the shell left running in its group goes with it (keepalived kill(-pid)).
      killGroup(child, 'SIGKILL');
      resolve(r);
    };
    child.once('error', (e) => finish({ ok: false, reason: `cannot run ${options.path}: ${errorText(e)}` }));
    child.once('exit', (code, sig) => {
      if (timedOut) finish({ ok: false, reason: timedOut });
      else if (code !== null) finish(miscVerdict(code, options.dynamic));
      else finish({ ok: false, reason: `killed by signal ${sig}` });
    });
  });
}

export const miscChecker: Checker<MiscCheckOptions> = { check: (t, o, s) => miscCheck(t, o, s) };
