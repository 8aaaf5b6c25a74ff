// What table schedulers see of a destination, and their common error.
import { LvsError } from '../util/errors.js';

export interface TableEntry {
  id: number;
  weight: number;
}

export class TableTooLargeError extends LvsError {
  constructor(len: number, max: number) {
    super(`weights need a scheduling table of ${len} slots, more than ${max}: use weights with a larger common divisor`, 1);
  }
}
