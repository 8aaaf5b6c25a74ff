// Turns a command's typed failure into what ipvsadm does: one line on stderr and
// the failure's exit status. Anything untyped is a bug and propagates.
import { LvsError } from './errors.js';

export async function exitStatusOf(run: () => number | Promise<number>, err = (l: string) => void process.stderr.write(l + '\n')): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof LvsError) {
      err(e.message);
      return e.exitCode;
    }
    throw e;
  }
}
