// One screen line that never wraps; styling only when colour is on (NO_COLOR).
import { Text } from 'ink';
import { useDisplay } from '../hooks/use-display.js';

export interface LineProps {
  text: string;
  color?: string;
  bold?: boolean;
  inverse?: boolean;
  dim?: boolean;
}

export function Line({ text, color, bold, inverse, dim }: LineProps) {
  const { color: on } = useDisplay();
  const t = text === '' ? ' ' : text;
  if (!on) return <Text wrap="truncate">{t}</Text>;
  return (
    <Text wrap="truncate" color={color} bold={bold} inverse={inverse} dimColor={dim}>
      {t}
    </Text>
  );
}
