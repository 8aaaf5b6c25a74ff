// Carries out one parsed ipvsadm command against the pinned data plane:
// read state → plan (pure, all checks) → apply. -R plans every line first and
// applies nothing unless all of them are valid.
import type { Command } from '../ipvsadm/command.js';
import { parseRestoreLine } from '../ipvsadm/parse.js';
import { formatListInOrder, formatListService, formatTimeout } from '../ipvsadm/format-list.js';
import { formatSave } from '../ipvsadm/format-save.js';
import { formatConnections } from '../ipvsadm/format-conn.js';
import { listConnections } from '../bpf/conns.js';
import { formatUsage, formatVersion } from '../ipvsadm/usage.js';
import { Dataplane } from '../bpf/dataplane.js';
import { readMeta, readState } from '../bpf/state.js';
import { applyOps } from '../bpf/apply.js';
import type { Op } from '../plan/ops.js';
import type { DpState } from '../plan/state.js';
import { planCommand } from '../plan/command.js';
import { RestoreLineError, RestorePlanner } from '../plan/restore.js';
import { addrPortString, sameServiceKey, type Addr } from '../model/types.js';
import { LvsError, StateError, UnsupportedError } from '../util/errors.js';
import { withLock } from '../util/lock.js';
import { probeNeighbours } from '../net/neigh.js';
import { buildViews, listingViews } from './views.js';
import type { CliContext } from './context.js';
import { listRate, zeroRatesAfter } from './list-rate.js'; // issue #5
import { listJson } from './list-json.js';
import { filesResolver } from '../ipvsadm/resolve.js';
import { listLaddrs } from './laddr.js';

// Where they lived before src/plan/command.ts and src/plan/restore.ts (the agent imports planCommand from here).
export { planCommand, RestoreLineError };

/** Plans a whole -R input against state; throws at the first bad line, naming it. */
export function planRestore(state: DpState, text: string): Op[] {
  const planner = new RestorePlanner(state);
  text.split('\n').forEach((line, i) => {
    try {
      const cmd = parseRestoreLine(line, i + 1);
      if (!cmd) return;
      if (!planner.add(cmd, i + 1)) throw new StateError(`'${line.trim()}' cannot be restored`);
    } catch (err) {
      const e = planner.earlierError() ?? err; // a table of an earlier line comes first
      if (e instanceof RestoreLineError || !(e instanceof LvsError)) throw e;
      throw e.message.startsWith('line ') ? e : new RestoreLineError(i + 1, e);
    }
  });
  return planner.finish();
}

/**
 * Each address once: a restore names the same real server in many services, and
 * one datagram per address is all neighbour resolution needs.
 */
function distinctAddrs(addrs: Addr[]): Addr[] {
  const seen = new Map<string, Addr>();
  for (const a of addrs) seen.set(addrPortString(a, 0), a);
  return [...seen.values()];
}

function mutate(ctx: CliContext, build: (state: DpState) => Op[]): number {
  return withLock(ctx.pins.dir, () => {
    const dp = Dataplane.open(ctx.pins);
    try {
      const ops = build(readState(dp));
      applyOps(dp, ops);
      const reals = ops.flatMap((o) => (o.op === 'put-real' ? [o.real.addr] : []));
      if (reals.length) probeNeighbours(distinctAddrs(reals));
      return 0;
    } finally {
      dp.close();
    }
  });
}

function list(cmd: Extract<Command, { kind: 'list' }>, ctx: CliContext): number {
  const dp = Dataplane.open(ctx.pins);
  try {
    const meta = readMeta(dp);
    const o = cmd.options;
    if (o.json) return listJson(cmd, ctx, dp); // every listing as JSON (issue #5)
    if (o.timeout) {
      ctx.out(formatTimeout(meta.tcp_timeout, meta.tcpfin_timeout, meta.udp_timeout).trimEnd());
      return 0;
    }
    if (o.connections) {
      const state = readState(dp);
      const timeouts = { tcp: meta.tcp_timeout, tcpfin: meta.tcpfin_timeout, udp: meta.udp_timeout };
      const svcTimeout = (id: number) => state.services.find((s) => s.id === id)?.timeout;
      const entries = listConnections(dp, timeouts, svcTimeout);
      process.stdout.write(formatConnections(entries, o.numeric, { persistentConn: o.persistentConn, resolve: o.numeric ? undefined : filesResolver() }));
      return 0;
    }
    if (o.daemon) return 0; // no sync daemon runs: ipvsadm prints nothing
    if (o.rate) return listRate(cmd, ctx, dp); // the agent's estimator (issue #5)
    const viewOpts = { counters: o.stats, nosort: o.nosort }; // plain -L prints no counters
    const lctx = { connTableSize: meta.conn_size, resolve: o.numeric ? undefined : filesResolver() };
    let text: string;
    if (cmd.key) {
      const [v] = listingViews(dp, { ...viewOpts, only: cmd.key });
      if (!v) throw new StateError('No such service');
      text = formatListService(v, o, lctx);
    } else {
      text = formatListInOrder(listingViews(dp, viewOpts), o, lctx);
    }
    process.stdout.write(text);
    return 0;
  } finally {
    dp.close();
  }
}

export function runIpvsadm(cmd: Command, ctx: CliContext): number {
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(formatUsage(ctx.prog));
      return 0;
    case 'version':
      process.stdout.write(formatVersion(ctx.prog));
      return 0;
    case 'list':
      return list(cmd, ctx);
    case 'save': {
      const dp = Dataplane.open(ctx.pins);
      try {
        const views = buildViews(dp, readState(dp), { counters: false }); // -S saves no counters
        process.stdout.write(formatSave(views, cmd.numeric, cmd.numeric ? undefined : filesResolver()));
      } finally {
        dp.close();
      }
      return 0;
    }
    case 'restore': {
      const text = ctx.readStdin();
      return mutate(ctx, (state) => planRestore(state, text));
    }
    case 'start-daemon':
    case 'stop-daemon':
      throw new UnsupportedError('connection synchronisation daemons are not supported yet');
    case 'list-laddrs':
      return listLaddrs(cmd.key, ctx); // FULLNAT LIPs (issue #3)
    case 'zero': { // the rates are zeroed with the counters, as ip_vs_zero_estimator() (issue #5)
      const rc = mutate(ctx, (state) => planCommand(state, cmd)!);
      zeroRatesAfter(ctx, cmd.key);
      return rc;
    }
    default:
      return mutate(ctx, (state) => planCommand(state, cmd)!);
  }
}
