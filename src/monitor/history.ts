// Bounded history for sparklines: one fixed ring per series, nothing grows with time.
import type { SeriesHistory } from './types.js';

export const HISTORY_POINTS = 60;

export class Ring {
  private readonly buf: Float64Array;
  private start = 0;
  private len = 0;

  constructor(readonly capacity = HISTORY_POINTS) {
    this.buf = new Float64Array(capacity);
  }

  push(v: number): void {
    const i = (this.start + this.len) % this.capacity;
    this.buf[i] = v;
    if (this.len < this.capacity) this.len++;
    else this.start = (this.start + 1) % this.capacity;
  }

  get length(): number {
    return this.len;
  }

  /** Oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.len);
    for (let k = 0; k < this.len; k++) out[k] = this.buf[(this.start + k) % this.capacity]!;
    return out;
  }
}

interface Series {
  cps: Ring;
  pps: Ring;
  bps: Ring;
}

/** Rings per row key; rows that disappear take their history with them (prune). */
export class HistoryBook {
  private readonly rows = new Map<string, Series>();
  private seen = new Set<string>();

  constructor(readonly points = HISTORY_POINTS) {}

  push(key: string, cps: number, pps: number, bps: number): SeriesHistory {
    let s = this.rows.get(key);
    if (!s) {
      s = { cps: new Ring(this.points), pps: new Ring(this.points), bps: new Ring(this.points) };
      this.rows.set(key, s);
    }
    s.cps.push(cps);
    s.pps.push(pps);
    s.bps.push(bps);
    this.seen.add(key);
    return { cps: s.cps.toArray(), pps: s.pps.toArray(), bps: s.bps.toArray() };
  }

  /** Keeps a row's history through this round without adding a point. */
  touch(key: string): void {
    if (this.rows.has(key)) this.seen.add(key);
  }

  get(key: string): SeriesHistory | undefined {
    const s = this.rows.get(key);
    return s && { cps: s.cps.toArray(), pps: s.pps.toArray(), bps: s.bps.toArray() };
  }

  prune(): void {
    for (const k of this.rows.keys()) if (!this.seen.has(k)) this.rows.delete(k);
    this.seen = new Set();
  }

  get size(): number {
    return this.rows.size;
  }
}
