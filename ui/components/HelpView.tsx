// `?`: what every key does, sized to the screen.
import { Box } from 'ink';
import { HELP_LINES } from '../../src/monitor/layout.js';
import { Line } from './Line.js';

export function HelpView({ width, height }: { width: number; height: number }) {
  const lines = HELP_LINES.slice(0, height).map((l, i) => (
    <Line key={i} text={l.length > width ? l.slice(0, width - 1) + '…' : l} bold={i === 0} />
  ));
  while (lines.length < height) lines.push(<Line key={`pad${lines.length}`} text="" />);
  return <Box flexDirection="column">{lines}</Box>;
}
