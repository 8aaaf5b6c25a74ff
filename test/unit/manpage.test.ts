// docs/lvs-xdp.8 against the CLI's own usage texts: every command and option that
// `lvs-xdp -h`, `lvs-xdp lab -h` and `lvs-xdp realserver -h` print is described in the
// man page; and the page renders without groff warnings where man is installed.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatUsage } from '../../src/ipvsadm/usage.js';
import { LAB_USAGE } from '../../src/lab/command.js';
import { REALSERVER_USAGE } from '../../src/realserver/args.js';
import { repoRoot } from '../../src/util/paths.js';

const PAGE = join(repoRoot(), 'docs', 'lvs-xdp.8');
const source = readFileSync(PAGE, 'utf8');

/** The page as words: comments dropped, roff escapes for hyphens and fonts undone. */
const text = source
  .split('\n')
  .filter((l) => !l.startsWith('.\\"'))
  .join('\n')
  .replace(/\\-/g, '-')
  .replace(/\\f[BIRP]/g, '')
  .replace(/"/g, ' ');

const has = (word: string): boolean => new RegExp(`(?<![\\w-])${word.replace(/[|\\{}()[\]^$+*?.]/g, '\\$&')}(?![\\w-])`).test(text);
const usage = [formatUsage('lvs-xdp'), LAB_USAGE, REALSERVER_USAGE].join('\n');
const longs = [...new Set(usage.match(/(?<![\w-])--[a-z][a-z0-9-]*/g))];
const shorts = [...new Set(usage.match(/(?<![\w-])-[A-Za-z0-9](?![\w-])/g))];
// command lines of the usage texts: `  lvs-xdp attach IFACE...`, `Usage: lvs-xdp lab up …`
const commands = [...new Set([...usage.matchAll(/^\s*(?:Usage:\s+)?lvs-xdp ([a-z]+)\b(?!:)/gm)].map((m) => m[1]!))];

describe('man page lvs-xdp(8)', () => {
  test('the usage texts were read (sanity)', () => {
    expect(longs.length).toBeGreaterThan(50);
    expect(shorts).toEqual(expect.arrayContaining(['-A', '-a', '-L', '-l', '-t', '-g', '-i', '-m']));
    expect(commands).toEqual(expect.arrayContaining(['attach', 'detach', 'status', 'realserver', 'lab', 'monitor', 'agent']));
  });

  test.each(longs)('describes %s', (opt) => expect(has(opt)).toBe(true));
  test.each(shorts)('describes %s', (opt) => expect(has(opt)).toBe(true));
  test.each(commands)('describes the %s command', (cmd) => expect(text).toMatch(new RegExp(`lvs-xdp ${cmd}\\b|^\\.(B|BI|TP)\\s+"?${cmd}\\b`, 'm')));

  test('every scheduler the usage names', () => {
    const list = /one of ([a-z|]+),/.exec(formatUsage('lvs-xdp'))![1]!.split('|');
    for (const s of list) expect(has(s)).toBe(true);
  });

  test('the lab scenarios', () => {
    for (const s of ['dr', 'tun', 'nat', 'fullnat']) expect(has(s)).toBe(true);
    expect(text).toContain('lab/scenarios/');
  });

  const man = spawnSync('man', ['--version'], { encoding: 'utf8' });
  if (man.status !== 0) console.warn('manpage: rendering check skipped: man is not installed (apt-get install man-db groff-base)');
  (man.status === 0 ? test : test.skip)('man -l renders it without warnings', () => {
    const r = spawnSync('man', ['--warnings', '-l', PAGE], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^LVS-XDP\(8\)/);
    expect(r.stdout).toContain('lvs-xdp - Linux Virtual Server on XDP');
  });
});
