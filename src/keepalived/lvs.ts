// The top level of a keepalived configuration and its LVS blocks: virtual_server and
// virtual_server_group (check_parser.c init_check_keywords, check_data.c alloc_vs and
// alloc_vsg_entry). Everything else at the top level is reported as ignored.
import { SCHEDULERS, type SchedFlag, type SchedulerName } from '../model/types.js';
import { ignore, type Ctx, type VsDraft } from './context.js';
import { forwarding, parseReal, parseSorry, timing } from './real.js';
import type { Statement } from './tree.js';
import type { GroupEntry, KaProtocol, VirtualServerGroup, VirtualServerTarget } from './types.js';
import { address, arg, fail, parseIp, script, unsigned } from './values.js';

const SCHED_FLAGS = new Set<string>(['ops', 'flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback']);
const NOT_LVS = new Set([
  'global_defs', 'static_ipaddress', 'static_routes', 'static_rules', 'linkbeat_interfaces', 'SSL', 'bfd_instance',
  'track_file', 'track_process', 'garp_group', 'net_namespace', 'net_namespace_ipvs', 'instance', 'use_pid_dir',
  'namespace_with_ipsets', 'child_wait_time', 'vrrp_script', 'vrrp_instance', 'vrrp_sync_group', 'vrrp_track_file',
  'vrrp_track_process', 'vrrp_ipsets', 'vrrp_notify_fifo', 'vrrp_notify_fifo_script',
]);

function header(st: Statement): VirtualServerTarget {
  const first = arg(st, 0, 'address, fwmark or group');
  if (first === 'fwmark') return { kind: 'fwmark', mark: unsigned(st, 1, 'fwmark') };
  if (first === 'group') return { kind: 'group', name: arg(st, 1, 'group name') };
  const addr = address(st, 0, 'virtual server address');
  const port = st.args[1] === undefined ? 0 : unsigned(st, 1, 'port', 0, 65535);
  if (st.args.length > 2) fail(st, `virtual_server: unexpected '${st.args[2]}'`);
  return { kind: 'addr', addr, port };
}

function granularity(st: Statement, family: 'inet' | 'inet6' | undefined): string | number {
  const s = arg(st, 0, 'netmask');
  const fam = family ?? (s.includes('.') ? 'inet' : 'inet6');
  if (fam === 'inet6') return unsigned(st, 0, 'IPv6 prefix length', 1, 128);
  const a = parseIp(s);
  if (!a || a.family !== 'inet') fail(st, `persistence_granularity: bad IPv4 netmask '${s}'`);
  return a.ip;
}

export function parseVirtualServer(ctx: Ctx, st: Statement): VsDraft {
  if (!st.block) fail(st, "virtual_server: missing '{' block");
  const target = header(st);
  const vs: VsDraft = {
    where: st.pos, target, ...(target.kind === 'addr' ? { family: target.addr.family } : {}), onePacket: false,
    schedFlags: [], weight: 1, quorum: 1, hysteresis: 0, omega: false, inhibit: false, reals: [],
  };
  for (const s of st.block) {
    if (timing(vs, s, false)) continue;
    const k = s.keyword;
    if (SCHED_FLAGS.has(k)) {
      if (k === 'ops') vs.onePacket = true;
      else vs.schedFlags.push({ flag: k as SchedFlag, st: s });
      continue;
    }
    switch (k) {
      case 'ip_family': {
        const f = arg(s, 0, 'family (inet|inet6)');
        if (f !== 'inet' && f !== 'inet6') fail(s, `ip_family: expected inet or inet6, not '${f}'`);
        if (vs.family && vs.family !== f) fail(s, `ip_family: ${f} conflicts with the virtual server's address`);
        vs.family = f;
        break;
      }
      case 'lb_algo':
      case 'lvs_sched': {
        const name = arg(s, 0, 'scheduler');
        if (!(SCHEDULERS as readonly string[]).includes(name)) fail(s, `${k}: unknown scheduler '${name}' (${SCHEDULERS.join('|')})`);
        vs.scheduler = name as SchedulerName;
        break;
      }
      case 'lb_kind':
      case 'lvs_method':
        vs.forward = forwarding(s);
        break;
      case 'persistence_timeout':
        vs.persistence = s.args.length ? unsigned(s, 0, 'timeout', 1, 0x7fffffff) : 360;
        break;
      case 'persistence_granularity':
        vs.granularity = granularity(s, vs.family);
        vs.persistence ??= 360; // pgr_handler: a granularity makes the service persistent
        break;
      case 'persistence_engine':
        vs.persistenceEngine = arg(s, 0, 'engine');
        break;
      case 'protocol': {
        const p = arg(s, 0, 'protocol').toLowerCase();
        if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') fail(s, `protocol: expected TCP, UDP or SCTP, not '${s.args[0]}'`);
        vs.protocol = p as KaProtocol;
        break;
      }
      case 'quorum':
        vs.quorum = unsigned(s, 0, 'quorum', 1);
        break;
      case 'hysteresis':
        vs.hysteresis = unsigned(s, 0, 'hysteresis');
        break;
      case 'weight':
        vs.weight = unsigned(s, 0, 'weight', 1, 0x7fffffff);
        break;
      case 'omega':
        vs.omega = true;
        break;
      case 'inhibit_on_failure':
        vs.inhibit = true;
        break;
      case 'quorum_up':
        vs.quorumUp = script(s);
        break;
      case 'quorum_down':
        vs.quorumDown = script(s);
        break;
      case 'virtualhost':
        vs.virtualhost = arg(s, 0, 'host name');
        break;
      case 'sorry_server':
        vs.sorry = parseSorry(s);
        break;
      case 'sorry_server_inhibit':
        if (!vs.sorry) fail(s, 'sorry_server_inhibit before or without sorry_server');
        vs.sorry.inhibit = true;
        break;
      case 'sorry_server_lvs_method':
        if (!vs.sorry) fail(s, 'sorry_server_lvs_method before or without sorry_server');
        vs.sorry.forward = forwarding(s);
        break;
      case 'real_server':
        if (!s.block) fail(s, "real_server: missing '{' block");
        vs.reals.push(parseReal(ctx, s));
        break;
      case 'hashed':
        ignore(ctx, s, 'obsolete, no effect');
        break;
      case 'ha_suspend':
      case 'smtp_alert':
      case 'snmp_name':
        ignore(ctx, s, 'not used by lvs-xdp');
        break;
      default:
        ignore(ctx, s, 'unknown keyword in virtual_server');
    }
  }
  return vs;
}

/** `IP [PORT]`, `IP-LAST [PORT]` (last byte / last group), `IP/PREFIX [PORT]`, `fwmark N [inet|inet6]`. */
function groupEntry(st: Statement): GroupEntry {
  if (st.keyword === 'fwmark') {
    const mark = unsigned(st, 0, 'fwmark');
    const fam = st.args[1];
    if (fam !== undefined && fam !== 'inet' && fam !== 'inet6') fail(st, `fwmark: unknown family '${fam}'`);
    return { kind: 'fwmark', where: st.pos, mark, ...(fam ? { family: fam } : {}) };
  }
  const text = st.keyword;
  const port = st.args[0] === undefined ? 0 : unsigned(st, 0, 'port', 0, 65535);
  const m = /^(.*?)(?:-([0-9a-fA-F]+)|\/(\d+))?$/.exec(text)!;
  const first = parseIp(m[1]!);
  if (!first) fail(st, `virtual_server_group: bad address '${text}'`);
  let last = first;
  if (m[2] !== undefined || m[3] !== undefined) {
    const v4 = first.family === 'inet';
    const parts = v4 ? first.ip.split('.') : undefined;
    if (m[2] !== undefined) {
      const end = v4 ? Number(m[2]) : parseInt(m[2], 16);
      const startLast = v4 ? Number(parts![3]) : parseInt(first.ip.split(':').pop() || '0', 16);
      if (!/^\d+$/.test(m[2]) && v4) fail(st, `virtual_server_group: bad range '${text}'`);
      if (end < startLast || end > (v4 ? 255 : 0xffff)) fail(st, `virtual_server_group: bad range '${text}'`);
      last = v4 ? { family: 'inet', ip: [...parts!.slice(0, 3), String(end)].join('.') }
        : parseIp(first.ip.replace(/[0-9a-f]*$/, end.toString(16)))!;
    } else {
      const prefix = Number(m[3]);
      if (!v4 || prefix < 1 || prefix > 32) fail(st, `virtual_server_group: bad prefix '${text}' (IPv4 /1-/32)`);
      const n = parts!.reduce((a, o) => a * 256 + Number(o), 0);
      const size = 2 ** (32 - prefix);
      const base = n - (n % size);
      const ip = (x: number): string => [24, 16, 8, 0].map((sh) => Math.floor(x / 2 ** sh) % 256).join('.');
      return { kind: 'range', where: st.pos, first: { family: 'inet', ip: ip(base) }, last: { family: 'inet', ip: ip(base + size - 1) }, port };
    }
  }
  return { kind: 'range', where: st.pos, first, last, port };
}

export function parseGroup(st: Statement): VirtualServerGroup {
  const name = arg(st, 0, 'group name');
  if (!st.block) fail(st, "virtual_server_group: missing '{' block");
  return { where: st.pos, name, entries: st.block.map(groupEntry) };
}

export function topLevel(ctx: Ctx, statements: Statement[]): { vs: VsDraft[]; groups: VirtualServerGroup[] } {
  const vs: VsDraft[] = [];
  const groups: VirtualServerGroup[] = [];
  for (const st of statements) {
    if (st.keyword === 'virtual_server') vs.push(parseVirtualServer(ctx, st));
    else if (st.keyword === 'virtual_server_group') groups.push(parseGroup(st));
    else if (st.keyword.startsWith('vrrp_')) ignore(ctx, st, 'VRRP is not handled by lvs-xdp');
    else if (NOT_LVS.has(st.keyword)) ignore(ctx, st, 'not used by lvs-xdp');
    else ignore(ctx, st, 'unknown keyword');
  }
  return { vs, groups };
}
