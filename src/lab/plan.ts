// Topology → ordered list of steps (pure). lab.ts carries them out; unit tests read them.
import { DEFAULT_PREFIX, labInfo, labNamespaces, TOPOLOGY, type LabHost, type LabInfo, type Topology } from './topology.js';

export type ServerKind = 'name' | 'nginx';

export type LabStep =
  /** A command, inside `netns` when given (entered with nsenter), else in the caller's. */
  | { kind: 'exec'; netns?: string; argv: string[]; why?: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'rmdir'; path: string }
  /** `ip netns del`, skipped when the namespace is already gone. */
  | { kind: 'netns-del'; netns: string }
  /** The real-server setup of src/realserver, applied inside `netns` (mode: dr when absent). */
  | { kind: 'realserver-up'; netns: string; vips: string[]; mode?: 'dr' | 'tun' }
  | { kind: 'realserver-down'; netns: string }
  | { kind: 'server-start'; netns: string; name: string; server: ServerKind; httpPort: number; udpPort: number; runDir: string }
  /** Stops whatever server of `name` has a pid file in runDir (name server or nginx). */
  | { kind: 'server-stop'; netns: string; name: string; runDir: string };

export interface LabPlanOptions {
  prefix?: string;
  servers?: ServerKind;
  topology?: Topology;
  /** The pass-everything XDP object (bpf/napi.bpf.c) put on switch ports; see wireHost. */
  napiObject?: string;
}

export const DEFAULT_NAPI_OBJECT = '.output/napi.bpf.o';

const exec = (netns: string | undefined, argv: string[], why?: string): LabStep =>
  why === undefined ? { kind: 'exec', netns, argv } : { kind: 'exec', netns, argv, why };

/** Steps that build the lab from nothing. Assumes no namespace of the prefix exists. */
export function labUpPlan(opts: LabPlanOptions = {}): LabStep[] {
  const topo = opts.topology ?? TOPOLOGY;
  const info = labInfo(opts.prefix ?? DEFAULT_PREFIX, topo);
  const sw = info.switchNetns;
  const steps: LabStep[] = [{ kind: 'mkdir', path: info.runDir }];

  for (const ns of labNamespaces(info)) steps.push(exec(undefined, ['ip', 'netns', 'add', ns]));

  steps.push(
    exec(sw, ['ip', 'link', 'set', 'lo', 'up']),
    // No snooping: without an MLD querier the bridge's view of groups is guesswork, and
    // IPv6 neighbour discovery must always reach every port.
    exec(sw, ['ip', 'link', 'add', info.bridge, 'type', 'bridge', 'mcast_snooping', '0']),
    exec(sw, ['ip', 'link', 'set', info.bridge, 'up']),
  );

  for (const h of info.hosts) steps.push(...wireHost(info, h, opts.napiObject ?? DEFAULT_NAPI_OBJECT));
  for (const h of info.hosts) steps.push(...configureHost(info, topo, h));

  for (const rs of info.reals) {
    steps.push({ kind: 'realserver-up', netns: rs.netns, vips: [info.vip4, info.vip6] });
  }
  for (const rs of info.reals) {
    steps.push({
      kind: 'server-start',
      netns: rs.netns,
      name: rs.name,
      server: opts.servers ?? 'name',
      httpPort: info.httpPort,
      udpPort: info.udpPort,
      runDir: info.runDir,
    });
  }
  return steps;
}

/** veth pair from the switch to the host; the host end is created directly in its namespace. */
export function wireHost(info: LabInfo, h: LabHost, napiObject: string): LabStep[] {
  const sw = info.switchNetns;
  return [
    exec(sw, ['ip', 'link', 'add', h.switchPort, 'type', 'veth', 'peer', 'name', h.ifname, 'netns', h.netns]),
    exec(sw, ['ip', 'link', 'set', h.switchPort, 'master', info.bridge]),
    // A veth only receives XDP_TX/redirected frames while its own NAPI runs, i.e. while it
    // has an XDP program; otherwise they vanish (GRO alone did not do it on 6.18).
    exec(sw, ['ip', 'link', 'set', 'dev', h.switchPort, 'xdpdrv', 'obj', napiObject, 'sec', 'xdp'],
      'veth peer needs NAPI to receive XDP_TX frames'),
    exec(sw, ['ip', 'link', 'set', h.switchPort, 'up']),
  ];
}

export function configureHost(info: LabInfo, topo: Topology, h: LabHost): LabStep[] {
  const dev = h.ifname;
  const steps: LabStep[] = [
    exec(h.netns, [
      'sysctl', '-q', '-w',
      // The effective rp_filter is max(all, dev): all three must be 0 so that replies from
      // a VIP (DR) or through the director (NAT) are not dropped as martians.
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      `net.ipv4.conf.${dev}.rp_filter=0`,
      // Addresses are usable at once: DAD would leave them "tentative" for a second or more.
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.conf.default.accept_dad=0',
      `net.ipv6.conf.${dev}.accept_dad=0`,
    ]),
    exec(h.netns, ['ip', 'link', 'set', 'lo', 'up']),
    // veth leaves TCP/UDP checksums to "hardware" (CHECKSUM_PARTIAL); an XDP program sees
    // and forwards the frame without that note, so the receiver would find a half-done
    // checksum. Real NICs put full checksums on the wire; so do lab hosts with this off.
    exec(h.netns, ['ethtool', '-K', dev, 'tx', 'off'], 'XDP forwards frames as they are on the wire'),
    exec(h.netns, ['ip', 'addr', 'add', `${h.ipv4}/${topo.ipv4Prefix}`, 'dev', dev]),
    exec(h.netns, ['ip', '-6', 'addr', 'add', `${h.ipv6}/${topo.ipv6Prefix}`, 'dev', dev, 'nodad']),
  ];
  if (h.role === 'director') {
    // The VIP as a /32 alias (the seeds' eth0:0): the director's kernel answers ARP/ND for
    // it and receives whatever the XDP program passes on.
    steps.push(
      exec(h.netns, ['ip', 'addr', 'add', `${info.vip4}/32`, 'dev', dev, 'label', `${dev}:0`]),
      exec(h.netns, ['ip', '-6', 'addr', 'add', `${info.vip6}/128`, 'dev', dev, 'nodad']),
    );
  }
  steps.push(exec(h.netns, ['ip', 'link', 'set', dev, 'up']));
  return steps;
}

/**
 * Steps that remove a lab of this prefix. Every step may find its piece already gone;
 * the runner carries on past such failures so that this also cleans up after a crash.
 */
export function labDownPlan(opts: { prefix?: string; topology?: Topology } = {}): LabStep[] {
  const info = labInfo(opts.prefix ?? DEFAULT_PREFIX, opts.topology ?? TOPOLOGY);
  const steps: LabStep[] = [];
  for (const rs of info.reals) steps.push({ kind: 'server-stop', netns: rs.netns, name: rs.name, runDir: info.runDir });
  // Undo the real-server setup before the namespace goes, so its state file (keyed by the
  // namespace inode, which the kernel may reuse) does not outlive it.
  for (const rs of info.reals) steps.push({ kind: 'realserver-down', netns: rs.netns });
  for (const ns of labNamespaces(info)) steps.push({ kind: 'netns-del', netns: ns });
  steps.push({ kind: 'rmdir', path: info.runDir });
  return steps;
}

/** One line per step, shell-like, for `lab up --dry-run` style output and for tests. */
export function describeStep(s: LabStep): string {
  switch (s.kind) {
    case 'exec':
      return (s.netns ? `[${s.netns}] ` : '') + s.argv.join(' ');
    case 'mkdir':
      return `mkdir -p ${s.path}`;
    case 'rmdir':
      return `rm -rf ${s.path}`;
    case 'netns-del':
      return `ip netns del ${s.netns}`;
    case 'realserver-up':
      return `[${s.netns}] lvs-xdp realserver up ${s.vips.map((v) => `--vip ${v}`).join(' ')} --mode ${s.mode ?? 'dr'}`;
    case 'realserver-down':
      return `[${s.netns}] lvs-xdp realserver down`;
    case 'server-start':
      return `[${s.netns}] start ${s.server} server ${s.name} (tcp ${s.httpPort}, udp ${s.udpPort})`;
    case 'server-stop':
      return `[${s.netns}] stop server ${s.name}`;
  }
}
