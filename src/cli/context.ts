// What every command gets: where the data plane is, and where to write.
import type { PinPaths } from '../bpf/pins.js';

export interface CliContext {
  pins: PinPaths;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Reads all of standard input (for -R). */
  readStdin: () => string;
  /** The name to print in messages: lvs-xdp. */
  prog: string;
}
