import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import type TS from 'typescript';
import { CONTRACT_VERSION, isIncompatiblePolicy, RUNTIME_SPECIFIER, type IncompatiblePolicy } from '../runtime/contract.ts';
import { HotstateError } from '../runtime/errors.ts';
import { lineAt, lineStarts, lineStartsTs } from './lines.ts';
import { mayOptOut } from './marker.ts';
import { moduleId } from './module-id.ts';
import { SyntaxErrorAt } from './parse.ts';
import { transform, type TransformResult } from './transform.ts';

/**
 * `hotstate/tsc`: the TypeScript custom transformer (tested with TypeScript 5.9 and 6.0). It instruments each
 * emitted file exactly as the Vite plugin does, with the same transform, and hands TypeScript a
 * source file it finishes as usual: the host's target, module format, helpers and source maps.
 *
 * How a file goes through it (a `before` transformer, so it sees the file's TypeScript text with
 * its type annotations, which are part of the state schema):
 * 1. the transform instruments the source text (TypeScript in, TypeScript out, with a source map);
 * 2. the host's own `ts.transpileModule` compiles that text with the host's options, except that
 *    the module format stays ES modules, so nothing is left for the host that needs its type
 *    checker (import elision, enums, decorators are done on the instrumented text, per file, as
 *    `isolatedModules` does);
 * 3. the JavaScript is parsed, and every node that comes from the original source is given its
 *    original position (through both source maps, checked against the original syntax tree); the
 *    others are new. The result replaces the file's statements, so TypeScript prints it against
 *    the original text: comments, literals and source maps come from the original file.
 */

type TypeScript = typeof TS;

export interface HotstateTscOptions {
  /**
   * The TypeScript module the host compiles with (`import ts from 'typescript'`). hotstate never
   * loads a TypeScript of its own: the nodes it returns must come from the host's copy.
   */
  ts: TypeScript;
  /** The program being emitted, when the host has one: its current directory is the default root. */
  program?: TS.Program;
  /**
   * The project root: module IDs (in reports, the schema snapshot and migrations) are file paths
   * relative to it. Use the folder `hotstate check` runs in. In the ts-patch entry, relative to
   * the tsconfig.json's folder.
   * @default the folder of the program's tsconfig.json, else the program's current directory,
   * else `process.cwd()`
   */
  root?: string;
  /** What an update does when a declared type changes incompatibly: `reset`, `reject` or `keep`. @default 'reset' */
  onIncompatible?: IncompatiblePolicy;
  /** The specifier the emitted code imports the runtime from. @default 'hotstate/runtime' */
  runtime?: string;
  /**
   * Instances register with the runtime as they are constructed, so that migrations reach them
   * where the heap cannot be asked (code that runs in a browser page). @default false
   */
  trackInstances?: boolean;
  /**
   * Receives hotstate's diagnostics (real TypeScript diagnostics: file, start, length, category,
   * code; see `TSC_DIAGNOSTICS`). TypeScript gives a transformer no way to add to the diagnostics
   * of `program.emit` or `transpileModule`, so pass this to report them with your own. Under
   * ts-patch they are added to the program's diagnostics, which `tspc` prints with its own.
   * @default write each one to stderr, formatted as tsc does
   */
  onDiagnostic?: (diagnostic: TS.Diagnostic) => void;
}

/**
 * Codes of the diagnostics hotstate adds to the compilation (shown as `TS<code>`). Each message
 * says what went wrong and what to do.
 */
export const TSC_DIAGNOSTICS = {
  /** The file does not parse for hotstate; it is emitted without instrumentation. */
  syntax: 960_001,
  /** The file is emitted as CommonJS; hotstate instruments ES modules only. */
  commonJs: 960_002,
  /** A pattern hotstate does not upgrade yet (`accessor` fields). */
  unsupported: 960_003,
  /** A bug in hotstate; the file is emitted without instrumentation. */
  internal: 960_004,
} as const;

const TS7_MESSAGE =
  'TypeScript 7 (the native compiler) has no transformer API, so hotstate/tsc cannot run inside it. ' +
  'Compile with tsc 7 as usual and instrument the emitted JavaScript: `npx hotstate instrument <outDir>` ' +
  '(it keeps your source maps). Or compile with TypeScript 5.9 or 6.0 to use hotstate/tsc.';

/** Fails at once when `ts` cannot run custom transformers, with what to use instead. */
function checkTypeScript(ts: unknown): asserts ts is TypeScript {
  const version = (ts as { version?: unknown } | undefined)?.version;
  if (typeof version !== 'string') {
    throw new HotstateError(
      'hotstate/tsc needs the TypeScript module your build compiles with: `hotstateTransformer({ ts })`, with `import ts from "typescript"`.',
    );
  }
  const major = Number(version.split('.')[0]);
  const api = ts as Partial<TypeScript>;
  if (major >= 7 || typeof api.transpileModule !== 'function' || typeof api.createSourceFile !== 'function' || api.factory === undefined) {
    throw new HotstateError(`found TypeScript ${version}. ${TS7_MESSAGE}`);
  }
  if (major < 5) throw new HotstateError(`hotstate/tsc needs TypeScript 5 or 6 (tested with 5.9 and 6.0), found ${version}. Upgrade TypeScript, or instrument the emitted JavaScript with \`npx hotstate instrument <outDir>\`.`);
}

/**
 * A `before` transformer factory that instruments every emitted module. For `program.emit`,
 * `ts.transpileModule`, ts-loader's `getCustomTransformers` and ts-jest:
 *
 * ```ts
 * import ts from 'typescript';
 * import { hotstateTransformer } from 'hotstate/tsc';
 * program.emit(undefined, undefined, undefined, false, { before: [hotstateTransformer({ ts, program })] });
 * ```
 */
export function hotstateTransformer(options: HotstateTscOptions): TS.TransformerFactory<TS.SourceFile> {
  checkTypeScript(options?.ts);
  const { ts } = options;
  const onIncompatible = options.onIncompatible ?? 'reset';
  if (!isIncompatiblePolicy(onIncompatible)) {
    throw new HotstateError(`hotstate/tsc: onIncompatible "${String(onIncompatible)}" is not one of reset, reject, keep.`);
  }
  const root = options.root ?? programRoot(options.program) ?? process.cwd();
  const settings: FileSettings = {
    root,
    onIncompatible,
    runtime: options.runtime ?? RUNTIME_SPECIFIER,
    trackInstances: options.trackInstances === true,
    onDiagnostic:
      options.onDiagnostic ??
      ((diagnostic) => process.stderr.write(ts.formatDiagnostic(diagnostic, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }))),
  };
  return (context) => (sourceFile) => instrumentSourceFile(ts, context, sourceFile, settings);
}

/**
 * The ts-patch entry (`"plugins": [{ "transform": "hotstate/tsc" }]` in tsconfig.json, with
 * `onIncompatible`, `root`, `runtime` and `trackInstances` as further keys of that entry).
 */
export default function hotstateTsPatch(
  program: TS.Program,
  config: Record<string, unknown> = {},
  extras: { ts?: TypeScript; addDiagnostic?: (diagnostic: TS.Diagnostic) => unknown } = {},
): TS.TransformerFactory<TS.SourceFile> {
  const option = (key: string): string | undefined => {
    const value = config[key];
    if (value === undefined || typeof value === 'string') return value;
    throw new HotstateError(`the "hotstate/tsc" entry of compilerOptions.plugins: "${key}" must be a string, got ${JSON.stringify(value)}.`);
  };
  const onIncompatible = option('onIncompatible');
  if (onIncompatible !== undefined && !isIncompatiblePolicy(onIncompatible)) {
    throw new HotstateError(`the "hotstate/tsc" entry of compilerOptions.plugins: "onIncompatible" must be reset, reject or keep, got "${onIncompatible}".`);
  }
  const root = option('root');
  const runtime = option('runtime');
  if (extras.ts === undefined) {
    throw new HotstateError(
      'the "hotstate/tsc" entry of compilerOptions.plugins needs ts-patch 3 or later, which passes its TypeScript to the transformer (run tsc through `tspc`). ' +
        'Outside ts-patch, use `hotstateTransformer({ ts })` from "hotstate/tsc".',
    );
  }
  return hotstateTransformer({
    ts: extras.ts,
    program,
    ...(root === undefined ? {} : { root: path.resolve(programRoot(program) ?? process.cwd(), root) }),
    ...(onIncompatible === undefined ? {} : { onIncompatible }),
    ...(runtime === undefined ? {} : { runtime }),
    trackInstances: config.trackInstances === true,
    ...(typeof extras.addDiagnostic === 'function' ? { onDiagnostic: (diagnostic: TS.Diagnostic) => void extras.addDiagnostic!(diagnostic) } : {}),
  });
}

/** The folder of the program's tsconfig.json, else its current directory. */
function programRoot(program: TS.Program | undefined): string | undefined {
  if (program === undefined) return undefined;
  const config = program.getCompilerOptions().configFilePath;
  return typeof config === 'string' ? path.dirname(config) : program.getCurrentDirectory();
}

/** ts-jest's `astTransformers` entry: `{ before: [{ path: 'hotstate/tsc', options: { … } }] }`. */
export const name = 'hotstate';
/** Part of ts-jest's cache key: changes with hotstate's version and the emitted code's contract. */
export const version: string = `${packageVersion()}-contract-${CONTRACT_VERSION}`;

/** hotstate's version, from the package.json above this file (in the package or a checkout). */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'hotstate' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json here: look further up.
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
export function factory(
  compiler: { configSet: { compilerModule: TypeScript }; program?: TS.Program },
  options: Omit<HotstateTscOptions, 'ts' | 'program' | 'onDiagnostic'> = {},
): TS.TransformerFactory<TS.SourceFile> {
  return hotstateTransformer({ ...options, ts: compiler.configSet.compilerModule, ...(compiler.program === undefined ? {} : { program: compiler.program }) });
}

interface FileSettings {
  root: string;
  onIncompatible: IncompatiblePolicy;
  runtime: string;
  trackInstances: boolean;
  onDiagnostic: (diagnostic: TS.Diagnostic) => void;
}

const NEVER = /[\\/]node_modules[\\/]|\.d\.[mc]?ts$|\.json$/;

function instrumentSourceFile(ts: TypeScript, context: TS.TransformationContext, sourceFile: TS.SourceFile, settings: FileSettings): TS.SourceFile {
  if (sourceFile.isDeclarationFile || NEVER.test(sourceFile.fileName)) return sourceFile;
  const compilerOptions = context.getCompilerOptions();
  const report = (code: number, category: TS.DiagnosticCategory, message: string, start = 0, length = 0): void => {
    settings.onDiagnostic({ file: sourceFile, start, length, messageText: `hotstate: ${message}`, category, code, source: 'hotstate' });
  };

  if (emitsCommonJs(ts, sourceFile, compilerOptions)) {
    if (!mayOptOut(sourceFile.text)) {
      report(
        TSC_DIAGNOSTICS.commonJs,
        ts.DiagnosticCategory.Error,
        'this file is emitted as CommonJS, and hotstate instruments ES modules only (hot updates need `import.meta.hot`). ' +
          'Emit ES modules ("module": "esnext" or "es2022", or "nodenext" with "type": "module" in package.json), ' +
          'or leave this file to plain TypeScript with a `// @hotstate ignore` comment. It is emitted without hotstate.',
      );
    }
    return sourceFile;
  }

  let result: TransformResult | null;
  try {
    result = transform(sourceFile.text, {
      id: moduleId(settings.root, sourceFile.fileName),
      filename: sourceFile.fileName,
      onIncompatible: settings.onIncompatible,
      runtime: settings.runtime,
      trackInstances: settings.trackInstances,
    });
  } catch (error) {
    if (error instanceof SyntaxErrorAt) {
      // TypeScript reports its own syntax errors; only what it accepts and hotstate does not is news.
      if (!hasParseErrors(sourceFile)) {
        report(TSC_DIAGNOSTICS.syntax, ts.DiagnosticCategory.Error, `cannot parse this file: ${error.reason}. It is emitted without hotstate; please report it if TypeScript accepts this syntax.`, error.offset, 1);
      }
    } else {
      report(
        TSC_DIAGNOSTICS.internal,
        ts.DiagnosticCategory.Warning,
        `internal error while instrumenting this file; it is emitted without hotstate, so its state is not kept across updates. ` +
          `This is a bug in hotstate; please report it with this file. ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return sourceFile;
  }
  if (result === null) return sourceFile;
  const starts = result.diagnostics.length === 0 ? [] : lineStarts(sourceFile.text);
  for (const diagnostic of result.diagnostics) {
    // At the first token of the reported line and column (the transform reports column 0 for members).
    const at = (starts[diagnostic.line - 1] ?? 0) + diagnostic.column;
    const start = at + (/^[ \t]*/.exec(sourceFile.text.slice(at))?.[0].length ?? 0);
    const lineEnd = sourceFile.text.indexOf('\n', start);
    report(TSC_DIAGNOSTICS.unsupported, ts.DiagnosticCategory.Warning, diagnostic.message, start, (lineEnd === -1 ? sourceFile.text.length : lineEnd) - start);
  }
  return replaceStatements(ts, sourceFile, result, compilerOptions);
}

/** Whether TypeScript emits this file as CommonJS (or AMD, UMD, System), where `import.meta` does not exist. */
function emitsCommonJs(ts: TypeScript, sourceFile: TS.SourceFile, options: TS.CompilerOptions): boolean {
  // TypeScript's own answer (an internal function of TypeScript 5.6 and later; it reads
  // `impliedNodeFormat` for node16…nodenext); without it, the same from the option and the file.
  const worker = (ts as { getEmitModuleFormatOfFileWorker?: (file: TS.SourceFile, options: TS.CompilerOptions) => TS.ModuleKind }).getEmitModuleFormatOfFileWorker;
  const kind = options.module ?? ((options.target ?? ts.ScriptTarget.ES5) >= ts.ScriptTarget.ES2015 ? ts.ModuleKind.ES2015 : ts.ModuleKind.CommonJS);
  const format =
    typeof worker === 'function'
      ? worker(sourceFile, options)
      : kind >= ts.ModuleKind.Node16 && kind <= ts.ModuleKind.NodeNext
        ? (sourceFile.impliedNodeFormat ?? ts.ModuleKind.CommonJS)
        : kind;
  const { None, CommonJS, AMD, UMD, System } = ts.ModuleKind;
  return format === None || format === CommonJS || format === AMD || format === UMD || format === System;
}

function hasParseErrors(sourceFile: TS.SourceFile): boolean {
  return ((sourceFile as { parseDiagnostics?: unknown[] }).parseDiagnostics?.length ?? 0) > 0;
}

/**
 * The original source file with the instrumented code as its statements (TypeScript the host
 * finishes, or JavaScript compiled first), placed at the original positions wherever they come
 * from the original text.
 */
function replaceStatements(ts: TypeScript, sourceFile: TS.SourceFile, result: TransformResult, host: TS.CompilerOptions): TS.SourceFile {
  const statements = (hostCanFinish(ts, sourceFile, host) ? instrumentedStatements(ts, sourceFile, result) : undefined) ?? compiledStatements(ts, sourceFile, result, host);
  return ts.factory.updateSourceFile(sourceFile, ts.setTextRange(ts.factory.createNodeArray(statements), sourceFile.statements));
}

/**
 * Whether the host's own transforms can finish the instrumented TypeScript: none of them then
 * needs its checker on a node hotstate made. They do for decorators, enums, namespaces,
 * `import =`/`export =` and class features below ES2022; such files are compiled first
 * (`compiledStatements`).
 */
function hostCanFinish(ts: TypeScript, sourceFile: TS.SourceFile, host: TS.CompilerOptions): boolean {
  // TypeScript's default target (an internal function; it changed between versions), else ES5.
  const emitTarget = (ts as { getEmitScriptTarget?: (options: TS.CompilerOptions) => TS.ScriptTarget }).getEmitScriptTarget;
  const target = typeof emitTarget === 'function' ? emitTarget(host) : (host.target ?? ts.ScriptTarget.ES5);
  if (target < ts.ScriptTarget.ES2022 || host.useDefineForClassFields === false || host.experimentalDecorators === true) return false;
  const { Decorator, EnumDeclaration, ModuleDeclaration, ImportEqualsDeclaration, ExportAssignment } = ts.SyntaxKind;
  const needsChecker = (node: TS.Node): boolean =>
    node.kind === Decorator || node.kind === EnumDeclaration || node.kind === ModuleDeclaration || node.kind === ImportEqualsDeclaration || node.kind === ExportAssignment || ts.forEachChild(node, needsChecker) === true;
  return ts.forEachChild(sourceFile, needsChecker) !== true;
}

/**
 * The instrumented TypeScript as the file's statements, for the host to finish. Its imports and
 * exports are the original nodes (they are unchanged), so that the host's checker decides as
 * usual which ones only bring types (and leaves them out); the ones hotstate adds are values.
 * Undefined when an import or export of the file's own changed (a cell's `export { count }`):
 * then the file is compiled first.
 */
function instrumentedStatements(ts: TypeScript, sourceFile: TS.SourceFile, result: TransformResult): readonly TS.Statement[] | undefined {
  const kind = /\.[cm]?tsx$/.test(sourceFile.fileName) ? ts.ScriptKind.TSX : /\.jsx$/.test(sourceFile.fileName) ? ts.ScriptKind.JSX : /\.[cm]?js$/.test(sourceFile.fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const parsed = ts.createSourceFile(sourceFile.fileName, result.code, ts.ScriptTarget.Latest, true, kind);
  const isModuleStatement = (s: TS.Statement): s is TS.ImportDeclaration | TS.ExportDeclaration => ts.isImportDeclaration(s) || ts.isExportDeclaration(s);
  const originals = new Map(sourceFile.statements.filter(isModuleStatement).map((s) => [s.getText(sourceFile), s]));
  const same: Array<TS.Statement | undefined> = [];
  for (const statement of parsed.statements) {
    const original = isModuleStatement(statement) ? originals.get(statement.getText(parsed)) : undefined;
    if (isModuleStatement(statement) && original === undefined && !addedByHotstate(ts, statement)) return undefined;
    same.push(original);
  }
  placeNodes(ts, sourceFile, parsed, offsetMapper(result.map.mappings, lineStarts(result.code), lineStarts(sourceFile.text), false));
  return parsed.statements.map((s, i) => same[i] ?? s);
}

/** The runtime and migration imports, and the exports of cells' mirrors: values hotstate adds. */
function addedByHotstate(ts: TypeScript, statement: TS.ImportDeclaration | TS.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(statement)) {
    const bindings = statement.importClause?.namedBindings;
    return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.every((e) => e.propertyName !== undefined && /^(__hotstate|migration)$/.test(e.propertyName.text) && e.name.text.startsWith('__hs'));
  }
  const clause = statement.exportClause;
  return statement.moduleSpecifier === undefined && clause !== undefined && ts.isNamedExports(clause) && clause.elements.every((e) => (e.propertyName ?? e.name).getText().startsWith('__hs'));
}

/** The instrumented text compiled to JavaScript with the host's options, as the file's statements. */
function compiledStatements(ts: TypeScript, sourceFile: TS.SourceFile, result: TransformResult, host: TS.CompilerOptions): readonly TS.Statement[] {
  const inner = innerCompile(ts, sourceFile.fileName, host);
  const compiled = ts.transpileModule(result.code, { fileName: inner.fileName, compilerOptions: inner.options, reportDiagnostics: false });
  const js = compiled.outputText.replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '\n');
  const kind = /^(react-native|preserve)$/i.test(String(ts.JsxEmit[host.jsx ?? ts.JsxEmit.None] ?? '')) && /\.[jt]sx$/.test(sourceFile.fileName) ? ts.ScriptKind.JSX : ts.ScriptKind.JS;
  const output = ts.createSourceFile(sourceFile.fileName, js, ts.ScriptTarget.Latest, true, kind);

  // TypeScript's source maps break lines where TypeScript does (also at a lone \r, U+2028, U+2029);
  // magic-string's, at \n only.
  const toInstrumented = offsetMapper(JSON.parse(compiled.sourceMapText!).mappings, lineStartsTs(js), lineStartsTs(result.code), true);
  const toOriginal = offsetMapper(result.map.mappings, lineStarts(result.code), lineStarts(sourceFile.text), false);
  const original = (offset: number): number | undefined => {
    const at = toInstrumented(offset);
    return at === undefined ? undefined : toOriginal(at);
  };
  placeNodes(ts, sourceFile, output, original);
  return output.statements;
}

/**
 * The host's options, with what the inner compile must do differently: ES module output, a source
 * map, no files written. The host's module kind stays where it emits this (ES module) file the
 * same way, so that `import x = require()` comes out as the host writes it: `preserve` keeps it a
 * `require` call, and node16…nodenext, which decide by the file's format, get a `.mts` name (the
 * inner compile has no package.json to read) and write a `createRequire`.
 */
function innerCompile(ts: TypeScript, fileName: string, host: TS.CompilerOptions): { fileName: string; options: TS.CompilerOptions } {
  const kind = host.module;
  const node = kind !== undefined && kind >= ts.ModuleKind.Node16 && kind <= ts.ModuleKind.NodeNext && /\.m?ts$/.test(fileName);
  const module = kind === ts.ModuleKind.Preserve || node ? kind : ts.ModuleKind.ESNext;
  return { fileName: node ? fileName.replace(/\.m?ts$/, '.mts') : fileName, options: innerOptions(host, module) };
}

function innerOptions(host: TS.CompilerOptions, module: TS.ModuleKind): TS.CompilerOptions {
  // No plugins: a patched TypeScript (ts-patch) would run this transformer again inside. An empty
  // list, not none: without one, ts-patch looks for the tsconfig.json and takes its plugins.
  const options: TS.CompilerOptions = { ...host, module, sourceMap: true, plugins: [] };
  // Written by the host, not here.
  for (const key of [
    'inlineSourceMap', 'inlineSources', 'sourceRoot', 'mapRoot', 'declaration', 'declarationMap', 'emitDeclarationOnly',
    'composite', 'incremental', 'tsBuildInfoFile', 'noEmit', 'noEmitOnError', 'outDir', 'outFile', 'out', 'rootDir',
    'moduleResolution', 'customConditions', 'resolvePackageJsonExports', 'resolvePackageJsonImports', 'project', 'build', 'watch',
  ]) {
    delete options[key];
  }
  return options;
}

/**
 * Maps offsets of one text to offsets of another (given their line starts) through a source map's
 * mappings (one source).
 * `exact`: only where a segment starts at that very column (TypeScript writes one at every node);
 * otherwise the segment before it on the line, moved by the distance (magic-string writes one per
 * copied chunk; the caller checks the result against the original syntax tree).
 */
function offsetMapper(mappings: string, fromStarts: readonly number[], toStarts: readonly number[], exact: boolean): (offset: number) => number | undefined {
  const lines = decode(mappings);
  return (offset) => {
    const lo = lineAt(fromStarts, offset);
    const column = offset - fromStarts[lo]!;
    let found: SourceMapSegment | undefined;
    for (const segment of lines[lo] ?? []) {
      if (segment[0] > column) break;
      if (segment.length >= 4 && (!exact || segment[0] === column)) found = segment;
    }
    if (found === undefined || found.length < 4) return undefined;
    const lineStart = toStarts[found[2]!];
    return lineStart === undefined ? undefined : lineStart + found[3]! + (column - found[0]);
  };
}

/** A name, a number, or one character: enough of a node's first token to tell two nodes apart. */
const FIRST_TOKEN = /^(?:[\p{ID_Continue}$#@]+|[^])/u;

/**
 * Gives each node of `output` the position (and leading trivia) of the original node it comes
 * from: same kind, same start, and for names and literals the same text. Every other node, and
 * every list in it, is marked as new (position -1), so that TypeScript prints it from its value.
 */
function placeNodes(ts: TypeScript, sourceFile: TS.SourceFile, output: TS.SourceFile, original: (offset: number) => number | undefined): void {
  const byStart = new Map<number, TS.Node[]>();
  const index = (node: TS.Node): void => {
    const start = node.getStart(sourceFile);
    const list = byStart.get(start);
    if (list === undefined) byStart.set(start, [node]);
    else list.push(node);
    ts.forEachChild(node, index);
  };
  ts.forEachChild(sourceFile, index);

  const NEW = { pos: -1, end: -1 };
  const isToken = (kind: TS.SyntaxKind): boolean =>
    kind === ts.SyntaxKind.Identifier || kind === ts.SyntaxKind.PrivateIdentifier || (kind >= ts.SyntaxKind.FirstLiteralToken && kind <= ts.SyntaxKind.LastTemplateToken);
  const counterpart = (node: TS.Node): TS.Node | undefined => {
    const start = node.getStart(output);
    const at = original(start);
    if (at === undefined) return undefined;
    // The same first token, too: an offset inside inserted code is moved from the segment before
    // it and can land on an unrelated node of the same kind.
    const head = FIRST_TOKEN.exec(output.text.slice(start, start + 64))?.[0] ?? '';
    if (!sourceFile.text.startsWith(head, at)) return undefined;
    const candidates = (byStart.get(at) ?? []).filter(
      (c) => c.kind === node.kind && (!isToken(node.kind) || sourceFile.text.slice(at, c.end) === output.text.slice(start, node.end)),
    );
    if (candidates.length <= 1) return candidates[0];
    const end = original(node.end);
    return candidates.find((c) => c.end === end);
  };
  const place = (node: TS.Node): void => {
    const from = counterpart(node);
    ts.setTextRange(node, from ?? NEW);
    // Not part of the host's program: its checker must not be asked about these nodes (as for
    // nodes a transformer creates with the factory; this flag is what makes a node one of those).
    (node as { flags: TS.NodeFlags }).flags |= ts.NodeFlags.Synthesized;
    // Every list of child nodes (a NodeArray has a position): `for…in`, which allocates nothing.
    const fields = node as unknown as Record<string, unknown>;
    for (const key in fields) {
      const value = fields[key];
      if (key === 'parent' || !Array.isArray(value) || typeof (value as Partial<TS.NodeArray<TS.Node>>).pos !== 'number') continue;
      const list = (from as unknown as Record<string, unknown> | undefined)?.[key];
      ts.setTextRange(value as unknown as TS.NodeArray<TS.Node>, Array.isArray(list) && typeof (list as Partial<TS.NodeArray<TS.Node>>).pos === 'number' ? (list as unknown as TS.TextRange) : NEW);
    }
    ts.forEachChild(node, place);
  };
  ts.forEachChild(output, place);
}
