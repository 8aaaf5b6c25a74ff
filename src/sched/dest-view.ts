// What the connection schedulers see of a destination: the reference model's
// input (src/sched/<name>.ts), and what the data plane reads from lb_reals,
// lb_real_conns and lb_real_load (bpf/include/sched.h).

export interface DestView {
  id: number;
  weight: number;
  active: number;
  inactive: number;
  /** IP_VS_DEST_F_OVERLOAD (thresholds, see overload.ts). */
  overloaded: boolean;
  /** The real's seq (identity across id reuse); lblc/lblcr caches remember it. */
  seq?: number;
}

/** ip_vs_dest_conn_overhead() (include/net/ip_vs.h): active weigh 256 inactive. */
export function connOverhead(d: DestView): number {
  return d.active * 256 + d.inactive;
}

/** A destination picked, or undefined: "no destination available". */
export type Pick = DestView | undefined;
