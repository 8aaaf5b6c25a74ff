// `-L … --json`: every listing as JSON (src/ipvsadm/format-json.ts, schema in
// docs/json-schema.json). Which listing follows the same options as the text:
// -c connections, --timeout, --daemon, otherwise the services (with counters,
// rates, connection counts, thresholds and persistence all at once).
import type { Dataplane } from '../bpf/dataplane.js';
import { readMeta, readState } from '../bpf/state.js';
import { listConnections } from '../bpf/conns.js';
import type { Command } from '../ipvsadm/command.js';
import {
  formatConnectionsJson, formatDaemonsJson, formatListJson, formatTimeoutJson,
} from '../ipvsadm/format-json.js';
import { filesResolver } from '../ipvsadm/resolve.js';
import type { Stats } from '../model/types.js';
import { zeroStats } from '../model/types.js';
import { buildViews } from './views.js';
import { pickService, withRates } from './list-rate.js';
import type { CliContext } from './context.js';

export function listJson(cmd: Extract<Command, { kind: 'list' }>, ctx: CliContext, dp: Dataplane): number {
  const meta = readMeta(dp);
  const o = cmd.options;
  const resolve = o.numeric ? undefined : filesResolver();
  let text: string;
  if (o.timeout) {
    text = formatTimeoutJson(meta.tcp_timeout, meta.tcpfin_timeout, meta.udp_timeout);
  } else if (o.daemon) {
    text = formatDaemonsJson([]); // no sync daemon runs in this build
  } else if (o.connections) {
    const state = readState(dp);
    const timeouts = { tcp: meta.tcp_timeout, tcpfin: meta.tcpfin_timeout, udp: meta.udp_timeout };
    const svcTimeout = (id: number) => state.services.find((s) => s.id === id)?.timeout;
    text = formatConnectionsJson(listConnections(dp, timeouts, svcTimeout), o.numeric, resolve);
  } else {
    const state = readState(dp);
    const rv = withRates(dp, state, buildViews(dp, state));
    const services = pickService(rv.services, cmd.key);
    const stats: Stats = zeroStats();
    for (const v of rv.services) {
      stats.conns += v.stats.conns;
      stats.inPkts += v.stats.inPkts;
      stats.outPkts += v.stats.outPkts;
      stats.inBytes += v.stats.inBytes;
      stats.outBytes += v.stats.outBytes;
    }
    text = formatListJson(services, o, {
      connTableSize: meta.conn_size,
      resolve,
      ratesFresh: rv.fresh,
      total: cmd.key ? undefined : { stats, rates: rv.total },
    });
  }
  process.stdout.write(text);
  return 0;
}
