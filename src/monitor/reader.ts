// Reads what the monitor needs out of the pinned maps, cheaply enough to do every
// second. readState() looks at all 65,536 lb_reals slots (~200 ms); here the reals are
// re-read only when a service's table changed (every add/edit/delete of a real
// switches its generation) or a known real changed in place, and the scan stops at
// the first long run of unused ids (ids are given lowest-free first).
import { Dataplane } from '../bpf/dataplane.js';
import { u32Key } from '../bpf/map.js';
import { attachedInterfaces, xdpInfo } from '../bpf/link.js';
import { readCounters, readGlobalStats, readMeta, readServices, realEntryOf } from '../bpf/state.js';
import type { PinPaths } from '../bpf/pins.js';
import type { RealEntry, SvcEntry } from '../plan/state.js';
import type { Stats } from '../model/types.js';
import { statNames } from '../bpf/stat-names.js';
import { DEFAULT_CONN_LIMIT, MapConnections, type ConnectionsProvider } from './connections.js';
import type { ConnSample, InterfaceInfo } from './types.js';
import type { RealCounts } from '../model/types.js';

/** Unused ids after the highest used one before the scan stops. */
const SCAN_GAP = 1024;
/** `ip link` is a process per interface: refresh interface facts this rarely. */
const IFACE_REFRESH_MS = 10_000;
/** A full re-read of the reals as a backstop for changes the cheap checks miss. */
const FULL_RESCAN_MS = 60_000;

export interface RawSample {
  atMs: number;
  services: SvcEntry[];
  reals: RealEntry[];
  svcStats: Map<number, Stats>;
  realStats: Map<number, Stats>;
  /** Global counters by name (lb_stat order). */
  packets: Array<{ name: string; count: bigint }>;
  meta: { connSize: number; tcp: number; tcpfin: number; udp: number };
  interfaces: InterfaceInfo[];
  conns: ConnSample;
  perReal: Map<number, RealCounts>;
}

export interface SampleReader {
  read(opts: { connLimit: number }): RawSample;
  close(): void;
}

function svcSignature(s: SvcEntry[]): string {
  return s.map((x) => `${x.id}:${x.gen}:${x.tableLen}:${x.flags}:${x.scheduler}`).sort().join(',');
}

export class MapReader implements SampleReader {
  private dp: Dataplane | undefined;
  private conns: ConnectionsProvider | undefined;
  private reals: RealEntry[] = [];
  private lastSig = '';
  private lastFull = 0;
  private ifaces: InterfaceInfo[] = [];
  private ifacesAt = -Infinity;
  private readonly names = statNames();

  constructor(private readonly pins: PinPaths, private readonly now: () => number = () => performance.now()) {}

  private open(): Dataplane {
    if (!this.dp) {
      this.dp = Dataplane.open(this.pins);
      this.conns = new MapConnections(this.dp.maps.lb_conns);
      this.lastSig = '';
    }
    return this.dp;
  }

  read(opts: { connLimit: number } = { connLimit: DEFAULT_CONN_LIMIT }): RawSample {
    const at = this.now();
    let dp: Dataplane;
    try {
      dp = this.open();
      return this.readFrom(dp, at, opts.connLimit);
    } catch (e) {
      // The data plane may have been detached and attached again: reopen next time.
      this.close();
      throw e;
    }
  }

  private readFrom(dp: Dataplane, at: number, connLimit: number): RawSample {
    const services = readServices(dp);
    const sig = svcSignature(services);
    if (sig !== this.lastSig || at - this.lastFull > FULL_RESCAN_MS || this.knownRealsChanged(dp)) {
      this.reals = this.scanReals(dp, new Set(services.map((s) => s.id)));
      this.lastSig = sig;
      this.lastFull = at;
    }
    const svcStats = new Map(services.map((s) => [s.id, readCounters(dp.maps.lb_svc_stats, s.id)] as const));
    const realStats = new Map(this.reals.map((r) => [r.id, readCounters(dp.maps.lb_real_stats, r.id)] as const));
    const counts = readGlobalStats(dp, this.names.length);
    const m = readMeta(dp);
    const meta = { connSize: m.conn_size, tcp: m.tcp_timeout, tcpfin: m.tcpfin_timeout, udp: m.udp_timeout };
    if (at - this.ifacesAt > IFACE_REFRESH_MS) {
      this.ifaces = attachedInterfaces(this.pins).map((name) => {
        const x = xdpInfo(name);
        const mode = x ? (x.mode === 2 ? 'generic' : x.mode === 3 ? 'offload' : 'native') : '?';
        return { name, mode, progId: x?.progId };
      });
      this.ifacesAt = at;
    }
    const { sample, perReal } = this.conns!.read(connLimit, {
      reals: new Map(this.reals.map((r) => [r.id, r])),
      nowNs: process.hrtime.bigint(),
      timeouts: { tcp: meta.tcp, tcpfin: meta.tcpfin, udp: meta.udp },
    });
    return {
      atMs: at,
      services,
      reals: this.reals,
      svcStats,
      realStats,
      packets: this.names.map((name, i) => ({ name, count: counts[i] ?? 0n })),
      meta,
      interfaces: this.ifaces,
      conns: sample,
      perReal,
    };
  }

  private decodeReal(id: number, v: Buffer | undefined): RealEntry | undefined {
    return realEntryOf(id, v);
  }

  /** One lookup per known real: catches edits that did not switch a table. */
  private knownRealsChanged(dp: Dataplane): boolean {
    for (const r of this.reals) {
      const now = this.decodeReal(r.id, dp.maps.lb_reals.lookup(u32Key(r.id)));
      if (!now || now.seq !== r.seq || now.weight !== r.weight || now.forward !== r.forward ||
        now.upperThreshold !== r.upperThreshold || now.lowerThreshold !== r.lowerThreshold || now.svcId !== r.svcId) return true;
    }
    return false;
  }

  private scanReals(dp: Dataplane, svcIds: Set<number>): RealEntry[] {
    const out: RealEntry[] = [];
    const m = dp.maps.lb_reals;
    let lastUsed = -1;
    for (let id = 0; id < m.info.maxEntries && id - lastUsed <= SCAN_GAP; id++) {
      const r = this.decodeReal(id, m.lookup(u32Key(id)));
      if (!r) continue;
      lastUsed = id;
      if (svcIds.has(r.svcId)) out.push(r);
    }
    return out;
  }

  close(): void {
    this.dp?.close();
    this.dp = undefined;
    this.conns = undefined;
  }
}
