// The span of ids a batch read covers (BpfMap.lookupRange reads array slots lo..hi).

/** [lowest, highest] of some ids; [Infinity, -1] for none. */
export function idRange(ids: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -1;
  for (const id of ids) {
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  return [lo, hi];
}
