// What table schedulers see of a destination, and their common error.
import { LvsError } from '../util/errors.js';
import type { Addr } from '../model/types.js';

export interface TableEntry {
  id: number;
  weight: number;
  /** IPVS dest->last_weight: the latest non-zero weight (mh builds from it). */
  lastWeight?: number;
  /** The real's address and port (mh's permutation hashes them). */
  addr?: Addr;
  port?: number;
}

export class TableTooLargeError extends LvsError {
  constructor(len: number, max: number) {
    super(`weights need a scheduling table of ${len} slots, more than ${max}: use weights with a larger common divisor`, 1);
  }
}
