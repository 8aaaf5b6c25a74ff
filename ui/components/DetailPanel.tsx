// The selected row's last minute: CPS, PPS and BPS sparklines.
import { Box } from 'ink';
import { detailLines, detailTitle } from '../../src/monitor/layout.js';
import type { TableRow } from '../../src/monitor/rows.js';
import { Line } from './Line.js';

export const DETAIL_HEIGHT = 4;

export function DetailPanel({ row, width }: { row?: TableRow; width: number }) {
  if (!row) {
    return (
      <Box flexDirection="column">
        {[0, 1, 2, 3].map((i) => <Line key={i} width={width} text={i === 0 ? '─'.repeat(width) : ''} dim />)}
      </Box>
    );
  }
  const h = row.kind === 'service' ? row.svc.history : row.real.history;
  const [title, ...graphs] = detailLines(detailTitle(row), h, width);
  return (
    <Box flexDirection="column">
      <Line width={width} text={title!} dim />
      {graphs.map((g, i) => <Line key={i} width={width} text={g} color="green" />)}
    </Box>
  );
}
