// TCP_CHECK (check_tcp.c): up when a TCP connection is established within
// connect_timeout; the connection is closed at once without sending anything.
import { Socket } from 'node:net';
import { bounded, errorText, type BindOptions, type Checker, type CheckResult, type CheckTarget } from './types.js';

export interface TcpCheckOptions extends BindOptions {
  connectTimeoutMs: number;
}

export function tcpCheck(target: CheckTarget, options: TcpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const sock = new Socket();
  return bounded(
    options.connectTimeoutMs, signal, `connect timeout after ${options.connectTimeoutMs} ms`,
    (done) => {
      sock.once('connect', () => done({ ok: true, reason: `connected to ${target.ip}:${target.port}` }));
      sock.once('error', (e) => done({ ok: false, reason: `connect failed: ${errorText(e)}` }));
      sock.connect({
        host: target.ip, port: target.port,
        ...(options.bindto ? { localAddress: options.bindto } : {}), ...(options.bindPort ? { localPort: options.bindPort } : {}),
      });
    },
    () => sock.destroy(),
  );
}

export const tcpChecker: Checker<TcpCheckOptions> = { check: tcpCheck };
