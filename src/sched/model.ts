// The reference model of every scheduler: one decision for one new connection,
// from the same inputs the data plane has (destinations in list order with their
// counts and flags, the service's table, the packet's addresses). The tests drive
// this and the data plane with the same sequences and compare the choices.
import type { SchedulerName } from '../model/types.js';
import type { DestView } from './dest-view.js';
import { HASH_TAB_SIZE, MH_TAB_SIZE, addrFold, mhHash, shHash } from './hash.js';
import { lcPick } from './lc.js';
import { wlcPick } from './wlc.js';
import { sedPick } from './sed.js';
import { nqPick } from './nq.js';
import { foPick } from './fo.js';
import { ovfPick } from './ovf.js';
import { twosPick } from './twos.js';
import { lblcPick, type LblcCache } from './lblc.js';
import { lblcrPick } from './lblcr.js';

export interface ModelPacket {
  saddr: string;
  daddr: string;
  sport: number;
}

export interface ModelService {
  scheduler: SchedulerName;
  /** -b sh-fallback / mh-fallback */
  fallback?: boolean;
  /** -b sh-port / mh-port */
  port?: boolean;
  /** Destinations in IPVS list order (newest first). */
  dests: DestView[];
  /** rr/wrr/sh/dh/mh: the table as built by the control plane. */
  table?: number[];
  /** rr/wrr: position of the next pick in the table. */
  cursor?: number;
  /** lblc/lblcr cache. */
  cache?: LblcCache;
}

const available = (d: DestView | undefined): d is DestView => !!d && d.weight > 0 && !d.overloaded;

function hashed(svc: ModelService, base: number, hash: (b: number, o: number) => number, size: number): number | undefined {
  const table = svc.table ?? [];
  if (table.length !== size) return undefined;
  const byId = new Map(svc.dests.map((d) => [d.id, d]));
  const ihash = hash(base, 0);
  const first = byId.get(table[ihash]!);
  if (available(first)) return first.id;
  if (!svc.fallback) return undefined;
  for (let off = 0; off < size; off++) {
    const d = byId.get(table[hash(base, (off + ihash) % size)]!);
    if (available(d)) return d.id;
  }
  return undefined;
}

/** The destination id the scheduler picks, or undefined (no destination available). */
export function modelPick(svc: ModelService, pkt: ModelPacket, now = 0n, rand: [number, number] = [0, 0]): number | undefined {
  const port = svc.port ? pkt.sport : 0;
  switch (svc.scheduler) {
    case 'rr':
    case 'wrr': {
      const t = svc.table ?? [];
      const byId = new Map(svc.dests.map((d) => [d.id, d]));
      if (t.length === 0) return undefined; // an empty table does not move the cursor
      for (let i = 0; i < 4; i++) {
        const pos = (svc.cursor ?? 0) + i;
        const d = byId.get(t[pos % t.length]!);
        if (available(d)) {
          svc.cursor = (svc.cursor ?? 0) + 1;
          return d.id;
        }
      }
      svc.cursor = (svc.cursor ?? 0) + 1;
      return undefined;
    }
    case 'sh':
      return hashed(svc, (port + addrFold(pkt.saddr)) >>> 0, shHash, HASH_TAB_SIZE);
    case 'mh':
      return hashed(svc, (port + addrFold(pkt.saddr)) >>> 0, (b, o) => mhHash(b, o), MH_TAB_SIZE);
    case 'dh': {
      const t = svc.table ?? [];
      if (t.length !== HASH_TAB_SIZE) return undefined;
      const d = svc.dests.find((x) => x.id === t[shHash(addrFold(pkt.daddr))]);
      return available(d) ? d.id : undefined;
    }
    case 'lc': return lcPick(svc.dests)?.id;
    case 'wlc': return wlcPick(svc.dests)?.id;
    case 'sed': return sedPick(svc.dests)?.id;
    case 'nq': return nqPick(svc.dests)?.id;
    case 'fo': return foPick(svc.dests)?.id;
    case 'ovf': return ovfPick(svc.dests)?.id;
    case 'twos': return twosPick(svc.dests, rand[0], rand[1])?.id;
    case 'lblc': return lblcPick(svc.dests, (svc.cache ??= new Map()), pkt.daddr, now)?.id;
    case 'lblcr': return lblcrPick(svc.dests, (svc.cache ??= new Map()), pkt.daddr, now)?.id;
  }
}
