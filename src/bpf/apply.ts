// Carries out a plan (src/plan) on the pinned maps, in the plan's order.
import { encode } from './codec.js';
import { lb_counters, lb_real_conns, lb_meta, lb_real, lb_slot_key, lb_svc, lb_svc_key, lb_svc_state } from './generated/layout.js';
import { putDests } from './sched-dests.js';
import { enableReplies, putLaddrs } from './fwd-state.js';
import { addrToWords, familyCode } from './addr.js';
import { u32Key, type BpfMap } from './map.js';
import type { Dataplane } from './dataplane.js';
import type { Op } from '../plan/ops.js';
import type { RealEntry, SvcEntry } from '../plan/state.js';
import { FORWARD_CODE, protoCode } from './state.js';
import { SCHEDULER_INFO } from '../sched/registry.js';
import { readMeta } from './state.js';

export function svcKeyBytes(s: SvcEntry): Buffer {
  return encode(lb_svc_key, {
    addr: addrToWords(s.key.addr),
    port: s.key.port,
    proto: protoCode(s.key.protocol),
    family: familyCode(s.key.addr.family),
  });
}

function svcValueBytes(s: SvcEntry): Buffer {
  return encode(lb_svc, {
    id: s.id,
    flags: s.flags,
    timeout: s.timeout,
    netmask: s.netmask,
    sched: SCHEDULER_INFO[s.scheduler].code,
    gen: s.gen,
    table_len: s.tableLen,
  });
}

function realValueBytes(r: RealEntry): Buffer {
  return encode(lb_real, {
    addr: addrToWords(r.addr),
    port: r.port,
    family: familyCode(r.addr.family),
    fwd: FORWARD_CODE[r.forward],
    svc_id: r.svcId,
    weight: r.weight,
    flags: r.flags,
    u_threshold: r.upperThreshold,
    l_threshold: r.lowerThreshold,
    seq: r.seq,
  });
}

function slotKey(svcId: number, gen: number, idx: number): Buffer {
  return encode(lb_slot_key, { svc_id: svcId, slot: ((gen & 1) << 31 | idx) >>> 0 });
}

/**
 * Writes one generation of a table, touching only slots whose value changes, and
 * removes the slots past its end. A generation always occupies 0..n-1, so the old
 * tail ends at the first missing index.
 */
function putSlots(m: BpfMap, svcId: number, gen: number, slots: number[]): number {
  let written = 0;
  slots.forEach((rid, i) => {
    const k = slotKey(svcId, gen, i);
    const cur = m.lookup(k);
    if (cur && cur.readUInt32LE(0) === rid) return;
    m.update(k, u32Key(rid));
    written++;
  });
  for (let i = slots.length; m.delete(slotKey(svcId, gen, i)); i++) written++;
  return written;
}

function zeroPerCpu(m: BpfMap, id: number, size: number): void {
  m.update(u32Key(id), Buffer.alloc(Math.ceil(size / 8) * 8 * (m.valueBytes / m.slotBytes)));
}

export interface ApplyResult {
  slotsWritten: number;
}

export function applyOps(dp: Dataplane, ops: Op[]): ApplyResult {
  const m = dp.maps;
  let slotsWritten = 0;
  for (const o of ops) {
    switch (o.op) {
      case 'put-real':
        m.lb_reals.update(u32Key(o.real.id), realValueBytes(o.real));
        // NAT/FULLNAT replies come back through the director: look them up (issue #3)
        if (o.real.forward === 'nat' || o.real.forward === 'fullnat') enableReplies(dp);
        break;
      case 'put-laddrs':
        putLaddrs(dp, o.svcId, o.addrs); // FULLNAT local addresses (issue #3)
        break;
      case 'del-real':
        m.lb_reals.update(u32Key(o.id), Buffer.alloc(lb_real.size));
        break;
      case 'put-slots':
        slotsWritten += putSlots(m.lb_slots, o.svcId, o.gen, o.slots);
        break;
      case 'del-slots':
        putSlots(m.lb_slots, o.svcId, 0, []);
        putSlots(m.lb_slots, o.svcId, 1, []);
        putDests(m.lb_svc_dests, o.svcId, 0, [], []);
        putDests(m.lb_svc_dests, o.svcId, 1, [], []);
        break;
      case 'put-dests':
        putDests(m.lb_svc_dests, o.svcId, o.gen, o.ids, o.lastWeights);
        break;
      case 'put-service':
        m.lb_services.update(svcKeyBytes(o.svc), svcValueBytes(o.svc));
        break;
      case 'del-service':
        m.lb_services.delete(svcKeyBytes(o.svc));
        break;
      case 'reset-cursor':
        m.lb_svc_state.update(u32Key(o.svcId), Buffer.alloc(lb_svc_state.size));
        break;
      case 'zero-svc-stats':
        zeroPerCpu(m.lb_svc_stats, o.svcId, lb_counters.size);
        break;
      case 'zero-real-stats':
        zeroPerCpu(m.lb_real_stats, o.id, lb_counters.size);
        break;
      case 'zero-real-conns':
        // A new destination in this id starts with no connections: the counts of a
        // removed real's connections are never decremented into it (conntrack.h).
        m.lb_real_conns.update(u32Key(o.id), Buffer.alloc(lb_real_conns.size));
        break;
      case 'set-next-seq': {
        const cur = readMeta(dp);
        if (o.value > cur.next_seq) m.lb_meta.update(u32Key(0), encode(lb_meta, { ...cur, next_seq: o.value }));
        break;
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
        break;
      }
    }
  }
  return { slotsWritten };
}
