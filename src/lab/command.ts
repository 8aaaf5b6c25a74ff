// CLI entry of `lvs-xdp lab up|down`; src/cli/ dispatches here.
import { UsageError } from '../util/errors.js';
import { exitStatusOf } from '../util/report.js';
import { labUp } from './lab.js';
import type { ServerKind } from './plan.js';
import { DEFAULT_PREFIX } from './topology.js';
import { scenarioDown, scenarioUp } from './scenario-run.js';

export const LAB_USAGE = [
  'Usage: lvs-xdp lab up   [--prefix P] [--servers name|nginx] [--scenario NAME [--no-check]]',
  '       lvs-xdp lab down [--prefix P]',
  `  namespaces P-sw (bridge), P-client, P-dir, P-rs1..3 on 192.0.2.0/24 and 2001:db8::/64 (P default ${DEFAULT_PREFIX})`,
  '  --scenario NAME  play lab/scenarios/NAME.json (dr, tun, nat, fullnat): build its networks, attach',
  '                   the director, run its lvs-xdp commands, then check it from the client',
  '                   (--no-check skips the check); data plane pinned in /sys/fs/bpf/P-dir',
].join('\n');

export interface LabArgs {
  action: 'up' | 'down' | 'help';
  prefix: string;
  servers: ServerKind;
  /** `--scenario NAME`: play a scenario of lab/scenarios instead of the bare lab. */
  scenario?: string;
  /** `--no-check`: with --scenario, skip its checks. */
  noCheck?: boolean;
}

export function parseLabArgs(argv: readonly string[]): LabArgs {
  const [verb, ...rest] = argv;
  const out: LabArgs = { action: 'help', prefix: DEFAULT_PREFIX, servers: 'name' };
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') return out;
  if (verb !== 'up' && verb !== 'down') throw new UsageError(`lab: unknown action '${verb}' (up or down)`);
  out.action = verb;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === '') throw new UsageError(`lab: option '${name}' needs a value`);
      return v;
    };
    if (name === '--prefix') out.prefix = value();
    else if (name === '--servers' && verb === 'up') {
      const v = value();
      if (v !== 'name' && v !== 'nginx') throw new UsageError(`lab: illegal --servers '${v}' (name or nginx)`);
      out.servers = v;
    } else if (name === '--scenario' && verb === 'up') out.scenario = value();
    else if (name === '--no-check' && verb === 'up' && inline === undefined) out.noCheck = true;
    else throw new UsageError(`lab: unknown option '${arg}'`);
  }
  return out;
}

/** Runs the command; returns the exit status. Typed errors become one line on stderr. */
export async function labCommand(argv: string[]): Promise<number> {
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  return exitStatusOf(async () => {
    const args = parseLabArgs(argv);
    if (args.action === 'help') {
      log(LAB_USAGE);
      return 0;
    }
    if (args.noCheck && !args.scenario) throw new UsageError('lab: --no-check needs --scenario');
    if (args.action === 'down') {
      // Also removes the pinned data plane a scenario left in /sys/fs/bpf/P-dir.
      await scenarioDown(args.prefix, { log });
      return 0;
    }
    if (args.scenario) {
      const { lab } = await scenarioUp({ name: args.scenario, prefix: args.prefix, servers: args.servers, check: !args.noCheck, log });
      for (const h of lab.hosts) log(`${h.role} ${h.netns} ${h.ifaces.map((i) => `${i.ifname} ${i.ipv4} ${i.ipv6}`).join(', ')}`);
      log(`director's data plane: nsenter --net=/run/netns/${lab.director.netns} lvs-xdp --pin-dir ${lab.pinDir} -Ln`);
      return 0;
    }
    const info = await labUp({ prefix: args.prefix, servers: args.servers, log });
    log(`client ${info.client.netns} ${info.client.ipv4} ${info.client.ipv6}`);
    log(`director ${info.director.netns} DIP ${info.director.ipv4} ${info.director.ipv6} VIP ${info.vip4} ${info.vip6}`);
    for (const rs of info.reals) log(`real ${rs.netns} ${rs.ipv4} ${rs.ipv6}`);
    return 0;
  });
}
