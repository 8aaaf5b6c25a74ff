// How to draw: colour or not (NO_COLOR, --no-color), and a fixed size for tests
// (otherwise the terminal's own size, followed live).
import { createContext, type ReactNode } from 'react';

export interface Display {
  color: boolean;
  /** Overrides the terminal size (tests, --once). */
  size?: { columns: number; rows: number };
}

export const DisplayContext = createContext<Display>({ color: false });

export function DisplayProvider({ display, children }: { display: Display; children: ReactNode }) {
  return <DisplayContext.Provider value={display}>{children}</DisplayContext.Provider>;
}
