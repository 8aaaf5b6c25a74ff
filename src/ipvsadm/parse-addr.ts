// Address and port parsing as ipvsadm does it, without touching the resolver:
// inet_aton's relaxed IPv4 forms (10.1, 0x7f.1, 012.0.0.1), inet_pton for IPv6,
// "[v6]:port", and service names from a small built-in table instead of /etc/services.
// Addresses come out canonical (dotted quad; IPv6 as glibc's inet_ntop prints it,
// which is RFC 5952 with mixed notation for IPv4-mapped addresses).
import type { Addr, Protocol } from '../model/types.js';
import { portByName } from './services.js';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);

/** glibc inet_aton: 1 to 4 parts, each decimal, 0octal or 0xhex; the last part fills the rest. */
export function inetAton(s: string): number | null {
  const parts: number[] = [];
  let i = 0;
  let val = 0;
  for (;;) {
    if (!isDigit(s[i])) return null;
    val = 0;
    let base = 10;
    let digit = false;
    if (s[i] === '0') {
      i++;
      if (s[i] === 'x' || s[i] === 'X') {
        base = 16;
        i++;
      } else {
        base = 8;
        digit = true;
      }
    }
    for (;;) {
      const c = s[i];
      if (isDigit(c)) {
        if (base === 8 && (c === '8' || c === '9')) return null;
        val = val * base + Number(c);
      } else if (base === 16 && isHex(c)) {
        val = val * 16 + parseInt(c!, 16);
      } else break;
      if (val > 0xffffffff) return null;
      digit = true;
      i++;
    }
    if (!digit) return null;
    if (s[i] !== '.') break;
    if (parts.length > 2 || val > 0xff) return null;
    parts.push(val);
    i++;
  }
  // glibc stops at the first white space and ignores what follows it.
  if (i < s.length && !isSpace(s[i])) return null;
  const limits = [0xffffffff, 0xffffff, 0xffff, 0xff];
  if (val > limits[parts.length]!) return null;
  let out = 0;
  for (let k = 0; k < parts.length; k++) out += parts[k]! * 2 ** (24 - 8 * k);
  return out + val;
}

export function ipv4ToString(n: number): string {
  const w = n >>> 0;
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** Strict dotted-quad parse (inet_pton AF_INET), used inside IPv6 literals. */
function pton4(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const b = m.slice(1).map(Number);
  // inet_pton rejects leading zeros ("01") and values above 255.
  if (m.slice(1).some((p) => p.length > 1 && p.startsWith('0')) || b.some((x) => x > 255)) return null;
  return b;
}

/** inet_pton(AF_INET6): eight 16-bit words, or null. */
export function inet6Pton(s: string): number[] | null {
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseSide = (side: string, allowV4: boolean): number[] | null => {
    if (side === '') return [];
    const groups = side.split(':');
    const words: number[] = [];
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k]!;
      if (k === groups.length - 1 && allowV4 && g.includes('.')) {
        const b = pton4(g);
        if (!b) return null;
        words.push(b[0]! * 256 + b[1]!, b[2]! * 256 + b[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  if (dbl < 0) {
    const w = parseSide(s, true);
    return w && w.length === 8 ? w : null;
  }
  const head = parseSide(s.slice(0, dbl), false);
  const tail = parseSide(s.slice(dbl + 2), true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** glibc inet_ntop(AF_INET6): longest run (>= 2) of zero words compressed, first on ties. */
export function inet6Ntop(w: readonly number[]): string {
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) keep the dotted tail.
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      out += `${w[6]! >> 8}.${w[6]! & 255}.${w[7]! >> 8}.${w[7]! & 255}`;
      return out;
    }
    out += w[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

/** Canonical text of an IPv6 literal, or null when it is not one. */
export function canonicalIpv6(s: string): string | null {
  const w = inet6Pton(s);
  return w ? inet6Ntop(w) : null;
}

/** The only host name resolved without DNS; anything else is refused. */
function hostToAddr(name: string): number | null {
  return name === 'localhost' ? 0x7f000001 : null;
}

/** A port as string_to_number(0..65535) or a service name for the protocol. */
function parsePort(s: string, protocol: Protocol | undefined): number | null {
  const n = stringToNumber(s, 0, 65535);
  if (n !== null) return n;
  return protocol === undefined ? null : portByName(s, protocol) ?? null;
}

export interface ParsedHostPort {
  addr: Addr;
  /** Undefined when no ":port" was given (ipvsadm's SERVICE_ADDR without SERVICE_PORT). */
  port?: number;
}

/** ipvsadm's parse_service(): host[:port] or [v6]:port; null means SERVICE_NONE. */
export function parseHostPort(buf: string, protocol: Protocol | undefined): ParsedHostPort | null {
  if (/^[0-9]*$/.test(buf)) return null;
  let host = buf;
  let portText: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0 || host[close + 1] !== ':') return null;
    portText = host.slice(close + 2);
    host = host.slice(1, close);
  }
  // inet_pton(AF_INET6) needs two ':' at least (eight groups or "::"): "a.b.c.d" and
  // "a.b.c.d:port" are not tried, a fifth of the parsing of a long -R's IPv4 hosts
  const colon = host.indexOf(':');
  const v6 = colon >= 0 && host.indexOf(':', colon + 1) >= 0 ? inet6Pton(host) : null;
  let addr: Addr;
  if (v6) {
    addr = { family: 'inet6', ip: inet6Ntop(v6) };
  } else {
    // A bracketed IPv4 loses its port here, as in ipvsadm: the port is looked for
    // again inside the brackets only.
    portText = undefined;
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      portText = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
    const v4 = inetAton(host) ?? hostToAddr(host);
    if (v4 === null) return null;
    addr = { family: 'inet', ip: ipv4ToString(v4) };
  }
  if (portText === undefined) return { addr };
  const port = parsePort(portText, protocol);
  return port === null ? null : { addr, port };
}

/** strtol-based string_to_number: whole string must be a base-10 number within range. */
export function stringToNumber(s: string, min: number, max: number): number | null {
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(s)) return null;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

/** C atoi(): leading white space, optional sign, digits; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(s);
  return m ? Number(m[1]) : 0;
}
