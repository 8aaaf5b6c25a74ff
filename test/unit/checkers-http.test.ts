import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { httpCheck, requestText } from '../../src/agent/checkers/http.js';
import { sslCheck } from '../../src/agent/checkers/ssl.js';

const BODY = 'hello from the real server\n';
const MD5 = createHash('md5').update(BODY).digest('hex');
const seen: Array<{ url: string; host?: string; connection?: string; ua?: string; version: string; sni?: string | false }> = [];
const sockets = new Set<Socket>();

function handler(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ url: req.url ?? '', host: req.headers.host, connection: req.headers.connection, ua: req.headers['user-agent'],
    version: req.httpVersion, sni: (req.socket as TLSSocket).servername ?? undefined });
  if (req.url === '/slow') return; // accepts, never answers
  if (req.url === '/missing') { res.writeHead(404).end('no'); return; }
  if (req.url === '/moved') { res.writeHead(301, { location: '/' }).end(); return; }
  if (req.url === '/error') { res.writeHead(503).end(BODY); return; }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(BODY) }).end(BODY);
}

function track(s: Server): Server {
  s.on('connection', (c: Socket) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  return s;
}

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

let http: Server;
let https: Server;
let hport: number;
let sport: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lvs-xdp-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=rs.example.test'], { stdio: 'ignore', timeout: 20000 });
  http = track(createHttp(handler));
  https = track(createHttps({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, handler));
  hport = await listen(http);
  sport = await listen(https);
}, 30000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([http, https].map((s) => new Promise<void>((r) => s.close(() => r()))));
  rmSync(dir, { recursive: true, force: true });
});

async function settled(): Promise<number> {
  for (let i = 0; i < 100 && sockets.size; i++) await new Promise((r) => setTimeout(r, 20));
  return sockets.size;
}

const T = (port: number) => ({ ip: '127.0.0.1', port });

describe('HTTP_GET', () => {
  test("keepalived's request: GET path HTTP/1.0, User-Agent KeepAliveClient, Host ip:port", () => {
    expect(requestText({ ip: '192.0.2.11', port: 80 }, { path: '/x' }, { connectTimeoutMs: 1, urls: [] }))
      .toBe('GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.11:80\r\n\r\n');
    expect(requestText({ ip: '2001:db8::1', port: 8080 }, { path: '/' }, { connectTimeoutMs: 1, urls: [], httpProtocol: '1.1' }))
      .toBe('GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [2001:db8::1]:8080\r\n\r\n');
    expect(requestText({ ip: '192.0.2.11', port: 80 }, { path: '/', virtualhost: 'u.test' }, { connectTimeoutMs: 1, urls: [], virtualhost: 'c.test', httpProtocol: '1.0C' }))
      .toBe('GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: u.test\r\n\r\n');
  });

  test('status in the default 200-299 with the digest of the body: up, and the server saw our request', async () => {
    seen.length = 0;
    const r = await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/healthz', digest: MD5 }] });
    expect(r).toEqual({ ok: true, reason: 'HTTP 200 from /healthz, digest ok' });
    expect(seen).toEqual([{ url: '/healthz', host: `127.0.0.1:${hport}`, connection: undefined, ua: 'KeepAliveClient', version: '1.0', sni: undefined }]);
    expect(await settled()).toBe(0);
  });

  test('a wrong digest is down, naming the digest received', async () => {
    const r = await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/', digest: '0'.repeat(32) }] });
    expect(r).toEqual({ ok: false, reason: `MD5 digest ${MD5} from / != ${'0'.repeat(32)}` });
  });

  test('status codes: 404 and 503 down by default, 301 accepted by a range, 503 by a single code', async () => {
    expect(await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/missing' }] })).toEqual({ ok: false, reason: 'HTTP status code 404 from /missing' });
    expect((await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/error' }] })).ok).toBe(false);
    expect((await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/moved', statusCodes: [[200, 200], [301, 302]] }] })).ok).toBe(true);
    expect((await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/error', statusCodes: [[503, 503]] }] })).ok).toBe(true);
  });

  test('every url must pass; HTTP/1.1 sends Connection: close and the virtualhost', async () => {
    seen.length = 0;
    const ok = await httpCheck(T(hport), { connectTimeoutMs: 2000, httpProtocol: '1.1', virtualhost: 'www.example.test', urls: [{ path: '/a' }, { path: '/b' }] });
    expect(ok).toEqual({ ok: true, reason: '2 urls ok' });
    expect(seen.map((s) => [s.url, s.host, s.connection, s.version])).toEqual([
      ['/a', 'www.example.test', 'close', '1.1'], ['/b', 'www.example.test', 'close', '1.1']]);
    const bad = await httpCheck(T(hport), { connectTimeoutMs: 2000, urls: [{ path: '/a' }, { path: '/missing' }, { path: '/c' }] });
    expect(bad).toEqual({ ok: false, reason: 'HTTP status code 404 from /missing' });
  });

  test('a server that accepts and never answers: down after connect_timeout, socket destroyed', async () => {
    const t0 = Date.now();
    const r = await httpCheck(T(hport), { connectTimeoutMs: 300, urls: [{ path: '/slow' }] });
    const took = Date.now() - t0;
    expect(r).toEqual({ ok: false, reason: 'timeout after 300 ms fetching /slow' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
    expect(await settled()).toBe(0);
  });

  test('a refusing port is down', async () => {
    const s = createHttp();
    const p = await listen(s);
    await new Promise<void>((r) => s.close(() => r()));
    const r = await httpCheck(T(p), { connectTimeoutMs: 2000, urls: [{ path: '/' }] });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^HTTP request to \/ failed: .*ECONNREFUSED/);
  });
});

describe('SSL_GET', () => {
  test('TLS with a self-signed certificate (not verified, as keepalived), digest of the body', async () => {
    seen.length = 0;
    const r = await sslCheck(T(sport), { connectTimeoutMs: 5000, urls: [{ path: '/tls', digest: MD5 }] });
    expect(r).toEqual({ ok: true, reason: 'HTTP 200 from /tls, digest ok' });
    expect(seen[0]).toMatchObject({ url: '/tls', host: `127.0.0.1:${sport}`, sni: false });
    expect(await settled()).toBe(0);
  });

  test('SNI when asked for; status code checked as for HTTP', async () => {
    seen.length = 0;
    const r = await sslCheck(T(sport), { connectTimeoutMs: 5000, servername: 'rs.example.test', urls: [{ path: '/missing' }] });
    expect(r).toEqual({ ok: false, reason: 'HTTP status code 404 from /missing' });
    expect(seen[0]!.sni).toBe('rs.example.test');
  });

  test('plain HTTP port spoken to with TLS is down, within the timeout', async () => {
    const r = await sslCheck(T(hport), { connectTimeoutMs: 1000, urls: [{ path: '/' }] });
    expect(r.ok).toBe(false);
    expect(await settled()).toBe(0);
  });

  test('TLS server that never answers: timeout', async () => {
    const r = await sslCheck(T(sport), { connectTimeoutMs: 400, urls: [{ path: '/slow' }] });
    expect(r).toEqual({ ok: false, reason: 'timeout after 400 ms fetching /slow' });
    expect(await settled()).toBe(0);
  });
});
