// Totals bar: interfaces and XDP mode, packets by verdict, conntrack fill.
import { Box } from 'ink';
import { headerLines } from '../../src/monitor/layout.js';
import type { HeaderInfo } from '../../src/monitor/types.js';
import { Line } from './Line.js';

export function Header({ header, intervalMs, width }: { header: HeaderInfo; intervalMs: number; width: number }) {
  const [l1, l2, l3] = headerLines(header, intervalMs, width);
  const dropping = header.packets.some((p) => p.name.startsWith('drop_') && p.count > 0n);
  return (
    <Box flexDirection="column">
      <Line width={width} text={l1!} color="cyan" bold />
      <Line width={width} text={l2!} />
      <Line width={width} text={l3!} color={dropping ? 'yellow' : undefined} dim={!dropping} />
    </Box>
  );
}
