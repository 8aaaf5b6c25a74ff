// Connection state end to end (issue #4): ActiveConn/InActConn in -Ln equal the
// live connections while they are open and after they close (within one sweep
// period of their timeout), -Lnc lists them, and `-p` keeps a client on one real
// and lets it go after the timeout. Short timeouts (--set, -p 5) keep it fast.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';
import { inNetnsAsync } from '../../src/util/exec.js';

const PREFIX = 'lxt7';
const why = labUnavailable();
if (why) console.warn(`conns lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;
const VIP = '192.0.2.10';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ActiveConn and InActConn summed over the reals of -Ln. */
function counts(lab: Lab): { active: number; inactive: number } {
  const rows = lab.cli('-Ln').split('\n').filter((l) => l.trim().startsWith('->') && !l.includes('RemoteAddress'));
  return rows.reduce((s, l) => {
    const f = l.trim().split(/\s+/);
    return { active: s.active + Number(f[4]), inactive: s.inactive + Number(f[5]) };
  }, { active: 0, inactive: 0 });
}

async function until<T>(what: () => T, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = what();
  while (!ok(v) && Date.now() < end) {
    await sleep(250);
    v = what();
  }
  return v;
}

maybe('connection state, counts and persistence in the lab (root, namespaces)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(PREFIX);
    lab.cli('attach', 'eth0');
    lab.cli('--set', '0', '3', '0'); // FIN_WAIT 3 s: closed connections go quickly
    lab.cli('-A', '-t', `${VIP}:80`, '-s', 'rr');
    for (const i of [1, 2, 3]) lab.cli('-a', '-t', `${VIP}:80`, '-r', `192.0.2.1${i}`, '-g');
  }, 90_000);

  afterAll(async () => {
    await stopLab(PREFIX, lab);
  }, 60_000);

  test('--timeout shows the --set values', () => {
    expect(lab.cli('-L', '--timeout')).toBe('Timeout (tcp tcpfin udp): 900 3 300\n');
  });

  test('three idle open connections are ActiveConn; closed, they become InActConn, then expire', async () => {
    // bash holds three TCP connections open for 4 s, then exits (FIN on each).
    const hold = inNetnsAsync(lab.info.client.netns, 'bash', ['-c',
      `exec 3<>/dev/tcp/${VIP}/80 4<>/dev/tcp/${VIP}/80 5<>/dev/tcp/${VIP}/80; sleep 8`], { timeoutMs: 20_000 });
    // (a first SYN may wait for the director's ARP entry of its real: TCP retries after 1 s)
    const open = await until(() => counts(lab), (c) => c.active === 3, 6000);
    expect(open).toEqual({ active: 3, inactive: 0 });
    const lnc = lab.cli('-Lnc');
    expect(lnc.split('\n')[0]).toBe('IPVS connection entries');
    expect(lnc.split('\n').filter((l) => /^TCP (14|15):\d\d  ESTABLISHED 192\.0\.2\.100:\d+ +192\.0\.2\.10:80 +192\.0\.2\.1[123]:80$/.test(l))).toHaveLength(3);
    await hold;
    const closing = await until(() => counts(lab), (c) => c.inactive === 3, 2500);
    expect(closing).toEqual({ active: 0, inactive: 3 });
    // FIN_WAIT lasts 3 s (--set); the sweep runs every second: gone within ~4 s
    const after = await until(() => counts(lab), (c) => c.inactive === 0, 6000);
    expect(after).toEqual({ active: 0, inactive: 0 });
    expect(lab.cli('-Lnc')).toBe('IPVS connection entries\npro expire state       source             virtual            destination\n');
  }, 30_000);

  test('-p 5 keeps a client on one real and releases it after the timeout', async () => {
    lab.cli('-E', '-t', `${VIP}:80`, '-s', 'rr', '-p', '5');
    expect(lab.cli('-Ln')).toContain(`TCP  ${VIP}:80 rr persistent 5`);
    const names = Array.from({ length: 6 }, () => lab.curl(`http://${VIP}/`).trim());
    expect(new Set(names).size).toBe(1);
    const first = names[0]!;
    expect(first).toMatch(/^rs[123]$/);
    const tpl = lab.cli('-Lnc').split('\n').filter((l) => /^TCP \d\d:\d\d  NONE +192\.0\.2\.100:0 +192\.0\.2\.10:80 +192\.0\.2\.1[123]:80$/.test(l));
    expect(tpl).toHaveLength(1);
    const pc = lab.cli('-Ln', '--persistent-conn').split('\n').filter((l) => /^ +-> \d/.test(l)).map((l) => Number(l.trim().split(/\s+/)[3])); // -> addr Weight PersistConn …
    expect(pc.sort()).toEqual([0, 0, 1]); // PersistConn: the template's real
    // connections close (FIN_WAIT 3 s), then the template's 5 s run out
    const gone = await until(() => lab.cli('-Lnc'), (t) => !t.includes('NONE'), 15_000);
    expect(gone).not.toContain('NONE');
    expect(lab.curl(`http://${VIP}/`).trim()).not.toBe(first); // rr moved on: a new template
  }, 50_000);
});
