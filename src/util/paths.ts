// Where this checkout's build products are, from wherever the code runs
// (dist/src/... after `make build`, src/... under jest).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('lvs-xdp: cannot find the package root');
    dir = up;
  }
  return dir;
}

/** The compiled director program; LVS_XDP_OBJ points at another build (upgrade tests). */
export function directorObject(env = process.env): string {
  return env.LVS_XDP_OBJ ?? join(repoRoot(), '.output', 'lb.bpf.o');
}
