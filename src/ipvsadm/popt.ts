// A small emulation of the parts of libpopt that ipvsadm relies on, so that argv is cut
// into options exactly as ipvsadm 1.31 cuts it: clustered short options (-Lnc, -At host),
// attached short arguments (-p300, -p=300), --long=value, optional arguments that are
// only taken when the next word does not start with '-', "--" ending options, and
// non-option words collected as leftovers wherever they appear (popt permutes argv).
import { LvsError } from '../util/errors.js';

export type ArgKind = 'none' | 'required' | 'optional';

export interface OptionSpec {
  /** Long name without dashes, e.g. "add-service". */
  long?: string;
  /** Single-character short name, e.g. "A". */
  short?: string;
  arg: ArgKind;
  /** Identifier handed back to the caller. */
  tag: string;
}

export interface PoptOption {
  tag: string;
  /** The argument, or undefined when none was taken (ARG_NONE or a bare optional). */
  arg?: string;
  /** The argv word the option came from, as poptBadOption reports it. */
  word: string;
}

/**
 * popt's own failures (unknown option, missing argument). ipvsadm prints
 * "<argv word>: <poptStrerror text>" and returns -1 from main, so the status is 255.
 */
export class PoptError extends LvsError {
  constructor(message: string) {
    super(message, 255);
  }
}

export const POPT_BADOPT = 'unknown option';
export const POPT_NOARG = 'missing argument';

/** A table's options by long and by short name, made once per table (a -R parses thousands of lines). */
interface TableIndex {
  long: Map<string, OptionSpec>;
  short: Map<string, OptionSpec>;
}
const tableIndexes = new WeakMap<readonly OptionSpec[], TableIndex>();
function indexOf(table: readonly OptionSpec[]): TableIndex {
  let ix = tableIndexes.get(table);
  if (!ix) {
    ix = { long: new Map(), short: new Map() };
    // the first entry of a name wins, as table.find() would give it
    for (const o of table) {
      if (o.long !== undefined && !ix.long.has(o.long)) ix.long.set(o.long, o);
      if (o.short !== undefined && !ix.short.has(o.short)) ix.short.set(o.short, o);
    }
    tableIndexes.set(table, ix);
  }
  return ix;
}

/** Incremental reader: next() returns one option at a time, like poptGetNextOpt. */
export class PoptContext {
  private next = 0;
  /** Rest of a short-option cluster still to be read ("nc" after "-L" in "-Lnc"). */
  private cluster: string | undefined;
  private clusterWord = '';
  private restLeftover = false;
  readonly leftovers: string[] = [];

  private readonly index: TableIndex;

  constructor(private readonly argv: readonly string[], table: readonly OptionSpec[]) {
    this.index = indexOf(table);
  }

  /**
   * The next option, null when argv is exhausted, or a PoptError describing popt's failure.
   * Errors are returned rather than thrown because ipvsadm treats them differently
   * depending on whether the command option has been read yet.
   */
  nextOpt(): PoptOption | PoptError | null {
    for (;;) {
      if (this.cluster !== undefined) return this.fromCluster();
      if (this.next >= this.argv.length) return null;
      const word = this.argv[this.next++]!;
      if (this.restLeftover || !word.startsWith('-') || word === '-') {
        this.leftovers.push(word);
        continue;
      }
      if (word === '--') {
        this.restLeftover = true;
        continue;
      }
      if (word.startsWith('--')) return this.fromLong(word);
      // Single dash: popt only matches long names here for ONEDASH options (none in
      // ipvsadm), so the word is a cluster of short options.
      this.cluster = word.slice(1);
      this.clusterWord = word;
    }
  }

  private fromLong(word: string): PoptOption | PoptError {
    const body = word.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const spec = this.index.long.get(name);
    if (!spec) return new PoptError(`${word}: ${POPT_BADOPT}`);
    if (spec.arg === 'none') return { tag: spec.tag, word };
    if (inline !== undefined) return { tag: spec.tag, arg: inline, word };
    return this.takeNextWord(spec, word);
  }

  private fromCluster(): PoptOption | PoptError {
    const rest = this.cluster!;
    const word = this.clusterWord;
    const ch = rest[0]!;
    const tail = rest.slice(1);
    this.cluster = tail.length > 0 ? tail : undefined;
    const spec = this.index.short.get(ch);
    if (!spec) {
      this.cluster = undefined;
      return new PoptError(`${word}: ${POPT_BADOPT}`);
    }
    if (spec.arg === 'none') return { tag: spec.tag, word };
    if (this.cluster !== undefined) {
      // The remainder of the cluster is the argument; popt drops one leading '='.
      const arg = this.cluster.startsWith('=') ? this.cluster.slice(1) : this.cluster;
      this.cluster = undefined;
      return { tag: spec.tag, arg, word };
    }
    return this.takeNextWord(spec, word);
  }

  private takeNextWord(spec: OptionSpec, word: string): PoptOption | PoptError {
    if (this.next >= this.argv.length) {
      if (spec.arg === 'optional') return { tag: spec.tag, word };
      return new PoptError(`${word}: ${POPT_NOARG}`);
    }
    const candidate = this.argv[this.next]!;
    // Optional arguments are only taken when they do not look like an option
    // (ipvsadm's contrib/popt-optional.diff, merged into popt).
    if (spec.arg === 'optional' && candidate.startsWith('-')) return { tag: spec.tag, word };
    this.next++;
    return { tag: spec.tag, arg: candidate, word: candidate };
  }
}
