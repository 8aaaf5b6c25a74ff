import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tcpCheck } from '../../src/agent/checkers/tcp.js';

// Loopback only; every wait is bounded by the checker's own timeout.
let server: Server;
let port: number;
let accepted = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

describe('TCP_CHECK', () => {
  test('up when the connection is established; the checker closes it at once', async () => {
    const r = await tcpCheck({ ip: '127.0.0.1', port }, { connectTimeoutMs: 2000 });
    expect(r).toEqual({ ok: true, reason: `connected to 127.0.0.1:${port}` });
    expect(accepted).toBeGreaterThanOrEqual(1);
    // The server side sees the close: no socket is left open by the checker.
    for (let i = 0; i < 50 && sockets.size; i++) await new Promise((res) => setTimeout(res, 20));
    expect(sockets.size).toBe(0);
  });

  test('down when the port refuses', async () => {
    const p = await closedPort();
    const r = await tcpCheck({ ip: '127.0.0.1', port: p }, { connectTimeoutMs: 2000 });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^connect failed: .*ECONNREFUSED/);
  });

  test('bindto sets the source address', async () => {
    let remote = '';
    const s = createServer((c) => {
      remote = c.remoteAddress ?? '';
      c.destroy();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const p = (s.address() as AddressInfo).port;
    const r = await tcpCheck({ ip: '127.0.0.1', port: p }, { connectTimeoutMs: 2000, bindto: '127.0.0.2' });
    for (let i = 0; i < 50 && !remote; i++) await new Promise((res) => setTimeout(res, 10));
    await new Promise<void>((res) => s.close(() => res()));
    expect(r.ok).toBe(true);
    expect(remote).toBe('127.0.0.2');
  });

  test('an aborted signal ends the check at once', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await tcpCheck({ ip: '127.0.0.1', port }, { connectTimeoutMs: 2000 }, ac.signal)).toEqual({ ok: false, reason: 'aborted' });
  });
});
