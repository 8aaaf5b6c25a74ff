// The keys, as many as fit.
import { footerLine } from '../../src/monitor/layout.js';
import { Line } from './Line.js';

export function Footer({ width }: { width: number }) {
  return <Line width={width} text={footerLine(width)} inverse />;
}
