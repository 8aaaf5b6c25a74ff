// lvs-xdp agent [--config FILE] [--metrics ADDR:PORT]
// lvs-xdp agent reload
// The long-running home of periodic control-plane work: keepalived virtual_server
// health checks (--config), the metrics endpoint (--metrics). Runs in the foreground
// (systemd: Type=simple, see contrib/lvs-xdp-agent.service); the data plane does not
// depend on it: stopping or killing the agent never stops forwarding.
// SIGHUP (or `lvs-xdp agent reload`, which finds the agent by its pid file) re-reads the
// configuration and applies only the difference.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Dataplane } from '../bpf/dataplane.js';
import { parseListen, startMetricsServer, type ListenAddr } from '../agent/metrics-server.js';
import { renderMetrics } from '../agent/metrics.js';
import { readSnapshot } from '../agent/snapshot.js';
import { startRatesLoop } from '../agent/rates.js';
import { AgentRunner, pinnedDataplane } from '../agent/runner.js';
import {
  agentFiles, claimPidFile, NoAgentError, readOwned, readReloadStatus, releasePidFile, runningAgent,
  writeOwned, writeReloadStatus, type AgentFiles,
} from '../agent/pidfile.js';
import { LvsError, UsageError } from '../util/errors.js';
import type { CliContext } from './context.js';

export interface AgentArgs {
  metrics?: ListenAddr;
  config?: string;
}

export function parseAgentArgs(argv: string[]): AgentArgs {
  const out: AgentArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--metrics' || a === '--config') {
      const v = argv[++i];
      if (!v) throw new UsageError(`agent: ${a} needs ${a === '--metrics' ? 'ADDR:PORT' : 'FILE'}`);
      if (a === '--metrics') out.metrics = parseListen(v);
      else out.config = v;
    } else if (a.startsWith('--metrics=')) {
      out.metrics = parseListen(a.slice('--metrics='.length));
    } else if (a.startsWith('--config=')) {
      out.config = a.slice('--config='.length);
      if (!out.config) throw new UsageError('agent: --config needs FILE');
    } else {
      throw new UsageError(`agent: unknown argument ${a} (usage: agent [--config FILE] [--metrics ADDR:PORT] | agent reload)`);
    }
  }
  return out;
}

const stamp = (): string => new Date().toISOString();

export async function agentCommand(argv: string[], ctx: CliContext): Promise<number> {
  if (argv[0] === 'reload') return reloadCommand(argv.slice(1), ctx);
  const args = parseAgentArgs(argv);
  // Fail now, not at the first scrape or check, when there is no data plane.
  Dataplane.open(ctx.pins).close();
  const files = agentFiles(ctx.pins.dir);
  const dpId = String(statSync(join(ctx.pins.maps, 'lb_meta')).ino); // which incarnation of the maps
  const log = (line: string): void => ctx.out(`${stamp()} agent: ${line}`);
  const runner = args.config
    ? new AgentRunner({
      configFile: resolve(args.config),
      port: pinnedDataplane(ctx.pins),
      log,
      owned: { load: () => readOwned(files, dpId), save: (k) => writeOwned(files, k, dpId) },
    })
    : undefined;
  claimPidFile(files, ctx.pins.dir);
  let seq = 0;
  const onHup = (): void => {
    seq++;
    const r = runner ? runner.reload() : { ok: true, message: 'no --config given: nothing to reload' };
    if (!runner) log(r.message);
    writeReloadStatus(files, { pid: process.pid, seq, ok: r.ok, message: r.message });
  };
  process.on('SIGHUP', onHup);
  try {
    writeReloadStatus(files, { pid: process.pid, seq, ok: true, message: 'started' });
    runner?.start(); // a syntax error ends here: file:line printed, nothing applied
    const rates = startRatesLoop(ctx.pins, (e) => log(`rates: ${e.message}`)); // -Ln --rate (issue #5)
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
    if (args.metrics) log(`serving metrics on http://${args.metrics.host.includes(':') ? `[${args.metrics.host}]` : args.metrics.host}:${args.metrics.port}/metrics`);
    log(`running, pid ${process.pid} (SIGHUP or 'lvs-xdp agent reload' reloads; SIGTERM or Ctrl-C stops; the data plane keeps forwarding)`);
    await new Promise<void>((done) => {
      process.once('SIGTERM', () => done());
      process.once('SIGINT', () => done());
    });
    await runner?.stop();
    rates.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    log('stopped (the data plane keeps forwarding with the pools as they are)');
    return 0;
  } finally {
    process.removeListener('SIGHUP', onHup);
    releasePidFile(files);
  }
}

export class ReloadFailedError extends LvsError {}

/** Sends SIGHUP to the agent of this data plane and reports what it made of the reload. */
export async function reloadCommand(argv: string[], ctx: CliContext, files: AgentFiles = agentFiles(ctx.pins.dir), waitMs = 10_000): Promise<number> {
  if (argv.length) throw new UsageError(`agent reload: unexpected argument ${argv[0]}`);
  const pid = runningAgent(files);
  if (pid === undefined) throw new NoAgentError(ctx.pins.dir, files.pid);
  const prev = readReloadStatus(files);
  const prevSeq = prev?.pid === pid ? prev.seq : 0;
  process.kill(pid, 'SIGHUP');
  const end = Date.now() + waitMs;
  while (Date.now() < end) {
    const s = readReloadStatus(files);
    if (s && s.pid === pid && s.seq > prevSeq) {
      if (!s.ok) throw new ReloadFailedError(`agent reload: ${s.message}`, 1);
      ctx.out(`agent (pid ${pid}): ${s.message}`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ReloadFailedError(`agent reload: sent SIGHUP to pid ${pid}, no answer within ${waitMs / 1000} s`, 1);
}
