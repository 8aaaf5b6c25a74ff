// Weighted round robin (net/netfilter/ipvs/ip_vs_wrr.c).
//
// The kernel keeps a current weight cw and a list position. Starting at the head
// with cw = mw, it walks the list taking each destination whose weight >= cw;
// at the end of the list cw drops by di, and when cw <= 0 it starts again at mw:
//
//   di = gcd of the weights > 0
//   mw = max weight - (di - 1)
//   levels cw = mw, mw - di, mw - 2di, ... (> 0)
//
// One period of that walk is our table: for each level, the destinations with
// weight >= cw in list order. Its length is sum(w)/di, and each destination
// appears w/di times, interleaved (3:2:1 gives A A B A B C).
import { TableTooLargeError, type TableEntry } from './table.js';

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function wrrTable(dests: TableEntry[], maxLen: number): number[] {
  const live = dests.filter((d) => d.weight > 0);
  if (live.length === 0) return [];
  const di = live.reduce((g, d) => gcd(g, d.weight), 0);
  const max = Math.max(...live.map((d) => d.weight));
  const mw = max - (di - 1);
  const total = live.reduce((s, d) => s + d.weight / di, 0);
  if (total > maxLen) throw new TableTooLargeError(total, maxLen);
  const table: number[] = [];
  for (let cw = mw; cw > 0; cw -= di) {
    for (const d of dests) if (d.weight > 0 && d.weight >= cw) table.push(d.id);
  }
  return table;
}
