// Keyboard handling and the UI's own state (view, selection, sort, filter, prompts).
// Changes go to the data source, which runs them through the ipvsadm -e path; the
// result is kept as a message for the status line.
import { useRef, useState } from 'react';
import { useApp, useInput, type Key } from 'ink';
import { DEFAULT_VIEW, nextSort, type TableRow, type ViewOptions } from '../../src/monitor/rows.js';
import { METRICS, type MonitorSource } from '../../src/monitor/types.js';

export type Mode = 'normal' | 'filter' | 'weight' | 'help';
export type ViewName = 'services' | 'conns';

export interface UiState {
  mode: Mode;
  view: ViewName;
  opts: ViewOptions;
  /** Key of the selected table row (stays on its row when the order changes). */
  selectedKey?: string;
  /** Selected line in the connections view. */
  connIndex: number;
  connFilter: string;
  input: string;
  message?: { ok: boolean; text: string };
}

export const INITIAL_UI: UiState = { mode: 'normal', view: 'services', opts: DEFAULT_VIEW, connIndex: 0, connFilter: '', input: '' };

export interface KeyContext {
  rows: readonly TableRow[];
  connCount: number;
  pageSize: number;
  source: MonitorSource;
}

function selectedIndex(ui: UiState, rows: readonly TableRow[]): number {
  const i = rows.findIndex((r) => r.key === ui.selectedKey);
  return i < 0 ? 0 : i;
}

/** Pure: the state after one key press. `exit` is called for q / Ctrl-C. */
export function onKey(ui: UiState, input: string, key: Partial<Key>, ctx: KeyContext, exit: () => void): UiState {
  if (key.ctrl && input === 'c') {
    exit();
    return ui;
  }
  if (ui.mode === 'help') return { ...ui, mode: 'normal' };
  if (ui.mode === 'filter' || ui.mode === 'weight') return promptKey(ui, input, key, ctx);

  const move = (d: number): UiState => {
    if (ui.view === 'conns') {
      return { ...ui, connIndex: Math.max(0, Math.min(ctx.connCount - 1, ui.connIndex + d)) };
    }
    if (ctx.rows.length === 0) return ui;
    const i = Math.max(0, Math.min(ctx.rows.length - 1, selectedIndex(ui, ctx.rows) + d));
    return { ...ui, selectedKey: ctx.rows[i]!.key };
  };
  if (key.upArrow || input === 'k') return move(-1);
  if (key.downArrow || input === 'j') return move(1);
  if (key.pageUp) return move(-ctx.pageSize);
  if (key.pageDown || input === ' ') return move(ctx.pageSize);
  if (input === 'g' || key.home) return move(-1e9);
  if (input === 'G' || key.end) return move(1e9);

  switch (input) {
    case 'q':
      exit();
      return ui;
    case '?':
      return { ...ui, mode: 'help' };
    case 'c': {
      const view = ui.view === 'services' ? 'conns' : 'services';
      ctx.source.setConnectionsWanted(view === 'conns');
      return { ...ui, view, message: undefined };
    }
    case '/':
      return { ...ui, mode: 'filter', input: ui.view === 'conns' ? ui.connFilter : ui.opts.filter };
    case 's':
      return { ...ui, opts: nextSort(ui.opts) };
    case 'r':
      return { ...ui, opts: { ...ui.opts, descending: !ui.opts.descending } };
    case 'm':
      return { ...ui, opts: { ...ui.opts, spark: METRICS[(METRICS.indexOf(ui.opts.spark) + 1) % METRICS.length]! } };
    case 'w':
    case 'd': {
      const row = ctx.rows[selectedIndex(ui, ctx.rows)];
      if (ui.view !== 'services' || !row || row.kind !== 'real') {
        return { ...ui, message: { ok: false, text: 'select a real server first (↑↓ in the services view)' } };
      }
      if (input === 'w') return { ...ui, mode: 'weight', input: String(row.real.real.weight) };
      const res = ctx.source.toggleDrain(row.svc.service, row.real.real);
      return { ...ui, message: { ok: res.ok, text: res.message } };
    }
    default:
      return ui;
  }
}

function promptKey(ui: UiState, input: string, key: Partial<Key>, ctx: KeyContext): UiState {
  const setFilter = (f: string): UiState =>
    ui.view === 'conns' ? { ...ui, connFilter: f, connIndex: 0 } : { ...ui, opts: { ...ui.opts, filter: f } };
  if (key.escape) {
    const base = ui.mode === 'filter' ? setFilter('') : ui;
    return { ...base, mode: 'normal', input: '' };
  }
  if (key.return) {
    if (ui.mode === 'filter') return { ...ui, mode: 'normal', input: '' };
    const row = ctx.rows[selectedIndex(ui, ctx.rows)];
    if (!row || row.kind !== 'real') return { ...ui, mode: 'normal', input: '' };
    const res = ctx.source.setWeight(row.svc.service, row.real.real, ui.input);
    return { ...ui, mode: 'normal', input: '', message: { ok: res.ok, text: res.message } };
  }
  let text = ui.input;
  if (key.backspace || key.delete) text = text.slice(0, -1);
  else if (input && !key.ctrl && !key.meta && !key.upArrow && !key.downArrow) text += input;
  else return ui;
  const next = { ...ui, input: text };
  return ui.mode === 'filter' ? { ...setFilter(text), input: text } : next;
}

/**
 * Several keys can arrive in one read (typed fast, pasted, tmux send-keys): Ink then
 * hands over the whole chunk as one input. Plain characters are taken one by one.
 */
export function onKeys(ui: UiState, input: string, key: Partial<Key>, ctx: KeyContext, exit: () => void): UiState {
  const chars = [...input];
  if (chars.length <= 1 || input.includes('\x1b') || key.ctrl || key.meta) return onKey(ui, input, key, ctx, exit);
  let cur = ui;
  for (const ch of chars) {
    const k: Partial<Key> = ch === '\r' || ch === '\n' ? { return: true } : ch === '\x7f' || ch === '\b' ? { backspace: true } : {};
    cur = onKey(cur, k.return || k.backspace ? '' : ch, k, ctx, exit);
  }
  return cur;
}

/** Wires onKey to Ink's input for the App. */
export function useMonitorKeys(ctx: KeyContext): UiState {
  const [ui, setUi] = useState<UiState>(INITIAL_UI);
  // The current state outside React's updater: actions must run once per key press.
  const cur = useRef(ui);
  const { exit } = useApp();
  useInput((input, key) => {
    const next = onKeys(cur.current, input, key, ctx, exit);
    if (next === cur.current) return;
    cur.current = next;
    setUi(next);
  });
  return ui;
}
