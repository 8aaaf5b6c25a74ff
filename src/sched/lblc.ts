// Locality-based least connection (net/netfilter/ipvs/ip_vs_lblc.c).
//
//   en = cache[daddr]
//   if en: en.lastuse = now; if en.dest is alive, weight > 0 and not
//          is_overloaded(en.dest): return en.dest
//   dest = wlc over the service (no destination: none)
//   cache[daddr] = dest (an entry already naming dest is kept as it is)
//
// is_overloaded(d) = active(d) > weight(d) and some destination e of the service
// has 2 * active(e) < weight(e). The cached destination is not checked against
// the -x/-y overload flag (the kernel does not either). Entries unused for 24
// hours expire (lblc_expiration).
import { wlcPick } from './wlc.js';
import type { DestView, Pick } from './dest-view.js';

export const LBLC_EXPIRE_NS = 86_400n * 1_000_000_000n;

export interface LblcEntry {
  dests: Array<{ id: number; seq?: number }>; // lblc: one; lblcr: the set, newest first
  lastuse: bigint;
  lastmod: bigint;
}

export type LblcCache = Map<string, LblcEntry>;

export function lblcOverloaded(d: DestView, all: DestView[]): boolean {
  return d.active > d.weight && all.some((e) => e.active * 2 < e.weight);
}

/** The cached destination as it is now, if it is still the same real. */
export function cachedDest(e: { id: number; seq?: number }, dests: DestView[]): DestView | undefined {
  return dests.find((d) => d.id === e.id && (e.seq === undefined || d.seq === undefined || d.seq === e.seq));
}

export function lblcPick(dests: DestView[], cache: LblcCache, daddr: string, now: bigint): Pick {
  const en = cache.get(daddr);
  let cached: DestView | undefined;
  if (en && now - en.lastuse <= LBLC_EXPIRE_NS) {
    en.lastuse = now;
    cached = cachedDest(en.dests[0]!, dests);
    if (cached && cached.weight > 0 && !lblcOverloaded(cached, dests)) return cached;
  }
  const dest = wlcPick(dests);
  if (!dest) return undefined;
  if (cached?.id === dest.id) return dest;
  cache.set(daddr, { dests: [{ id: dest.id, seq: dest.seq }], lastuse: now, lastmod: now });
  return dest;
}
