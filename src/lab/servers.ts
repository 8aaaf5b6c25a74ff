// Real-server processes of the lab: our name server (default) or nginx.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LvsError } from '../util/errors.js';
import { repoRoot } from '../util/paths.js';
import { startNginx, stopNginx } from './nginx.js';
import type { ServerKind } from './plan.js';
import { isAlive, lastLine, spawnDetachedInNetns, stopByPidFile, waitFor } from './process.js';

/** The compiled name server (tsc's output; jest runs the sources, the CLI a bundle). */
export function nameServerScript(): string {
  const script = join(repoRoot(), 'dist', 'src', 'lab', 'name-server.js');
  if (!existsSync(script)) throw new LvsError(`${script} not found: build first (make build / npx tsc)`);
  return script;
}

function files(runDir: string, name: string): { pid: string; log: string; ready: string } {
  return { pid: `${runDir}/${name}.pid`, log: `${runDir}/${name}.log`, ready: `${runDir}/${name}.ready` };
}

export async function startNameServerIn(
  ns: string,
  name: string,
  httpPort: number,
  udpPort: number,
  runDir: string,
): Promise<number> {
  const f = files(runDir, name);
  rmSync(f.ready, { force: true });
  const args = [nameServerScript(), '--name', name, '--port', String(httpPort), '--udp-port', String(udpPort), '--ready-file', f.ready];
  const pid = spawnDetachedInNetns(ns, process.execPath, args, f.log);
  writeFileSync(f.pid, `${pid}\n`);
  const ready = await waitFor(() => existsSync(f.ready) || !isAlive(pid), 10_000);
  if (!ready || !existsSync(f.ready)) throw new LvsError(`name server ${name} did not start: ${lastLine(f.log) || 'no output'}`);
  return pid;
}

export async function startServer(kind: ServerKind, ns: string, name: string, httpPort: number, udpPort: number, runDir: string): Promise<number> {
  return kind === 'nginx' ? startNginx(ns, name, httpPort, runDir) : startNameServerIn(ns, name, httpPort, udpPort, runDir);
}

/** Stop whichever server `name` runs (either kind); nothing running is fine. */
export async function stopServer(runDir: string, name: string): Promise<void> {
  await stopByPidFile(files(runDir, name).pid, 'name-server');
  rmSync(files(runDir, name).ready, { force: true });
  await stopNginx(runDir, name);
}
