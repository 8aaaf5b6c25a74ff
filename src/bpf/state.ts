// Reads the configuration and the counters out of the pinned maps.
import { addStats, zeroStats, type Protocol, type Stats } from '../model/types.js';
import { decode } from './codec.js';
import { lb_counters, lb_fwd, lb_meta, lb_real, lb_real_flags, lb_svc, lb_svc_key } from './generated/layout.js';
import { familyOf, wordsToAddr } from './addr.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { DpState, RealEntry, SvcEntry } from '../plan/state.js';
import { schedulerByCode } from '../sched/registry.js';
import { readDests, withLastWeights } from './sched-dests.js';
import { readLaddrs } from './fwd-state.js';
import type { ForwardMethod } from '../model/types.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

export const FORWARD_CODE: Record<ForwardMethod, number> = {
  dr: lb_fwd.LB_FWD_DR,
  tun: lb_fwd.LB_FWD_TUN,
  nat: lb_fwd.LB_FWD_NAT,
  fullnat: lb_fwd.LB_FWD_FULLNAT,
};

export function forwardOf(code: number): ForwardMethod {
  const f = (Object.keys(FORWARD_CODE) as ForwardMethod[]).find((k) => FORWARD_CODE[k] === code);
  if (!f) throw new RangeError(`unknown forwarding method ${code}`);
  return f;
}

export function protoCode(p: Protocol): number {
  return p === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
}

export function protoOf(code: number): Protocol {
  if (code === IPPROTO_TCP) return 'tcp';
  if (code === IPPROTO_UDP) return 'udp';
  throw new RangeError(`unknown protocol ${code}`);
}

export function readServices(dp: Dataplane): SvcEntry[] {
  const out: SvcEntry[] = [];
  const m = dp.maps.lb_services;
  for (const k of m.keys()) {
    const v = m.lookup(k);
    if (!v) continue; // removed while we iterated
    const key = decode(lb_svc_key, k);
    const svc = decode(lb_svc, v);
    const family = familyOf(key.family);
    out.push({
      key: { protocol: protoOf(key.proto), addr: wordsToAddr(key.addr, family), port: key.port },
      id: svc.id,
      scheduler: schedulerByCode(svc.sched),
      flags: svc.flags,
      timeout: svc.timeout,
      netmask: svc.netmask,
      gen: svc.gen,
      tableLen: svc.table_len,
    });
  }
  return out;
}

/** A destination slot of lb_reals, or undefined when the slot is free. */
export function realEntryOf(id: number, v: Buffer | undefined): RealEntry | undefined {
  if (!v || !(v.readUInt32LE(lb_real.fields.flags.offset) & lb_real_flags.LB_REAL_F_USED)) return undefined;
  const r = decode(lb_real, v);
  return {
    id,
    svcId: r.svc_id,
    addr: wordsToAddr(r.addr, familyOf(r.family)),
    port: r.port,
    forward: forwardOf(r.fwd),
    weight: r.weight,
    flags: r.flags,
    upperThreshold: r.u_threshold,
    lowerThreshold: r.l_threshold,
    seq: r.seq,
  };
}

/**
 * The reals of these services, found through each service's live destination list
 * (lb_svc_dests holds every real of a service, in list order) rather than a scan of
 * all LB_MAX_REALS slots of lb_reals, which costs ~0.4 s through the FFI. A real
 * written by a command that died before its service switched tables is not listed:
 * it was never live, and its slot is reused.
 */
export function readReals(dp: Dataplane, services: SvcEntry[]): RealEntry[] {
  const out: RealEntry[] = [];
  const seen = new Set<number>();
  for (const s of services) {
    for (const id of readDests(dp, s).ids) {
      if (seen.has(id)) continue;
      const r = realEntryOf(id, dp.maps.lb_reals.lookup(u32Key(id)));
      if (!r || r.svcId !== s.id) continue;
      seen.add(id);
      out.push(r);
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

export function readState(dp: Dataplane): DpState {
  const services = readServices(dp);
  const reals = readReals(dp, services);
  return {
    services,
    reals: withLastWeights(dp, services, reals), // mh's last weights (schedulers)
    laddrs: readLaddrs(dp, services), // FULLNAT local addresses
    nextSeq: readMeta(dp).next_seq,
  };
}

/** Sums a per-CPU lb_counters entry into IPVS's stats. */
export function readCounters(map: BpfMap, id: number): Stats {
  const v = map.lookup(u32Key(id));
  const s = zeroStats();
  if (!v) return s;
  for (const slot of map.slots(v)) {
    const c = decode(lb_counters, slot);
    addStats(s, { conns: c.conns, inPkts: c.inpkts, outPkts: c.outpkts, inBytes: c.inbytes, outBytes: c.outbytes });
  }
  return s;
}

/** Global per-CPU u64 counters (enum lb_stat), summed. */
export function readGlobalStats(dp: Dataplane, count: number): bigint[] {
  const m = dp.maps.lb_stats;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const v = m.lookup(u32Key(i));
    out.push(v ? m.slots(v).reduce((s, b) => s + b.readBigUInt64LE(0), 0n) : 0n);
  }
  return out;
}

export function readMeta(dp: Dataplane) {
  return decode(lb_meta, dp.maps.lb_meta.lookup(u32Key(0))!);
}
