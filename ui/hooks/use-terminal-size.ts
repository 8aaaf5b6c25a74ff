// Columns and rows of the terminal, following resizes (SIGWINCH → 'resize' on stdout).
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';
import { useDisplay } from './use-display.js';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const fixed = useDisplay().size;
  const read = (): TerminalSize => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState<TerminalSize>(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => {
      const next = read();
      setSize((cur) => (cur.columns === next.columns && cur.rows === next.rows ? cur : next));
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}
