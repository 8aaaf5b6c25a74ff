// Checker blocks inside real_server: TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK
// (check_tcp.c, check_http.c, check_misc.c, check_api.c install_checker_common_keywords),
// and their defaults once the real server is known (check_data.c, the checker loop at
// the end of validate_check_config).
import { addrPortString } from '../model/types.js';
import { ignore, warn, type CheckerDraft, type Ctx, type RealDraft, type VsDraft } from './context.js';
import type { Statement } from './tree.js';
import type { CheckerConfig, UrlCheck } from './types.js';
import { address, arg, fail, flag, script, seconds, unsigned } from './values.js';

export const HANDLED_CHECKERS = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK']);
export const OTHER_CHECKERS = new Set([
  'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'BFD_CHECK', 'FILE_CHECK', 'track_file', 'track_bfd',
]);

const UNUSED = new Set(['bind_if', 'fwmark', 'log_all_failures', 'fast_recovery', 'tls_compliant', 'smtp_alert']);

/** Keywords every checker takes (the timing ones) — true when handled. */
function common(ctx: Ctx, d: CheckerDraft, st: Statement): boolean {
  switch (st.keyword) {
    case 'retry':
      d.retry = unsigned(st, 0, 'retry count');
      return true;
    case 'delay_before_retry':
      d.delayBeforeRetryMs = seconds(st, 0, 'delay');
      return true;
    case 'warmup':
      d.warmupMs = seconds(st, 0, 'warmup');
      return true;
    case 'delay_loop':
      d.delayLoopMs = positive(st, 'delay_loop');
      return true;
    case 'alpha':
      d.alpha = flag(st);
      return true;
    default:
      if (UNUSED.has(st.keyword)) {
        ignore(ctx, st, 'not used by lvs-xdp');
        return true;
      }
      return false;
  }
}

function positive(st: Statement, what: string): number {
  const ms = seconds(st, 0, what);
  if (ms <= 0) fail(st, `${st.keyword}: ${what} must be greater than 0`);
  return ms;
}

/** connect_ip & co., for the checkers that open a connection. */
function connection(d: CheckerDraft, st: Statement): boolean {
  switch (st.keyword) {
    case 'connect_ip':
      d.connectIp = address(st, 0, 'address');
      return true;
    case 'connect_port':
      d.connectPort = unsigned(st, 0, 'port', 1, 65535);
      return true;
    case 'bindto':
      d.bindto = address(st, 0, 'address');
      return true;
    case 'bind_port':
      d.bindPort = unsigned(st, 0, 'port', 1, 65535);
      return true;
    case 'connect_timeout':
      d.connectTimeoutMs = positive(st, 'timeout');
      return true;
    default:
      return false;
  }
}

function statusCodes(st: Statement): Array<[number, number]> {
  if (!st.args.length) fail(st, 'status_code: missing status code');
  return st.args.map((s) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || hi > 599 || lo > hi) fail(st, `status_code: bad status code '${s}' (100-599 or a range N-M)`);
    return [lo, hi] as [number, number];
  });
}

function url(ctx: Ctx, st: Statement): UrlCheck | undefined {
  const u: Partial<UrlCheck> = {};
  for (const s of st.block ?? []) {
    if (s.keyword === 'path') u.path = arg(s, 0, 'path');
    else if (s.keyword === 'digest') {
      const h = arg(s, 0, 'digest');
      if (!/^[0-9a-fA-F]{32}$/.test(h)) fail(s, `digest: '${h}' is not 32 hexadecimal digits (an MD5)`);
      u.digest = h.toLowerCase();
    } else if (s.keyword === 'status_code') u.statusCodes = [...(u.statusCodes ?? []), ...statusCodes(s)];
    else if (s.keyword === 'virtualhost') u.virtualhost = arg(s, 0, 'host name');
    else if (s.keyword.startsWith('regex') || UNUSED.has(s.keyword)) ignore(ctx, s, 'not used by lvs-xdp');
    else ignore(ctx, s, 'unknown keyword in url');
  }
  if (u.path === undefined) {
    warn(ctx, st.pos, 'url', 'url has no path - ignoring (as keepalived)');
    return undefined;
  }
  return { path: u.path, statusCodes: u.statusCodes ?? [[200, 299]], ...(u.digest ? { digest: u.digest } : {}),
    ...(u.virtualhost ? { virtualhost: u.virtualhost } : {}) };
}

/** A checker block, or undefined when keepalived would drop it (it warns). */
export function parseChecker(ctx: Ctx, st: Statement): CheckerDraft | undefined {
  const type = st.keyword as CheckerDraft['type'];
  const d: CheckerDraft = { type, where: st.pos, urls: [], httpProtocol: '1.0', dynamic: false };
  const http = type === 'HTTP_GET' || type === 'SSL_GET';
  for (const s of st.block ?? []) {
    if (common(ctx, d, s)) continue;
    if (type !== 'MISC_CHECK' && connection(d, s)) continue;
    if (http) {
      if (s.keyword === 'url') {
        const u = url(ctx, s);
        if (u) d.urls.push(u);
      } else if (s.keyword === 'nb_get_retry') d.retry = unsigned(s, 0, 'retry count');
      else if (s.keyword === 'virtualhost') d.virtualhost = arg(s, 0, 'host name');
      else if (s.keyword === 'http_protocol') {
        const v = arg(s, 0, 'version');
        if (v === '1.0' || v === '1.1') d.httpProtocol = v;
        else if (v === '1.0C' || v === '1.0c') d.httpProtocol = '1.0C';
        else fail(s, `http_protocol: expected 1.0, 1.0C or 1.1, not '${v}'`);
      } else if (s.keyword === 'sni_name') d.sniName = arg(s, 0, 'server name');
      else if (s.keyword === 'enable_sni') {
        if (!flag(s)) d.sniName = undefined;
        else d.sniName ??= '';
      } else ignore(ctx, s, `unknown keyword in ${type}`);
      continue;
    }
    if (type === 'MISC_CHECK') {
      if (s.keyword === 'misc_path') d.miscPath = script(s, 'command');
      else if (s.keyword === 'misc_timeout') d.miscTimeoutMs = unsigned(s, 0, 'timeout (seconds)') * 1000;
      else if (s.keyword === 'misc_dynamic') d.dynamic = flag(s);
      else if (s.keyword === 'user') {
        d.user = arg(s, 0, 'user name');
        d.group = s.args[1];
      } else ignore(ctx, s, 'unknown keyword in MISC_CHECK');
      continue;
    }
    ignore(ctx, s, `unknown keyword in ${type}`);
  }
  if (http && !d.urls.length) {
    warn(ctx, st.pos, type, `${type} checker has no urls specified - ignoring (as keepalived)`);
    return undefined;
  }
  if (type === 'MISC_CHECK' && d.miscPath === undefined) {
    warn(ctx, st.pos, type, 'no misc_path has been specified for MISC_CHECK - ignoring (as keepalived)');
    return undefined;
  }
  return d;
}

/** keepalived's defaults per checker kind (check_api.c queue_checker, check_http.c, check_misc.c). */
const DEFAULT_RETRY = { TCP_CHECK: 1, HTTP_GET: 1, SSL_GET: 1, MISC_CHECK: 0 } as const;
const DEFAULT_DELAY_BEFORE_RETRY_MS = { TCP_CHECK: 1000, HTTP_GET: 3000, SSL_GET: 3000, MISC_CHECK: 1000 } as const;

export function resolveChecker(ctx: Ctx, d: CheckerDraft, rs: RealDraft, vs: VsDraft): CheckerConfig | undefined {
  const delayLoopMs = d.delayLoopMs ?? rs.delayLoopMs ?? vs.delayLoopMs ?? 60_000;
  const timing = {
    delayLoopMs,
    retry: d.retry ?? rs.retry ?? vs.retry ?? DEFAULT_RETRY[d.type],
    delayBeforeRetryMs: d.delayBeforeRetryMs ?? rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs ?? DEFAULT_DELAY_BEFORE_RETRY_MS[d.type],
    warmupMs: d.warmupMs ?? rs.warmupMs ?? vs.warmupMs ?? delayLoopMs,
    alpha: d.alpha ?? rs.alpha ?? vs.alpha ?? false,
  };
  if (d.type === 'MISC_CHECK') {
    return { type: d.type, where: d.where, ...timing, path: d.miscPath!, timeoutMs: d.miscTimeoutMs || (vs.delayLoopMs ?? 60_000),
      dynamic: d.dynamic, ...(d.user ? { user: d.user } : {}), ...(d.group ? { group: d.group } : {}) };
  }
  const ip = d.connectIp ?? rs.addr;
  const p = d.connectPort ?? rs.port;
  if (!p) {
    warn(ctx, d.where, d.type, `checker for ${addrPortString(rs.addr, 0)} has no port (fwmark service?): add connect_port - ignoring`);
    return undefined;
  }
  const connect = {
    ip, port: p, connectTimeoutMs: d.connectTimeoutMs ?? rs.connectTimeoutMs ?? vs.connectTimeoutMs ?? 5000,
    ...(d.bindto ? { bindto: d.bindto } : {}), ...(d.bindPort ? { bindPort: d.bindPort } : {}),
  };
  if (d.type === 'TCP_CHECK') return { type: d.type, where: d.where, ...timing, connect };
  const vhost = d.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
  return {
    type: d.type, where: d.where, ...timing, connect, urls: d.urls, httpProtocol: d.httpProtocol,
    ...(vhost ? { virtualhost: vhost } : {}), ...(d.sniName !== undefined ? { sniName: d.sniName || vhost || '' } : {}),
  };
}
