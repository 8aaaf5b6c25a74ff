// Between the user's Service (model) and the data plane's service entry fields.
import type { SchedFlag, Service } from '../model/types.js';
import { lb_svc_flags } from '../bpf/generated/layout.js';

const FLAG_BITS: Record<SchedFlag, number> = {
  'flag-1': lb_svc_flags.LB_SVC_F_SCHED1,
  'sh-fallback': lb_svc_flags.LB_SVC_F_SCHED1,
  'mh-fallback': lb_svc_flags.LB_SVC_F_SCHED1,
  'flag-2': lb_svc_flags.LB_SVC_F_SCHED2,
  'sh-port': lb_svc_flags.LB_SVC_F_SCHED2,
  'mh-port': lb_svc_flags.LB_SVC_F_SCHED2,
  'flag-3': lb_svc_flags.LB_SVC_F_SCHED3,
};

export function serviceFlags(s: Service): number {
  let f = 0;
  if (s.persistence !== undefined) f |= lb_svc_flags.LB_SVC_F_PERSISTENT;
  if (s.onePacket) f |= lb_svc_flags.LB_SVC_F_ONEPACKET;
  for (const fl of s.schedFlags) f |= FLAG_BITS[fl];
  return f;
}

/** Scheduler flags back from bits, named for the scheduler as ipvsadm prints them. */
export function schedFlagsOf(flags: number, scheduler: string): SchedFlag[] {
  const out: SchedFlag[] = [];
  const prefix = scheduler === 'sh' ? 'sh' : scheduler === 'mh' ? 'mh' : undefined;
  if (flags & lb_svc_flags.LB_SVC_F_SCHED1) out.push(prefix ? (`${prefix}-fallback` as SchedFlag) : 'flag-1');
  if (flags & lb_svc_flags.LB_SVC_F_SCHED2) out.push(prefix ? (`${prefix}-port` as SchedFlag) : 'flag-2');
  if (flags & lb_svc_flags.LB_SVC_F_SCHED3) out.push('flag-3');
  return out;
}

/** -M as stored: an IPv4 mask as a 32-bit number, an IPv6 prefix length as is. */
export function netmaskValue(s: Service): number {
  if (s.addr.family === 'inet6') return typeof s.netmask === 'number' ? s.netmask : 128;
  if (typeof s.netmask !== 'string') return 0xffffffff;
  return s.netmask.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

export function netmaskText(v: number, family: 'inet' | 'inet6'): string | number {
  if (family === 'inet6') return v;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
