// Carries out a plan (src/plan) on the pinned maps, in the plan's order.
//
// Consecutive ops of one kind go to the kernel as one batch (BPF_MAP_UPDATE_BATCH,
// BpfMap.updateMany), which writes its entries in the order given and stops at the
// first failure, so the maps always hold a prefix of the plan, as with one syscall
// per key: the ordering rules of src/plan/ops.ts (reals before the table that names
// them, the idle generation before the service entry that switches to it, removals
// last) hold op by op. A -R plans its ops kind by kind (src/plan/restore.ts) so that
// 1,000 services x 16 reals are a few dozen syscalls.
import { encode, expectFields } from './codec.js';
import { dottedQuadValue } from '../util/ipv4.js';
import { lb_meta, lb_real, lb_slot_key, lb_svc, lb_svc_key } from './generated/layout.js';
import { destsIndex, encodeDests } from './sched-dests.js';
import { enableReplies, putLaddrsMany } from './fwd-state.js';
import { addrToWords, familyCode } from './addr.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { Op } from '../plan/ops.js';
import type { RealEntry, SvcEntry } from '../plan/state.js';
import { FORWARD_CODE, protoCode } from './state.js';
import { SCHEDULER_INFO } from '../sched/registry.js';
import { readMeta } from './state.js';

export function svcKeyBytes(s: SvcEntry, into?: Buffer): Buffer {
  return encode(lb_svc_key, {
    addr: addrToWords(s.key.addr),
    port: s.key.port,
    proto: protoCode(s.key.protocol),
    family: familyCode(s.key.addr.family),
  }, into);
}

function svcValueBytes(s: SvcEntry, into?: Buffer): Buffer {
  return encode(lb_svc, {
    id: s.id,
    flags: s.flags,
    timeout: s.timeout,
    netmask: s.netmask,
    sched: SCHEDULER_INFO[s.scheduler].code,
    gen: s.gen,
    table_len: s.tableLen,
  }, into);
}

// The hot writers below put fields straight into a batch's bytes (zeroed by the batch's
// allocation): encode() of 16,000 reals' every field was a third of -R's writing.
const R = lb_real.fields;
const SK = lb_slot_key.fields;
expectFields(lb_real, {
  addr: 'be32', port: 'be16', family: 'u8', fwd: 'u8', svc_id: 'u32', weight: 'u32', flags: 'u32', u_threshold: 'u32', l_threshold: 'u32', seq: 'u32',
});
expectFields(lb_slot_key, { svc_id: 'u32', slot: 'u32' });

/** A real's lb_reals value, into a value's bytes (a new buffer when none). */
function realValueBytes(r: RealEntry, into: Buffer = Buffer.alloc(lb_real.size)): Buffer {
  into.fill(0, 0, lb_real.size);
  const v4 = r.addr.family === 'inet' ? dottedQuadValue(r.addr.ip) : null;
  const words = v4 === null ? addrToWords(r.addr) : [v4];
  words.forEach((w, i) => into.writeUInt32BE(w >>> 0, R.addr.offset + 4 * i));
  into.writeUInt16BE(r.port, R.port.offset);
  into.writeUInt8(familyCode(r.addr.family), R.family.offset);
  into.writeUInt8(FORWARD_CODE[r.forward], R.fwd.offset);
  into.writeUInt32LE(r.svcId >>> 0, R.svc_id.offset);
  into.writeUInt32LE(r.weight >>> 0, R.weight.offset);
  into.writeUInt32LE(r.flags >>> 0, R.flags.offset);
  into.writeUInt32LE(r.upperThreshold >>> 0, R.u_threshold.offset);
  into.writeUInt32LE(r.lowerThreshold >>> 0, R.l_threshold.offset);
  into.writeUInt32LE(r.seq >>> 0, R.seq.offset);
  return into;
}

function slotKey(svcId: number, gen: number, idx: number, into: Buffer = Buffer.alloc(lb_slot_key.size)): Buffer {
  into.writeUInt32LE(svcId >>> 0, SK.svc_id.offset);
  into.writeUInt32LE(((gen & 1) << 31 | idx) >>> 0, SK.slot.offset);
  return into;
}

/** The i-th value of a packed batch buffer. */
function nth(values: Buffer, size: number, i: number): Buffer {
  return values.subarray(i * size, (i + 1) * size);
}

/**
 * Writes n entries of an array map keyed by u32 ids in one batch; fill writes entry
 * i's value (left out: zeros, e.g. counters reset).
 */
function writeIds(m: BpfMap, ids: readonly number[], fill?: (into: Buffer, i: number) => void): void {
  const keys = Buffer.alloc(4 * ids.length);
  const values = Buffer.alloc(m.valueBytes * ids.length);
  ids.forEach((id, i) => {
    keys.writeUInt32LE(id >>> 0, 4 * i);
    fill?.(nth(values, m.valueBytes, i), i);
  });
  m.updateMany(keys, values, ids.length);
}

/** Deletes a generation's slots from idx on; a generation always occupies 0..n-1, so its tail ends at the first missing index. */
function deleteTail(m: BpfMap, svcId: number, gen: number, idx: number): number {
  let n = 0;
  for (let i = idx; m.delete(slotKey(svcId, gen, i)); i++) n++;
  return n;
}

/**
 * Writes generations of tables, each whole, and removes the slots past their ends.
 * Every slot is written, changed or not: the generation is idle (no packet reads it),
 * and one batch write costs less than the lookup per slot that would find the
 * unchanged ones. Returns the slots written or removed.
 */
function putSlots(m: BpfMap, tables: ReadonlyArray<{ svcId: number; gen: number; slots: number[] }>): number {
  const n = tables.reduce((s, t) => s + t.slots.length, 0);
  const keys = Buffer.alloc(m.info.keySize * n);
  const values = Buffer.alloc(m.valueBytes * n);
  let i = 0;
  for (const t of tables) {
    t.slots.forEach((rid, idx) => {
      slotKey(t.svcId, t.gen, idx, nth(keys, m.info.keySize, i));
      values.writeUInt32LE(rid >>> 0, i * m.valueBytes);
      i++;
    });
  }
  if (n > 0) m.updateMany(keys, values, n);
  return tables.reduce((s, t) => s + deleteTail(m, t.svcId, t.gen, t.slots.length), n);
}

export interface ApplyResult {
  slotsWritten: number;
}

type OpOf<K extends Op['op']> = Extract<Op, { op: K }>;

/** Kinds written as one batch when consecutive; the others read the maps first and go one by one. */
const BATCHED = new Set<Op['op']>([
  'put-real', 'del-real', 'put-slots', 'del-slots', 'put-dests', 'put-service', 'put-laddrs',
  'reset-cursor', 'zero-svc-stats', 'zero-real-stats', 'zero-real-conns',
]);

/**
 * What a batched op must not share with another op of its group: put-laddrs reads
 * the service's old pool, and put-slots removes its generation's tail after the
 * group's writes, which could remove slots a later table of the same generation wrote.
 */
function groupIdentity(o: Op): number | undefined {
  if (o.op === 'put-laddrs') return o.svcId;
  if (o.op === 'put-slots') return destsIndex(o.svcId, o.gen);
  return undefined;
}

/** Where the group starting at i ends: consecutive ops of its kind, a repeated identity starting a new group. */
function groupEnd(ops: Op[], i: number): number {
  const kind = ops[i]!.op;
  if (!BATCHED.has(kind)) return i + 1;
  const seen = new Set<number>();
  let j = i;
  for (; j < ops.length && ops[j]!.op === kind; j++) {
    const id = groupIdentity(ops[j]!);
    if (id === undefined) continue;
    if (seen.has(id)) break;
    seen.add(id);
  }
  return j;
}

export function applyOps(dp: Dataplane, ops: Op[]): ApplyResult {
  let slotsWritten = 0;
  for (let i = 0; i < ops.length; ) {
    const end = groupEnd(ops, i);
    slotsWritten += applyGroup(dp, ops.slice(i, end));
    i = end;
  }
  return { slotsWritten };
}

/** Ops of one kind, in plan order; returns the table slots written. */
function applyGroup(dp: Dataplane, group: Op[]): number {
  const m = dp.maps;
  const as = <K extends Op['op']>(_k: K) => group as Array<OpOf<K>>;
  switch (group[0]!.op) {
    case 'put-real': {
      const reals = as('put-real').map((o) => o.real);
      writeIds(m.lb_reals, reals.map((r) => r.id), (into, i) => realValueBytes(reals[i]!, into));
      // NAT/FULLNAT replies come back through the director: look them up (issue #3)
      if (reals.some((r) => r.forward === 'nat' || r.forward === 'fullnat')) enableReplies(dp);
      return 0;
    }
    case 'put-laddrs':
      putLaddrsMany(dp, as('put-laddrs')); // FULLNAT local addresses (issue #3)
      return 0;
    case 'del-real':
      writeIds(m.lb_reals, as('del-real').map((o) => o.id));
      return 0;
    case 'put-slots':
      return putSlots(m.lb_slots, as('put-slots'));
    case 'del-slots': {
      const ids = as('del-slots').map((o) => o.svcId);
      for (const id of ids) {
        deleteTail(m.lb_slots, id, 0, 0);
        deleteTail(m.lb_slots, id, 1, 0);
      }
      // both generations' lists empty: an all-zero value is a list of count 0
      writeIds(m.lb_svc_dests, ids.flatMap((id) => [destsIndex(id, 0), destsIndex(id, 1)]));
      return 0;
    }
    case 'put-dests': {
      const lists = as('put-dests');
      writeIds(m.lb_svc_dests, lists.map((o) => destsIndex(o.svcId, o.gen)), (into, i) => {
        encodeDests(lists[i]!.ids, lists[i]!.lastWeights, into);
      });
      return 0;
    }
    case 'put-service': {
      const svcs = as('put-service').map((o) => o.svc);
      const ks = m.lb_services.info.keySize;
      const vb = m.lb_services.valueBytes;
      const keys = Buffer.alloc(ks * svcs.length);
      const values = Buffer.alloc(vb * svcs.length);
      svcs.forEach((s, i) => {
        svcKeyBytes(s, nth(keys, ks, i));
        svcValueBytes(s, nth(values, vb, i));
      });
      m.lb_services.updateMany(keys, values, svcs.length);
      return 0;
    }
    case 'reset-cursor':
      writeIds(m.lb_svc_state, as('reset-cursor').map((o) => o.svcId));
      return 0;
    case 'zero-svc-stats':
      writeIds(m.lb_svc_stats, as('zero-svc-stats').map((o) => o.svcId));
      return 0;
    case 'zero-real-stats':
      writeIds(m.lb_real_stats, as('zero-real-stats').map((o) => o.id));
      return 0;
    case 'zero-real-conns':
      // A new destination in this id starts with no connections: the counts of a
      // removed real's connections are never decremented into it (conntrack.h).
      writeIds(m.lb_real_conns, as('zero-real-conns').map((o) => o.id));
      return 0;
    default:
      for (const o of group) applyOne(dp, o);
      return 0;
  }
}

/** The ops that read the maps before they write. */
function applyOne(dp: Dataplane, o: Op): void {
  const m = dp.maps;
  switch (o.op) {
    case 'del-service':
      m.lb_services.delete(svcKeyBytes(o.svc));
      return;
    case 'set-next-seq': {
      const cur = readMeta(dp);
      if (o.value > cur.next_seq) m.lb_meta.update(u32Key(0), encode(lb_meta, { ...cur, next_seq: o.value }));
      return;
    }
    case 'set-timeouts': {
      const cur = readMeta(dp);
      m.lb_meta.update(
        u32Key(0),
        encode(lb_meta, {
          ...cur,
          tcp_timeout: o.tcp || cur.tcp_timeout,
          tcpfin_timeout: o.tcpfin || cur.tcpfin_timeout,
          udp_timeout: o.udp || cur.udp_timeout,
        }),
      );
      return;
    }
    default:
      throw new RangeError(`op ${o.op} has no single-op writer`);
  }
}
