// The agent's keepalived loop: load the configuration → health.step(load) → carry out the
// actions; a timer fires at nextDueMs, the due checks run concurrently (runCheck, each
// bounded by its own timeout and an AbortSignal), their results go back through step.
// Pool changes are applied by reconciling desiredState(health) with the pinned maps under
// the CLI's lock, through the CLI's own planner (planCommand). Scripts never block it.
//
// Differences from keepalived, on purpose:
// - stopping the agent leaves the data plane as it is (forwarding goes on with the last
//   pools); keepalived removes its virtual servers at shutdown. So nothing goes down at
//   stop and no omega script runs.
// - at start, a virtual server already in the data plane (a restarted or upgraded agent)
//   is held as found until every checker of it has reported once, so a restart does not
//   take alpha reals out of a working pool for the first delay_loop.
import { planCommand } from '../cli/ipvsadm.js';
import { realOf, serviceOf } from '../cli/views.js';
import { Dataplane } from '../bpf/dataplane.js';
import { readState } from '../bpf/state.js';
import { applyOps } from '../bpf/apply.js';
import { applyToState } from '../plan/plan.js';
import { realsOf, type DpState } from '../plan/state.js';
import type { Op } from '../plan/ops.js';
import type { PinPaths } from '../bpf/pins.js';
import { withLock } from '../util/lock.js';
import { probeNeighbours } from '../net/neigh.js';
import { StateError } from '../util/errors.js';
import type { Command } from '../ipvsadm/command.js';
import { serviceKeyString, type Addr, type ServiceKey } from '../model/types.js';
import { parseKeepalivedFile, type CheckerConfig, type KeepalivedConfig } from '../keepalived/index.js';
import { runCheck, type CheckResult } from './checkers/index.js';
import { errorText } from './checkers/types.js';
import { emptyHealth, nextDueMs, realKey, step, type HealthAction, type HealthState, type StepResult } from './health.js';
import { desiredState } from './desired.js';
import { describeCommand, reconcile, type CurrentService, type ServicePlan } from './reconcile.js';
import { DEFAULT_SCRIPT_TIMEOUT_MS, runScript, scriptProblem, type ScriptOutcome } from './scripts.js';

export interface PlanOutcome {
  plan: ServicePlan;
  /** The command the data plane refused (nothing of this plan was applied). */
  failed?: { command: Command; error: Error };
}

/** The data plane as the runner sees it; `transact` reads, decides and applies under the lock. */
export interface DataplanePort {
  transact(decide: (current: CurrentService[]) => ServicePlan[]): PlanOutcome[];
}

export function currentServices(state: DpState): CurrentService[] {
  return state.services.map((s) => ({ service: serviceOf(s), reals: realsOf(state, s.id).map(realOf) }));
}

/** The pinned data plane: each plan is planned (all checks) and applied on its own, so one refused service does not stop the others. */
export function pinnedDataplane(pins: PinPaths): DataplanePort {
  return {
    transact: (decide) => withLock(pins.dir, () => {
      const dp = Dataplane.open(pins);
      try {
        let state = readState(dp);
        const out: PlanOutcome[] = [];
        const added: Addr[] = [];
        for (const plan of decide(currentServices(state))) {
          const ops: Op[] = [];
          let next = state;
          let failed: PlanOutcome['failed'];
          for (const command of plan.commands) {
            try {
              const o = planCommand(next, command);
              if (!o) throw new StateError(`${command.kind} is not a change`);
              ops.push(...o);
              next = applyToState(next, o);
            } catch (e) {
              failed = { command, error: e as Error };
              break;
            }
          }
          if (!failed) {
            try {
              applyOps(dp, ops);
              added.push(...ops.flatMap((o) => (o.op === 'put-real' ? [o.real.addr] : [])));
              state = next;
            } catch (e) {
              failed = { command: plan.commands[0]!, error: e as Error };
              state = readState(dp); // whatever part was written
            }
          }
          out.push({ plan, ...(failed ? { failed } : {}) });
        }
        if (added.length) probeNeighbours(added);
        return out;
      } finally {
        dp.close();
      }
    }),
  };
}

export interface RunnerOptions {
  configFile: string;
  port: DataplanePort;
  /** One line per event (the caller adds the timestamp). */
  log: (line: string) => void;
  parse?: (file: string) => KeepalivedConfig;
  check?: (c: CheckerConfig, signal: AbortSignal) => Promise<CheckResult>;
  script?: (command: string, timeoutMs: number) => Promise<ScriptOutcome>;
  scriptTimeoutMs?: number;
  owned?: { load(): ServiceKey[]; save(keys: ServiceKey[]): void };
  now?: () => number;
  random?: () => number;
  /** Retry interval when the data plane cannot be reached (default 5 s). */
  retryMs?: number;
}

/** A safety net above the checker's own timeout (a checker that forgot its deadline still ends). */
function checkBoundMs(c: CheckerConfig): number {
  if (c.type === 'MISC_CHECK') return c.timeoutMs + 5000;
  const urls = c.type === 'TCP_CHECK' ? 1 : Math.max(1, c.urls.length);
  return c.connect.connectTimeoutMs * urls + 2000;
}

export class AgentRunner {
  private health: HealthState = emptyHealth();
  private owned: ServiceKey[] = [];
  private hold = new Set<string>();
  private started = false;
  private stopped = false;
  private gen = 0;
  private genCtl = new AbortController();
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private readonly inflight = new Set<Promise<void>>();
  private readonly said = new Set<string>();
  private readonly planErrors = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly o: RunnerOptions) {
    this.now = o.now ?? Date.now;
  }

  get state(): HealthState {
    return this.health;
  }

  /** Loads the configuration and applies it; throws (nothing applied) on a syntax error. */
  start(): void {
    const config = (this.o.parse ?? parseKeepalivedFile)(this.o.configFile);
    this.owned = this.o.owned?.load() ?? [];
    this.notices(config);
    this.o.log(`loaded ${this.o.configFile}: ${summary(config)}`);
    this.run(step(this.health, this.loadEvent(config)), true);
  }

  /** SIGHUP: re-read; on error keep the running configuration. */
  reload(): { ok: boolean; message: string } {
    let config: KeepalivedConfig;
    try {
      config = (this.o.parse ?? parseKeepalivedFile)(this.o.configFile);
    } catch (e) {
      const message = `reload failed: ${(e as Error).message}; keeping the running configuration`;
      this.o.log(message);
      return { ok: false, message };
    }
    this.notices(config);
    this.newGeneration();
    const message = `reloaded ${this.o.configFile}: ${summary(config)}`;
    this.o.log(message);
    this.run(step(this.health, this.loadEvent(config)), true);
    return { ok: true, message };
  }

  /** Stops checking; the data plane is left as it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.genCtl.abort();
    await Promise.allSettled([...this.inflight]);
    this.o.owned?.save(this.owned);
  }

  private loadEvent(config: KeepalivedConfig) {
    return { type: 'load' as const, config, nowMs: this.now(), jitter: (this.o.random ?? Math.random)() };
  }

  private newGeneration(): void {
    this.gen++;
    this.genCtl.abort(); // results of checks started under the old configuration are dropped
    this.genCtl = new AbortController();
  }

  private once(line: string): void {
    if (this.said.has(line)) return;
    this.said.add(line);
    this.o.log(line);
  }

  private notices(config: KeepalivedConfig): void {
    for (const n of config.ignored) this.once(`${n.file}:${n.line}: ${n.keyword}: ignored: ${n.message}`);
    for (const n of config.warnings) this.once(`${n.file}:${n.line}: ${n.keyword}: warning: ${n.message}`);
  }

  /** Takes a step's result: new state, transitions logged, actions carried out. */
  private run(r: StepResult, forceReconcile = false): void {
    if (this.stopped) return;
    const before = this.health;
    this.health = r.state;
    logTransitions(before, r.state, this.o.log, forceReconcile ? 'configuration' : 'misc_dynamic');
    let pool = forceReconcile;
    for (const a of r.actions) {
      if (a.type === 'run-check') this.launch(a);
      else if (a.type === 'run-script') this.script(a);
      else pool = true;
    }
    if (pool || this.hold.size) this.reconcile();
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const due = nextDueMs(this.health);
    if (this.stopped || due === undefined) return;
    this.timer = setTimeout(() => this.guard(() => this.run(step(this.health, { type: 'tick', nowMs: this.now() }))), Math.max(0, due - this.now()));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.o.log(`internal error: ${(e as Error).stack ?? e}`);
    }
  }

  private launch(a: Extract<HealthAction, { type: 'run-check' }>): void {
    const rc = this.health.config.virtualServers.find((v) => v.id === a.vs)?.reals.find((x) => realKey(x) === a.real);
    const ck = rc?.checkers[a.checker];
    if (!ck) return;
    const gen = this.gen;
    const signal = AbortSignal.any([this.genCtl.signal, AbortSignal.timeout(checkBoundMs(ck))]);
    const p = (this.o.check ?? runCheck)(ck, signal)
      .catch((e: unknown): CheckResult => ({ ok: false, reason: errorText(e) }))
      .then((res) => {
        if (this.stopped || gen !== this.gen) return;
        this.guard(() => {
          const before = this.health;
          const r = step(before, { type: 'result', vs: a.vs, real: a.real, checker: a.checker, ok: res.ok, ...(res.weight !== undefined ? { weight: res.weight } : {}), nowMs: this.now() });
          logResult(a, ck, res, before, r.state, this.o.log);
          this.run(r);
        });
      })
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private script(a: Extract<HealthAction, { type: 'run-script' }>): void {
    const timeoutMs = this.o.scriptTimeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const what = `${a.reason} script${a.real ? ` of ${a.real}` : ''} (VS ${a.vs})`;
    this.o.log(`running ${what}: ${a.script}`);
    void (this.o.script ?? ((c, t) => runScript(c, { timeoutMs: t })))(a.script, timeoutMs).then((out) => {
      const problem = scriptProblem(out, timeoutMs);
      if (problem) this.o.log(`${what}: ${problem}`);
    });
  }

  /** Brings the owned services of the data plane to what the health state wants. */
  private reconcile(): void {
    clearTimeout(this.retryTimer);
    const desired = desiredState(this.health);
    for (const s of desired.skipped) this.once(`VS ${s.vs}: skipped: ${s.reason}`);
    let foreign: ServiceKey[] = [];
    let owned = this.owned;
    let outcomes: PlanOutcome[];
    try {
      outcomes = this.o.port.transact((current) => {
        if (!this.started) {
          // A virtual server already in the data plane is held as found until its checkers report.
          this.started = true;
          for (const d of desired.services) if (current.some((c) => serviceKeyString(c.service) === serviceKeyString(d.service))) this.hold.add(d.vs);
        }
        this.releaseHolds();
        const rec = reconcile(desired, current, { owned: this.owned, hold: this.hold });
        foreign = rec.foreign;
        owned = rec.owned;
        return rec.plans;
      });
    } catch (e) {
      const retry = this.o.retryMs ?? 5000;
      this.once(`dataplane: cannot apply the configuration: ${(e as Error).message}; retrying every ${retry / 1000} s`);
      if (!this.stopped) this.retryTimer = setTimeout(() => this.guard(() => this.reconcile()), retry);
      return;
    }
    this.said.forEach((l) => l.startsWith('dataplane: cannot apply') && this.said.delete(l));
    for (const { plan, failed } of outcomes) {
      const id = serviceKeyString(plan.key);
      if (failed) {
        const msg = `VS ${plan.vs ?? id}: the data plane refused '${describeCommand(failed.command)}': ${failed.error.message} (other virtual servers go on)`;
        if (this.planErrors.get(id) !== msg) this.o.log(msg);
        this.planErrors.set(id, msg);
        continue;
      }
      this.planErrors.delete(id);
      for (const c of plan.commands) this.o.log(`dataplane: ${describeCommand(c)}${plan.vs ? ` (VS ${plan.vs})` : ' (no longer in the configuration)'}`);
    }
    for (const k of foreign) this.once(`service ${serviceKeyString(k)} is not in ${this.o.configFile}: configured by hand, left alone`);
    this.owned = owned;
    this.o.owned?.save(owned);
  }

  private releaseHolds(): void {
    for (const id of this.hold) {
      const st = this.health.vs.find((v) => v.id === id);
      if (st && !st.reals.every((r) => r.checkers.every((c) => c.hasRun))) continue;
      this.hold.delete(id);
      if (st) this.o.log(`VS ${id}: every checker has reported; the agent now manages the pool it found in the data plane`);
    }
  }
}

function summary(c: KeepalivedConfig): string {
  const reals = c.virtualServers.reduce((n, v) => n + v.reals.length, 0);
  return `${c.virtualServers.length} virtual server(s), ${reals} real server(s), ${c.ignored.length} statement(s) ignored`;
}

/** keepalived-style lines for what changed between two health states (reals, quorum, sorry server). */
export function logTransitions(before: HealthState, after: HealthState, log: (l: string) => void, cause = 'misc_dynamic'): void {
  for (const st of after.vs) {
    const b = before.vs.find((v) => v.id === st.id);
    if (!b) continue;
    const cfg = after.config.virtualServers.find((v) => v.id === st.id);
    for (const r of st.reals) {
      const br = b.reals.find((x) => x.key === r.key);
      if (!br) continue;
      const rc = cfg?.reals.find((x) => realKey(x) === r.key);
      if (br.alive !== r.alive) {
        const how = r.alive ? 'UP' : `DOWN${rc?.inhibitOnFailure ? ' (inhibit_on_failure: kept with weight 0)' : ''}`;
        log(`VS ${st.id}: real server ${r.key} is ${how}`);
      }
      if (br.effectiveWeight !== r.effectiveWeight) log(`VS ${st.id}: real server ${r.key}: weight ${br.effectiveWeight} -> ${r.effectiveWeight} (${cause})`);
    }
    if (b.quorumUp !== st.quorumUp) {
      const sum = st.reals.reduce((a, r) => a + (r.alive ? Math.max(0, r.effectiveWeight) : 0), 0);
      log(`VS ${st.id}: ${st.quorumUp ? 'gained' : 'lost'} quorum (live weight ${sum}, quorum ${cfg?.quorum ?? '?'}, hysteresis ${cfg?.hysteresis ?? '?'})`);
    }
    if (b.sorryAlive !== st.sorryAlive && cfg?.sorryServer) {
      log(`VS ${st.id}: sorry server ${realKey(cfg.sorryServer)} ${st.sorryAlive ? 'takes over' : 'stands down'}`);
    }
  }
}

/** One line for a check result worth telling: a failure, a checker going down or coming back. */
export function logResult(
  a: { vs: string; real: string; checker: number }, ck: CheckerConfig, res: CheckResult,
  before: HealthState, after: HealthState, log: (l: string) => void,
): void {
  const find = (h: HealthState) => h.vs.find((v) => v.id === a.vs)?.reals.find((r) => r.key === a.real)?.checkers[a.checker];
  const b = find(before);
  const c = find(after);
  if (!b || !c) return;
  const what = `${ck.type} of ${a.real} (VS ${a.vs})`;
  if (!res.ok) {
    if (c.isUp && c.retryIt > 0) log(`${what} failed: ${res.reason}; retry ${c.retryIt} of ${ck.retry}`);
    else if (!c.isUp && (b.isUp || !b.hasRun)) log(`${what} failed: ${res.reason}; checker DOWN`);
  } else if (!b.isUp) {
    log(`${what} succeeded: ${res.reason}; checker UP`);
  } else if (b.hasRun && b.retryIt > 0) {
    log(`${what} succeeded again: ${res.reason}`);
  }
}
