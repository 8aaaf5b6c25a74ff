// XDP attachment through BPF links pinned in the pin directory: the data plane
// keeps running after the CLI exits, and a re-attach with a new program swaps it
// in place (bpf_link_update) without detaching, so no packet meets a bare NIC.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError, check, libbpf } from './ffi/libbpf.js';
import type { PinPaths } from './pins.js';
import { DataplaneError } from '../util/errors.js';

const BPF_XDP = 37; // enum bpf_attach_type
const XDP_FLAGS_SKB_MODE = 1 << 1;
const XDP_FLAGS_DRV_MODE = 1 << 2;

export type XdpMode = 'native' | 'generic';

export class NoSuchInterfaceError extends DataplaneError {
  constructor(name: string) {
    super(`no such interface: ${name}`);
  }
}

export function ifindexOf(name: string): number {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw new NoSuchInterfaceError(name);
  const idx = libbpf().if_nametoindex(name) as number;
  if (!idx) throw new NoSuchInterfaceError(name);
  return idx;
}

/** struct bpf_link_create_opts { size_t sz; __u32 flags; ... } — only flags used. */
function linkCreateOpts(flags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(16n, 0);
  b.writeUInt32LE(flags, 8);
  return b;
}

export interface AttachResult {
  ifname: string;
  mode: XdpMode;
  replaced: boolean;
  /** Why native mode was refused, when we fell back to generic. */
  fallbackReason?: string;
}

export function linkPath(pins: PinPaths, ifname: string): string {
  return join(pins.links, ifname);
}

/**
 * Attaches progFd to ifname, or swaps the program of an existing link. By
 * default (and with 'native') the driver's native mode is tried first, falling
 * back to generic with the reason reported; 'generic' asks for generic only.
 */
export function attachXdp(pins: PinPaths, ifname: string, progFd: number, mode?: XdpMode): AttachResult {
  const lib = libbpf();
  const ifindex = ifindexOf(ifname);
  const path = linkPath(pins, ifname);
  if (existsSync(path)) {
    const fd = check(lib.bpf_obj_get(path), `open ${path}`);
    try {
      check(lib.bpf_link_update(fd, progFd, null), `replace program on ${ifname}`);
    } finally {
      lib.close(fd);
    }
    return { ifname, mode: currentMode(ifname) ?? 'native', replaced: true };
  }
  let linkFd: number;
  let used: XdpMode = 'native';
  let fallbackReason: string | undefined;
  if (mode !== 'generic') {
    linkFd = lib.bpf_link_create(progFd, ifindex, BPF_XDP, linkCreateOpts(XDP_FLAGS_DRV_MODE));
    if (linkFd < 0) fallbackReason = new BpfError(`native XDP on ${ifname}`, -linkFd).message;
  } else {
    linkFd = -1;
  }
  if (linkFd < 0) {
    used = 'generic';
    linkFd = check(
      lib.bpf_link_create(progFd, ifindex, BPF_XDP, linkCreateOpts(XDP_FLAGS_SKB_MODE)),
      `generic XDP on ${ifname}`,
    );
  }
  try {
    check(lib.bpf_obj_pin(linkFd, path), `pin ${path}`);
  } finally {
    lib.close(linkFd);
  }
  return { ifname, mode: used, replaced: false, fallbackReason };
}

/** Removes the pinned link: the kernel detaches the program when it is the last reference. */
export function detachXdp(pins: PinPaths, ifname: string): boolean {
  const path = linkPath(pins, ifname);
  if (!existsSync(path)) return false;
  unlinkSync(path);
  return true;
}

export function attachedInterfaces(pins: PinPaths): string[] {
  return existsSync(pins.links) ? readdirSync(pins.links).sort() : [];
}

/** XDP mode the kernel reports for ifname (ip -j link), or undefined. */
export function currentMode(ifname: string): XdpMode | undefined {
  const x = xdpInfo(ifname);
  if (!x) return undefined;
  return x.mode === 2 ? 'generic' : 'native';
}

export function xdpInfo(ifname: string): { mode: number; progId?: number } | undefined {
  try {
    const out = execIp(['-j', '-d', 'link', 'show', 'dev', ifname]);
    const j = JSON.parse(out)[0];
    if (!j?.xdp) return undefined;
    return { mode: j.xdp.mode, progId: j.xdp.prog?.id };
  } catch {
    return undefined;
  }
}

function execIp(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
