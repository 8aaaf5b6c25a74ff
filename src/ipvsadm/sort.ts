// ipvsadm's listing order: libipvs's ipvs_cmp_services / ipvs_cmp_dests run through
// glibc's qsort (a top-down merge sort). The comparators subtract unsigned 32-bit
// words and read the difference as a signed int, so addresses more than 2^31 apart
// compare "backwards" (10.0.0.1 lists after 192.168.1.1). That quirk is kept on
// purpose: the output must match ipvsadm byte for byte.
import type { Addr, Protocol } from '../model/types.js';
import { inet6Pton, inetAton } from './parse-addr.js';

/** A dotted quad without leading zeros: its value, as inet_aton gives it, without inet_aton's generality. */
const PLAIN_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
function quadValue(ip: string): number | null {
  const m = PLAIN_QUAD.exec(ip);
  if (!m) return inetAton(ip);
  const [a, b, c, d] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return a > 255 || b > 255 || c > 255 || d > 255 ? null : ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** An address as the four big-endian 32-bit words of union nf_inet_addr (IPv4 in word 0). */
export function addrWords(a: Addr): number[] {
  if (a.family === 'inet') return [quadValue(a.ip) ?? 0, 0, 0, 0];
  const w = inet6Pton(a.ip) ?? new Array<number>(8).fill(0);
  return [0, 2, 4, 6].map((k) => w[k]! * 65536 + w[k + 1]!);
}

/** (int)(a - b) for two u32 values. */
function cmpU32(a: number, b: number): number {
  return (a - b) | 0;
}

const AF = { inet: 2, inet6: 10 } as const;
const PROTO: Record<Protocol, number> = { tcp: 6, udp: 17 };

/** Address comparison of libipvs: all four words if the first operand is IPv6, else word 0. */
function cmpAddr(a: Addr, b: Addr): number {
  return cmpWords(a.family, addrWords(a), addrWords(b));
}

function cmpWords(family: Addr['family'], wa: number[], wb: number[]): number {
  if (family !== 'inet6') return cmpU32(wa[0]!, wb[0]!);
  let r = 0;
  for (let i = 0; r === 0 && i < 4; i++) r = cmpU32(wa[i]!, wb[i]!);
  return r;
}

export interface SortableService {
  addr: Addr;
  protocol: Protocol;
  port: number;
}

export function cmpServices(a: SortableService, b: SortableService): number {
  const af = AF[a.addr.family] - AF[b.addr.family];
  if (af !== 0) return af;
  const pr = PROTO[a.protocol] - PROTO[b.protocol];
  if (pr !== 0) return pr;
  const r = cmpAddr(a.addr, b.addr);
  return r !== 0 ? r : a.port - b.port;
}

export function cmpDests(a: { addr: Addr; port: number }, b: { addr: Addr; port: number }): number {
  const r = cmpAddr(a.addr, b.addr);
  return r !== 0 ? r : a.port - b.port;
}

/** What the comparators read of an address or a service, computed once per item by the sort*By functions. */
interface SortKey {
  family: Addr['family'];
  words: number[];
  protocol: Protocol;
  port: number;
}

function keyOf(addr: Addr, port: number, protocol: Protocol = 'tcp'): SortKey {
  return { family: addr.family, words: addrWords(addr), protocol, port };
}

/** cmpServices on keys. */
function cmpServiceKeys(a: SortKey, b: SortKey): number {
  const af = AF[a.family] - AF[b.family];
  if (af !== 0) return af;
  const pr = PROTO[a.protocol] - PROTO[b.protocol];
  if (pr !== 0) return pr;
  const r = cmpWords(a.family, a.words, b.words);
  return r !== 0 ? r : a.port - b.port;
}

/** cmpDests on keys. */
function cmpDestKeys(a: SortKey, b: SortKey): number {
  const r = cmpWords(a.family, a.words, b.words);
  return r !== 0 ? r : a.port - b.port;
}

/**
 * glibcSort(items, cmpServices) with each item's address words computed once, not
 * on every comparison: a listing of 1,000 services x 16 reals compares ~70,000 times.
 */
export function sortServices<T>(items: readonly T[], service: (t: T) => SortableService): T[] {
  return sortByKey(items, (t) => {
    const s = service(t);
    return keyOf(s.addr, s.port, s.protocol);
  }, cmpServiceKeys);
}

/** glibcSort(items, cmpDests), keys computed once per item (see sortServices). */
export function sortDests<T>(items: readonly T[], dest: (t: T) => { addr: Addr; port: number }): T[] {
  return sortByKey(items, (t) => {
    const d = dest(t);
    return keyOf(d.addr, d.port);
  }, cmpDestKeys);
}

function sortByKey<T>(items: readonly T[], key: (t: T) => SortKey, cmp: (a: SortKey, b: SortKey) => number): T[] {
  const keyed = items.map((item) => ({ item, key: key(item) }));
  return glibcSort(keyed, (a, b) => cmp(a.key, b.key)).map((k) => k.item);
}

/** glibc msort_with_tmp(): split n/2, sort halves, merge taking the left on cmp <= 0. */
export function glibcSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return [...items];
  const n1 = Math.floor(items.length / 2);
  const b1 = glibcSort(items.slice(0, n1), cmp);
  const b2 = glibcSort(items.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < b1.length && j < b2.length) {
    if (cmp(b1[i]!, b2[j]!) <= 0) out.push(b1[i++]!);
    else out.push(b2[j++]!);
  }
  return out.concat(b1.slice(i), b2.slice(j));
}
