// Turns raw map readings into the snapshot the UI shows: IPVS estimator rates, the
// per-refresh rates the sparklines draw, and the sums. Pure apart from its own
// bounded memory (one estimator and three 60-point rings per row), so it is tested
// with made-up readings.
import { EstimatorSet } from '../agent/estimator.js';
import { realsOf } from '../plan/state.js';
import { serviceOf, realOf } from '../cli/views.js';
import { serviceKeyString, addrPortString, type RealCounts, type Stats } from '../model/types.js';
import { HistoryBook, HISTORY_POINTS } from './history.js';
import type { RawSample } from './reader.js';
import type { HealthState, MonitorSnapshot, RealRow, SeriesHistory, ServiceRow } from './types.js';

export type HealthLookup = (serviceKey: string, realKey: string) => HealthState;

const NO_COUNTS: RealCounts = { activeConns: 0, inactiveConns: 0, persistConns: 0 };

interface Prev {
  at: number;
  stats: Map<string, Stats>;
  packets: Map<string, bigint>;
}

export class Sampler {
  private readonly est = new EstimatorSet({ warmStart: true });
  private readonly hist: HistoryBook;
  private prev: Prev | undefined;

  constructor(
    private readonly opts: { pinDir: string; intervalMs: number; points?: number; health?: HealthLookup },
  ) {
    this.hist = new HistoryBook(opts.points ?? HISTORY_POINTS);
  }

  /** Rows whose estimator and history are kept: those of the last reading only. */
  get tracked(): { estimators: number; histories: number } {
    return { estimators: this.est.size, histories: this.hist.size };
  }

  /** A new point when a rate is known (not on a row's first reading). */
  private track(key: string, ps: [number, number, number] | undefined): SeriesHistory {
    if (ps) return this.hist.push(key, ...ps);
    this.hist.touch(key);
    return this.hist.get(key) ?? { cps: [], pps: [], bps: [] };
  }

  update(raw: RawSample, seq: number, withConns: boolean): MonitorSnapshot {
    const dt = this.prev ? (raw.atMs - this.prev.at) / 1000 : 0;
    const stats = new Map<string, Stats>();
    const perSec = (key: string, s: Stats): [number, number, number] | undefined => {
      stats.set(key, s);
      const p = this.prev?.stats.get(key);
      if (!p || dt <= 0) return undefined;
      const d = (a: bigint, b: bigint) => (a >= b ? Number(a - b) / dt : 0);
      return [d(s.conns, p.conns), d(s.inPkts + s.outPkts, p.inPkts + p.outPkts), d(s.inBytes + s.outBytes, p.inBytes + p.outBytes)];
    };
    const health = this.opts.health ?? (() => 'n/a' as HealthState);
    const state = { services: raw.services, reals: raw.reals };
    const services: ServiceRow[] = raw.services.map((svc) => {
      const service = serviceOf(svc);
      const key = serviceKeyString(service);
      const reals: RealRow[] = realsOf(state, svc.id).map((r) => {
        const real = realOf(r);
        const rkey = `${key}>${addrPortString(real.addr, real.port)}`;
        const st = raw.realStats.get(r.id) ?? zero();
        const e = this.est.sample(rkey, st, raw.atMs);
        const ps = perSec(rkey, st);
        return {
          key: rkey, real, stats: st, rates: e.rates(),
          counts: raw.perReal.get(r.id) ?? NO_COUNTS,
          history: this.track(rkey, ps),
          health: health(key, rkey),
        };
      });
      const st = raw.svcStats.get(svc.id) ?? zero();
      const e = this.est.sample(key, st, raw.atMs);
      const ps = perSec(key, st);
      const counts = reals.reduce((a, r) => ({
        activeConns: a.activeConns + r.counts.activeConns,
        inactiveConns: a.inactiveConns + r.counts.inactiveConns,
        persistConns: a.persistConns + r.counts.persistConns,
      }), { ...NO_COUNTS });
      return { key, service, stats: st, rates: e.rates(), counts, history: this.track(key, ps), reals };
    });
    this.est.prune();
    this.hist.prune();
    const packets = raw.packets.map((x) => {
      const p = this.prev?.packets.get(x.name);
      return { ...x, rate: p !== undefined && dt > 0 && x.count >= p ? Number(x.count - p) / dt : 0 };
    });
    this.prev = { at: raw.atMs, stats, packets: new Map(raw.packets.map((x) => [x.name, x.count])) };
    const live = raw.conns.rows.length;
    return {
      seq,
      intervalMs: this.opts.intervalMs,
      header: {
        pinDir: this.opts.pinDir,
        interfaces: raw.interfaces,
        packets,
        connTableSize: raw.meta.connSize,
        connCount: live,
        connCountTruncated: raw.conns.truncated,
        timeouts: { tcp: raw.meta.tcp, tcpfin: raw.meta.tcpfin, udp: raw.meta.udp },
      },
      services,
      conns: withConns ? raw.conns : undefined,
    };
  }
}

function zero(): Stats {
  return { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };
}

/** What the screen would show, as one comparable string (seq and conns left out). */
export function displaySignature(s: MonitorSnapshot): string {
  return JSON.stringify({ h: s.header, v: s.services, e: s.error }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}
