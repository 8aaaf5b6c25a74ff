// Shortest expected delay (net/netfilter/ipvs/ip_vs_sed.c).
//
// As wlc with the expected delay (active + 1) / weight: the incoming connection
// counts, inactive ones do not.
import { weightedLeast } from './wlc.js';
import type { DestView, Pick } from './dest-view.js';

export function sedPick(dests: DestView[]): Pick {
  return weightedLeast(dests, (d) => d.active + 1);
}
