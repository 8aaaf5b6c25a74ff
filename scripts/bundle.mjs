// Bundles the CLI (tsc's output in dist/src, type-checked already) into one CommonJS
// file, dist/cli/main.cjs, which bin/lvs-xdp runs. Why: every lvs-xdp command pays node's
// start-up, and Node 20's ESM loader resolves, reads, compiles and links each of the ~60
// modules -Ln needs on its own (about half of `lvs-xdp --version`); one CommonJS file
// skips that machinery. Packages (koffi, ink, react) stay outside.
//
// Ink is ESM-only and Node 20 cannot require() ESM: the monitor's `import('ink')` and
// `import('../../ui/App.js')` stay real dynamic imports, the latter of tsc's ESM output
// (dist/ui), loaded only when the monitor starts.
//
// dist/cli/boot.cjs (src/cli/boot.ts) starts it with V8's code cache.
//
//   node scripts/bundle.mjs            (make bundle; make build runs it after tsc)
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'cli');
const outFile = join(outDir, 'main.cjs');

// Modules that stay ESM: imported with import() from the bundle, by their dist path.
const keepEsm = [join(root, 'dist', 'ui', 'App.js')];

const esmStays = {
  name: 'esm-stays',
  setup(b) {
    b.onResolve({ filter: /App\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!keepEsm.includes(target)) return undefined;
      if (args.kind !== 'dynamic-import') throw new Error(`${args.importer}: ${args.path} must be imported with import()`);
      return { path: './' + relative(outDir, target), external: true };
    });
  },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
// import.meta.url of every bundled module is the bundle's own URL (paths.ts walks up
// from it to the package root; createRequire() resolves packages from it).
const shim = join(outDir, 'import-meta-url.js');
writeFileSync(shim, "export const import_meta_url = require('node:url').pathToFileURL(__filename).href;\n");
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
};
try {
  // the starter (src/cli/boot.ts): compiles main.cjs with V8's code cache
  await build({ ...common, entryPoints: [join(root, 'dist', 'src', 'cli', 'boot.js')], outfile: join(outDir, 'boot.cjs'), inject: [shim], define: { 'import.meta.url': 'import_meta_url' } });
  await build({
    ...common,
    entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
    outfile: outFile,
    inject: [shim],
    define: { 'import.meta.url': 'import_meta_url' },
    plugins: [esmStays],
  });
} finally {
  rmSync(shim, { force: true });
}

// Code compiled from boot.ts's cache has no dynamic-import callback in Node 20: only
// the monitor, which boot.ts runs uncached, may use import().
const imports = [...readFileSync(outFile, 'utf8').matchAll(/\bimport\(("[^"]*")?/g)].map((m) => m[1] ?? '(computed)');
const allowed = ['"ink"', '"./../ui/App.js"'];
const stray = imports.filter((i) => !allowed.includes(i));
if (stray.length) {
  console.error(`bundle: import() of ${stray.join(', ')} in dist/cli/main.cjs: only the monitor may import() (see src/cli/boot.ts)`);
  process.exit(1);
}
