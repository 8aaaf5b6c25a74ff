// Typed errors of the keepalived parser. The message is one line naming file and line,
// as `keepalived -t` would point at the statement.
import { LvsError } from '../util/errors.js';
import type { SourcePos } from './types.js';

/** The configuration cannot be read as keepalived syntax (braces, quotes, arguments, values). */
export class KeepalivedSyntaxError extends LvsError {
  readonly file: string;
  readonly line: number;
  /** The message without the "file:line: " prefix. */
  readonly detail: string;
  constructor(pos: SourcePos, detail: string) {
    super(`${pos.file}:${pos.line}: ${detail}`, 1);
    this.file = pos.file;
    this.line = pos.line;
    this.detail = detail;
  }
}

/** A file named by the command line or by an include cannot be read. */
export class KeepalivedFileError extends KeepalivedSyntaxError {}
