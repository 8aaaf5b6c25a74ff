// Long-lived processes inside lab namespaces: start detached, find by pid file, stop.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { LvsError } from '../util/errors.js';
import { netnsArgv } from '../util/exec.js';

/**
 * Start `cmd args` in namespace `ns`, detached from us (it outlives `lvs-xdp lab up`),
 * output appended to logFile. nsenter execs the command without forking (no --pid), so
 * the returned pid is the server's own.
 */
export function spawnDetachedInNetns(ns: string, cmd: string, args: string[], logFile: string): number {
  const [c, a] = netnsArgv(ns, cmd, args);
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(c, a, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new LvsError(`could not start ${cmd} in ${ns}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Run a command that daemonizes itself (nginx) with output to a file, waiting for the
 * foreground part only. No pipes: a daemon that kept one open would hold us up.
 */
export function runToLogInNetns(ns: string, cmd: string, args: string[], logFile: string, timeoutMs = 10_000): void {
  const [c, a] = netnsArgv(ns, cmd, args);
  const fd = openSync(logFile, 'a');
  try {
    const r = spawnSync(c, a, { stdio: ['ignore', fd, fd], timeout: timeoutMs });
    if (r.error || r.status !== 0) {
      throw new LvsError(`${cmd} in ${ns} failed: ${lastLine(logFile) || (r.error?.message ?? `exit status ${r.status}`)}`);
    }
  } finally {
    closeSync(fd);
  }
}

export function lastLine(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').pop()?.trim() ?? '';
  } catch {
    return '';
  }
}

/** Poll until `done()` or the deadline; every wait in the lab is bounded. */
export async function waitFor(done: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Alive and not a zombie (a killed child of ours lingers as one until reaped). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stop the process named in pidFile if it is still the one we started (its command line
 * contains `expect`: pids are reused), TERM then KILL, and remove the pid file.
 * A missing file or process is not an error: stopping is what we wanted anyway.
 */
export async function stopByPidFile(pidFile: string, expect: string, timeoutMs = 5_000): Promise<void> {
  const pid = readPid(pidFile);
  if (pid !== undefined && isAlive(pid) && cmdline(pid).includes(expect)) {
    process.kill(pid, 'SIGTERM');
    if (!(await waitFor(() => !isAlive(pid), timeoutMs))) {
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isAlive(pid), 2_000);
    }
  }
  if (existsSync(pidFile)) rmSync(pidFile, { force: true });
}
