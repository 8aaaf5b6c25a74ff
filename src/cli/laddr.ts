// `-G [-t|-u service]`: the FULLNAT local addresses with their counters (issue #3).
import type { ServiceKey } from '../model/types.js';
import { Dataplane } from '../bpf/dataplane.js';
import { readState } from '../bpf/state.js';
import { countLaddrConns, readLaddrCounters } from '../bpf/fwd-state.js';
import { laddrListTargets, laddrsOf } from '../plan/laddr.js';
import { formatLaddrs, type LaddrService } from '../ipvsadm/format-laddr.js';
import { cmpServices, glibcSort } from '../ipvsadm/sort.js';
import { serviceOf } from './views.js';
import type { CliContext } from './context.js';

export function listLaddrs(key: ServiceKey | undefined, ctx: CliContext): number {
  const dp = Dataplane.open(ctx.pins);
  try {
    const state = readState(dp);
    const targets = glibcSort(laddrListTargets(state, key), (a, b) => cmpServices(serviceOf(a), serviceOf(b)));
    const conns = countLaddrConns(dp);
    const rows: LaddrService[] = targets.map((s) => ({
      key: s.key,
      laddrs: laddrsOf(state, s.id).map((addr, i) => ({
        addr,
        conflicts: readLaddrCounters(dp, s.id, i).conflicts,
        conns: conns.get(`${s.id}|${addr.ip}`) ?? 0,
      })),
    }));
    process.stdout.write(formatLaddrs(rows));
    return 0;
  } finally {
    dp.close();
  }
}
