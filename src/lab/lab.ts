// Carries out the lab plans. Up stops at the first failure and cleans up what it made;
// down goes through every step whatever is missing, then checks that nothing is left.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/paths.js';
import { realserverDown, realserverUp } from '../realserver/apply.js';
import { LvsError } from '../util/errors.js';
import { inNetns, netnsPath, run } from '../util/exec.js';
import { describeStep, labDownPlan, labUpPlan, type LabStep, type ServerKind } from './plan.js';
import { startServer, stopServer } from './servers.js';
import { checkPrefix, DEFAULT_PREFIX, labInfo, labNamespaces, RUN_ROOT, type LabInfo } from './topology.js';

export { labInfo, DEFAULT_PREFIX } from './topology.js';
export type { LabInfo, LabHost } from './topology.js';

export interface LabUpOptions {
  prefix?: string;
  servers?: ServerKind;
  /** Progress lines; silent when absent. */
  log?: (line: string) => void;
}

export interface LabDownOptions {
  log?: (line: string) => void;
}

/** Names of existing network namespaces (`ip netns list` prints "NAME (id: N)"). */
export function listNetns(): string[] {
  const out = run('ip', ['netns', 'list']).stdout;
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

/** Whether any piece of the lab of this prefix is present. */
export function labExists(prefix: string = DEFAULT_PREFIX): boolean {
  const info = labInfo(prefix);
  const present = new Set(listNetns());
  return labNamespaces(info).some((ns) => present.has(ns)) || existsSync(info.runDir);
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const prefix = checkPrefix(opts.prefix ?? DEFAULT_PREFIX);
  const log = opts.log ?? (() => {});
  if (labExists(prefix)) {
    log(`lab ${prefix}: removing the previous lab first`);
    await labDown(prefix, { log });
  }
  const steps = labUpPlan({ prefix, servers: opts.servers ?? 'name', napiObject: join(repoRoot(), '.output', 'napi.bpf.o') });
  try {
    for (const step of steps) {
      if (step.kind !== 'exec') log(describeStep(step));
      await execute(step, log);
    }
  } catch (err) {
    log(`lab ${prefix}: failed, removing what was made`);
    await labDown(prefix, { log }).catch(() => undefined);
    throw err;
  }
  log(`lab ${prefix}: up (${steps.length} steps)`);
  return labInfo(prefix);
}

/**
 * Remove everything labUp made for this prefix. Missing pieces are skipped; any other
 * failure is logged and the rest still runs. Throws only if namespaces survive.
 */
export async function labDown(prefix: string = DEFAULT_PREFIX, opts: LabDownOptions = {}): Promise<void> {
  checkPrefix(prefix);
  const log = opts.log ?? (() => {});
  for (const step of labDownPlan({ prefix })) {
    try {
      await execute(step, log);
    } catch (err) {
      log(`lab ${prefix}: ${describeStep(step)}: ${(err as Error).message} (continuing)`);
    }
  }
  const left = labNamespaces(labInfo(prefix)).filter((ns) => listNetns().includes(ns));
  if (left.length > 0) throw new LvsError(`lab ${prefix}: namespaces left behind: ${left.join(' ')}`);
  log(`lab ${prefix}: down`);
}

const netnsExists = (ns: string): boolean => existsSync(netnsPath(ns));

/** Carries out one step (also for scenario-run.ts, which builds its own plan). */
export async function execute(step: LabStep, log: (line: string) => void): Promise<void> {
  switch (step.kind) {
    case 'exec': {
      const [cmd, ...args] = step.argv;
      if (cmd === undefined) return;
      if (step.netns) inNetns(step.netns, cmd, args, { timeoutMs: 15_000 });
      else run(cmd, args, { timeoutMs: 15_000 });
      return;
    }
    case 'mkdir':
      mkdirSync(step.path, { recursive: true });
      return;
    case 'rmdir':
      // Only ever below the lab's own root: a bad prefix must not become `rm -rf /`.
      if (!step.path.startsWith(`${RUN_ROOT}/`)) throw new LvsError(`refusing to remove ${step.path}`);
      rmSync(step.path, { recursive: true, force: true });
      return;
    case 'netns-del':
      if (netnsExists(step.netns)) run('ip', ['netns', 'del', step.netns]);
      return;
    case 'realserver-up':
      realserverUp({ netns: step.netns, vips: step.vips, mode: step.mode ?? 'dr' });
      return;
    case 'realserver-down':
      if (netnsExists(step.netns)) realserverDown({ netns: step.netns });
      return;
    case 'server-start': {
      const pid = await startServer(step.server, step.netns, step.name, step.httpPort, step.udpPort, step.runDir);
      log(`  ${step.name}: ${step.server} server pid ${pid}`);
      return;
    }
    case 'server-stop':
      await stopServer(step.runDir, step.name);
      return;
  }
}
