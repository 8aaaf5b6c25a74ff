// Pure: what the keepalived configuration + health state wants (desired.ts) against what
// the data plane holds → ipvsadm commands, grouped per service, for the agent to plan and
// apply through the same path as the CLI (cli/ipvsadm.ts planCommand under the lock).
//
// Ownership: the agent touches only services the configuration names now, or named
// before (and were removed from it: those are deleted). Every other service in the data
// plane was made by hand with the CLI: left alone and listed in `foreign`.
// Nothing is written for a service that already matches, so a reload never disturbs a
// service it did not change (no new table generation, no new real ids).
import type { Command } from '../ipvsadm/command.js';
import {
  sameRealKey, sameServiceKey, serviceKeyString, addrPortString,
  type Real, type Service, type ServiceKey,
} from '../model/types.js';
import type { DesiredState } from './desired.js';

/** A service as the data plane holds it (cli/views.ts serviceOf/realOf of the pinned state). */
export interface CurrentService {
  service: Service;
  reals: Real[];
}

export interface ServicePlan {
  key: ServiceKey;
  /** The keepalived virtual server it serves (absent for the deletion of a dropped one). */
  vs?: string;
  /** In order; applied together or not at all. */
  commands: Command[];
}

export interface Reconciliation {
  plans: ServicePlan[];
  /** Services in the data plane the configuration does not own (made by hand): untouched. */
  foreign: ServiceKey[];
  /** What the agent owns once the plans are applied: the desired services, and owned ones still to delete. */
  owned: ServiceKey[];
}

export interface ReconcileOptions {
  /** Services the agent owned before (an earlier configuration). */
  owned?: readonly ServiceKey[];
  /** Virtual servers (ids) to leave as they are for now (held at agent start). */
  hold?: ReadonlySet<string>;
}

const key = (s: ServiceKey): ServiceKey => ({ protocol: s.protocol, addr: s.addr, port: s.port });

function netmaskOf(s: Service): string {
  if (s.persistence === undefined) return '';
  if (s.netmask === undefined) return s.addr.family === 'inet6' ? '128' : '255.255.255.255';
  return String(s.netmask);
}

/** Whether the service's own settings (not its reals) are what ipvsadm -E would leave alone. */
export function sameServiceSettings(a: Service, b: Service): boolean {
  return a.scheduler === b.scheduler
    && (a.persistence ?? 0) === (b.persistence ?? 0)
    && netmaskOf(a) === netmaskOf(b)
    && a.onePacket === b.onePacket
    && [...a.schedFlags].sort().join(',') === [...b.schedFlags].sort().join(',');
}

export function sameRealSettings(a: Real, b: Real): boolean {
  return a.forward === b.forward && a.weight === b.weight
    && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold;
}

/** Commands that turn `cur` (undefined: absent) into `want`. */
export function serviceCommands(want: { service: Service; reals: Real[] }, cur: CurrentService | undefined): Command[] {
  const k = key(want.service);
  const out: Command[] = [];
  if (!cur) out.push({ kind: 'add-service', service: want.service });
  else if (!sameServiceSettings(want.service, cur.service)) out.push({ kind: 'edit-service', service: want.service });
  const have = cur?.reals ?? [];
  // Additions before removals: a pool being swapped (sorry server in, reals out) is never empty.
  for (const r of want.reals) {
    const h = have.find((x) => sameRealKey(x, r));
    if (!h) out.push({ kind: 'add-real', key: k, real: r });
    else if (!sameRealSettings(h, r)) out.push({ kind: 'edit-real', key: k, real: r });
  }
  for (const h of have) {
    if (!want.reals.some((r) => sameRealKey(r, h))) out.push({ kind: 'delete-real', key: k, real: { addr: h.addr, port: h.port } });
  }
  return out;
}

export function reconcile(desired: DesiredState, current: readonly CurrentService[], opts: ReconcileOptions = {}): Reconciliation {
  const plans: ServicePlan[] = [];
  const owned: ServiceKey[] = [];
  const hold = opts.hold ?? new Set<string>();
  const isDesired = (k: ServiceKey): boolean => desired.services.some((d) => sameServiceKey(d.service, k));
  for (const d of desired.services) {
    // A group may name one address twice (overlapping ranges): the first one wins.
    if (owned.some((k) => sameServiceKey(k, d.service))) continue;
    owned.push(key(d.service));
    if (hold.has(d.vs)) continue;
    const cur = current.find((c) => sameServiceKey(c.service, d.service));
    const commands = serviceCommands(d, cur);
    if (commands.length) plans.push({ key: key(d.service), vs: d.vs, commands });
  }
  const foreign: ServiceKey[] = [];
  for (const c of current) {
    if (isDesired(c.service)) continue;
    if ((opts.owned ?? []).some((k) => sameServiceKey(k, c.service))) {
      owned.push(key(c.service)); // until the deletion is applied
      plans.push({ key: key(c.service), commands: [{ kind: 'delete-service', key: key(c.service) }] });
    } else {
      foreign.push(key(c.service));
    }
  }
  return { plans, foreign, owned };
}

/** One line for a log: "add-real tcp:192.0.2.10:80 192.0.2.11:80 weight 1". */
export function describeCommand(c: Command): string {
  switch (c.kind) {
    case 'add-service':
    case 'edit-service':
      return `${c.kind} ${serviceKeyString(c.service)} ${c.service.scheduler}${c.service.persistence ? ` persistent ${c.service.persistence}` : ''}`;
    case 'delete-service':
      return `delete-service ${serviceKeyString(c.key)}`;
    case 'add-real':
    case 'edit-real':
      return `${c.kind} ${serviceKeyString(c.key)} ${addrPortString(c.real.addr, c.real.port)} ${c.real.forward} weight ${c.real.weight}`;
    case 'delete-real':
      return `delete-real ${serviceKeyString(c.key)} ${addrPortString(c.real.addr, c.real.port)}`;
    default:
      return c.kind;
  }
}
