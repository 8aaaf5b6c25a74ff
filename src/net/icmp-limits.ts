// How often the director may send the ICMP errors the data plane writes itself (the
// port unreachable for a new connection no real server can take,
// bpf/include/icmp_unreach.h): as often as its kernel would send its own, so the
// kernel's sysctls are read when the program is loaded and handed to it in
// lb_icmp_conf. Reading is apart from parsing: icmpLimitsFrom() is pure.
import { readFileSync } from 'node:fs';
import { decode, encode } from '../bpf/codec.js';
import { lb_icmp_conf, lb_icmp_conf_flags, lb_icmp_defaults as D } from '../bpf/generated/layout.js';
import { DataplaneError } from '../util/errors.js';

export class IcmpSysctlError extends DataplaneError {}

export interface IcmpLimits {
  /** net.ipv4.icmp_ratelimit: ms per error to one client (0: no per-client limit). */
  peerMsV4: number;
  /** net.ipv6.icmp.ratelimit. */
  peerMsV6: number;
  /** net.ipv4.icmp_msgs_per_sec and icmp_msgs_burst: all clients together (ICMPv6 too). */
  msgsPerSec: number;
  msgsBurst: number;
  /** The ratemasks have destination unreachable (ICMP type 3, ICMPv6 type 1): limited. */
  limitV4: boolean;
  limitV6: boolean;
}

/** The kernel's defaults (bpf/include/lb_shared.h, lb_icmp_defaults). */
export const KERNEL_ICMP_LIMITS: Readonly<IcmpLimits> = {
  peerMsV4: D.LB_ICMP_PEER_MS_V4,
  peerMsV6: D.LB_ICMP_PEER_MS_V6,
  msgsPerSec: D.LB_ICMP_MSGS_PER_SEC,
  msgsBurst: D.LB_ICMP_MSGS_BURST,
  limitV4: true,
  limitV6: true,
};

export const ICMP_SYSCTLS = {
  peerMsV4: 'net/ipv4/icmp_ratelimit',
  peerMsV6: 'net/ipv6/icmp/ratelimit',
  msgsPerSec: 'net/ipv4/icmp_msgs_per_sec',
  msgsBurst: 'net/ipv4/icmp_msgs_burst',
  ratemaskV4: 'net/ipv4/icmp_ratemask',
  ratemaskV6: 'net/ipv6/icmp/ratemask',
} as const;

const ICMP_DEST_UNREACH = 3;
const ICMPV6_DEST_UNREACH = 1;

function u32(key: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new IcmpSysctlError(`${key}: "${text}" is not a number`);
  return Number(text);
}

/** net.ipv6.icmp.ratemask is a bitmap written as ranges ("0-1,3-127"): is bit `type` set? */
export function ratemaskHas(key: string, text: string, type: number): boolean {
  if (text === '') return false;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new IcmpSysctlError(`${key}: "${text}" is not a list of ranges`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new IcmpSysctlError(`${key}: "${part}" is an empty range`);
    if (type >= lo && type <= hi) return true;
  }
  return false;
}

/**
 * The limits from the sysctls as `read` returns them (trimmed text, or undefined when
 * the key does not exist, e.g. IPv6 disabled: the kernel's default is taken).
 */
export function icmpLimitsFrom(read: (key: string) => string | undefined): IcmpLimits {
  const num = (field: keyof typeof ICMP_SYSCTLS & keyof IcmpLimits): number => {
    const text = read(ICMP_SYSCTLS[field]);
    return text === undefined ? (KERNEL_ICMP_LIMITS[field] as number) : u32(ICMP_SYSCTLS[field], text);
  };
  const mask4 = read(ICMP_SYSCTLS.ratemaskV4);
  const mask6 = read(ICMP_SYSCTLS.ratemaskV6);
  return {
    peerMsV4: num('peerMsV4'),
    peerMsV6: num('peerMsV6'),
    msgsPerSec: num('msgsPerSec'),
    msgsBurst: num('msgsBurst'),
    limitV4: mask4 === undefined ? true : (u32(ICMP_SYSCTLS.ratemaskV4, mask4) & (1 << ICMP_DEST_UNREACH)) !== 0,
    limitV6: mask6 === undefined ? true : ratemaskHas(ICMP_SYSCTLS.ratemaskV6, mask6, ICMPV6_DEST_UNREACH),
  };
}

/** This network namespace's limits (/proc/sys is the caller's namespace's). */
export function readIcmpLimits(): IcmpLimits {
  return icmpLimitsFrom((key) => {
    try {
      return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  });
}

/** struct lb_icmp_conf for these limits. */
export function encodeIcmpConf(l: IcmpLimits): Buffer {
  const flags = lb_icmp_conf_flags.LB_ICMP_CONF_SET
    | (l.limitV4 ? lb_icmp_conf_flags.LB_ICMP_CONF_LIMIT_V4 : 0)
    | (l.limitV6 ? lb_icmp_conf_flags.LB_ICMP_CONF_LIMIT_V6 : 0);
  return encode(lb_icmp_conf, {
    flags, peer_ms_v4: l.peerMsV4, peer_ms_v6: l.peerMsV6, msgs_per_sec: l.msgsPerSec, msgs_burst: l.msgsBurst, pad: 0,
  });
}

/** The limits an lb_icmp_conf entry holds, or undefined when no load wrote it. */
export function decodeIcmpConf(raw: Buffer): IcmpLimits | undefined {
  const v = decode(lb_icmp_conf, raw);
  if (!(v.flags & lb_icmp_conf_flags.LB_ICMP_CONF_SET)) return undefined;
  return {
    peerMsV4: v.peer_ms_v4,
    peerMsV6: v.peer_ms_v6,
    msgsPerSec: v.msgs_per_sec,
    msgsBurst: v.msgs_burst,
    limitV4: (v.flags & lb_icmp_conf_flags.LB_ICMP_CONF_LIMIT_V4) !== 0,
    limitV6: (v.flags & lb_icmp_conf_flags.LB_ICMP_CONF_LIMIT_V6) !== 0,
  };
}

/** One line for `lvs-xdp status`: how often a client is refused with a port unreachable. */
export function describeIcmpLimits(l: IcmpLimits): string {
  const perClient = (limited: boolean, ms: number, mask: string): string =>
    !limited ? `not limited (${mask})` : ms === 0 ? 'no per-client limit' : `per client ${D.LB_ICMP_PEER_BURST}, then 1 per ${ms} ms`;
  const overall = `${Math.max(l.msgsBurst, 1)}, then ${l.msgsPerSec === 0 ? 'none' : `${l.msgsPerSec}/s`} per CPU`;
  return `IPv4 ${perClient(l.limitV4, l.peerMsV4, 'icmp_ratemask')}; IPv6 ${perClient(l.limitV6, l.peerMsV6, 'icmp/ratemask')}; ` +
    `overall ${overall}`;
}
