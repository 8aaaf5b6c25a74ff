// Source hashing (net/netfilter/ipvs/ip_vs_sh.c).
//
// 256 buckets filled by ip_vs_sh_reassign(): walking the destination list
// cyclically (list order, newest first), each destination takes as many
// consecutive buckets as its weight, at least one (so a quiesced one keeps a
// bucket, which then answers "unavailable"):
//
//   for i in 0..255: bucket[i] = d; if ++count >= weight(d): d = next(d), count = 0
//
// Lookup: bucket[(port + fold(saddr)) * 2654435761 & 255] (port only with
// sh-port); a destination with weight 0 or overloaded means no destination, or
// with sh-fallback the rehash sequence of ip_vs_sh_get_fallback() (sched_hash.h).
import type { TableEntry } from './table.js';
import { HASH_TAB_SIZE } from './hash.js';

export function shTable(dests: TableEntry[]): number[] {
  if (dests.length === 0) return [];
  const table: number[] = [];
  let p = 0;
  let count = 0;
  for (let i = 0; i < HASH_TAB_SIZE; i++) {
    const d = dests[p]!;
    table.push(d.id);
    if (++count >= d.weight) {
      p = (p + 1) % dests.length;
      count = 0;
    }
  }
  return table;
}
