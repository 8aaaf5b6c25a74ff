// lvs-xdp attach IFACE… [--mode native|generic] [--conn-tab-size N]
// Loads (or upgrades) the director program with the pinned maps and attaches it.
import { loadDirector } from '../bpf/object.js';
import { attachXdp, ifindexOf, type XdpMode } from '../bpf/link.js';
import { ensurePinDir, type PinPaths } from '../bpf/pins.js';
import { lb_limits } from '../bpf/generated/layout.js';
import { directorObject } from '../util/paths.js';
import { withLock } from '../util/lock.js';
import { UsageError } from '../util/errors.js';
import { vethDeliveryProblem } from '../net/veth.js';
import { enableForwarding } from '../net/forwarding.js';
import type { CliContext } from './context.js';

export interface AttachArgs {
  ifaces: string[];
  mode?: XdpMode;
  connSize: number;
}

export function parseAttachArgs(argv: string[]): AttachArgs {
  const out: AttachArgs = { ifaces: [], connSize: lb_limits.LB_DEFAULT_CONNS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--mode') {
      const m = argv[++i];
      if (m !== 'native' && m !== 'generic') throw new UsageError(`attach: --mode takes native or generic, not '${m ?? ''}'`);
      out.mode = m;
    } else if (a === '--conn-tab-size') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1024 || n > 1 << 26) {
        throw new UsageError('attach: --conn-tab-size takes a whole number from 1024 to 67108864');
      }
      out.connSize = n;
    } else if (a.startsWith('-')) {
      throw new UsageError(`attach: unknown option ${a}`);
    } else {
      out.ifaces.push(a);
    }
  }
  if (out.ifaces.length === 0) throw new UsageError('attach: name at least one interface (lvs-xdp attach IFACE…)');
  return out;
}

export function attachCommand(argv: string[], ctx: CliContext): number {
  const args = parseAttachArgs(argv);
  for (const i of args.ifaces) ifindexOf(i); // every name valid before anything changes
  return withLock(ctx.pins.dir, () => attach(args, ctx.pins, ctx));
}

function attach(args: AttachArgs, pins: PinPaths, ctx: CliContext): number {
  ensurePinDir(pins);
  const prog = loadDirector({ objPath: directorObject(), pins, connSize: args.connSize });
  try {
    for (const ifname of args.ifaces) {
      const r = attachXdp(pins, ifname, prog.progFd, args.mode);
      if (r.fallbackReason) ctx.err(`warning: ${r.fallbackReason}; using generic XDP on ${ifname} (slower)`);
      ctx.out(`${r.replaced ? 'replaced program on' : 'attached to'} ${ifname} (${r.mode} XDP)`);
      const changed = enableForwarding(pins, ifname);
      if (changed.length) ctx.out(`enabled ${changed.join(', ')} (next-hop lookups need it; detach restores it)`);
      const problem = vethDeliveryProblem(ifname);
      if (problem) ctx.err(`warning: ${problem}`);
    }
  } finally {
    prog.close();
  }
  return 0;
}
