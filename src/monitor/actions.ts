// Changes made from the monitor go through exactly what `lvs-xdp -e` runs: the
// ipvsadm parser (every check and error text), then runIpvsadm (read state → plan →
// apply under the lock). The monitor builds the command line a user would type.
import { parseIpvsadm } from '../ipvsadm/parse.js';
import { runIpvsadm } from '../cli/ipvsadm.js';
import { addrPortString, type Real, type Service } from '../model/types.js';
import type { PinPaths } from '../bpf/pins.js';
import type { CliContext } from '../cli/context.js';
import { LvsError } from '../util/errors.js';
import type { ActionResult } from './types.js';

const FORWARD_FLAG: Record<Real['forward'], string> = { dr: '-g', tun: '-i', nat: '-m', fullnat: '--fullnat' };

/** ipvsadm arguments that set real's weight, keeping everything else it has. */
export function editWeightArgs(service: Service, real: Real, weightText: string): string[] {
  const args = [
    '-e', service.protocol === 'tcp' ? '-t' : '-u', addrPortString(service.addr, service.port),
    '-r', addrPortString(real.addr, real.port), FORWARD_FLAG[real.forward], '-w', weightText,
  ];
  if (real.upperThreshold) args.push('-x', String(real.upperThreshold));
  if (real.lowerThreshold) args.push('-y', String(real.lowerThreshold));
  return args;
}

export type Runner = (args: string[]) => ActionResult;

/** Runs ipvsadm arguments against the data plane in pins; errors come back as text. */
export function ipvsadmRunner(pins: PinPaths, prog = 'lvs-xdp'): Runner {
  return (args) => {
    const lines: string[] = [];
    const ctx: CliContext = {
      pins,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      readStdin: () => '',
      prog,
    };
    try {
      const cmd = parseIpvsadm(args);
      if (cmd.kind !== 'edit-real') return { ok: false, message: `not a real-server edit: ${args.join(' ')}` };
      const rc = runIpvsadm(cmd, ctx);
      return rc === 0 ? { ok: true, message: '' } : { ok: false, message: lines.join('; ') || `exit status ${rc}` };
    } catch (e) {
      if (e instanceof LvsError) return { ok: false, message: e.message };
      return { ok: false, message: `internal error: ${(e as Error).message}` };
    }
  };
}

/** Remembers weights before a drain so `d` can put them back. */
export class WeightActions {
  private readonly before = new Map<string, number>();

  constructor(private readonly run: Runner, private readonly prog = 'lvs-xdp') {}

  private key(s: Service, r: Real): string {
    return `${s.protocol}:${addrPortString(s.addr, s.port)}>${addrPortString(r.addr, r.port)}`;
  }

  setWeight(s: Service, r: Real, text: string): ActionResult {
    const args = editWeightArgs(s, r, text.trim());
    const res = this.run(args);
    const cmd = `${this.prog} ${args.join(' ')}`;
    if (!res.ok) return { ok: false, message: `${addrPortString(r.addr, r.port)}: ${res.message} (${cmd})` };
    if (r.weight > 0) this.before.set(this.key(s, r), r.weight);
    return { ok: true, message: `weight of ${addrPortString(r.addr, r.port)} ${r.weight} → ${text.trim()}: done (${cmd})` };
  }

  toggleDrain(s: Service, r: Real): ActionResult {
    const k = this.key(s, r);
    if (r.weight > 0) {
      const res = this.setWeight(s, r, '0');
      if (res.ok) {
        this.before.set(k, r.weight);
        return { ok: true, message: `drained ${addrPortString(r.addr, r.port)} (weight ${r.weight} → 0; d restores)` };
      }
      return res;
    }
    const w = this.before.get(k) ?? 1;
    const res = this.setWeight(s, r, String(w));
    if (res.ok) return { ok: true, message: `restored ${addrPortString(r.addr, r.port)} (weight 0 → ${w})` };
    return res;
  }
}
