// Every scheduler by name: which kind it is, and its table builder if it has one.
// Table schedulers (rr, wrr, sh, dh, mh) get their table from here; connection
// schedulers decide in the data plane (bpf/include/sched_conn.h, sched_lblc.h)
// from the destination list the planner writes for every service.
import type { SchedulerName } from '../model/types.js';
import { lb_limits, lb_sched } from '../bpf/generated/layout.js';
import { rrTable } from './rr.js';
import { wrrTable } from './wrr.js';
import { shTable } from './sh.js';
import { dhTable } from './dh.js';
import { mhTable } from './mh.js';
import type { TableEntry } from './table.js';

export interface SchedulerInfo {
  name: SchedulerName;
  code: number;
  /** Builds the table from destinations in list order; absent: a connection scheduler. */
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
  dh: { name: 'dh', code: lb_sched.LB_SCHED_DH, table: dhTable },
  sh: { name: 'sh', code: lb_sched.LB_SCHED_SH, table: shTable },
  sed: { name: 'sed', code: lb_sched.LB_SCHED_SED },
  nq: { name: 'nq', code: lb_sched.LB_SCHED_NQ },
  fo: { name: 'fo', code: lb_sched.LB_SCHED_FO },
  ovf: { name: 'ovf', code: lb_sched.LB_SCHED_OVF },
  mh: { name: 'mh', code: lb_sched.LB_SCHED_MH, table: mhTable },
  twos: { name: 'twos', code: lb_sched.LB_SCHED_TWOS },
};

/** Schedulers this build's data plane can run: all fourteen. */
export function isImplemented(name: SchedulerName): boolean {
  return SCHEDULER_INFO[name] !== undefined;
}

export function schedulerByCode(code: number): SchedulerName {
  const s = Object.values(SCHEDULER_INFO).find((i) => i.code === code);
  if (!s) throw new RangeError(`unknown scheduler code ${code}`);
  return s.name;
}
