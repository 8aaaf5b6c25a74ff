// DR in front of real nginx servers (Debian's nginx-light), IPv4 and IPv6 services.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';

const PREFIX = 'lxt3';
const why = labUnavailable();
if (why) console.warn(`dr-nginx lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

maybe('DR with nginx real servers (root, namespaces)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(PREFIX, 'nginx');
    lab.cli('attach', 'eth0');
  }, 60_000);

  afterAll(async () => {
    await stopLab(PREFIX, lab);
  }, 60_000);

  test('IPv4: nginx on every real answers through the VIP', () => {
    lab.cli('-A', '-t', '192.0.2.10:80', '-s', 'rr');
    for (const i of [1, 2, 3]) lab.cli('-a', '-t', '192.0.2.10:80', '-r', `192.0.2.1${i}:80`, '-g');
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const body = lab.curl('http://192.0.2.10/');
      expect(body).toMatch(/^rs[123]\n$/);
      seen.add(body);
    }
    expect(seen.size).toBe(3);
    const srv = lab.curl('http://192.0.2.10/', '-o', '/dev/null', '-w', '%header{server}');
    expect(srv).toMatch(/^nginx/);
  }, 60_000);

  test('IPv6: the same over [2001:db8::10]:80', () => {
    lab.cli('-A', '-t', '[2001:db8::10]:80', '-s', 'wrr');
    for (const i of [1, 2, 3]) lab.cli('-a', '-t', '[2001:db8::10]:80', '-r', `2001:db8::1${i}`, '-g', '-w', String(i));
    const count: Record<string, number> = {};
    for (let i = 0; i < 12; i++) {
      const n = lab.curl('http://[2001:db8::10]/').trim();
      count[n] = (count[n] ?? 0) + 1;
    }
    expect(count).toEqual({ rs1: 2, rs2: 4, rs3: 6 });
    expect(lab.cli('-Ln')).toContain('TCP  [2001:db8::10]:80 wrr\n');
  }, 60_000);
});
