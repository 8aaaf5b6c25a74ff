// The real `lvs-xdp monitor` in tmux against a live lab with traffic: what the screen
// shows (counters rising, a drained real at weight 0) and that -Ln agrees.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../../src/util/paths.js';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';

const PREFIX = 'lxt4';
const SESSION = 'lxt4-monitor';
let why = labUnavailable();
if (!why) {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    why = 'tmux is not installed (make setup installs it)';
  }
}
if (why) console.warn(`monitor lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8', timeout: 10_000 });
}

function screen(): string {
  return tmux('capture-pane', '-p', '-t', SESSION);
}

/** Polls the screen until re matches (bounded). */
async function waitFor(re: RegExp, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = screen();
    if (re.test(s)) return s;
    await sleep(250);
  }
  throw new Error(`screen never matched ${re}:\n${s}`);
}

function forwarded(s: string): number {
  const m = /packets fwd (\d+)/.exec(s);
  if (!m) throw new Error(`no forwarded count on screen:\n${s}`);
  return Number(m[1]);
}

maybe('lvs-xdp monitor in tmux against the lab (root, namespaces)', () => {
  let lab: Lab;
  const vip = 'http://192.0.2.10/';
  const traffic = (n: number) => {
    for (let i = 0; i < n; i++) expect(lab.curl(vip)).toMatch(/^rs[123]\n$/);
  };

  beforeAll(async () => {
    lab = await startLab(PREFIX);
    lab.cli('attach', 'eth0');
    lab.cli('-A', '-t', '192.0.2.10:80', '-s', 'rr');
    for (const i of [1, 2, 3]) lab.cli('-a', '-t', '192.0.2.10:80', '-r', `192.0.2.1${i}`, '-g');
    const bin = join(repoRoot(), 'bin', 'lvs-xdp');
    // env -u CI: Ink draws only a final frame when it thinks it runs in CI.
    const cmd = `env -u CI -u CONTINUOUS_INTEGRATION nsenter --net=/run/netns/${PREFIX}-dir ${bin} --pin-dir ${lab.pinDir} monitor --interval 500ms`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '30', cmd);
  }, 90_000);

  afterAll(async () => {
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // already gone (q pressed)
    }
    await stopLab(PREFIX, lab);
  }, 60_000);

  test('the screen shows the interface, the service and its three reals', async () => {
    const s = await waitFor(/192\.0\.2\.13:80/);
    expect(s).toMatch(/lvs-xdp monitor │ eth0 (native|generic) prog \d+/);
    expect(s).toMatch(/TCP 192\.0\.2\.10:80 rr/);
    for (const i of [1, 2, 3]) expect(s).toMatch(new RegExp(`192\\.0\\.2\\.1${i}:80\\s+Route\\s+1\\s`));
    expect(s).toMatch(/↑↓ move .* q quit/);
  }, 30_000);

  test('counters rise on screen while the client sends requests', async () => {
    const before = forwarded(screen());
    traffic(20);
    const s = await waitFor(new RegExp(`packets fwd (?!${before}\\b)\\d+`));
    expect(forwarded(s)).toBeGreaterThan(before);
    traffic(20);
    await sleep(1500);
    const after = screen();
    expect(forwarded(after)).toBeGreaterThanOrEqual(forwarded(s) + 20 * 3);
    // InActConn of the service counts the finished connections (bounded scan of lb_conns)
    const row = after.split('\n').find((l) => /TCP 192\.0\.2\.10:80 rr/.test(l))!;
    const inact = Number(row.trim().split(/\s+/)[5]);
    expect(inact).toBeGreaterThan(0);
  }, 60_000);

  test('d drains the selected real: weight 0 on screen, confirmed, and -Ln agrees', async () => {
    tmux('send-keys', '-t', SESSION, 'j'); // first real in ipvsadm order: 192.0.2.11
    await waitFor(/>\s+192\.0\.2\.11:80/);
    tmux('send-keys', '-t', SESSION, 'd');
    const s = await waitFor(/drained 192\.0\.2\.11:80 \(weight 1 → 0/);
    expect(s).toMatch(/192\.0\.2\.11:80\s+Route\s+0\s/);
    expect(lab.cli('-Ln')).toMatch(/-> 192\.0\.2\.11:80\s+Route\s+0\s/);
    // new connections avoid the drained real
    const names = Array.from({ length: 6 }, () => lab.curl(vip).trim());
    expect(names).not.toContain('rs1');
    tmux('send-keys', '-t', SESSION, 'd');
    await waitFor(/restored 192\.0\.2\.11:80 \(weight 0 → 1\)/);
    expect(lab.cli('-Ln')).toMatch(/-> 192\.0\.2\.11:80\s+Route\s+1\s/);
  }, 60_000);

  test('an invalid weight typed after w is refused with ipvsadm\'s error, nothing changes', async () => {
    tmux('send-keys', '-t', SESSION, 'w');
    await waitFor(/new weight: 1/);
    tmux('send-keys', '-t', SESSION, 'BSpace', '-', '5', 'Enter');
    const s = await waitFor(/192\.0\.2\.11:80: .*weight/i);
    expect(s).toMatch(/192\.0\.2\.11:80\s+Route\s+1\s/);
    expect(lab.cli('-Ln')).toMatch(/-> 192\.0\.2\.11:80\s+Route\s+1\s/);
  }, 30_000);

  test('c shows live connection entries; q quits', async () => {
    traffic(3);
    tmux('send-keys', '-t', SESSION, 'c');
    const s = await waitFor(/pro expire state/);
    expect(s).toMatch(/TCP \d\d:\d\d\s+\w+\s+192\.0\.2\.100:\d+\s+192\.0\.2\.10:80\s+192\.0\.2\.1[123]:80/);
    tmux('send-keys', '-t', SESSION, 'q');
    const end = Date.now() + 5000;
    let alive = true;
    while (alive && Date.now() < end) {
      try {
        tmux('has-session', '-t', SESSION);
        await sleep(200);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 30_000);
});
