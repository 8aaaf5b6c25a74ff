// Serialises CLI invocations that change one data plane: a lock file per pin
// directory, created exclusively; a lock left by a dead process is taken over.
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LvsError } from './errors.js';

const LOCK_DIR = '/run/lvs-xdp';
// node:crypto is required when a lock is taken: it loads some fifteen modules (~4 ms),
// which listings, the commands that take no lock, need not pay at start-up.
const require = createRequire(import.meta.url);

export class LockTimeoutError extends LvsError {
  constructor(path: string, holder: string) {
    super(`another lvs-xdp (pid ${holder}) is changing this data plane; lock ${path}`, 1);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function lockPath(pinDir: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return join(LOCK_DIR, `${createHash('sha1').update(pinDir).digest('hex').slice(0, 16)}.lock`);
}

/** Runs fn holding the lock for pinDir; waits up to timeoutMs for it. */
export function withLock<T>(pinDir: string, fn: () => T, timeoutMs = 10000): T {
  mkdirSync(LOCK_DIR, { recursive: true });
  const path = lockPath(pinDir);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = '?';
      try {
        holder = readFileSync(path, 'utf8').trim();
      } catch {
        continue; // released between our open and read
      }
      if (!alive(Number(holder))) {
        try { unlinkSync(path); } catch { /* someone else took it over */ }
        continue;
      }
      if (Date.now() > deadline) throw new LockTimeoutError(path, holder);
      sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
}
