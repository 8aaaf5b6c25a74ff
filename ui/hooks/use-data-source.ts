// The MonitorSource from DataSourceProvider.
import { useContext } from 'react';
import { DataSourceContext } from '../context/data-source.js';
import type { MonitorSource } from '../../src/monitor/types.js';

export function useDataSource(): MonitorSource {
  const s = useContext(DataSourceContext);
  if (!s) throw new Error('useDataSource: no DataSourceProvider above this component');
  return s;
}
