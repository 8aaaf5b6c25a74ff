// The bridge from keepalived's view to the planner's: parsed configuration + health state
// → the services and reals (src/model types) the data plane should hold right now. Pure;
// the agent diffs this against the pinned maps with src/plan and applies the plan.
//
// What the model cannot express is listed in `skipped`, never silently dropped:
// fwmark services, SCTP, and group ranges larger than MAX_GROUP_ADDRS addresses.
import { addrPortString, type Addr, type Real, type Service } from '../model/types.js';
import type { Forwarding, GroupEntry, RealServerConfig, VirtualServerConfig } from '../keepalived/types.js';
import { emptyHealth, poolOf, realKey, step, type HealthState, type VsState } from './health.js';

export const MAX_GROUP_ADDRS = 256;

export interface DesiredService {
  /** The keepalived virtual server it comes from (VirtualServerConfig.id). */
  vs: string;
  service: Service;
  reals: Real[];
}

export interface DesiredState {
  services: DesiredService[];
  skipped: Array<{ vs: string; reason: string }>;
}

function expandRange(e: Extract<GroupEntry, { kind: 'range' }>): Addr[] | undefined {
  if (e.first.family === 'inet') {
    const n = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const lo = n(e.first.ip);
    const hi = n(e.last.ip);
    if (hi - lo + 1 > MAX_GROUP_ADDRS) return undefined;
    const out: Addr[] = [];
    for (let x = lo; x <= hi; x++) out.push({ family: 'inet', ip: [24, 16, 8, 0].map((s) => Math.floor(x / 2 ** s) % 256).join('.') });
    return out;
  }
  const last = (ip: string): number => parseInt(ip.split(':').pop() || '0', 16);
  const lo = last(e.first.ip);
  const hi = last(e.last.ip);
  if (hi - lo + 1 > MAX_GROUP_ADDRS) return undefined;
  const out: Addr[] = [];
  for (let x = lo; x <= hi; x++) out.push({ family: 'inet6', ip: e.first.ip.replace(/[0-9a-f]*$/, x.toString(16)) });
  return out;
}

function realOf(addr: Addr, port: number, fwd: Forwarding, weight: number, rc?: RealServerConfig): Real {
  return {
    addr, port, forward: fwd.method, weight,
    upperThreshold: rc?.upperThreshold ?? 0, lowerThreshold: rc?.lowerThreshold ?? 0,
  };
}

/** The reals keepalived would have in the pool for this virtual server's health state. */
export function desiredReals(cfg: VirtualServerConfig, st: VsState): Real[] {
  const pool = poolOf(cfg, st);
  const out: Real[] = [];
  for (const rc of cfg.reals) {
    const w = pool.reals.get(realKey(rc));
    if (w !== undefined) out.push(realOf(rc.addr, rc.port, rc.forward, w, rc));
  }
  const ss = cfg.sorryServer;
  if (ss && pool.sorry && !out.some((r) => addrPortString(r.addr, r.port) === pool.sorry!.key)) {
    out.push(realOf(ss.addr, ss.port, ss.forward, pool.sorry.weight));
  }
  return out;
}

function serviceOf(cfg: VirtualServerConfig, protocol: 'tcp' | 'udp', addr: Addr, port: number): Service {
  return {
    protocol, addr, port, scheduler: cfg.scheduler,
    ...(cfg.persistence ? { persistence: cfg.persistence } : {}),
    ...(cfg.persistence && cfg.granularity !== undefined ? { netmask: cfg.granularity } : {}),
    onePacket: cfg.onePacket, schedFlags: [...cfg.schedFlags],
  };
}

export function desiredState(health: HealthState): DesiredState {
  const { config } = health;
  const out: DesiredState = { services: [], skipped: [] };
  let initial: HealthState | undefined;
  for (const cfg of config.virtualServers) {
    let st = health.vs.find((v) => v.id === cfg.id);
    if (!st) {
      // No health state yet: what loading the configuration would start with.
      initial ??= step(emptyHealth(), { type: 'load', config, nowMs: 0 }).state;
      st = initial.vs.find((v) => v.id === cfg.id)!;
    }
    if (cfg.target.kind === 'fwmark') {
      out.skipped.push({ vs: cfg.id, reason: 'fwmark services are not supported by lvs-xdp' });
      continue;
    }
    if (cfg.protocol !== 'tcp' && cfg.protocol !== 'udp') {
      out.skipped.push({ vs: cfg.id, reason: `protocol ${cfg.protocol} is not supported by lvs-xdp` });
      continue;
    }
    const reals = desiredReals(cfg, st);
    const endpoints: Array<{ addr: Addr; port: number }> = [];
    if (cfg.target.kind === 'addr') endpoints.push({ addr: cfg.target.addr, port: cfg.target.port });
    else {
      const name = cfg.target.name;
      const group = config.groups.find((g) => g.name === name)!;
      for (const e of group.entries) {
        if (e.kind === 'fwmark') {
          out.skipped.push({ vs: cfg.id, reason: `group ${name}: fwmark ${e.mark} is not supported by lvs-xdp` });
          continue;
        }
        const addrs = expandRange(e);
        if (!addrs) out.skipped.push({ vs: cfg.id, reason: `group ${name}: range ${e.first.ip}-${e.last.ip} exceeds ${MAX_GROUP_ADDRS} addresses` });
        else for (const a of addrs) endpoints.push({ addr: a, port: e.port });
      }
    }
    for (const ep of endpoints) {
      // Reals inherit a group entry's port for DR/TUN, as keepalived's group commands do.
      const rs = reals.map((r) => (r.forward === 'nat' || cfg.target.kind === 'addr' ? r : { ...r, port: ep.port }));
      out.services.push({ vs: cfg.id, service: serviceOf(cfg, cfg.protocol, ep.addr, ep.port), reals: rs });
    }
  }
  return out;
}
