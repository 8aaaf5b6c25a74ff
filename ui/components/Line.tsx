// One screen line that never wraps; styling only when colour is on (NO_COLOR).
//
// Ink measures every text it lays out and keeps the size of each distinct string in
// a module-level Map that it never empties (ink/build/measure-text.js; upstream
// vadimdemedes/ink#986). The monitor's lines change with every refresh, so that Map
// grew for as long as the monitor ran. Ink is therefore handed only blanks as wide as
// the line, styled as the line will be: a few distinct strings per screen width. The
// text goes in when the frame is drawn, through <Transform>, which Ink applies after
// layout. A line whose width and style stay the same is not even measured again.
import { Text, Transform } from 'ink';
import { cutEnd } from '../../src/monitor/format.js';
import { useDisplay } from '../hooks/use-display.js';

export interface LineProps {
  text: string;
  /** Columns the line may take; longer text is cut with '…'. */
  width: number;
  color?: string;
  bold?: boolean;
  inverse?: boolean;
  dim?: boolean;
}

export function Line({ text, width, color, bold, inverse, dim }: LineProps) {
  const { color: on } = useDisplay();
  const shown = cutEnd(text === '' ? ' ' : text, Math.max(1, width));
  const blank = ' '.repeat(shown.length);
  // The blank comes back as laid out, inside its colour codes (which hold no spaces).
  const draw = (laidOut: string) => laidOut.replace(blank, () => shown);
  return (
    <Transform transform={draw}>
      {on ? <Text color={color} bold={bold} inverse={inverse} dimColor={dim}>{blank}</Text> : blank}
    </Transform>
  );
}
