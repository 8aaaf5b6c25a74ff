// lb_stat counter names without the prefix, in enum order (as `lvs-xdp status` prints
// them), from the generated layout only: no map handles needed.
import { lb_stat } from './generated/layout.js';

export function statNames(): string[] {
  return Object.entries(lb_stat)
    .filter(([k]) => k !== 'LB_STAT__MAX')
    .sort((a, b) => a[1] - b[1])
    .map(([k]) => k.replace(/^LB_STAT_/, '').toLowerCase());
}

/**
 * A verdict counter (bpf/include/lb_shared.h, enum lb_stat): every packet the program
 * sees bumps exactly one PASS_/DROP_/TX/REDIRECT counter, so these add up to the
 * packets seen. Every other counter (conn_*, reply_nat, icmp_*, ...) is an event on
 * top of a packet's verdict, not a packet of its own (test/bpf/harness.ts checks the
 * rule on every counted test run).
 */
export function isVerdict(name: string): boolean {
  return name.startsWith('pass_') || name.startsWith('drop_') || name === 'tx' || name === 'redirect';
}

/**
 * An ICMP error the program wrote itself and sent back (XDP_TX, counted as tx too):
 * a port unreachable when no real server can take a connection, a fragmentation
 * needed / packet too big. Not forwarding. (icmp_fwd, an error about a connection
 * translated and passed on, is.)
 */
export function isIcmpAnswer(name: string): boolean {
  return name === 'icmp_unreach' || name === 'icmp_too_big';
}
