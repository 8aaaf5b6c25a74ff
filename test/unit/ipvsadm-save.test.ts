import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSave } from '../../src/ipvsadm/format-save.js';
import { parseRestoreLine } from '../../src/ipvsadm/parse.js';
import { real, referenceTable, svc, v4, v6, view } from './golden/ipvsadm-views.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('ipvsadm -S', () => {
  test('-Sn of the reference table (thresholds are not saved)', () => {
    expect(formatSave(referenceTable(), true)).toBe(readFileSync(join(here, 'golden', 'ipvsadm-Sn.txt'), 'utf8'));
  });
  test('-S without -n names ports and uses the resolver', () => {
    expect(formatSave(referenceTable(), false, (a) => (a.ip === '192.0.2.10' ? 'www.example' : a.ip))).toBe(
      '-A -t www.example:http -s wlc -p 300 -M 255.255.255.0\n' +
      '-a -t www.example:http -r 10.0.0.11:http -g -w 100\n' +
      '-A -u www.example:domain -s rr -o\n' +
      '-a -u www.example:domain -r 10.0.0.21:domain -m -w 1\n');
  });
  test('tunnel, fullnat, IPv6, flags, bare persistence', () => {
    const views = [
      view(svc({ addr: v6('2001:db8::10'), port: 443, scheduler: 'mh', schedFlags: ['mh-fallback'], persistence: 360, netmask: 64 }), [
        real({ addr: v6('2001:db8::12'), port: 443, weight: 5 }),
      ]),
      view(svc({ addr: v4('192.0.2.20'), port: 80, scheduler: 'rr', schedFlags: ['flag-2'] }), [
        real({ addr: v4('198.51.100.9'), port: 8080, forward: 'fullnat', weight: 3 }),
        real({ addr: v4('198.51.100.8'), port: 80, forward: 'tun', weight: 0 }),
      ]),
    ];
    const text = formatSave(views, true);
    expect(text).toBe(
      '-A -t 192.0.2.20:80 -s rr -b flag-2\n' +
      '-a -t 192.0.2.20:80 -r 198.51.100.8:80 -i -w 0 --tun-type ipip\n' +
      '-a -t 192.0.2.20:80 -r 198.51.100.9:8080 --fullnat -w 3\n' +
      '-A -t [2001:db8::10]:443 -s mh -p 360 -M 64 -b mh-fallback\n' +
      '-a -t [2001:db8::10]:443 -r [2001:db8::12]:443 -g -w 5\n');
    // What -S writes, -R reads back.
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l, k) => parseRestoreLine(l, k + 1)?.kind)).toEqual(['add-service', 'add-real', 'add-real', 'add-service', 'add-real']);
    expect(parseRestoreLine(lines[2]!, 3)).toMatchObject({ real: { forward: 'fullnat', port: 8080, weight: 3 } });
    expect(parseRestoreLine(lines[3]!, 4)).toMatchObject({ service: { netmask: 64, schedFlags: ['mh-fallback'], persistence: 360 } });
  });
  test('an empty table saves nothing', () => {
    expect(formatSave([], true)).toBe('');
  });
});
