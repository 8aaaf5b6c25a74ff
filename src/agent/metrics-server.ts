// The /metrics endpoint: a plain node:http server; every scrape reads the maps
// afresh (the data plane's counters are the truth), nothing is cached.
import { createServer, type Server } from 'node:http';
import { UsageError } from '../util/errors.js';

export interface ListenAddr {
  host: string;
  port: number;
}

/** ADDR:PORT, [v6]:PORT or :PORT (all addresses). */
export function parseListen(text: string): ListenAddr {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`--metrics takes ADDR:PORT (e.g. 127.0.0.1:9100), not '${text}'`);
  return { host: m[1] ?? (m[2] || '::'), port };
}

export function startMetricsServer(addr: ListenAddr, render: () => string, onError: (e: Error) => void): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    try {
      const body = render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    } catch (e) {
      onError(e as Error);
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
