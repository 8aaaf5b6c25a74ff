// One read of everything the agent exports: services with their reals and counters,
// verdict counters in total and per CPU. Read from the pinned maps, never cached.
import type { Dataplane } from '../bpf/dataplane.js';
import { u32Key } from '../bpf/map.js';
import { listingViews } from '../cli/views.js';
import { isVerdict, statNames } from '../bpf/stat-names.js';
import type { MetricsInput } from './metrics.js';

export function readSnapshot(dp: Dataplane): MetricsInput {
  const names = statNames();
  const m = dp.maps.lb_stats;
  const verdicts: MetricsInput['verdicts'] = [];
  const perCpu: bigint[] = [];
  names.forEach((name, i) => {
    const v = m.lookup(u32Key(i));
    const slots = v ? m.slots(v).map((b) => b.readBigUInt64LE(0)) : [];
    verdicts.push({ name, count: slots.reduce((a, b) => a + b, 0n) });
    // events (conn_*, reply_nat, icmp_*, ...) come on top of a packet's verdict: not packets
    if (isVerdict(name)) slots.forEach((c, cpu) => (perCpu[cpu] = (perCpu[cpu] ?? 0n) + c));
  });
  // listingViews, not buildViews(readState): the same views without the planner's state
  // (metrics print no local addresses); in the table's order, as before
  return { services: [...listingViews(dp, { nosort: true })], verdicts, perCpuPackets: perCpu };
}
