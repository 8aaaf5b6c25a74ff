// The contract every health checker keeps: one attempt, bounded by its own timeout and
// by the caller's AbortSignal, nothing left behind (sockets destroyed, scripts' process
// groups killed) when it resolves. A checker never throws for a failed check: the
// outcome and its reason are data for the health state machine (src/agent/health.ts).

export interface CheckTarget {
  /** Address to connect to (connect_ip, default the real server's). */
  ip: string;
  port: number;
}

export interface CheckResult {
  ok: boolean;
  /** MISC_CHECK with misc_dynamic: the weight the exit status asks for. */
  weight?: number;
  reason: string;
}

export interface Checker<Options> {
  check(target: CheckTarget, options: Options, signal?: AbortSignal): Promise<CheckResult>;
}

/** Source address options shared by the connecting checkers (bindto / bind_port). */
export interface BindOptions {
  bindto?: string;
  bindPort?: number;
}

export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') {
    const msg = e instanceof Error ? e.message : '';
    return msg.includes(e.code) ? msg : `${e.code}: ${msg}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `start` with one deadline and the caller's signal. `start` gets a `done` to call
 * once; `cleanup` always runs exactly once, whatever settles first.
 */
export function bounded(
  timeoutMs: number, signal: AbortSignal | undefined, timeoutReason: string,
  start: (done: (r: CheckResult) => void) => void, cleanup: () => void,
): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        cleanup();
      } finally {
        resolve(r);
      }
    };
    const onAbort = (): void => finish({ ok: false, reason: 'aborted' });
    const timer = setTimeout(() => finish({ ok: false, reason: timeoutReason }), timeoutMs);
    if (signal?.aborted) {
      finish({ ok: false, reason: 'aborted' });
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      start(finish);
    } catch (e) {
      finish({ ok: false, reason: errorText(e) });
    }
  });
}
