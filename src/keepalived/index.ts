// Entry points: a keepalived configuration file (and its includes) → the LVS part as
// typed data, with every statement not acted upon listed in `ignored`. Pure apart from
// reading through a ConfigSource: it returns a value or throws a KeepalivedSyntaxError
// naming file and line, and nothing is applied either way.
import { posix } from 'node:path';
import type { Ctx } from './context.js';
import { KeepalivedSyntaxError } from './errors.js';
import { topLevel } from './lvs.js';
import { resolveVirtualServer } from './resolve.js';
import { fsSource, memorySource, type ConfigSource } from './source.js';
import { readConfig } from './tree.js';
import type { KeepalivedConfig, VirtualServerConfig } from './types.js';

export { KeepalivedFileError, KeepalivedSyntaxError } from './errors.js';
export { fsSource, memorySource, type ConfigSource } from './source.js';
export type * from './types.js';

export function parseKeepalivedFile(file: string, source: ConfigSource = fsSource): KeepalivedConfig {
  const { statements, files, notices } = readConfig(source, file);
  const ctx: Ctx = { ignored: [], warnings: [...notices] };
  const { vs, groups } = topLevel(ctx, statements);
  const seenGroups = new Map<string, number>();
  for (const g of groups) {
    if (seenGroups.has(g.name)) throw new KeepalivedSyntaxError(g.where, `virtual_server_group '${g.name}' is defined twice`);
    seenGroups.set(g.name, g.where.line);
  }
  const virtualServers: VirtualServerConfig[] = [];
  for (const d of vs) {
    const r = resolveVirtualServer(ctx, d, groups);
    if (!r) continue;
    const dup = virtualServers.find((x) => x.id === r.id);
    if (dup) throw new KeepalivedSyntaxError(r.where, `virtual_server ${r.id} is already defined at ${dup.where.file}:${dup.where.line}`);
    virtualServers.push(r);
  }
  const byPos = (a: { file: string; line: number }, b: { file: string; line: number }): number =>
    files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line;
  return { virtualServers, groups, ignored: ctx.ignored, warnings: ctx.warnings.sort(byPos), files };
}

/** Parses text as if it were the file `file` (includes are read from `source`, default: none). */
export function parseKeepalivedText(text: string, file = 'keepalived.conf', source?: ConfigSource): KeepalivedConfig {
  const base = source ?? memorySource({});
  const wrapped: ConfigSource = {
    read: (p) => (p === pathOf(file) ? text : base.read(p)),
    list: (d) => base.list(d),
    isFile: (p) => p === pathOf(file) || base.isFile(p),
  };
  return parseKeepalivedFile(file, wrapped);
}

function pathOf(file: string): string {
  return posix.resolve(file);
}
