// The agent's files under /run/lvs-xdp, one set per pin directory (named by the same
// hash as the CLI's lock): the pid file `lvs-xdp agent reload` finds the agent by, the
// outcome of the latest reload (so `agent reload` can report it), and the services the
// agent owns (so a restarted agent still deletes a service dropped from the config).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { LvsError } from '../util/errors.js';
import type { ServiceKey } from '../model/types.js';

export const RUN_DIR = '/run/lvs-xdp';

export class AgentRunningError extends LvsError {
  constructor(pid: number, pinDir: string) {
    super(`agent: another agent (pid ${pid}) already runs for the data plane in ${pinDir}`, 1);
  }
}

export class NoAgentError extends LvsError {
  constructor(pinDir: string, path: string) {
    super(`agent reload: no agent is running for the data plane in ${pinDir} (no live pid in ${path})`, 1);
  }
}

const hash = (pinDir: string): string => createHash('sha1').update(pinDir).digest('hex').slice(0, 16);

export interface AgentFiles {
  pid: string;
  reload: string;
  owned: string;
}

export function agentFiles(pinDir: string, runDir = RUN_DIR): AgentFiles {
  const base = join(runDir, `agent-${hash(pinDir)}`);
  return { pid: `${base}.pid`, reload: `${base}.reload.json`, owned: `${base}.owned.json` };
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Alive, and an lvs-xdp agent (pids are reused after a kill -9). */
export function isAgentProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('agent');
  } catch {
    return false;
  }
}

/** The pid of the agent running for pinDir, if one runs. */
export function runningAgent(files: AgentFiles): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(files.pid, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 1 && pid !== process.pid && isAgentProcess(pid) ? pid : undefined;
}

/** Writes our pid; refuses when another agent runs for the same data plane (a stale file is taken over). */
export function claimPidFile(files: AgentFiles, pinDir: string): void {
  const other = runningAgent(files);
  if (other !== undefined) throw new AgentRunningError(other, pinDir);
  writeAtomic(files.pid, `${process.pid}\n`);
}

/** At exit: our pid file, and our reload outcome (only `agent reload` of a live agent reads it). */
export function releasePidFile(files: AgentFiles): void {
  try {
    if (Number(readFileSync(files.pid, 'utf8').trim()) === process.pid) rmSync(files.pid, { force: true });
  } catch {
    /* gone already */
  }
  if (readReloadStatus(files)?.pid === process.pid) rmSync(files.reload, { force: true });
}

export interface ReloadStatus {
  pid: number;
  /** Counts reload attempts of this agent process. */
  seq: number;
  ok: boolean;
  message: string;
}

export function writeReloadStatus(files: AgentFiles, s: ReloadStatus): void {
  writeAtomic(files.reload, JSON.stringify(s) + '\n');
}

export function readReloadStatus(files: AgentFiles): ReloadStatus | undefined {
  try {
    return JSON.parse(readFileSync(files.reload, 'utf8')) as ReloadStatus;
  } catch {
    return undefined;
  }
}

/**
 * `dataplane` names the data plane the list belongs to (the agent uses the inode of the
 * pinned lb_meta): a list written for maps since removed and made again is not used, so a
 * stale list never makes the agent delete a service someone made by hand.
 */
export function writeOwned(files: AgentFiles, keys: readonly ServiceKey[], dataplane: string): void {
  writeAtomic(files.owned, JSON.stringify({ dataplane, keys }) + '\n');
}

export function readOwned(files: AgentFiles, dataplane: string): ServiceKey[] {
  try {
    const v = JSON.parse(readFileSync(files.owned, 'utf8')) as { dataplane?: unknown; keys?: unknown };
    return v.dataplane === dataplane && Array.isArray(v.keys) ? (v.keys as ServiceKey[]) : [];
  } catch {
    return [];
  }
}

/** Removes the agent's files (tests, or after `detach --purge`). */
export function removeAgentFiles(files: AgentFiles): void {
  for (const f of [files.pid, files.reload, files.owned]) rmSync(f, { force: true });
}
