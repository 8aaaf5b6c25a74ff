// Never queue (net/netfilter/ipvs/ip_vs_nq.c).
//
// Skipping overloaded and weight-0 destinations: the first one with no active
// connection is taken at once; otherwise as sed, (active + 1) / weight, the first
// candidate starting and a later d winning when loh * w(d) > doh * w(least).
import type { DestView, Pick } from './dest-view.js';

export function nqPick(dests: DestView[]): Pick {
  let least: DestView | undefined;
  let loh = 0;
  for (const d of dests) {
    if (d.overloaded || d.weight === 0) continue;
    const doh = d.active + 1;
    if (d.active === 0) return d;
    if (!least || loh * d.weight > doh * least.weight) [least, loh] = [d, doh];
  }
  return least;
}
