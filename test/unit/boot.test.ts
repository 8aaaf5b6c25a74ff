// src/cli/boot.ts: which cache a command line uses, and the built starter
// (dist/cli/boot.cjs, after make build) writing, reusing and replacing its code cache.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFile, cacheKey } from '../../src/cli/boot.js';
import { repoRoot } from '../../src/util/paths.js';

describe('cacheKey', () => {
  test('lvs-xdp command words and ipvsadm command letters, after global options', () => {
    expect(cacheKey(['-Ln'])).toBe('L');
    expect(cacheKey(['-l'])).toBe('l');
    expect(cacheKey(['--pin-dir', '/sys/fs/bpf/x', '-A', '-t', '192.0.2.1:80'])).toBe('A');
    expect(cacheKey(['--pin-dir=/x', 'agent', '--metrics', ':9100'])).toBe('agent');
    expect(cacheKey(['--list', '-n'])).toBe('list');
    expect(cacheKey(['--set=1'])).toBe('set');
    expect(cacheKey([])).toBe('none');
    expect(cacheKey(['--pin-dir', '/x'])).toBe('none');
  });

  test('the monitor is never cached; odd words cannot name files elsewhere', () => {
    expect(cacheKey(['monitor', '--once'])).toBeUndefined();
    expect(cacheKey(['--pin-dir', '/x', 'monitor'])).toBeUndefined();
    expect(cacheKey(['../../etc/x'])).toBe('______etc_x');
    expect(cacheKey(['x'.repeat(80)])).toBeUndefined();
  });

  test('the file names the build of the bundle and the node version', () => {
    const f = cacheFile('/c', { size: 410203, mtimeMs: 1795324097764.5 }, 'v20.20.2', 'L');
    expect(f).toBe('/c/L.v20.20.2.410203.1795324097764.bin');
    expect(cacheFile('/c', { size: 410204, mtimeMs: 1795324097764.5 }, 'v20.20.2', 'L')).not.toBe(f);
  });
});

describe('dist/cli/boot.cjs', () => {
  const boot = join(repoRoot(), 'dist', 'cli', 'boot.cjs');
  const run = (cache: string, args: string[]) => {
    const r = spawnSync(process.execPath, [boot, ...args], { encoding: 'utf8', env: { ...process.env, LVS_XDP_CODE_CACHE: cache }, timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };

  test('writes the cache once, reuses it, replaces one V8 rejects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvs-xdp-boot-'));
    try {
      const first = run(dir, ['--version']);
      expect(first).toMatch(/^lvs-xdp v/);
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^version\.v\d+\.\d+\.\d+\.\d+\.\d+\.bin$/);
      const file = join(dir, files[0]!);
      const written = statSync(file).mtimeMs;
      const bytes = readFileSync(file);
      expect(bytes.length).toBeGreaterThan(1000);

      expect(run(dir, ['--version'])).toBe(first); // accepted: left as it is
      expect(statSync(file).mtimeMs).toBe(written);

      writeFileSync(file, Buffer.alloc(bytes.length, 0x5a)); // damaged: rejected, run anyway, rewritten
      expect(run(dir, ['--version'])).toBe(first);
      expect(readFileSync(file)[0]).not.toBe(0x5a);

      // a cache others may rewrite is not trusted: run without it, then replace it
      chmodSync(file, 0o666);
      const before = statSync(file).mtimeMs;
      expect(run(dir, ['--version'])).toBe(first);
      expect(statSync(file).mtimeMs).not.toBe(before);
      expect(statSync(file).mode & 0o777).toBe(0o644);

      expect(run(dir, ['-h']).length).toBeGreaterThan(100);
      expect(readdirSync(dir).sort()).toEqual([files[0], expect.stringMatching(/^h\./)].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('LVS_XDP_CODE_CACHE=off runs without one', () => {
    const r = spawnSync(process.execPath, [boot, '--version'], { encoding: 'utf8', env: { ...process.env, LVS_XDP_CODE_CACHE: 'off' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^lvs-xdp v/);
  });
});
