// Every line of the monitor's screen as text, for a given terminal width. The Ink
// components only colour these lines; --once prints them as they are. Every line is
// at most `width` columns, so nothing wraps at 80×24.
import type { ForwardMethod } from '../model/types.js';
import { addrPortString } from '../model/types.js';
import { cellL, cellR, compact, expireText, intervalText, sparkline, truncMiddle } from './format.js';
import { realName, serviceName, type SortKey, type TableRow, type ViewOptions } from './rows.js';
import type { ConnRow, HeaderInfo, Metric, MonitorSnapshot, SeriesHistory } from './types.js';
import { isIcmpAnswer } from '../bpf/stat-names.js';

export const FORWARD_NAMES: Record<ForwardMethod, string> = {
  dr: 'Route', tun: 'Tunnel', nat: 'Masq', fullnat: 'FullNat',
};

interface Col {
  title: string;
  width: number;
  sort?: SortKey;
}

const NUM_COLS: Col[] = [
  { title: 'Fwd', width: 7 },
  { title: 'Wgt', width: 5, sort: 'weight' },
  { title: 'Act', width: 5, sort: 'active' },
  { title: 'InAct', width: 5, sort: 'inactive' },
  { title: 'CPS', width: 5, sort: 'cps' },
  { title: 'PPS', width: 5, sort: 'pps' },
  { title: 'BPS', width: 5, sort: 'bps' },
  { title: 'Hlth', width: 4 },
];
const MARK = 2;
const FIXED = NUM_COLS.reduce((s, c) => s + c.width + 1, 0);

export interface TableLayout {
  width: number;
  nameWidth: number;
  /** 0 when there is no room for a trend column. */
  sparkWidth: number;
}

/** Column widths for `width` columns; `needed` is the longest name to show uncut. */
export function tableLayout(width: number, needed = 20): TableLayout {
  const avail = Math.max(0, width - MARK - FIXED - 1);
  const MIN_SPARK = 8;
  let nameWidth = Math.max(14, Math.min(Math.max(needed, 20), avail - MIN_SPARK));
  let sparkWidth = Math.min(60, avail - nameWidth);
  if (sparkWidth < 4) {
    sparkWidth = 0;
    nameWidth = Math.max(8, width - MARK - FIXED);
  }
  return { width, nameWidth, sparkWidth };
}

/** Longest name column text the rows would like (services and indented reals). */
export function neededNameWidth(rows: readonly TableRow[]): number {
  return rows.reduce((m, r) => Math.max(m, r.kind === 'service' ? serviceName(r.svc).length : realName(r.real).length + 2), 0);
}

/** "UDP [2001:db8:…:10]:53 rr": the address is cut in its middle, protocol and scheduler kept. */
function serviceCell(s: TableRow & { kind: 'service' }, w: number): string {
  const full = serviceName(s.svc);
  if (full.length <= w) return full;
  const v = s.svc.service;
  const head = `${v.protocol.toUpperCase()} `;
  const tail = full.slice(head.length + addrPortString(v.addr, v.port).length);
  return head + truncMiddle(addrPortString(v.addr, v.port), Math.max(4, w - head.length - tail.length)) + tail;
}

const METRIC_TITLE: Record<Metric, string> = { cps: 'CPS', pps: 'PPS', bps: 'BPS' };

function arrow(o: ViewOptions): string {
  return o.descending ? '↓' : '↑';
}

function titled(title: string, w: number, on: boolean, o: ViewOptions): string {
  if (!on) return title;
  const t = title + arrow(o);
  return t.length <= w ? t : title.slice(0, w - 1) + arrow(o);
}

export function tableTitle(l: TableLayout, o: ViewOptions): string {
  let line = ' '.repeat(MARK) + cellL(titled(l.nameWidth >= 22 ? 'Service / real server' : 'Service / real', l.nameWidth, o.sort === 'name', o), l.nameWidth);
  for (const c of NUM_COLS) {
    const t = titled(c.title, c.width, c.sort !== undefined && o.sort === c.sort, o);
    line += ' ' + (c.title === 'Fwd' || c.title === 'Hlth' ? cellL(t, c.width) : cellR(t, c.width));
  }
  if (l.sparkWidth > 0) line += ' ' + cellL(l.sparkWidth >= 18 ? `${METRIC_TITLE[o.spark]} last ${l.sparkWidth} samples` : `${METRIC_TITLE[o.spark]} hist`, l.sparkWidth);
  return line.trimEnd();
}

function nums(cells: string[]): string {
  return NUM_COLS.map((c, i) => ' ' + (c.title === 'Fwd' || c.title === 'Hlth' ? cellL(cells[i]!, c.width) : cellR(cells[i]!, c.width))).join('');
}

function trend(h: SeriesHistory, l: TableLayout, o: ViewOptions): string {
  return l.sparkWidth > 0 ? ' ' + sparkline(h[o.spark], l.sparkWidth) : '';
}

/** One table row; `selected` puts the '>' marker in front (visible without colour). */
export function tableLine(row: TableRow, l: TableLayout, o: ViewOptions, selected: boolean): string {
  const mark = selected ? '> ' : '  ';
  if (row.kind === 'service') {
    const s = row.svc;
    const r = s.rates;
    const name = cellL(serviceCell(row, l.nameWidth), l.nameWidth);
    return (mark + name + nums([
      '', '', compact(s.counts.activeConns), compact(s.counts.inactiveConns),
      compact(r.cps), compact(r.inpps + r.outpps), compact(r.inbps + r.outbps), '',
    ]) + trend(s.history, l, o)).trimEnd();
  }
  const x = row.real;
  const r = x.rates;
  const name = cellL('  ' + truncMiddle(realName(x), l.nameWidth - 2), l.nameWidth);
  return (mark + name + nums([
    FORWARD_NAMES[x.real.forward], String(x.real.weight), compact(x.counts.activeConns), compact(x.counts.inactiveConns),
    compact(r.cps), compact(r.inpps + r.outpps), compact(r.inbps + r.outbps), x.health,
  ]) + trend(x.history, l, o)).trimEnd();
}

/** The header bar: where, how, and what happened to packets. */
export function headerLines(h: HeaderInfo, intervalMs: number, width: number): string[] {
  const ifs = h.interfaces.length
    ? h.interfaces.map((i) => `${i.name} ${i.mode}${i.progId ? ` prog ${i.progId}` : ''}`).join(', ')
    : 'no interface attached';
  const fill = h.connTableSize ? (100 * h.connCount) / h.connTableSize : 0;
  const conns = `conntrack ${h.connCountTruncated ? '≥' : ''}${compact(h.connCount, 6)}/${compact(h.connTableSize, 6)} (${fill.toFixed(1)}%)`;
  const l1 = `lvs-xdp monitor │ ${ifs} │ ${conns} │ every ${intervalText(intervalMs)}`;
  const get = (n: string) => h.packets.find((p) => p.name === n);
  const sum = (pred: (n: string) => boolean) => h.packets.filter((p) => pred(p.name)).reduce(
    (a, p) => ({ count: a.count + p.count, rate: a.rate + p.rate }), { count: 0n, rate: 0 });
  // ICMP errors the program wrote itself leave as XDP_TX too: not forwarded, shown apart
  const icmp = sum(isIcmpAnswer);
  const tx = (get('tx')?.count ?? 0n) - icmp.count;
  const fwd = sum((n) => n === 'tx' || n === 'redirect');
  fwd.count -= icmp.count;
  fwd.rate = Math.max(0, fwd.rate - icmp.rate);
  const pass = sum((n) => n.startsWith('pass_'));
  const drop = sum((n) => n.startsWith('drop_'));
  const pr = (x: { count: bigint; rate: number }) => `${compact(x.count, 6)} ${compact(x.rate, 5)}/s`;
  const l2 = `packets fwd ${pr(fwd)} (tx ${compact(tx, 6)} redir ${compact(get('redirect')?.count ?? 0n, 6)})` +
    `${icmp.count ? ` │ icmp ${pr(icmp)}` : ''} │ pass ${pr(pass)} │ drop ${pr(drop)}`;
  const reasons = (prefix: string, only = (_n: string) => true) => h.packets
    .filter((p) => p.name.startsWith(prefix) && only(p.name) && p.count > 0n)
    .map((p) => `${p.name.slice(prefix.length)} ${compact(p.count, 6)}`)
    .join(' ');
  const l3 = `drop: ${reasons('drop_') || 'none'} │ pass: ${reasons('pass_') || 'none'}` +
    (icmp.count ? ` │ icmp: ${reasons('icmp_', isIcmpAnswer)}` : '');
  return [l1, l2, l3].map((l) => cellL(l, width).trimEnd());
}

/** Three sparklines of the selected row, with the current and largest value. */
export function detailLines(title: string, h: SeriesHistory, width: number): string[] {
  const sw = Math.max(0, Math.min(60, width - 4 - 26));
  const line = (m: Metric) => {
    const pts = h[m];
    const now = pts.length ? pts[pts.length - 1]! : 0;
    const max = pts.reduce((a, b) => Math.max(a, b), 0);
    return cellL(`${METRIC_TITLE[m]} ${sparkline(pts, sw)} now ${compact(now, 6)} max ${compact(max, 6)}`, width).trimEnd();
  };
  return [cellL(`─ ${title} `.padEnd(width, '─'), width), line('cps'), line('pps'), line('bps')];
}

export function detailTitle(row: TableRow): string {
  return row.kind === 'service'
    ? `${serviceName(row.svc)} (per second, last samples)`
    : `${realName(row.real)} in ${serviceName(row.svc)} (per second)`;
}

/** Connections view: widths of the three address columns share what is left. */
export function connTitle(width: number): string {
  const a = addrWidth(width);
  return `  ${cellL('pro', 3)} ${cellL('expire', 6)} ${cellL('state', 11)} ${cellL('source', a)} ${cellL('virtual', a)} destination`.slice(0, width);
}

function addrWidth(width: number): number {
  return Math.max(12, Math.min(46, Math.floor((width - 2 - 3 - 6 - 11 - 4) / 3)));
}

export function connLine(c: ConnRow, width: number, selected: boolean): string {
  const a = addrWidth(width);
  const ep = (e?: { addr: { family: 'inet' | 'inet6'; ip: string }; port: number }) =>
    e ? truncMiddle(addrPortString(e.addr, e.port), a) : '(real gone)';
  const line = `${selected ? '> ' : '  '}${cellL(c.protocol, 3)} ${cellL(expireText(c.expiresSec), 6)} ${cellL(c.state, 11)} ` +
    `${cellL(ep(c.client), a)} ${cellL(ep(c.virtual), a)} ${ep(c.real)}`;
  return cellL(line, width).trimEnd();
}

export function connSummary(s: MonitorSnapshot, shown: number, width: number): string {
  const c = s.conns;
  if (!c) return '';
  const lim = c.truncated ? ` (read limit ${c.limit} reached)` : '';
  return cellL(`${shown} of ${c.rows.length} live entries${lim}; ${c.expired} expired awaiting removal`, width).trimEnd();
}

export const FOOTER_KEYS: Array<[string, string]> = [
  ['↑↓', 'move'], ['s', 'sort'], ['w', 'weight'], ['d', 'drain/restore'], ['/', 'filter'],
  ['c', 'conns'], ['m', 'graph'], ['?', 'help'], ['q', 'quit'],
];

/** Keys that fit in width, most important first. */
export function footerLine(width: number): string {
  let out = '';
  for (const [k, what] of FOOTER_KEYS) {
    const part = `${out ? '  ' : ''}${k} ${what}`;
    if (out.length + part.length > width) break;
    out += part;
  }
  return out;
}

export const HELP_LINES = [
  'lvs-xdp monitor — keys',
  '',
  '  ↑ ↓ / k j      move between services and real servers (PgUp PgDn, g G: ends)',
  '  s / r          sort by the next column / reverse the order',
  '  w              set the weight of the selected real server (Enter applies)',
  '  d              drain the selected real (weight 0) / restore its weight',
  '  /              filter rows (Enter keeps it, Esc clears it)',
  '  c              connections view (as ipvsadm -Lnc) / back to services',
  '  m              graph CPS, PPS or BPS in the table',
  '  ?              this help (any key closes it)',
  '  q, Ctrl-C      quit',
  '',
  'Changes run through the same checks as `lvs-xdp -e` and are confirmed below the',
  'table. Rates are IPVS\'s 2-second estimator (ipvsadm --rate); graphs show the rate',
  'over each refresh. ActiveConn/InActConn and conntrack fill come from a bounded scan',
  'of the connection table; health shows n/a until `lvs-xdp agent` runs.',
];
