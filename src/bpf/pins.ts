// Where the running data plane lives: a pin directory on bpffs holding the maps,
// the program and one XDP link per interface. Several directors (namespaces in
// the lab) run side by side, each with its own directory.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DataplaneError } from '../util/errors.js';

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/lvs-xdp';

/** The maps that hold the running configuration and state (pinned, kept across upgrades). */
export const PINNED_MAPS = [
  'lb_services', 'lb_svc_state', 'lb_reals', 'lb_slots', 'lb_conns', 'lb_nexthops',
  'lb_svc_stats', 'lb_real_stats', 'lb_stats', 'lb_meta', 'lb_real_conns',
  // connection expiry (bpf/include/gc.h): the timer's map must stay pinned for the timer to live
  'lb_gc', 'lb_gc_timer', 'lb_gc_real',
  // forwarding methods (issue #3): reply switch, FULLNAT local addresses and their counters
  'lb_fwd_conf', 'lb_laddrs', 'lb_laddr_stats',
  // schedulers (bpf/include/sched.h): destination lists, overload flags, lblc/lblcr caches
  'lb_svc_dests', 'lb_real_load', 'lb_lblc',
  // rates (issue #5): the agent's estimator results, read by -Ln --rate (src/agent/rates.ts)
  'lb_rates',
  // the ICMP limits the sysctls gave at the last load (src/net/icmp-limits.ts), for `status`
  'lb_icmp_conf',
] as const;
export type PinnedMap = (typeof PINNED_MAPS)[number];

export interface PinPaths {
  dir: string;
  maps: string;
  links: string;
  prog: string;
}

export function pinPaths(dir: string): PinPaths {
  const d = resolve(dir);
  return { dir: d, maps: join(d, 'maps'), links: join(d, 'links'), prog: join(d, 'prog') };
}

/** --pin-dir, else LVS_XDP_PIN_DIR, else the default. */
export function pinDirFrom(flag: string | undefined, env = process.env): string {
  return flag ?? env.LVS_XDP_PIN_DIR ?? DEFAULT_PIN_DIR;
}

function isBpffs(path: string): boolean {
  // /proc/self/mounts: "bpf /sys/fs/bpf bpf rw,... 0 0"
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  let best = '';
  let fstype = '';
  for (const line of mounts) {
    const [, mnt, type] = line.split(' ');
    if (!mnt || !type) continue;
    if ((path === mnt || path.startsWith(mnt.endsWith('/') ? mnt : mnt + '/')) && mnt.length > best.length) {
      best = mnt;
      fstype = type;
    }
  }
  return fstype === 'bpf';
}

/** Makes sure the pin directory exists on a bpffs, mounting /sys/fs/bpf if needed. */
export function ensurePinDir(p: PinPaths): void {
  if (!isBpffs(p.dir)) {
    if (p.dir.startsWith('/sys/fs/bpf') && !isBpffs('/sys/fs/bpf')) {
      try {
        execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf'], { stdio: 'pipe' });
      } catch (e) {
        throw new DataplaneError(`cannot mount bpffs on /sys/fs/bpf: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (!isBpffs(p.dir)) {
      throw new DataplaneError(`pin directory ${p.dir} is not on a bpf filesystem (mount -t bpf bpf DIR)`);
    }
  }
  for (const d of [p.dir, p.maps, p.links]) mkdirSync(d, { recursive: true });
}

export function isAttachedSomewhere(p: PinPaths): boolean {
  return existsSync(p.links) && readdirSync(p.links).length > 0;
}

export function dataplaneExists(p: PinPaths): boolean {
  return existsSync(join(p.maps, 'lb_services'));
}
