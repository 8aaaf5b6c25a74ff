// Plays a scenario in the namespace lab: build it (scenario-plan.ts), attach the director,
// run the scenario's lvs-xdp commands with the real CLI inside the director's namespace,
// then run its checks from the client. A command the data plane refuses (a forwarding
// method not built yet) stops the run with that command's own error, and the lab is
// removed again; a failed check leaves the lab up for a look.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LvsError } from '../util/errors.js';
import { inNetns, netnsPath } from '../util/exec.js';
import { repoRoot } from '../util/paths.js';
import { execute, labDown, labExists } from './lab.js';
import { describeStep, type ServerKind } from './plan.js';
import { loadScenario, type ScenarioCheck } from './scenario.js';
import { directorArgv, scenarioLab, scenarioUpPlan, type ScenarioLab } from './scenario-plan.js';
import { checkPrefix, DEFAULT_PREFIX } from './topology.js';

export interface ScenarioUpOptions {
  name: string;
  prefix?: string;
  servers?: ServerKind;
  /** Run the scenario's checks after the commands (default true). */
  check?: boolean;
  log?: (line: string) => void;
  /** Scenario directory (tests); lab/scenarios of this checkout when absent. */
  dir?: string;
}

export interface CheckResult {
  url: string;
  client: string;
  /** Answers by body (a real server's name), plus "(failed)" for requests without one. */
  counts: Record<string, number>;
  ok: boolean;
}

/** A step of a scenario run that failed; the message names the scenario and the step. */
export class ScenarioRunError extends LvsError {}

const lvsXdp = (): string => join(repoRoot(), 'bin', 'lvs-xdp');

/** lvs-xdp inside the director's namespace with the lab's pin directory. */
export function directorCli(lab: ScenarioLab, argv: readonly string[]) {
  return inNetns(lab.director.netns, lvsXdp(), ['--pin-dir', lab.pinDir, ...argv], { timeoutMs: 30_000, allowFailure: true });
}

export async function scenarioUp(opts: ScenarioUpOptions): Promise<{ lab: ScenarioLab; checks: CheckResult[] }> {
  const log = opts.log ?? (() => {});
  const scenario = opts.dir ? loadScenario(opts.name, opts.dir) : loadScenario(opts.name);
  const prefix = checkPrefix(opts.prefix ?? DEFAULT_PREFIX);
  const lab = scenarioLab(scenario, prefix);
  if (labExists(prefix)) {
    log(`lab ${prefix}: removing the previous lab first`);
    await scenarioDown(prefix, { log });
  }
  log(`scenario ${scenario.name}: ${scenario.summary}`);
  const steps = scenarioUpPlan(lab, { servers: opts.servers, napiObject: join(repoRoot(), '.output', 'napi.bpf.o') });
  try {
    for (const step of steps) {
      if (step.kind !== 'exec' || step.netns === lab.director.netns) log(describeStep(step));
      await execute(step, log);
    }
    for (const argv of directorArgv(lab)) {
      log(`[${lab.director.netns}] lvs-xdp ${argv.join(' ')}`);
      const r = directorCli(lab, argv);
      if (r.stdout.trim()) log(r.stdout.trimEnd());
      if (r.status !== 0) {
        const why = r.stderr.trim().split('\n')[0] || `exit status ${r.status}`;
        throw new ScenarioRunError(`scenario ${scenario.name}: lvs-xdp ${argv.join(' ')}: ${why}`, r.status > 0 ? r.status : 1);
      }
    }
  } catch (err) {
    log(`lab ${prefix}: failed, removing what was made`);
    await scenarioDown(prefix, { log }).catch(() => undefined);
    if (err instanceof ScenarioRunError || !(err instanceof LvsError)) throw err;
    throw new ScenarioRunError(`scenario ${scenario.name}: ${err.message}`, err.exitCode);
  }
  log(`lab ${prefix}: scenario ${scenario.name} up`);
  const checks = opts.check === false ? [] : runChecks(lab, log);
  const bad = checks.filter((c) => !c.ok);
  if (bad.length > 0) {
    throw new ScenarioRunError(
      `scenario ${scenario.name}: check ${bad[0]!.url} from ${bad[0]!.client} failed (${formatCounts(bad[0]!.counts)}); ` +
        `the lab is left up: lvs-xdp lab down --prefix ${prefix}`,
    );
  }
  return { lab, checks };
}

/** The scenario's checks: bounded requests (3 s each) from every client. */
export function runChecks(lab: ScenarioLab, log: (line: string) => void = () => {}): CheckResult[] {
  const out: CheckResult[] = [];
  for (const client of lab.hosts.filter((h) => h.role === 'client')) {
    for (const c of lab.scenario.checks) {
      const counts = checkOnce(client.netns, c);
      const ok = Object.keys(counts).sort().join() === [...c.expect].sort().join();
      out.push({ url: c.url, client: client.name, counts, ok });
      log(`check ${c.url} from ${client.name}: ${formatCounts(counts)}: ${ok ? 'ok' : `FAILED (expected ${c.expect.join(', ')})`}`);
    }
  }
  return out;
}

function checkOnce(netns: string, c: ScenarioCheck): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < c.requests; i++) {
    const r = inNetns(netns, 'curl', ['-sS', '--max-time', '3', c.url], { timeoutMs: 10_000, allowFailure: true });
    const name = r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : '(failed)';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const formatCounts = (counts: Record<string, number>): string =>
  Object.entries(counts).sort().map(([k, v]) => `${k} ×${v}`).join(', ');

/**
 * Removes a scenario lab (or any lab of this prefix): the director's pinned data plane
 * first (its bpffs directory would outlive the namespaces), then what `lab down` removes.
 */
export async function scenarioDown(prefix: string = DEFAULT_PREFIX, opts: { log?: (line: string) => void } = {}): Promise<void> {
  checkPrefix(prefix);
  const pinDir = `/sys/fs/bpf/${prefix}-dir`;
  if (existsSync(pinDir)) {
    const dirNs = `${prefix}-dir`;
    if (existsSync(netnsPath(dirNs))) inNetns(dirNs, lvsXdp(), ['--pin-dir', pinDir, 'detach', '--purge'], { timeoutMs: 30_000, allowFailure: true });
    rmSync(pinDir, { recursive: true, force: true });
  }
  await labDown(prefix, opts);
}
