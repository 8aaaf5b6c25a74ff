// -R planned as runs (src/plan/restore.ts) against the line-by-line plan it replaces:
// the same configuration, the same errors on the same lines, and the ordering rules
// of src/plan/ops.ts kept op by op (checked on a model of the maps).
import { describe, expect, test } from '@jest/globals';
import { planRestore } from '../../src/cli/ipvsadm.js';
import { parseRestoreLine } from '../../src/ipvsadm/parse.js';
import { planCommand } from '../../src/plan/command.js';
import { applyToState } from '../../src/plan/plan.js';
import type { Op } from '../../src/plan/ops.js';
import type { DpState, SvcEntry } from '../../src/plan/state.js';
import { LvsError } from '../../src/util/errors.js';

const empty: DpState = { services: [], reals: [], nextSeq: 0 };

/** The plan as it was: each line planned against the state the lines before leave. */
function lineByLine(state: DpState, text: string): { state: DpState; ops: Op[] } {
  let st = state;
  const ops: Op[] = [];
  text.split('\n').forEach((line, i) => {
    const cmd = parseRestoreLine(line, i + 1);
    if (!cmd) return;
    const o = planCommand(st, cmd)!;
    ops.push(...o);
    st = applyToState(st, o);
  });
  return { state: st, ops };
}

/** Error text of a restore planned line by line ("line N: ..."), or undefined. */
function lineByLineError(state: DpState, text: string): string | undefined {
  let st = state;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    try {
      const cmd = parseRestoreLine(lines[i]!, i + 1);
      if (!cmd) continue;
      const ops = planCommand(st, cmd);
      if (!ops) return `line ${i + 1}: '${lines[i]!.trim()}' cannot be restored`;
      st = applyToState(st, ops);
    } catch (e) {
      const msg = (e as LvsError).message;
      return msg.startsWith('line ') ? msg : `line ${i + 1}: ${msg}`;
    }
  }
  return undefined;
}

/**
 * The maps a plan writes, reduced to what a packet can see, with the ordering rules
 * checked at every op: a table or list is only written into a generation its live
 * service does not read, a list names only reals already written, and a service
 * entry only switches to a generation whose list and table are written.
 */
class MapModel {
  services = new Map<number, SvcEntry>();
  reals = new Set<number>();
  dests = new Map<number, number[]>();
  slots = new Map<number, number[]>();
  nextSeq = 0;

  constructor(state: DpState) {
    for (const s of state.services) this.services.set(s.id, s);
    for (const r of state.reals) this.reals.add(r.id);
    for (const s of state.services) {
      const ids = state.reals.filter((r) => r.svcId === s.id).sort((a, b) => b.seq - a.seq).map((r) => r.id);
      this.dests.set(s.id * 2 + (s.gen & 1), ids);
    }
    this.nextSeq = state.nextSeq ?? 0;
  }

  private idle(svcId: number, gen: number, what: string): void {
    const live = this.services.get(svcId);
    if (live && (live.gen & 1) === (gen & 1)) throw new Error(`${what} written into the live generation of service ${svcId}`);
  }

  apply(ops: Op[]): this {
    for (const o of ops) {
      switch (o.op) {
        case 'put-real':
          if (o.real.seq >= this.nextSeq) throw new Error(`real ${o.real.id} written before next_seq passed its seq`);
          this.reals.add(o.real.id);
          break;
        case 'del-real':
          this.reals.delete(o.id);
          break;
        case 'put-slots':
          this.idle(o.svcId, o.gen, 'table');
          this.slots.set(o.svcId * 2 + (o.gen & 1), o.slots);
          break;
        case 'put-dests':
          this.idle(o.svcId, o.gen, 'list');
          for (const id of o.ids) if (!this.reals.has(id)) throw new Error(`list of service ${o.svcId} names unwritten real ${id}`);
          this.dests.set(o.svcId * 2 + (o.gen & 1), o.ids);
          break;
        case 'del-slots':
          if (this.services.has(o.svcId)) throw new Error(`tables of live service ${o.svcId} removed`);
          for (const g of [0, 1]) {
            this.slots.delete(o.svcId * 2 + g);
            this.dests.set(o.svcId * 2 + g, []);
          }
          break;
        case 'put-service': {
          const i = o.svc.id * 2 + (o.svc.gen & 1);
          if ((this.slots.get(i) ?? []).length !== o.svc.tableLen) throw new Error(`service ${o.svc.id} switched to a table not written`);
          this.services.set(o.svc.id, o.svc);
          break;
        }
        case 'del-service':
          this.services.delete(o.svc.id);
          break;
        case 'set-next-seq':
          this.nextSeq = Math.max(this.nextSeq, o.value);
          break;
        default:
          break;
      }
    }
    return this;
  }

  /** What packets see: each service's entry (gen aside), its live list and table. */
  live(): unknown[] {
    return [...this.services.values()].sort((a, b) => a.id - b.id).map((s) => {
      const i = s.id * 2 + (s.gen & 1);
      const { gen: _gen, ...rest } = s;
      return { ...rest, dests: this.dests.get(i) ?? [], slots: this.slots.get(i) ?? [] };
    });
  }
}

const SCHEDS = ['rr', 'wrr', 'wlc', 'mh', 'sh', 'dh', 'lc'];

/** A saved configuration: n services, each with 1..max reals, schedulers and methods mixed, IPv4 and IPv6. */
function saved(n: number, max: number, first = 0): string {
  const out: string[] = [];
  for (let i = first; i < first + n; i++) {
    const v6 = i % 5 === 4;
    const vip = v6 ? `[2001:db8::${(i + 1).toString(16)}]:80` : `192.0.2.${1 + (i % 250)}:${80 + Math.floor(i / 250)}`;
    out.push(`-A -t ${vip} -s ${SCHEDS[i % SCHEDS.length]}${i % 3 === 0 ? ' -p 300' : ''}`);
    for (let j = 0; j < 1 + (i % max); j++) {
      const rip = v6 ? `[2001:db8:1::${(j + 1).toString(16)}]` : `198.51.100.${1 + ((i * 7 + j) % 250)}`;
      const fwd = ['-g', '-m', '-i', '--fullnat'][(i + j) % 4];
      out.push(`-a -t ${vip} -r ${rip}:${8000 + j} ${fwd} -w ${1 + (j % 5)}`);
    }
  }
  return out.join('\n') + '\n';
}

function checkedRestore(state: DpState, text: string): { state: DpState; ops: Op[]; model: MapModel } {
  const ops = planRestore(state, text);
  return { ops, state: applyToState(state, ops), model: new MapModel(state).apply(ops) };
}

const withoutGen = (st: DpState) => ({ ...st, services: st.services.map(({ gen: _gen, ...s }) => s) });

describe('-R planned as runs', () => {
  test('a saved configuration restores to exactly what line by line gives, each table built once', () => {
    const text = saved(60, 7);
    const ref = lineByLine(empty, text);
    const got = checkedRestore(empty, text);
    expect(got.state).toEqual(ref.state); // every service's generation too
    expect(got.model.live()).toEqual(new MapModel(empty).apply(ref.ops).live());
    const switches = (ops: Op[]) => ops.filter((o) => o.op === 'put-service').length;
    expect(switches(got.ops)).toBe(60);
    expect(switches(ref.ops)).toBe(60 + (text.match(/^-a /gm) ?? []).length);
  });

  test('ops come kind by kind: new ids prepared, next_seq, reals, tables, lists, then the entries', () => {
    const kinds = checkedRestore(empty, saved(5, 3)).ops.map((o) => o.op).filter((k, i, a) => a[i - 1] !== k);
    expect(kinds).toEqual([
      'zero-svc-stats', 'reset-cursor', 'del-slots', 'put-laddrs', 'zero-real-stats', 'zero-real-conns',
      'set-next-seq', 'put-real', 'put-slots', 'put-dests', 'put-service',
    ]);
  });

  test('reals added to live services: each switches once, to its idle generation', () => {
    const base = lineByLine(empty, saved(10, 4)).state;
    // two more reals for services 0 and 7, one for 3, and a new service in between
    const text = [
      '-a -t 192.0.2.1:80 -r 203.0.113.1:80 -g', '-a -t 192.0.2.8:80 -r 203.0.113.2:80 -m',
      '-A -u 192.0.2.99:53 -s rr', '-a -u 192.0.2.99:53 -r 203.0.113.9:53 -m',
      '-a -t 192.0.2.1:80 -r 203.0.113.3:80 -g', '-a -t 192.0.2.8:80 -r 203.0.113.4:80 -m -w 3',
      '-a -t 192.0.2.4:80 -r 203.0.113.5:80 -g',
    ].join('\n');
    const ref = lineByLine(base, text);
    const got = checkedRestore(base, text);
    expect(withoutGen(got.state)).toEqual(withoutGen(ref.state));
    expect(got.model.live()).toEqual(new MapModel(base).apply(ref.ops).live());
    for (const id of [0, 3, 7]) {
      const switches = got.ops.filter((o) => o.op === 'put-service' && o.svc.id === id);
      expect(switches).toHaveLength(1);
      expect(switches[0]!.op === 'put-service' && switches[0]!.svc.gen).toBe(base.services.find((s) => s.id === id)!.gen ^ 1);
    }
  });

  test('other commands end a run and are planned in their place (ids freed and reused)', () => {
    const base = lineByLine(empty, saved(4, 3)).state;
    const text = [
      '-a -t 192.0.2.1:80 -r 203.0.113.1:80 -g',
      '-d -t 192.0.2.1:80 -r 198.51.100.1:80', // -g: the real has the service's port
      '-a -t 192.0.2.1:80 -r 203.0.113.2:80 -g', // takes the id just freed
      '-e -t 192.0.2.2:80 -r 198.51.100.8:8000 -m -w 9',
      '-E -t 192.0.2.3:80 -s wrr',
      '-a -t 192.0.2.3:80 -r 203.0.113.3:80 -g -w 4',
      '-D -t 192.0.2.4:80',
      '-A -t 192.0.2.50:80 -s mh', // takes the freed service id
      '-a -t 192.0.2.50:80 -r 203.0.113.4:80 -g',
      '-P -t 192.0.2.50:80 -z 192.0.2.200',
      '-P -t 192.0.2.3:80 -z 192.0.2.201',
      '-a -t 192.0.2.50:80 -r 203.0.113.5:80 -g',
      '-Z',
      '--set 10 20 30',
    ].join('\n');
    const ref = lineByLine(base, text);
    const got = checkedRestore(base, text);
    expect(withoutGen(got.state)).toEqual(withoutGen(ref.state));
    expect(got.model.live()).toEqual(new MapModel(base).apply(ref.ops).live());
  });

  test('errors: the same text on the same line as line by line', () => {
    const cases = [
      saved(3, 2) + '-a -t 192.0.2.99:80 -r 10.0.0.1 -g\n', // Service not defined
      saved(3, 2) + '-a -t 192.0.2.1:80 -r 198.51.100.1:8000 -g\n', // Destination already exists
      saved(3, 2) + '-A -t 192.0.2.1:80 -s rr\n', // Service already exists
      saved(3, 2) + '-a -t 192.0.2.1:80 -r nonsense -g\n', // a parse error
      saved(2, 2) + '-L -n\n', // cannot be restored
    ];
    for (const text of cases) {
      const want = lineByLineError(empty, text);
      expect(want).toBeDefined();
      expect(() => planRestore(empty, text)).toThrow(want);
    }
  });

  test('a wrr table that cannot be built is named by the line that made it so, before later errors', () => {
    const text = [
      '-A -t 192.0.2.10:80 -s wrr',
      '-a -t 192.0.2.10:80 -r 10.0.0.1 -g -w 65535',
      '-a -t 192.0.2.10:80 -r 10.0.0.2 -g -w 65534', // line 3: the table would have 131,069 slots
      '-a -t 192.0.2.10:80 -r 10.0.0.3 -g -w 1',
      '-a -t 192.0.2.99:80 -r 10.0.0.4 -g', // line 5: Service not defined
    ].join('\n');
    const want = lineByLineError(empty, text)!;
    expect(want).toMatch(/^line 3: weights need a scheduling table of 131069 slots/);
    expect(() => planRestore(empty, text)).toThrow(want);
    const parseLater = text.replace('-r 10.0.0.4 -g', '-r 10.0.0.4 -g -w nonsense');
    expect(() => planRestore(empty, parseLater)).toThrow(want);
    expect(() => planRestore(empty, text.split('\n').slice(0, 4).join('\n'))).toThrow(want);
  });
});
