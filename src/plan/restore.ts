// -R planned as one change (pure). ipvsadm -R runs its lines one after the other; planned
// that way, a restore of 1,000 services x 16 reals rebuilds every service's table 16
// times and writes ~100,000 map entries. Here a run of consecutive -A/-a lines (all a
// saved configuration holds) becomes one step:
//   1. every line is still checked in order, against the state the lines before it
//      leave: the same errors, on the same line numbers;
//   2. the new ids are prepared: the counters, cursor, tables and LIPs of new services,
//      the counters, connection counts and entries of new reals; nothing live refers
//      to any of them yet, so no packet can meet them half-written;
//   3. lb_meta.next_seq is raised once, past every new real's seq, before any real;
//   4. each service that got reals gets one table and destination list, written into
//      a generation no packet reads; then the service entries are written: a new
//      service appears complete with its reals, an existing one switches tables once.
// Ops of one kind come out together, so apply.ts writes each kind as one batch.
// Any other line (-D -d -e -E -C -Z --set -P -Q) ends the run and is planned as before,
// in its place: a run never crosses a line that frees an id it could reuse.
import type { Command } from '../ipvsadm/command.js';
import { LvsError } from '../util/errors.js';
import type { Op } from './ops.js';
import { applyInPlace, planAddService, planNewReal, tableOps } from './plan.js';
import { planCommand } from './command.js';
import { indexOfServices, realsOf, type DpState, type RealEntry, type SvcEntry } from './state.js';

export class RestoreLineError extends LvsError {
  constructor(line: number, e: unknown) {
    super(`line ${line}: ${(e as Error).message}`, e instanceof LvsError ? e.exitCode : 1);
  }
}

/** Kinds of preparation ops, in the order a run writes them; put-real comes after next_seq. */
const PREP_ORDER = ['zero-svc-stats', 'reset-cursor', 'del-slots', 'put-laddrs', 'zero-real-stats', 'zero-real-conns'] as const;
type PrepKind = (typeof PREP_ORDER)[number] | 'put-real';

interface Touched {
  /** Added by this run: not live until its entry is written. */
  fresh: boolean;
  /** The reals this run added to it, in line order. */
  adds: Array<{ id: number; line: number }>;
}

interface Run {
  prep: Map<PrepKind, Op[]>;
  nextSeq: number;
  /** Services added or given reals, in the order the lines first name them. */
  services: Map<number, Touched>;
}

export class RestorePlanner {
  private readonly cur: DpState;
  private readonly ops: Op[] = [];
  private run: Run | undefined;

  constructor(state: DpState) {
    this.cur = { ...state, services: [...state.services], reals: [...state.reals] };
  }

  /** Plans the command of one line; false when it is not a change (-L, -S, ... cannot be restored). */
  add(cmd: Command, line: number): boolean {
    if (cmd.kind === 'add-service') {
      const ops = planAddService(this.cur, cmd.service);
      const run = this.openRun();
      for (const o of ops) {
        if (o.op === 'put-service') run.services.set(o.svc.id, { fresh: true, adds: [] });
        else run.prep.get(o.op as PrepKind)!.push(o);
      }
      applyInPlace(this.cur, ops);
      return true;
    }
    if (cmd.kind === 'add-real') {
      const n = planNewReal(this.cur, cmd.key, cmd.real);
      const run = this.openRun();
      for (const o of n.ops) {
        if (o.op === 'set-next-seq') run.nextSeq = Math.max(run.nextSeq, o.value);
        else run.prep.get(o.op as PrepKind)!.push(o);
      }
      let t = run.services.get(n.svc.id);
      if (!t) run.services.set(n.svc.id, (t = { fresh: false, adds: [] }));
      t.adds.push({ id: n.real.id, line });
      applyInPlace(this.cur, n.ops);
      return true;
    }
    // The tables of the run are written first: this line plans against them.
    this.closeRun();
    const ops = planCommand(this.cur, cmd);
    if (!ops) return false;
    for (const o of ops) this.ops.push(o);
    applyInPlace(this.cur, ops);
    return true;
  }

  /**
   * The error an earlier line of the open run has, if any. A table is only built when
   * its run ends, so a table that cannot be built (wrr weights too far apart) is found
   * late; the caller reports it instead of a later line's error, as line by line would.
   */
  earlierError(): unknown {
    try {
      this.closeRun();
      return undefined;
    } catch (e) {
      return e;
    }
  }

  /** Every op of the restore, in the order they must be applied. */
  finish(): Op[] {
    this.closeRun();
    return this.ops;
  }

  private openRun(): Run {
    this.run ??= { prep: new Map([...PREP_ORDER, 'put-real' as const].map((k) => [k, []])), nextSeq: 0, services: new Map() };
    return this.run;
  }

  private closeRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    for (const k of PREP_ORDER) for (const o of run.prep.get(k)!) this.ops.push(o);
    if (run.nextSeq > 0) this.ops.push({ op: 'set-next-seq', value: run.nextSeq });
    for (const o of run.prep.get('put-real')!) this.ops.push(o);
    const tables: Op[] = [];
    const lists: Op[] = [];
    const switches: Op[] = [];
    const ix = indexOfServices(this.cur.services);
    for (const [id, t] of run.services) {
      const svc = this.cur.services[ix.pos.get(id)!]!;
      if (t.adds.length === 0) {
        switches.push({ op: 'put-service', svc });
        continue;
      }
      // A new service is read by no packet before its entry is written, so either
      // generation is idle: take the one line-by-line planning ends on (one switch per
      // real), and the maps' live configuration is what line by line leaves.
      const base = t.fresh ? { ...svc, gen: (t.adds.length & 1) ^ 1 } : svc;
      const reals = realsOf(this.cur, id);
      let ops: Op[];
      try {
        ops = tableOps(base, reals);
      } catch (e) {
        throw firstFailingAdd(e, base, reals, t.adds);
      }
      for (const o of ops) (o.op === 'put-slots' ? tables : o.op === 'put-dests' ? lists : switches).push(o);
    }
    for (const list of [tables, lists, switches]) for (const o of list) this.ops.push(o);
    applyInPlace(this.cur, switches);
  }
}

/**
 * The line whose real made the table impossible: the table with the reals added up to
 * each line in turn, the first that fails. (A table only grows as reals are added.)
 */
function firstFailingAdd(e: unknown, svc: SvcEntry, reals: RealEntry[], adds: Touched['adds']): unknown {
  if (!(e instanceof LvsError)) return e;
  for (let k = 0; k < adds.length; k++) {
    const later = new Set(adds.slice(k + 1).map((a) => a.id));
    try {
      tableOps(svc, reals.filter((r) => !later.has(r.id)));
    } catch (err) {
      return new RestoreLineError(adds[k]!.line, err);
    }
  }
  return new RestoreLineError(adds[adds.length - 1]!.line, e);
}
