// lvs-xdp agent [--metrics ADDR:PORT]
// The long-running home of periodic control-plane work. Runs in the foreground
// (systemd: Type=simple, see contrib/lvs-xdp-agent.service); the data plane does
// not depend on it: stopping or killing the agent never stops forwarding.
import { Dataplane } from '../bpf/dataplane.js';
import { parseListen, startMetricsServer, type ListenAddr } from '../agent/metrics-server.js';
import { renderMetrics } from '../agent/metrics.js';
import { readSnapshot } from '../agent/snapshot.js';
import { UsageError } from '../util/errors.js';
import type { CliContext } from './context.js';

export interface AgentArgs {
  metrics?: ListenAddr;
}

export function parseAgentArgs(argv: string[]): AgentArgs {
  const out: AgentArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--metrics') {
      const v = argv[++i];
      if (!v) throw new UsageError('agent: --metrics needs ADDR:PORT');
      out.metrics = parseListen(v);
    } else if (a.startsWith('--metrics=')) {
      out.metrics = parseListen(a.slice('--metrics='.length));
    } else {
      throw new UsageError(`agent: unknown argument ${a}`);
    }
  }
  return out;
}

export async function agentCommand(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseAgentArgs(argv);
  // Fail now, not at the first scrape, when there is no data plane.
  Dataplane.open(ctx.pins).close();
  const render = (): string => {
    const dp = Dataplane.open(ctx.pins);
    try {
      return renderMetrics(readSnapshot(dp));
    } finally {
      dp.close();
    }
  };
  const server = args.metrics
    ? await startMetricsServer(args.metrics, render, (e) => ctx.err(`agent: metrics: ${e.message}`))
    : undefined;
  if (args.metrics) ctx.out(`agent: serving metrics on http://${args.metrics.host.includes(':') ? `[${args.metrics.host}]` : args.metrics.host}:${args.metrics.port}/metrics`);
  ctx.out('agent: running (SIGTERM or Ctrl-C stops it; the data plane keeps forwarding)');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  ctx.out('agent: stopped');
  return 0;
}
