// lb_stat counter names without the prefix, in enum order (as `lvs-xdp status` prints
// them), from the generated layout only: no map handles needed.
import { lb_stat } from '../bpf/generated/layout.js';

export function statNames(): string[] {
  return Object.entries(lb_stat)
    .filter(([k]) => k !== 'LB_STAT__MAX')
    .sort((a, b) => a[1] - b[1])
    .map(([k]) => k.replace(/^LB_STAT_/, '').toLowerCase());
}
