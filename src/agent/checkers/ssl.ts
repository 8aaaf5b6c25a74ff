// SSL_GET (check_ssl.c): HTTP_GET over TLS. As keepalived without an SSL { ca … }
// block, the server's certificate is not verified; SNI is sent only when asked for
// (enable_sni / sni_name).
import { httpCheck, type HttpCheckOptions } from './http.js';
import type { Checker, CheckResult, CheckTarget } from './types.js';

export type SslCheckOptions = Omit<HttpCheckOptions, 'tls'> & { servername?: string };

export function sslCheck(target: CheckTarget, options: SslCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const { servername, ...rest } = options;
  return httpCheck(target, { ...rest, tls: servername ? { servername } : {} }, signal);
}

export const sslChecker: Checker<SslCheckOptions> = { check: sslCheck };
