// -x / -y connection thresholds (net/netfilter/ipvs/ip_vs_conn.c, ip_vs_ctl.c).
//
// IPVS keeps IP_VS_DEST_F_OVERLOAD per destination, changed on events:
//   bind (a new connection counted):   total >= u_threshold (u != 0)      -> set
//   unbind (a connection ended):       l != 0: total < l                  -> clear
//                                      l == 0, u != 0: total * 4 < u * 3  -> clear
//                                      u == l == 0                        -> clear
//   edit (-e): u_threshold removed or raised                              -> clear
// with total = active + inactive. This is the event-driven reference; the data
// plane evaluates the same hysteresis when it schedules (bpf/include/sched.h),
// which gives the same flag at every scheduling decision.

export interface Thresholds {
  upper: number;
  lower: number;
}

export class OverloadFlag {
  overloaded = false;

  bind(total: number, t: Thresholds): void {
    if (t.upper !== 0 && total >= t.upper) this.overloaded = true;
  }

  unbind(total: number, t: Thresholds): void {
    if (t.lower !== 0) {
      if (total < t.lower) this.overloaded = false;
    } else if (t.upper !== 0) {
      if (total * 4 < t.upper * 3) this.overloaded = false;
    } else {
      this.overloaded = false;
    }
  }

  edit(prev: Thresholds, next: Thresholds): void {
    if (next.upper === 0 || next.upper > prev.upper) this.overloaded = false;
  }
}
