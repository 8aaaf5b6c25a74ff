// CLI entry of `lvs-xdp realserver …`; src/cli/ dispatches here.
import { exitStatusOf } from '../util/report.js';
import { realserverDown, realserverUp } from './apply.js';
import { parseRealserverArgs, REALSERVER_USAGE } from './args.js';
import { parseVip } from './plan.js';

/** Runs the command; returns the exit status. Typed errors become one line on stderr. */
export async function realserverCommand(argv: string[]): Promise<number> {
  return exitStatusOf(async () => {
    const args = parseRealserverArgs(argv);
    if (args.action === 'help') {
      process.stdout.write(REALSERVER_USAGE + '\n');
      return 0;
    }
    args.vips.forEach(parseVip); // every VIP is checked before anything changes
    const log = (line: string): void => void process.stdout.write(`realserver: ${line}\n`);
    const common = { mode: args.mode, netns: args.netns, stateDir: args.stateDir, log };
    if (args.action === 'up') realserverUp({ ...common, vips: args.vips });
    else realserverDown({ ...common, vips: args.vips.length ? args.vips : undefined });
    return 0;
  });
}
