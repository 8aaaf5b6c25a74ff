// lvs-xdp entry point: global options, then dispatch to one command file.
// Anything that is not one of lvs-xdp's own words is an ipvsadm command line.
import { readFileSync } from 'node:fs';
import { parseIpvsadm } from '../ipvsadm/parse.js';
import { pinDirFrom, pinPaths } from '../bpf/pins.js';
import { LvsError, UsageError } from '../util/errors.js';
import { attachCommand } from './attach.js';
import { detachCommand } from './detach.js';
import { statusCommand } from './status.js';
import { agentCommand } from './agent.js';
import { runIpvsadm } from './ipvsadm.js';
import { realserverCommand } from '../realserver/command.js';
import { labCommand } from '../lab/command.js';
import { monitorCommand } from './monitor.js';
import type { CliContext } from './context.js';

const PROG = 'lvs-xdp';

/** Takes --pin-dir DIR / --pin-dir=DIR from anywhere in argv. */
export function splitGlobal(argv: string[]): { pinDir?: string; rest: string[] } {
  const rest: string[] = [];
  let pinDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--pin-dir') {
      pinDir = argv[++i];
      if (!pinDir) throw new UsageError('--pin-dir needs a directory');
    } else if (a.startsWith('--pin-dir=')) {
      pinDir = a.slice('--pin-dir='.length);
    } else {
      rest.push(a);
    }
  }
  return { pinDir, rest };
}

type Handler = (argv: string[], ctx: CliContext) => number | Promise<number>;

const COMMANDS: Record<string, Handler> = {
  attach: attachCommand,
  detach: detachCommand,
  status: statusCommand,
  realserver: (argv) => realserverCommand(argv),
  lab: (argv) => labCommand(argv),
  monitor: monitorCommand,
  agent: agentCommand,
};

export async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = {
    pins: pinPaths(pinDirFrom(undefined)),
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    readStdin: () => readFileSync(0, 'utf8'),
    prog: PROG,
  };
  try {
    const { pinDir, rest } = splitGlobal(argv);
    ctx.pins = pinPaths(pinDirFrom(pinDir));
    const handler = rest[0] ? COMMANDS[rest[0]] : undefined;
    if (handler) return await handler(rest.slice(1), ctx);
    return runIpvsadm(parseIpvsadm(rest), ctx);
  } catch (e) {
    if (e instanceof LvsError) {
      ctx.err(e.message);
      return e.exitCode;
    }
    throw e;
  }
}

// Run when executed as the program (bin/lvs-xdp), not when imported by tests.
if (process.argv[1] && /cli[\\/]main\.js$/.test(process.argv[1])) {
  // exitCode rather than exit(): pending I/O (neighbour probes, stdout) completes first.
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${PROG}: internal error: ${(e as Error).stack ?? e}\n`);
      process.exit(70);
    },
  );
}
