// `-L --rate`: the listing with the rates the agent's estimator wrote into lb_rates
// (src/agent/rates.ts). With no agent running the entries are stale: every rate
// prints as 0, as on a freshly started IPVS, and one line on stderr says why.
import { Dataplane } from '../bpf/dataplane.js';
import { u32Key } from '../bpf/map.js';
import { readMeta, readState } from '../bpf/state.js';
import type { DpState } from '../plan/state.js';
import { indexOfServices, realsOf } from '../plan/state.js';
import type { Command } from '../ipvsadm/command.js';
import type { ListedService, Rates } from '../ipvsadm/format-list.js';
import { formatList, formatListService } from '../ipvsadm/format-list.js';
import { filesResolver } from '../ipvsadm/resolve.js';
import { sameServiceKey, serviceKeyString } from '../model/types.js';
import type { ServiceKey } from '../model/types.js';
import { StateError } from '../util/errors.js';
import {
  entryOf, monotonicNs, realOwner, svcOwner, RATES_STALE_MS, RATES_TOTAL_INDEX, realRateIndex, svcRateIndex, ZERO_RATES,
  type RateEntry,
} from '../agent/rates.js';
import { buildViews } from './views.js';
import type { CliContext } from './context.js';

export const NO_AGENT_NOTE = "rates need 'lvs-xdp agent' (no estimator is running): shown as 0";

export interface RatesView {
  /** An estimator wrote lb_rates recently (the total's entry is fresh). */
  fresh: boolean;
  services: ListedService[];
  total: Rates;
}

function isFresh(e: RateEntry | undefined, nowNs: bigint): e is RateEntry {
  return e !== undefined && e.updatedNs !== 0n && nowNs >= e.updatedNs - 1_000_000_000n &&
    nowNs - e.updatedNs < BigInt(RATES_STALE_MS) * 1_000_000n;
}

function readEntry(dp: Dataplane, index: number): RateEntry | undefined {
  const v = dp.maps.lb_rates.lookup(u32Key(index));
  return v ? entryOf(v) : undefined;
}

/** The views of state with the rates of lb_rates attached (0 where stale or not owned). */
export function withRates(dp: Dataplane, state: DpState, views: ListedService[], nowNs = monotonicNs()): RatesView {
  const rate = (index: number, owner: number): Rates => {
    const e = readEntry(dp, index);
    return isFresh(e, nowNs) && e.owner === owner ? e.rates : { ...ZERO_RATES };
  };
  const svcByKey = indexOfServices(state.services).byKey; // one lookup per view, not a scan
  const totalEntry = readEntry(dp, RATES_TOTAL_INDEX);
  const fresh = isFresh(totalEntry, nowNs);
  const services = views.map((v) => {
    const s = svcByKey.get(serviceKeyString(v.service));
    if (!s) return v;
    const reals = realsOf(state, s.id);
    return {
      ...v,
      rates: rate(svcRateIndex(s.id), svcOwner(s)),
      reals: v.reals.map((lr) => {
        const r = reals.find((x) => x.addr.ip === lr.real.addr.ip && x.addr.family === lr.real.addr.family && x.port === lr.real.port);
        return r ? { ...lr, rates: rate(realRateIndex(r.id), realOwner(r)) } : lr;
      }),
    };
  });
  return { fresh, services, total: fresh ? totalEntry!.rates : { ...ZERO_RATES } };
}

/** Finds the -L -t/-u service, or throws ipvsadm's "No such service". */
export function pickService(views: ListedService[], key: ServiceKey | undefined): ListedService[] {
  if (!key) return views;
  const v = views.find((x) => sameServiceKey(x.service, key));
  if (!v) throw new StateError('No such service');
  return [v];
}

/** `-L[n] --rate [-t|-u service]`. */
export function listRate(cmd: Extract<Command, { kind: 'list' }>, ctx: CliContext, dp: Dataplane): number {
  const meta = readMeta(dp);
  const state = readState(dp);
  const rv = withRates(dp, state, buildViews(dp, state));
  const o = cmd.options;
  const lctx = { connTableSize: meta.conn_size, resolve: o.numeric ? undefined : filesResolver() };
  const text = cmd.key
    ? formatListService(pickService(rv.services, cmd.key)[0]!, o, lctx)
    : formatList(rv.services, o, lctx);
  if (!rv.fresh) ctx.err(NO_AGENT_NOTE);
  process.stdout.write(text);
  return 0;
}

/**
 * `-Z`: IPVS zeroes a service's estimator with its counters (ip_vs_zero_estimator).
 * Clearing the entries tells the agent to restart those estimators from the counters
 * as they are now; until its next round the rates read 0.
 */
export function zeroRates(dp: Dataplane, state: DpState, key: ServiceKey | undefined): void {
  const zero = Buffer.alloc(dp.maps.lb_rates.info.valueSize);
  const clear = (index: number): void => dp.maps.lb_rates.update(u32Key(index), zero);
  for (const s of state.services) {
    if (key && !sameServiceKey(s.key, key)) continue;
    clear(svcRateIndex(s.id));
    for (const r of realsOf(state, s.id)) clear(realRateIndex(r.id));
  }
  if (!key) clear(RATES_TOTAL_INDEX); // ip_vs_zero_all() zeroes the totals too
}

/** After `-Z` has zeroed the counters: clear the rates of the same services. */
export function zeroRatesAfter(ctx: CliContext, key: ServiceKey | undefined): void {
  const dp = Dataplane.open(ctx.pins);
  try {
    zeroRates(dp, readState(dp), key);
  } finally {
    dp.close();
  }
}
