// Health state of keepalived virtual servers, as a pure state machine:
// step(state, event) → { state, actions }. No I/O: the agent runs the checks and scripts
// the actions ask for and feeds the results back as events.
//
// It follows keepalived's check/ipwrapper.c and the checkers' epilogues:
// - per checker (check_tcp.c tcp_epilog, check_misc.c): a failure while up is retried
//   `retry` times, delay_before_retry apart, before the checker goes down; the very first
//   check needs only one failure (retry_it starts at retry, check_data.c); a success
//   resets the count. Alpha checkers start down (check_data.c) until their first success.
// - per real (update_svr_checker_state, perform_svr_state): alive while no checker is
//   down; the change runs notify_up/notify_down and re-evaluates the quorum.
// - in the pool (ipvswrapper.c ipvs_cmd): an alive real is in the pool with its
//   effective weight; with inhibit_on_failure a dead one stays with weight 0 (and is in
//   the pool from the start), otherwise it is removed. While the sorry server serves,
//   alive reals are out of the pool (weight 0 if inhibit) — perform_quorum_state.
// - per virtual server (update_quorum_state): quorum is up while the live weight sum is
//   >= quorum - hysteresis, comes back at >= quorum + hysteresis; losing it adds the sorry
//   server and runs quorum_down, gaining it removes the sorry server and runs quorum_up.
//   At load, a virtual server without quorum that has a sorry server gets it at once.
// - stop (clear_services): everything is removed; notify_down and quorum_down run only
//   with omega. Reload keeps the state of unchanged checkers (migrate_checkers).
// - misc_dynamic (check_misc.c): an up result carrying a weight sets the real's
//   effective weight to it; exit 0, or the checker going down, restores the configured one.
import { addrPortString } from '../model/types.js';
import type { CheckerConfig, KeepalivedConfig, RealServerConfig, VirtualServerConfig } from '../keepalived/types.js';

export interface CheckerState {
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  /** misc_dynamic: effective weight - configured weight requested by this checker. */
  curWeight: number;
  /** misc_dynamic: the weight of the last up result (undefined: configured weight). */
  lastWeight?: number;
  running: boolean;
  dueMs: number;
}

export interface RealState {
  key: string;
  alive: boolean;
  effectiveWeight: number;
  checkers: CheckerState[];
}

export interface VsState {
  id: string;
  quorumUp: boolean;
  sorryAlive: boolean;
  reals: RealState[];
}

export interface HealthState {
  config: KeepalivedConfig;
  vs: VsState[];
}

export type HealthEvent =
  | { type: 'load'; config: KeepalivedConfig; nowMs: number; /** 0..1: fraction of warmup before each first check */ jitter?: number }
  | { type: 'result'; vs: string; real: string; checker: number; ok: boolean; weight?: number; nowMs: number }
  | { type: 'tick'; nowMs: number }
  | { type: 'stop' };

export type ScriptReason = 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down';

export type HealthAction =
  | { type: 'add-service'; vs: string }
  | { type: 'remove-service'; vs: string }
  | { type: 'add-real'; vs: string; real: string; weight: number }
  | { type: 'remove-real'; vs: string; real: string }
  | { type: 'set-weight'; vs: string; real: string; weight: number }
  | { type: 'add-sorry'; vs: string; real: string; weight: number }
  | { type: 'remove-sorry'; vs: string; real: string }
  | { type: 'run-script'; vs: string; real?: string; reason: ScriptReason; script: string }
  | { type: 'run-check'; vs: string; real: string; checker: number };

export interface StepResult {
  state: HealthState;
  actions: HealthAction[];
}

const WEIGHT_LIMIT = 0x7fffffff;
/** keepalived real_weight(): the effective weight clamped to what IPVS takes. */
export const realWeight = (w: number): number => Math.min(Math.max(w, 0), WEIGHT_LIMIT);
export const realKey = (r: { addr: { family: 'inet' | 'inet6'; ip: string }; port: number }): string => addrPortString(r.addr, r.port);

export const emptyHealth = (): HealthState => ({ config: { virtualServers: [], groups: [], ignored: [], warnings: [], files: [] }, vs: [] });

/** Pool membership keepalived would have written to IPVS: real key → weight. */
export interface Pool {
  reals: Map<string, number>;
  sorry?: { key: string; weight: number };
}

export function poolOf(cfg: VirtualServerConfig, st: VsState): Pool {
  const reals = new Map<string, number>();
  cfg.reals.forEach((rc, i) => {
    const r = st.reals[i]!;
    if (r.alive && !st.sorryAlive) reals.set(r.key, realWeight(r.effectiveWeight));
    else if (rc.inhibitOnFailure) reals.set(r.key, 0);
  });
  const ss = cfg.sorryServer;
  if (!ss) return { reals };
  const key = realKey(ss);
  if (st.sorryAlive) return { reals, sorry: { key, weight: 1 } };
  return ss.inhibit ? { reals, sorry: { key, weight: 0 } } : { reals };
}

/** The earliest time a checker is due (undefined: none is waiting). */
export function nextDueMs(state: HealthState): number | undefined {
  let min: number | undefined;
  for (const v of state.vs) for (const r of v.reals) for (const c of r.checkers) if (!c.running && (min === undefined || c.dueMs < min)) min = c.dueMs;
  return min;
}

class Machine {
  scripts: HealthAction[] = [];
  checks: HealthAction[] = [];
  constructor(public config: KeepalivedConfig, public vs: VsState[]) {}

  cfgOf(id: string): VirtualServerConfig | undefined {
    return this.config.virtualServers.find((v) => v.id === id);
  }

  script(vs: string, reason: ScriptReason, script: string | undefined, real?: string): void {
    if (script) this.scripts.push({ type: 'run-script', vs, ...(real ? { real } : {}), reason, script });
  }

  rsNotify(cfg: VirtualServerConfig, rc: RealServerConfig, r: RealState): void {
    this.script(cfg.id, r.alive ? 'notify_up' : 'notify_down', r.alive ? rc.notifyUp : rc.notifyDown, r.key);
  }

  weightSum(st: VsState): number {
    return st.reals.reduce((a, r) => a + (r.alive ? realWeight(r.effectiveWeight) : 0), 0);
  }

  updateQuorum(cfg: VirtualServerConfig, st: VsState, init: boolean): void {
    const sum = this.weightSum(st);
    const threshold = cfg.quorum + (st.quorumUp ? -1 : 1) * cfg.hysteresis;
    if (!st.quorumUp && sum >= threshold) {
      st.quorumUp = true;
      if (cfg.sorryServer && st.sorryAlive) st.sorryAlive = false;
      this.script(cfg.id, 'quorum_up', cfg.quorumUp);
    } else if ((st.quorumUp && (!sum || sum < threshold)) || (init && !st.quorumUp && cfg.sorryServer && !st.sorryAlive)) {
      st.quorumUp = false;
      if (cfg.sorryServer && !st.sorryAlive) st.sorryAlive = true;
      this.script(cfg.id, 'quorum_down', cfg.quorumDown);
    }
  }

  performSvrState(cfg: VirtualServerConfig, rc: RealServerConfig, r: RealState, st: VsState, alive: boolean): void {
    if (r.alive === alive) return;
    r.alive = alive;
    this.rsNotify(cfg, rc, r);
    this.updateQuorum(cfg, st, false);
  }

  numFailed(r: RealState): number {
    return r.checkers.filter((c) => !c.isUp).length;
  }

  /** update_svr_checker_state + set_checker_state. */
  checkerState(cfg: VirtualServerConfig, rc: RealServerConfig, ck: CheckerConfig, c: CheckerState, r: RealState, st: VsState, up: boolean): void {
    if (c.isUp === up) {
      if (!c.hasRun) {
        if (ck.alpha || !up) this.rsNotify(cfg, rc, r);
        c.hasRun = true;
      }
      return;
    }
    c.hasRun = true;
    const failed = this.numFailed(r);
    if (up && failed <= 1) this.performSvrState(cfg, rc, r, st, true);
    if (!up && failed === 0) this.performSvrState(cfg, rc, r, st, false);
    c.isUp = up;
  }

  setWeight(cfg: VirtualServerConfig, r: RealState, st: VsState, weight: number): void {
    const changed = realWeight(weight) !== realWeight(r.effectiveWeight);
    r.effectiveWeight = weight;
    if (changed) this.updateQuorum(cfg, st, false);
  }

  result(e: Extract<HealthEvent, { type: 'result' }>): void {
    const cfg = this.cfgOf(e.vs);
    const st = this.vs.find((v) => v.id === e.vs);
    const i = cfg?.reals.findIndex((x) => realKey(x) === e.real) ?? -1;
    if (!cfg || !st || i < 0) return; // a result for something no longer configured
    const rc = cfg.reals[i]!;
    const r = st.reals[i]!;
    const ck = rc.checkers[e.checker];
    const c = r.checkers[e.checker];
    if (!ck || !c) return;
    c.running = false;
    if (e.ok && ck.type === 'MISC_CHECK' && ck.dynamic && e.weight !== c.lastWeight) {
      const cur = e.weight === undefined ? 0 : e.weight - rc.weight;
      const next = r.effectiveWeight - c.curWeight + cur;
      c.curWeight = cur;
      c.lastWeight = e.weight;
      this.setWeight(cfg, r, st, next);
    }
    if (e.ok || ((c.isUp || !c.hasRun) && c.retryIt >= ck.retry)) {
      c.retryIt = 0;
      if (!e.ok) {
        // check_misc.c: the dynamic weight is dropped when the checker fails for good.
        r.effectiveWeight -= c.curWeight;
        c.curWeight = 0;
        c.lastWeight = undefined;
      }
      if (e.ok ? !c.isUp || !c.hasRun : c.isUp || !c.hasRun) this.checkerState(cfg, rc, ck, c, r, st, e.ok);
    } else if (c.isUp) c.retryIt++;
    c.hasRun = true;
    c.dueMs = e.nowMs + (c.retryIt ? ck.delayBeforeRetryMs : ck.delayLoopMs);
  }

  tick(nowMs: number): void {
    for (const st of this.vs) {
      st.reals.forEach((r) => r.checkers.forEach((c, k) => {
        if (c.running || c.dueMs > nowMs) return;
        c.running = true;
        this.checks.push({ type: 'run-check', vs: st.id, real: r.key, checker: k });
      }));
    }
  }

  freshReal(rc: RealServerConfig, nowMs: number, jitter: number): RealState {
    const checkers = rc.checkers.map((ck): CheckerState => ({
      isUp: !ck.alpha, hasRun: false, retryIt: ck.retry, curWeight: 0, running: false, dueMs: nowMs + Math.floor(jitter * ck.warmupMs),
    }));
    return { key: realKey(rc), alive: checkers.every((c) => c.isUp), effectiveWeight: rc.weight, checkers };
  }

  /** init_service_vs for a new virtual server (set_quorum_states, then update_quorum_state(init)). */
  initVs(cfg: VirtualServerConfig, nowMs: number, jitter: number): VsState {
    const reals = cfg.reals.map((rc) => this.freshReal(rc, nowMs, jitter));
    const st: VsState = { id: cfg.id, quorumUp: false, sorryAlive: false, reals };
    st.quorumUp = this.weightSum(st) >= cfg.quorum + cfg.hysteresis;
    this.updateQuorum(cfg, st, true);
    return st;
  }

  /** clear_diff_rs / migrate_checkers, reduced: checkers kept when type and settings are unchanged. */
  reloadVs(oldCfg: VirtualServerConfig, old: VsState, cfg: VirtualServerConfig, nowMs: number, jitter: number): VsState {
    const st: VsState = { id: cfg.id, quorumUp: old.quorumUp, sorryAlive: !!cfg.sorryServer && old.sorryAlive, reals: [] };
    oldCfg.reals.forEach((orc, i) => {
      const o = old.reals[i]!;
      if (o.alive && !cfg.reals.some((rc) => realKey(rc) === o.key)) {
        o.alive = false;
        this.rsNotify(oldCfg, orc, o);
      }
    });
    for (const rc of cfg.reals) {
      const j = oldCfg.reals.findIndex((x) => realKey(x) === realKey(rc));
      const fresh = this.freshReal(rc, nowMs, jitter);
      if (j < 0) {
        st.reals.push(fresh);
        continue;
      }
      const o = old.reals[j]!;
      const orc = oldCfg.reals[j]!;
      const r: RealState = { ...fresh, alive: o.alive };
      rc.checkers.forEach((ck, k) => {
        const oc = orc.checkers[k];
        const prev = o.checkers[k];
        if (!oc || !prev || !sameChecker(oc, ck)) return;
        const c = r.checkers[k]!;
        c.isUp = prev.isUp;
        c.hasRun = prev.hasRun;
        c.retryIt = !c.isUp ? ck.retry + 1 : Math.min(prev.retryIt, ck.retry);
        c.dueMs = prev.dueMs;
        if (ck.type === 'MISC_CHECK' && prev.lastWeight !== undefined) {
          c.lastWeight = prev.lastWeight;
          c.curWeight = prev.lastWeight - rc.weight;
          r.effectiveWeight = rc.weight + c.curWeight;
        }
      });
      const failed = r.checkers.filter((c) => c.hasRun && !c.isUp).length;
      if (failed || (!r.alive && !r.checkers.some((c) => c.hasRun))) {
        rc.checkers.forEach((ck, k) => {
          const c = r.checkers[k]!;
          if (!c.hasRun) c.retryIt = ck.retry;
          if (!c.hasRun && ck.alpha) c.isUp = false;
        });
      }
      st.reals.push(r);
    }
    st.reals.forEach((r, i) => {
      const down = this.numFailed(r) > 0;
      if (!down && !r.alive) this.performSvrState(cfg, cfg.reals[i]!, r, st, true);
      else if (down) r.alive = false;
    });
    this.updateQuorum(cfg, st, true);
    return st;
  }

  load(config: KeepalivedConfig, nowMs: number, jitter: number): void {
    const oldCfg = this.config;
    const old = this.vs;
    this.config = config;
    this.vs = config.virtualServers.map((cfg) => {
      const prevCfg = oldCfg.virtualServers.find((v) => v.id === cfg.id);
      const prev = old.find((v) => v.id === cfg.id);
      return prevCfg && prev ? this.reloadVs(prevCfg, prev, cfg, nowMs, jitter) : this.initVs(cfg, nowMs, jitter);
    });
    for (const o of old) {
      if (config.virtualServers.some((v) => v.id === o.id)) continue;
      const ocfg = oldCfg.virtualServers.find((v) => v.id === o.id)!;
      this.clearVs(ocfg, o, false);
    }
  }

  /** clear_service_vs: reals removed (notify_down for the alive ones), then the quorum. */
  clearVs(cfg: VirtualServerConfig, st: VsState, stopping: boolean): void {
    st.sorryAlive = false;
    cfg.reals.forEach((rc, i) => {
      const r = st.reals[i]!;
      if (!r.alive) return;
      r.alive = false;
      if (cfg.omega || !stopping) this.rsNotify(cfg, rc, r);
    });
    const sum = this.weightSum(st);
    if (stopping || (st.quorumUp && (!sum || sum < cfg.quorum - cfg.hysteresis))) {
      st.quorumUp = false;
      if (!stopping || cfg.omega) this.script(cfg.id, 'quorum_down', cfg.quorumDown);
    }
  }
}

function sameChecker(a: CheckerConfig, b: CheckerConfig): boolean {
  const strip = ({ where: _w, ...rest }: CheckerConfig): unknown => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function snapshot(config: KeepalivedConfig, vs: VsState[]): Map<string, Pool> {
  const m = new Map<string, Pool>();
  for (const st of vs) {
    const cfg = config.virtualServers.find((v) => v.id === st.id);
    if (cfg) m.set(st.id, poolOf(cfg, st));
  }
  return m;
}

/** Pool changes between two snapshots, in keepalived's order: services, sorry, reals. */
export function diffPools(before: Map<string, Pool>, after: Map<string, Pool>): HealthAction[] {
  const out: HealthAction[] = [];
  for (const [vs, p] of after) {
    const b = before.get(vs);
    if (!b) out.push({ type: 'add-service', vs });
    if (b?.sorry && (!p.sorry || p.sorry.key !== b.sorry.key)) out.push({ type: 'remove-sorry', vs, real: b.sorry.key });
    if (p.sorry && (!b?.sorry || b.sorry.key !== p.sorry.key || b.sorry.weight !== p.sorry.weight)) {
      out.push({ type: 'add-sorry', vs, real: p.sorry.key, weight: p.sorry.weight });
    }
    for (const [k] of b?.reals ?? []) if (!p.reals.has(k)) out.push({ type: 'remove-real', vs, real: k });
    for (const [k, w] of p.reals) {
      const old = b?.reals.get(k);
      if (old === undefined) out.push({ type: 'add-real', vs, real: k, weight: w });
      else if (old !== w) out.push({ type: 'set-weight', vs, real: k, weight: w });
    }
  }
  for (const [vs] of before) if (!after.has(vs)) out.push({ type: 'remove-service', vs });
  return out;
}

export function step(state: HealthState, event: HealthEvent): StepResult {
  const m = new Machine(state.config, structuredClone(state.vs));
  const before = snapshot(state.config, state.vs);
  switch (event.type) {
    case 'load':
      m.load(event.config, event.nowMs, Math.min(Math.max(event.jitter ?? 0, 0), 1));
      break;
    case 'result':
      m.result(event);
      break;
    case 'tick':
      m.tick(event.nowMs);
      break;
    case 'stop':
      m.vs.forEach((st) => {
        const cfg = m.cfgOf(st.id);
        if (cfg) m.clearVs(cfg, st, true);
      });
      m.vs = [];
      break;
  }
  const next: HealthState = { config: m.config, vs: m.vs };
  const pool = diffPools(before, snapshot(next.config, next.vs));
  return { state: next, actions: [...pool, ...m.scripts, ...m.checks] };
}
