// The one way data reaches the UI: a MonitorSource (live maps, or a fake in tests)
// provided at the top of the tree. Components never read maps themselves.
import { createContext, type ReactNode } from 'react';
import type { MonitorSource } from '../../src/monitor/types.js';

export const DataSourceContext = createContext<MonitorSource | null>(null);

export function DataSourceProvider({ source, children }: { source: MonitorSource; children: ReactNode }) {
  return <DataSourceContext.Provider value={source}>{children}</DataSourceContext.Provider>;
}
