// What `lvs-xdp monitor` shows, as plain data: one immutable snapshot per refresh,
// and the data-source contract the UI reads it through. The UI never reads maps:
// a MonitorSource (source.ts for the live data plane, a fake in tests) does.
import type { Addr, Real, RealCounts, Service, Stats } from '../model/types.js';
import type { Rates } from '../ipvsadm/format-list.js';

/** The three series every row keeps for its sparklines (per second, one point per refresh). */
export interface SeriesHistory {
  cps: readonly number[];
  pps: readonly number[];
  bps: readonly number[];
}

export type Metric = keyof SeriesHistory;
export const METRICS: readonly Metric[] = ['cps', 'pps', 'bps'];

/** Health as the agent's checker reports it; 'n/a' while no agent runs. */
export type HealthState = 'up' | 'down' | 'n/a';

export interface RealRow {
  /** Stable identity across refreshes: "tcp:VIP:port>RIP:port". */
  key: string;
  real: Real;
  counts: RealCounts;
  stats: Stats;
  /** IPVS estimator rates (ipvsadm --rate). */
  rates: Rates;
  history: SeriesHistory;
  health: HealthState;
}

export interface ServiceRow {
  key: string;
  service: Service;
  stats: Stats;
  rates: Rates;
  history: SeriesHistory;
  /** Sums over the reals. */
  counts: RealCounts;
  reals: RealRow[];
}

export interface InterfaceInfo {
  name: string;
  /** native / generic / offload, or '?' when the link is pinned but not visible here. */
  mode: string;
  progId?: number;
}

export interface PacketCounter {
  /** lb_stat name without prefix: pass_not_vip, drop_no_real, tx, ... */
  name: string;
  count: bigint;
  /** Per second over the last refresh. */
  rate: number;
}

export interface HeaderInfo {
  pinDir: string;
  interfaces: InterfaceInfo[];
  packets: PacketCounter[];
  connTableSize: number;
  /** Live connection entries found (bounded scan). */
  connCount: number;
  /** True when the scan stopped at its limit: connCount is a lower bound. */
  connCountTruncated: boolean;
  timeouts: { tcp: number; tcpfin: number; udp: number };
}

export interface ConnEndpointView {
  addr: Addr;
  port: number;
}

/** One connection entry as -Lnc shows it. */
export interface ConnRow {
  protocol: 'TCP' | 'UDP';
  state: string;
  expiresSec: number;
  client: ConnEndpointView;
  virtual: ConnEndpointView;
  /** Undefined when its real server is gone (the entry is dead). */
  real?: ConnEndpointView;
  realId: number;
  active: boolean;
}

export interface ConnSample {
  rows: ConnRow[];
  /** Map entries looked at (live, expired and dead). */
  scanned: number;
  /** Entries past their timeout that only the collector will remove. */
  expired: number;
  limit: number;
  truncated: boolean;
}

export interface MonitorSnapshot {
  /** Increases with every published snapshot. */
  seq: number;
  intervalMs: number;
  header: HeaderInfo;
  services: ServiceRow[];
  /** Present while the connections view is wanted (setConnectionsWanted). */
  conns?: ConnSample;
  /** Why the last refresh failed (the data plane went away, ...); data is the last good one. */
  error?: string;
}

export interface ActionResult {
  ok: boolean;
  message: string;
}

/** What the UI may ask of its data source. */
export interface MonitorSource {
  getSnapshot(): MonitorSnapshot;
  subscribe(listener: () => void): () => void;
  /** Sets a real's weight (text as typed) through the ipvsadm -e path. */
  setWeight(service: Service, real: Real, weightText: string): ActionResult;
  /** Weight 0, or back to the weight it had before (1 if unknown). */
  toggleDrain(service: Service, real: Real): ActionResult;
  setConnectionsWanted(on: boolean): void;
  /** Re-read now (after an action). */
  refresh(): void;
}

