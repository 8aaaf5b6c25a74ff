// `lvs-xdp realserver up|down --vip VIP [--vip VIP6] [--mode dr|tun] [--netns NAME]` (pure).
import { UsageError } from '../util/errors.js';
import type { RealserverMode } from './plan.js';

export interface RealserverArgs {
  action: 'up' | 'down' | 'help';
  vips: string[];
  mode: RealserverMode;
  netns?: string;
  stateDir?: string;
}

export const REALSERVER_USAGE = [
  'Usage: lvs-xdp realserver up   --vip VIP [--vip VIP6 ...] [--mode dr|tun] [--netns NAME]',
  '       lvs-xdp realserver down [--vip VIP ...] [--mode dr|tun] [--netns NAME]',
  '  up:   put each VIP on lo (/32, /128) and set arp_ignore=1, arp_announce=2 (all, lo)',
  '  down: remove the VIPs (default: all that up added) and restore the saved sysctls',
].join('\n');

/** Options that take a value; both `--opt VALUE` and `--opt=VALUE` are accepted. */
const VALUED = new Set(['--vip', '--mode', '--netns', '--state-dir']);

export function parseRealserverArgs(argv: readonly string[]): RealserverArgs {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    return { action: 'help', vips: [], mode: 'dr' };
  }
  if (verb !== 'up' && verb !== 'down') throw new UsageError(`realserver: unknown action '${verb}' (up or down)`);
  const out: RealserverArgs = { action: verb, vips: [], mode: 'dr' };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '-h' || arg === '--help') return { action: 'help', vips: [], mode: 'dr' };
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUED.has(name)) throw new UsageError(`realserver: unknown option '${arg}'`);
    let value: string | undefined;
    if (name !== arg) value = arg.slice(eq + 1);
    else value = rest[++i];
    if (value === undefined || value === '') throw new UsageError(`realserver: option '${name}' needs a value`);
    switch (name) {
      case '--vip':
        out.vips.push(value);
        break;
      case '--mode':
        if (value !== 'dr' && value !== 'tun') throw new UsageError(`realserver: illegal mode '${value}' (dr or tun)`);
        out.mode = value;
        break;
      case '--netns':
        out.netns = value;
        break;
      case '--state-dir':
        out.stateDir = value;
        break;
    }
  }
  if (out.action === 'up' && out.vips.length === 0) throw new UsageError('realserver up needs --vip VIP');
  return out;
}
