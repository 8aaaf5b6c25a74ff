// sortServices/sortDests (keys computed once per item) against glibcSort with the
// libipvs comparators they replace in the listings, on addresses that exercise the
// signed-difference quirk, IPv6, non-canonical IPv4 text and equal keys.
import { describe, expect, test } from '@jest/globals';
import { addrWords, cmpDests, cmpServices, glibcSort, sortDests, sortServices } from '../../src/ipvsadm/sort.js';
import { inetAton } from '../../src/ipvsadm/parse-addr.js';
import type { Addr, Protocol } from '../../src/model/types.js';

let seed = 12345;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const v4 = (): Addr => ({ family: 'inet', ip: [rand(256), rand(3), rand(2), rand(256)].join('.') });
const v6 = (): Addr => ({ family: 'inet6', ip: `2001:db8::${rand(4).toString(16)}:${rand(65536).toString(16)}` });

describe('sorting with keys computed once', () => {
  test('the same order as glibcSort with cmpServices / cmpDests', () => {
    for (let round = 0; round < 20; round++) {
      const svcs = Array.from({ length: 1 + rand(60) }, (_, i) => ({
        i, addr: rand(4) ? v4() : v6(), protocol: (rand(2) ? 'tcp' : 'udp') as Protocol, port: rand(3) + 80,
      }));
      expect(sortServices(svcs, (s) => s).map((s) => s.i)).toEqual(glibcSort(svcs, cmpServices).map((s) => s.i));
      const dests = Array.from({ length: 1 + rand(40) }, (_, i) => ({ i, real: { addr: rand(5) ? v4() : v6(), port: rand(2) } }));
      expect(sortDests(dests, (d) => d.real).map((d) => d.i)).toEqual(glibcSort(dests, (a, b) => cmpDests(a.real, b.real)).map((d) => d.i));
    }
  });

  test('IPv4-only lists (the fast path when the spread is under 2^31): the same order, ties kept stable', () => {
    const first = [10, 100, 127, 128, 192, 203];
    for (let round = 0; round < 200; round++) {
      // a narrow spread in most rounds; a few mix 10.x with 192.x and beyond (the quirk)
      const firsts = round % 5 === 0 ? first : first.slice(0, 2 + (round % 3));
      const a4 = (): Addr => ({ family: 'inet', ip: `${firsts[rand(firsts.length)]}.${rand(2)}.0.${rand(4)}` });
      const svcs = Array.from({ length: 1 + rand(80) }, (_, i) => ({
        i, addr: a4(), protocol: (rand(2) ? 'tcp' : 'udp') as Protocol, port: rand(3) + 80,
      }));
      expect(sortServices(svcs, (s) => s).map((s) => s.i)).toEqual(glibcSort(svcs, cmpServices).map((s) => s.i));
      const dests = Array.from({ length: 1 + rand(40) }, (_, i) => ({ i, real: { addr: a4(), port: rand(3) } }));
      expect(sortDests(dests, (d) => d.real).map((d) => d.i)).toEqual(glibcSort(dests, (a, b) => cmpDests(a.real, b.real)).map((d) => d.i));
    }
  });

  test('IPv4 lists already in order, reversed (newest first) or nearly so: the same order as glibcSort', () => {
    for (let round = 0; round < 200; round++) {
      const dests = Array.from({ length: 1 + rand(40) }, (_, i) => ({
        i, real: { addr: { family: 'inet' as const, ip: `203.0.113.${Math.floor(i / (1 + (round % 3)))}` }, port: rand(2) },
      }));
      if (round % 2) dests.reverse();
      if (round % 7 === 0 && dests.length > 2) [dests[0], dests[1]] = [dests[1]!, dests[0]!];
      expect(sortDests(dests, (d) => d.real).map((d) => d.i)).toEqual(glibcSort(dests, (a, b) => cmpDests(a.real, b.real)).map((d) => d.i));
    }
  });

  test('IPv4 words are inet_aton values, also for text inet_aton reads its own way', () => {
    for (const ip of ['0.0.0.0', '255.255.255.255', '10.0.0.1', '192.168.1.1', '010.0.0.1', '0x7f.1', '10.1', '1.2.3.256']) {
      expect(addrWords({ family: 'inet', ip })[0]).toBe(inetAton(ip) ?? 0);
    }
  });
});
