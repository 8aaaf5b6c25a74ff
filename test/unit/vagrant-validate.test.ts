// vagrant/check.sh: `vagrant validate` of the Vagrant lab for every scenario (LVS_MODE).
// Runs only where vagrant is installed (the script itself can install it from Debian's
// packages as root, which a unit test does not do); skips with a message otherwise.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { scenarioNames } from '../../src/lab/scenario.js';
import { repoRoot } from '../../src/util/paths.js';

const hasVagrant = spawnSync('vagrant', ['--version'], { encoding: 'utf8', timeout: 60_000 }).status === 0;
if (!hasVagrant) console.warn('vagrant validate: skipped: vagrant is not installed (apt-get install vagrant vagrant-libvirt, or run vagrant/check.sh as root)');

describe('Vagrant lab definition', () => {
  (hasVagrant ? test : test.skip)('vagrant/check.sh validates every LVS_MODE', () => {
    const r = spawnSync('bash', [join(repoRoot(), 'vagrant', 'check.sh')], { encoding: 'utf8', timeout: 240_000 });
    const out = r.stdout + r.stderr;
    if (r.status !== 0) throw new Error(`vagrant/check.sh exited ${r.status}:\n${out}`);
    for (const mode of scenarioNames()) expect(out).toMatch(new RegExp(`^LVS_MODE=${mode} \\(generic\\): Vagrantfile validated successfully\\.$`, 'm'));
    expect(out).toMatch(/^LVS_MODE=nosuchmode: refused \(no such scenario/m);
  }, 300_000);
});
