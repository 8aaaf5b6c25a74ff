// Round robin (net/netfilter/ipvs/ip_vs_rr.c).
//
// ip_vs_rr_schedule() walks the destination list from the one after the last
// pick and takes the first that is not overloaded and has weight > 0. With a
// stable list that is a fixed cycle over the weight > 0 destinations in list
// order, which is the table we write; the data plane steps through it with one
// shared cursor per service.
import type { TableEntry } from './table.js';

export function rrTable(dests: TableEntry[]): number[] {
  return dests.filter((d) => d.weight > 0).map((d) => d.id);
}
