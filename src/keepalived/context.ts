// Shared by the LVS readers: the notices collected on the way and the one-notice-per-
// statement helpers. The drafts are what a block says before keepalived's end-of-parse
// defaults are applied (undefined = not given).
import type { Addr, SchedFlag, SchedulerName } from '../model/types.js';
import type { Statement } from './tree.js';
import type { Forwarding, HttpProtocolVersion, KaProtocol, Notice, SourcePos, UrlCheck, VirtualServerTarget } from './types.js';

export interface Ctx {
  ignored: Notice[];
  warnings: Notice[];
}

export function ignore(ctx: Ctx, st: Statement, message: string): void {
  ctx.ignored.push({ ...st.pos, keyword: st.keyword, message });
}

export function warn(ctx: Ctx, pos: SourcePos, keyword: string, message: string): void {
  ctx.warnings.push({ ...pos, keyword, message });
}

/** Timing fields that cascade virtual_server → real_server → checker. */
export interface TimingDraft {
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  delayLoopMs?: number;
  warmupMs?: number;
  alpha?: boolean;
}

export interface CheckerDraft extends TimingDraft {
  type: 'TCP_CHECK' | 'HTTP_GET' | 'SSL_GET' | 'MISC_CHECK';
  where: SourcePos;
  connectIp?: Addr;
  connectPort?: number;
  bindto?: Addr;
  bindPort?: number;
  urls: UrlCheck[];
  httpProtocol: HttpProtocolVersion;
  virtualhost?: string;
  sniName?: string;
  miscPath?: string;
  miscTimeoutMs?: number;
  dynamic: boolean;
  user?: string;
  group?: string;
}

export interface RealDraft extends TimingDraft {
  where: SourcePos;
  addr: Addr;
  port: number;
  weight?: number;
  forward?: Forwarding;
  upperThreshold: number;
  lowerThreshold: number;
  inhibit?: boolean;
  notifyUp?: string;
  notifyDown?: string;
  virtualhost?: string;
  checkers: CheckerDraft[];
}

export interface SorryDraft {
  where: SourcePos;
  addr: Addr;
  port: number;
  forward?: Forwarding;
  inhibit: boolean;
}

export interface VsDraft extends TimingDraft {
  where: SourcePos;
  target: VirtualServerTarget;
  family?: 'inet' | 'inet6';
  protocol?: KaProtocol;
  scheduler?: SchedulerName;
  forward?: Forwarding;
  persistence?: number;
  granularity?: string | number;
  persistenceEngine?: string;
  onePacket: boolean;
  schedFlags: Array<{ flag: SchedFlag; st: Statement }>;
  weight: number;
  quorum: number;
  hysteresis: number;
  omega: boolean;
  inhibit: boolean;
  quorumUp?: string;
  quorumDown?: string;
  virtualhost?: string;
  sorry?: SorryDraft;
  reals: RealDraft[];
}
