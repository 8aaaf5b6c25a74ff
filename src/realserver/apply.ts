// Side effects of the real-server helper: read the current sysctls/addresses/state file,
// ask plan.ts what to do, do it. Works in the caller's network namespace or, with
// `netns`, inside a named one (through nsenter, so the lab can configure its servers).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { LvsError, UnsupportedError } from '../util/errors.js';
import { inNetns, netnsPath, run, type RunResult } from '../util/exec.js';
import {
  ARP_SYSCTLS,
  parseVip,
  planDown,
  planUp,
  prefixLen,
  type CurrentState,
  type RealserverAction,
  type RealserverMode,
  type RealserverState,
} from './plan.js';

export const DEFAULT_STATE_DIR = '/run/lvs-xdp';

export interface RealserverTarget {
  /** Named network namespace (/run/netns/NAME); the caller's own when absent. */
  netns?: string;
  /** Where state files live (default /run/lvs-xdp). */
  stateDir?: string;
  /** Progress lines (each action as it is applied). */
  log?: (line: string) => void;
}

export interface RealserverUpOptions extends RealserverTarget {
  vips: string[];
  mode?: RealserverMode;
}

export interface RealserverDownOptions extends RealserverTarget {
  /** VIPs to remove; all that `up` added when absent. */
  vips?: string[];
  mode?: RealserverMode;
}

export function realserverUp(opts: RealserverUpOptions): RealserverAction[] {
  checkMode(opts.mode);
  if (opts.vips.length === 0) throw new LvsError('realserver up needs at least one --vip', 2);
  const vips = opts.vips.map(parseVip); // validate all before touching anything
  const t = target(opts);
  return apply(t, planUp(vips, readCurrent(t)));
}

export function realserverDown(opts: RealserverDownOptions = {}): RealserverAction[] {
  checkMode(opts.mode);
  const vips = opts.vips?.map(parseVip);
  const t = target(opts);
  return apply(t, planDown(vips, readCurrent(t)));
}

function checkMode(mode: RealserverMode | undefined): void {
  if (mode === 'tun') throw new UnsupportedError('realserver --mode tun needs the decap program (not built yet)');
}

interface Target {
  exec: (cmd: string, args: string[]) => RunResult;
  statePath: string;
  log: (line: string) => void;
}

function target(opts: RealserverTarget): Target {
  const ns = opts.netns;
  const exec = ns === undefined ? (c: string, a: string[]) => run(c, a) : (c: string, a: string[]) => inNetns(ns, c, a);
  return {
    exec,
    statePath: `${opts.stateDir ?? DEFAULT_STATE_DIR}/realserver-${netnsKey(ns)}.json`,
    log: opts.log ?? (() => {}),
  };
}

/**
 * State files are keyed by the network namespace's inode so that real servers in several
 * namespaces of one machine keep separate records; the init namespace is "default".
 */
export function netnsKey(netns?: string): string {
  const path = netns === undefined ? '/proc/self/ns/net' : netnsPath(netns);
  let ino: number;
  try {
    ino = statSync(path).ino;
  } catch {
    throw new LvsError(`network namespace ${netns ?? '(self)'} not found`);
  }
  try {
    if (statSync('/proc/1/ns/net').ino === ino) return 'default';
  } catch {
    // not allowed to look at pid 1: the inode alone is still a unique key
  }
  return String(ino);
}

function readCurrent(t: Target): CurrentState {
  const keys = Object.keys(ARP_SYSCTLS);
  const values = t.exec('sysctl', ['-n', ...keys]).stdout.trim().split('\n');
  const sysctls: Record<string, string> = {};
  keys.forEach((k, i) => (sysctls[k] = (values[i] ?? '').trim()));
  const cur: CurrentState = { sysctls, ...loState(t) };
  const state = readState(t.statePath);
  if (state) cur.state = state;
  return cur;
}

function loState(t: Target): { loAddrs: string[]; loUp: boolean } {
  const out = t.exec('ip', ['-j', 'addr', 'show', 'dev', 'lo']).stdout;
  const links = JSON.parse(out || '[]') as Array<{ flags?: string[]; addr_info?: Array<{ local?: string }> }>;
  return {
    loAddrs: links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')).filter((a) => a !== ''),
    loUp: links.some((l) => (l.flags ?? []).includes('UP')),
  };
}

function readState(path: string): RealserverState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as RealserverState;
    if (s.version !== 1 || !Array.isArray(s.vips)) throw new Error('bad shape');
    return s;
  } catch {
    throw new LvsError(`corrupt real-server state file: ${path}`);
  }
}

function apply(t: Target, actions: RealserverAction[]): RealserverAction[] {
  for (const a of actions) {
    switch (a.kind) {
      case 'sysctl':
        t.exec('sysctl', ['-q', '-w', `${a.key}=${a.value}`]);
        t.log(`sysctl ${a.key}=${a.value}`);
        break;
      case 'addr-add':
      case 'addr-del': {
        const verb = a.kind === 'addr-add' ? 'add' : 'del';
        const fam = a.vip.family === 4 ? '-4' : '-6';
        t.exec('ip', [fam, 'addr', verb, `${a.vip.addr}/${prefixLen(a.vip)}`, 'dev', a.dev]);
        t.log(`ip addr ${verb} ${a.vip.addr}/${prefixLen(a.vip)} dev ${a.dev}`);
        break;
      }
      case 'write-state': {
        // Write then rename: a crash never leaves a half-written record of saved values.
        mkdirSync(t.statePath.slice(0, t.statePath.lastIndexOf('/')), { recursive: true });
        writeFileSync(`${t.statePath}.tmp`, JSON.stringify(a.state, null, 2) + '\n');
        renameSync(`${t.statePath}.tmp`, t.statePath);
        break;
      }
      case 'remove-state':
        rmSync(t.statePath, { force: true });
        break;
      case 'note':
        t.log(a.message);
        break;
    }
  }
  return actions;
}
