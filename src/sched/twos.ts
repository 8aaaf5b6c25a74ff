// Power of two choices (net/netfilter/ipvs/ip_vs_twos.c).
//
// T = sum of weights of the destinations not overloaded with weight > 0.
// r1, r2 uniform in [0, T] (inclusive: the kernel draws modulo T + 1). Walking
// the list (same filter), r -= w(d); the first d bringing r1 <= 0 is choice1, the
// first bringing r2 <= 0 is choice2. choice2 wins when
//   w2 * overhead(choice1) > w1 * overhead(choice2)
// i.e. when it is less loaded per weight. So d is drawn with probability
// w(d) / (T + 1), the first one with (w + 1) / (T + 1).
//
// Randomness: the kernel uses its prandom; the data plane bpf_get_prandom_u32();
// this model takes the two draws as arguments, and twosProbabilities() gives the
// exact distribution the agreement test compares with.
import { connOverhead, type DestView, type Pick } from './dest-view.js';

export function twosPick(dests: DestView[], rand1: number, rand2: number): Pick {
  const live = dests.filter((d) => !d.overloaded && d.weight > 0);
  if (live.length === 0) return undefined;
  const total = live.reduce((s, d) => s + d.weight, 0) + 1;
  let r1 = rand1 % total;
  let r2 = rand2 % total;
  let c1: DestView | undefined;
  let c2: DestView | undefined;
  for (const d of live) {
    r1 -= d.weight;
    r2 -= d.weight;
    if (r1 <= 0 && !c1) c1 = d;
    if (r2 <= 0 && !c2) c2 = d;
    if (c1 && c2) break;
  }
  if (c2 && c2.weight * connOverhead(c1!) > c1!.weight * connOverhead(c2)) return c2;
  return c1;
}

/** Exact probability of each destination id being picked (over all r1, r2). */
export function twosProbabilities(dests: DestView[]): Map<number, number> {
  const live = dests.filter((d) => !d.overloaded && d.weight > 0);
  const out = new Map<number, number>();
  if (live.length === 0) return out;
  const total = live.reduce((s, d) => s + d.weight, 0) + 1;
  for (let a = 0; a < total; a++) {
    for (let b = 0; b < total; b++) {
      const p = twosPick(live, a, b)!;
      out.set(p.id, (out.get(p.id) ?? 0) + 1 / (total * total));
    }
  }
  return out;
}
