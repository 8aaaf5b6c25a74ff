// What `lvs-xdp realserver up|down` must change on a DR real server (pure).
//
// DR leaves the destination IP as the VIP, so each real server must own the VIP (on lo)
// without ever claiming it on the wire — otherwise it answers the clients' ARP for the VIP
// and steals the traffic from the director. Hence (the seeds' recipe):
//   arp_ignore=1   answer ARP only for addresses of the receiving interface (not lo's VIP)
//   arp_announce=2 never use the VIP as source of our own ARP requests
// Both are applied as max(all, dev), so `all` is what matters; `lo` is set as the seeds do.
// IPv6 needs no such switch: neighbour discovery only answers for addresses configured on
// the interface the solicitation arrived on, so a VIP on lo stays silent.
import { isIP } from 'node:net';
import { UsageError } from '../util/errors.js';

export type RealserverMode = 'dr' | 'tun';

export const ARP_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.lo.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.lo.arp_announce': '2',
};

export interface Vip {
  /** Canonical text form (IPv6 compressed, lower case), as `ip -j addr` prints it. */
  addr: string;
  family: 4 | 6;
}

/** What the helper remembers between `up` and `down` (the state file). */
export interface RealserverState {
  version: 1;
  /** ARP sysctls as they were before the first `up` that needed them. */
  savedSysctls?: Record<string, string>;
  /** VIPs this helper put on lo; `down` removes only these unless told otherwise. */
  vips: string[];
}

export interface CurrentState {
  /** Current values of the ARP_SYSCTLS keys. */
  sysctls: Record<string, string>;
  /** Canonical addresses currently on lo. */
  loAddrs: string[];
  /** Whether lo is up; false only in a fresh namespace nobody set up (undefined: unknown). */
  loUp?: boolean;
  /** The state file, if one exists. */
  state?: RealserverState;
}

export type RealserverAction =
  | { kind: 'sysctl'; key: string; value: string }
  | { kind: 'addr-add'; dev: 'lo'; vip: Vip }
  | { kind: 'addr-del'; dev: 'lo'; vip: Vip }
  | { kind: 'write-state'; state: RealserverState }
  | { kind: 'remove-state' }
  | { kind: 'note'; message: string };

/** Parse a VIP as given on the command line; `illegal VIP address: X` otherwise. */
export function parseVip(text: string): Vip {
  const family = isIP(text);
  if (family === 4) {
    if (text === '0.0.0.0') throw new UsageError(`illegal VIP address: ${text}`);
    return { addr: text, family: 4 };
  }
  if (family === 6) {
    // The URL parser prints IPv6 in the RFC 5952 form that iproute2 also uses.
    const addr = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    if (addr === '::') throw new UsageError(`illegal VIP address: ${text}`);
    return { addr, family: 6 };
  }
  throw new UsageError(`illegal VIP address: ${text}`);
}

export function vipFromCanonical(addr: string): Vip {
  return { addr, family: addr.includes(':') ? 6 : 4 };
}

export function prefixLen(vip: Vip): number {
  return vip.family === 4 ? 32 : 128;
}

const uniq = (xs: string[]): string[] => [...new Set(xs)];

/**
 * Steps of `up`. Order matters: the state file first (so a crash midway can still be
 * undone), ARP switches before the VIP appears on lo (so it is never announced).
 */
export function planUp(vips: Vip[], cur: CurrentState): RealserverAction[] {
  const actions: RealserverAction[] = [];
  const prev: RealserverState = cur.state ?? { version: 1, vips: [] };
  const toAdd = dedupe(vips).filter((v) => !cur.loAddrs.includes(v.addr));
  for (const v of dedupe(vips)) {
    if (cur.loAddrs.includes(v.addr) && !prev.vips.includes(v.addr)) {
      actions.push({ kind: 'note', message: `${v.addr} already on lo; left in place by down` });
    }
  }
  if (cur.loUp === false) {
    // Not ours to change (down could not tell whether to undo it); say why traffic fails.
    actions.push({ kind: 'note', message: 'lo is down: the VIPs answer nothing until `ip link set lo up`' });
  }
  const needArp = vips.some((v) => v.family === 4);
  const next: RealserverState = {
    version: 1,
    vips: uniq([...prev.vips, ...toAdd.map((v) => v.addr)]),
  };
  // Keep the values from before the FIRST up: a second up would otherwise save ours.
  const saved = prev.savedSysctls ?? (needArp ? pick(cur.sysctls) : undefined);
  if (saved) next.savedSysctls = saved;

  if (!sameState(cur.state, next)) actions.push({ kind: 'write-state', state: next });
  if (needArp) {
    for (const [key, value] of Object.entries(ARP_SYSCTLS)) {
      if (cur.sysctls[key] !== value) actions.push({ kind: 'sysctl', key, value });
    }
  }
  for (const vip of toAdd) actions.push({ kind: 'addr-add', dev: 'lo', vip });
  return actions;
}

/**
 * Steps of `down`: remove the VIPs (those given, or all this helper added), then put the
 * ARP sysctls back once no IPv4 VIP of ours is left. Missing pieces are not errors.
 */
export function planDown(vips: Vip[] | undefined, cur: CurrentState): RealserverAction[] {
  const actions: RealserverAction[] = [];
  const state = cur.state;
  if (!state && !vips?.length) return [{ kind: 'note', message: 'nothing to undo (no saved real-server state)' }];

  const targets = vips?.length ? dedupe(vips) : (state?.vips ?? []).map(vipFromCanonical);
  for (const vip of targets) {
    if (cur.loAddrs.includes(vip.addr)) actions.push({ kind: 'addr-del', dev: 'lo', vip });
    else actions.push({ kind: 'note', message: `${vip.addr} is not on lo` });
  }
  if (!state) {
    actions.push({ kind: 'note', message: 'no saved real-server state: ARP sysctls left as they are' });
    return actions;
  }

  const removed = new Set(targets.map((v) => v.addr));
  const remaining = state.vips.filter((a) => !removed.has(a));
  const next: RealserverState = { version: 1, vips: remaining };
  const stillNeedArp = remaining.some((a) => vipFromCanonical(a).family === 4);
  if (state.savedSysctls && stillNeedArp) next.savedSysctls = state.savedSysctls;
  if (state.savedSysctls && !stillNeedArp) {
    for (const [key, value] of Object.entries(state.savedSysctls)) {
      if (cur.sysctls[key] !== value) actions.push({ kind: 'sysctl', key, value });
    }
  }
  if (next.vips.length === 0 && !next.savedSysctls) actions.push({ kind: 'remove-state' });
  else if (!sameState(state, next)) actions.push({ kind: 'write-state', state: next });
  return actions;
}

function dedupe(vips: Vip[]): Vip[] {
  const seen = new Set<string>();
  return vips.filter((v) => (seen.has(v.addr) ? false : (seen.add(v.addr), true)));
}

function pick(sysctls: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(ARP_SYSCTLS)) {
    const v = sysctls[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function sameState(a: RealserverState | undefined, b: RealserverState): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
