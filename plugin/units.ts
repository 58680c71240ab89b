import { Buffer } from 'node:buffer';
import MagicString, { type SourceMapSegment } from 'magic-string';
import type { Comment } from 'oxc-parser';
import type { ClassSchema } from '../runtime/contract.ts';
import { analyzeStatement, classSchema, type InventoryOptions, type StatementAnalysis, type StatementFacts } from './analyze.ts';
import { asiHazards, type Node } from './ast.ts';
import type { EmittedNames } from './names.ts';
import { classFrame, rewriteClass, rewritePrivateUse, type ClassFrame, type PrivateUse } from './rewrite-classes.ts';
import { rewriteFunction } from './rewrite-functions.ts';
import { nestedVars, rewriteNestedVar, rewriteState } from './rewrite-state.ts';
import { ReferenceWalker, type WalkHandler } from './walk.ts';

/**
 * The transform instruments a module in *units*: runs of whole lines that hold one or more
 * top-level statements, with the comments and blank lines before them. A unit's output depends
 * only on its own text and on the module's state names (`RewriteContext`), so the incremental
 * transform (`transform.ts`) re-instruments only the units an edit touched and reuses the others,
 * code and source map, as they are.
 */

export interface Diagnostic {
  message: string;
  line: number;
  column: number;
}

/** What the rewrites of every unit read from the module as a whole. */
export interface RewriteContext {
  code: string;
  names: EmittedNames;
  /** Names of state bindings: every reference becomes a cell read or write. */
  cells: Set<string>;
  exportedCells: Set<string>;
  onceNames: Set<string>;
  /** Classes register each instance as it is constructed (`TransformOptions.trackInstances`). */
  trackInstances: boolean;
}

/**
 * A unit's source map: its segments relative to the unit (generated lines from the unit's first
 * output line, original lines from its first line; columns as they are, a unit starts a line).
 * The first segment is kept apart because the module's map encodes it relative to the segment
 * before it; `rest` is the encoded remainder, which only depends on the unit itself.
 */
export interface UnitMap {
  /** [generated line, generated column, original line, original column] of the first segment. */
  first: [number, number, number, number] | null;
  rest: string;
  /** [original line, original column] of the last segment. */
  last: [number, number];
  /** Line breaks in the unit's output. */
  lines: number;
}

export interface Unit {
  start: number;
  end: number;
  /** 0-based line of `start`. */
  line: number;
  /** What the unit's statements add to the module's inventory (lines of the whole module). */
  facts: StatementFacts;
  classes: ClassSchema[];
  diagnostics: Diagnostic[];
  /** The last character of the last statement: a hazard for what follows unless `;` or `}`. */
  lastChar: string;
  /** Whether the first statement starts at an ASI hazard (see `asiHazards`). */
  hazard: boolean;
  /** Whether the last statement ends where it does whatever text follows it. */
  closed: boolean;
  /** Whether another unit may start right at `end` (see `unitEndAfter`); false for a module's last line without a line break. */
  boundary: boolean;
  /** The instrumented text, split where the stale global's name goes (it changes with every edit). */
  text: string[];
  map: UnitMap;
}

/** The statements of one unit, which covers `[start, end)` of the module. */
export type Group = { start: number; end: number; statements: Node[] };

/** A statement's start, or its first decorator's when that comes before (`@dec export class C {}`). */
function extendedStart(statement: Node): number {
  let start = statement.start;
  for (const decorator of [...((statement.decorators ?? []) as Node[]), ...((statement.declaration?.decorators ?? []) as Node[])]) {
    start = Math.min(start, decorator.start);
  }
  return start;
}

/**
 * Where a unit that ends with `statement` may end: the start of the line after it, when nothing
 * but white space and a line comment follows it on its line and no `@hotstate` directive is
 * written there (it would belong to the next statement). Otherwise -1.
 */
export function unitEndAfter(code: string, statement: Node): number {
  const newline = code.indexOf('\n', statement.end);
  if (newline === -1) return -1;
  const rest = code.slice(statement.end, newline);
  if (rest.includes('/*') || rest.includes('@hotstate')) return -1;
  return newline + 1;
}

/** Declarations whose closing `}` ends them whatever follows (an expression ending in `}` may continue). */
const CLOSED_BY_BRACE = new Set(['FunctionDeclaration', 'ClassDeclaration', 'TSInterfaceDeclaration', 'TSEnumDeclaration', 'TSModuleDeclaration']);

/** Whether `statement` ends where it does whatever text follows it (so that text can be parsed on its own). */
export function closedStatement(code: string, statement: Node): boolean {
  const last = code[statement.end - 1];
  if (last === ';') return true;
  const declaration = statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
  return last === '}' && declaration !== null && CLOSED_BY_BRACE.has(declaration.type);
}

/** Splits top-level statements into units that together cover [from, to). */
export function groupStatements(statements: Node[], code: string, from: number, to: number): Group[] {
  const groups: Group[] = [];
  let current: Group = { start: from, end: to, statements: [] };
  statements.forEach((statement, i) => {
    const previous = statements[i - 1];
    if (previous !== undefined) {
      const end = unitEndAfter(code, previous);
      if (end !== -1 && end <= extendedStart(statement)) {
        current.end = end;
        groups.push(current);
        current = { start: end, end: to, statements: [] };
      }
    }
    current.statements.push(statement);
  });
  groups.push(current);
  return groups;
}

/** Facts of several statements as one (the module adds them up in order, so units can too). */
function mergeFacts(all: StatementFacts[]): StatementFacts {
  if (all.length === 1) return all[0]!;
  return {
    topLevelAwait: all.some((f) => f.topLevelAwait),
    onceNames: all.flatMap((f) => f.onceNames),
    exports: all.flatMap((f) => f.exports),
    exportedLocals: all.flatMap((f) => f.exportedLocals),
    cells: all.flatMap((f) => f.cells),
    exportedCells: all.flatMap((f) => f.exportedCells),
    functions: all.flatMap((f) => f.functions),
    classes: all.flatMap((f) => f.classes),
    bindings: all.flatMap((f) => f.bindings),
    vars: all.flatMap((f) => f.vars),
  };
}

/**
 * What a run of statements adds to the module's facts, as one string: equal keys mean the module's
 * facts, and so its state names, prelude and schema bindings, are what they were (lines included).
 */
export function factsKey(all: StatementFacts[]): string {
  const f = mergeFacts(all);
  return JSON.stringify([f.topLevelAwait, f.onceNames, f.exports, f.exportedLocals, f.cells, f.exportedCells, f.functions, f.classes, f.bindings, f.vars]);
}

/** Reads the statements of one unit; the context needs every unit's facts before any is instrumented. */
export function analyzeUnit(
  statements: Node[],
  code: string,
  comments: Comment[],
  line: (offset: number) => number,
  options: InventoryOptions,
): StatementAnalysis[] {
  return statements.map((statement) => analyzeStatement(statement, code, comments, line, options));
}

/**
 * Instruments a run of consecutive units. `previousChar` is the last character of the statement
 * before the run (undefined at the module's start). The run's text is edited in one MagicString,
 * at the offsets of the whole module, and then cut into the units' texts and maps (each unit
 * starts a line, and no edit reaches across a unit's start).
 */
export function instrumentUnits(
  groups: Group[],
  analyses: StatementAnalysis[][],
  ctx: RewriteContext,
  previousChar: string | undefined,
  line: (offset: number) => number,
): Unit[] {
  const { code } = ctx;
  const start = groups[0]!.start;
  const s = new MagicString(code.slice(start, groups.at(-1)!.end), { offset: -start });
  const units: Array<Omit<Unit, 'text' | 'map'>> = [];
  for (const [i, group] of groups.entries()) units.push(rewriteUnit(s, group, analyses[i]!, ctx, i === 0 ? previousChar : units[i - 1]!.lastChar, line));
  const decoded = s.generateDecodedMap({ hires: 'boundary' }).mappings;
  let texts = [s.toString()];
  if (groups.length > 1) {
    // Marks where each unit's output starts: put in front of anything inserted at its first
    // offset, which belongs to that unit.
    let mark = '\0';
    while (code.includes(mark)) mark += '\0';
    for (const group of groups.slice(1)) s.prependLeft(group.start, mark);
    texts = s.toString().split(mark);
    if (texts.length !== groups.length) throw new Error('the unit marks were not found in the output');
  }
  let generatedLine = 0;
  return units.map((unit, i) => {
    const text = texts[i]!;
    const lines = countLines(text);
    // A unit's text ends with a line break, but the last one's may not: then its last line is its own.
    const map = unitMap(decoded, generatedLine, text.endsWith('\n') ? lines - 1 : lines, lines, unit.line - (line(start) - 1));
    generatedLine += lines;
    return { ...unit, text: text.split(ctx.names.staleGlobal), map };
  });
}

/** The rewrites of one unit, made in `s`; everything about the unit but its output. */
function rewriteUnit(
  s: MagicString,
  group: Group,
  analyses: StatementAnalysis[],
  ctx: RewriteContext,
  previousChar: string | undefined,
  line: (offset: number) => number,
): Omit<Unit, 'text' | 'map'> {
  const { code, names } = ctx;
  const { start, end, statements } = group;
  const hazards = new Set<number>();
  statements.forEach((statement, i) => {
    const before = i === 0 ? previousChar : code[statements[i - 1]!.end - 1];
    if (before !== undefined && before !== ';' && before !== '}') hazards.add(statement.start);
    asiHazards(statement, code, hazards);
  });
  const asiGuard = (offset: number): string => (hazards.has(offset) ? ';' : '');

  const state = analyses.flatMap((a) => a.state);
  const functions = analyses.flatMap((a) => a.functions);
  const classes = analyses.flatMap((a) => a.classes);
  const frames = new Map<Node, ClassFrame>(classes.map((binding) => [binding.node, classFrame(binding, names)]));
  const converted = new Set<Node>(functions.filter((f) => f.fn.type === 'ArrowFunctionExpression').map((f) => f.fn));

  const privateUses: PrivateUse[] = [];
  const handler: WalkHandler = {
    topLevel(id, _ctx, info) {
      const name = id.name as string;
      if (ctx.cells.has(name)) {
        const parent = info.parent;
        if (info.shorthand) {
          // In an object literal, `__proto__: value` would set the prototype; the shorthand does not.
          const key = name === '__proto__' && info.key !== 'pattern' ? '["__proto__"]' : name;
          s.overwrite(id.start, id.end, `${key}: ${name}.v`);
        } else if ((parent?.type === 'CallExpression' && info.key === 'callee') || (parent?.type === 'TaggedTemplateExpression' && info.key === 'tag')) {
          // `f()` must not become a method call on the cell: keep `this` undefined.
          s.overwrite(id.start, id.end, `${asiGuard(id.start)}(0, ${name}.v)`);
        } else s.appendLeft(id.end, '.v');
      } else if (ctx.onceNames.has(name) && info.parent?.type === 'CallExpression' && info.key === 'callee') {
        s.overwrite(id.start, id.end, `${names.hs}.once`);
      }
    },
    classSelf(id, walkCtx) {
      if (walkCtx.deferred) s.overwrite(id.start, id.end, (walkCtx.cls as ClassFrame).alias);
    },
    privateUse(node, kind, owner) {
      privateUses.push({ node, kind, frame: owner as ClassFrame });
    },
    newTarget(node) {
      s.overwrite(node.start, node.end, `${names.hs}.target(new.target)`);
    },
    thisInArrow(node) {
      s.overwrite(node.start, node.end, '(void 0)');
    },
    enterClass(node) {
      return frames.get(node);
    },
    enterArrow(node) {
      return converted.has(node) ? node : undefined;
    },
  };
  const walker = new ReferenceWalker(handler);
  for (const statement of statements) walker.statement(statement);
  // Innermost first, so an outer use copies the inner ones' rewritten text.
  privateUses.sort((a, b) => a.node.end - a.node.start - (b.node.end - b.node.start));
  for (const use of privateUses) rewritePrivateUse(s, use, names, asiGuard(use.node.start), code);

  for (const specifier of analyses.flatMap((a) => a.exportSpecifiers)) {
    const local = specifier.local.name as string;
    if (ctx.cells.has(local)) s.overwrite(specifier.start, specifier.end, `${names.mirror(local)} as ${code.slice(specifier.exported.start, specifier.exported.end)}`);
  }
  for (const frame of frames.values()) rewriteClass(s, frame, names, ctx.trackInstances);
  for (const fn of functions) rewriteFunction(s, fn, names, code);
  for (const declaration of state) rewriteState(s, declaration, names, ctx.exportedCells, code);
  for (const nested of nestedVars(statements)) rewriteNestedVar(s, nested.declaration, nested.position, asiGuard(nested.declaration.start));

  const diagnostics: Diagnostic[] = [];
  for (const member of classes.flatMap((c) => c.node.body.body as Node[])) {
    if (member.type === 'AccessorProperty') {
      diagnostics.push({
        message: `\`accessor\` fields of top-level classes are not upgraded on live instances yet; ${code.slice(member.start, member.key.end)} keeps its first version's storage`,
        line: line(member.start),
        column: 0,
      });
    }
  }

  const last = statements.at(-1);
  return {
    start,
    end,
    line: line(start) - 1,
    facts: mergeFacts(analyses.map((a) => a.facts)),
    classes: classes.map((binding) => classSchema(binding, code, line)),
    diagnostics,
    lastChar: last === undefined ? (previousChar ?? '') : code[last.end - 1]!,
    hazard: statements[0] !== undefined && hazards.has(statements[0].start),
    closed: last === undefined || closedStatement(code, last),
    boundary: last === undefined || unitEndAfter(code, last) === end,
  };
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** A unit that moved: `delta` characters and `lines` lines later in the module (its text is unchanged). */
export function shiftUnit(unit: Unit, delta: number, lines: number): Unit {
  if (delta === 0 && lines === 0) return unit;
  const shiftLine = <T extends { line: number }>(item: T): T => ({ ...item, line: item.line + lines });
  const facts = lines === 0 ? unit.facts : { ...unit.facts, bindings: unit.facts.bindings.map(shiftLine), vars: unit.facts.vars.map(shiftLine) };
  return {
    ...unit,
    start: unit.start + delta,
    end: unit.end + delta,
    line: unit.line + lines,
    facts,
    classes: lines === 0 ? unit.classes : unit.classes.map((c) => ({ ...shiftLine(c), fields: c.fields.map(shiftLine) })),
    diagnostics: lines === 0 ? unit.diagnostics : unit.diagnostics.map(shiftLine),
  };
}

// ---------------------------------------------------------------------------------------------
// Source maps

const BASE64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const SEMICOLON = 59;
const COMMA = 44;
const ZERO = 65;

/** Mappings text written as bytes into one reused buffer: far cheaper than building strings. */
const out = { bytes: Buffer.alloc(1 << 16), length: 0 };

function put(byte: number): void {
  if (out.length === out.bytes.length) {
    const grown = Buffer.alloc(out.bytes.length * 2);
    out.bytes.copy(grown);
    out.bytes = grown;
  }
  out.bytes[out.length++] = byte;
}

function putVlq(value: number): void {
  let rest = value < 0 ? (-value << 1) | 1 : value << 1;
  do {
    let digit = rest & 31;
    rest >>>= 5;
    if (rest > 0) digit |= 32;
    put(BASE64[digit]!);
  } while (rest > 0);
}

/** A segment: generated column, source 0, original line and column, each relative to the one before. */
function putSegment(column: number, line: number, originalColumn: number): void {
  putVlq(column);
  put(ZERO);
  putVlq(line);
  putVlq(originalColumn);
}

function take(): string {
  const text = out.bytes.toString('latin1', 0, out.length);
  out.length = 0;
  return text;
}

/**
 * Encodes the mappings of one unit (see `UnitMap`): generated lines `from` to `from + last` of
 * `decoded` (the unit's output has `lines` line breaks), whose original lines are counted from
 * `lineOffset` lines before the unit's.
 */
function unitMap(decoded: SourceMapSegment[][], from: number, last: number, lines: number, lineOffset: number): UnitMap {
  let first: UnitMap['first'] = null;
  let line = 0;
  let column = 0;
  for (let g = 0; g <= lines; g++) {
    if (g > 0 && first !== null) put(SEMICOLON);
    let previousColumn = 0;
    let firstOnLine = true;
    for (const segment of g <= last ? (decoded[from + g] ?? []) : []) {
      if (segment.length < 4) continue;
      const generated = segment[0];
      const originalLine = segment[2]! - lineOffset;
      const originalColumn = segment[3]!;
      if (first === null) first = [g, generated, originalLine, originalColumn];
      else {
        if (!firstOnLine) put(COMMA);
        putSegment(generated - previousColumn, originalLine - line, originalColumn - column);
      }
      previousColumn = generated;
      line = originalLine;
      column = originalColumn;
      firstOnLine = false;
    }
  }
  return { first, rest: take(), last: [line, column], lines };
}

/**
 * The module's mappings: the head (hashbang line and prelude; the prelude maps nowhere), then
 * every unit's, each re-anchored by its first segment. `column` is where the first unit starts
 * on its output line (after the prelude when there is no hashbang).
 */
export function moduleMappings(head: { segment: boolean; lines: number; column: number }, units: Unit[]): string {
  const parts = [`${head.segment ? 'AAAA' : ''}${';'.repeat(head.lines)}`];
  let line = 0;
  let column = 0;
  let offset = head.column;
  for (const unit of units) {
    const { first, rest, last, lines } = unit.map;
    if (first === null) parts.push(';'.repeat(lines));
    else {
      for (let i = 0; i < first[0]; i++) put(SEMICOLON);
      putSegment(first[1] + (first[0] === 0 ? offset : 0), unit.line + first[2] - line, first[3] - column);
      parts.push(take(), rest);
      line = unit.line + last[0];
      column = last[1];
    }
    offset = 0;
  }
  return parts.join('');
}

