// `?`: what every key does, sized to the screen.
import { Box } from 'ink';
import { HELP_LINES } from '../../src/monitor/layout.js';
import { Line } from './Line.js';

export function HelpView({ width, height }: { width: number; height: number }) {
  const lines = HELP_LINES.slice(0, height).map((l, i) => (
    <Line key={i} width={width} text={l} bold={i === 0} />
  ));
  while (lines.length < height) lines.push(<Line key={`pad${lines.length}`} width={width} text="" />);
  return <Box flexDirection="column">{lines}</Box>;
}
