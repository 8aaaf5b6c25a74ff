// Naming helpers shared by the -L, -c and -S formatters: addrport_to_anyname() and
// print_sched_flags() of ipvsadm, kept pure (host names only through a callback).
import type { Addr, Protocol, Service } from '../model/types.js';
import { nameByPort } from './services.js';

/**
 * Maps an address to a host name (or back to its numeric text); supplied by the caller.
 * A resolver may also name ports (getservbyport from /etc/services, src/ipvsadm/resolve.ts);
 * without `port` the built-in table of services.ts names them.
 */
export type Resolver = ((a: Addr) => string) & {
  port?: (port: number, protocol: Protocol | undefined) => string | undefined;
};

/**
 * "host:port" or "[v6]:port". Numeric output uses the canonical address and the
 * number; otherwise the resolver's name (numeric when absent) and the service name.
 * ipvsadm builds this in a 60-byte buffer, so it never exceeds 59 characters.
 */
export function addrPortName(
  addr: Addr, port: number, protocol: Protocol | undefined, numeric: boolean, resolve?: Resolver,
): string {
  const host = numeric || !resolve ? addr.ip : resolve(addr);
  // the port's name is looked up only when printed (-n lists 17,000 of them)
  const named = numeric ? undefined : resolve?.port ? resolve.port(port, protocol) : nameByPort(port, protocol);
  const portText = named ?? String(port);
  const text = addr.family === 'inet6' ? `[${host}]:${portText}` : `${host}:${portText}`;
  return text.slice(0, 59);
}

/**
 * The scheduler flags as ipvsadm prints them. The kernel stores three bits; sh and mh
 * give bits 1 and 2 their own names (and never show bit 3), other schedulers print
 * flag-1..3. Empty when no bit is set.
 */
export function schedFlagsText(s: Pick<Service, 'scheduler' | 'schedFlags'>): string {
  if (s.schedFlags.length === 0) return '';
  const f = new Set(s.schedFlags);
  const bit1 = f.has('flag-1') || f.has('sh-fallback') || f.has('mh-fallback');
  const bit2 = f.has('flag-2') || f.has('sh-port') || f.has('mh-port');
  const bit3 = f.has('flag-3');
  if (!bit1 && !bit2 && !bit3) return '';
  const out: string[] = [];
  if (s.scheduler === 'sh' || s.scheduler === 'mh') {
    if (bit1) out.push(`${s.scheduler}-fallback`);
    if (bit2) out.push(`${s.scheduler}-port`);
  } else {
    if (bit1) out.push('flag-1');
    if (bit2) out.push('flag-2');
    if (bit3) out.push('flag-3');
  }
  return out.join(',');
}

/** The persistence granularity text, or undefined when it is the host mask (/32, /128). */
export function maskText(s: Pick<Service, 'addr' | 'netmask'>): string | undefined {
  if (s.netmask === undefined) return undefined;
  if (s.addr.family === 'inet6') {
    const prefix = typeof s.netmask === 'number' ? s.netmask : Number.parseInt(s.netmask, 10);
    return prefix === 128 || Number.isNaN(prefix) ? undefined : String(prefix);
  }
  const text = typeof s.netmask === 'number' ? prefixToDotted(s.netmask) : s.netmask;
  return text === '255.255.255.255' ? undefined : text;
}

/** An IPv4 prefix length given as a number (e.g. by keepalived config) as a dotted mask. */
function prefixToDotted(prefix: number): string {
  const bits = Math.max(0, Math.min(32, prefix));
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((sh) => (mask >>> sh) & 255).join('.');
}
