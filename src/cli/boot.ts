// The start of every lvs-xdp command (bin/lvs-xdp runs it, bundled to dist/cli/boot.cjs):
// compiles the bundled CLI (dist/cli/main.cjs) with V8's code cache and runs it.
//
// Why: a command such as -Ln runs each of hundreds of functions once, so compiling them
// is a good part of its time (~20 ms of ~170). V8 can save the bytecode a run compiled
// and reuse it; Node 20 offers that only through vm.Script. Like Python's __pycache__,
// the cache is written by the first run that finds none (or finds it stale) and read
// by the next ones: one file per command word, since each compiles different functions.
// It lives beside the bundle (dist/cli/cache/, removed by every build), named after
// the bundle's size and time and the node version; a cache V8 rejects anyway (another
// V8, other flags) is rewritten. LVS_XDP_CODE_CACHE=off turns it off; =DIR moves it.
//
// The monitor runs without it: code compiled from a cache loses its dynamic-import
// callback in Node 20, and the monitor loads Ink (ESM-only) with import().
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

/** Commands whose code must not come from the cache (see above). */
const NO_CACHE = new Set(['monitor']);

/**
 * The cache's name for a command line: lvs-xdp's own command word, or ipvsadm's
 * command letter (`-Ln` → L, `--list` → list); undefined when it is not cached.
 */
export function cacheKey(argv: readonly string[]): string | undefined {
  let word: string | undefined;
  for (let i = 0; i < argv.length && word === undefined; i++) {
    const a = argv[i]!;
    if (a === '--pin-dir') i++;
    else if (!a.startsWith('--pin-dir=')) word = a;
  }
  if (word === undefined) return 'none';
  if (NO_CACHE.has(word)) return undefined;
  const name = word.startsWith('--') ? word.slice(2).split('=')[0]! : word.startsWith('-') ? word.slice(1, 2) : word;
  const safe = name.replace(/[^A-Za-z0-9-]/g, '_');
  return safe === '' || safe.length > 40 ? undefined : safe;
}

/** The cache file of this bundle build, node version and command. */
export function cacheFile(dir: string, bundle: { size: number; mtimeMs: number }, nodeVersion: string, key: string): string {
  return join(dir, `${key}.${nodeVersion}.${bundle.size}.${Math.trunc(bundle.mtimeMs)}.bin`);
}

/**
 * The cache's bytes, when it may be trusted: it becomes code of a command run as root,
 * so a file another user owns, or one anyone else may rewrite, is ignored (and then
 * replaced when the directory lets us).
 */
function readCache(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    const uid = process.geteuid?.() ?? st.uid;
    if (!st.isFile() || (st.uid !== uid && st.uid !== 0) || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Written after the run (it then holds every function the run compiled); best effort. */
function writeCache(file: string, script: Script): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
    renameSync(tmp, file); // whole or not at all, also with two commands at once
  } catch {
    // a read-only checkout or a full disk: run uncached
  }
}

/** Runs the CommonJS bundle at bundlePath as node would run it as the main module. */
export function boot(bundlePath: string, argv: readonly string[], env = process.env): void {
  const source = readFileSync(bundlePath, 'utf8');
  const setting = env.LVS_XDP_CODE_CACHE;
  const key = setting === 'off' ? undefined : cacheKey(argv);
  const file = key === undefined
    ? undefined
    : cacheFile(setting || join(dirname(bundlePath), 'cache'), statSync(bundlePath), process.version, key);
  const cachedData = readCache(file);
  const script = new Script(Module.wrap(source), {
    filename: bundlePath,
    cachedData,
    // import() of code compiled without a cache (the monitor's) goes to node's own loader
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (file && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCache(file, script));
  const mod = new Module(bundlePath);
  mod.filename = bundlePath;
  const require = createRequire(bundlePath);
  mod.paths = require.resolve.paths('koffi') ?? []; // where module.require() finds packages, as node sets it
  process.argv[1] = bundlePath; // main.ts runs when it is the program
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, require, mod, bundlePath, dirname(bundlePath));
}

// bin/lvs-xdp: node dist/cli/boot.cjs ARGS, the bundle beside it.
if (process.argv[1] && /cli[\\/]boot\.cjs$/.test(process.argv[1])) {
  boot(join(dirname(process.argv[1]), 'main.cjs'), process.argv.slice(2));
}
