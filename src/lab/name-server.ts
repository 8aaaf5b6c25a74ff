// A real server that says who it is, so lab tests can see which one the director chose.
//   node dist/src/lab/name-server.js --name rs1 --port 80 [--udp-port 53] [--ready-file F]
// HTTP on [::]:PORT (dual stack): every path answers "rs1\n", except GET /bytes/N which
// returns N deterministic bytes (see patternByte) for download tests, and GET /slow/NAME/MS
// which the server called NAME answers after MS ms (a slow real server).
// UDP on [::]:UDP_PORT (dual stack): answers "rs1 <payload>".
// The ready file is written once both sockets listen, so the starter need not guess.
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';

export const MAX_BYTES = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** Byte at offset i of every /bytes/N body: not periodic at 256, so reordering shows. */
export function patternByte(i: number): number {
  return (i * 31 + Math.floor(i / 251)) & 0xff;
}

export function patternBytes(offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let k = 0; k < length; k++) b[k] = patternByte(offset + k);
  return b;
}

export interface NameServerOptions {
  name: string;
  port: number;
  udpPort?: number;
  readyFile?: string;
}

export function parseNameServerArgs(argv: readonly string[]): NameServerOptions {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const name = get('--name');
  const port = Number(get('--port') ?? '80');
  const udp = get('--udp-port');
  if (!name || !/^[\w.-]+$/.test(name)) throw new Error('name-server: --name NAME required');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('name-server: bad --port');
  const opts: NameServerOptions = { name, port };
  if (udp !== undefined) {
    const u = Number(udp);
    if (!Number.isInteger(u) || u < 1 || u > 65535) throw new Error('name-server: bad --udp-port');
    opts.udpPort = u;
  }
  const ready = get('--ready-file');
  if (ready) opts.readyFile = ready;
  return opts;
}

function sendBytes(res: ServerResponse, n: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
  let off = 0;
  // Respect backpressure: a 64 MiB body must not be buffered whole.
  const pump = (): void => {
    while (off < n) {
      const len = Math.min(CHUNK, n - off);
      const ok = res.write(patternBytes(off, len));
      off += len;
      if (!ok) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** Starts both services; resolves when they listen. Returns a function that closes them. */
export async function startNameServer(opts: NameServerOptions): Promise<() => Promise<void>> {
  const reply = `${opts.name}\n`;
  const http = createServer((req, res) => {
    // GET /slow/NAME/MS: the server called NAME answers after MS ms, the others at once
    // (a slow real server for the lc/wlc lab, test/lab/sched.test.ts)
    const slow = /^\/slow\/([\w-]+)\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && slow) {
      const ms = slow[1] === opts.name ? Math.min(Number(slow[2]), 60_000) : 0;
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(reply.length) }).end(reply), ms);
      return;
    }
    const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      const n = Number(m[1]);
      if (n > MAX_BYTES) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`bytes: at most ${MAX_BYTES}\n`);
        return;
      }
      sendBytes(res, n);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(reply.length) }).end(reply);
  });
  http.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: opts.port, host: '::', ipv6Only: false }, resolve);
  });

  // UDP has no connection to answer on: a socket bound to the wildcard replies from
  // whatever source the kernel picks, which for a DR/TUN real server is its own
  // address, not the VIP the client asked, and the client drops the answer. So there is
  // one socket per local address (the VIPs on lo included), each answering from its own
  // address; addresses added later (a VIP set up after the server) are picked up every
  // half second, and a wildcard socket (SO_REUSEADDR: the kernel prefers the specific
  // ones) answers in between.
  const udps = new Map<string, Socket>();
  const bindUdp = async (address: string, family: 'udp4' | 'udp6'): Promise<void> => {
    const sock = createSocket({ type: family, reuseAddr: true, ipv6Only: address === '::' ? false : undefined });
    sock.on('message', (msg, rinfo) => {
      sock.send(Buffer.concat([Buffer.from(`${opts.name} `), msg]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.udpPort, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    udps.set(address, sock);
  };
  let rescan: NodeJS.Timeout | undefined;
  if (opts.udpPort !== undefined) {
    await bindUdp('::', 'udp6');
    const scan = async (): Promise<void> => {
      for (const a of localAddresses()) {
        if (!udps.has(a.address)) await bindUdp(a.address, a.family === 'IPv6' ? 'udp6' : 'udp4').catch(() => undefined);
      }
    };
    await scan();
    rescan = setInterval(() => void scan(), 500);
    rescan.unref();
  }
  if (opts.readyFile) writeFileSync(opts.readyFile, `${process.pid}\n`);

  return async () => {
    if (rescan) clearInterval(rescan);
    for (const u of udps.values()) u.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
}

/** Every address of this host but IPv6 link-local ones (which need a scope to bind). */
function localAddresses(): Array<{ address: string; family: string }> {
  return Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .filter((a) => !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')));
}

async function main(): Promise<void> {
  let opts: NameServerOptions;
  try {
    opts = parseNameServerArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const stop = await startNameServer(opts);
  process.stdout.write(`name-server ${opts.name}: tcp ${opts.port}${opts.udpPort ? `, udp ${opts.udpPort}` : ''}\n`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => void stop().then(() => process.exit(0)));
  }
}

// Run only as a script, not when imported (tests use patternBytes).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`name-server: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
