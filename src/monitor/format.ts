// Text pieces of the monitor's screen: fixed-width cells, compact numbers, sparklines.
// Shared by the Ink components and the plain --once frame, so both show the same.

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Left-aligned in exactly w columns: padded, or cut with '…' at the end. */
export function cellL(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length <= w) return s.padEnd(w);
  return w === 1 ? '…' : s.slice(0, w - 1) + '…';
}

/** Right-aligned in exactly w columns (numbers are made to fit before this). */
export function cellR(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length <= w ? s.padStart(w) : s.slice(0, w - 1) + '…';
}

/** At most w columns, cut with '…' at the end: a screen line that never wraps. */
export function cutEnd(s: string, w: number): string {
  if (s.length <= w) return s;
  return w <= 0 ? '' : s.slice(0, w - 1) + '…';
}

/**
 * Cuts the middle of an address so its start and port stay readable:
 * 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1:80 → 2001:db8:a…eeee:1:80.
 */
export function truncMiddle(s: string, w: number): string {
  if (s.length <= w) return s;
  if (w <= 1) return w === 1 ? '…' : '';
  const tail = Math.ceil((w - 1) / 2);
  const head = w - 1 - tail;
  return s.slice(0, head) + '…' + s.slice(s.length - tail);
}

/** A number in at most w (≥ 4) columns: 999, 12.3K, 123K, 1.2M, ... */
export function compact(n: number | bigint, w = 5): string {
  const v = typeof n === 'bigint' ? Number(n) : n;
  if (!Number.isFinite(v) || v <= 0) return '0';
  if (v < 10 && !Number.isInteger(v)) {
    const s = v.toFixed(1);
    return s === '0.0' ? '0' : s;
  }
  const i = Math.round(v);
  if (String(i).length <= w) return String(i);
  const units = ['K', 'M', 'G', 'T', 'P'];
  let x = v;
  for (const u of units) {
    x /= 1000;
    if (x >= 999.5) continue;
    const one = `${x.toFixed(1)}${u}`;
    if (x < 99.95 && one.length <= w) return one;
    const whole = `${Math.round(x)}${u}`;
    if (whole.length <= w) return whole;
  }
  return '∞';
}

/** Sparkline of the last `width` points, scaled to the largest one shown; blanks before data. */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const pts = values.slice(-width);
  const max = pts.reduce((m, v) => Math.max(m, v), 0);
  const line = pts
    .map((v) => {
      if (max <= 0 || v <= 0) return BARS[0]!;
      return BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))]!;
    })
    .join('');
  return line.padStart(width, ' ');
}

/** IPVS's mm:ss expiry text. */
export function expireText(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** 1s, 500ms, 1.5s. */
export function intervalText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : ms > 1000 ? `${ms / 1000}s` : `${ms}ms`;
}
