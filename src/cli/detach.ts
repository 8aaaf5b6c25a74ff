// lvs-xdp detach [IFACE…] [--purge]
// Without names, detaches from every interface. --purge also removes the pinned
// maps and program: the configuration and connections are gone for good.
import { rmSync } from 'node:fs';
import { attachedInterfaces, detachXdp } from '../bpf/link.js';
import { UsageError } from '../util/errors.js';
import { restoreForwarding } from '../net/forwarding.js';
import { withLock } from '../util/lock.js';
import type { CliContext } from './context.js';

export function detachCommand(argv: string[], ctx: CliContext): number {
  const purge = argv.includes('--purge');
  const bad = argv.find((a) => a.startsWith('-') && a !== '--purge');
  if (bad) throw new UsageError(`detach: unknown option ${bad}`);
  const names = argv.filter((a) => !a.startsWith('-'));
  return withLock(ctx.pins.dir, () => {
    const attached = attachedInterfaces(ctx.pins);
    const targets = names.length ? names : attached;
    const missing = targets.filter((n) => !attached.includes(n));
    if (missing.length) throw new UsageError(`detach: not attached to ${missing.join(', ')}`);
    for (const n of targets) {
      detachXdp(ctx.pins, n);
      restoreForwarding(ctx.pins, n);
      ctx.out(`detached from ${n}`);
    }
    if (purge) {
      if (attachedInterfaces(ctx.pins).length) throw new UsageError('detach: --purge needs every interface detached');
      rmSync(ctx.pins.dir, { recursive: true, force: true });
      ctx.out(`removed ${ctx.pins.dir}`);
    }
    return 0;
  });
}
