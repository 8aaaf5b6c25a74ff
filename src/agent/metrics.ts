// Prometheus text exposition of what the data plane counts.
//
// The node_ipvs_* families carry node_exporter's ipvs collector's names, help
// texts, types and labels (collector/ipvs_linux.go), so dashboards built for
// IPVS keep working: a backend is labelled local_address, local_mark,
// local_port, proto, remote_address, remote_port (label names sorted, as the
// Go client prints them). lvs_xdp_* families add what IPVS never exposed.
import type { ListedService } from '../ipvsadm/format-list.js';
import { addStats, zeroStats, type Stats } from '../model/types.js';
import { isVerdict } from '../bpf/stat-names.js';

export interface MetricsInput {
  services: ListedService[];
  /** lb_stat names (lower case, no prefix) with their totals, in enum order. */
  verdicts: Array<{ name: string; count: bigint }>;
  /** Packets seen per CPU (sum of the verdict counters of that CPU). */
  perCpuPackets: bigint[];
  conntrack?: { entries: number; size: number };
}

// A label value escaped as the text format wants; addresses and ports never need it
// (one test instead of three replaces per value: 16,000 backends x 6 labels per scrape).
const esc = (v: string): string => (/[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v);

function labels(l: Record<string, string>): string {
  const keys = Object.keys(l).sort();
  return `{${keys.map((k) => `${k}="${esc(l[k]!)}"`).join(',')}}`;
}

function family(out: string[], name: string, type: 'counter' | 'gauge', help: string, rows: Array<[string, bigint | number]>): void {
  out.push(`# HELP ${name} ${help}`);
  out.push(`# TYPE ${name} ${type}`);
  for (const [l, v] of rows) out.push(`${name}${l} ${v.toString()}`);
}

function total(services: ListedService[]): Stats {
  return services.reduce((t, s) => addStats(t, s.stats), zeroStats());
}

/** Verdict counters are named pass_*, drop_* or a plain forwarding verdict (tx, redirect). */
function verdictLabels(name: string): Record<string, string> {
  const m = /^(pass|drop)_(.+)$/.exec(name);
  if (m) return { verdict: m[1]!, reason: m[2]! };
  return { verdict: 'forward', reason: name };
}

export function renderMetrics(m: MetricsInput): string {
  const out: string[] = [];
  const t = total(m.services);
  family(out, 'node_ipvs_connections_total', 'counter', 'The total number of connections made.', [['', t.conns]]);
  family(out, 'node_ipvs_incoming_packets_total', 'counter', 'The total number of incoming packets.', [['', t.inPkts]]);
  family(out, 'node_ipvs_outgoing_packets_total', 'counter', 'The total number of outgoing packets.', [['', t.outPkts]]);
  family(out, 'node_ipvs_incoming_bytes_total', 'counter', 'The total amount of incoming data.', [['', t.inBytes]]);
  family(out, 'node_ipvs_outgoing_bytes_total', 'counter', 'The total amount of outgoing data.', [['', t.outBytes]]);

  const active: Array<[string, number]> = [];
  const inactive: Array<[string, number]> = [];
  const weight: Array<[string, number]> = [];
  for (const s of m.services) {
    for (const r of s.reals) {
      // labels() of these six, written in their sorted order directly (a scrape of
      // 1,000 x 16 sorted and joined 16,000 label sets)
      const l = `{local_address="${esc(s.service.addr.ip)}",local_mark="",local_port="${s.service.port}",` +
        `proto="${s.service.protocol.toUpperCase()}",remote_address="${esc(r.real.addr.ip)}",remote_port="${r.real.port}"}`;
      active.push([l, r.counts.activeConns]);
      inactive.push([l, r.counts.inactiveConns]);
      weight.push([l, r.real.weight]);
    }
  }
  family(out, 'node_ipvs_backend_connections_active', 'gauge', 'The current active connections by local and remote address.', active);
  family(out, 'node_ipvs_backend_connections_inactive', 'gauge', 'The current inactive connections by local and remote address.', inactive);
  family(out, 'node_ipvs_backend_weight', 'gauge', 'The current backend weight by local and remote address.', weight);

  // Verdicts only, so that the family sums to the packets seen; events apart.
  family(out, 'lvs_xdp_packets_total', 'counter', 'Packets seen by the XDP program, by verdict and reason.',
    m.verdicts.filter((v) => isVerdict(v.name)).map((v) => [labels(verdictLabels(v.name)), v.count]));
  family(out, 'lvs_xdp_connections_scheduled_total', 'counter', 'Connections scheduled, and entries rescheduled because their real server was removed.',
    m.verdicts.filter((v) => v.name.startsWith('conn_')).map((v) => [labels({ event: v.name.slice(5) }), v.count]));
  family(out, 'lvs_xdp_events_total', 'counter', 'Events on top of a packet\'s verdict: NAT replies translated, ICMP written or forwarded, persistence hits, ...',
    m.verdicts.filter((v) => !isVerdict(v.name) && !v.name.startsWith('conn_')).map((v) => [labels({ event: v.name }), v.count]));
  // refused with a port unreachable (icmp_unreach, as IPVS) or, past the ICMP rate limits, dropped
  const count = (name: string) => m.verdicts.find((v) => v.name === name)?.count ?? 0n;
  family(out, 'lvs_xdp_scheduler_misses_total', 'counter', 'New connections refused because no real server was available.',
    [['', count('drop_no_real') + count('icmp_unreach')]]);
  family(out, 'lvs_xdp_cpu_packets_total', 'counter', 'Packets seen by the XDP program on each CPU.',
    m.perCpuPackets.map((c, i) => [labels({ cpu: String(i) }), c]));
  if (m.conntrack) {
    family(out, 'lvs_xdp_conntrack_entries', 'gauge', 'Entries in the connection table.', [['', m.conntrack.entries]]);
    family(out, 'lvs_xdp_conntrack_size', 'gauge', 'Capacity of the connection table.', [['', m.conntrack.size]]);
  }
  return out.join('\n') + '\n';
}
