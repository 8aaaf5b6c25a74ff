// Weighted least connection (net/netfilter/ipvs/ip_vs_wlc.c), the default.
//
// load = overhead / weight, compared without division: skipping overloaded
// destinations, the first with weight > 0 starts as `least`; each later d
// replaces it when loh * w(d) > overhead(d) * w(least) (strictly: ties keep the
// earlier one in list order; weight 0 can never win).
import { connOverhead, type DestView, type Pick } from './dest-view.js';

/** The wlc loop with a given overhead function (sed and nq reuse it). */
export function weightedLeast(dests: DestView[], overhead: (d: DestView) => number): Pick {
  let least: DestView | undefined;
  let loh = 0;
  for (const d of dests) {
    if (d.overloaded) continue;
    if (!least) {
      if (d.weight > 0) [least, loh] = [d, overhead(d)];
      continue;
    }
    const doh = overhead(d);
    if (loh * d.weight > doh * least.weight) [least, loh] = [d, doh];
  }
  return least;
}

export function wlcPick(dests: DestView[]): Pick {
  return weightedLeast(dests, connOverhead);
}
