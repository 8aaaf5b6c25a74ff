// Connection entries and their expiry (bpf/include/conntrack.h, persist.h, gc.h):
// arming the in-kernel sweep at attach, running a sweep on demand, reading the
// table for -Lnc and the per-real counts for -Ln.
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { check, checkPtr, libbpf } from './ffi/libbpf.js';
import { u32Key } from './map.js';
import { decode, expectFields, viewOf } from './codec.js';
import {
  lb_conn, lb_conn_flags, lb_conn_key, lb_conn_timeout, lb_gc, lb_real, lb_real_conns, lb_real_flags, lb_tcp_state,
} from './generated/layout.js';
import { familyOf, wordsToAddr } from './addr.js';
import type { Dataplane } from './dataplane.js';
import type { PinPaths } from './pins.js';
import type { ConnEntry } from '../ipvsadm/format-conn.js';
import { DataplaneError } from '../util/errors.js';
import { idRange } from './id-range.js';

/** Where attach pins lb_gc_sweep (one sweep now: tests, diagnostics, `agent`). */
export function gcSweepPin(pins: PinPaths): string {
  return join(pins.dir, 'gc-sweep');
}

const XDP_PASS = 2;
const TEST_RUN_OPTS_SIZE = 80;

/** Runs an XDP program once over input (BPF_PROG_TEST_RUN); returns its verdict. */
export function runXdpOnce(progFd: number, input: Buffer): number {
  const out = Buffer.alloc(input.length + 256);
  const opts = {
    sz: TEST_RUN_OPTS_SIZE, data_in: input, data_out: out, data_size_in: input.length, data_size_out: out.length,
    ctx_in: null, ctx_out: null, ctx_size_in: 0, ctx_size_out: 0, retval: 0, repeat: 1, duration: 0,
    flags: 0, cpu: 0, batch_size: 0,
  };
  check(libbpf().bpf_prog_test_run_opts(progFd, opts), 'bpf_prog_test_run_opts');
  return opts.retval;
}

/**
 * Arms the expiry sweep's BPF timer (or re-points it at this build after an
 * upgrade) by running lb_gc_arm once, and pins lb_gc_sweep. obj is the loaded
 * bpf_object of the director.
 */
export function armConnExpiry(obj: unknown, pins: PinPaths): void {
  const lib = libbpf();
  const arm = checkPtr(lib.bpf_object__find_program_by_name(obj, 'lb_gc_arm'), 'program lb_gc_arm');
  const verdict = runXdpOnce(check(lib.bpf_program__fd(arm), 'program fd'), Buffer.alloc(64));
  if (verdict !== XDP_PASS) {
    throw new DataplaneError('cannot arm the connection expiry timer (bpf_timer): lb_gc_arm failed');
  }
  const sweep = checkPtr(lib.bpf_object__find_program_by_name(obj, 'lb_gc_sweep'), 'program lb_gc_sweep');
  const path = gcSweepPin(pins);
  if (existsSync(path)) unlinkSync(path);
  check(lib.bpf_obj_pin(check(lib.bpf_program__fd(sweep), 'program fd'), path), `pin ${path}`);
}

/** One sweep now, with the data plane's clock advanced by advanceNs (tests: a controllable clock). */
export function sweepNow(pins: PinPaths, advanceNs = 0n): void {
  const lib = libbpf();
  const fd = check(lib.bpf_obj_get(gcSweepPin(pins)), `open ${gcSweepPin(pins)}`);
  try {
    const input = Buffer.alloc(64);
    input.writeBigUInt64LE(advanceNs, 0);
    runXdpOnce(fd, input);
  } finally {
    lib.close(fd);
  }
}

export function readGc(dp: Dataplane) {
  return decode(lb_gc, dp.maps.lb_gc.lookup(u32Key(0))!);
}

/** Pauses (tests) or resumes the timer's sweeps; the timer keeps ticking. */
export function setGcPaused(dp: Dataplane, paused: boolean): void {
  const buf = dp.maps.lb_gc.lookup(u32Key(0))!;
  buf.writeUInt32LE(paused ? 1 : 0, lb_gc.fields.paused.offset);
  dp.maps.lb_gc.update(u32Key(0), buf);
}

expectFields(lb_real_conns, { active: 's64', inactive: 's64', persist: 's64' });

export interface RealConnCounts {
  activeConns: number;
  inactiveConns: number;
  persistConns: number;
}

/** ActiveConn / InActConn / PersistConn of one destination (lb_real_conns). */
export function readRealConns(dp: Dataplane, realId: number): RealConnCounts {
  const v = dp.maps.lb_real_conns.lookup(u32Key(realId));
  return countsOf(v ? decode(lb_real_conns, v) : undefined);
}

function countsOf(c: { active: bigint; inactive: bigint; persist: bigint } | undefined): RealConnCounts {
  if (!c) return { activeConns: 0, inactiveConns: 0, persistConns: 0 };
  // Never negative on screen: a transient race is put right by the next recount.
  const n = (x: bigint): number => (x > 0n ? Number(x) : 0);
  return { activeConns: n(c.active), inactiveConns: n(c.inactive), persistConns: n(c.persist) };
}

/**
 * The counts of many destinations in one batch read of lb_real_conns over the
 * range of their ids: id → counts.
 */
export function readRealConnsOf(dp: Dataplane, ids: readonly number[]): (id: number) => RealConnCounts {
  const m = dp.maps.lb_real_conns;
  const [lo, hi] = idRange(ids);
  const bytes = hi < 0 ? Buffer.alloc(0) : m.lookupRange(lo, hi - lo + 1);
  const v = viewOf(bytes);
  const C = lb_real_conns.fields;
  return (id) => {
    const off = (id - lo) * m.valueBytes;
    if (id < lo || off + m.valueBytes > bytes.length) return countsOf(undefined);
    // three fields straight from the batch, as numbers (a decode() and three bigints
    // per real were a tenth of -Ln)
    return {
      activeConns: s64AsCount(v, off + C.active.offset),
      inactiveConns: s64AsCount(v, off + C.inactive.offset),
      persistConns: s64AsCount(v, off + C.persist.offset),
    };
  };
}

/** A little-endian s64 as countsOf shows it: never negative; Number() of it otherwise (same rounding). */
function s64AsCount(v: DataView, off: number): number {
  const hi = v.getInt32(off + 4, true);
  if (hi < 0) return 0;
  return hi * 0x1_0000_0000 + v.getUint32(off, true);
}

export interface RawConn {
  key: ReturnType<typeof decode<typeof lb_conn_key>>;
  conn: ReturnType<typeof decode<typeof lb_conn>>;
}

/** Every entry of lb_conns, read in batches (BPF_MAP_LOOKUP_BATCH). */
export function readConnTable(dp: Dataplane): RawConn[] {
  const m = dp.maps.lb_conns;
  const ks = m.info.keySize;
  const vs = m.valueBytes;
  const out: RawConn[] = [];
  for (const b of m.entries()) {
    for (let i = 0; i < b.count; i++) {
      out.push({ key: decode(lb_conn_key, b.keys, i * ks), conn: decode(lb_conn, b.values, i * vs) });
    }
  }
  return out;
}

const STATE_NAMES = [
  'NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK',
  'LISTEN', 'SYNACK', 'UDP',
];

export interface Timeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** Seconds a connection in state lives without packets (bpf conn_state_timeout()). */
export function stateTimeout(state: number, t: Timeouts): number {
  const T = lb_conn_timeout;
  const S = lb_tcp_state;
  const table: Record<number, number> = {
    [S.LB_TCP_NONE]: T.LB_TO_NONE,
    [S.LB_TCP_ESTABLISHED]: t.tcp || T.LB_TO_ESTABLISHED,
    [S.LB_TCP_SYN_SENT]: T.LB_TO_SYN_SENT,
    [S.LB_TCP_SYN_RECV]: T.LB_TO_SYN_RECV,
    [S.LB_TCP_FIN_WAIT]: t.tcpfin || T.LB_TO_FIN_WAIT,
    [S.LB_TCP_TIME_WAIT]: T.LB_TO_TIME_WAIT,
    [S.LB_TCP_CLOSE]: T.LB_TO_CLOSE,
    [S.LB_TCP_CLOSE_WAIT]: T.LB_TO_CLOSE_WAIT,
    [S.LB_TCP_LAST_ACK]: T.LB_TO_LAST_ACK,
    [S.LB_TCP_LISTEN]: T.LB_TO_LISTEN,
    [S.LB_TCP_SYNACK]: T.LB_TO_SYNACK,
    [S.LB_UDP_STATE]: t.udp || T.LB_TO_UDP,
  };
  return table[state] ?? T.LB_TO_NONE;
}

/** The data plane's clock: bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC(_COARSE), as hrtime. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

const PROTO_NAME: Record<number, 'TCP' | 'UDP'> = { 6: 'TCP', 17: 'UDP' };

/**
 * Connections as /proc/net/ip_vs_conn lists them: one line per connection (NAT
 * reverse entries are the same connection and are not listed), templates with the
 * service's protocol, client port 0 and state NONE (IPVS prints fwmark templates
 * only as "IP"). Expire counts down from the state's timeout since the last packet.
 */
export function listConnections(dp: Dataplane, t: Timeouts, svcTimeout: (svcId: number) => number | undefined): ConnEntry[] {
  const now = monotonicNs();
  const reals = new Map<string, { addr: ReturnType<typeof wordsToAddr>; port: number } | null>();
  const realOf = (id: number, seq: number) => {
    const k = `${id}/${seq}`;
    if (!reals.has(k)) {
      const v = dp.maps.lb_reals.lookup(u32Key(id));
      const r = v && decode(lb_real, v);
      const alive = r && r.flags & lb_real_flags.LB_REAL_F_USED && r.seq === seq;
      reals.set(k, alive ? { addr: wordsToAddr(r.addr, familyOf(r.family)), port: r.port } : null);
    }
    return reals.get(k);
  };
  const out: ConnEntry[] = [];
  for (const { key, conn } of readConnTable(dp)) {
    if (conn.flags & lb_conn_flags.LB_CONN_F_REVERSE) continue;
    const template = (conn.flags & lb_conn_flags.LB_CONN_F_TEMPLATE) !== 0;
    const proto = PROTO_NAME[template ? key.pad : key.proto];
    if (!proto) continue;
    const real = realOf(conn.real_id, conn.real_seq);
    if (!real) continue; // its real was deleted: the entry is dead and goes at the next sweep
    const family = familyOf(key.family);
    const timeout = template ? svcTimeout(conn.svc_id) ?? lb_conn_timeout.LB_TO_PERSIST : stateTimeout(conn.state, t);
    const idle = now > conn.last_seen_ns ? Number((now - conn.last_seen_ns) / 1_000_000n) / 1000 : 0;
    out.push({
      protocol: proto,
      expiresSec: Math.max(0, timeout - idle),
      state: template ? 'NONE' : STATE_NAMES[conn.state] ?? 'NONE',
      client: { addr: wordsToAddr(key.saddr, family), port: key.sport },
      virtual: { addr: wordsToAddr(key.daddr, family), port: key.dport },
      real: { addr: real.addr, port: template && key.dport === 0 ? 0 : real.port },
    });
  }
  return out;
}
