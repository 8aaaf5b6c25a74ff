// HTTP_GET (check_http.c): for each url in turn, connect, send keepalived's request
// ("GET path HTTP/1.x", User-Agent: KeepAliveClient, Connection: close for 1.0C and 1.1,
// Host: virtualhost or ip:port), and require a status code in the url's set and, when a
// digest is configured, the MD5 of the body (the bytes after the header, up to
// Content-Length when one is given) to match. All urls must pass. Each url's whole
// exchange must finish within connect_timeout (keepalived applies it to each read; one
// deadline also bounds a server that trickles bytes forever).
import { createHash } from 'node:crypto';
import { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { bounded, errorText, type BindOptions, type Checker, type CheckResult, type CheckTarget } from './types.js';

export interface HttpUrl {
  path: string;
  /** Lower-case hex MD5 of the body. */
  digest?: string;
  /** Inclusive ranges; default [[200, 299]]. */
  statusCodes?: Array<[number, number]>;
  virtualhost?: string;
}

export interface HttpCheckOptions extends BindOptions {
  connectTimeoutMs: number;
  urls: HttpUrl[];
  httpProtocol?: '1.0' | '1.0C' | '1.1';
  virtualhost?: string;
  /** Set for SSL_GET: TLS without certificate verification, SNI name if non-empty. */
  tls?: { servername?: string };
}

const MAX_HEADER = 64 * 1024;

export function requestText(target: CheckTarget, url: HttpUrl, o: HttpCheckOptions): string {
  const vhost = url.virtualhost ?? o.virtualhost;
  const host = vhost ?? (target.ip.includes(':') ? `[${target.ip}]:${target.port}` : `${target.ip}:${target.port}`);
  const proto = o.httpProtocol ?? '1.0';
  return `GET ${url.path} HTTP/1.${proto === '1.1' ? 1 : 0}\r\nUser-Agent: KeepAliveClient\r\n` +
    `${proto === '1.0' ? '' : 'Connection: close\r\n'}Host: ${host}\r\n\r\n`;
}

function statusOk(code: number, ranges: Array<[number, number]> | undefined): boolean {
  return (ranges ?? [[200, 299]]).some(([lo, hi]) => code >= lo && code <= hi);
}

function fetchOne(target: CheckTarget, url: HttpUrl, o: HttpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  let sock: Socket | TLSSocket | undefined;
  const where = `${url.virtualhost ?? o.virtualhost ?? ''}${url.path}`;
  return bounded(o.connectTimeoutMs, signal, `timeout after ${o.connectTimeoutMs} ms fetching ${where}`, (done) => {
    const bind = { ...(o.bindto ? { localAddress: o.bindto } : {}), ...(o.bindPort ? { localPort: o.bindPort } : {}) };
    const s: Socket | TLSSocket = o.tls
      ? tlsConnect({ host: target.ip, port: target.port, rejectUnauthorized: false, ...bind,
        ...(o.tls.servername ? { servername: o.tls.servername } : {}) })
      : new Socket().connect({ host: target.ip, port: target.port, ...bind });
    sock = s;
    let head = Buffer.alloc(0);
    let status: number | undefined;
    let length: number | undefined;
    let got = 0;
    const md5 = createHash('md5');
    let judged = false;
    const judge = (): void => {
      if (judged) return;
      judged = true;
      if (status === undefined) return done({ ok: false, reason: `no HTTP response from ${where}` });
      if (!statusOk(status, url.statusCodes)) return done({ ok: false, reason: `HTTP status code ${status} from ${where}` });
      if (url.digest) {
        const d = md5.digest('hex');
        if (d !== url.digest) return done({ ok: false, reason: `MD5 digest ${d} from ${where} != ${url.digest}` });
      }
      done({ ok: true, reason: `HTTP ${status} from ${where}${url.digest ? ', digest ok' : ''}` });
    };
    const body = (b: Buffer): void => {
      const take = length === undefined ? b : b.subarray(0, Math.max(0, length - got));
      md5.update(take);
      got += take.length;
      if (length !== undefined && got >= length) judge();
    };
    s.on('data', (chunk: Buffer) => {
      if (status !== undefined) return body(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEADER) done({ ok: false, reason: `HTTP header from ${where} too long` });
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      const m = /^HTTP\/\d\.\d\s+(\d{3})/.exec(text);
      if (!m) return done({ ok: false, reason: `malformed HTTP status line from ${where}` });
      status = Number(m[1]);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      if (cl) length = Number(cl[1]);
      if (!statusOk(status, url.statusCodes)) return judge();
      body(head.subarray(end + 4));
    });
    s.once('end', judge);
    s.once('close', judge);
    s.once('error', (e) => done({ ok: false, reason: `${o.tls ? 'TLS' : 'HTTP'} request to ${where} failed: ${errorText(e)}` }));
    s.once(o.tls ? 'secureConnect' : 'connect', () => s.write(requestText(target, url, o)));
  }, () => sock?.destroy());
}

export async function httpCheck(target: CheckTarget, options: HttpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  if (!options.urls.length) return { ok: false, reason: 'no url to check' };
  let last: CheckResult = { ok: false, reason: '' };
  for (const url of options.urls) {
    last = await fetchOne(target, url, options, signal);
    if (!last.ok) return last;
  }
  return options.urls.length === 1 ? last : { ok: true, reason: `${options.urls.length} urls ok` };
}

export const httpChecker: Checker<HttpCheckOptions> = { check: httpCheck };
