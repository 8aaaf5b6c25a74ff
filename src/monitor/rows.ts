// The services table as a flat list of rows (a service, then its reals), sorted and
// filtered as the user asked. Pure: the UI and the --once frame both call it.
import { cmpDests, cmpServices } from '../ipvsadm/sort.js';
import { addrPortString } from '../model/types.js';
import type { ConnRow, Metric, RealRow, ServiceRow } from './types.js';

export const SORT_KEYS = ['name', 'weight', 'active', 'inactive', 'cps', 'pps', 'bps'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ViewOptions {
  sort: SortKey;
  /** Largest first (the default for numeric columns). */
  descending: boolean;
  filter: string;
  /** The series the table's trend column draws. */
  spark: Metric;
}

export const DEFAULT_VIEW: ViewOptions = { sort: 'name', descending: false, filter: '', spark: 'cps' };

export type TableRow =
  | { kind: 'service'; key: string; svc: ServiceRow }
  | { kind: 'real'; key: string; svc: ServiceRow; real: RealRow };

export function serviceName(s: ServiceRow): string {
  const v = s.service;
  let t = `${v.protocol.toUpperCase()} ${addrPortString(v.addr, v.port)} ${v.scheduler}`;
  if (v.persistence !== undefined) t += ` p${v.persistence}`;
  return t;
}

export function realName(r: RealRow): string {
  return addrPortString(r.real.addr, r.real.port);
}

function metricOf(x: ServiceRow | RealRow, k: SortKey): number {
  switch (k) {
    case 'weight': return 'real' in x ? x.real.weight : x.reals.reduce((s, r) => s + r.real.weight, 0);
    case 'active': return x.counts.activeConns;
    case 'inactive': return x.counts.inactiveConns;
    case 'cps': return x.rates.cps;
    case 'pps': return x.rates.inpps + x.rates.outpps;
    case 'bps': return x.rates.inbps + x.rates.outbps;
    default: return 0;
  }
}

function sorted<T extends ServiceRow | RealRow>(items: readonly T[], o: ViewOptions, byName: (a: T, b: T) => number): T[] {
  const dir = o.descending ? -1 : 1;
  // Array.prototype.sort is stable: ties keep ipvsadm's order.
  const base = [...items].sort(byName);
  if (o.sort === 'name') return o.descending ? base.reverse() : base;
  return base.sort((a, b) => dir * (metricOf(a, o.sort) - metricOf(b, o.sort)));
}

/** Case-insensitive substring match on what the row shows. */
function matches(text: string, filter: string): boolean {
  return filter === '' || text.toLowerCase().includes(filter.toLowerCase());
}

export function tableRows(services: readonly ServiceRow[], o: ViewOptions): TableRow[] {
  const out: TableRow[] = [];
  for (const s of sorted(services, o, (a, b) => cmpServices(a.service, b.service))) {
    const svcHit = matches(serviceName(s), o.filter);
    const reals = sorted(s.reals, o, (a, b) => cmpDests(a.real, b.real)).filter(
      (r) => svcHit || matches(`${realName(r)} ${r.health} w${r.real.weight}`, o.filter),
    );
    if (!svcHit && reals.length === 0) continue;
    out.push({ kind: 'service', key: s.key, svc: s });
    for (const r of reals) out.push({ kind: 'real', key: r.key, svc: s, real: r });
  }
  return out;
}

export function connText(c: ConnRow): string {
  const ep = (e?: { addr: { family: 'inet' | 'inet6'; ip: string }; port: number }) => (e ? addrPortString(e.addr, e.port) : '-');
  return `${c.protocol} ${c.state} ${ep(c.client)} ${ep(c.virtual)} ${ep(c.real)}`;
}

export function connRows(rows: readonly ConnRow[], filter: string): ConnRow[] {
  return filter === '' ? [...rows] : rows.filter((c) => matches(connText(c), filter));
}

/** Next sort column; numeric columns start largest first. */
export function nextSort(o: ViewOptions): ViewOptions {
  const i = SORT_KEYS.indexOf(o.sort);
  const sort = SORT_KEYS[(i + 1) % SORT_KEYS.length]!;
  return { ...o, sort, descending: sort !== 'name' };
}
