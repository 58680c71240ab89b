import { createHash } from 'node:crypto';
import { SourceMap } from 'magic-string';
import type { Comment } from 'oxc-parser';
import {
  CONTRACT_VERSION,
  packSchema,
  RUNTIME_EXPORT,
  RUNTIME_SPECIFIER,
  type IncompatiblePolicy,
  type ModuleMeta,
  type ModuleSchema,
} from '../runtime/contract.ts';
import { combineFacts, directiveOf, type InventoryOptions, type ModuleFacts, type StatementAnalysis } from './analyze.ts';
import type { Node } from './ast.ts';
import { withDeclared } from './declared.ts';
import { lineIndex } from './lines.ts';
import { EmittedNames } from './names.ts';
import { parseModule, parseRanges } from './parse.ts';
import { preludeForDeclaration } from './rewrite-functions.ts';
import { cellCall } from './rewrite-state.ts';
import {
  analyzeUnit,
  closedStatement,
  factsKey,
  groupStatements,
  instrumentUnits,
  moduleMappings,
  shiftUnit,
  unitEndAfter,
  type Diagnostic,
  type Group,
  type RewriteContext,
  type Unit,
} from './units.ts';

export type { Diagnostic };

export interface TransformOptions {
  /** Module ID: the file's path relative to the project root, with `/` separators. */
  id: string;
  /** The file name used in errors and source maps (absolute or relative). */
  filename: string;
  /** What to do when a declared type changes incompatibly. @default 'reset' */
  onIncompatible?: IncompatiblePolicy;
  /** The specifier the emitted code imports the runtime from. @default 'hotstate/runtime' */
  runtime?: string;
  /**
   * React Fast Refresh runs in the page that loads this module: leave components (in `.jsx`/`.tsx`
   * files) and hooks to it, since it needs a new function object per version to swap them in.
   * @default false
   */
  refresh?: boolean;
  /**
   * Each instance of the module's classes registers itself with the runtime as it is constructed
   * (a weak reference), so that a migration can reach every live instance where the heap cannot be
   * asked: in a browser page. Costs a little on every `new`; hosts turn it on for pages only.
   * @default false
   */
  trackInstances?: boolean;
  /**
   * The module's migrations, imported by the emitted code and handed to the runtime (see
   * `ModuleMeta.migrations`): `file` as reports name it (root-relative), `specifier` to import.
   */
  migrations?: ReadonlyArray<{ file: string; specifier: string }>;
  /**
   * When `code` is JavaScript compiled from TypeScript: the schema of that TypeScript source (see
   * `withDeclared`), so that declared types count as they do when the source is instrumented.
   */
  declared?: ModuleSchema;
}

export interface TransformResult {
  code: string;
  map: SourceMap;
  schema: ModuleSchema;
  diagnostics: Diagnostic[];
}

/** Instruments modules, and keeps each module's last transform to redo only what an edit changed. */
export interface Transformer {
  /**
   * Takes a module's source (TypeScript or JavaScript) and returns instrumented code with a
   * source map, the module's state schema and diagnostics; or `null` when the module opts out with
   * `// @hotstate ignore`. The result is the same as a fresh transform of `code`.
   *
   * When the module was transformed before with the same options and the edit since then stays
   * inside top-level statements (a function body, a method, an initializer), only the units of
   * lines that hold those statements are parsed and instrumented again (`units.ts`); the other
   * units' code and source map are reused, and so are the prelude and schema when the edit left
   * the module's facts and classes as they were.
   * When the module's state names change, when the edit reaches a statement boundary that
   * automatic semicolon insertion could move, or when the edited text does not parse on its own,
   * the whole module is transformed.
   */
  transform(code: string, options: TransformOptions): TransformResult | null;
  /** How many transforms parsed the whole module, and how many only what an edit touched. */
  readonly stats: { full: number; incremental: number };
}

/** What a transformer keeps of a module's last transform. */
interface Entry {
  code: string;
  /** Where the first unit starts: after a hashbang line, or 0. */
  head: number;
  hashbangEnd: number;
  units: Unit[];
  /** The prefix of emitted names, and the state names the units were instrumented for. */
  prefix: string;
  context: string;
  /** The module's facts and schema, and the prelude split where the stale global's name goes. */
  facts: ModuleFacts;
  schema: ModuleSchema;
  prelude: string[];
  /** What else the prelude and schema were made from (`TransformOptions.migrations`, `declared`). */
  migrations: string;
  declared: ModuleSchema | undefined;
  /** About how many characters the entry holds. */
  size: number;
}

type Built = { entry: Entry; result: TransformResult };

/**
 * A transformer with its own cache. `cacheSize` bounds it, in characters of source, output and
 * source map (the modules transformed longest ago go first).
 */
export function createTransformer({ cacheSize = 32_000_000 }: { cacheSize?: number } = {}): Transformer {
  const entries = new Map<string, Entry>();
  let total = 0;
  const forget = (key: string): void => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    total -= entry.size;
    entries.delete(key);
  };
  const stats = { full: 0, incremental: 0 };
  return {
    stats,
    transform(code, options) {
      const key = `${options.filename}\0${options.id}\0${options.onIncompatible ?? ''}\0${options.runtime ?? ''}\0${options.refresh === true}\0${options.trackInstances === true}`;
      const entry = entries.get(key);
      let built: Built | null | undefined;
      try {
        if (entry !== undefined) built = incremental(entry, code, options);
      } catch {
        // Never worse than a fresh transform.
        built = undefined;
      }
      if (built !== undefined) stats.incremental++;
      else {
        built = full(code, options);
        stats.full++;
      }
      forget(key);
      if (built === null) return null;
      entries.set(key, built.entry);
      total += built.entry.size;
      for (const [oldest] of entries) {
        if (total <= cacheSize || entries.size === 1) break;
        forget(oldest);
      }
      return built.result;
    },
  };
}

/** The transformer `transform` uses: one cache per process. */
export const defaultTransformer: Transformer = createTransformer();

/**
 * The one transform every host uses (`Transformer.transform` of `defaultTransformer`).
 *
 * Edits are made in place and the prelude is prepended to the first line, so that every original
 * line keeps its number even without the source map.
 */
export function transform(code: string, options: TransformOptions): TransformResult | null {
  return defaultTransformer.transform(code, options);
}

function inventoryOptions(options: TransformOptions): InventoryOptions {
  const refresh = options.refresh === true && (/\.[jt]sx$/.test(options.filename.replace(/[?#].*$/, '')) ? 'jsx' : 'hooks');
  return { refresh };
}

function rewriteContext(code: string, names: EmittedNames, facts: ModuleFacts, options: TransformOptions): RewriteContext {
  return { code, names, cells: facts.cells, exportedCells: facts.exportedCells, onceNames: facts.onceNames, trackInstances: options.trackInstances === true };
}

/** The state names every unit's rewrites depend on, as one string. */
function contextOf(facts: ModuleFacts): string {
  return [facts.cells, facts.exportedCells, facts.onceNames].map((names) => [...names].sort().join(',')).join('|');
}

function emittedNames(code: string, options: TransformOptions): EmittedNames {
  return new EmittedNames(code, createHash('sha256').update(`${options.id}\0${code}`).digest('hex').slice(0, 8));
}

/** Parses and instruments the whole module. */
function full(code: string, options: TransformOptions): Built | null {
  const { program, comments } = parseModule(code, options.filename);
  if (comments.some((comment) => directiveOf(comment) === 'ignore')) return null;
  const line = lineIndex(code);
  const hashbang = (program as unknown as Node).hashbang as Node | null;
  const hashbangEnd = hashbang ? hashbang.end : -1;
  const head = hashbang ? code.indexOf('\n', hashbang.end) + 1 || code.length : 0;
  const groups = groupStatements(program.body as unknown as Node[], code, head, code.length);
  const inventory = inventoryOptions(options);
  const analyses = groups.map((group) => analyzeUnit(group.statements, code, comments, line, inventory));
  const facts = combineFacts(analyses.flat().map((analysis) => analysis.facts));
  const names = emittedNames(code, options);
  const ctx = rewriteContext(code, names, facts, options);
  const units = instrumentUnits(groups, analyses, ctx, undefined, line);
  return finish(code, options, { head, hashbangEnd, units, names, facts, context: contextOf(facts) });
}

/**
 * A stretch of the new source: an earlier unit found again at `at`, or new text (empty when units
 * were deleted) in place of the earlier units `replaced`.
 */
type Tile = { unit: Unit; at: number } | { start: number; end: number; replaced: Unit[] };

/**
 * Lines up the new source with the units of the last one: each unit is either found again where
 * the previous one ended, or the text up to the next unit found again (at a line start) is new.
 * Undefined when that takes too many searches (the source was mostly rewritten).
 */
function tile(entry: Entry, code: string): Tile[] | undefined {
  const { units, code: old } = entry;
  const textOf = (unit: Unit): string => old.slice(unit.start, unit.end);
  /** Where `unit` occurs again at a line start from `from` on (a unit without a final line break only at the end). */
  const find = (unit: Unit, from: number): number => {
    const text = textOf(unit);
    if (text === '') return -1;
    for (let at = code.indexOf(text, from); at !== -1; at = code.indexOf(text, at + 1)) {
      if ((at === 0 || code[at - 1] === '\n') && (text.endsWith('\n') || at + text.length === code.length)) return at;
    }
    return -1;
  };
  const tiles: Tile[] = [];
  let searches = 0;
  let at = entry.head;
  let k = 0;
  while (k < units.length || at < code.length) {
    const unit = units[k];
    // Compared as two slices: about ten times faster than `startsWith` at `at` in V8.
    const text = unit === undefined ? '' : textOf(unit);
    if (unit !== undefined && code.slice(at, at + text.length) === text && (text.endsWith('\n') || at + text.length === code.length)) {
      tiles.push({ unit, at });
      at += unit.end - unit.start;
      k++;
      continue;
    }
    let to = k;
    let next = -1;
    for (; to < units.length; to++) {
      if (++searches > 32) return undefined;
      next = find(units[to]!, at);
      if (next !== -1) break;
    }
    if (to === units.length) next = code.length;
    tiles.push({ start: at, end: next, replaced: units.slice(k, to) });
    at = next;
    k = to;
  }
  return tiles;
}

/**
 * Parses and instruments again only the text an edit from `entry.code` to `code` changed (one or
 * more runs of whole units), or returns undefined when an edit cannot be confined that way.
 */
function incremental(entry: Entry, code: string, options: TransformOptions): Built | undefined {
  if (entry.units.length === 0 || !code.startsWith(entry.code.slice(0, entry.head))) return undefined;
  const tiles = tile(entry, code);
  if (tiles === undefined) return undefined;
  // New text is parsed on its own (all of it in one parse, the rest blanked out). That parse is
  // the module's only if the statement before it ends where it does whatever follows, and so does
  // its own last statement, right before the line where the next unit starts (at no hazard).
  const regions: Array<{ start: number; end: number; index: number; statements: Node[] }> = [];
  for (const [i, t] of tiles.entries()) {
    if ('unit' in t) continue;
    const before = tiles[i - 1] as { unit: Unit } | undefined;
    const after = tiles[i + 1] as { unit: Unit } | undefined;
    if (before !== undefined && (!before.unit.closed || !before.unit.boundary)) return undefined;
    if (after !== undefined && after.unit.hazard) return undefined;
    if (t.start < t.end) regions.push({ start: t.start, end: t.end, index: i, statements: [] });
  }
  let comments: Comment[] = [];
  if (regions.length > 0) {
    const parsed = parseRanges(code, regions, options.filename);
    if (parsed === null || parsed.comments.some((comment) => directiveOf(comment) === 'ignore')) return undefined;
    comments = parsed.comments;
    let r = 0;
    for (const statement of parsed.program.body as unknown as Node[]) {
      while (statement.start >= regions[r]!.end) r++;
      if (statement.end > regions[r]!.end) return undefined;
      regions[r]!.statements.push(statement);
    }
    for (const region of regions) {
      const last = region.statements.at(-1);
      if (last === undefined) return undefined;
      if (region.index < tiles.length - 1 && (!closedStatement(code, last) || unitEndAfter(code, last) !== region.end)) return undefined;
    }
  }
  const line = lineIndex(code);
  type Fresh = { groups: Group[]; analyses: StatementAnalysis[][]; replaced: Unit[] };
  const pieces: Array<Unit | Fresh> = [];
  let r = 0;
  const inventory = inventoryOptions(options);
  // Whether the module's facts are what they were: no unit kept moved to another line, and the new
  // text adds what the units it replaced added.
  let sameFacts = true;
  for (const t of tiles) {
    if ('unit' in t) {
      const lines = line(t.at) - 1 - t.unit.line;
      sameFacts &&= lines === 0;
      pieces.push(shiftUnit(t.unit, t.at - t.unit.start, lines));
      continue;
    }
    let analyses: StatementAnalysis[][] = [];
    if (t.start < t.end) {
      const region = regions[r++]!;
      const groups = groupStatements(region.statements, code, region.start, region.end);
      analyses = groups.map((group) => analyzeUnit(group.statements, code, comments, line, inventory));
      pieces.push({ groups, analyses, replaced: t.replaced });
    }
    sameFacts &&= factsKey(analyses.flat().map((analysis) => analysis.facts)) === factsKey(t.replaced.map((unit) => unit.facts));
  }
  const facts = sameFacts
    ? entry.facts
    : combineFacts(pieces.flatMap((piece) => ('line' in piece ? [piece.facts] : piece.analyses.flat().map((analysis) => analysis.facts))));
  const names = emittedNames(code, options);
  // The units kept were instrumented for the same state names.
  const context = sameFacts ? entry.context : contextOf(facts);
  if (names.hs !== entry.prefix || context !== entry.context) return undefined;
  const ctx = rewriteContext(code, names, facts, options);
  const units: Unit[] = [];
  // And the schema is what it was when, in addition, the new units have the classes of those they replaced.
  let sameSchema = sameFacts;
  for (const piece of pieces) {
    if ('line' in piece) {
      units.push(piece);
      continue;
    }
    const fresh = instrumentUnits(piece.groups, piece.analyses, ctx, units.at(-1)?.lastChar, line);
    units.push(...fresh);
    const classesOf = (run: Unit[]): string => JSON.stringify(run.flatMap((unit) => unit.classes));
    sameSchema &&= classesOf(fresh) === classesOf(piece.replaced);
  }
  return finish(code, options, { head: entry.head, hashbangEnd: entry.hashbangEnd, units, names, facts, context }, sameSchema ? entry : undefined);
}

/**
 * Puts the module together from its units: prelude, units, commit; source map; schema. `previous`
 * is the module's last entry when its facts and schema are known to be the same: then its schema
 * and prelude are reused, unless the migrations or declared types given changed.
 */
function finish(
  code: string,
  options: TransformOptions,
  { head, hashbangEnd, units, names, facts, context }: { head: number; hashbangEnd: number; units: Unit[]; names: EmittedNames; facts: ModuleFacts; context: string },
  previous?: Entry,
): Built {
  const migrations = options.migrations ?? [];
  const migrationsKey = JSON.stringify(migrations);
  let schema: ModuleSchema;
  let preludeParts: string[];
  if (previous !== undefined && previous.migrations === migrationsKey && previous.declared === options.declared) {
    schema = previous.schema;
    preludeParts = previous.prelude;
  } else {
    schema = withDeclared(
      {
        bindings: facts.bindings,
        classes: units.flatMap((unit) => unit.classes).sort((a, b) => (a.name < b.name ? -1 : 1)),
      },
      options.declared,
    );
    const meta: ModuleMeta = {
      contract: CONTRACT_VERSION,
      id: options.id,
      schema,
      onIncompatible: options.onIncompatible ?? 'reset',
      staleGlobal: names.staleGlobal,
      ...(options.trackInstances === true ? { trackInstances: true as const } : {}),
    };
    preludeParts = prelude(names, meta, facts, options.runtime ?? RUNTIME_SPECIFIER, migrations).split(names.staleGlobal);
  }
  const preludeText = preludeParts.join(names.staleGlobal);
  // After a hashbang line, which must stay first.
  const parts = [hashbangEnd >= 0 ? `${code.slice(0, hashbangEnd)}\n${preludeText}${code.slice(hashbangEnd, head)}` : preludeText];
  let size = code.length;
  for (const unit of units) {
    parts.push(unit.text.join(names.staleGlobal));
    size += unit.map.rest.length + unit.text.reduce((n, part) => n + part.length, 0);
  }
  parts.push(`\n${names.hs}.commit();\n`);
  const out = parts.join('');
  const mappings = moduleMappings(
    hashbangEnd >= 0 ? { segment: true, lines: code.slice(hashbangEnd, head).includes('\n') ? 2 : 1, column: 0 } : { segment: false, lines: 0, column: preludeText.length },
    units,
  );
  const map = new SourceMap({ sources: [options.filename.split(/[/\\]/).join('/')], sourcesContent: [code], names: [], mappings });
  return {
    entry: { code, head, hashbangEnd, units, prefix: names.hs, context, facts, schema, prelude: preludeParts, migrations: migrationsKey, declared: options.declared, size },
    result: { code: out, map, schema, diagnostics: units.flatMap((unit) => unit.diagnostics) },
  };
}

function prelude(
  names: EmittedNames,
  meta: ModuleMeta,
  found: ModuleFacts,
  runtime: string,
  migrations: ReadonlyArray<{ file: string; specifier: string }>,
): string {
  const enter = found.topLevelAwait ? `await ${names.runtime}.enterQueued` : `${names.runtime}.enter`;
  const migration = (i: number): string => `${names.hs}_migration_${i}`;
  // The meta object is JSON with the schema packed into one string literal, plus the imported
  // migrations by reference.
  const packed = packSchema(meta.schema).replace(/[\\']/g, '\\$&');
  const json = JSON.stringify({ ...meta, schema: 0 }).replace('"schema":0', () => `"schema":'${packed}'`);
  const metaText =
    migrations.length === 0
      ? json
      : `${json.slice(0, -1)},"migrations":[${migrations.map((m, i) => `{"file":${JSON.stringify(m.file)},"migration":${migration(i)}}`).join(',')}]}`;
  const hot = `${names.hs}_hot`;
  const settle = `(m) => ${names.runtime}.settle(${hot}, m)`;
  const parts = [
    `import { ${RUNTIME_EXPORT} as ${names.runtime} } from ${JSON.stringify(runtime)};`,
    ...migrations.map((m, i) => `import { migration as ${migration(i)} } from ${JSON.stringify(m.specifier)};`),
    `var ${hot} = import.meta.hot;`,
    // Vite's import analysis looks for a literal `import.meta.hot.accept(` / `.acceptExports([...])`.
    // A module whose exports all keep working across versions (state, functions, classes) accepts
    // itself; one that also exports code (a plain const, a default expression, a re-export) accepts
    // only the stable exports, so importers of the code exports run again and see new values.
    // It comes before `enter`, so that a version `enter` refuses still has it for the next update.
    found.stableExports === null
      ? `if (import.meta.hot) import.meta.hot.accept(${settle});`
      : `if (import.meta.hot) import.meta.hot.acceptExports(${JSON.stringify(found.stableExports)}, ${settle});`,
    `var ${names.hs} = ${enter}(${hot}, ${metaText}, ${names.live});`,
    `function ${names.live}() {}`,
  ];
  for (const name of found.declaredFunctions) parts.push(preludeForDeclaration(names, name));
  // A `var` exists before the module body runs (a circular importer may already read or write it),
  // so its binding starts as a hoisted function object that stands in for the cell until here.
  for (const name of found.moduleVars) {
    parts.push(`function ${name}() {} ${name} = ${cellCall(names, name, found.exportedCells.has(name), false, name)};`);
  }
  return parts.join(' ');
}
