// printf pieces used by ipvsadm's listings, so formatters read like the C they mirror.

/** Runs of 0..64 spaces, made once: padEnd() built its filler anew for each of -Ln's 70,000 columns. */
const SPACES = Array.from({ length: 65 }, (_, n) => ' '.repeat(n));

function pad(n: number): string {
  return SPACES[n] ?? ' '.repeat(n);
}

/** %-Ns: left-justified, padded to N, never cut. */
export function left(s: string | number, width: number): string {
  const t = typeof s === 'string' ? s : String(s);
  return t.length >= width ? t : t + pad(width - t.length);
}

/** %Ns: right-justified, padded to N, never cut. */
export function right(s: string | number | bigint, width: number): string {
  const t = typeof s === 'string' ? s : String(s);
  return t.length >= width ? t : pad(width - t.length) + t;
}

/** Turns a non-negative count of any numeric type into a bigint (rates may be fractional). */
export function toBig(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n < 0n ? 0n : n;
  return Number.isFinite(n) && n > 0 ? BigInt(Math.floor(n)) : 0n;
}

/**
 * print_largenum(): %9llu below 100 million, otherwise %8llu with K/M/G/T (integer
 * division, as in C). --exact prints the whole number, one column wider when needed.
 */
export function largeNum(value: number | bigint, exact: boolean): string {
  const i = toBig(value);
  if (exact) {
    const digits = i.toString();
    return right(digits, digits.length <= 8 ? 9 : digits.length + 1);
  }
  if (i < 100_000_000n) return right(i, 9);
  if (i < 1_000_000_000n) return `${right(i / 1_000n, 8)}K`;
  if (i < 100_000_000_000n) return `${right(i / 1_000_000n, 8)}M`;
  if (i < 100_000_000_000_000n) return `${right(i / 1_000_000_000n, 8)}G`;
  return `${right(i / 1_000_000_000_000n, 8)}T`;
}
