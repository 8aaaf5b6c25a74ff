// `ipvsadm -G [-t|-u service]`: FULLNAT local addresses as the DPVS ipvsadm fork prints
// them (list_laddrs_print_title/_service/_laddr in its ipvsadm.c): a title line, then
// per service "VIP:VPORT TOTAL" and one line per LIP with its port conflicts and
// connections, every column left-aligned and padded as its printf formats say.
import type { Addr, ServiceKey } from '../model/types.js';
import { addrPortName } from './format-name.js';
import { left } from './format-num.js';

export interface LaddrRow {
  addr: Addr;
  conflicts: bigint;
  conns: number;
}

export interface LaddrService {
  key: ServiceKey;
  laddrs: LaddrRow[];
}

/** "%-20s %-8s %-20s %-10s %-10s\n" */
export function laddrTitle(): string {
  return `${left('VIP:VPORT', 20)} ${left('TOTAL', 8)} ${left('SNAT_IP', 20)} ${left('CONFLICTS', 10)} ${left('CONNS', 10)}\n`;
}

/** One service: "%-20s %-8u \n", then "%-20s %-8s %-20s %-10lu %-10u\n" per LIP. */
export function laddrService(s: LaddrService): string {
  let out = `${left(addrPortName(s.key.addr, s.key.port, s.key.protocol, true), 20)} ${left(s.laddrs.length, 8)} \n`;
  for (const l of s.laddrs) {
    out += `${left('', 20)} ${left('', 8)} ${left(l.addr.ip, 20)} ${left(l.conflicts.toString(), 10)} ${left(l.conns, 10)}\n`;
  }
  return out;
}

/** The title once, then every service (DPVS prints it before the first only). */
export function formatLaddrs(services: readonly LaddrService[]): string {
  if (services.length === 0) return '';
  return laddrTitle() + services.map(laddrService).join('');
}
