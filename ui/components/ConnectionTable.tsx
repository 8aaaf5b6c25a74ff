// The connection entries (as ipvsadm -Lnc), filtered, scrolled, fixed height.
import { Box } from 'ink';
import { connLine, connSummary, connTitle } from '../../src/monitor/layout.js';
import type { ConnRow, MonitorSnapshot } from '../../src/monitor/types.js';
import { Line } from './Line.js';
import { windowStart } from './ServiceTable.js';

export interface ConnectionTableProps {
  snapshot: MonitorSnapshot;
  rows: readonly ConnRow[];
  selected: number;
  width: number;
  height: number;
}

export function ConnectionTable({ snapshot, rows, selected, width, height }: ConnectionTableProps) {
  const body = Math.max(1, height - 1);
  const start = windowStart(selected, rows.length, body);
  const lines = rows.slice(start, start + body).map((c, i) => (
    <Line key={i} width={width} text={connLine(c, width, start + i === selected)} inverse={start + i === selected}
      dim={!c.active} />
  ));
  if (!snapshot.conns) lines.push(<Line key="wait" width={width} text="  reading connection table…" dim />);
  else if (rows.length === 0) lines.push(<Line key="none" width={width} text="  (no live connection entries)" dim />);
  while (lines.length < body) lines.push(<Line key={`pad${lines.length}`} width={width} text="" />);
  return (
    <Box flexDirection="column">
      <Line width={width} text={connTitle(width)} bold />
      {lines}
      <Line width={width} text={connSummary(snapshot, rows.length, width)} dim />
    </Box>
  );
}
