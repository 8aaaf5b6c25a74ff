// Maglev hashing (net/netfilter/ipvs/ip_vs_mh.c; Eisenbud et al., NSDI 2016, 3.4).
//
// Table size M = 4093 (primes[CONFIG_IP_VS_MH_TAB_INDEX - 8] with the default 12).
// Per destination d (list order, newest first), with b(d) = port(d) + fold(addr(d)):
//   offset(d) = hsiphash_k1(b) % M,  skip(d) = hsiphash_k2(b) % (M - 1) + 1
//   permutation: offset, offset + skip, offset + 2 skip, ... (mod M)
// Weights become turns, from last_weight (the latest non-zero weight, so quiescing
// a real to 0 leaves the table as it is):
//   g = gcd of last weights > 0,  shift = max(0, fls(max last weight / g) - 6)
//   turns(d) = (lw / g) >> shift, or 1 if that is 0 and lw != 0
// Population (ip_vs_mh_populate): rounds over the list; in each, a destination
// with turns >= 1 takes its next `turns` free preferred positions, until all M
// entries are filled. Lookup: entry[hsiphash_k1(port + fold(saddr)) % M];
// weight 0 or overloaded = no destination, or with mh-fallback the rehash
// sequence of ip_vs_mh_get_fallback() (bpf/include/sched_hash.h).
import type { TableEntry } from './table.js';
import { MH_KEY1, MH_KEY2, MH_TAB_SIZE, addrFold, hsiphash32 } from './hash.js';
import { gcd } from './wrr.js';

const MH_TAB_BITS = 6; // CONFIG_IP_VS_MH_TAB_INDEX / 2

function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

interface Setup {
  id: number;
  perm: number;
  skip: number;
  turns: number;
}

export function mhTable(dests: TableEntry[]): number[] {
  const lw = (d: TableEntry): number => d.lastWeight ?? d.weight;
  const g = dests.reduce((acc, d) => (lw(d) > 0 ? (acc > 0 ? gcd(lw(d), acc) : lw(d)) : acc), 0);
  if (g < 1) return [];
  const maxW = dests.reduce((m, d) => Math.max(m, lw(d)), 0);
  const shift = Math.max(0, fls(Math.floor(maxW / g)) - MH_TAB_BITS);
  const setup: Setup[] = dests.map((d) => {
    const base = ((d.port ?? 0) + (d.addr ? addrFold(d.addr) : 0)) >>> 0;
    const offset = hsiphash32(base, MH_KEY1) % MH_TAB_SIZE;
    const skip = (hsiphash32(base, MH_KEY2) % (MH_TAB_SIZE - 1)) + 1;
    const w = lw(d);
    return { id: d.id, perm: offset, skip, turns: Math.floor(w / g) >> shift || (w !== 0 ? 1 : 0) };
  });
  const table = new Array<number>(MH_TAB_SIZE).fill(-1);
  let n = 0;
  for (;;) {
    let dt = 0;
    for (let i = 0; i < setup.length; ) {
      const s = setup[i]!;
      if (s.turns < 1) {
        i++;
        continue;
      }
      let c = s.perm;
      while (table[c] !== -1) {
        s.perm += s.skip;
        if (s.perm >= MH_TAB_SIZE) s.perm -= MH_TAB_SIZE;
        c = s.perm;
      }
      table[c] = s.id;
      if (++n === MH_TAB_SIZE) return table;
      if (++dt >= s.turns) {
        dt = 0;
        i++;
      }
    }
  }
}
