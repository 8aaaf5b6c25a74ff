// lvs-xdp monitor [--interval 1s] [--once] [--no-color] [--width N]: the live Ink
// console, or one plain-text frame with --once.
import { createElement } from 'react';
import { Dataplane } from '../bpf/dataplane.js';
import { EST_PERIOD_MS } from '../agent/estimator.js';
import { MapReader } from '../monitor/reader.js';
import { Sampler } from '../monitor/sampler.js';
import { LiveSource } from '../monitor/source.js';
import { ipvsadmRunner } from '../monitor/actions.js';
import { plainFrame } from '../monitor/frame.js';
import { DEFAULT_CONN_LIMIT } from '../monitor/connections.js';
import { UsageError } from '../util/errors.js';
import type { CliContext } from './context.js';

export const MONITOR_USAGE = [
  'Usage: lvs-xdp monitor [--interval 1s] [--no-color] [--pin-dir DIR]',
  '       lvs-xdp monitor --once [--width N]',
  '  --interval T   refresh every T: 1s, 500ms, 2s (100ms to 60s; default 1s)',
  '  --once         print one frame as plain text (counters read twice, 2 s apart) and exit',
  '  --no-color     no colours (also when NO_COLOR is set)',
  '  --width N      columns of the --once frame (default: the terminal, or 80)',
  '  --conn-limit N connection entries read per refresh (default 5000)',
].join('\n');

export interface MonitorArgs {
  help: boolean;
  intervalMs: number;
  once: boolean;
  color: boolean;
  width?: number;
  connLimit: number;
}

/** 1s, 500ms, 1.5s, 2 (seconds) → milliseconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const bad = () => new UsageError(`monitor: illegal interval '${text}' (like 1s or 500ms, from 100ms to 60s)`);
  if (!m) throw bad();
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (!Number.isFinite(ms) || ms < 100 || ms > 60_000) throw bad();
  return Math.round(ms);
}

function parseCount(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`monitor: ${name} needs a number from ${min} to ${max}${text === undefined ? '' : `, not '${text}'`}`);
  }
  return Number(text);
}

export function parseMonitorArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): MonitorArgs {
  const out: MonitorArgs = {
    help: false, intervalMs: 1000, once: false,
    color: !(env.NO_COLOR !== undefined && env.NO_COLOR !== ''), connLimit: DEFAULT_CONN_LIMIT,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`monitor: option '${name}' needs a value`);
      return v;
    };
    switch (name) {
      case '-h': case '--help': out.help = true; break;
      case '--interval': case '-i': out.intervalMs = parseInterval(value()); break;
      case '--once': out.once = true; break;
      case '--no-color': case '--no-colour': out.color = false; break;
      case '--width': out.width = parseCount('--width', value(), 40, 1000); break;
      case '--conn-limit': out.connLimit = parseCount('--conn-limit', value(), 0, 1_000_000); break;
      default: throw new UsageError(`monitor: unknown option '${arg}' (lvs-xdp monitor --help)`);
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function once(a: MonitorArgs, ctx: CliContext): Promise<number> {
  const reader = new MapReader(ctx.pins);
  try {
    const sampler = new Sampler({ pinDir: ctx.pins.dir, intervalMs: EST_PERIOD_MS });
    sampler.update(reader.read({ connLimit: a.connLimit }), 1, false);
    await sleep(EST_PERIOD_MS);
    const snap = sampler.update(reader.read({ connLimit: a.connLimit }), 2, false);
    const width = a.width ?? (process.stdout.isTTY ? process.stdout.columns : 80);
    process.stdout.write(plainFrame(snap, width));
    return 0;
  } finally {
    reader.close();
  }
}

async function live(a: MonitorArgs, ctx: CliContext): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('monitor: needs a terminal (use --once for a plain-text frame)');
  }
  Dataplane.open(ctx.pins).close(); // a clear one-line error before the screen is taken
  // Ink shows only the last frame when it believes it runs in CI; on a terminal the
  // user asked for a live screen. (Ink reads this when it is loaded, hence the late import.)
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const { render } = await import('ink');
  const { MonitorRoot } = await import('../../ui/App.js');
  const source = new LiveSource({
    reader: new MapReader(ctx.pins), runner: ipvsadmRunner(ctx.pins, ctx.prog),
    pinDir: ctx.pins.dir, intervalMs: a.intervalMs, connLimit: a.connLimit,
  });
  process.stdout.write('\x1b[?1049h\x1b[H'); // alternate screen: the shell's screen comes back on exit
  const restore = () => process.stdout.write('\x1b[?1049l');
  const inst = render(createElement(MonitorRoot, { source, display: { color: a.color } }), {
    exitOnCtrlC: false, patchConsole: true, incrementalRendering: false, maxFps: 15,
  });
  const quit = () => inst.unmount();
  process.once('SIGTERM', quit);
  process.once('SIGHUP', quit);
  source.start();
  try {
    await inst.waitUntilExit();
  } finally {
    source.stop();
    process.off('SIGTERM', quit);
    process.off('SIGHUP', quit);
    restore();
  }
  return 0;
}

export async function monitorCommand(argv: string[], ctx: CliContext): Promise<number> {
  const a = parseMonitorArgs(argv);
  if (a.help) {
    ctx.out(MONITOR_USAGE);
    return 0;
  }
  return a.once ? once(a, ctx) : live(a, ctx);
}
