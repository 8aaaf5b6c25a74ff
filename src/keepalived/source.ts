// Where configuration text comes from. The parser itself only reads through this
// interface, so tests can hand it files in memory and the parse stays a function of
// the files' contents. Globs follow glob(3) with GLOB_BRACE as keepalived's include:
// * ? [...] {a,b}, a leading dot only matched explicitly, matches sorted.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';

export interface ConfigSource {
  /** The file's text; throws when it cannot be read. */
  read(path: string): string;
  /** The names in a directory, or null when it is not one. */
  list(dir: string): string[] | null;
  /** Whether the path names a readable regular file. */
  isFile(path: string): boolean;
}

export const fsSource: ConfigSource = {
  read: (p) => readFileSync(p, 'utf8'),
  list: (d) => {
    try {
      return readdirSync(d);
    } catch {
      return null;
    }
  },
  isFile: (p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  },
};

/** An in-memory tree: absolute path → text. Directories are implied by the paths. */
export function memorySource(files: Record<string, string>): ConfigSource {
  const norm = (p: string): string => posix.normalize(p);
  const map = new Map(Object.entries(files).map(([k, v]) => [norm(k), v]));
  return {
    read: (p) => {
      const t = map.get(norm(p));
      if (t === undefined) throw new Error(`ENOENT: ${p}`);
      return t;
    },
    list: (d) => {
      const dir = norm(d).replace(/\/$/, '') + '/';
      const names = new Set<string>();
      for (const k of map.keys()) if (k.startsWith(dir)) names.add(k.slice(dir.length).split('/')[0]!);
      return names.size ? [...names] : null;
    },
    isFile: (p) => map.has(norm(p)),
  };
}

export function hasMagic(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** {a,b}c → ac, bc (nested braces expanded from the outside in). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === '}' && depth > 0 && --depth === 0) {
      const inner = pattern.slice(open + 1, i);
      const parts: string[] = [];
      let d = 0;
      let start = 0;
      for (let j = 0; j < inner.length; j++) {
        if (inner[j] === '{') d++;
        else if (inner[j] === '}') d--;
        else if (inner[j] === ',' && d === 0) {
          parts.push(inner.slice(start, j));
          start = j + 1;
        }
      }
      parts.push(inner.slice(start));
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      return parts.flatMap((p) => expandBraces(head + p + tail));
    }
  }
  return [pattern];
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < seg.length) re += seg[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Absolute paths of the regular files matching an absolute pattern, sorted per brace alternative. */
export function glob(source: ConfigSource, pattern: string): string[] {
  const out: string[] = [];
  for (const alt of expandBraces(pattern)) {
    const segs = alt.split('/').filter((s, i) => s !== '' || i === 0);
    let bases = [segs[0] === '' ? '/' : '.'];
    for (const seg of segs.slice(segs[0] === '' ? 1 : 0)) {
      const next: string[] = [];
      for (const base of bases) {
        if (!hasMagic(seg)) {
          next.push(posix.join(base, seg.replace(/\\(.)/g, '$1')));
          continue;
        }
        const re = segmentRegex(seg);
        const names = (source.list(base) ?? []).filter((n) => re.test(n) && (!n.startsWith('.') || seg.startsWith('.')));
        next.push(...names.sort().map((n) => posix.join(base, n)));
      }
      bases = next;
    }
    out.push(...bases.filter((p) => source.isFile(p)));
  }
  return out;
}
