// The seeds' experiments (Chinese LVS how-tos, /work/shared/seeds, what users typed)
// replayed as lab scenarios with their own ipvsadm lines: test/lab/seeds/*.txt holds
// each experiment's lines with only the addresses mapped into the lab's ranges (and a
// comment naming the seed file and lines, and any deviation). Each scenario lab is
// played without its own commands' checks; every experiment starts with `-C` (the
// scenario's commands, or the previous experiment's, cleared), runs the seed's lines
// through lvs-xdp in the director's namespace, sends traffic and checks what the seed
// expects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { directorCli, scenarioDown, scenarioUp } from '../../src/lab/scenario-run.js';
import type { ScenarioLab } from '../../src/lab/scenario-plan.js';
import { inNetns } from '../../src/util/exec.js';
import { repoRoot } from '../../src/util/paths.js';
import { labUnavailable } from './fixture.js';

const PREFIX: Record<'dr' | 'nat' | 'tun', string> = { dr: 'lxtj', nat: 'lxtjn', tun: 'lxtjt' };
const why = labUnavailable();
if (why) console.warn(`seeds lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

interface SeedLine { text: string; argv: string[]; asTyped: boolean }
interface Seed { scenario: 'dr' | 'nat' | 'tun'; lines: SeedLine[] }

/** test/lab/seeds/NAME.txt: `# scenario: X`, then ipvsadm lines (`# as-typed: fails` marks a line the seed typed that must be refused). */
export function readSeed(name: string): Seed {
  const text = readFileSync(join(repoRoot(), 'test', 'lab', 'seeds', name), 'utf8');
  const scenario = /^# scenario: (dr|nat|tun)$/m.exec(text)?.[1] as Seed['scenario'] | undefined;
  if (!scenario) throw new Error(`${name}: no '# scenario:' line`);
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l): SeedLine => {
    const [cmd, comment = ''] = l.split(' # ');
    const argv = cmd!.trim().split(/\s+/);
    if (argv[0] !== 'ipvsadm') throw new Error(`${name}: not an ipvsadm line: ${l}`);
    return { text: l, argv: argv.slice(1), asTyped: comment.startsWith('as-typed: fails') };
  });
  return { scenario, lines };
}

maybe('the seeds\' experiments replayed (root, namespaces)', () => {
  const labs: Partial<Record<Seed['scenario'], ScenarioLab>> = {};
  beforeAll(async () => {
    for (const s of ['dr', 'nat', 'tun'] as const) labs[s] = (await scenarioUp({ name: s, prefix: PREFIX[s], check: false })).lab;
  }, 150_000);
  afterAll(async () => {
    for (const s of ['dr', 'nat', 'tun'] as const) await scenarioDown(PREFIX[s]).catch(() => undefined);
  }, 90_000);

  const cli = (s: Seed['scenario'], ...argv: string[]) => directorCli(labs[s]!, argv);
  const ok = (s: Seed['scenario'], ...argv: string[]): string => {
    const r = cli(s, ...argv);
    if (r.status !== 0) throw new Error(`lvs-xdp ${argv.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  /** -C, then the seed's lines: the ones marked as typed must fail, the others succeed. */
  function replay(name: string): Seed {
    const seed = readSeed(name);
    ok(seed.scenario, '-C');
    for (const l of seed.lines) {
      const r = cli(seed.scenario, ...l.argv);
      expect({ line: l.text, ok: r.status === 0, stderr: r.status === 0 || l.asTyped ? '' : r.stderr.trim() }).toEqual({ line: l.text, ok: !l.asTyped, stderr: '' });
    }
    return seed;
  }
  const clientNs = (s: Seed['scenario']) => labs[s]!.hosts.find((h) => h.role === 'client')!.netns;
  /** n requests from the client (one connection each); answers counted by body. */
  function requests(s: Seed['scenario'], n: number, ...extra: string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = inNetns(clientNs(s), 'curl', ['-sS', '--max-time', '3', ...extra, 'http://192.0.2.10/'], { timeoutMs: 10_000, allowFailure: true });
      const who = r.status === 0 ? r.stdout.trim() : '(failed)';
      counts[who] = (counts[who] ?? 0) + 1;
    }
    return counts;
  }
  const tokens = (listing: string) => listing.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  const stats = (s: Seed['scenario']) => {
    const doc = JSON.parse(ok(s, '-Ln', '--stats', '--json'));
    return doc.services.find((x: any) => x.address === '192.0.2.10' && x.port === 80).stats as { conns: number; inPkts: number; outPkts: number };
  };

  test('seed 000, lines 72/91-92: the typographic dash of `–g` is refused as ipvsadm does; with -g every real answers in turn', () => {
    ok('dr', '-C');
    ok('dr', '-A', '-t', '192.0.2.10:80', '-s', 'rr');
    const typed = cli('dr', '-a', '-t', '192.0.2.10:80', '-r', '192.0.2.11', '\u2013g');
    expect([typed.status, typed.stderr.trim().split('\n')[0]]).toEqual([2, 'unexpected argument \u2013g']);
    replay('000-dr-reference.txt');
    expect(requests('dr', 6)).toEqual({ rs1: 3, rs2: 3 });
  });

  test('seed 000, lines 195/202-203: DR with rr, two reals answer in turn; -lnc lists the connections', () => {
    replay('000-dr-rr.txt');
    expect(requests('dr', 10)).toEqual({ rs1: 5, rs2: 5 });
    const conns = ok('dr', '-lnc').split('\n').filter((l) => l.includes('192.0.2.10:80'));
    expect(conns.some((l) => l.includes('192.0.2.11:80'))).toBe(true);
    expect(conns.some((l) => l.includes('192.0.2.12:80'))).toBe(true);
  });

  test('seed 001, lines 341-351: NAT with wrr (weights 1), an even split over three reals', () => {
    replay('001-nat-wrr.txt');
    expect(ok('nat', '-Ln')).toContain('TCP  192.0.2.10:80 wrr\n');
    expect(requests('nat', 30)).toEqual({ rs1: 10, rs2: 10, rs3: 10 });
  });

  test('seed 001, lines 423-434: DR with wrr (weights 1), an even split over three reals', () => {
    replay('001-dr-wrr.txt');
    expect(requests('dr', 30)).toEqual({ rs1: 10, rs2: 10, rs3: 10 });
  });

  test('seed 002, lines 116-120: NAT as typed is refused (no port, as ipvsadm); with port 80 both reals answer', () => {
    replay('002-nat-rr.txt');
    expect(tokens(ok('nat', '-Ln'))).toEqual(expect.arrayContaining(['TCP 192.0.2.10:80 rr', '-> 198.51.100.11:80 Masq 1 0 0', '-> 198.51.100.12:80 Masq 1 0 0']));
    expect(requests('nat', 10)).toEqual({ rs1: 5, rs2: 5 });
  });

  test('seed 002, lines 46-58/164-166: TUN (the seed\'s DR lines with -i), both reals answer', () => {
    replay('002-tun-rr.txt');
    expect(tokens(ok('tun', '-Ln'))).toEqual(expect.arrayContaining(['-> 192.0.2.11:80 Tunnel 1 0 0', '-> 192.0.2.12:80 Tunnel 1 0 0']));
    expect(requests('tun', 10)).toEqual({ rs1: 5, rs2: 5 });
  });

  test('seed 003, lines 380-394: DR with rr, -ln as the seed shows it, --stats counting the requests (OutPkts 0)', () => {
    replay('003-dr-rr-stats.txt');
    // seed lines 390-392, addresses mapped
    expect(tokens(ok('dr', '-ln'))).toEqual(expect.arrayContaining(['TCP 192.0.2.10:80 rr', '-> 192.0.2.11:80 Route 1 0 0', '-> 192.0.2.12:80 Route 1 0 0']));
    const before = stats('dr');
    expect(requests('dr', 10)).toEqual({ rs1: 5, rs2: 5 });
    const after = stats('dr');
    expect(after.conns - before.conns).toBe(10);
    expect(after.inPkts - before.inPkts).toBeGreaterThanOrEqual(40);
    expect(after.outPkts).toBe(0);
    expect(tokens(ok('dr', '-L', '-n', '--stats'))).toContain('Prot LocalAddress:Port Conns InPkts OutPkts InBytes OutBytes');
  });

  test('seed 003, lines 521-533: NAT with rr, -Ln as the seed shows it, --stats counting requests and replies', () => {
    replay('003-nat-rr-stats.txt');
    expect(tokens(ok('nat', '-Ln'))).toEqual(expect.arrayContaining(['TCP 192.0.2.10:80 rr', '-> 198.51.100.11:80 Masq 1 0 0', '-> 198.51.100.12:80 Masq 1 0 0']));
    const before = stats('nat');
    expect(requests('nat', 10)).toEqual({ rs1: 5, rs2: 5 });
    const after = stats('nat');
    expect(after.conns - before.conns).toBe(10);
    expect(after.inPkts - before.inPkts).toBeGreaterThanOrEqual(40);
    expect(after.outPkts - before.outPkts).toBeGreaterThanOrEqual(30);
  });

  test('seed 004, lines 96-99: DR with -p 20 keeps each client on one real', () => {
    replay('004-dr-persistent.txt');
    expect(ok('dr', '-L', '-n')).toContain('TCP  192.0.2.10:80 rr persistent 20\n'); // seed line 129
    const a = requests('dr', 8);
    expect(Object.keys(a)).toHaveLength(1);
    expect(Object.keys(a)[0]).toMatch(/^rs[12]$/);
    // a second client address: its own template, the other real (rr)
    inNetns(clientNs('dr'), 'ip', ['addr', 'add', '192.0.2.101/24', 'dev', 'eth0'], { timeoutMs: 10_000 });
    const b = requests('dr', 8, '--interface', '192.0.2.101');
    expect(Object.keys(b)).toHaveLength(1);
    expect(Object.keys(b)[0]).not.toBe(Object.keys(a)[0]);
    expect(Object.keys(b)[0]).toMatch(/^rs[12]$/);
    expect(requests('dr', 4)).toEqual({ [Object.keys(a)[0]!]: 4 });
  });
});
