// Prompt while typing a filter or a weight; otherwise the last action's result or
// the data source's error.
import { Line } from './Line.js';
import type { UiState } from '../hooks/use-monitor-keys.js';

export function StatusLine({ ui, error, width }: { ui: UiState; error?: string; width: number }) {
  const cut = (s: string) => (s.length > width ? s.slice(0, width - 1) + '…' : s);
  if (ui.mode === 'filter') return <Line text={cut(`filter: ${ui.input}▏ (Enter keeps, Esc clears)`)} color="cyan" />;
  if (ui.mode === 'weight') return <Line text={cut(`new weight: ${ui.input}▏ (Enter applies, Esc cancels)`)} color="cyan" />;
  if (error) return <Line text={cut(`error: ${error}`)} color="red" bold />;
  if (ui.message) return <Line text={cut(ui.message.text)} color={ui.message.ok ? 'green' : 'red'} />;
  const f = ui.view === 'conns' ? ui.connFilter : ui.opts.filter;
  return <Line text={cut(f ? `filter: ${f}` : '')} dim />;
}
