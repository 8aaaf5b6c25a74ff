// Destination hashing (net/netfilter/ipvs/ip_vs_dh.c).
//
// 256 buckets, ip_vs_dh_reassign(): bucket i holds destination i mod n of the
// list (newest first), weights ignored. Lookup: bucket[fold(daddr) * 2654435761
// & 255]; weight 0 or overloaded means no destination (no fallback). The
// destination address of a packet to a virtual service is its VIP, so every
// client of one service reaches the same real: the kernel does the same.
import type { TableEntry } from './table.js';
import { HASH_TAB_SIZE } from './hash.js';

export function dhTable(dests: TableEntry[]): number[] {
  if (dests.length === 0) return [];
  return Array.from({ length: HASH_TAB_SIZE }, (_, i) => dests[i % dests.length]!.id);
}
