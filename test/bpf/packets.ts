// Packet fixtures for the data-plane tests: Ethernet (optionally 802.1Q-tagged),
// IPv4 (options allowed) or IPv6 (extension headers allowed), TCP / UDP / ICMP /
// raw L4, with every checksum right unless a field is overridden on purpose.
// Overrides (ihl, totLen, csum, doff, udp len …) are how malformed packets are
// made: the builder never "fixes" a value it was given.
import { isIPv4 } from 'node:net';
import { ipv6Bytes } from '../../src/bpf/addr.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ICMPV6 = 58;

/** TCP flag bits; plain numbers, so `flags = TCP.SYN` parameters take any combination. */
export const TCP: Readonly<Record<'FIN' | 'SYN' | 'RST' | 'PSH' | 'ACK' | 'URG', number>> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 };

export const CLIENT_MAC = '02:00:00:00:00:c1';
export const ROUTER_MAC = '02:00:00:00:00:d1';

export interface EthSpec {
  dst?: string;
  src?: string;
  /** 802.1Q VLAN id: adds a tag (TPID 0x8100) before the ethertype. */
  vlan?: number;
  /** Overrides the (inner) ethertype. */
  type?: number;
}

export interface Ipv4Spec {
  v: 4;
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  offset?: number;
  /** Options bytes (padded with zeros to a multiple of 4). */
  options?: Buffer;
  protocol?: number;
  /** Header length in 32-bit words as written; default from the options. */
  ihl?: number;
  totLen?: number;
  csum?: number;
}

export interface Ipv6ExtSpec {
  /** hbh = hop-by-hop options (PadN), frag = fragment header. */
  type: 'hbh' | 'frag';
  offset?: number;
  mf?: boolean;
  id?: number;
}

export interface Ipv6Spec {
  v: 6;
  src: string;
  dst: string;
  hopLimit?: number;
  flowLabel?: number;
  ext?: Ipv6ExtSpec[];
  /** Overrides the first Next Header. */
  nextHeader?: number;
  payloadLen?: number;
}

export interface TcpSpec {
  proto: 'tcp';
  sport: number;
  dport: number;
  flags: number;
  seq?: number;
  ack?: number;
  window?: number;
  options?: Buffer;
  /** Data offset in 32-bit words as written; default from the options. */
  doff?: number;
  csum?: number;
}

export interface UdpSpec {
  proto: 'udp';
  sport: number;
  dport: number;
  len?: number;
  csum?: number;
}

export interface IcmpSpec {
  proto: 'icmp';
  type?: number;
  code?: number;
}

export interface RawL4Spec {
  proto: 'raw';
  bytes: Buffer;
}

export interface PacketSpec {
  eth?: EthSpec;
  ip: Ipv4Spec | Ipv6Spec;
  l4: TcpSpec | UdpSpec | IcmpSpec | RawL4Spec;
  payload?: Buffer;
}

/** A built packet and where its layers start. */
export interface Built {
  bytes: Buffer;
  l3: number;
  l4: number;
  payload: number;
}

export function mac(text: string): Buffer {
  const parts = text.split(':');
  if (parts.length !== 6) throw new RangeError(`not a MAC address: ${text}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function macText(b: Buffer): string {
  return [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  return ipv6Bytes(ip);
}

/** One's-complement sum of 16-bit big-endian words (odd tail padded with zero). */
function sum16(buf: Buffer, start = 0): number {
  let s = start;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length % 2) s += buf[buf.length - 1]! << 8;
  return s;
}

export function csumFold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function inetChecksum(buf: Buffer): number {
  return csumFold(sum16(buf));
}

function pseudoHeader(ip: Ipv4Spec | Ipv6Spec, proto: number, len: number): Buffer {
  if (ip.v === 4) {
    const b = Buffer.alloc(12);
    ipBytes(ip.src).copy(b, 0);
    ipBytes(ip.dst).copy(b, 4);
    b[9] = proto;
    b.writeUInt16BE(len & 0xffff, 10);
    return b;
  }
  const b = Buffer.alloc(40);
  ipBytes(ip.src).copy(b, 0);
  ipBytes(ip.dst).copy(b, 16);
  b.writeUInt32BE(len, 32);
  b[39] = proto;
  return b;
}

function l4Proto(l4: PacketSpec['l4'], ip: Ipv4Spec | Ipv6Spec): number {
  switch (l4.proto) {
    case 'tcp': return IPPROTO_TCP;
    case 'udp': return IPPROTO_UDP;
    case 'icmp': return ip.v === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    case 'raw': return ip.v === 4 ? (ip.protocol ?? 253) : (ip.nextHeader ?? 253);
  }
}

/** L4 header + payload with its checksum (computed over the pseudo-header). */
function buildL4(p: PacketSpec): Buffer {
  const payload = p.payload ?? Buffer.alloc(0);
  const l4 = p.l4;
  const proto = l4Proto(l4, p.ip);
  let hdr: Buffer;
  let csumAt = -1;
  let given: number | undefined;
  switch (l4.proto) {
    case 'tcp': {
      const opts = padTo4(l4.options ?? Buffer.alloc(0));
      hdr = Buffer.alloc(20 + opts.length);
      hdr.writeUInt16BE(l4.sport, 0);
      hdr.writeUInt16BE(l4.dport, 2);
      hdr.writeUInt32BE((l4.seq ?? 1000) >>> 0, 4);
      hdr.writeUInt32BE((l4.ack ?? 0) >>> 0, 8);
      hdr[12] = ((l4.doff ?? hdr.length / 4) & 0xf) << 4;
      hdr[13] = l4.flags;
      hdr.writeUInt16BE(l4.window ?? 64240, 14);
      opts.copy(hdr, 20);
      csumAt = 16;
      given = l4.csum;
      break;
    }
    case 'udp':
      hdr = Buffer.alloc(8);
      hdr.writeUInt16BE(l4.sport, 0);
      hdr.writeUInt16BE(l4.dport, 2);
      hdr.writeUInt16BE((l4.len ?? 8 + payload.length) & 0xffff, 4);
      csumAt = 6;
      given = l4.csum;
      break;
    case 'icmp':
      hdr = Buffer.alloc(8);
      hdr[0] = l4.type ?? (p.ip.v === 4 ? 8 : 128); // echo request
      hdr[1] = l4.code ?? 0;
      hdr.writeUInt16BE(0x1234, 4);
      hdr.writeUInt16BE(1, 6);
      csumAt = 2;
      break;
    case 'raw':
      return Buffer.concat([l4.bytes, payload]);
  }
  const seg = Buffer.concat([hdr, payload]);
  let c: number;
  if (given !== undefined) c = given;
  else if (l4.proto === 'icmp' && p.ip.v === 4) c = inetChecksum(seg);
  else {
    c = csumFold(sum16(seg, sum16(pseudoHeader(p.ip, proto, seg.length))));
    if (l4.proto === 'udp' && c === 0) c = 0xffff;
  }
  seg.writeUInt16BE(c, csumAt);
  return seg;
}

function padTo4(b: Buffer): Buffer {
  const n = Math.ceil(b.length / 4) * 4;
  return n === b.length ? b : Buffer.concat([b, Buffer.alloc(n - b.length)]);
}

function buildIpv4(ip: Ipv4Spec, proto: number, l4: Buffer): Buffer {
  const opts = padTo4(ip.options ?? Buffer.alloc(0));
  const h = Buffer.alloc(20 + opts.length);
  h[0] = 0x40 | ((ip.ihl ?? h.length / 4) & 0xf);
  h[1] = ip.tos ?? 0;
  h.writeUInt16BE((ip.totLen ?? h.length + l4.length) & 0xffff, 2);
  h.writeUInt16BE(ip.id ?? 0x1c46, 4);
  h.writeUInt16BE((ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | ((ip.offset ?? 0) & 0x1fff), 6);
  h[8] = ip.ttl ?? 64;
  h[9] = ip.protocol ?? proto;
  ipBytes(ip.src).copy(h, 12);
  ipBytes(ip.dst).copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(ip.csum ?? inetChecksum(h), 10);
  return Buffer.concat([h, l4]);
}

function buildIpv6(ip: Ipv6Spec, proto: number, l4: Buffer): Buffer {
  const exts: Buffer[] = [];
  const kinds = ip.ext ?? [];
  kinds.forEach((e, i) => {
    const next = i + 1 < kinds.length ? extProto(kinds[i + 1]!) : proto;
    const b = Buffer.alloc(8);
    b[0] = next;
    if (e.type === 'hbh') {
      b[1] = 0; // 8 bytes
      b[2] = 1; // PadN
      b[3] = 4;
    } else {
      b.writeUInt16BE((((e.offset ?? 0) & 0x1fff) << 3) | (e.mf ? 1 : 0), 2);
      b.writeUInt32BE(e.id ?? 0xabcd, 4);
    }
    exts.push(b);
  });
  const body = Buffer.concat([...exts, l4]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((6 << 28) | ((ip.flowLabel ?? 0) & 0xfffff), 0);
  h.writeUInt16BE((ip.payloadLen ?? body.length) & 0xffff, 4);
  h[6] = ip.nextHeader ?? (kinds.length ? extProto(kinds[0]!) : proto);
  h[7] = ip.hopLimit ?? 64;
  ipBytes(ip.src).copy(h, 8);
  ipBytes(ip.dst).copy(h, 24);
  return Buffer.concat([h, body]);
}

function extProto(e: Ipv6ExtSpec): number {
  return e.type === 'hbh' ? IPPROTO_HOPOPTS : IPPROTO_FRAGMENT;
}

function buildEth(e: EthSpec | undefined, defaultType: number): Buffer {
  const parts = [mac(e?.dst ?? ROUTER_MAC), mac(e?.src ?? CLIENT_MAC)];
  const type = Buffer.alloc(2);
  type.writeUInt16BE(e?.type ?? defaultType);
  if (e?.vlan !== undefined) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(ETH_P_8021Q, 0);
    tag.writeUInt16BE(e.vlan & 0xfff, 2);
    parts.push(tag);
  }
  parts.push(type);
  return Buffer.concat(parts);
}

export function build(p: PacketSpec): Built {
  const l4 = buildL4(p);
  const proto = l4Proto(p.l4, p.ip);
  const l3 = p.ip.v === 4 ? buildIpv4(p.ip, proto, l4) : buildIpv6(p.ip, proto, l4);
  const eth = buildEth(p.eth, p.ip.v === 4 ? ETH_P_IP : ETH_P_IPV6);
  const l4Off = eth.length + l3.length - l4.length;
  const hdrLen = p.l4.proto === 'tcp' ? l4.length - (p.payload?.length ?? 0) : p.l4.proto === 'raw' ? p.l4.bytes.length : 8;
  return { bytes: Buffer.concat([eth, l3]), l3: eth.length, l4: l4Off, payload: l4Off + hdrLen };
}

export function packet(p: PacketSpec): Buffer {
  return build(p).bytes;
}

/** Shorthands for the common cases. */
export function tcp(src: string, dst: string, sport: number, dport: number, flags: number, more: Partial<PacketSpec> = {}): Buffer {
  const ip = isIPv4(dst) ? ({ v: 4, src, dst } as const) : ({ v: 6, src, dst } as const);
  return packet({ ip, l4: { proto: 'tcp', sport, dport, flags }, ...more });
}

export function udp(src: string, dst: string, sport: number, dport: number, payload = Buffer.from('hello'), more: Partial<PacketSpec> = {}): Buffer {
  const ip = isIPv4(dst) ? ({ v: 4, src, dst } as const) : ({ v: 6, src, dst } as const);
  return packet({ ip, l4: { proto: 'udp', sport, dport }, payload, ...more });
}

/** An ARP request (who-has tip tell sip), broadcast. */
export function arp(sip: string, tip: string, eth: EthSpec = {}): Buffer {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0); // Ethernet
  a.writeUInt16BE(ETH_P_IP, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(1, 6); // request
  mac(eth.src ?? CLIENT_MAC).copy(a, 8);
  ipBytes(sip).copy(a, 14);
  ipBytes(tip).copy(a, 24);
  return Buffer.concat([buildEth({ dst: 'ff:ff:ff:ff:ff:ff', ...eth, type: ETH_P_ARP }, ETH_P_ARP), a]);
}

/** The frame cut to its first n bytes. */
export function truncate(b: Buffer, n: number): Buffer {
  return Buffer.from(b.subarray(0, n));
}

/** A copy with Ethernet padding (zeros) appended, as short frames carry on the wire. */
export function padded(b: Buffer, to: number): Buffer {
  return b.length >= to ? Buffer.from(b) : Buffer.concat([b, Buffer.alloc(to - b.length)]);
}

/** The frame as a DR director must send it: only the two MAC addresses differ. */
export function withMacs(b: Buffer, dst: string, src: string): Buffer {
  const out = Buffer.from(b);
  mac(dst).copy(out, 0);
  mac(src).copy(out, 6);
  return out;
}

/** Flips bits of one byte (xor with a non-zero mask). */
export function corrupt(b: Buffer, at: number, xor: number): Buffer {
  if ((xor & 0xff) === 0) throw new RangeError('xor mask must change the byte');
  const out = Buffer.from(b);
  out[at] = out[at]! ^ (xor & 0xff);
  return out;
}

/**
 * What a frame is, read by the same header rules the director states (Ethernet
 * with at most one 802.1Q/802.1ad tag; IPv4 with tot_len within the frame and no
 * fragment bits; IPv6 with TCP/UDP right after the fixed header). An independent
 * reading for the fuzz tests' expectations: `stop` says where it stopped.
 */
export interface Parsed {
  stop?: 'not-ip' | 'malformed-l3' | 'fragment' | 'ipv6-ext' | 'other-proto';
  family?: 4 | 6;
  proto?: number;
  src?: Buffer;
  dst?: Buffer;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  /** IP total length (what IPVS counts as bytes). */
  ipLen?: number;
  /** The L4 header is self-consistent (doff ≥ 5 and within the IP length; UDP length 8…IP length). */
  l4Ok?: boolean;
  /** IPv4 header checksum right (always true for IPv6). */
  csumOk?: boolean;
}

const IPV6_EXT = new Set([0, 43, 60, 51, 50, 135]);

export function parseFrame(f: Buffer): Parsed {
  if (f.length < 14) return { stop: 'malformed-l3' };
  let off = 14;
  let type = f.readUInt16BE(12);
  if (type === ETH_P_8021Q || type === 0x88a8) {
    if (f.length < 18) return { stop: 'malformed-l3' };
    type = f.readUInt16BE(16);
    off = 18;
  }
  const p: Parsed = {};
  let l4: number;
  let l3End: number;
  if (type === ETH_P_IP) {
    if (f.length < off + 20) return { stop: 'malformed-l3' };
    const ihl = f[off]! & 0xf;
    const hlen = ihl * 4;
    const tot = f.readUInt16BE(off + 2);
    if (f[off]! >> 4 !== 4 || ihl < 5 || tot < hlen || off + tot > f.length || off + hlen > f.length) return { stop: 'malformed-l3' };
    p.family = 4;
    p.proto = f[off + 9]!;
    p.src = f.subarray(off + 12, off + 16);
    p.dst = f.subarray(off + 16, off + 20);
    p.ipLen = tot;
    p.csumOk = inetChecksum(f.subarray(off, off + hlen)) === 0;
    if (f.readUInt16BE(off + 6) & 0x3fff) return { ...p, stop: 'fragment' };
    l4 = off + hlen;
    l3End = off + tot;
  } else if (type === ETH_P_IPV6) {
    if (f.length < off + 40) return { stop: 'malformed-l3' };
    const plen = f.readUInt16BE(off + 4);
    if (f[off]! >> 4 !== 6 || off + 40 + plen > f.length) return { stop: 'malformed-l3' };
    p.family = 6;
    p.proto = f[off + 6]!;
    p.src = f.subarray(off + 8, off + 24);
    p.dst = f.subarray(off + 24, off + 40);
    p.ipLen = 40 + plen;
    p.csumOk = true;
    if (p.proto === IPPROTO_FRAGMENT) return { ...p, stop: 'fragment' };
    if (IPV6_EXT.has(p.proto)) return { ...p, stop: 'ipv6-ext' };
    l4 = off + 40;
    l3End = off + 40 + plen;
  } else {
    return { stop: 'not-ip' };
  }
  if (p.proto !== IPPROTO_TCP && p.proto !== IPPROTO_UDP) return { ...p, stop: 'other-proto' };
  const fixed = p.proto === IPPROTO_TCP ? 20 : 8;
  if (l4 + fixed > f.length || l4 + fixed > l3End) return { ...p, stop: 'malformed-l3' };
  p.sport = f.readUInt16BE(l4);
  p.dport = f.readUInt16BE(l4 + 2);
  if (p.proto === IPPROTO_TCP) {
    const doff = (f[l4 + 12]! >> 4) * 4;
    p.tcpFlags = f[l4 + 13]!;
    p.l4Ok = doff >= 20 && l4 + doff <= l3End;
  } else {
    const ulen = f.readUInt16BE(l4 + 4);
    p.tcpFlags = 0;
    p.l4Ok = ulen >= 8 && l4 + ulen <= l3End;
  }
  return p;
}
