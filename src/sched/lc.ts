// Least connection (net/netfilter/ipvs/ip_vs_lc.c).
//
// Skipping overloaded destinations and those of weight 0, the first destination
// in list order with the least overhead (active * 256 + inactive).
import { connOverhead, type DestView, type Pick } from './dest-view.js';

export function lcPick(dests: DestView[]): Pick {
  let least: DestView | undefined;
  let loh = 0;
  for (const d of dests) {
    if (d.overloaded || d.weight === 0) continue;
    const doh = connOverhead(d);
    if (!least || doh < loh) [least, loh] = [d, doh];
  }
  return least;
}
