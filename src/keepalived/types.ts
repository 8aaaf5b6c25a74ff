// The LVS part of a keepalived configuration, as plain data. Every default that
// keepalived fills in at the end of its parse (check_data.c validate_check_config) is
// already resolved here: a checker carries its own retry/delays/timeout, a real server
// its port and forwarding method. Times are in milliseconds (keepalived reads seconds,
// with decimals, as TIMER_HZ ticks).
import type { Addr, ForwardMethod, SchedFlag, SchedulerName } from '../model/types.js';

/** Where a statement was read: the file (as named when opened) and its 1-based line. */
export interface SourcePos {
  file: string;
  line: number;
}

/**
 * Something in the file this build does not act on (global_defs, vrrp_*, SMTP_CHECK,
 * an unknown keyword …) or a value keepalived itself would correct with a warning.
 * One notice per statement; the statements inside an ignored block are not listed.
 */
export interface Notice extends SourcePos {
  keyword: string;
  message: string;
}

export type KaProtocol = 'tcp' | 'udp' | 'sctp';

export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelCsum = 'nocsum' | 'csum' | 'remcsum';

export interface Forwarding {
  method: Exclude<ForwardMethod, 'fullnat'>;
  /** Only for method 'tun'. */
  tunnel?: { type: TunnelType; port?: number; csum: TunnelCsum };
}

/** Timing and retry settings a checker runs with (after inheritance). */
export interface CheckTiming {
  /** Interval between checks. */
  delayLoopMs: number;
  /** Interval before a retry after a failure while the checker is still up. */
  delayBeforeRetryMs: number;
  /** Failures tolerated (as retries) before the checker is declared down. */
  retry: number;
  /** Upper bound of the random delay before the first check (keepalived default: delay_loop). */
  warmupMs: number;
  /** Start down until the first success. */
  alpha: boolean;
}

/** connect_ip/connect_port/bindto/bind_port/connect_timeout, resolved against the real server. */
export interface ConnectOptions {
  ip: Addr;
  port: number;
  bindto?: Addr;
  bindPort?: number;
  connectTimeoutMs: number;
}

export interface UrlCheck {
  path: string;
  /** Lower-case hex MD5 of the body; undefined = not checked. */
  digest?: string;
  /** Accepted status codes as inclusive ranges (default [[200, 299]]). */
  statusCodes: Array<[number, number]>;
  virtualhost?: string;
}

export interface TcpCheckConfig extends CheckTiming {
  type: 'TCP_CHECK';
  where: SourcePos;
  connect: ConnectOptions;
}

export type HttpProtocolVersion = '1.0' | '1.0C' | '1.1';

export interface HttpCheckConfig extends CheckTiming {
  type: 'HTTP_GET' | 'SSL_GET';
  where: SourcePos;
  connect: ConnectOptions;
  urls: UrlCheck[];
  httpProtocol: HttpProtocolVersion;
  virtualhost?: string;
  /** SSL_GET: server name sent in the TLS handshake (enable_sni / sni_name). */
  sniName?: string;
}

export interface MiscCheckConfig extends CheckTiming {
  type: 'MISC_CHECK';
  where: SourcePos;
  /** The whole misc_path command line, run through /bin/sh -c. */
  path: string;
  /** misc_timeout; keepalived uses delay_loop when unset. */
  timeoutMs: number;
  dynamic: boolean;
  user?: string;
  group?: string;
}

export type CheckerConfig = TcpCheckConfig | HttpCheckConfig | MiscCheckConfig;

export interface RealServerConfig {
  where: SourcePos;
  addr: Addr;
  /** Resolved: the VS port for DR/TUN (and for NAT without one), 0 for fwmark services. */
  port: number;
  /** Configured weight (keepalived's iweight). */
  weight: number;
  forward: Forwarding;
  upperThreshold: number;
  lowerThreshold: number;
  inhibitOnFailure: boolean;
  notifyUp?: string;
  notifyDown?: string;
  checkers: CheckerConfig[];
}

export interface SorryServerConfig {
  where: SourcePos;
  addr: Addr;
  port: number;
  forward: Forwarding;
  inhibit: boolean;
}

export type VirtualServerTarget =
  | { kind: 'addr'; addr: Addr; port: number }
  | { kind: 'fwmark'; mark: number; family?: 'inet' | 'inet6' }
  | { kind: 'group'; name: string };

export interface VirtualServerConfig {
  where: SourcePos;
  /** Stable identity used by the health state: "tcp 192.0.2.10:80", "fwmark 1", "group web tcp". */
  id: string;
  target: VirtualServerTarget;
  /** Undefined for fwmark services (keepalived ignores the protocol there). */
  protocol?: KaProtocol;
  scheduler: SchedulerName;
  /** Default forwarding (lb_kind / lvs_method), inherited by the reals. */
  forward: Forwarding;
  persistence?: number;
  /** IPv4 dotted mask or IPv6 prefix length. */
  granularity?: string | number;
  persistenceEngine?: string;
  onePacket: boolean;
  schedFlags: SchedFlag[];
  delayLoopMs: number;
  quorum: number;
  hysteresis: number;
  alpha: boolean;
  omega: boolean;
  inhibitOnFailure: boolean;
  quorumUp?: string;
  quorumDown?: string;
  virtualhost?: string;
  sorryServer?: SorryServerConfig;
  reals: RealServerConfig[];
}

export type GroupEntry =
  | { kind: 'range'; where: SourcePos; first: Addr; last: Addr; port: number }
  | { kind: 'fwmark'; where: SourcePos; mark: number; family?: 'inet' | 'inet6' };

export interface VirtualServerGroup {
  where: SourcePos;
  name: string;
  entries: GroupEntry[];
}

export interface KeepalivedConfig {
  virtualServers: VirtualServerConfig[];
  groups: VirtualServerGroup[];
  /** Statements not acted upon, in file order. */
  ignored: Notice[];
  /** Values corrected the way keepalived corrects them (it logs a warning too). */
  warnings: Notice[];
  /** Every file read, the main one first. */
  files: string[];
}
