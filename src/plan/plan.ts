// Pure planning: the current data-plane state and one ipvsadm command in, the
// list of map operations out. Every check happens here, before anything is
// written, so a refused command changes nothing. Error texts are the kernel's
// as ipvsadm prints them (libipvs.c ipvs_strerror).
import type { Real, RealKey, Service, ServiceKey } from '../model/types.js';
import { sameAddr, serviceKeyString } from '../model/types.js';
import { StateError, UnsupportedError } from '../util/errors.js';
import { SCHEDULER_INFO } from '../sched/registry.js';
import { lb_limits, lb_sched_limits } from '../bpf/generated/layout.js';
import type { Op } from './ops.js';
import {
  indexOfReals, indexOfServices, putRealInPlace, putServiceInPlace, realsOf, removeRealInPlace, removeServiceInPlace,
  type DpState, type RealEntry, type SvcEntry,
} from './state.js';
import { netmaskValue, serviceFlags } from './encode-service.js';
import { laddrsAfter } from './laddr.js';

// All four methods (issue #3): -g DR, -i TUN, -m NAT, --fullnat FULLNAT.
const SUPPORTED_FORWARD = new Set(['dr', 'tun', 'nat', 'fullnat']);

function findService(state: DpState, key: ServiceKey): SvcEntry | undefined {
  return indexOfServices(state.services).byKey.get(serviceKeyString(key));
}

function findReal(state: DpState, svcId: number, key: RealKey): RealEntry | undefined {
  const mine = indexOfReals(state.reals).bySvc.get(svcId) ?? [];
  return mine.find((r) => r.port === key.port && sameAddr(r.addr, key.addr));
}

/**
 * The smallest id not in use, given the highest one in use (from the list's index).
 * Ids are usually dense (0..n-1 all taken): then it is n, found without a scan —
 * this runs once per line of a -R of thousands of lines.
 */
function lowestFree(used: ReadonlyArray<{ id: number }>, top: number, max: number, what: string): number {
  if (top === used.length - 1 && top + 1 < max) return top + 1;
  const set = new Set(used.map((x) => x.id));
  for (let i = 0; i < max; i++) if (!set.has(i)) return i;
  throw new StateError(`Memory allocation problem (${what} table full: ${max})`);
}

function checkServiceSupported(s: Service): void {
  // Every scheduler and every -b flag is implemented (src/sched, bpf/include/sched*.h).
  // -p/-M: persistence templates in the data plane (bpf/include/persist.h); port 0 needs -p (the parser checks)
  if (s.onePacket) throw new UnsupportedError('one-packet scheduling (-o) is not supported yet');
}

function checkRealSupported(svc: SvcEntry, r: Real): void {
  if (!SUPPORTED_FORWARD.has(r.forward)) {
    const flag = { tun: '-i', nat: '-m', fullnat: '--fullnat', dr: '-g' }[r.forward];
    throw new UnsupportedError(`forwarding method ${flag} is not supported yet (available: -g)`);
  }
  // ip_vs_ctl.c ip_vs_add_dest()/ip_vs_edit_dest(): -ERANGE, printed by ipvsadm as strerror
  if (r.lowerThreshold > r.upperThreshold) throw new StateError('Numerical result out of range');
  // IPVS allows a real of the other family only for tunnelling (ip_vs_add_dest: -EINVAL otherwise)
  if (r.addr.family !== svc.key.addr.family && r.forward !== 'tun') {
    throw new StateError('Invalid operation.  Possibly wrong module version, address not unicast, ...');
  }
}

/**
 * Rebuilds the service's table and destination list into its idle generation and
 * switches to it. Every service gets its list (connection schedulers read it;
 * mh's last weights are kept in it); table schedulers also get their table.
 */
function retable(state: DpState, svc: SvcEntry): Op[] {
  return tableOps(svc, realsOf(state, svc.id));
}

/** The table and destination list of svc for these reals (in list order), then the switch. */
export function tableOps(svc: SvcEntry, reals: RealEntry[]): Op[] {
  const build = SCHEDULER_INFO[svc.scheduler].table;
  const slots = build
    ? build(reals.map((r) => ({ id: r.id, weight: r.weight, lastWeight: r.lastWeight ?? r.weight, addr: r.addr, port: r.port })))
    : [];
  const gen = svc.gen ^ 1;
  return [
    { op: 'put-slots', svcId: svc.id, gen, slots },
    { op: 'put-dests', svcId: svc.id, gen, ids: reals.map((r) => r.id), lastWeights: reals.map((r) => r.lastWeight ?? r.weight) },
    { op: 'put-service', svc: { ...svc, gen, tableLen: slots.length } },
  ];
}

/** A service holds at most LB_MAX_SVC_DESTS destinations: the data plane's scheduler loop is bounded. */
export class TooManyDestinationsError extends StateError {
  constructor(max: number) {
    super(`Memory allocation problem (a service has at most ${max} real servers in lvs-xdp)`);
  }
}

function svcEntry(s: Service, id: number, prev?: SvcEntry): SvcEntry {
  return {
    key: { protocol: s.protocol, addr: s.addr, port: s.port },
    id,
    scheduler: s.scheduler,
    flags: serviceFlags(s),
    timeout: s.persistence ?? 0,
    netmask: netmaskValue(s),
    gen: prev?.gen ?? 0,
    tableLen: prev?.tableLen ?? 0,
  };
}

export function planAddService(state: DpState, s: Service): Op[] {
  if (findService(state, s)) throw new StateError('Service already exists');
  checkServiceSupported(s);
  const id = lowestFree(state.services, indexOfServices(state.services).topId, lb_limits.LB_MAX_SERVICES, 'service');
  return [
    { op: 'zero-svc-stats', svcId: id },
    { op: 'reset-cursor', svcId: id },
    { op: 'del-slots', svcId: id },
    { op: 'put-laddrs', svcId: id, addrs: [] }, // FULLNAT LIPs of a reused id (issue #3)
    { op: 'put-service', svc: svcEntry(s, id) },
  ];
}

export function planEditService(state: DpState, s: Service): Op[] {
  const cur = findService(state, s);
  if (!cur) throw new StateError('No such service');
  checkServiceSupported(s);
  const next = svcEntry(s, cur.id, cur);
  return retable(state, next);
}

export function planDeleteService(state: DpState, key: ServiceKey): Op[] {
  const cur = findService(state, key);
  if (!cur) throw new StateError('No such service');
  return [
    { op: 'del-service', svc: cur },
    { op: 'del-slots', svcId: cur.id },
    ...realsOf(state, cur.id).map((r): Op => ({ op: 'del-real', id: r.id })),
  ];
}

export function planClear(state: DpState): Op[] {
  return state.services.flatMap((s) => planDeleteService(state, s.key));
}

function realEntry(r: Real, id: number, svcId: number, seq: number, prev?: RealEntry): RealEntry {
  // IPVS __ip_vs_update_dest(): last_weight keeps the latest non-zero weight
  const lastWeight = prev && r.weight === 0 ? (prev.lastWeight ?? prev.weight) : r.weight;
  return {
    id, svcId, seq,
    addr: r.addr, port: r.port, forward: r.forward, weight: r.weight,
    flags: 1, upperThreshold: r.upperThreshold, lowerThreshold: r.lowerThreshold, lastWeight,
  };
}

/** What `-a` adds before its service's table is rebuilt: every check, the new real and its id's reset. */
export interface NewReal {
  svc: SvcEntry;
  real: RealEntry;
  /** Zeroed counters and connection counts of the id, next_seq raised, the real written. */
  ops: Op[];
}

export function planNewReal(state: DpState, key: ServiceKey, r: Real): NewReal {
  const svc = findService(state, key);
  if (!svc) throw new StateError('Service not defined');
  if (findReal(state, svc.id, r)) throw new StateError('Destination already exists');
  checkRealSupported(svc, r);
  const max = lb_sched_limits.LB_MAX_SVC_DESTS;
  const ix = indexOfReals(state.reals);
  if ((ix.bySvc.get(svc.id)?.length ?? 0) >= max) throw new TooManyDestinationsError(max);
  const id = lowestFree(state.reals, ix.topId, lb_limits.LB_MAX_REALS, 'real server');
  // seq only grows (lb_meta.next_seq): the data plane tells a reused id from its old real by it.
  const seq = Math.max(state.nextSeq ?? 0, ix.topSeq + 1);
  const real = realEntry(r, id, svc.id, seq);
  return {
    svc,
    real,
    ops: [
      { op: 'zero-real-stats', id },
      { op: 'zero-real-conns', id },
      { op: 'set-next-seq', value: seq + 1 },
      { op: 'put-real', real },
    ],
  };
}

export function planAddReal(state: DpState, key: ServiceKey, r: Real): Op[] {
  const n = planNewReal(state, key, r);
  // the list with the new real: newest first, as realsOf orders it
  return [...n.ops, ...tableOps(n.svc, [n.real, ...realsOf(state, n.svc.id)])];
}

export function planEditReal(state: DpState, key: ServiceKey, r: Real): Op[] {
  const svc = findService(state, key);
  if (!svc) throw new StateError('Service not defined');
  const cur = findReal(state, svc.id, r);
  if (!cur) throw new StateError('No such destination');
  checkRealSupported(svc, r);
  const entry = realEntry(r, cur.id, svc.id, cur.seq, cur);
  const next: DpState = { ...state, reals: state.reals.map((x) => (x.id === cur.id ? entry : x)) };
  return [{ op: 'put-real', real: entry }, ...retable(next, svc)];
}

export function planDeleteReal(state: DpState, key: ServiceKey, r: RealKey): Op[] {
  const svc = findService(state, key);
  if (!svc) throw new StateError('Service not defined');
  const cur = findReal(state, svc.id, r);
  if (!cur) throw new StateError('No such destination');
  const next: DpState = { ...state, reals: state.reals.filter((x) => x.id !== cur.id) };
  return [...retable(next, svc), { op: 'del-real', id: cur.id }];
}

export function planZero(state: DpState, key?: ServiceKey): Op[] {
  const svcs = key ? [findService(state, key)] : state.services;
  if (key && !svcs[0]) throw new StateError('No such service');
  return svcs.flatMap((s) => [
    { op: 'zero-svc-stats', svcId: s!.id } as Op,
    ...realsOf(state, s!.id).map((r): Op => ({ op: 'zero-real-stats', id: r.id })),
  ]);
}

/** Applies ops to a state value: how a multi-command restore plans line after line. */
export function applyToState(state: DpState, ops: Op[]): DpState {
  const next: DpState = { ...state, services: [...state.services], reals: [...state.reals] };
  applyInPlace(next, ops);
  return next;
}

/**
 * applyToState on a state the caller owns: -R plans thousands of lines against one
 * working copy instead of copying every list for every line.
 */
export function applyInPlace(state: DpState, ops: Op[]): void {
  for (const o of ops) {
    if (o.op === 'put-service') putServiceInPlace(state.services, o.svc);
    else if (o.op === 'del-service') removeServiceInPlace(state.services, o.svc.id);
    else if (o.op === 'put-real') putRealInPlace(state.reals, o.real);
    else if (o.op === 'del-real') removeRealInPlace(state.reals, o.id);
    else if (o.op === 'set-next-seq') state.nextSeq = Math.max(state.nextSeq ?? 0, o.value);
  }
  // laddrs (issue #3); the record is copied, so only when a line changes it
  if (ops.some((o) => o.op === 'put-laddrs')) Object.assign(state, laddrsAfter(state, ops));
}
