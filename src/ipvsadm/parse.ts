// ipvsadm 1.31's command line, parsed the way its popt-based parse_options() and
// process_options() do: the first option must be the command, every later option is
// checked as it is met, then leftovers, scheduler flags, the command/option matrix,
// and the per-command rules — so the first error printed is the one ipvsadm prints.
import type { SchedFlag } from '../model/types.js';
import type { Command, ListOptions } from './command.js';
import type { CmdName } from './options.js';
import { OPTION_TABLE, checkCommandOptions } from './options.js';
import { PoptContext, PoptError } from './popt.js';
import { applyOption, newDraft, parseTimeoutArg } from './parse-apply.js';
import { buildCommand } from './parse-build.js';
import { LvsError, StateError, TryHelpError, UnsupportedError, UsageError } from '../util/errors.js';

/** Options that select the command; only the first option may be one. */
const COMMAND_TAGS: Readonly<Record<string, CmdName>> = {
  A: 'add-service', E: 'edit-service', D: 'delete-service', C: 'flush', L: 'list',
  Z: 'zero', a: 'add-server', e: 'edit-server', d: 'delete-server', set: 'set',
  R: 'restore', S: 'save', 'start-daemon': 'start-daemon', 'stop-daemon': 'stop-daemon',
  // FULLNAT local addresses (DPVS/Alibaba ipvsadm; issue #3)
  P: 'add-laddr', Q: 'del-laddr', G: 'get-laddr',
};

export function defaultListOptions(): ListOptions {
  return {
    numeric: false, connections: false, timeout: false, daemon: false, stats: false, rate: false,
    thresholds: false, persistentConn: false, tunInfo: false, exact: false, nosort: false, json: false,
  };
}

/** Parses an ipvsadm argv (without the program name). Throws LvsError subclasses. */
export function parseIpvsadm(argv: string[]): Command {
  return parseArgv(argv, false);
}

function parseArgv(argv: readonly string[], readingStdin: boolean): Command {
  // ipvsadm with no arguments lists the table.
  if (argv.length === 0) return { kind: 'list', options: defaultListOptions() };
  const ctx = new PoptContext(argv, OPTION_TABLE);

  const first = ctx.nextOpt();
  if (first === null || first instanceof PoptError) throw new TryHelpError();
  if (first.tag === 'h') return { kind: 'help' };
  if (first.tag === 'v') return { kind: 'version' };
  const cmd = COMMAND_TAGS[first.tag];
  if (cmd === undefined) throw new TryHelpError();

  const d = newDraft(cmd);
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') {
    const state = first.arg ?? '';
    if (state !== 'master' && state !== 'backup') {
      throw new UsageError(cmd === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');
    }
    d.daemonState = state;
  }

  for (;;) {
    const o = ctx.nextOpt();
    if (o === null) break;
    if (o instanceof PoptError) throw o;
    applyOption(d, o);
  }

  const leftovers = [...ctx.leftovers];
  let timeouts: [number, number, number] | undefined;
  if (cmd === 'set') {
    if (leftovers.length < 3) throw new UsageError('--set option requires 3 timeout values');
    const [a, b, c] = leftovers.splice(0, 3) as [string, string, string];
    timeouts = [parseTimeoutArg(a), parseTimeoutArg(b), parseTimeoutArg(c)];
  }
  if (leftovers.length > 0) throw new UsageError(`unexpected argument ${leftovers[0]!}`);

  const schedFlags = parseSchedFlags(d.scheduler, d.schedFlagsArg);
  checkCommandOptions(cmd, d.opts);
  // -R inside a restore stream would read stdin forever; ipvsadm refuses it.
  if (cmd === 'restore' && readingStdin) throw new TryHelpError();
  return buildCommand(d, schedFlags, timeouts);
}

const FLAG_ORDER: readonly SchedFlag[] = ['flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'];

/** parse_sched_flags(): a comma list, each flag checked against the scheduler named so far. */
function parseSchedFlags(scheduler: string, arg: string): SchedFlag[] {
  if (arg === '') return [];
  const sched = scheduler === '' ? 'wlc' : scheduler;
  const tokens = arg.split(',').filter((t) => t !== '');
  if (tokens.length === 0) throw new UsageError(`invalid scheduler flag \`${arg}'`);
  const seen = new Set<SchedFlag>();
  for (const t of tokens) {
    const f = FLAG_ORDER.find((x) => x === t);
    if (f === undefined) throw new UsageError(`invalid scheduler flag \`${t}'`);
    const needs = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : undefined;
    if (needs !== undefined && sched !== needs) throw new UsageError(`incompatible scheduler flag \`${t}'`);
    seen.add(f);
  }
  return FLAG_ORDER.filter((f) => seen.has(f));
}

/**
 * One line of `ipvsadm -R` input (config_stream.c): white-space separated words,
 * "ipvsadm" words skipped, everything from '#' on ignored. Blank lines give null.
 * Errors keep their class and exit status, with "line N: " in front of the message.
 */
export function parseRestoreLine(line: string, lineNo: number): Command | null {
  const hash = line.indexOf('#');
  const text = hash >= 0 ? line.slice(0, hash) : line;
  const words = text.split(/[ \t\r\n]+/).filter((w) => w !== '' && w !== 'ipvsadm');
  if (words.length === 0) return null;
  try {
    return parseArgv(words, true);
  } catch (e) {
    throw withLine(e, lineNo);
  }
}

function withLine(e: unknown, lineNo: number): unknown {
  if (!(e instanceof LvsError)) return e;
  const msg = `line ${lineNo}: ${e.message}`;
  if (e instanceof TryHelpError) return new TryHelpError(msg);
  if (e instanceof UsageError) return new UsageError(msg);
  if (e instanceof UnsupportedError) return new UnsupportedError(msg);
  if (e instanceof StateError) return new StateError(msg);
  if (e instanceof PoptError) return new PoptError(msg);
  return new LvsError(msg, e.exitCode);
}
