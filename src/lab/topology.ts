// The namespace lab as plain data: who exists, which addresses they hold, how they are
// wired. Nothing here touches the system; plan.ts turns it into commands.
//
//            switch namespace <prefix>-sw: bridge br0
//      ┌──────────┬──────────┬──────────┬──────────┐
//   client     director      rs1        rs2        rs3        (each: eth0 ⇄ <prefix>-<role> on br0)
//
// Everything is one L2 segment because DR rewrites only the destination MAC: the director
// must reach every real server by Ethernet alone.
import { LvsError } from '../util/errors.js';

export type HostRole = 'client' | 'director' | 'real';

export interface HostSpec {
  /** Short name: namespace suffix, switch-port suffix, and the name a real server answers. */
  name: string;
  role: HostRole;
  ipv4: string;
  ipv6: string;
}

export interface Topology {
  /** IPv4 prefix length of the shared segment. */
  ipv4Prefix: number;
  ipv6Prefix: number;
  vip4: string;
  vip6: string;
  /** Interface name inside every host namespace. */
  hostIf: string;
  /** Bridge name inside the switch namespace. */
  bridge: string;
  /** Suffix of the switch namespace. */
  switchName: string;
  hosts: readonly HostSpec[];
  /** TCP port of the real servers' HTTP service, UDP port of their echo service. */
  httpPort: number;
  udpPort: number;
}

/** Documentation ranges only (RFC 5737, RFC 3849). */
export const TOPOLOGY: Topology = {
  ipv4Prefix: 24,
  ipv6Prefix: 64,
  vip4: '192.0.2.10',
  vip6: '2001:db8::10',
  hostIf: 'eth0',
  bridge: 'br0',
  switchName: 'sw',
  hosts: [
    { name: 'client', role: 'client', ipv4: '192.0.2.100', ipv6: '2001:db8::100' },
    { name: 'dir', role: 'director', ipv4: '192.0.2.2', ipv6: '2001:db8::2' },
    { name: 'rs1', role: 'real', ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
    { name: 'rs2', role: 'real', ipv4: '192.0.2.12', ipv6: '2001:db8::12' },
    { name: 'rs3', role: 'real', ipv4: '192.0.2.13', ipv6: '2001:db8::13' },
  ],
  httpPort: 80,
  udpPort: 53,
};

export const DEFAULT_PREFIX = 'lvsx';

/** Where pid files, logs and generated server configs of one lab live. */
export const RUN_ROOT = '/run/lvs-xdp-lab';

/**
 * Interface names are limited to 15 characters (IFNAMSIZ - 1) and the switch port is
 * `<prefix>-<host>`; the longest host name is "client", hence at most 8 characters.
 */
export function checkPrefix(prefix: string, topo: Topology = TOPOLOGY): string {
  const longest = Math.max(...topo.hosts.map((h) => h.name.length));
  const max = 15 - 1 - longest;
  if (!new RegExp(`^[a-z][a-z0-9]{0,${max - 1}}$`).test(prefix)) {
    throw new LvsError(`illegal lab prefix: ${prefix} (lowercase letters and digits, at most ${max} characters)`, 2);
  }
  return prefix;
}

export interface LabHost extends HostSpec {
  /** Network namespace holding this host. */
  netns: string;
  /** The host's end of the veth pair, in the switch namespace. */
  switchPort: string;
  /** Interface inside the host's namespace. */
  ifname: string;
}

/** Everything a test or demo needs to address the lab of one prefix. */
export interface LabInfo {
  prefix: string;
  switchNetns: string;
  bridge: string;
  runDir: string;
  vip4: string;
  vip6: string;
  httpPort: number;
  udpPort: number;
  hosts: LabHost[];
  client: LabHost;
  director: LabHost;
  reals: LabHost[];
}

export function labInfo(prefix: string = DEFAULT_PREFIX, topo: Topology = TOPOLOGY): LabInfo {
  checkPrefix(prefix, topo);
  const hosts: LabHost[] = topo.hosts.map((h) => ({
    ...h,
    netns: `${prefix}-${h.name}`,
    switchPort: `${prefix}-${h.name}`,
    ifname: topo.hostIf,
  }));
  const one = (role: HostRole): LabHost => {
    const h = hosts.find((x) => x.role === role);
    if (!h) throw new LvsError(`lab topology has no ${role}`);
    return h;
  };
  return {
    prefix,
    switchNetns: `${prefix}-${topo.switchName}`,
    bridge: topo.bridge,
    runDir: `${RUN_ROOT}/${prefix}`,
    vip4: topo.vip4,
    vip6: topo.vip6,
    httpPort: topo.httpPort,
    udpPort: topo.udpPort,
    hosts,
    client: one('client'),
    director: one('director'),
    reals: hosts.filter((h) => h.role === 'real'),
  };
}

/** Every namespace of the lab, switch last so hosts' veths vanish with their own namespace. */
export function labNamespaces(info: LabInfo): string[] {
  return [...info.hosts.map((h) => h.netns), info.switchNetns];
}
