// -R through the batched path (src/plan/restore.ts planned as runs, src/bpf/apply.ts
// writing each kind as one batch, src/bpf/state.ts reading in batches) against the
// same lines applied one line at a time, on two directors side by side: the maps
// must hold the same configuration, byte for byte where a packet reads it, and list
// the same.
import { afterAll, expect, test } from '@jest/globals';
import { describeBpf, loadForTest, type TestDirector } from './harness.js';
import { planRestore } from '../../src/cli/ipvsadm.js';
import { buildViews } from '../../src/cli/views.js';
import { applyOps } from '../../src/bpf/apply.js';
import { readLaddrCounters } from '../../src/bpf/fwd-state.js';
import { readMeta, readState } from '../../src/bpf/state.js';
import { encode } from '../../src/bpf/codec.js';
import { lb_slot_key } from '../../src/bpf/generated/layout.js';
import { u32Key } from '../../src/bpf/map.js';
import type { Dataplane } from '../../src/bpf/dataplane.js';
import { parseRestoreLine, defaultListOptions } from '../../src/ipvsadm/parse.js';
import { formatList } from '../../src/ipvsadm/format-list.js';
import { formatSave } from '../../src/ipvsadm/format-save.js';
import { planCommand } from '../../src/plan/command.js';
import { applyInPlace } from '../../src/plan/plan.js';
import type { DpState } from '../../src/plan/state.js';

const describe = describeBpf('restore-batch');
let a: TestDirector;
let b: TestDirector;

/** Two fresh directors: a takes the batched path, b line by line. */
function fresh(): void {
  a?.cleanup();
  b?.cleanup();
  a = loadForTest();
  b = loadForTest();
}
afterAll(() => {
  a?.cleanup();
  b?.cleanup();
});

/** Every line planned against the state the lines before leave, and written before the next. */
function lineByLine(dp: Dataplane, text: string): void {
  const st = readState(dp);
  text.split('\n').forEach((line, i) => {
    const cmd = parseRestoreLine(line, i + 1);
    if (!cmd) return;
    const ops = planCommand(st, cmd)!;
    applyOps(dp, ops);
    applyInPlace(st, ops);
  });
}

function batched(dp: Dataplane, text: string): void {
  applyOps(dp, planRestore(readState(dp), text));
}

const SCHEDS = ['rr', 'wlc', 'wrr', 'mh', 'sh', 'lblc'];

/** Service i of saved(): "-t VIP:port" (IPv6 for every 7th, UDP for every 4th). */
function svcArg(i: number): string {
  const vip = i % 7 === 6 ? `[2001:db8::${(i + 1).toString(16)}]:443` : `198.51.100.${1 + (i % 250)}:${80 + Math.floor(i / 250)}`;
  return `-${i % 4 === 3 ? 'u' : 't'} ${vip}`;
}

/** Real j of service i: "-r RIP:port METHOD" (-g/-i keep the service's port, -m/--fullnat their own). */
function realArg(i: number, j: number): string {
  const rip = i % 7 === 6 ? `[2001:db8:1::${(j + 1).toString(16)}]` : `203.0.113.${1 + ((i * 16 + j) % 254)}`;
  return `-r ${rip}:${8000 + j} ${['-g', '-m', '-i', '--fullnat'][(i + j) % 4]}`;
}

/** n services with 1..16 reals (16 for most), schedulers, methods and families mixed. */
function saved(n: number, first = 0, scheds = SCHEDS): string {
  const out: string[] = [];
  for (let i = first; i < first + n; i++) {
    out.push(`-A ${svcArg(i)} -s ${scheds[i % scheds.length]}${i % 5 === 0 ? ' -p 120' : ''}`);
    const n = i % 9 === 0 ? 1 + (i % 5) : 16;
    for (let j = 0; j < n; j++) out.push(`-a ${svcArg(i)} ${realArg(i, j)} -w ${1 + (j % 4)}`);
  }
  return out.join('\n') + '\n';
}

function listing(dp: Dataplane, st: DpState, stats = false): string {
  const views = buildViews(dp, st);
  const opts = { ...defaultListOptions(), numeric: true, stats };
  return formatList(views, opts, { connTableSize: readMeta(dp).conn_size }) + formatSave(views, true);
}

/** The live generation's table of every service, from one batch read of lb_slots: "svc/idx" → real id. */
function liveTables(dp: Dataplane, st: DpState): Map<string, number> {
  const gen = new Map(st.services.map((s) => [s.id, s.gen & 1]));
  const out = new Map<string, number>();
  for (const b of dp.maps.lb_slots.entries()) {
    for (let i = 0; i < b.count; i++) {
      const svc = b.keys.readUInt32LE(i * 8);
      const slot = b.keys.readUInt32LE(i * 8 + 4);
      if (gen.get(svc) === slot >>> 31) out.set(`${svc}/${slot & 0x7fffffff}`, b.values.readUInt32LE(i * 4));
    }
  }
  return new Map([...out].sort(([x], [y]) => (x < y ? -1 : 1)));
}

/**
 * What packets read, as text (hex bytes; a deep equality of ~10,000 buffers takes
 * jest seconds): each service's live list and LIPs, its reals' entries and counts,
 * and every live table slot.
 */
function liveBytes(dp: Dataplane, st: DpState): string {
  const out: Buffer[] = [];
  const tables = liveTables(dp, st);
  const lengths = new Map<number, number>();
  for (const k of tables.keys()) lengths.set(Number(k.split('/')[0]), (lengths.get(Number(k.split('/')[0])) ?? 0) + 1);
  for (const s of st.services) {
    out.push(dp.maps.lb_svc_dests.lookup(u32Key(s.id * 2 + (s.gen & 1)))!, dp.maps.lb_laddrs.lookup(u32Key(s.id))!);
    // exactly tableLen slots: none left past the end
    expect([s.id, lengths.get(s.id) ?? 0]).toEqual([s.id, s.tableLen]);
  }
  for (const r of st.reals) {
    out.push(dp.maps.lb_reals.lookup(u32Key(r.id))!, dp.maps.lb_real_conns.lookup(u32Key(r.id))!);
  }
  return [...out.map((b) => b.toString('hex')), ...[...tables].map(([k, v]) => `${k}=${v}`)].join('\n');
}

/** The state with services in id order (a hash map lists its entries in an order of its own). */
function stateOf(dp: Dataplane): DpState {
  const st = readState(dp);
  return { ...st, services: [...st.services].sort((x, y) => x.id - y.id) };
}

function expectSame(opts: { gen: boolean }): void {
  const sa = stateOf(a.dp);
  const sb = stateOf(b.dp);
  const strip = (st: DpState) => (opts.gen ? st : { ...st, services: st.services.map(({ gen: _gen, ...s }) => s) });
  expect(strip(sa)).toEqual(strip(sb));
  expect(listing(a.dp, sa)).toBe(listing(b.dp, sb));
  expect(listing(a.dp, sa, true)).toBe(listing(b.dp, sb, true));
  if (opts.gen) expect(liveBytes(a.dp, sa)).toBe(liveBytes(b.dp, sb));
}

describe('-R in batches', () => {
  test('300 services x 16 reals (past a 4,096-entry batch): the same maps as line by line', () => {
    // mh's 4,093-slot tables are left to the next test: 50 of them, rebuilt on every line, take long
    const text = saved(300, 0, ['rr', 'wlc', 'wrr', 'sh', 'lblc']);
    fresh();
    batched(a.dp, text);
    lineByLine(b.dp, text);
    const st = readState(a.dp);
    expect(st.services).toHaveLength(300);
    expect(st.reals.length).toBeGreaterThan(4096);
    expectSame({ gen: true });
    // -S of it restores to the same listing
    const again = formatSave(buildViews(a.dp, st), true);
    applyOps(a.dp, planRestore(readState(a.dp), '-C\n' + again));
    expect(listing(a.dp, readState(a.dp))).toBe(listing(b.dp, readState(b.dp)));
  });

  test('onto a live configuration: reals added, removed, edited, LIPs, services deleted and reused', () => {
    const text = [
      saved(20, 420),
      `-a ${svcArg(400)} -r 192.0.2.1 -g`, // live service 400 gets two more reals
      `-a ${svcArg(400)} -r 192.0.2.2:80 -m`,
      `-d ${svcArg(401)} -r 203.0.113.${1 + ((401 * 16) % 254)}:8000`, // a -m real of service 401
      `-a ${svcArg(401)} -r 192.0.2.3:8001 -m`, // takes its id
      `-e ${svcArg(402)} ${realArg(402, 1)} -w 7`,
      `-D ${svcArg(403)}`,
      '-A -t 198.51.100.240:90 -s mh', // takes the id of the service just deleted
      '-a -t 198.51.100.240:90 -r 192.0.2.4:90 --fullnat',
      // LIPs: two services in a row (one batch), then one of them again (a new batch)
      '-P -t 198.51.100.240:90 -z 192.0.2.200',
      `-P ${svcArg(401)} -z 192.0.2.201`,
      '-P -t 198.51.100.240:90 -z 192.0.2.202',
      '-Q -t 198.51.100.240:90 -z 192.0.2.200',
    ].join('\n');
    fresh();
    for (const t of [a, b]) applyOps(t.dp, planRestore(readState(t.dp), saved(30, 390)));
    batched(a.dp, text);
    lineByLine(b.dp, text);
    expectSame({ gen: false });
    const st = stateOf(a.dp);
    const lips = (dp: Dataplane, s: DpState) => s.services.map((x) => [x.id, s.laddrs?.[x.id], readLaddrCounters(dp, x.id, 0)]);
    expect(lips(a.dp, st)).toEqual(lips(b.dp, stateOf(b.dp)));
    expect(st.laddrs?.[st.services.find((s) => s.key.port === 90)!.id]?.map((x) => x.ip)).toEqual(['192.0.2.202']);
  });

  test('-C empties the maps the batched path wrote', () => {
    for (const t of [a, b]) applyOps(t.dp, planRestore(readState(t.dp), '-C'));
    for (const t of [a, b]) expect(readState(t.dp)).toMatchObject({ services: [], reals: [], laddrs: {} });
    expect([...a.dp.maps.lb_slots.entries()].reduce((n, x) => n + x.count, 0)).toBe(0);
  });

  test('two tables of one generation in a row: the later one is what remains', () => {
    const slot = (i: number) => a.dp.maps.lb_slots.lookup(encode(lb_slot_key, { svc_id: 9, slot: (1 << 31 | i) >>> 0 }))?.readUInt32LE(0);
    applyOps(a.dp, [
      { op: 'put-slots', svcId: 9, gen: 1, slots: [1, 2] },
      { op: 'put-slots', svcId: 9, gen: 1, slots: [3, 4, 5, 6] },
    ]);
    expect([0, 1, 2, 3, 4].map(slot)).toEqual([3, 4, 5, 6, undefined]);
    applyOps(a.dp, [{ op: 'put-slots', svcId: 9, gen: 1, slots: [7] }, { op: 'del-slots', svcId: 9 }]);
    expect([0, 1].map(slot)).toEqual([undefined, undefined]);
  });
});
