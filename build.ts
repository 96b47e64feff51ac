/**
 * `npm run build [-- authz-server|operator]`: compiles the production entry points, and every module they import,
 * to plain JavaScript under dist/ (same relative layout, `.ts` imports rewritten to `.js`), and copies the runtime
 * files that are not TypeScript (the Redis script, the snapshot protos). The Dockerfiles and `npm start` run this
 * output: Node then loads no TypeScript stripper, which measured 17 MiB of RSS per process (bench/RESULTS.md).
 * Tests and development keep running the TypeScript sources directly.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = import.meta.dirname;

/** What each image runs: its entry points and the non-TypeScript files those read at run time. */
export const BUILD_TARGETS = {
  'authz-server': {
    entries: ['authz-server/src/app/main.ts', 'authz-server/src/cli/palisade.ts'],
    assets: ['authz-server/src/store/redis-batch.lua', 'protos'],
  },
  operator: {
    entries: ['operator/src/main.ts'],
    assets: ['protos'],
  },
} as const;

export type BuildTarget = keyof typeof BUILD_TARGETS;

/** Output directory of `root`'s build. */
export function distDir(root = ROOT): string {
  return join(root, 'dist');
}

/** The compiled path of a source file: `authz-server/src/app/main.ts` -> `dist/authz-server/src/app/main.js`. */
export function compiledPath(source: string): string {
  return join('dist', source.replace(/\.ts$/, '.js'));
}

function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  // Every source is an ES module ("type": "module"); transpiling a file alone cannot see package.json, so say so.
  return { ...parsed.options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: false, sourceMap: false, declaration: false, removeComments: true };
}

/** The relative imports of a module (static and literal dynamic ones), resolved to files. */
function relativeImports(file: string, text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((i) => i.fileName).filter((f) => f.startsWith('./') || f.startsWith('../')).map((f) => join(dirname(file), f));
}

/**
 * Compiles `targets` of the repository at `root` into `root`/dist: the entry points and every module they import
 * (followed through relative imports), each transpiled on its own (the sources only use erasable TypeScript
 * syntax, so no type information is needed; `npm run typecheck` checks the types). Throws on a syntax error or
 * a missing module. Returns the compiled source files, relative to `root`.
 */
export function build(targets: readonly BuildTarget[] = Object.keys(BUILD_TARGETS) as BuildTarget[], root = ROOT): string[] {
  const options = compilerOptions(root);
  const queue = targets.flatMap((t) => BUILD_TARGETS[t].entries.map((e) => join(root, e)));
  const done = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    if (!existsSync(file)) throw new Error(`build: ${relative(root, file)} is imported but does not exist`);
    const text = readFileSync(file, 'utf8');
    if (!file.endsWith('.ts')) {
      // A JavaScript module imported by the TypeScript ones (the challenge client): copied as it is, with its imports.
      const copy = join(distDir(root), relative(root, file));
      mkdirSync(dirname(copy), { recursive: true });
      writeFileSync(copy, text);
      queue.push(...relativeImports(file, text));
      continue;
    }
    const out = ts.transpileModule(text, { compilerOptions: options, fileName: file, reportDiagnostics: true });
    const problems = out.diagnostics ?? [];
    if (problems.length > 0) {
      const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
      throw new Error(`build failed:\n${ts.formatDiagnostics(problems, host)}`);
    }
    const target = join(distDir(root), relative(root, file).replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
    queue.push(...relativeImports(file, text));
  }
  for (const asset of new Set(targets.flatMap((t) => BUILD_TARGETS[t].assets))) {
    const from = join(root, asset);
    if (!existsSync(from)) throw new Error(`build: runtime file ${asset} is missing`);
    const to = join(distDir(root), asset);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
  }
  return [...done].map((f) => relative(root, f)).sort();
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  for (const a of args) if (!(a in BUILD_TARGETS)) throw new Error(`unknown build target ${a} (known: ${Object.keys(BUILD_TARGETS).join(', ')})`);
  const targets = (args.length > 0 ? args : Object.keys(BUILD_TARGETS)) as BuildTarget[];
  if (args.length === 0) rmSync(distDir(), { recursive: true, force: true });
  const t0 = performance.now();
  const files = build(targets);
  process.stdout.write(`built ${targets.join(', ')}: ${files.length} modules -> dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
