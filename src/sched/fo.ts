// Weighted failover (net/netfilter/ipvs/ip_vs_fo.c).
//
// Skipping overloaded destinations, the first in list order with the highest
// weight (> 0): all new connections go there until it fails or is quiesced.
import type { DestView, Pick } from './dest-view.js';

export function foPick(dests: DestView[]): Pick {
  let best: DestView | undefined;
  for (const d of dests) if (!d.overloaded && d.weight > (best?.weight ?? 0)) best = d;
  return best;
}
