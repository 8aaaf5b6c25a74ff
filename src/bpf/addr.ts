// Addresses as the data plane stores them: four big-endian 32-bit words, IPv4 in
// word 0 and the rest zero (bpf/include/lb_shared.h).
import { isIPv4, isIPv6 } from 'node:net';
import type { Addr, Family } from '../model/types.js';
import { lb_family } from './generated/layout.js';

export function familyCode(f: Family): number {
  return f === 'inet' ? lb_family.LB_AF_INET : lb_family.LB_AF_INET6;
}

export function familyOf(code: number): Family {
  if (code === lb_family.LB_AF_INET) return 'inet';
  if (code === lb_family.LB_AF_INET6) return 'inet6';
  throw new RangeError(`unknown address family ${code}`);
}

export function ipv6Bytes(ip: string): Buffer {
  // Expand "::" then parse the eight groups; an embedded IPv4 tail is allowed.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 text of 16 bytes: lower case, longest zero run (≥ 2 groups) as "::". */
export function ipv6Text(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(i * 2));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function addrToWords(a: Addr): number[] {
  if (a.family === 'inet') {
    if (!isIPv4(a.ip)) throw new RangeError(`not an IPv4 address: ${a.ip}`);
    const b = a.ip.split('.').map(Number);
    return [((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, 0, 0, 0];
  }
  if (!isIPv6(a.ip)) throw new RangeError(`not an IPv6 address: ${a.ip}`);
  const buf = ipv6Bytes(a.ip);
  return [0, 4, 8, 12].map((o) => buf.readUInt32BE(o));
}

export function wordsToAddr(words: number[], family: Family): Addr {
  if (family === 'inet') {
    const w = words[0]! >>> 0;
    return { family, ip: `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}` };
  }
  const buf = Buffer.alloc(16);
  words.forEach((w, i) => buf.writeUInt32BE(w >>> 0, i * 4));
  return { family, ip: ipv6Text(buf) };
}
