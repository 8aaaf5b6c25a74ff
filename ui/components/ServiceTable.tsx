// Services and their real servers, one line each, scrolled to keep the selection
// in view; always exactly `height` lines so the screen below never moves.
import { Box } from 'ink';
import { neededNameWidth, tableLayout, tableLine, tableTitle } from '../../src/monitor/layout.js';
import type { TableRow, ViewOptions } from '../../src/monitor/rows.js';
import { Line } from './Line.js';

export interface ServiceTableProps {
  rows: readonly TableRow[];
  selected: number;
  opts: ViewOptions;
  width: number;
  /** Lines for the rows (the title line comes on top of these). */
  height: number;
}

export function windowStart(selected: number, count: number, height: number): number {
  if (count <= height) return 0;
  return Math.max(0, Math.min(selected - Math.floor(height / 2), count - height));
}

export function ServiceTable({ rows, selected, opts, width, height }: ServiceTableProps) {
  const l = tableLayout(width, neededNameWidth(rows));
  const start = windowStart(selected, rows.length, height);
  const shown = rows.slice(start, start + height);
  const lines = shown.map((r, i) => {
    const sel = start + i === selected;
    const text = tableLine(r, l, opts, sel);
    const drained = r.kind === 'real' && r.real.real.weight === 0;
    const down = r.kind === 'real' && r.real.health === 'down';
    return (
      <Line key={r.key} width={width} text={text} inverse={sel} bold={r.kind === 'service'}
        color={down ? 'red' : drained ? 'yellow' : undefined} />
    );
  });
  if (rows.length === 0) lines.push(<Line key="none" width={width} text={opts.filter ? `  (nothing matches “${opts.filter}”)` : '  (no virtual services)'} dim />);
  while (lines.length < height) lines.push(<Line key={`pad${lines.length}`} width={width} text="" />);
  return (
    <Box flexDirection="column">
      <Line width={width} text={tableTitle(l, opts)} bold />
      {lines}
    </Box>
  );
}
