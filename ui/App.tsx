// lvs-xdp monitor: the whole screen. Data comes from the DataSourceProvider (useSnapshot),
// keys from useMonitorKeys; every line is laid out by src/monitor/layout.ts for the
// current width, and the frame is always rows-1 lines high (Ink redraws everything
// when a frame fills the terminal, which flickers).
import { useMemo } from 'react';
import { Box } from 'ink';
import { connRows, tableRows } from '../src/monitor/rows.js';
import { useSnapshot } from './hooks/use-snapshot.js';
import { useDataSource } from './hooks/use-data-source.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { useMonitorKeys } from './hooks/use-monitor-keys.js';
import { useBoundedTimeline } from './hooks/use-bounded-timeline.js';
import { Header } from './components/Header.js';
import { ServiceTable } from './components/ServiceTable.js';
import { DetailPanel, DETAIL_HEIGHT } from './components/DetailPanel.js';
import { ConnectionTable } from './components/ConnectionTable.js';
import { StatusLine } from './components/StatusLine.js';
import { Footer } from './components/Footer.js';
import { HelpView } from './components/HelpView.js';
import { Line } from './components/Line.js';
import { DataSourceProvider } from './context/data-source.js';
import { DisplayProvider, type Display } from './context/display.js';
import type { MonitorSource } from '../src/monitor/types.js';

const HEADER = 3;
const BOTTOM = 2; // status line + footer

export function App() {
  const source = useDataSource();
  const snap = useSnapshot();
  const { columns, rows: termRows } = useTerminalSize();
  useBoundedTimeline(); // App re-renders on every change, so this runs after every commit
  const width = Math.max(40, columns);
  const height = Math.max(1, termRows - 1);
  const showDetail = height >= 20;
  const bodyHeight = Math.max(1, height - HEADER - 1 - (showDetail ? DETAIL_HEIGHT : 0) - BOTTOM);

  // The key handler needs the rows as shown; the rows need the UI state: the hook
  // returns the state, and reads rows through this mutable context object.
  const keyCtx = useMemo(() => ({ rows: [] as ReturnType<typeof tableRows>, connCount: 0, pageSize: bodyHeight, source }), [source]);
  const ui = useMonitorKeys(keyCtx);
  const table = useMemo(() => tableRows(snap.services, ui.opts), [snap.services, ui.opts]);
  const conns = useMemo(() => connRows(snap.conns?.rows ?? [], ui.connFilter), [snap.conns, ui.connFilter]);
  keyCtx.rows = table;
  keyCtx.connCount = conns.length;
  keyCtx.pageSize = bodyHeight;

  if (termRows < 10 || columns < 40) {
    return <Line width={columns} text={`lvs-xdp monitor needs at least 40×10 (this is ${columns}×${termRows}); q quits`} />;
  }
  const found = table.findIndex((r) => r.key === ui.selectedKey);
  const selected = found < 0 ? 0 : found;
  const connSel = Math.min(ui.connIndex, Math.max(0, conns.length - 1));

  let body;
  if (ui.mode === 'help') {
    body = <HelpView width={width} height={height - HEADER - BOTTOM} />;
  } else if (ui.view === 'conns') {
    body = <ConnectionTable snapshot={snap} rows={conns} selected={connSel} width={width} height={height - HEADER - BOTTOM} />;
  } else {
    body = (
      <>
        <ServiceTable rows={table} selected={selected} opts={ui.opts} width={width} height={bodyHeight} />
        {showDetail && <DetailPanel row={table[selected]} width={width} />}
      </>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      <Header header={snap.header} intervalMs={snap.intervalMs} width={width} />
      {body}
      <StatusLine ui={ui} error={snap.error} width={width} />
      <Footer width={width} />
    </Box>
  );
}

/** The monitor with its providers: what `lvs-xdp monitor` and the tests render. */
export function MonitorRoot({ source, display }: { source: MonitorSource; display: Display }) {
  return (
    <DisplayProvider display={display}>
      <DataSourceProvider source={source}>
        <App />
      </DataSourceProvider>
    </DisplayProvider>
  );
}
