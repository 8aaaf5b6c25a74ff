// keepalived's end-of-parse pass over each virtual server (check_parser.c vs_end_handler,
// rs_end_handler; check_data.c validate_check_config): defaults filled in, and the
// values keepalived corrects with a warning corrected the same way, with a notice.
import { addrPortString, type SchedFlag } from '../model/types.js';
import { resolveChecker } from './checkers.js';
import { warn, type Ctx, type VsDraft } from './context.js';
import { KeepalivedSyntaxError } from './errors.js';
import type { CheckerConfig, Forwarding, RealServerConfig, SorryServerConfig, VirtualServerConfig, VirtualServerGroup } from './types.js';

const NAT: Forwarding = { method: 'nat' };

function vsId(d: VsDraft, protocol: string | undefined): string {
  const t = d.target;
  if (t.kind === 'fwmark') return `fwmark ${t.mark}`;
  if (t.kind === 'group') return `group ${t.name} ${protocol}`;
  return `${protocol} ${addrPortString(t.addr, t.port)}`;
}

/** For DR and TUN the real's port must be the service's; NAT may map it (0 = the service's). */
function realPort(given: number, fwd: Forwarding, vsPort: number | undefined): number {
  if (vsPort === undefined) return fwd.method === 'nat' ? given : 0; // fwmark: DR/TUN ports are cleared
  if (fwd.method === 'nat') return given || vsPort;
  return vsPort;
}

export function resolveVirtualServer(ctx: Ctx, d: VsDraft, groups: VirtualServerGroup[]): VirtualServerConfig | undefined {
  const kw = 'virtual_server';
  const group = d.target.kind === 'group' ? groups.find((g) => g.name === (d.target as { name: string }).name) : undefined;
  if (d.target.kind === 'group' && !group) {
    throw new KeepalivedSyntaxError(d.where, `virtual_server: group '${d.target.name}' is not defined`);
  }
  const hasAddrs = d.target.kind === 'addr' || !!group?.entries.some((e) => e.kind === 'range');
  let protocol = d.protocol;
  let onePacket = d.onePacket;
  let persistence = d.persistence;
  if (hasAddrs) {
    if (!protocol) {
      warn(ctx, d.where, kw, 'no protocol set - defaulting to UDP (as keepalived)');
      protocol = 'udp';
    }
    if (onePacket && protocol !== 'udp') {
      warn(ctx, d.where, kw, 'one packet scheduling (ops) requires UDP - resetting');
      onePacket = false;
    }
    const zeroPort = d.target.kind === 'addr' ? d.target.port === 0 : !!group?.entries.some((e) => e.kind === 'range' && !e.port);
    if (!persistence && zeroPort) {
      warn(ctx, d.where, kw, 'zero port only valid for persistent services - setting persistence_timeout 360');
      persistence = 360;
    }
  } else if (protocol) {
    warn(ctx, d.where, kw, 'protocol specified for fwmark - protocol will be ignored');
    protocol = undefined;
  }
  let scheduler = d.scheduler;
  if (!scheduler) {
    warn(ctx, d.where, kw, "no scheduler set, setting default 'wlc'");
    scheduler = 'wlc';
  }
  const schedFlags: SchedFlag[] = [];
  for (const { flag, st } of d.schedFlags) {
    const only = flag.startsWith('sh-') ? 'sh' : flag.startsWith('mh-') ? 'mh' : undefined;
    if (only && only !== scheduler) warn(ctx, st.pos, flag, `${flag} only applies to the ${only} scheduler - ignoring`);
    else if (!schedFlags.includes(flag)) schedFlags.push(flag);
  }
  const forward = d.forward ?? NAT;
  const vsPort = d.target.kind === 'addr' ? d.target.port : d.target.kind === 'group' ? group!.entries.find((e) => e.kind === 'range')?.port : undefined;
  let family = d.family;
  const reals: RealServerConfig[] = [];
  for (const r of d.reals) {
    const fwd = r.forward ?? forward;
    if (fwd.method !== 'tun') {
      family ??= r.addr.family;
      if (r.addr.family !== family) {
        warn(ctx, r.where, 'real_server', `address family of virtual server and real server ${r.addr.ip} don't match - skipping real server`);
        continue;
      }
    }
    const port = realPort(r.port, fwd, vsPort);
    if (r.port && port !== r.port) {
      warn(ctx, r.where, 'real_server', `real server port ${r.port} does not apply to ${fwd.method.toUpperCase()} - using ${port || 'none'}`);
    }
    if (reals.some((x) => x.addr.ip === r.addr.ip && x.port === port)) {
      warn(ctx, r.where, 'real_server', `real server ${addrPortString(r.addr, port)} is duplicated - removing second rs`);
      continue;
    }
    const real: RealServerConfig = {
      where: r.where, addr: r.addr, port, weight: r.weight ?? d.weight, forward: fwd,
      upperThreshold: r.upperThreshold, lowerThreshold: r.lowerThreshold, inhibitOnFailure: r.inhibit ?? d.inhibit,
      ...(r.notifyUp ? { notifyUp: r.notifyUp } : {}), ...(r.notifyDown ? { notifyDown: r.notifyDown } : {}),
      checkers: [],
    };
    real.checkers = r.checkers.map((c) => resolveChecker(ctx, c, { ...r, port }, d)).filter((c): c is CheckerConfig => !!c);
    reals.push(real);
  }
  if (!reals.length) {
    warn(ctx, d.where, kw, 'virtual server has no real servers - ignoring (as keepalived)');
    return undefined;
  }
  let sorryServer: SorryServerConfig | undefined;
  if (d.sorry) {
    const fwd = d.sorry.forward ?? forward;
    if (fwd.method !== 'tun' && family && d.sorry.addr.family !== family) {
      warn(ctx, d.sorry.where, 'sorry_server', "address family of virtual server and sorry server don't match - skipping sorry server");
    } else {
      sorryServer = { where: d.sorry.where, addr: d.sorry.addr, port: realPort(d.sorry.port, fwd, vsPort), forward: fwd, inhibit: d.sorry.inhibit };
    }
  }
  const weightSum = reals.reduce((a, r) => a + r.weight, 0);
  let quorum = d.quorum;
  if (quorum > weightSum) {
    warn(ctx, d.where, 'quorum', `quorum ${quorum} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`);
    quorum = weightSum;
  }
  let hysteresis = d.hysteresis;
  if (hysteresis && hysteresis >= quorum) {
    const h = Math.max(0, quorum - 1);
    warn(ctx, d.where, 'hysteresis', `hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${h}`);
    hysteresis = h;
  }
  return {
    where: d.where, id: vsId(d, protocol), target: d.target.kind === 'fwmark' && family ? { ...d.target, family } : d.target,
    ...(protocol ? { protocol } : {}), scheduler, forward,
    ...(persistence ? { persistence } : {}), ...(d.granularity !== undefined ? { granularity: d.granularity } : {}),
    ...(d.persistenceEngine ? { persistenceEngine: d.persistenceEngine } : {}),
    onePacket, schedFlags, delayLoopMs: d.delayLoopMs ?? 60_000, quorum, hysteresis, alpha: d.alpha ?? false, omega: d.omega,
    inhibitOnFailure: d.inhibit, ...(d.quorumUp ? { quorumUp: d.quorumUp } : {}), ...(d.quorumDown ? { quorumDown: d.quorumDown } : {}),
    ...(d.virtualhost ? { virtualhost: d.virtualhost } : {}), ...(sorryServer ? { sorryServer } : {}), reals,
  };
}
