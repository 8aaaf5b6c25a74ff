// Typed errors. Every failure a user can cause is one of these classes, carrying the
// exit status ipvsadm would use, so the CLI prints one line and exits — never a stack.

export class LvsError extends Error {
  /** Process exit status for this failure. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command line: ipvsadm prints the message and exits 2. */
export class UsageError extends LvsError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** ipvsadm's "Try `ipvsadm -h' ..." path, which exits 255. */
export class TryHelpError extends LvsError {
  constructor(message = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.") {
    super(message, 255);
  }
}

/**
 * What the kernel would have refused (ipvs_strerror texts: "Service already exists",
 * "No such service", ...). ipvsadm prints these and its main() returns -1: exit 255.
 */
export class StateError extends LvsError {
  constructor(message: string) {
    super(message, 255);
  }
}

/** A feature ipvsadm has that this build does not implement yet. */
export class UnsupportedError extends LvsError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The data plane could not be reached or driven (libbpf, bpffs, netlink). */
export class DataplaneError extends LvsError {
  constructor(message: string) {
    super(message, 1);
  }
}
