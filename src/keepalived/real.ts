// real_server and sorry_server (check_parser.c rs_* handlers, svr_forwarding_handler).
import { HANDLED_CHECKERS, OTHER_CHECKERS, parseChecker } from './checkers.js';
import { ignore, type Ctx, type RealDraft, type SorryDraft, type TimingDraft } from './context.js';
import type { Statement } from './tree.js';
import type { Forwarding, TunnelCsum, TunnelType } from './types.js';
import { address, arg, fail, flag, port, script, seconds, unsigned } from './values.js';

const METHODS = { NAT: 'nat', DR: 'dr', TUN: 'tun' } as const;

/** `NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`. */
export function forwarding(st: Statement): Forwarding {
  const m = arg(st, 0, 'forwarding method (NAT|DR|TUN)');
  const method = METHODS[m as keyof typeof METHODS];
  if (!method) fail(st, `${st.keyword}: unknown forwarding method '${m}' (NAT|DR|TUN)`);
  const rest = st.args.slice(1);
  if (method !== 'tun') {
    if (rest.length) fail(st, `${st.keyword}: tunnel options '${rest.join(' ')}' only apply to TUN`);
    return { method };
  }
  let type: TunnelType = 'ipip';
  let tport = 0;
  let csum: TunnelCsum = 'nocsum';
  for (let i = 1; i < st.args.length; i++) {
    const w = st.args[i]!;
    if (w === 'type') {
      const t = arg(st, ++i, 'tunnel type (ipip|gue|gre)');
      if (t !== 'ipip' && t !== 'gue' && t !== 'gre') fail(st, `${st.keyword}: unknown tunnel type '${t}'`);
      type = t;
    } else if (w === 'port') tport = unsigned(st, ++i, 'tunnel port', 1, 65535);
    else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') csum = w;
    else fail(st, `${st.keyword}: unknown tunnel option '${w}'`);
  }
  if ((type === 'gue') !== (tport !== 0)) fail(st, `${st.keyword}: gue tunnels require a port, other tunnels cannot have one`);
  if (type === 'ipip' && csum !== 'nocsum') fail(st, `${st.keyword}: ipip tunnels do not support checksum options`);
  if (type === 'gre' && csum === 'remcsum') fail(st, `${st.keyword}: gre tunnels do not support remcsum`);
  return { method, tunnel: { type, ...(tport ? { port: tport } : {}), csum } };
}

/** retry / delay_before_retry / warmup / connect_timeout / delay_loop / alpha at VS or RS level. */
export function timing(d: TimingDraft, st: Statement, alphaTakesFlag: boolean): boolean {
  switch (st.keyword) {
    case 'retry':
      d.retry = unsigned(st, 0, 'retry count', 1);
      return true;
    case 'delay_before_retry':
      d.delayBeforeRetryMs = seconds(st, 0, 'delay');
      return true;
    case 'warmup':
      d.warmupMs = seconds(st, 0, 'warmup');
      return true;
    case 'connect_timeout':
    case 'delay_loop': {
      const ms = seconds(st, 0, st.keyword === 'delay_loop' ? 'delay' : 'timeout');
      if (ms <= 0) fail(st, `${st.keyword}: must be greater than 0`);
      if (st.keyword === 'delay_loop') d.delayLoopMs = ms;
      else d.connectTimeoutMs = ms;
      return true;
    }
    case 'alpha':
      d.alpha = alphaTakesFlag ? flag(st) : true;
      return true;
    default:
      return false;
  }
}

export function parseReal(ctx: Ctx, st: Statement): RealDraft {
  const rs: RealDraft = {
    where: st.pos, addr: address(st, 0, 'real server address'), port: port(st, 1), upperThreshold: 0, lowerThreshold: 0,
    checkers: [],
  };
  if (st.args.length > 2) fail(st, `real_server: unexpected '${st.args[2]}' (expected IP [PORT] {)`);
  for (const s of st.block ?? []) {
    if (timing(rs, s, true)) continue;
    switch (s.keyword) {
      case 'weight':
        rs.weight = unsigned(s, 0, 'weight', 0, 0x7fffffff);
        break;
      case 'lvs_method':
        rs.forward = forwarding(s);
        break;
      case 'uthreshold':
        rs.upperThreshold = unsigned(s, 0, 'threshold');
        break;
      case 'lthreshold':
        rs.lowerThreshold = unsigned(s, 0, 'threshold');
        break;
      case 'inhibit_on_failure':
        rs.inhibit = flag(s);
        break;
      case 'notify_up':
        rs.notifyUp = script(s);
        break;
      case 'notify_down':
        rs.notifyDown = script(s);
        break;
      case 'virtualhost':
        rs.virtualhost = arg(s, 0, 'host name');
        break;
      default:
        if (HANDLED_CHECKERS.has(s.keyword)) {
          const c = parseChecker(ctx, s);
          if (c) rs.checkers.push(c);
        } else if (OTHER_CHECKERS.has(s.keyword)) ignore(ctx, s, 'checker not supported by lvs-xdp');
        else if (s.keyword === 'smtp_alert' || s.keyword === 'snmp_name') ignore(ctx, s, 'not used by lvs-xdp');
        else ignore(ctx, s, 'unknown keyword in real_server');
    }
  }
  return rs;
}

export function parseSorry(st: Statement): SorryDraft {
  if (st.block) fail(st, 'sorry_server takes no block');
  return { where: st.pos, addr: address(st, 0, 'sorry server address'), port: port(st, 1), inhibit: false };
}
