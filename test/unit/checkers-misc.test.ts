import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miscCheck, miscVerdict } from '../../src/agent/checkers/misc.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvs-xdp-misc-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running (a killed child re-parented to a PID 1 that does not reap stays a zombie: not running). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
};

describe('MISC_CHECK exit statuses (check_misc.c)', () => {
  test.each([
    [0, false, { ok: true, reason: 'exited with status 0' }],
    [1, false, { ok: false, reason: 'exited with status 1' }],
    [3, false, { ok: false, reason: 'exited with status 3' }],
    [0, true, { ok: true, reason: 'exited with status 0' }],
    [1, true, { ok: false, reason: 'exited with status 1' }],
    [2, true, { ok: true, weight: 0, reason: 'exited with status 2: weight 0' }],
    [12, true, { ok: true, weight: 10, reason: 'exited with status 12: weight 10' }],
    [255, true, { ok: true, weight: 253, reason: 'exited with status 255: weight 253' }],
  ])('exit %i (misc_dynamic %s)', async (code, dynamic, expected) => {
    expect(miscVerdict(code, dynamic)).toEqual(expected);
    expect(await miscCheck(undefined, { path: `exit ${code}`, timeoutMs: 5000, dynamic })).toEqual(expected);
  });

  test('the command line runs through /bin/sh -c with its arguments', async () => {
    const script = join(dir, 'check.sh');
    writeFileSync(script, '#!/bin/sh\n[ "$1" = "192.0.2.11" ] && exit 7\nexit 1\n', { mode: 0o755 });
    expect(await miscCheck(undefined, { path: `${script} 192.0.2.11`, timeoutMs: 5000, dynamic: true })).toMatchObject({ ok: true, weight: 5 });
    expect((await miscCheck(undefined, { path: `${script} other`, timeoutMs: 5000, dynamic: true })).ok).toBe(false);
  });

  test('a missing script is down (status 127)', async () => {
    expect(await miscCheck(undefined, { path: join(dir, 'nope.sh'), timeoutMs: 5000, dynamic: false })).toEqual({ ok: false, reason: 'exited with status 127' });
  });

  test('timeout: the whole process group is killed (the script and what it started)', async () => {
    const pidFile = join(dir, 'child.pid');
    const t0 = Date.now();
    const r = await miscCheck(undefined, { path: `sleep 30 & echo $! > ${pidFile}; wait`, timeoutMs: 300, dynamic: false });
    expect(r).toEqual({ ok: false, reason: 'timed out after 300 ms' });
    expect(Date.now() - t0).toBeLessThan(3000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
    expect(alive(pid)).toBe(false);
  });

  test('a script that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const t0 = Date.now();
    const r = await miscCheck(undefined, { path: "trap '' TERM; while :; do sleep 0.05; done", timeoutMs: 200, killGraceMs: 300, dynamic: false });
    expect(r).toEqual({ ok: false, reason: 'timed out after 200 ms' });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
  });

  test('abort kills the script', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await miscCheck(undefined, { path: 'sleep 30', timeoutMs: 10000, dynamic: false }, ac.signal);
    expect(r).toEqual({ ok: false, reason: 'aborted' });
  });
});
