// TUN real servers: loads bpf/decap.bpf.c, attaches it (XDP, native then generic)
// to the host's interfaces and tells it the VIPs and the host's own addresses.
// Runs in the caller's network namespace (apply.ts re-executes the CLI inside a
// named one: a BPF link is made for an interface of the current namespace).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { check, checkPtr, libbpf } from '../bpf/ffi/libbpf.js';
import { BpfMap } from '../bpf/map.js';
import { attachXdp, detachXdp } from '../bpf/link.js';
import { ensurePinDir, pinPaths, type PinPaths } from '../bpf/pins.js';
import { ipv6Bytes } from '../bpf/addr.js';
import { repoRoot } from '../util/paths.js';
import { run } from '../util/exec.js';
import type { Vip } from './plan.js';

export const DECAP_MAPS = ['decap_vips', 'decap_locals', 'decap_stats'] as const;

export function decapObject(env = process.env): string {
  return env.LVS_XDP_DECAP_OBJ ?? join(repoRoot(), '.output', 'decap.bpf.o');
}

export function decapPins(netnsKey: string): PinPaths {
  return pinPaths(`/sys/fs/bpf/lvs-xdp-rs-${netnsKey}`);
}

function keyOf(family: 4 | 6, addr: string): Buffer {
  const k = Buffer.alloc(20);
  k.writeUInt32LE(family === 4 ? 2 : 10, 0);
  if (family === 4) Buffer.from(addr.split('.').map(Number)).copy(k, 4);
  else ipv6Bytes(addr).copy(k, 4);
  return k;
}

interface IfAddr {
  ifname: string;
  flags?: string[];
  addr_info?: Array<{ local?: string; family?: string; scope?: string }>;
}

/** Non-loopback interfaces that are up, with their global addresses. */
export function hostInterfaces(): Array<{ ifname: string; addrs: Vip[] }> {
  const links = JSON.parse(run('ip', ['-j', 'addr', 'show']).stdout || '[]') as IfAddr[];
  return links
    .filter((l) => l.ifname !== 'lo' && (l.flags ?? []).includes('UP'))
    .map((l) => ({
      ifname: l.ifname,
      addrs: (l.addr_info ?? [])
        .filter((a) => a.local && a.scope === 'global')
        .map((a) => ({ addr: a.local!, family: (a.family === 'inet6' ? 6 : 4) as 4 | 6 })),
    }));
}

function openMap(pins: PinPaths, name: string): BpfMap {
  const path = join(pins.maps, name);
  return new BpfMap(check(libbpf().bpf_obj_get(path), `open ${path}`), name);
}

export interface DecapUpResult {
  ifaces: Array<{ ifname: string; mode: string }>;
  pinDir: string;
}

/** The decap program loaded with its maps bound to pins (reused when pinned). */
export function loadDecap(pins: PinPaths): { progFd: number; close(): void } {
  const lib = libbpf();
  ensurePinDir(pins);
  const obj = checkPtr(lib.bpf_object__open_file(decapObject(), null), `open ${decapObject()}`);
  try {
    for (const name of DECAP_MAPS) {
      const map = checkPtr(lib.bpf_object__find_map_by_name(obj, name), `map ${name}`);
      check(lib.bpf_map__set_pin_path(map, join(pins.maps, name)), `pin path of ${name}`);
    }
    check(lib.bpf_object__load(obj), `load ${decapObject()}`);
    const prog = checkPtr(lib.bpf_object__find_program_by_name(obj, 'decap_xdp'), 'program decap_xdp');
    return { progFd: check(lib.bpf_program__fd(prog), 'program fd'), close: () => lib.bpf_object__close(obj) };
  } catch (e) {
    lib.bpf_object__close(obj);
    throw e;
  }
}

/** Marks addresses in a decap map ('decap_vips' or 'decap_locals'). */
export function decapAddAddrs(pins: PinPaths, map: 'decap_vips' | 'decap_locals', addrs: Vip[]): void {
  const m = openMap(pins, map);
  try {
    for (const a of addrs) m.update(keyOf(a.family, a.addr), Buffer.from([1]));
  } finally {
    m.close();
  }
}

/**
 * Loads (or reuses) the decap program and its pinned maps, writes the VIPs and the
 * host's addresses, and attaches it to every interface given (default: every
 * non-loopback interface that is up).
 */
export function decapUp(netnsKey: string, vips: Vip[], ifnames?: string[]): DecapUpResult {
  const pins = decapPins(netnsKey);
  const ifaces = hostInterfaces().filter((i) => !ifnames || ifnames.includes(i.ifname));
  const prog = loadDecap(pins);
  const attached: DecapUpResult['ifaces'] = [];
  try {
    decapAddAddrs(pins, 'decap_vips', vips);
    decapAddAddrs(pins, 'decap_locals', ifaces.flatMap((i) => i.addrs));
    for (const i of ifaces) {
      const r = attachXdp(pins, i.ifname, prog.progFd);
      attached.push({ ifname: i.ifname, mode: r.mode });
    }
  } finally {
    prog.close();
  }
  return { ifaces: attached, pinDir: pins.dir };
}

/** Detaches from every interface and removes the pins. Nothing there is fine. */
export function decapDown(netnsKey: string): string[] {
  const pins = decapPins(netnsKey);
  const done: string[] = [];
  if (existsSync(pins.links)) {
    for (const ifname of readdirSync(pins.links)) if (detachXdp(pins, ifname)) done.push(ifname);
  }
  rmSync(pins.dir, { recursive: true, force: true });
  return done;
}

/** Packets decapsulated so far (per-CPU counter 0, summed). */
export function decapCount(netnsKey: string): bigint {
  const pins = decapPins(netnsKey);
  if (!existsSync(join(pins.maps, 'decap_stats'))) return 0n;
  const m = openMap(pins, 'decap_stats');
  try {
    const v = m.lookup(Buffer.alloc(4));
    return v ? m.slots(v).reduce((s, b) => s + b.readBigUInt64LE(0), 0n) : 0n;
  } finally {
    m.close();
  }
}
