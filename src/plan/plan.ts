// Pure planning: the current data-plane state and one ipvsadm command in, the
// list of map operations out. Every check happens here, before anything is
// written, so a refused command changes nothing. Error texts are the kernel's
// as ipvsadm prints them (libipvs.c ipvs_strerror).
import type { Real, RealKey, Service, ServiceKey } from '../model/types.js';
import { sameAddr, sameServiceKey } from '../model/types.js';
import { StateError, UnsupportedError } from '../util/errors.js';
import { SCHEDULER_INFO, isImplemented } from '../sched/registry.js';
import { lb_limits } from '../bpf/generated/layout.js';
import type { Op } from './ops.js';
import { realsOf, type DpState, type RealEntry, type SvcEntry } from './state.js';
import { netmaskValue, serviceFlags } from './encode-service.js';

const SUPPORTED_FORWARD = new Set(['dr']);

function findService(state: DpState, key: ServiceKey): SvcEntry | undefined {
  return state.services.find((s) => sameServiceKey(s.key, key));
}

function findReal(state: DpState, svcId: number, key: RealKey): RealEntry | undefined {
  return state.reals.find((r) => r.svcId === svcId && r.port === key.port && sameAddr(r.addr, key.addr));
}

function lowestFree(used: Iterable<number>, max: number, what: string): number {
  const set = new Set(used);
  for (let i = 0; i < max; i++) if (!set.has(i)) return i;
  throw new StateError(`Memory allocation problem (${what} table full: ${max})`);
}

function checkServiceSupported(s: Service): void {
  if (!isImplemented(s.scheduler)) {
    throw new UnsupportedError(`scheduler '${s.scheduler}' is not supported yet (available: rr, wrr)`);
  }
  if (s.persistence !== undefined) throw new UnsupportedError('persistent services (-p) are not supported yet');
  if (s.onePacket) throw new UnsupportedError('one-packet scheduling (-o) is not supported yet');
  if (s.schedFlags.length) throw new UnsupportedError('scheduler flags (-b) are not supported yet');
}

function checkRealSupported(svc: SvcEntry, r: Real): void {
  if (!SUPPORTED_FORWARD.has(r.forward)) {
    const flag = { tun: '-i', nat: '-m', fullnat: '--fullnat', dr: '-g' }[r.forward];
    throw new UnsupportedError(`forwarding method ${flag} is not supported yet (available: -g)`);
  }
  if (r.upperThreshold || r.lowerThreshold) {
    throw new UnsupportedError('connection thresholds (-x/-y) are not supported yet');
  }
  if (r.addr.family !== svc.key.addr.family) {
    throw new StateError('Invalid operation.  Possibly wrong module version, address not unicast, ...');
  }
}

/** Rebuilds the service's table into its idle generation and switches to it. */
function retable(state: DpState, svc: SvcEntry): Op[] {
  const build = SCHEDULER_INFO[svc.scheduler].table;
  const slots = build ? build(realsOf(state, svc.id).map((r) => ({ id: r.id, weight: r.weight }))) : [];
  const gen = svc.gen ^ 1;
  return [
    { op: 'put-slots', svcId: svc.id, gen, slots },
    { op: 'put-service', svc: { ...svc, gen, tableLen: slots.length } },
  ];
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
  const id = lowestFree(state.services.map((x) => x.id), lb_limits.LB_MAX_SERVICES, 'service');
  return [
    { op: 'zero-svc-stats', svcId: id },
    { op: 'reset-cursor', svcId: id },
    { op: 'del-slots', svcId: id },
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

function realEntry(r: Real, id: number, svcId: number, seq: number): RealEntry {
  return {
    id, svcId, seq,
    addr: r.addr, port: r.port, forward: r.forward, weight: r.weight,
    flags: 1, upperThreshold: r.upperThreshold, lowerThreshold: r.lowerThreshold,
  };
}

export function planAddReal(state: DpState, key: ServiceKey, r: Real): Op[] {
  const svc = findService(state, key);
  if (!svc) throw new StateError('Service not defined');
  if (findReal(state, svc.id, r)) throw new StateError('Destination already exists');
  checkRealSupported(svc, r);
  const id = lowestFree(state.reals.map((x) => x.id), lb_limits.LB_MAX_REALS, 'real server');
  const seq = state.reals.reduce((m, x) => Math.max(m, x.seq), 0) + 1;
  const entry = realEntry(r, id, svc.id, seq);
  const next: DpState = { ...state, reals: [...state.reals, entry] };
  return [{ op: 'zero-real-stats', id }, { op: 'put-real', real: entry }, ...retable(next, svc)];
}

export function planEditReal(state: DpState, key: ServiceKey, r: Real): Op[] {
  const svc = findService(state, key);
  if (!svc) throw new StateError('Service not defined');
  const cur = findReal(state, svc.id, r);
  if (!cur) throw new StateError('No such destination');
  checkRealSupported(svc, r);
  const entry = realEntry(r, cur.id, svc.id, cur.seq);
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
  let services = state.services;
  let reals = state.reals;
  for (const o of ops) {
    if (o.op === 'put-service') services = [...services.filter((s) => s.id !== o.svc.id), o.svc];
    else if (o.op === 'del-service') services = services.filter((s) => s.id !== o.svc.id);
    else if (o.op === 'put-real') reals = [...reals.filter((r) => r.id !== o.real.id), o.real];
    else if (o.op === 'del-real') reals = reals.filter((r) => r.id !== o.id);
  }
  return { services, reals };
}
