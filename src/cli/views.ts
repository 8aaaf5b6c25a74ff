// From the decoded data plane to what the listings print.
import type { Real, Service } from '../model/types.js';
import type { DpState, RealEntry, SvcEntry } from '../plan/state.js';
import { realsOf } from '../plan/state.js';
import { netmaskText, schedFlagsOf } from '../plan/encode-service.js';
import { lb_svc_flags } from '../bpf/generated/layout.js';
import { readCounters } from '../bpf/state.js';
import { readRealConns } from '../bpf/conns.js';
import type { Dataplane } from '../bpf/dataplane.js';
import type { ListedService } from '../ipvsadm/format-list.js';

export function serviceOf(s: SvcEntry): Service {
  const persistent = (s.flags & lb_svc_flags.LB_SVC_F_PERSISTENT) !== 0;
  return {
    ...s.key,
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

/**
 * Services with their reals and counters. ActiveConn/InActConn/PersistConn are
 * lb_real_conns, kept by the data plane at every state change and expiry and
 * recounted by its expiry sweep (bpf/include/gc.h).
 */
export function buildViews(dp: Dataplane, state: DpState): ListedService[] {
  return state.services.map((s) => ({
    service: serviceOf(s),
    stats: readCounters(dp.maps.lb_svc_stats, s.id),
    reals: realsOf(state, s.id).map((r) => ({
      real: realOf(r),
      counts: readRealConns(dp, r.id),
      stats: readCounters(dp.maps.lb_real_stats, r.id),
    })),
    ...(state.laddrs?.[s.id]?.length ? { laddrs: state.laddrs[s.id] } : {}), // FULLNAT LIPs (issue #3)
  }));
}
