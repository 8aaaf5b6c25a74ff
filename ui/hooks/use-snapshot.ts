// The latest snapshot; re-renders only when the source publishes a new one (it does
// not when nothing visible changed).
import { useSyncExternalStore } from 'react';
import { useDataSource } from './use-data-source.js';
import type { MonitorSnapshot } from '../../src/monitor/types.js';

export function useSnapshot(): MonitorSnapshot {
  const source = useDataSource();
  return useSyncExternalStore(source.subscribe, source.getSnapshot, source.getSnapshot);
}
