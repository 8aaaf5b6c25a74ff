// Locality-based least connection with replication (net/netfilter/ipvs/ip_vs_lblcr.c).
//
//   en = cache[daddr]
//   if en: en.lastuse = now
//          n = weighted least-connection member of en.set (skipping overloaded,
//              weight 0 and removed members; ip_vs_dest_set_min)
//          if |set| > 1 and now > set.lastmod + 24h: remove the weighted
//              most-loaded member (weight > 0; ip_vs_dest_set_max), lastmod = now
//          if n and not is_overloaded(n): return n
//          n = wlc over the service; add n to the set (at the head, lastmod = now)
//   else:  n = wlc; cache[daddr] = {n}
//
// The data plane keeps at most 8 members per set (README: differences).
import { wlcPick } from './wlc.js';
import { connOverhead, type DestView, type Pick } from './dest-view.js';
import { LBLC_EXPIRE_NS, cachedDest, lblcOverloaded, type LblcCache, type LblcEntry } from './lblc.js';

export const LBLCR_SET_MAX = 8;

function setMin(en: LblcEntry, dests: DestView[]): DestView | undefined {
  let least: DestView | undefined;
  let loh = 0;
  for (const m of en.dests) {
    const d = cachedDest(m, dests);
    if (!d || d.overloaded) continue;
    const doh = connOverhead(d);
    if (!least ? d.weight > 0 : loh * d.weight > doh * least.weight) [least, loh] = [d, doh];
  }
  return least;
}

function setMax(en: LblcEntry, dests: DestView[]): number {
  let most = -1;
  let moh = 0;
  let mw = 0;
  en.dests.forEach((m, i) => {
    const d = cachedDest(m, dests);
    const w = d?.weight ?? 0;
    if (w <= 0) return;
    const doh = connOverhead(d!);
    if (most < 0 || moh * w < doh * mw) [most, moh, mw] = [i, doh, w];
  });
  return most;
}

function insert(en: LblcEntry, d: DestView, now: bigint): void {
  if (en.dests.some((m) => m.id === d.id && m.seq === d.seq)) return;
  en.dests.unshift({ id: d.id, seq: d.seq });
  if (en.dests.length > LBLCR_SET_MAX) en.dests.pop();
  en.lastmod = now;
}

export function lblcrPick(dests: DestView[], cache: LblcCache, daddr: string, now: bigint): Pick {
  const en = cache.get(daddr);
  if (en && now - en.lastuse <= LBLC_EXPIRE_NS) {
    en.lastuse = now;
    const n = setMin(en, dests);
    if (en.dests.length > 1 && now - en.lastmod > LBLC_EXPIRE_NS) {
      const m = setMax(en, dests);
      if (m >= 0) {
        en.dests.splice(m, 1);
        en.lastmod = now;
      }
    }
    if (n && !lblcOverloaded(n, dests)) return n;
    const dest = wlcPick(dests);
    if (!dest) return undefined;
    insert(en, dest, now);
    return dest;
  }
  const dest = wlcPick(dests);
  if (!dest) return undefined;
  const fresh: LblcEntry = { dests: [], lastuse: now, lastmod: now };
  insert(fresh, dest, now);
  cache.set(daddr, fresh);
  return dest;
}
