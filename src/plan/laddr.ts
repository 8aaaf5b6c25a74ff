// FULLNAT local addresses (LIPs), the DPVS/Alibaba ipvsadm way: -P adds one to a
// service, -Q removes one, -G lists them. Pure planning, like plan.ts: every check
// before any write; the pool is written whole (put-laddrs) so the data plane never
// sees a half-changed one. Error texts follow ipvsadm's style (the kernel's words).
import type { Addr, ServiceKey } from '../model/types.js';
import { sameAddr, sameServiceKey } from '../model/types.js';
import { StateError } from '../util/errors.js';
import { lb_fwd_limits } from '../bpf/generated/layout.js';
import type { Op } from './ops.js';
import type { DpState, SvcEntry } from './state.js';

export const MAX_LADDRS = lb_fwd_limits.LB_MAX_LADDRS;

function service(state: DpState, key: ServiceKey): SvcEntry {
  const s = state.services.find((x) => sameServiceKey(x.key, key));
  if (!s) throw new StateError('No such service');
  return s;
}

export function laddrsOf(state: DpState, svcId: number): Addr[] {
  return state.laddrs?.[svcId] ?? [];
}

/** `-P -t VIP:port -z LIP` */
export function planAddLaddr(state: DpState, key: ServiceKey, laddr: Addr): Op[] {
  const s = service(state, key);
  if (laddr.family !== s.key.addr.family) {
    // FULLNAT rewrites both addresses of one header: LIP, VIP and RIP share a family.
    throw new StateError('Invalid operation.  Possibly wrong module version, address not unicast, ...');
  }
  const cur = laddrsOf(state, s.id);
  if (cur.some((a) => sameAddr(a, laddr))) throw new StateError('Local address already exists');
  if (cur.length >= MAX_LADDRS) {
    throw new StateError(`Memory allocation problem (a service has at most ${MAX_LADDRS} local addresses)`);
  }
  return [{ op: 'put-laddrs', svcId: s.id, addrs: [...cur, laddr] }];
}

/** `-Q -t VIP:port -z LIP` */
export function planDelLaddr(state: DpState, key: ServiceKey, laddr: Addr): Op[] {
  const s = service(state, key);
  const cur = laddrsOf(state, s.id);
  if (!cur.some((a) => sameAddr(a, laddr))) throw new StateError('No such local address');
  return [{ op: 'put-laddrs', svcId: s.id, addrs: cur.filter((a) => !sameAddr(a, laddr)) }];
}

/** The laddrs part of a state after ops (for applyToState). */
export function laddrsAfter(state: DpState, ops: Op[]): { laddrs?: Record<number, Addr[]> } {
  if (!ops.some((o) => o.op === 'put-laddrs') && state.laddrs === undefined) return {};
  const laddrs: Record<number, Addr[]> = { ...(state.laddrs ?? {}) };
  for (const o of ops) {
    if (o.op !== 'put-laddrs') continue;
    if (o.addrs.length) laddrs[o.svcId] = o.addrs;
    else delete laddrs[o.svcId];
  }
  return { laddrs };
}

/** Which services' LIPs `-G [-t …]` shows, in listing order. */
export function laddrListTargets(state: DpState, key?: ServiceKey): SvcEntry[] {
  return key ? [service(state, key)] : state.services;
}
