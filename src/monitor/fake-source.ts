// A MonitorSource holding a snapshot given by hand: for component tests and for
// looking at the UI without a data plane. Records what the UI asked of it.
import type { Real, Service, ServiceKey, Stats } from '../model/types.js';
import { addrPortString, serviceKeyString } from '../model/types.js';
import type { Rates } from '../ipvsadm/format-list.js';
import type { ActionResult, MonitorSnapshot, MonitorSource, RealRow, ServiceRow } from './types.js';
import { statNames } from '../bpf/stat-names.js';

export class FakeSource implements MonitorSource {
  private readonly listeners = new Set<() => void>();
  readonly calls: Array<{ op: string; real?: string; text?: string; on?: boolean }> = [];
  /** What setWeight / toggleDrain answer. */
  result: ActionResult = { ok: true, message: 'done' };

  constructor(private snap: MonitorSnapshot) {}

  getSnapshot = (): MonitorSnapshot => this.snap;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** Subscribers now (a UI that subscribed once per render would make this grow). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Publishes s (the same object again re-renders nothing). */
  publish(s: MonitorSnapshot = this.snap): void {
    this.snap = s;
    for (const l of this.listeners) l();
  }

  setWeight(_s: Service, r: Real, text: string): ActionResult {
    this.calls.push({ op: 'weight', real: addrPortString(r.addr, r.port), text });
    return this.result;
  }

  toggleDrain(_s: Service, r: Real): ActionResult {
    this.calls.push({ op: 'drain', real: addrPortString(r.addr, r.port) });
    return this.result;
  }

  setConnectionsWanted(on: boolean): void {
    this.calls.push({ op: 'conns', on });
  }

  refresh(): void {
    this.calls.push({ op: 'refresh' });
  }
}

const ZERO_STATS: Stats = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };

function rates(cps: number): Rates {
  return { cps, inpps: cps * 6, outpps: 0, inbps: cps * 700, outbps: 0 };
}

function ramp(n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.round(k * (1 + Math.sin(i / 5)))));
}

/** A snapshot with the services and reals described, figures made up but plausible. */
export function demoSnapshot(
  services: Array<{ key: ServiceKey; scheduler?: Service['scheduler']; reals: Array<{ ip: string; port?: number; weight?: number; cps?: number }> }>,
): MonitorSnapshot {
  const rows: ServiceRow[] = services.map((s) => {
    const service: Service = { ...s.key, scheduler: s.scheduler ?? 'rr', onePacket: false, schedFlags: [] };
    const key = serviceKeyString(service);
    const reals: RealRow[] = s.reals.map((r, i) => {
      const real: Real = {
        addr: { family: r.ip.includes(':') ? 'inet6' : 'inet', ip: r.ip }, port: r.port ?? s.key.port,
        forward: 'dr', weight: r.weight ?? 1, upperThreshold: 0, lowerThreshold: 0,
      };
      const cps = r.cps ?? 2 + i;
      return {
        key: `${key}>${addrPortString(real.addr, real.port)}`, real,
        counts: { activeConns: 3 + i, inactiveConns: 10 * (i + 1), persistConns: 0 },
        stats: { ...ZERO_STATS, conns: BigInt(100 * (i + 1)) }, rates: rates(cps),
        history: { cps: ramp(60, cps), pps: ramp(60, cps * 6), bps: ramp(60, cps * 700) }, health: 'n/a',
      };
    });
    const cps = reals.reduce((a, r) => a + r.rates.cps, 0);
    return {
      key, service, stats: ZERO_STATS, rates: rates(cps), reals,
      counts: reals.reduce((a, r) => ({
        activeConns: a.activeConns + r.counts.activeConns, inactiveConns: a.inactiveConns + r.counts.inactiveConns, persistConns: 0,
      }), { activeConns: 0, inactiveConns: 0, persistConns: 0 }),
      history: { cps: ramp(60, cps), pps: ramp(60, cps * 6), bps: ramp(60, cps * 700) },
    };
  });
  const names = statNames();
  return {
    seq: 1,
    intervalMs: 1000,
    header: {
      pinDir: '/sys/fs/bpf/lvs-xdp',
      interfaces: [{ name: 'eth0', mode: 'native', progId: 42 }],
      packets: names.map((name) => ({
        name, count: name === 'tx' ? 123456n : name === 'pass_not_vip' ? 77n : name === 'drop_no_real' ? 3n : 0n,
        rate: name === 'tx' ? 60 : 0,
      })),
      connTableSize: 1048576,
      connCount: 42,
      connCountTruncated: false,
      timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
    },
    services: rows,
  };
}
