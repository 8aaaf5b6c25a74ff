// `lvs-xdp monitor --once`: the monitor's screen as plain text (no colour, no cursor
// movement), built from the same lines the Ink UI shows.
import { headerLines, neededNameWidth, tableLayout, tableLine, tableTitle } from './layout.js';
import { DEFAULT_VIEW, tableRows, type ViewOptions } from './rows.js';
import type { MonitorSnapshot } from './types.js';

export function plainFrame(s: MonitorSnapshot, width = 80, view: ViewOptions = DEFAULT_VIEW): string {
  const rows = tableRows(s.services, view);
  const l = tableLayout(width, neededNameWidth(rows));
  const lines = [...headerLines(s.header, s.intervalMs, width), ''];
  if (s.error) lines.push(`error: ${s.error}`.slice(0, width));
  lines.push(tableTitle(l, view));
  if (rows.length === 0) lines.push('  (no virtual services)');
  for (const r of rows) lines.push(tableLine(r, l, view, false));
  return lines.join('\n') + '\n';
}
