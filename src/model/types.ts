// Plain data descriptions of the configuration an LVS user manages.
// No live handles here: these values are what the planner compares and what the
// formatters print. The data plane's byte layouts live in src/bpf/generated.

export type Family = 'inet' | 'inet6';
export type Protocol = 'tcp' | 'udp';

/** Forwarding methods, named as ipvsadm's -Ln "Forward" column names them. */
export type ForwardMethod = 'dr' | 'tun' | 'nat' | 'fullnat';

/** Every scheduler of today's kernel (net/netfilter/ipvs/ip_vs_*.c). */
export const SCHEDULERS = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos',
] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

/** Scheduler flags as ipvsadm's -b takes them. */
export type SchedFlag = 'flag-1' | 'flag-2' | 'flag-3' | 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port';

export interface Addr {
  family: Family;
  /** Canonical text form: dotted quad or RFC 5952 IPv6. */
  ip: string;
}

/** Identity of a virtual service: what ipvsadm's -t/-u take. */
export interface ServiceKey {
  protocol: Protocol;
  addr: Addr;
  port: number;
}

export interface Service extends ServiceKey {
  scheduler: SchedulerName;
  /** Persistence timeout in seconds; undefined = not persistent. */
  persistence?: number;
  /** -M: IPv4 dotted mask or IPv6 prefix length; only meaningful with persistence. */
  netmask?: string | number;
  onePacket: boolean;
  schedFlags: SchedFlag[];
}

export interface RealKey {
  addr: Addr;
  port: number;
}

export interface Real extends RealKey {
  forward: ForwardMethod;
  weight: number;
  /** -x / -y connection thresholds; 0 = none. */
  upperThreshold: number;
  lowerThreshold: number;
}

/** Live numbers shown next to a real server in -Ln. */
export interface RealCounts {
  activeConns: number;
  inactiveConns: number;
  persistConns: number;
}

/** IPVS's per-service / per-destination statistics. */
export interface Stats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
}

export function zeroStats(): Stats {
  return { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };
}

/** Adds b into a (IPVS's counters are sums over CPUs, services, reals). */
export function addStats(a: Stats, b: Stats): Stats {
  a.conns += b.conns;
  a.inPkts += b.inPkts;
  a.outPkts += b.outPkts;
  a.inBytes += b.inBytes;
  a.outBytes += b.outBytes;
  return a;
}

/** A service with its reals, as listed. */
export interface ServiceView {
  service: Service;
  stats: Stats;
  reals: Array<{ real: Real; counts: RealCounts; stats: Stats }>;
  /** FULLNAT local addresses (-P … -z), when the service has any (issue #3). */
  laddrs?: Addr[];
}

export function serviceKeyString(k: ServiceKey): string {
  return `${k.protocol}:${addrPortString(k.addr, k.port)}`;
}

export function addrPortString(a: Addr, port: number): string {
  return a.family === 'inet6' ? `[${a.ip}]:${port}` : `${a.ip}:${port}`;
}

export function sameAddr(a: Addr, b: Addr): boolean {
  return a.family === b.family && a.ip === b.ip;
}

export function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  return a.protocol === b.protocol && a.port === b.port && sameAddr(a.addr, b.addr);
}

export function sameRealKey(a: RealKey, b: RealKey): boolean {
  return a.port === b.port && sameAddr(a.addr, b.addr);
}
