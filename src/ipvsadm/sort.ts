// ipvsadm's listing order: libipvs's ipvs_cmp_services / ipvs_cmp_dests run through
// glibc's qsort (a top-down merge sort). The comparators subtract unsigned 32-bit
// words and read the difference as a signed int, so addresses more than 2^31 apart
// compare "backwards" (10.0.0.1 lists after 192.168.1.1). That quirk is kept on
// purpose: the output must match ipvsadm byte for byte.
import type { Addr, Protocol } from '../model/types.js';
import { inet6Pton, inetAton } from './parse-addr.js';
import { dottedQuadValue } from '../util/ipv4.js';

/** inet_aton's value of an IPv4 text; the canonical form without inet_aton's generality. */
function quadValue(ip: string): number | null {
  return dottedQuadValue(ip) ?? inetAton(ip);
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

/**
 * What the comparators read of an address or a service, computed once per item by
 * sortServices/sortDests: one flat object (IPv4 uses w0 only).
 */
interface SortKey<T> {
  item: T;
  family: Addr['family'];
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  protocol: Protocol;
  port: number;
}

function keyOf<T>(item: T, addr: Addr, port: number, protocol: Protocol): SortKey<T> {
  if (addr.family === 'inet') return { item, family: addr.family, w0: quadValue(addr.ip) ?? 0, w1: 0, w2: 0, w3: 0, protocol, port };
  const w = addrWords(addr);
  return { item, family: addr.family, w0: w[0]!, w1: w[1]!, w2: w[2]!, w3: w[3]!, protocol, port };
}

/** cmpAddr on keys. */
function cmpKeyAddr<T>(a: SortKey<T>, b: SortKey<T>): number {
  const r = cmpU32(a.w0, b.w0);
  if (r !== 0 || a.family !== 'inet6') return r;
  return cmpU32(a.w1, b.w1) || cmpU32(a.w2, b.w2) || cmpU32(a.w3, b.w3);
}

/** cmpServices on keys. */
function cmpServiceKeys<T>(a: SortKey<T>, b: SortKey<T>): number {
  const af = AF[a.family] - AF[b.family];
  if (af !== 0) return af;
  const pr = PROTO[a.protocol] - PROTO[b.protocol];
  if (pr !== 0) return pr;
  const r = cmpKeyAddr(a, b);
  return r !== 0 ? r : a.port - b.port;
}

/** cmpDests on keys. */
function cmpDestKeys<T>(a: SortKey<T>, b: SortKey<T>): number {
  const r = cmpKeyAddr(a, b);
  return r !== 0 ? r : a.port - b.port;
}

/**
 * glibcSort(items, cmpServices) with each item's address words computed once, not
 * on every comparison: a listing of 1,000 services x 16 reals compares ~70,000 times.
 */
export function sortServices<T>(items: readonly T[], service: (t: T) => SortableService): T[] {
  const keys = new Array<SortKey<T>>(items.length);
  for (let i = 0; i < items.length; i++) {
    const s = service(items[i]!);
    keys[i] = keyOf(items[i]!, s.addr, s.port, s.protocol);
  }
  return itemsOf(sortKeys(keys, cmpServiceKeys));
}

/** glibcSort(items, cmpDests), keys computed once per item (see sortServices). */
export function sortDests<T>(items: readonly T[], dest: (t: T) => { addr: Addr; port: number }): T[] {
  const keys = new Array<SortKey<T>>(items.length);
  for (let i = 0; i < items.length; i++) {
    const d = dest(items[i]!);
    keys[i] = keyOf(items[i]!, d.addr, d.port, 'tcp');
  }
  return itemsOf(sortKeys(keys, cmpDestKeys));
}

/**
 * The comparators are a true total order (ties aside) when no two keys take the
 * quirk's wrap-around: IPv4 only, all addresses less than 2^31 apart (one /1 — every
 * ordinary table). Then every stable sort gives glibc's result, the one order a stable
 * sort can give; V8's (TimSort, stable) takes the ascending or descending runs a
 * listing mostly is (lists are kept newest first) in n comparisons. Otherwise, glibc's
 * merge sort step for step, so that the quirk lands where ipvsadm's does.
 */
function sortKeys<T>(keys: Array<SortKey<T>>, cmp: (a: SortKey<T>, b: SortKey<T>) => number): Array<SortKey<T>> {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.family !== 'inet') return glibcSort(keys, cmp);
    if (k.w0 < lo) lo = k.w0;
    if (k.w0 > hi) hi = k.w0;
  }
  return hi - lo < 2 ** 31 ? keys.sort(cmp) : glibcSort(keys, cmp);
}

function itemsOf<T>(keys: Array<SortKey<T>>): T[] {
  const out = new Array<T>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = keys[i]!.item;
  return out;
}

/**
 * glibc msort_with_tmp(): split n/2, sort halves, merge taking the left on cmp <= 0.
 * Sorts a copy in place through one scratch array, as glibc does (slices and concats
 * at every level were most of the sort's cost).
 */
export function glibcSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  const a = [...items];
  msort(a, new Array<T>(a.length), 0, a.length, cmp);
  return a;
}

function msort<T>(a: T[], tmp: T[], lo: number, n: number, cmp: (a: T, b: T) => number): void {
  if (n <= 1) return;
  const n1 = Math.floor(n / 2);
  msort(a, tmp, lo, n1, cmp);
  msort(a, tmp, lo + n1, n - n1, cmp);
  let i = lo;
  let j = lo + n1;
  let k = 0;
  const iEnd = lo + n1;
  const jEnd = lo + n;
  while (i < iEnd && j < jEnd) tmp[k++] = cmp(a[i]!, a[j]!) <= 0 ? a[i++]! : a[j++]!;
  while (i < iEnd) tmp[k++] = a[i++]!;
  // what is left of the second half is already in place
  for (let x = 0; x < k; x++) a[lo + x] = tmp[x]!;
}
