// The agent's rate loop: every 2 seconds (IPVS's estimator period) it reads the
// per-CPU counters of every service and real (lb_svc_stats, lb_real_stats), feeds
// them to one estimator each (rates-estimation.ts: EWMA with weight 1/4 in the
// kernel's fixed point) and writes the results into the pinned lb_rates map
// (rate-entries.ts), which `-Ln --rate` and `--json` read. The XDP program never
// touches lb_rates, and reading per-CPU counters takes no lock on the data path: the
// data plane is not disturbed.
//
// Cost (1,000 services × 16 reals, issue #9): a round is ~20 batch syscalls (counters
// by id range, lb_rates by index range, one batch write, and the reads that tell
// whether the configuration changed, rate-subjects.ts); nothing is decoded or
// allocated per subject. About 10 ms of user and 12 ms of system time per round
// (~1 % of a core), where reading the configuration and every counter key by key
// every round cost ~700 ms.
import { Dataplane } from '../bpf/dataplane.js';
import type { PinPaths } from '../bpf/pins.js';
import { mapStore, monotonicNs, RATES_PERIOD_MS } from './rate-entries.js';
import { RatesEstimation } from './rates-estimation.js';
import { SubjectSource } from './rate-subjects.js';

export * from './rate-entries.js';
export { RatesEstimation, type RateFrame, type RateStore } from './rates-estimation.js';
export { SubjectSource } from './rate-subjects.js';

/** One round against an open data plane: subjects and counters, estimate, write. */
export function ratesRound(dp: Dataplane, est: RatesEstimation, src: SubjectSource, nowNs = monotonicNs()): void {
  est.round(src.read(dp), nowNs);
}

export interface RatesLoop {
  stop(): void;
}

/**
 * Starts the estimator loop of `lvs-xdp agent`: a round now (it only sets the
 * baselines) and one every period. The data plane is opened per round, so a
 * re-attach or an upgrade under the agent is picked up. Errors are reported and
 * the loop goes on.
 */
export function startRatesLoop(pins: PinPaths, onError: (e: Error) => void, periodMs = RATES_PERIOD_MS): RatesLoop {
  let est: RatesEstimation | undefined;
  const src = new SubjectSource();
  let mapId = -1;
  let lastError: string | undefined;
  const tick = (): void => {
    try {
      const dp = Dataplane.open(pins);
      try {
        // A new lb_rates map (detach --purge, attach) means new objects: start afresh.
        if (!est || dp.maps.lb_rates.info.id !== mapId) {
          est = new RatesEstimation(mapStore(dp.maps.lb_rates), periodMs);
          mapId = dp.maps.lb_rates.info.id;
        }
        est.setStore(mapStore(dp.maps.lb_rates));
        ratesRound(dp, est, src);
      } finally {
        dp.close();
      }
      lastError = undefined;
    } catch (e) {
      // Reported once until it changes or goes away (no data plane: every round fails).
      if ((e as Error).message !== lastError) onError(e as Error);
      lastError = (e as Error).message;
    }
  };
  tick();
  // A little over the period: a timer that fires a hair early would skip a step (the
  // estimator scales every delta to exactly one period, so the rates stay exact).
  const timer = setInterval(tick, periodMs + 10);
  return { stop: () => clearInterval(timer) };
}
