// Overflow connection (net/netfilter/ipvs/ip_vs_ovf.c).
//
// Skipping overloaded destinations, weight 0, and those with more active
// connections than their weight: the first with the highest weight. Connections
// stay on the heaviest real until its active count exceeds its weight, then
// overflow to the next.
import type { DestView, Pick } from './dest-view.js';

export function ovfPick(dests: DestView[]): Pick {
  let best: DestView | undefined;
  for (const d of dests) {
    if (d.overloaded || d.weight === 0 || d.active > d.weight) continue;
    if (!best || d.weight > best.weight) best = d;
  }
  return best;
}
