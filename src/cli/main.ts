// lvs-xdp entry point: global options, then dispatch to one command file.
// Anything that is not one of lvs-xdp's own words is an ipvsadm command line.
import { readFileSync } from 'node:fs';
import { parseIpvsadm } from '../ipvsadm/parse.js';
import { pinDirFrom, pinPaths } from '../bpf/pins.js';
import { LvsError, UsageError } from '../util/errors.js';
import { runIpvsadm } from './ipvsadm.js';
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

// Each command's module is loaded only when it runs: node compiles every module it
// imports at start-up, and the ipvsadm commands (-R, -Ln) must not pay for the
// monitor's React/Ink, the agent's HTTP server or the lab's namespaces.
const COMMANDS: Record<string, () => Promise<Handler>> = {
  attach: async () => (await import('./attach.js')).attachCommand,
  detach: async () => (await import('./detach.js')).detachCommand,
  status: async () => (await import('./status.js')).statusCommand,
  realserver: async () => {
    const { realserverCommand } = await import('../realserver/command.js');
    return (argv) => realserverCommand(argv);
  },
  lab: async () => {
    const { labCommand } = await import('../lab/command.js');
    return (argv) => labCommand(argv);
  },
  monitor: async () => {
    // React picks its development build when NODE_ENV is unset: it records a User
    // Timing measure per re-render (the hour-long soak's memory growth) and renders
    // at twice the CPU. Set before React is first loaded, by this import.
    process.env.NODE_ENV ??= 'production';
    return (await import('./monitor.js')).monitorCommand;
  },
  agent: async () => (await import('./agent.js')).agentCommand,
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
    const load = rest[0] ? COMMANDS[rest[0]] : undefined;
    if (load) return await (await load())(rest.slice(1), ctx);
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
if (process.argv[1] && /cli[\\/]main\.c?js$/.test(process.argv[1])) {
  // exitCode rather than exit(): pending I/O (neighbour probes, stdout) completes first.
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      const hint = process.execArgv.includes('--enable-source-maps') ? '' : ' (LVS_XDP_DEBUG=1 shows TypeScript positions)';
      process.stderr.write(`${PROG}: internal error${hint}: ${(e as Error).stack ?? e}\n`);
      process.exit(70);
    },
  );
}
