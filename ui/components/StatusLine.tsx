// Prompt while typing a filter or a weight; otherwise the last action's result or
// the data source's error.
import { Line } from './Line.js';
import type { UiState } from '../hooks/use-monitor-keys.js';

export function StatusLine({ ui, error, width }: { ui: UiState; error?: string; width: number }) {
  if (ui.mode === 'filter') return <Line width={width} text={`filter: ${ui.input}▏ (Enter keeps, Esc clears)`} color="cyan" />;
  if (ui.mode === 'weight') return <Line width={width} text={`new weight: ${ui.input}▏ (Enter applies, Esc cancels)`} color="cyan" />;
  if (error) return <Line width={width} text={`error: ${error}`} color="red" bold />;
  if (ui.message) return <Line width={width} text={ui.message.text} color={ui.message.ok ? 'green' : 'red'} />;
  const f = ui.view === 'conns' ? ui.connFilter : ui.opts.filter;
  return <Line width={width} text={f ? `filter: ${f}` : ''} dim />;
}
