// The live data source behind the monitor: one timer, a map reading per tick (off
// the render path: the UI only gets the finished snapshot), and a new snapshot only
// when something visible changed, so React does not re-render an idle screen.
import type { Real, Service } from '../model/types.js';
import { DEFAULT_CONN_LIMIT } from './connections.js';
import type { SampleReader } from './reader.js';
import { Sampler, displaySignature, type HealthLookup } from './sampler.js';
import { WeightActions, type Runner } from './actions.js';
import type { ActionResult, MonitorSnapshot, MonitorSource } from './types.js';

export interface LiveSourceOptions {
  reader: SampleReader;
  runner: Runner;
  pinDir: string;
  intervalMs: number;
  connLimit?: number;
  health?: HealthLookup;
}

export function emptySnapshot(pinDir: string, intervalMs: number): MonitorSnapshot {
  return {
    seq: 0,
    intervalMs,
    header: {
      pinDir, interfaces: [], packets: [], connTableSize: 0, connCount: 0, connCountTruncated: false,
      timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    },
    services: [],
  };
}

export class LiveSource implements MonitorSource {
  private snap: MonitorSnapshot;
  private sig = '';
  private seq = 0;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private wantConns = false;
  private readonly sampler: Sampler;
  private readonly actions: WeightActions;

  constructor(private readonly o: LiveSourceOptions) {
    this.snap = emptySnapshot(o.pinDir, o.intervalMs);
    this.sampler = new Sampler({ pinDir: o.pinDir, intervalMs: o.intervalMs, health: o.health });
    this.actions = new WeightActions(o.runner);
  }

  /** Reads once now, then every interval. */
  start(): void {
    this.tick();
    this.timer ??= setInterval(() => this.tick(), this.o.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.o.reader.close();
    this.listeners.clear();
  }

  /** One reading; publishes when the screen would change. */
  tick(): void {
    let next: MonitorSnapshot;
    try {
      const raw = this.o.reader.read({ connLimit: this.o.connLimit ?? DEFAULT_CONN_LIMIT });
      next = this.sampler.update(raw, this.seq + 1, this.wantConns);
    } catch (e) {
      next = { ...this.snap, seq: this.seq + 1, error: (e as Error).message };
    }
    const sig = displaySignature(next);
    if (sig === this.sig && !next.conns && !this.snap.conns) return;
    this.sig = sig;
    this.seq = next.seq;
    this.snap = next;
    for (const l of this.listeners) l();
  }

  getSnapshot = (): MonitorSnapshot => this.snap;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  setWeight(service: Service, real: Real, weightText: string): ActionResult {
    const r = this.actions.setWeight(service, real, weightText);
    this.refresh();
    return r;
  }

  toggleDrain(service: Service, real: Real): ActionResult {
    const r = this.actions.toggleDrain(service, real);
    this.refresh();
    return r;
  }

  setConnectionsWanted(on: boolean): void {
    if (on === this.wantConns) return;
    this.wantConns = on;
    this.refresh();
  }

  refresh(): void {
    this.tick();
  }
}
