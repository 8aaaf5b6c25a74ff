// Every scheduler by name: which kind it is, and its table builder if it has one.
// Table schedulers get their sequence from here; connection schedulers decide in
// the data plane (bpf/include/sched.h).
import type { SchedulerName } from '../model/types.js';
import { lb_limits, lb_sched } from '../bpf/generated/layout.js';
import { rrTable } from './rr.js';
import { wrrTable } from './wrr.js';
import type { TableEntry } from './table.js';

export interface SchedulerInfo {
  name: SchedulerName;
  code: number;
  /** Builds the table from destinations in list order; absent: not implemented yet. */
  table?: (dests: TableEntry[]) => number[];
}

const MAX = lb_limits.LB_MAX_TABLE;

export const SCHEDULER_INFO: Record<SchedulerName, SchedulerInfo> = {
  rr: { name: 'rr', code: lb_sched.LB_SCHED_RR, table: rrTable },
  wrr: { name: 'wrr', code: lb_sched.LB_SCHED_WRR, table: (d) => wrrTable(d, MAX) },
  lc: { name: 'lc', code: lb_sched.LB_SCHED_LC },
  wlc: { name: 'wlc', code: lb_sched.LB_SCHED_WLC },
  lblc: { name: 'lblc', code: lb_sched.LB_SCHED_LBLC },
  lblcr: { name: 'lblcr', code: lb_sched.LB_SCHED_LBLCR },
  dh: { name: 'dh', code: lb_sched.LB_SCHED_DH },
  sh: { name: 'sh', code: lb_sched.LB_SCHED_SH },
  sed: { name: 'sed', code: lb_sched.LB_SCHED_SED },
  nq: { name: 'nq', code: lb_sched.LB_SCHED_NQ },
  fo: { name: 'fo', code: lb_sched.LB_SCHED_FO },
  ovf: { name: 'ovf', code: lb_sched.LB_SCHED_OVF },
  mh: { name: 'mh', code: lb_sched.LB_SCHED_MH },
  twos: { name: 'twos', code: lb_sched.LB_SCHED_TWOS },
};

/** Schedulers this build's data plane can run. */
export function isImplemented(name: SchedulerName): boolean {
  return SCHEDULER_INFO[name].table !== undefined;
}

export function schedulerByCode(code: number): SchedulerName {
  const s = Object.values(SCHEDULER_INFO).find((i) => i.code === code);
  if (!s) throw new RangeError(`unknown scheduler code ${code}`);
  return s.name;
}
