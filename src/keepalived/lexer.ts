// One file's text → tokens with their line numbers, as keepalived's read_line and
// decomment read it: '#' or '!' outside double quotes starts a comment (anywhere on the
// line, "\#" and "\!" escape them), a trailing '\' continues the line, double quotes
// group words and are removed. Braces are tokens of their own even when glued to a word,
// so one-line blocks ("url { path / }") read as the blocks they look like.
import { KeepalivedSyntaxError } from './errors.js';

export type Token =
  | { kind: 'word'; text: string; quoted: boolean; file: string; line: number }
  | { kind: 'open'; file: string; line: number }
  | { kind: 'close'; file: string; line: number }
  | { kind: 'eol'; file: string; line: number };

export function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = n + 1;
    let src = lines[n]!;
    // Continuation lines join the first; tokens keep the first line's number.
    while (/(^|[^\\])(\\\\)*\\$/.test(src) && !commentBefore(src) && n + 1 < lines.length) {
      src = src.slice(0, -1) + ' ' + lines[++n]!;
    }
    lexLine(src, file, line, out);
    out.push({ kind: 'eol', file, line });
  }
  return out;
}

/** Whether a comment starts before the end of the line (then a trailing '\' is inside it). */
function commentBefore(src: string): boolean {
  let quote = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '"') quote = !quote;
    else if (!quote && (c === '#' || c === '!')) return true;
  }
  return false;
}

function lexLine(src: string, file: string, line: number, out: Token[]): void {
  // An include's pattern may use glob braces ({a,b}): on that line braces are text.
  const include = /^\s*include\s/.test(src);
  let i = 0;
  let word = '';
  let inWord = false;
  let quoted = false;
  const flush = (): void => {
    if (inWord) out.push({ kind: 'word', text: word, quoted, file, line });
    word = '';
    inWord = false;
    quoted = false;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') {
      const close = src.indexOf('"', i + 1);
      if (close < 0) throw new KeepalivedSyntaxError({ file, line }, `unterminated quoted string: ${src.slice(i).trim()}`);
      word += src.slice(i + 1, close);
      inWord = true;
      quoted = true;
      i = close + 1;
    } else if (c === '\\' && (src[i + 1] === '#' || src[i + 1] === '!')) {
      word += src[i + 1];
      inWord = true;
      i += 2;
    } else if (c === '#' || c === '!') {
      break;
    } else if (c === ' ' || c === '\t' || c === '\v' || c === '\f') {
      flush();
      i++;
    } else if ((c === '{' || c === '}') && !include) {
      flush();
      out.push(c === '{' ? { kind: 'open', file, line } : { kind: 'close', file, line });
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  flush();
}
