// Map operations a plan consists of, in the order they must be applied so that
// no packet meets a half-written configuration: reals first, then the table's
// idle generation, then the service entry that switches to it, removals last.
import type { RealEntry, SvcEntry } from './state.js';
import type { Addr } from '../model/types.js';

export type Op =
  | { op: 'put-real'; real: RealEntry }
  | { op: 'del-real'; id: number }
  /** Writes a whole generation of a service's table (apply writes only changed slots). */
  | { op: 'put-slots'; svcId: number; gen: number; slots: number[] }
  | { op: 'del-slots'; svcId: number }
  /** The service's destinations in list order, with their last weights, for one generation. */
  | { op: 'put-dests'; svcId: number; gen: number; ids: number[]; lastWeights: number[] }
  | { op: 'put-service'; svc: SvcEntry }
  /** FULLNAT local addresses of a service, in order (issue #3); [] clears them. */
  | { op: 'put-laddrs'; svcId: number; addrs: Addr[] }
  | { op: 'del-service'; svc: SvcEntry }
  | { op: 'reset-cursor'; svcId: number }
  | { op: 'zero-svc-stats'; svcId: number }
  | { op: 'zero-real-stats'; id: number }
  /** ActiveConn/InActConn/PersistConn of a destination id given to a new real (not -Z). */
  | { op: 'zero-real-conns'; id: number }
  | { op: 'set-timeouts'; tcp: number; tcpfin: number; udp: number }
  /** lb_meta.next_seq: raised past every seq handed out, never lowered. */
  | { op: 'set-next-seq'; value: number };
