// A scenario (lab/scenarios/*.json) → the namespace lab that plays it (pure).
//
// One bridge per scenario network in the switch namespace (br0, br1, …, in the order the
// scenario lists its networks). A host gets one veth per network it is on: eth0 on its
// first, eth1 on its second; the switch end is <prefix>-<host> on the first network and
// <prefix>-<host><n> on the n-th after it. With a single network this is exactly the
// plan of `lvs-xdp lab up` (plan.ts), which a unit test holds it to; NAT and FULLNAT add
// the "inside" network of the real servers, with the director on both.
import { LvsError } from '../util/errors.js';
import { configureHost, DEFAULT_NAPI_OBJECT, wireHost, type LabStep, type ServerKind } from './plan.js';
import type { Scenario, ScenarioHost } from './scenario.js';
import { checkPrefix, labInfo, TOPOLOGY, type LabHost, type LabInfo, type Topology } from './topology.js';

export interface ScenarioIface {
  network: string;
  /** Inside the host's namespace. */
  ifname: string;
  /** The veth end on the network's bridge, in the switch namespace. */
  switchPort: string;
  bridge: string;
  ipv4: string;
  ipv6: string;
}

export interface ScenarioLabHost {
  name: string;
  role: ScenarioHost['role'];
  netns: string;
  ifaces: ScenarioIface[];
}

export interface ScenarioLab {
  scenario: Scenario;
  prefix: string;
  /** Run dir, switch namespace and the hosts as `lab up` knows them (their first network). */
  info: LabInfo;
  hosts: ScenarioLabHost[];
  director: ScenarioLabHost;
  /** bpffs directory of the director's data plane (the test fixture's convention). */
  pinDir: string;
  /** Interfaces the director attaches to, in the scenario's order. */
  attach: string[];
}

/** The interface of `host` on `network`. */
export function ifaceOn(host: ScenarioLabHost, network: string): ScenarioIface {
  const i = host.ifaces.find((x) => x.network === network);
  if (!i) throw new LvsError(`lab: ${host.name} is not on network ${network}`);
  return i;
}

/** Hosts as `lab up` describes them: each with the addresses of its first network. */
export function scenarioTopology(s: Scenario): Topology {
  const vipNet = s.networks.find((n) => n.name === s.vip.network)!;
  const first = (h: ScenarioHost) => h.addresses[s.networks.find((n) => h.addresses[n.name])!.name]!;
  return {
    ...TOPOLOGY,
    ipv4Prefix: Number(vipNet.ipv4.split('/')[1]),
    ipv6Prefix: Number(vipNet.ipv6.split('/')[1]),
    vip4: s.vip.ipv4,
    vip6: s.vip.ipv6,
    hosts: s.hosts.map((h) => ({ name: h.name, role: h.role, ipv4: first(h).ipv4, ipv6: first(h).ipv6 })),
  };
}

export function scenarioLab(s: Scenario, prefix: string): ScenarioLab {
  // `lab down` removes the namespaces of lab up's own hosts; a scenario may not add others.
  const known = new Set(TOPOLOGY.hosts.map((h) => h.name));
  for (const h of s.hosts) {
    if (!known.has(h.name)) throw new LvsError(`lab: scenario ${s.name}: host '${h.name}' is not one of the lab's (${[...known].join(', ')})`);
  }
  const topo = scenarioTopology(s);
  checkPrefix(prefix, topo);
  const info = labInfo(prefix, topo);
  const hosts = s.hosts.map((h): ScenarioLabHost => {
    const nets = s.networks.filter((n) => h.addresses[n.name]);
    const ifaces = nets.map((n, j): ScenarioIface => {
      const switchPort = j === 0 ? `${prefix}-${h.name}` : `${prefix}-${h.name}${j}`;
      if (switchPort.length > 15) throw new LvsError(`lab: switch port ${switchPort} is longer than 15 characters: use a shorter --prefix`, 2);
      return { network: n.name, ifname: `eth${j}`, switchPort, bridge: `br${s.networks.indexOf(n)}`, ...h.addresses[n.name]! };
    });
    return { name: h.name, role: h.role, netns: `${prefix}-${h.name}`, ifaces };
  });
  const director = hosts.find((h) => h.role === 'director')!;
  return {
    scenario: s,
    prefix,
    info,
    hosts,
    director,
    pinDir: `/sys/fs/bpf/${prefix}-dir`,
    attach: s.director.attach.map((n) => ifaceOn(director, n).ifname),
  };
}

export interface ScenarioPlanOptions {
  servers?: ServerKind;
  napiObject?: string;
}

const exec = (netns: string, argv: string[]): LabStep => ({ kind: 'exec', netns, argv });

/** Steps that build the scenario's lab from nothing (attach and commands come after). */
export function scenarioUpPlan(lab: ScenarioLab, opts: ScenarioPlanOptions = {}): LabStep[] {
  const { scenario: s, info } = lab;
  const sw = info.switchNetns;
  const napi = opts.napiObject ?? DEFAULT_NAPI_OBJECT;
  const steps: LabStep[] = [{ kind: 'mkdir', path: info.runDir }];
  for (const ns of [...lab.hosts.map((h) => h.netns), sw]) steps.push({ kind: 'exec', netns: undefined, argv: ['ip', 'netns', 'add', ns] });
  steps.push(exec(sw, ['ip', 'link', 'set', 'lo', 'up']));
  s.networks.forEach((_, k) => {
    steps.push(exec(sw, ['ip', 'link', 'add', `br${k}`, 'type', 'bridge', 'mcast_snooping', '0']), exec(sw, ['ip', 'link', 'set', `br${k}`, 'up']));
  });

  const asLabHost = (h: ScenarioLabHost, i: ScenarioIface, role = h.role): LabHost => ({
    name: h.name, role, ipv4: i.ipv4, ipv6: i.ipv6, netns: h.netns, switchPort: i.switchPort, ifname: i.ifname,
  });
  for (const h of lab.hosts) for (const i of h.ifaces) steps.push(...wireHost({ ...info, bridge: i.bridge }, asLabHost(h, i), napi));

  for (const h of lab.hosts) {
    const mine: LabStep[] = [];
    for (const i of h.ifaces) {
      const net = s.networks.find((n) => n.name === i.network)!;
      const topo: Topology = { ...scenarioTopology(s), ipv4Prefix: Number(net.ipv4.split('/')[1]), ipv6Prefix: Number(net.ipv6.split('/')[1]) };
      // configureHost puts the VIP on a director's interface: only on the VIP's network.
      const role = h.role === 'director' && i.network !== s.vip.network ? 'real' : h.role;
      for (const st of configureHost(info, topo, asLabHost(h, i, role))) {
        if (!mine.some((m) => JSON.stringify(m) === JSON.stringify(st))) mine.push(st);
      }
    }
    steps.push(...mine);
  }

  const dir = lab.director;
  for (const kv of s.director.sysctls) steps.push(exec(dir.netns, ['sysctl', '-q', '-w', kv]));
  for (const l of s.director.localAddresses) steps.push(exec(dir.netns, ['ip', 'addr', 'add', `${l.ipv4}/32`, 'dev', ifaceOn(dir, l.network).ifname]));

  const reals = lab.hosts.filter((h) => h.role === 'real');
  for (const rs of reals) for (const r of s.realServers.routes) steps.push(exec(rs.netns, ['ip', 'route', 'replace', r.to, 'via', r.via]));
  const setup = s.realServers.realserver;
  if (setup) {
    for (const rs of reals) {
      steps.push(setup.mode === 'dr' ? { kind: 'realserver-up', netns: rs.netns, vips: setup.vips } : { kind: 'realserver-up', netns: rs.netns, vips: setup.vips, mode: setup.mode });
    }
  }
  for (const rs of reals) {
    steps.push({ kind: 'server-start', netns: rs.netns, name: rs.name, server: opts.servers ?? 'name', httpPort: info.httpPort, udpPort: info.udpPort, runDir: info.runDir });
  }
  return steps;
}

/** The director's part after the lab exists, as lvs-xdp argument vectors (for display and tests). */
export function directorArgv(lab: ScenarioLab): string[][] {
  return [['attach', ...lab.attach], ...lab.scenario.director.commands];
}
