// Map operations a plan consists of, in the order they must be applied so that
// no packet meets a half-written configuration: reals first, then the table's
// idle generation, then the service entry that switches to it, removals last.
import type { RealEntry, SvcEntry } from './state.js';

export type Op =
  | { op: 'put-real'; real: RealEntry }
  | { op: 'del-real'; id: number }
  /** Writes a whole generation of a service's table (apply writes only changed slots). */
  | { op: 'put-slots'; svcId: number; gen: number; slots: number[] }
  | { op: 'del-slots'; svcId: number }
  | { op: 'put-service'; svc: SvcEntry }
  | { op: 'del-service'; svc: SvcEntry }
  | { op: 'reset-cursor'; svcId: number }
  | { op: 'zero-svc-stats'; svcId: number }
  | { op: 'zero-real-stats'; id: number }
  | { op: 'set-timeouts'; tcp: number; tcpfin: number; udp: number };
