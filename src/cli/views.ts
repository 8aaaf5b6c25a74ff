// From the decoded data plane to what the listings print.
import { sameServiceKey, zeroStats, type Real, type Service, type ServiceKey } from '../model/types.js';
import type { DpState, RealEntry, SvcEntry } from '../plan/state.js';
import { sortServices } from '../ipvsadm/sort.js';
import { realsOf } from '../plan/state.js';
import { netmaskText, schedFlagsOf } from '../plan/encode-service.js';
import { lb_svc_flags } from '../bpf/generated/layout.js';
import { listedRealAt, readCountersOf, readLiveReals, readServices } from '../bpf/state.js';
import { readAllDests } from '../bpf/sched-dests.js';
import { readRealConnsOf } from '../bpf/conns.js';
import type { Dataplane } from '../bpf/dataplane.js';
import type { ListedReal, ListedService } from '../ipvsadm/format-list.js';

export function serviceOf(s: SvcEntry): Service {
  const persistent = (s.flags & lb_svc_flags.LB_SVC_F_PERSISTENT) !== 0;
  return {
    // the key's fields by name: a spread is several times slower in cold code (1,000 per -L)
    protocol: s.key.protocol,
    addr: s.key.addr,
    port: s.key.port,
    scheduler: s.scheduler,
    persistence: persistent ? s.timeout : undefined,
    netmask: persistent ? netmaskText(s.netmask, s.key.addr.family) : undefined,
    onePacket: (s.flags & lb_svc_flags.LB_SVC_F_ONEPACKET) !== 0,
    schedFlags: schedFlagsOf(s.flags, s.scheduler),
  };
}

export function realOf(r: RealEntry): Real {
  return {
    addr: r.addr,
    port: r.port,
    forward: r.forward,
    weight: r.weight,
    upperThreshold: r.upperThreshold,
    lowerThreshold: r.lowerThreshold,
  };
}

export interface ViewOptions {
  /**
   * Read the per-CPU traffic counters into stats (the default). Listings that do not
   * print them (plain -L, -S) pass false and get zeros: summing 17,000 per-CPU
   * entries into bigints was a fifth of -Ln.
   */
  counters?: boolean;
}

/** The per-id readers of a set of views: every map read once, in batches, up front. */
function perIdReaders(dp: Dataplane, svcIds: readonly number[], realIds: readonly number[], opts: ViewOptions) {
  const zero = Object.freeze(zeroStats()); // one for all: listings without counters only print it
  const none = () => zero;
  return {
    svcStats: opts.counters === false ? none : readCountersOf(dp.maps.lb_svc_stats, svcIds),
    realStats: opts.counters === false ? none : readCountersOf(dp.maps.lb_real_stats, realIds),
    counts: readRealConnsOf(dp, realIds),
  };
}

/**
 * Services with their reals and counters. ActiveConn/InActConn/PersistConn are
 * lb_real_conns, kept by the data plane at every state change and expiry and
 * recounted by its expiry sweep (bpf/include/gc.h). Each map is read once for all
 * ids (batches), not once per service and per real.
 */
export function buildViews(dp: Dataplane, state: DpState, opts: ViewOptions = {}): ListedService[] {
  const { svcStats, realStats, counts } = perIdReaders(dp, state.services.map((s) => s.id), state.reals.map((r) => r.id), opts);
  return state.services.map((s) => ({
    service: serviceOf(s),
    stats: svcStats(s.id),
    reals: realsOf(state, s.id).map((r) => ({ real: realOf(r), counts: counts(r.id), stats: realStats(r.id) })),
    ...(state.laddrs?.[s.id]?.length ? { laddrs: state.laddrs[s.id] } : {}), // FULLNAT LIPs (issue #3)
  }));
}

/**
 * The views of the whole table for `-L`, in ipvsadm's listing order (the table's for
 * --nosort), made one by one as they are taken, so that their objects die young
 * (holding all 17,000 views of 1,000 x 16 made every scavenge copy them again). The
 * same reals buildViews shows (readLiveReals: each service's live list, in its order,
 * newest first), read straight from the batch into the rows the listing prints: no
 * DpState, its per-list index and per-service copies, which planning needs and -L of
 * 1,000 x 16 paid ~15 ms for.
 */
export function* listingViews(
  dp: Dataplane, opts: ViewOptions & { nosort?: boolean; only?: ServiceKey } = {},
): Generator<ListedService> {
  const all = readServices(dp);
  const services = opts.only ? all.filter((s) => sameServiceKey(s.key, opts.only!)) : all; // -L -t
  const lists = readAllDests(dp, services);
  const own = services.map((s) => lists.get(s.id)!.ids);
  const live = readLiveReals(dp, own);
  const { svcStats, realStats, counts } = perIdReaders(dp, services.map((s) => s.id), own.flat(), opts);
  const seen = new Uint8Array(live.span); // a real listed twice is taken once
  const order = opts.nosort ? services : sortServices(services, (s) => s.key);
  for (const s of order) {
    const rows: Array<ListedReal & { seq: number }> = [];
    for (const id of lists.get(s.id)!.ids) {
      const off = live.at(s.id, id);
      if (off < 0 || seen[id - live.lo]) continue;
      seen[id - live.lo] = 1;
      const { real, seq } = listedRealAt(live.view, off);
      rows.push({ real, counts: counts(id), stats: realStats(id), seq });
    }
    // realsOf's order (newest first, by seq); the lists are written in it
    for (let i = 1; i < rows.length; i++) {
      if (rows[i]!.seq > rows[i - 1]!.seq) {
        rows.sort((a, b) => b.seq - a.seq);
        break;
      }
    }
    yield { service: serviceOf(s), stats: svcStats(s.id), reals: rows };
  }
}
