// Reading a statement's arguments. keepalived logs most bad values and goes on; here a
// bad or missing value stops the parse with the statement's file and line, so a typo
// can never silently turn into a default that gets applied.
import { isIPv4 } from 'node:net';
import { canonicalIpv6 } from '../ipvsadm/parse-addr.js';
import type { Addr } from '../model/types.js';
import { KeepalivedSyntaxError } from './errors.js';
import type { Statement } from './tree.js';

export function fail(st: Statement, detail: string): never {
  throw new KeepalivedSyntaxError(st.pos, detail);
}

export function arg(st: Statement, index: number, what: string): string {
  const v = st.args[index];
  if (v === undefined) fail(st, `${st.keyword}: missing ${what}`);
  return v;
}

/** read_unsigned_strvec: plain decimal digits within [min, max]. */
export function unsigned(st: Statement, index: number, what: string, min = 0, max = 0xffffffff): number {
  const s = arg(st, index, what);
  if (!/^\d+$/.test(s)) fail(st, `${st.keyword}: bad number '${s}' for ${what}`);
  const n = Number(s);
  if (n < min || n > max) fail(st, `${st.keyword}: ${what} '${s}' out of range [${min}, ${max}]`);
  return n;
}

/** read_timer: seconds with up to 6 decimals (TIMER_HZ is microseconds) → milliseconds. */
export function seconds(st: Statement, index: number, what: string, minSec = 0): number {
  const s = arg(st, index, what);
  if (!/^\d+(\.\d{1,6})?$/.test(s)) fail(st, `${st.keyword}: bad time '${s}' for ${what} (seconds)`);
  const ms = Math.round(Number(s) * 1000);
  if (Number(s) < minSec) fail(st, `${st.keyword}: ${what} '${s}' must be at least ${minSec}`);
  return ms;
}

/** inet_pton of either family; keepalived's inet_stosockaddr accepts nothing looser. */
export function parseIp(s: string): Addr | null {
  if (isIPv4(s)) return { family: 'inet', ip: s.split('.').map(Number).join('.') };
  const v6 = s.includes(':') ? canonicalIpv6(s) : null;
  return v6 ? { family: 'inet6', ip: v6 } : null;
}

export function address(st: Statement, index: number, what: string): Addr {
  const s = arg(st, index, what);
  const a = parseIp(s);
  if (!a) fail(st, `${st.keyword}: bad ${what} '${s}'`);
  return a;
}

/** An optional port: absent or 0 gives 0 (keepalived: "no port"). */
export function port(st: Statement, index: number, what = 'port'): number {
  return st.args[index] === undefined ? 0 : unsigned(st, index, what, 0, 65535);
}

/** check_true_false: an optional yes/no word after a flag keyword. */
export function flag(st: Statement, index = 0): boolean {
  const s = st.args[index];
  if (s === undefined) return true;
  const v = s.toLowerCase();
  if (['true', 'on', 'yes'].includes(v)) return true;
  if (['false', 'off', 'no'].includes(v)) return false;
  fail(st, `${st.keyword}: expected true|false|on|off|yes|no, not '${s}'`);
}

/** A script given as the rest of the line (quotes group words; run later with /bin/sh -c). */
export function script(st: Statement, what = 'script'): string {
  if (!st.args.length) fail(st, `${st.keyword}: missing ${what}`);
  return st.args.join(' ');
}
