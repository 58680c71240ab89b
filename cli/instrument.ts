import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import { parseSync } from 'oxc-parser';
import { isInstrumented, mayOptOut } from '../plugin/marker.ts';
import { moduleId } from '../plugin/module-id.ts';
import { transform } from '../plugin/transform.ts';
import { isIncompatiblePolicy, RUNTIME_SPECIFIER, type IncompatiblePolicy, type ModuleSchema } from '../runtime/contract.ts';

/**
 * `hotstate instrument <dir>`: instruments JavaScript that a compiler already emitted (tsc, tsc 7,
 * esbuild, swc…), in place or into `--out-dir`, with the same transform as every other host.
 *
 * - Idempotent: an instrumented file starts (after a hashbang) with the transform's runtime import,
 *   `import { __hotstate as `; such files are skipped, so a second run changes no byte.
 * - Source maps: when a file has a `//# sourceMappingURL=` map (a file or an inline data URL), the
 *   written `<file>.map` maps the instrumented code back to that map's original sources; without
 *   one, it maps back to the emitted JavaScript.
 * - A file that does not parse is reported with file:line:col; the others are still processed, and
 *   the exit status is 1.
 */

export const INSTRUMENT_HELP: string = `Usage: hotstate instrument [options] <dir>

Instruments the JavaScript a compiler already emitted (tsc, including TypeScript 7, esbuild, swc…):
every .js and .mjs file under <dir> (not node_modules, not files with \`// @hotstate ignore\`), in
place or into --out-dir. The files must be ES modules (CommonJS files are reported and left as
they are). Existing source maps are chained: the written <file>.map points back to the original
sources, and when that is one TypeScript file, its declared types join the state schema. Running
it again changes nothing: files that already have hotstate's runtime import are skipped.

Options:
  --out-dir <dir>             write the instrumented files here, mirroring <dir>'s layout (other
                              .js/.mjs files are copied); <dir> is left untouched (default: in place)
  --root <dir>                project root: module IDs are the files' paths relative to it
                              (default: the current directory)
  --runtime <specifier>       the specifier the code imports the runtime from
                              (default: ${RUNTIME_SPECIFIER})
  --on-incompatible <policy>  when a state type changes incompatibly: reset (default), reject or keep
  -h, --help                  show this help

Exit status: 0 done, 1 some files could not be parsed (the others are written), 2 usage error.
`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

export function instrument(argv: string[], io: Io): number {
  const usage = (message: string): number => {
    io.stderr.write(`hotstate: ${message}\n\n${INSTRUMENT_HELP}`);
    return 2;
  };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        'out-dir': { type: 'string' },
        root: { type: 'string' },
        runtime: { type: 'string' },
        'on-incompatible': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return usage(`${error instanceof Error ? error.message : String(error)}.`);
  }
  if (values.help === true) {
    io.stdout.write(INSTRUMENT_HELP);
    return 0;
  }
  if (positionals.length !== 1) return usage(positionals.length === 0 ? 'instrument: missing the folder (`hotstate instrument <dir>`).' : `instrument: expected one folder, got ${positionals.length}.`);
  const dir = path.resolve(io.cwd, positionals[0]!);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return usage(`instrument: no such folder: ${positionals[0]}.`);
  const policy = (values['on-incompatible'] ?? 'reset') as string;
  if (!isIncompatiblePolicy(policy)) return usage(`--on-incompatible ${policy}: expected reset, reject or keep.`);
  const runtime = (values.runtime as string | undefined) ?? RUNTIME_SPECIFIER;
  if (runtime === '') return usage('--runtime: expected a module specifier.');
  const root = path.resolve(io.cwd, (values.root as string | undefined) ?? '.');
  const outDir = values['out-dir'] === undefined ? dir : path.resolve(io.cwd, values['out-dir'] as string);
  const show = (file: string): string => path.relative(io.cwd, file) || file;

  let instrumented = 0;
  let skipped = 0;
  let failed = 0;
  for (const file of jsFiles(dir, outDir)) {
    const target = path.join(outDir, path.relative(dir, file));
    const code = readFileSync(file, 'utf8');
    /** Leaves the file as it is (copied with --out-dir, with its map); `count`: as a skipped file. */
    const copy = (count = true): void => {
      if (count) skipped++;
      if (target === file) return;
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, code);
      const url = mapUrl(code);
      if (url !== undefined && !url.url.startsWith('data:')) {
        const map = path.resolve(path.dirname(file), decodeURI(url.url));
        const mapTarget = path.resolve(path.dirname(target), decodeURI(url.url));
        if (existsSync(map) && mapTarget !== map) {
          mkdirSync(path.dirname(mapTarget), { recursive: true });
          copyFileSync(map, mapTarget);
        }
      }
    };
    if (isInstrumented(code)) {
      copy();
      continue;
    }
    if (isCommonJs(code, file)) {
      copy(false);
      failed++;
      io.stderr.write(
        `hotstate: ${show(file)}: this is CommonJS (it uses require/exports and has no import or export), and hotstate instruments ES modules only. ` +
          `Compile to ES modules ("module": "esnext" or "nodenext" with "type": "module"), or add \`// @hotstate ignore\` to leave the file as it is. It was left as it is.\n`,
      );
      continue;
    }
    try {
      const result = instrumentFile(code, file, target, { id: moduleId(root, file), filename: show(file), runtime, onIncompatible: policy });
      if (result === null) {
        copy();
        continue;
      }
      for (const diagnostic of result.diagnostics) io.stderr.write(`hotstate: ${show(file)}:${diagnostic.line}: ${diagnostic.message}\n`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, result.code);
      writeFileSync(`${target}.map`, result.map);
      instrumented++;
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`hotstate: ${message.replace(/^\[hotstate\] /, '').replace(/ Fix it and save again; the running version keeps its state meanwhile\./, '')}\n`);
    }
  }
  io.stdout.write(`instrumented ${instrumented} file${instrumented === 1 ? '' : 's'}, skipped ${skipped}${failed > 0 ? `, failed ${failed}` : ''}\n`);
  return failed > 0 ? 1 : 0;
}

/**
 * Whether emitted JavaScript is a CommonJS module: `require(`, `module.exports` or `exports.` (as
 * tsc, esbuild and swc emit CommonJS), and no module syntax.
 * Files that say `// @hotstate ignore` are left to the transform, which skips them.
 */
function isCommonJs(code: string, file: string): boolean {
  if (mayOptOut(code) || !/\b(require\(|module\.exports\b|exports\.[\w$]+\s*=|Object\.defineProperty\(exports,)/.test(code)) return false;
  // The parser's word: no static import or export, no import.meta (a dynamic import() does not count).
  const parsed = parseSync(file, code);
  return parsed.errors.length === 0 && !parsed.module.hasModuleSyntax;
}

/** Every .js/.mjs file under `dir` (not node_modules, not `outDir` when it lies inside), sorted. */
function jsFiles(dir: string, outDir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !(outDir !== dir && full === outDir)) walk(full);
      } else if (entry.isFile() && /\.m?js$/.test(entry.name)) files.push(full);
    }
  };
  walk(dir);
  return files;
}

/** The last `//# sourceMappingURL=` comment of `code`: its URL and where the comment stands. */
function mapUrl(code: string): { url: string; start: number; end: number } | undefined {
  const re = /\/\/[#@] sourceMappingURL=([^\s'"]+)[ \t]*(?=\r?\n|$)/g;
  let last: RegExpExecArray | null = null;
  for (let match = re.exec(code); match !== null; match = re.exec(code)) last = match;
  return last === null ? undefined : { url: last[1]!, start: last.index, end: last.index + last[0].length };
}

interface RawMap {
  version: number;
  file?: string;
  sources: Array<string | null>;
  sourcesContent?: Array<string | null>;
  sourceRoot?: string;
  names: string[];
  mappings: string;
}

/** Reads the map a file points to; undefined when there is none or it cannot be read. */
function readMap(url: string, file: string): { map: RawMap; dir: string } | undefined {
  try {
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      const head = url.slice(0, comma);
      const body = url.slice(comma + 1);
      const text = head.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
      return { map: JSON.parse(text) as RawMap, dir: path.dirname(file) };
    }
    const mapFile = path.resolve(path.dirname(file), decodeURI(url));
    return { map: JSON.parse(readFileSync(mapFile, 'utf8')) as RawMap, dir: path.dirname(mapFile) };
  } catch {
    return undefined;
  }
}

/**
 * Instruments one file written at `target`: the code with a `sourceMappingURL` comment pointing at
 * `<target>.map`, and that map (chained with the file's own map, if any), as JSON.
 */
export function instrumentFile(
  code: string,
  file: string,
  target: string,
  options: { id: string; filename: string; runtime: string; onIncompatible: IncompatiblePolicy },
): { code: string; map: string; diagnostics: Array<{ line: number; message: string }> } | null {
  const url = mapUrl(code);
  // The comment goes; its line stays (empty), so every other position is unchanged.
  const stripped = url === undefined ? code : code.slice(0, url.start) + code.slice(url.end);
  const upstream = url === undefined ? undefined : readMap(url.url, file);
  const result = transform(stripped, { ...options, ...declaredIn(upstream, options) });
  if (result === null) return null;
  const targetDir = path.dirname(target);
  const rel = (absolute: string): string => path.relative(targetDir, absolute).split(path.sep).join('/');
  const own = JSON.parse(result.map.toString()) as RawMap;
  let map: RawMap;
  if (upstream === undefined || (upstream.map as { sections?: unknown }).sections !== undefined) {
    map = { version: 3, sources: [rel(file)], sourcesContent: [code], names: own.names, mappings: own.mappings };
  } else {
    const up = upstream.map;
    up.names ??= [];
    const base = path.resolve(upstream.dir, up.sourceRoot ?? '');
    const sources = up.sources.map((source) => (source === null ? null : /^[a-z][a-z0-9+.-]*:/i.test(source) ? source : rel(path.resolve(base, source))));
    map = { version: 3, sources, ...(up.sourcesContent ? { sourcesContent: up.sourcesContent } : {}), names: up.names, mappings: compose(own.mappings, own.names, up) };
  }
  map.file = path.basename(target);
  const text = result.code.endsWith('\n') ? result.code : `${result.code}\n`;
  return {
    code: `${text}//# sourceMappingURL=${encodeURI(path.basename(target))}.map\n`,
    map: `${JSON.stringify({ version: map.version, file: map.file, sources: map.sources, ...(map.sourcesContent ? { sourcesContent: map.sourcesContent } : {}), names: map.names, mappings: map.mappings })}\n`,
    diagnostics: result.diagnostics,
  };
}

/**
 * The schema of the TypeScript the file was compiled from, when its source map names exactly one
 * `.ts`/`.tsx`/`.mts` source whose text is in the map or on disk: declared types are part of the
 * state schema, and the emitted JavaScript no longer has them.
 */
function declaredIn(
  upstream: { map: RawMap; dir: string } | undefined,
  options: { id: string; runtime: string; onIncompatible: IncompatiblePolicy },
): { declared: ModuleSchema } | undefined {
  if (upstream === undefined) return undefined;
  const { map, dir } = upstream;
  const sources = map.sources.filter((source) => source !== null);
  if (sources.length !== 1 || map.sources.length !== 1 || !/\.[mc]?tsx?$/.test(sources[0]!)) return undefined;
  const file = path.resolve(dir, map.sourceRoot ?? '', sources[0]!);
  try {
    const text = map.sourcesContent?.[0] ?? readFileSync(file, 'utf8');
    const schema = transform(text, { ...options, filename: file })?.schema;
    return schema === undefined ? undefined : { declared: schema };
  } catch {
    // A source that is gone or does not parse: the JavaScript's own schema, without declared types.
    return undefined;
  }
}

type Segment = SourceMapSegment;

/**
 * Chains two maps: each segment of `outer` (instrumented → emitted JS, one source) is looked up in
 * `inner` (emitted JS → original sources) at the closest segment at or before it on its line;
 * segments that land on nothing are dropped. Names: the inner map's, else the outer's (appended).
 */
function compose(outerMappings: string, outerNames: string[], inner: RawMap): string {
  const innerLines = decode(inner.mappings).map((line) => line.filter((segment) => segment.length >= 4).sort((a, b) => a[0]! - b[0]!));
  const names = inner.names;
  const lines = decode(outerMappings).map((line) => {
    const out: Segment[] = [];
    for (const segment of line) {
      if (segment.length < 4) continue;
      const candidates = innerLines[segment[2]!];
      if (candidates === undefined) continue;
      let found: Segment | undefined;
      for (const candidate of candidates) {
        if (candidate[0]! > segment[3]!) break;
        found = candidate;
      }
      if (found === undefined) continue;
      const [column, source, line, col] = [segment[0], found[1]!, found[2]!, found[3]!];
      if (found.length === 5) out.push([column, source, line, col, found[4]]);
      else if (segment.length === 5) {
        const name = outerNames[segment[4]]!;
        let index = names.indexOf(name);
        if (index === -1) index = names.push(name) - 1;
        out.push([column, source, line, col, index]);
      } else out.push([column, source, line, col]);
    }
    return out;
  });
  return encode(lines);
}
