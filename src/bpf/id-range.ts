// The span of ids a batch read covers (BpfMap.lookupRange reads array slots lo..hi).

/** [lowest, highest] of some ids (and of lo..hi given); [Infinity, -1] for none. */
export function idRange(ids: readonly number[], lo = Infinity, hi = -1): [number, number] {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  return [lo, hi];
}
