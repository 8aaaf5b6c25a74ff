// Side effects of the real-server helper: read the current sysctls/addresses/state file,
// ask plan.ts what to do, do it. Works in the caller's network namespace or, with
// `netns`, inside a named one (through nsenter, so the lab can configure its servers).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LvsError } from '../util/errors.js';
import { repoRoot } from '../util/paths.js';
import { decapDown, decapUp } from './decap.js';
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
  if (opts.vips.length === 0) throw new LvsError('realserver up needs at least one --vip', 2);
  const vips = opts.vips.map(parseVip); // validate all before touching anything
  if (opts.mode === 'tun' && opts.netns !== undefined) return tunInNetns(opts, opts.netns);
  const t = target(opts);
  const actions = apply(t, planUp(vips, readCurrent(t)));
  if (opts.mode === 'tun') {
    // TUN: the same VIP on lo and ARP settings, plus the decapsulating XDP program
    const r = decapUp(netnsKey(opts.netns), vips);
    for (const i of r.ifaces) t.log(`decap: ${r.pinDir} attached to ${i.ifname} (${i.mode} XDP)`);
    if (r.ifaces.length === 0) t.log('decap: no interface up to attach to');
  }
  return actions;
}

/**
 * A BPF link is made for an interface of the calling process's namespace, so TUN
 * set-up inside a named namespace runs this command again in there (nsenter).
 */
function tunInNetns(opts: RealserverUpOptions, ns: string): RealserverAction[] {
  const args = ['realserver', 'up', ...opts.vips.flatMap((v) => ['--vip', v]), '--mode', 'tun'];
  if (opts.stateDir) args.push('--state-dir', opts.stateDir);
  const r = inNetns(ns, join(repoRoot(), 'bin', 'lvs-xdp'), args, { timeoutMs: 30_000, allowFailure: true });
  for (const line of r.stdout.split('\n').filter((l) => l !== '')) (opts.log ?? (() => {}))(line.replace(/^realserver: /, ''));
  if (r.status !== 0) throw new LvsError(`realserver up --mode tun in ${ns}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return [{ kind: 'note', message: `tun set up in ${ns}` }];
}

export function realserverDown(opts: RealserverDownOptions = {}): RealserverAction[] {
  const vips = opts.vips?.map(parseVip);
  const t = target(opts);
  // The decap program (TUN) goes whatever the mode said: its pins name the namespace.
  for (const i of decapDown(netnsKey(opts.netns))) t.log(`decap: detached from ${i}`);
  return apply(t, planDown(vips, readCurrent(t)));
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
