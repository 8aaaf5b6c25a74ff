// What an ipvsadm command line means, independent of how it is carried out.
// The parser (parse.ts) produces these; cli/ executes them against the data plane.
import type { Addr, RealKey, Real, Service, ServiceKey } from '../model/types.js';

export interface ListOptions {
  numeric: boolean;      // -n
  connections: boolean;  // -c
  timeout: boolean;      // --timeout
  daemon: boolean;       // --daemon
  stats: boolean;        // --stats
  rate: boolean;         // --rate
  thresholds: boolean;   // --thresholds
  persistentConn: boolean; // --persistent-conn
  tunInfo: boolean;      // --tun-info
  exact: boolean;        // --exact
  nosort: boolean;       // --nosort
  json: boolean;         // --json / -o json (lvs-xdp addition)
}

export type Command =
  | { kind: 'add-service'; service: Service }
  | { kind: 'edit-service'; service: Service }
  | { kind: 'delete-service'; key: ServiceKey }
  | { kind: 'clear' }
  | { kind: 'restore' }
  | { kind: 'save'; numeric: boolean }
  | { kind: 'add-real'; key: ServiceKey; real: Real }
  | { kind: 'edit-real'; key: ServiceKey; real: Real }
  | { kind: 'delete-real'; key: ServiceKey; real: RealKey }
  | { kind: 'list'; key?: ServiceKey; options: ListOptions }
  | { kind: 'zero'; key?: ServiceKey }
  | { kind: 'set-timeout'; tcp: number; tcpfin: number; udp: number }
  | { kind: 'start-daemon'; state: 'master' | 'backup'; options: Record<string, string | number> }
  | { kind: 'stop-daemon'; state: 'master' | 'backup' }
  | { kind: 'help' }
  /** FULLNAT local addresses: -P / -Q … -z LIP, -G [service] (DPVS/Alibaba ipvsadm; issue #3). */
  | { kind: 'add-laddr'; key: ServiceKey; laddr: Addr }
  | { kind: 'delete-laddr'; key: ServiceKey; laddr: Addr }
  | { kind: 'list-laddrs'; key?: ServiceKey }
  | { kind: 'version' };
