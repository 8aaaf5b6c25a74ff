// Keeps the process's performance timeline from growing with every redraw.
// React's development build (what runs unless NODE_ENV=production, so always from
// bin/lvs-xdp) records a User Timing measure for each component it re-renders with
// changed props, for a profiler's Components track, and Node keeps every measure until
// someone clears it. Nothing here reads them: at ~23 measures per redraw, each holding
// the props diff as strings, that was the monitor's whole growth in the 50-minute soak
// (120 → 296 MiB). Clearing after each commit leaves at most one commit's worth.
import { useEffect } from 'react';

export function useBoundedTimeline(): void {
  useEffect(() => {
    performance.clearMeasures();
  });
}
