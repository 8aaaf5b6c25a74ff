// Names for `-L`, `-c` and `-S` without -n: what ipvsadm gets from gethostbyaddr()
// and getservbyport(), read synchronously from the files glibc's "files" backend
// reads — /etc/hosts and /etc/services — and nothing else.
//
// No DNS query is ever made: a listing must not hang on an unreachable name
// server (IPVS directors often have none), and the control plane stays synchronous.
// An address without an /etc/hosts entry prints numerically, as ipvsadm prints an
// address that does not resolve. The paths are injectable (tests use fixture files;
// LVS_XDP_HOSTS / LVS_XDP_SERVICES point the CLI elsewhere).
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import type { Addr, Protocol } from '../model/types.js';
import type { Resolver } from './format-name.js';

export const HOSTS_PATH = '/etc/hosts';
export const SERVICES_PATH = '/etc/services';

export interface ResolverFiles {
  hostsPath?: string;
  servicesPath?: string;
}

/** The canonical text of an address (IPv6 compressed, lower case), or undefined. */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return text.split('.').map((o) => String(Number(o))).join('.');
  const bare = text.replace(/%.*$/, ''); // zone ids are not part of the address
  if (!isIPv6(bare)) return undefined;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

function lines(text: string): string[][] {
  return text.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '').map((l) => l.split(/\s+/));
}

/**
 * /etc/hosts as gethostbyaddr() reads it: the first line holding the address wins,
 * and its first name (the canonical name) is the answer.
 */
export function parseHosts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ip, name] of lines(text)) {
    const key = ip && canonicalIp(ip);
    if (key && name && !out.has(key)) out.set(key, name);
  }
  return out;
}

/**
 * /etc/services as getservbyport() reads it: "name port/proto [aliases]"; the first
 * entry for a port and protocol wins and its official name is the answer.
 */
export function parseServices(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, portProto] of lines(text)) {
    const m = portProto && /^(\d+)\/([a-z0-9-]+)$/i.exec(portProto);
    if (!name || !m) continue;
    const key = `${Number(m[1])}/${m[2]!.toLowerCase()}`;
    if (!out.has(key)) out.set(key, name);
  }
  return out;
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // no file: nothing resolves, as with an empty one
  }
}

/** A resolver over hosts and services tables already read. */
export function resolverFrom(hosts: Map<string, string>, services: Map<string, string>): Resolver {
  const host = (a: Addr): string => hosts.get(canonicalIp(a.ip) ?? a.ip) ?? a.ip;
  // Persistence templates have no protocol (ipvsadm passes IPPROTO_IP): no name.
  const port = (p: number, protocol: Protocol | undefined): string | undefined =>
    protocol === undefined ? undefined : services.get(`${p}/${protocol}`);
  return Object.assign(host, { port });
}

/** Reads the files once (per command) and resolves from them. */
export function filesResolver(files: ResolverFiles = {}, env = process.env): Resolver {
  const hostsPath = files.hostsPath ?? env.LVS_XDP_HOSTS ?? HOSTS_PATH;
  const servicesPath = files.servicesPath ?? env.LVS_XDP_SERVICES ?? SERVICES_PATH;
  return resolverFrom(parseHosts(readOptional(hostsPath)), parseServices(readOptional(servicesPath)));
}
