// From a parsed keepalived checker to one check attempt: picks the checker and maps the
// configuration onto its options. The running agent calls this and feeds the result to
// the health state machine as a 'result' event.
import type { CheckerConfig } from '../../keepalived/types.js';
import { httpCheck } from './http.js';
import { miscCheck } from './misc.js';
import { sslCheck } from './ssl.js';
import { tcpCheck } from './tcp.js';
import type { CheckResult } from './types.js';

export type { CheckResult, CheckTarget, Checker } from './types.js';

export function runCheck(c: CheckerConfig, signal?: AbortSignal): Promise<CheckResult> {
  if (c.type === 'MISC_CHECK') return miscCheck(undefined, { path: c.path, timeoutMs: c.timeoutMs, dynamic: c.dynamic }, signal);
  const target = { ip: c.connect.ip.ip, port: c.connect.port };
  const bind = { ...(c.connect.bindto ? { bindto: c.connect.bindto.ip } : {}), ...(c.connect.bindPort ? { bindPort: c.connect.bindPort } : {}) };
  const connectTimeoutMs = c.connect.connectTimeoutMs;
  if (c.type === 'TCP_CHECK') return tcpCheck(target, { connectTimeoutMs, ...bind }, signal);
  const http = {
    connectTimeoutMs, ...bind, urls: c.urls, httpProtocol: c.httpProtocol, ...(c.virtualhost ? { virtualhost: c.virtualhost } : {}),
  };
  if (c.type === 'HTTP_GET') return httpCheck(target, http, signal);
  return sslCheck(target, { ...http, ...(c.sniName ? { servername: c.sniName } : {}) }, signal);
}
