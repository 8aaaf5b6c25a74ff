// The last stage of parsing: the per-command rules ipvsadm's process_options() applies
// after the option matrix, then the Command value handed to cli/.
import type { Real, SchedFlag, SchedulerName, Service, ServiceKey } from '../model/types.js';
import { SCHEDULERS } from '../model/types.js';
import { StateError, UnsupportedError, UsageError } from '../util/errors.js';
import type { Command, ListOptions } from './command.js';
import { ipv4ToString } from './parse-addr.js';
import type { Draft } from './parse-apply.js';

const V4_HOST_MASK = 0xffffffff;

function serviceKey(d: Draft): ServiceKey | undefined {
  if (!d.svcAddr || !d.protocol) return undefined;
  return { protocol: d.protocol, addr: d.svcAddr, port: d.svcPort };
}

/** The granularity as the model keeps it: absent when it is the host mask (/32, /128). */
function netmaskOf(d: Draft): string | number | undefined {
  if (d.svcAddr?.family === 'inet6') return d.netmask === 128 ? undefined : d.netmask;
  return d.netmask === V4_HOST_MASK ? undefined : ipv4ToString(d.netmask);
}

function schedulerOf(d: Draft): SchedulerName {
  const name = d.scheduler === '' ? 'wlc' : d.scheduler;
  const known = SCHEDULERS.find((s) => s === name);
  // ipvsadm passes any name on; the kernel's refusal is what the user sees.
  if (known === undefined) throw new StateError('Scheduler or persistence engine not found');
  return known;
}

function buildService(d: Draft, schedFlags: SchedFlag[]): Service {
  const key = serviceKey(d)!;
  if (key.port === 0 && d.persistence === undefined) {
    throw new UsageError('Zero port specified for non-persistent service');
  }
  if (d.onePacket && key.protocol !== 'udp') {
    throw new UsageError('One-Packet Scheduling is only for UDP virtual services');
  }
  if (d.peName !== undefined) throw new UnsupportedError('persistence engines are not supported yet');
  const service: Service = {
    ...key,
    scheduler: schedulerOf(d),
    onePacket: d.onePacket,
    schedFlags,
  };
  if (d.persistence !== undefined) service.persistence = d.persistence;
  const mask = netmaskOf(d);
  if (mask !== undefined) service.netmask = mask;
  return service;
}

/** Tunnel option rules (tunnel_types_v_options): which of port/csum flags each type takes. */
function checkTunnelOptions(d: Draft): void {
  const tunOpts = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;
  const rules: Record<Draft['tunType'], string> = { ipip: 'xxxx', gue: '+111', gre: 'x11x' };
  const row = rules[d.tunType];
  let exclusive: string | undefined;
  tunOpts.forEach((name, j) => {
    const rule = row[j];
    if (!d.opts.has(name)) {
      if (rule === '+') throw new UsageError(`You need to supply the '${name}' option for the '${d.tunType}' tunnel type`);
      return;
    }
    if (rule === 'x') throw new UsageError(`Illegal '${name}' option with the '${d.tunType}' tunnel type`);
    if (rule !== '1') return;
    if (exclusive === undefined) exclusive = name;
    else throw new UsageError(`The option '${name}' conflicts with the '${exclusive}' option in the '${d.tunType}' tunnel type`);
  });
}

function buildReal(d: Draft): Real {
  const key = serviceKey(d)!;
  const addr = d.realAddr!;
  // DR and TUN cannot change the port: the packet reaches the real server unchanged.
  const port = d.forward === 'dr' || d.forward === 'tun' ? key.port : d.realPort;
  if (addr.family !== key.addr.family && d.forward !== 'tun') {
    throw new UsageError('Different address family is allowed only for tunneling servers');
  }
  const tunnelOpt = (['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const).some((o) => d.opts.has(o));
  if (tunnelOpt && d.forward !== 'tun') throw new UsageError('Tunnel options conflict with forward method');
  checkTunnelOptions(d);
  if (d.tunType !== 'ipip') throw new UnsupportedError(`${d.tunType} tunnels are not supported yet`);
  return {
    addr, port, forward: d.forward, weight: d.weight,
    upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold,
  };
}

function listOptions(d: Draft): ListOptions {
  const o = d.opts;
  const conflict =
    ((o.has('connection') || o.has('timeout') || o.has('daemon')) &&
      (o.has('stats') || o.has('rate') || o.has('thresholds'))) ||
    ((o.has('timeout') || o.has('daemon')) && o.has('persistent-conn'));
  if (conflict) throw new UsageError('options conflicts in the list command');
  return {
    numeric: o.has('numeric'), connections: o.has('connection'), timeout: o.has('timeout'),
    daemon: o.has('daemon'), stats: o.has('stats'), rate: o.has('rate'),
    thresholds: o.has('thresholds'), persistentConn: o.has('persistent-conn'),
    tunInfo: o.has('tun-info'), exact: o.has('exact'), nosort: o.has('nosort'), json: d.outputJson,
  };
}

function daemonOptions(d: Draft): Record<string, string | number> {
  const out = { ...d.daemon };
  if (d.cmd === 'start-daemon' && out['mcastInterface'] === undefined) out['mcastInterface'] = 'eth0';
  return out;
}

export function buildCommand(d: Draft, schedFlags: SchedFlag[], timeouts?: [number, number, number]): Command {
  switch (d.cmd) {
    case 'add-service': return { kind: 'add-service', service: buildService(d, schedFlags) };
    case 'edit-service': return { kind: 'edit-service', service: buildService(d, schedFlags) };
    case 'delete-service': return { kind: 'delete-service', key: serviceKey(d)! };
    case 'flush': return { kind: 'clear' };
    case 'add-server': return { kind: 'add-real', key: serviceKey(d)!, real: buildReal(d) };
    case 'edit-server': return { kind: 'edit-real', key: serviceKey(d)!, real: buildReal(d) };
    case 'delete-server':
      return { kind: 'delete-real', key: serviceKey(d)!, real: { addr: d.realAddr!, port: d.realPort } };
    case 'list': {
      const options = listOptions(d);
      const key = serviceKey(d);
      return key ? { kind: 'list', key, options } : { kind: 'list', options };
    }
    case 'zero': {
      const key = serviceKey(d);
      return key ? { kind: 'zero', key } : { kind: 'zero' };
    }
    case 'set': {
      const [tcp, tcpfin, udp] = timeouts!;
      return { kind: 'set-timeout', tcp, tcpfin, udp };
    }
    case 'start-daemon': return { kind: 'start-daemon', state: d.daemonState!, options: daemonOptions(d) };
    // --syncid is accepted with --stop-daemon but the Command has nowhere to carry it.
    case 'stop-daemon': return { kind: 'stop-daemon', state: d.daemonState! };
    case 'restore': return { kind: 'restore' };
    case 'save': return { kind: 'save', numeric: d.opts.has('numeric') };
    case 'add-laddr': return { kind: 'add-laddr', key: serviceKey(d)!, laddr: d.laddr! };
    case 'del-laddr': return { kind: 'delete-laddr', key: serviceKey(d)!, laddr: d.laddr! };
    case 'get-laddr': {
      const key = serviceKey(d);
      return key ? { kind: 'list-laddrs', key } : { kind: 'list-laddrs' };
    }
  }
}
