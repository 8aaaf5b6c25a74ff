// Files → a tree of statements. A statement is a keyword with the words that follow it
// on its line, and the block in braces that follows (on the same line or the next).
// `include PATTERN…` is expanded where it stands, relative to the including file's
// directory, as keepalived (which chdir()s into that directory) does.
import { posix } from 'node:path';
import { KeepalivedFileError, KeepalivedSyntaxError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { glob, hasMagic, type ConfigSource } from './source.js';
import type { Notice, SourcePos } from './types.js';

export interface Statement {
  keyword: string;
  args: string[];
  pos: SourcePos;
  block?: Statement[];
}

export interface ReadResult {
  statements: Statement[];
  files: string[];
  /** Includes whose glob matched nothing (keepalived logs and goes on). */
  notices: Notice[];
}

const MAX_INCLUDE_DEPTH = 32;

/** Reads `file` (absolute or relative to the process) and everything it includes. */
export function readConfig(source: ConfigSource, file: string): ReadResult {
  const files: string[] = [];
  const notices: Notice[] = [];
  const tokens = loadFile(source, file, [], files, notices, undefined);
  return { statements: buildTree(tokens), files, notices };
}

function loadFile(
  source: ConfigSource, file: string, stack: string[], files: string[], notices: Notice[], from: SourcePos | undefined,
): Token[] {
  const abs = posix.resolve(file);
  if (stack.includes(abs)) {
    throw new KeepalivedSyntaxError(from!, `include loop: ${file} is already being read`);
  }
  if (stack.length >= MAX_INCLUDE_DEPTH) throw new KeepalivedSyntaxError(from!, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
  let text: string;
  try {
    text = source.read(abs);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new KeepalivedFileError(from ?? { file, line: 0 }, `cannot read ${file}: ${why}`);
  }
  files.push(file);
  const out: Token[] = [];
  const raw = tokenize(text, file);
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    const prev = raw[i - 1];
    const atLineStart = !prev || prev.kind === 'eol' || prev.line !== t.line;
    if (t.kind === 'word' && !t.quoted && t.text === 'include' && atLineStart) {
      const patterns: string[] = [];
      let j = i + 1;
      for (; j < raw.length && raw[j]!.kind !== 'eol'; j++) {
        const a = raw[j]!;
        if (a.kind !== 'word') throw new KeepalivedSyntaxError(a, 'include: braces are not allowed in a file name');
        patterns.push(a.text);
      }
      const pos = { file: t.file, line: t.line };
      if (!patterns.length) throw new KeepalivedSyntaxError(pos, 'include: missing file name');
      for (const p of patterns) {
        const pattern = posix.resolve(posix.dirname(abs), p);
        const matches = hasMagic(p) ? glob(source, pattern) : [pattern];
        if (!matches.length) notices.push({ ...pos, keyword: 'include', message: `no config files matched '${p}'` });
        for (const m of matches) {
          const shown = posix.isAbsolute(p) ? m : posix.join(posix.dirname(file), posix.relative(posix.dirname(abs), m));
          out.push(...loadFile(source, shown, [...stack, abs], files, notices, pos));
        }
      }
      i = j; // the eol after the include is dropped with it
      continue;
    }
    out.push(t);
  }
  return out;
}

function buildTree(tokens: Token[]): Statement[] {
  let i = 0;
  const peekSignificant = (): Token | undefined => {
    let j = i;
    while (j < tokens.length && tokens[j]!.kind === 'eol') j++;
    return tokens[j];
  };
  const block = (opener: { pos: SourcePos; keyword: string } | undefined): Statement[] => {
    const list: Statement[] = [];
    for (;;) {
      const t = tokens[i];
      if (t === undefined) {
        if (opener) {
          throw new KeepalivedSyntaxError(opener.pos, `unbalanced braces: '{' of '${opener.keyword}' is never closed`);
        }
        return list;
      }
      if (t.kind === 'eol') {
        i++;
        continue;
      }
      if (t.kind === 'close') {
        if (!opener) throw new KeepalivedSyntaxError(t, "unbalanced braces: '}' without a matching '{'");
        i++;
        return list;
      }
      if (t.kind === 'open') throw new KeepalivedSyntaxError(t, "'{' without a keyword before it");
      i++;
      const st: Statement = { keyword: t.text, args: [], pos: { file: t.file, line: t.line } };
      for (let w = tokens[i]; w?.kind === 'word'; w = tokens[++i]) st.args.push(w.text);
      if (tokens[i]?.kind === 'eol' && peekSignificant()?.kind === 'open') {
        while (tokens[i]?.kind === 'eol') i++;
      }
      const next = tokens[i];
      if (next?.kind === 'open') {
        i++;
        st.block = block({ pos: { file: next.file, line: next.line }, keyword: st.keyword });
      }
      list.push(st);
    }
  };
  return block(undefined);
}
