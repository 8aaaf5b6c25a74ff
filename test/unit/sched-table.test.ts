import { describe, expect, test } from '@jest/globals';
import { rrTable } from '../../src/sched/rr.js';
import { gcd, wrrTable } from '../../src/sched/wrr.js';
import { TableTooLargeError } from '../../src/sched/table.js';

// Destinations are given in IPVS list order (newest first), as the planner passes them.
const d = (id: number, weight: number) => ({ id, weight });

describe('rr table (ip_vs_rr.c)', () => {
  test('every destination with weight > 0 once, in list order', () => {
    expect(rrTable([d(3, 1), d(2, 5), d(1, 1)])).toEqual([3, 2, 1]);
  });
  test('weight 0 is quiesced: left out', () => {
    expect(rrTable([d(3, 1), d(2, 0), d(1, 1)])).toEqual([3, 1]);
  });
  test('no destinations, empty table', () => {
    expect(rrTable([])).toEqual([]);
  });
});

describe('wrr table (ip_vs_wrr.c interleaving)', () => {
  test('3:2:1 walks cw = 3, 2, 1 over the list: A A B A B C', () => {
    expect(wrrTable([d(0, 3), d(1, 2), d(2, 1)], 1000)).toEqual([0, 0, 1, 0, 1, 2]);
  });
  test('list order decides ties within a level', () => {
    // newest-first list [C(1), B(2), A(3)]: cw=3: A; cw=2: B A; cw=1: C B A
    expect(wrrTable([d(2, 1), d(1, 2), d(0, 3)], 1000)).toEqual([0, 1, 0, 2, 1, 0]);
  });
  test('common divisor shrinks the table: 4:2 is 2:1 (mw = max - (di - 1))', () => {
    expect(wrrTable([d(0, 4), d(1, 2)], 1000)).toEqual([0, 0, 1]);
  });
  test('each destination appears weight/gcd times', () => {
    const t = wrrTable([d(0, 100), d(1, 50), d(2, 25)], 1000);
    expect(t.length).toBe(7);
    expect(t.filter((x) => x === 0).length).toBe(4);
    expect(t.filter((x) => x === 1).length).toBe(2);
    expect(t.filter((x) => x === 2).length).toBe(1);
  });
  test('equal weights degrade to rr', () => {
    expect(wrrTable([d(5, 7), d(6, 7), d(7, 7)], 1000)).toEqual([5, 6, 7]);
  });
  test('weight 0 never appears', () => {
    expect(wrrTable([d(0, 2), d(1, 0), d(2, 1)], 1000)).toEqual([0, 0, 2]);
  });
  test('a table longer than the data plane allows is refused, not truncated', () => {
    expect(() => wrrTable([d(0, 65535), d(1, 65534)], 65536)).toThrow(TableTooLargeError);
  });
  test('gcd', () => {
    expect(gcd(12, 18)).toBe(6);
    expect(gcd(0, 5)).toBe(5);
  });
});
