// completion/lvs-xdp.bash, driven the way bash's programmable completion calls it.
// `lvs-xdp` is replaced by a shell function printing a fixed `-Sn`, so services and
// real servers are completed from "the running configuration" without a data plane.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTION_TABLE } from '../../src/ipvsadm/options.js';
import { repoRoot } from '../../src/util/paths.js';

const ROOT = repoRoot();
const SCRIPT = join(ROOT, 'completion', 'lvs-xdp.bash');
const SAVED = [
  '-A -t 192.0.2.10:80 -s rr',
  '-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 1',
  '-a -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 1',
  '-A -t [2001:db8::10]:80 -s rr',
  '-a -t [2001:db8::10]:80 -r [2001:db8::11]:80 -g -w 1',
  '-A -u 192.0.2.10:53 -s wrr',
  '-a -u 192.0.2.10:53 -r 192.0.2.13:53 -g -w 2',
];

/** Completions for the words of a command line; the last word is the one being completed. */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = [
    `source '${SCRIPT}'`,
    // stand-in for the real CLI: prints a saved configuration
    `lvs-xdp() { printf '%s\\n' ${SAVED.map((l) => `'${l}'`).join(' ')}; }`,
    `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}`,
    '_lvs_xdp',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('bash completion', () => {
  test('first word: lvs-xdp commands and ipvsadm commands', () => {
    const all = complete('lvs-xdp', '');
    for (const w of ['attach', 'detach', 'status', 'realserver', 'lab', 'monitor', 'agent', '-A', '-a', '-L', '--add-service', '--pin-dir']) expect(all).toContain(w);
    expect(complete('lvs-xdp', 'at')).toEqual(['attach']);
    expect(complete('lvs-xdp', '--add-s').sort()).toEqual(['--add-server', '--add-service']);
  });

  test('every option of the ipvsadm option table is offered', () => {
    const offered = new Set([...complete('lvs-xdp', '-'), ...complete('lvs-xdp', '-A', '-t', '192.0.2.10:80', '-')]);
    for (const o of OPTION_TABLE) {
      if (o.long) expect([o.long, offered.has(`--${o.long}`)]).toEqual([o.long, true]);
      if (o.short) expect([o.short, offered.has(`-${o.short}`)]).toEqual([o.short, true]);
    }
  });

  test('schedulers after -s and --scheduler', () => {
    expect(complete('lvs-xdp', '-A', '-t', '192.0.2.10:80', '-s', '').sort()).toEqual(
      ['dh', 'fo', 'lblc', 'lblcr', 'lc', 'mh', 'nq', 'ovf', 'rr', 'sed', 'sh', 'twos', 'wlc', 'wrr'],
    );
    expect(complete('lvs-xdp', '-E', '-t', '192.0.2.10:80', '--scheduler', 'l')).toEqual(['lc', 'lblc', 'lblcr']);
  });

  test('services of the running configuration after -t and -u', () => {
    expect(complete('lvs-xdp', '-a', '-t', '')).toEqual(['192.0.2.10:80', '[2001:db8::10]:80']);
    expect(complete('lvs-xdp', '-D', '-u', '')).toEqual(['192.0.2.10:53']);
    expect(complete('lvs-xdp', '-L', '-n', '--tcp-service', '19')).toEqual(['192.0.2.10:80']);
  });

  test('real servers of the named service after -e/-d … -r; none offered for -a', () => {
    expect(complete('lvs-xdp', '-d', '-t', '192.0.2.10:80', '-r', '')).toEqual(['192.0.2.11:80', '192.0.2.12:80']);
    expect(complete('lvs-xdp', '-e', '-u', '192.0.2.10:53', '-r', '')).toEqual(['192.0.2.13:53']);
    expect(complete('lvs-xdp', '-a', '-t', '192.0.2.10:80', '-r', '')).toEqual([]);
  });

  test('-Sn is asked of the same pin directory the line names', () => {
    const log = join(tmpdir(), `lvs-xdp-completion-${process.pid}.log`);
    const script = [
      `source '${SCRIPT}'`,
      `lvs-xdp() { printf '%s\\n' "$*" > '${log}'; }`,
      `COMP_WORDS=(lvs-xdp --pin-dir /sys/fs/bpf/lxt5-dir -d -t ''); COMP_CWORD=5`,
      '_lvs_xdp',
      `cat '${log}'; rm -f '${log}'`,
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('--pin-dir /sys/fs/bpf/lxt5-dir -Sn');
  });

  test('options of an ipvsadm command line; forwarding switches and values', () => {
    const opts = complete('lvs-xdp', '-a', '-t', '192.0.2.10:80', '-r', '192.0.2.11', '-');
    for (const o of ['-g', '-i', '-m', '--fullnat', '-w', '--weight', '-x', '-y']) expect(opts).toContain(o);
    expect(complete('lvs-xdp', '--start-daemon', '')).toEqual(['master', 'backup']);
    expect(complete('lvs-xdp', '-a', '-t', '192.0.2.10:80', '-r', '192.0.2.11', '-i', '--tun-type', '')).toEqual(['ipip', 'gue', 'gre']);
    expect(complete('lvs-xdp', '-a', '-t', '192.0.2.10:80', '-r', '192.0.2.11', '-w', '')).toEqual([]);
  });

  test('attach and detach complete interfaces of this namespace and their options', () => {
    const ifaces = readdirSync('/sys/class/net').filter((i) => i !== 'lo').sort();
    expect(complete('lvs-xdp', 'attach', '').sort()).toEqual(ifaces);
    expect(complete('lvs-xdp', '--pin-dir', '/tmp/x', 'attach', '-')).toEqual(['--mode', '--conn-tab-size']);
    expect(complete('lvs-xdp', 'attach', 'eth0', '--mode', '')).toEqual(['native', 'generic']);
    expect(complete('lvs-xdp', 'detach', '--')).toEqual(['--purge']);
  });

  test('realserver and lab: actions, options, modes and scenarios', () => {
    expect(complete('lvs-xdp', 'realserver', '')).toEqual(['up', 'down']);
    expect(complete('lvs-xdp', 'realserver', 'up', '--')).toEqual(['--vip', '--mode', '--netns']);
    expect(complete('lvs-xdp', 'realserver', 'up', '--vip', '192.0.2.10', '--mode', '')).toEqual(['dr', 'tun']);
    expect(complete('lvs-xdp', 'lab', 'd')).toEqual(['down']);
    expect(complete('lvs-xdp', 'lab', 'up', '--')).toEqual(['--prefix', '--servers', '--scenario', '--no-check']);
    expect(complete('lvs-xdp', 'lab', 'down', '--')).toEqual(['--prefix']);
    expect(complete('lvs-xdp', 'lab', 'up', '--servers', '')).toEqual(['name', 'nginx']);
  });

  test('lab up --scenario lists lab/scenarios next to the lvs-xdp being completed', () => {
    const script = [
      `source '${SCRIPT}'`,
      `COMP_WORDS=('${join(ROOT, 'bin', 'lvs-xdp')}' lab up --scenario ''); COMP_CWORD=4`,
      '_lvs_xdp',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8' });
    const want = readdirSync(join(ROOT, 'lab', 'scenarios')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(want);
  });

  test('the script registers itself for lvs-xdp', () => {
    const r = spawnSync('bash', ['--norc', '-c', `source '${SCRIPT}'; complete -p lvs-xdp`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _lvs_xdp lvs-xdp');
  });
});
