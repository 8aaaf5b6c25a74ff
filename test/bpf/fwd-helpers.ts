// Helpers of the forwarding-method suites (fwd-*.test.ts, icmp*.test.ts): reals of any
// method through the control plane, FULLNAT local addresses, a route to the clients,
// and hand-built outer headers for the expected frames. Adds to harness.ts/packets.ts.
import { execFileSync } from 'node:child_process';
import { isIPv4 } from 'node:net';
import type { Dataplane } from '../../src/bpf/dataplane.js';
import { planAddReal } from '../../src/plan/plan.js';
import { planAddLaddr } from '../../src/plan/laddr.js';
import type { ForwardMethod, ServiceKey } from '../../src/model/types.js';
import { IF_LB, addr, applyPlan } from './harness.js';
import { ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6, inetChecksum, ipBytes, mac } from './packets.js';

/** Where the clients are: behind a router on lbt0 (PERMANENT neighbour). */
export const ROUTER4 = '192.0.2.1';
export const ROUTER6 = '2001:db8::1';
export const ROUTER_NEXTHOP_MAC = '02:00:00:00:00:01';
export const CLIENT_NET4 = '198.51.100.0/24';
export const CLIENT_NET6 = '2001:db8:ffff::/48';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore', timeout: 10_000 });
}

/** Routes to the client networks via the router (idempotent; the private namespace only). */
export function setupClientRoutes(): void {
  ip('neigh', 'replace', ROUTER4, 'lladdr', ROUTER_NEXTHOP_MAC, 'dev', IF_LB, 'nud', 'permanent');
  ip('-6', 'neigh', 'replace', ROUTER6, 'lladdr', ROUTER_NEXTHOP_MAC, 'dev', IF_LB, 'nud', 'permanent');
  ip('route', 'replace', CLIENT_NET4, 'via', ROUTER4, 'dev', IF_LB);
  ip('-6', 'route', 'replace', CLIENT_NET6, 'via', ROUTER6, 'dev', IF_LB);
}

/** ipvsadm -a with any method; port: the real's port (NAT/FULLNAT mapping). */
export function addFwdReal(dp: Dataplane, key: ServiceKey, rip: string, forward: ForwardMethod, port = key.port, weight = 1): number {
  const ops = applyPlan(dp, (s) =>
    planAddReal(s, key, { addr: addr(rip), port, forward, weight, upperThreshold: 0, lowerThreshold: 0 }));
  const put = ops.find((o) => o.op === 'put-real');
  if (put?.op !== 'put-real') throw new Error('planAddReal wrote no real');
  return put.real.id;
}

/** ipvsadm -P -t VIP:port -z LIP */
export function addLaddr(dp: Dataplane, key: ServiceKey, lip: string): void {
  applyPlan(dp, (s) => planAddLaddr(s, key, addr(lip)));
}

/** Ethernet header (optionally 802.1Q-tagged). */
export function ethHdr(dst: string, src: string, type: number, vlan?: number): Buffer {
  const parts = [mac(dst), mac(src)];
  if (vlan !== undefined) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(ETH_P_8021Q, 0);
    tag.writeUInt16BE(vlan, 2);
    parts.push(tag);
  }
  const t = Buffer.alloc(2);
  t.writeUInt16BE(type);
  parts.push(t);
  return Buffer.concat(parts);
}

export interface Outer4 {
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  tos: number;
  id: number;
  df: boolean;
}

/** A 20-byte IPv4 header in front of payload, checksum computed. */
export function ipv4(o: Outer4, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = o.tos;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(o.id, 4);
  h.writeUInt16BE(o.df ? 0x4000 : 0, 6);
  h[8] = o.ttl;
  h[9] = o.protocol;
  ipBytes(o.src).copy(h, 12);
  ipBytes(o.dst).copy(h, 16);
  h.writeUInt16BE(inetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

export interface Outer6 {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel?: number;
}

export function ipv6(o: Outer6, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((6 << 28) | (o.trafficClass << 20) | (o.flowLabel ?? 0)) >>> 0, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = o.nextHeader;
  h[7] = o.hopLimit;
  ipBytes(o.src).copy(h, 8);
  ipBytes(o.dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

export function ethType(ipText: string): number {
  return isIPv4(ipText) ? ETH_P_IP : ETH_P_IPV6;
}

/** ICMPv6 checksum over the pseudo-header and the message (checksum field 0). */
export function icmp6Checksum(src: string, dst: string, msg: Buffer): number {
  const ph = Buffer.alloc(40);
  ipBytes(src).copy(ph, 0);
  ipBytes(dst).copy(ph, 16);
  ph.writeUInt32BE(msg.length, 32);
  ph[39] = 58;
  return inetChecksum(Buffer.concat([ph, msg]));
}

/** The L3 part of a frame (after 14 or 18 bytes of Ethernet). */
export function l3Of(frame: Buffer, vlan = false): Buffer {
  return Buffer.from(frame.subarray(vlan ? 18 : 14));
}

/**
 * The IPv4 ID of an ICMP error the program wrote itself: unpredictable, as Linux's
 * (icmp.h), so an expected frame takes it from the answer; the answer's header
 * checksum, recomputed with it by ipv4(), is still compared byte for byte.
 */
export function answerId(out: Buffer, vlan = false): number {
  const at = (vlan ? 18 : 14) + 4;
  return out.length >= at + 2 ? out.readUInt16BE(at) : -1;
}

/** An ICMP message (type, code, the 4 rest-of-header bytes, the quoted packet) with its checksum. */
export function icmp4(type: number, code: number, rest: Buffer, quote: Buffer): Buffer {
  const m = Buffer.concat([Buffer.from([type, code, 0, 0]), rest, quote]);
  m.writeUInt16BE(inetChecksum(m), 2);
  return m;
}

/** The same for ICMPv6, whose checksum covers the pseudo-header. */
export function icmp6(src: string, dst: string, type: number, code: number, rest: Buffer, quote: Buffer): Buffer {
  const m = Buffer.concat([Buffer.from([type, code, 0, 0]), rest, quote]);
  m.writeUInt16BE(icmp6Checksum(src, dst, m), 2);
  return m;
}
