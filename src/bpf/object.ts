// Loading the director program. Maps are bound to their pins before load, so a
// new build of the program reuses the running maps (libbpf's pin-path reuse):
// replacing the program drops no connection. A layout change is detected first
// and refused, never misread.
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { check, checkPtr, libbpf } from './ffi/libbpf.js';
import { BpfMap, mapInfo, possibleCpus } from './map.js';
import { PINNED_MAPS, type PinPaths, type PinnedMap } from './pins.js';
import { lb_abi, lb_conn, lb_conn_key, lb_limits, lb_meta, lb_real, lb_svc, lb_svc_key } from './generated/layout.js';
import { encode, decode } from './codec.js';
import { DataplaneError } from '../util/errors.js';
import { armConnExpiry } from './conns.js';
import { encodeIcmpConf, readIcmpLimits, type IcmpLimits } from '../net/icmp-limits.js';

export class LayoutMismatchError extends DataplaneError {}

/** The per-CPU caches and their slots per CPU (sized at load: the CPU count is the machine's). */
const CPU_CACHES: ReadonlyArray<[string, number]> = [
  ['lb_flow_cache', lb_limits.LB_FLOW_SLOTS],
  ['lb_reply_cache', lb_limits.LB_REPLY_SLOTS],
];

/** Key/value sizes each pinned map must have for this build (from the generated layout). */
const EXPECTED: Partial<Record<PinnedMap, [number, number]>> = {
  lb_services: [lb_svc_key.size, lb_svc.size],
  lb_reals: [4, lb_real.size],
  lb_conns: [lb_conn_key.size, lb_conn.size],
  lb_meta: [4, lb_meta.size],
};

export interface LoadOptions {
  objPath: string;
  pins: PinPaths;
  /** Connection table size for a fresh data plane; an existing one keeps its size. */
  connSize: number;
  /** Limits on the ICMP errors the program sends itself; default: this namespace's sysctls. */
  icmpLimits?: IcmpLimits;
}

export interface LoadedProgram {
  progFd: number;
  close(): void;
}

/** Refuses pinned maps written by a data plane of another layout. */
export function checkPinnedLayout(pins: PinPaths): void {
  const metaPath = join(pins.maps, 'lb_meta');
  if (!existsSync(metaPath)) return;
  const lib = libbpf();
  for (const [name, [k, v]] of Object.entries(EXPECTED) as Array<[PinnedMap, [number, number]]>) {
    const path = join(pins.maps, name);
    if (!existsSync(path)) continue;
    const fd = check(lib.bpf_obj_get(path), `open ${path}`);
    const info = mapInfo(fd);
    lib.close(fd);
    if (info.keySize !== k || info.valueSize !== v) {
      throw new LayoutMismatchError(
        `pinned map ${name} in ${pins.dir} has another layout (key ${info.keySize}/${k}, value ${info.valueSize}/${v} bytes): ` +
          `it was made by an incompatible lvs-xdp version; detach and remove ${pins.dir} to start afresh`,
      );
    }
  }
  const meta = new BpfMap(check(lib.bpf_obj_get(metaPath), `open ${metaPath}`), 'lb_meta');
  try {
    const raw = meta.lookup(Buffer.alloc(4));
    const m = raw && decode(lb_meta, raw);
    if (m && m.abi_version !== 0 && m.abi_version !== lb_abi.LB_ABI_VERSION) {
      throw new LayoutMismatchError(
        `maps in ${pins.dir} have layout version ${m.abi_version}, this build uses ${lb_abi.LB_ABI_VERSION}; ` +
          `detach and remove ${pins.dir} to start afresh`,
      );
    }
  } finally {
    meta.close();
  }
}

function pinnedMaxEntries(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const lib = libbpf();
  const fd = check(lib.bpf_obj_get(path), `open ${path}`);
  try {
    return mapInfo(fd).maxEntries;
  } finally {
    lib.close(fd);
  }
}

/** Opens, binds pins, loads; pins the program at pins.prog. */
export function loadDirector(opts: LoadOptions): LoadedProgram {
  const lib = libbpf();
  checkPinnedLayout(opts.pins);
  const obj = checkPtr(lib.bpf_object__open_file(opts.objPath, null), `open ${opts.objPath}`);
  try {
    for (const name of PINNED_MAPS) {
      const map = checkPtr(lib.bpf_object__find_map_by_name(obj, name), `map ${name} in ${opts.objPath}`);
      const path = join(opts.pins.maps, name);
      if (name === 'lb_conns') {
        check(lib.bpf_map__set_max_entries(map, pinnedMaxEntries(path) ?? opts.connSize), 'set conntrack size');
      }
      check(lib.bpf_map__set_pin_path(map, path), `pin path of ${name}`);
    }
    // The per-CPU caches (bpf/include/flowcache.h, replycache.h; not pinned): one share
    // of slots per possible CPU. An object built before a cache existed has no such map.
    for (const [name, slots] of CPU_CACHES) {
      const cache = lib.bpf_object__find_map_by_name(obj, name);
      if (cache) check(lib.bpf_map__set_max_entries(cache, slots * possibleCpus()), `set ${name} size`);
    }
    check(lib.bpf_object__load(obj), `load ${opts.objPath} (see the libbpf messages above)`);
    const prog = checkPtr(lib.bpf_object__find_program_by_name(obj, 'lb_xdp'), 'program lb_xdp');
    const progFd = check(lib.bpf_program__fd(prog), 'program fd');
    writeIcmpConf(obj, opts.icmpLimits ?? readIcmpLimits());
    initMeta(opts.pins, opts.connSize);
    armConnExpiry(obj, opts.pins);
    if (existsSync(opts.pins.prog)) unlinkSync(opts.pins.prog);
    check(lib.bpf_obj_pin(progFd, opts.pins.prog), `pin ${opts.pins.prog}`);
    return { progFd, close: () => lib.bpf_object__close(obj) };
  } catch (e) {
    lib.bpf_object__close(obj);
    throw e;
  }
}

/**
 * lb_icmp_conf: written at every load, before the program is attached or swapped in
 * (the pinned entry of the last load is replaced).
 */
function writeIcmpConf(obj: unknown, limits: IcmpLimits): void {
  const lib = libbpf();
  const map = checkPtr(lib.bpf_object__find_map_by_name(obj, 'lb_icmp_conf'), 'map lb_icmp_conf');
  const fd = check(lib.bpf_map__fd(map), 'lb_icmp_conf fd');
  check(lib.bpf_map_update_elem(fd, Buffer.alloc(4), encodeIcmpConf(limits), 0), 'write lb_icmp_conf');
}

/** Default timeouts are IPVS's (ip_vs_proto_tcp.c / udp.c): 900 120 300. */
function initMeta(pins: PinPaths, connSize: number): void {
  const lib = libbpf();
  const meta = new BpfMap(check(lib.bpf_obj_get(join(pins.maps, 'lb_meta')), 'open lb_meta'), 'lb_meta');
  try {
    const cur = decode(lb_meta, meta.lookup(Buffer.alloc(4))!);
    if (cur.abi_version === lb_abi.LB_ABI_VERSION) return;
    const size = pinnedMaxEntries(join(pins.maps, 'lb_conns')) ?? connSize;
    meta.update(
      Buffer.alloc(4),
      encode(lb_meta, {
        abi_version: lb_abi.LB_ABI_VERSION,
        conn_size: size,
        tcp_timeout: 900,
        tcpfin_timeout: 120,
        udp_timeout: 300,
      }),
    );
  } finally {
    meta.close();
  }
}
