// Per-interface IP forwarding. bpf_fib_lookup answers FWD_DISABLED unless the
// receiving interface forwards, so attach turns it on (IPv4 and IPv6) for the
// interfaces it attaches to, remembering the old values beside the pins, and
// detach puts them back. Only those interfaces change, never the global switch.
import { existsSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PinPaths } from '../bpf/pins.js';

const KEYS = (ifname: string): string[] => [
  `/proc/sys/net/ipv4/conf/${ifname}/forwarding`,
  `/proc/sys/net/ipv6/conf/${ifname}/forwarding`,
];

/**
 * Saved values live outside bpffs (which holds only BPF objects), keyed by pin
 * directory, network namespace (its inode) and interface: a file left by a
 * namespace that is gone can never be mistaken for this one's.
 */
function statePath(pins: PinPaths, ifname: string): string {
  const netns = statSync('/proc/self/ns/net').ino;
  return join(forwardingStateDir(pins), `${netns}-${ifname}.json`);
}

/** The folder of a data plane's saved settings (one file per namespace and interface). */
export function forwardingStateDir(pins: PinPaths): string {
  return join('/run/lvs-xdp/forwarding', pins.dir.replace(/\//g, '_'));
}

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/** Turns forwarding on; returns the keys that changed. */
export function enableForwarding(pins: PinPaths, ifname: string): string[] {
  const saved: Record<string, string> = {};
  const changed: string[] = [];
  const state = statePath(pins, ifname);
  const prev = existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as Record<string, string>) : {};
  for (const k of KEYS(ifname)) {
    const v = read(k);
    if (v === undefined) continue; // IPv6 disabled on this interface
    saved[k] = prev[k] ?? v;
    if (v !== '1') {
      writeFileSync(k, '1');
      changed.push(k.replace('/proc/sys/', '').replace(/\//g, '.'));
    }
  }
  mkdirSync(dirname(state), { recursive: true });
  writeFileSync(state, JSON.stringify(saved));
  return changed;
}

/** Restores what enableForwarding found. */
export function restoreForwarding(pins: PinPaths, ifname: string): void {
  const state = statePath(pins, ifname);
  if (!existsSync(state)) return;
  const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, string>;
  for (const [k, v] of Object.entries(saved)) if (existsSync(k)) writeFileSync(k, v);
  rmSync(state, { force: true });
  // The pin directory's folder goes with its last saved interface (every attach to a
  // new pin directory left one behind); rmdir refuses while others are still saved.
  try {
    rmdirSync(dirname(state));
  } catch {
    /* not empty: another interface of this data plane is still attached */
  }
}
