// ipvsadm's listing order: libipvs's ipvs_cmp_services / ipvs_cmp_dests run through
// glibc's qsort (a top-down merge sort). The comparators subtract unsigned 32-bit
// words and read the difference as a signed int, so addresses more than 2^31 apart
// compare "backwards" (10.0.0.1 lists after 192.168.1.1). That quirk is kept on
// purpose: the output must match ipvsadm byte for byte.
import type { Addr, Protocol } from '../model/types.js';
import { inet6Pton, inetAton } from './parse-addr.js';

/** An address as the four big-endian 32-bit words of union nf_inet_addr (IPv4 in word 0). */
export function addrWords(a: Addr): number[] {
  if (a.family === 'inet') return [inetAton(a.ip) ?? 0, 0, 0, 0];
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
  const wa = addrWords(a);
  const wb = addrWords(b);
  if (a.family !== 'inet6') return cmpU32(wa[0]!, wb[0]!);
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
