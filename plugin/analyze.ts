import type { Comment } from 'oxc-parser';
import { RUNTIME_SPECIFIER, type BindingSchema, type ClassSchema, type FieldSchema } from '../runtime/contract.ts';
import { boundIdentifiers, someChild, unwrapExpression, varIdentifiers, type Node } from './ast.ts';
import { textHash } from './hash.ts';

/** A top-level `let`/`var` (or `@hotstate keep` const) statement: state. */
export interface StateDeclaration {
  statement: Node;
  declaration: Node;
  exported: boolean;
  reset: boolean;
  isVar: boolean;
  /** A `// @hotstate keep` const: state, but still not assignable. */
  constant: boolean;
}

/** A top-level function: a declaration, or a `const` initialized with an arrow or function expression. */
export interface FunctionBinding {
  name: string;
  /** The function node (declaration, arrow or expression). */
  fn: Node;
  /** For `const f = ...`: the declarator; absent for declarations. */
  declarator?: Node;
}

export interface ClassBinding {
  name: string;
  node: Node;
  statement: Node;
}

export interface Inventory {
  state: StateDeclaration[];
  functions: FunctionBinding[];
  classes: ClassBinding[];
  /** Names of state bindings (rewritten to cells). */
  cells: Set<string>;
  /** State bindings exported through `export let` or `export { x }`. */
  exportedCells: Set<string>;
  /** Local names under which `once` is imported from `hotstate/runtime`. */
  onceNames: Set<string>;
  bindings: BindingSchema[];
  /** Does the module use top-level `await`? */
  topLevelAwait: boolean;
  /** `export { x }` specifiers without a source (their local may be a cell). */
  exportSpecifiers: Node[];
  /** Every `var` of the module's scope, also ones declared in top-level blocks and loop heads. */
  moduleVars: string[];
  /**
   * Exported names whose importers keep working across updates without re-running: state
   * (mirrored), functions and classes (one identity). `null` when every export is such a name.
   */
  stableExports: string[] | null;
}

export type Directive = 'keep' | 'reset' | 'ignore';

/** `// @hotstate keep` etc. in comments; a file-level `ignore` anywhere in the file counts. */
export function directiveOf(comment: Comment): Directive | undefined {
  const match = /^\s*\*?\s*@hotstate\s+(keep|reset|ignore)\b/.exec(comment.value);
  return match?.[1] as Directive | undefined;
}

/** The directive written in a comment directly before `statement` (only whitespace between). */
function leadingDirective(code: string, comments: Comment[], statement: Node): Directive | undefined {
  for (let i = comments.length - 1; i >= 0; i--) {
    const comment = comments[i]!;
    if (comment.end > statement.start) continue;
    if (code.slice(comment.end, statement.start).trim() !== '') return undefined;
    const directive = directiveOf(comment);
    if (directive !== undefined) return directive;
  }
  return undefined;
}

export function typeText(code: string, annotated: Node | null | undefined): string | undefined {
  const annotation = annotated?.typeAnnotation?.typeAnnotation as Node | undefined;
  return annotation ? normalizeType(code.slice(annotation.start, annotation.end)) : undefined;
}

/**
 * A declared type as text that does not change when only its formatting does: comments dropped,
 * white space kept only between two word characters, and parentheses around the whole removed.
 */
export function normalizeType(text: string): string {
  let out = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ ?([^\w$ ]) ?/g, '$1')
    .trim();
  while (out.startsWith('(') && out.endsWith(')') && balanced(out.slice(1, -1))) out = out.slice(1, -1);
  return out.replace(/^\|/, '');
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function hasTopLevelAwait(node: Node | null | undefined): boolean {
  if (!node || typeof node !== 'object') return false;
  if (node.type === 'AwaitExpression' || (node.type === 'ForOfStatement' && node.await)) return true;
  if (node.type === 'VariableDeclaration' && node.kind === 'await using') return true;
  if (/Function/.test(node.type)) return false;
  if (node.type === 'ClassDeclaration' || node.type === 'ClassExpression') {
    // The heritage, decorators and computed keys run with the module; member bodies do not.
    const parts: Array<Node | null | undefined> = [node.superClass, ...(node.decorators ?? [])];
    for (const member of node.body.body as Node[]) {
      if (member.computed) parts.push(member.key);
      parts.push(...((member.decorators ?? []) as Node[]));
    }
    return parts.some((part) => hasTopLevelAwait(part));
  }
  return someChild(node, hasTopLevelAwait);
}

export function isFunctionExpression(node: Node | null | undefined): boolean {
  return node?.type === 'ArrowFunctionExpression' || node?.type === 'FunctionExpression';
}

/** Components as React Fast Refresh's transform finds them: a top-level function with a capital first letter. */
const COMPONENT_NAME = /^[A-Z]/;
/** Hooks as React Fast Refresh's transform finds them: `use`, then nothing, a capital letter or a digit. */
const HOOK_NAME = /^use(?:[A-Z0-9]|$)/;

export interface InventoryOptions {
  /**
   * React Fast Refresh runs in the page that loads this module. Fast Refresh tells the versions of
   * a component or hook apart by function identity, so those are left to it: they are code (a new
   * function object in every version, no forwarding prologue), and importers that use them are
   * not covered by this module's own `acceptExports` (the update reaches them, as it would without
   * hotstate). State (`let`, `var`), other functions and classes are instrumented as usual.
   * `'jsx'`: a `.jsx`/`.tsx` module, whose components Fast Refresh's transform registers: leave
   * components and hooks. `'hooks'`: any other module: leave hooks.
   */
  refresh?: 'jsx' | 'hooks' | false;
}

/**
 * What one top-level statement contributes to the module's inventory, without AST nodes: the
 * incremental transform keeps these for statements it does not parse again. Lines are 1-based
 * lines of the whole module.
 */
export interface StatementFacts {
  topLevelAwait: boolean;
  /** Local names of `once` imported from `hotstate/runtime`. */
  onceNames: string[];
  /** Exported name → local name, or null for exports that are code whatever their local is; in order. */
  exports: Array<[string, string | null]>;
  /** Locals exported through `export { x }` (no source). */
  exportedLocals: string[];
  /** State bindings (`let`, `var`, `@hotstate keep` const) declared by the statement itself. */
  cells: string[];
  /** State bindings declared with `export`. */
  exportedCells: string[];
  /** Instrumented functions; `declaration` for function declarations (registered in the prelude). */
  functions: Array<{ name: string; declaration: boolean }>;
  classes: string[];
  bindings: BindingSchema[];
  /** Every `var` of the module's scope the statement declares, also in nested blocks and loop heads. */
  vars: Array<{ name: string; line: number }>;
}

/** One top-level statement read: its facts, and the nodes the rewrites need. */
export interface StatementAnalysis {
  facts: StatementFacts;
  state: StateDeclaration[];
  functions: FunctionBinding[];
  classes: ClassBinding[];
  exportSpecifiers: Node[];
}

/** Reads one top-level statement: what is state, what is code, what needs a stable identity. */
export function analyzeStatement(
  statement: Node,
  code: string,
  comments: Comment[],
  line: (offset: number) => number,
  options: InventoryOptions = {},
): StatementAnalysis {
  const facts: StatementFacts = {
    topLevelAwait: hasTopLevelAwait(statement),
    onceNames: [],
    exports: [],
    exportedLocals: [],
    cells: [],
    exportedCells: [],
    functions: [],
    classes: [],
    bindings: [],
    vars: varIdentifiers(statement).map((id) => ({ name: id.name as string, line: line(id.start) })),
  };
  const result: StatementAnalysis = { facts, state: [], functions: [], classes: [], exportSpecifiers: [] };
  const exportName = (node: Node): string => (node.type === 'Identifier' ? node.name : String(node.value));
  /** Components and hooks left to React Fast Refresh: listed as functions, but without one identity. */
  const leftToRefresh = (name: string): boolean =>
    (options.refresh === 'jsx' && COMPONENT_NAME.test(name)) || (Boolean(options.refresh) && HOOK_NAME.test(name));
  const addFunction = (binding: FunctionBinding): void => {
    if (leftToRefresh(binding.name)) return;
    result.functions.push(binding);
    facts.functions.push({ name: binding.name, declaration: binding.declarator === undefined });
  };

  if (statement.type === 'ImportDeclaration') {
    if (statement.source.value === RUNTIME_SPECIFIER && statement.importKind !== 'type') {
      for (const specifier of statement.specifiers as Node[]) {
        const imported = specifier.imported;
        if (specifier.type === 'ImportSpecifier' && (imported.name ?? imported.value) === 'once') facts.onceNames.push(specifier.local.name);
      }
    }
    return result;
  }
  if (statement.type === 'ExportAllDeclaration') {
    if (statement.exportKind !== 'type') facts.exports.push([statement.exported ? exportName(statement.exported) : '*', null]);
    return result;
  }
  if (statement.type === 'ExportNamedDeclaration' && !statement.declaration) {
    if (statement.exportKind === 'type') return result;
    for (const specifier of statement.specifiers as Node[]) {
      if (specifier.exportKind === 'type') continue;
      const local = specifier.local.type === 'Identifier' && !statement.source ? (specifier.local.name as string) : null;
      facts.exports.push([exportName(specifier.exported), local]);
      if (statement.source) continue;
      if (local !== null) facts.exportedLocals.push(local);
      result.exportSpecifiers.push(specifier);
    }
    return result;
  }
  if (statement.type === 'ExportDefaultDeclaration') {
    if (TYPE_ONLY.has(statement.declaration.type)) return result;
    const named = statement.declaration.id?.name as string | undefined;
    const isDeclaration = statement.declaration.type === 'FunctionDeclaration' || statement.declaration.type === 'ClassDeclaration';
    facts.exports.push(['default', isDeclaration && named !== undefined ? named : null]);
  } else if (statement.type === 'ExportNamedDeclaration' && !statement.declaration.declare && !TYPE_ONLY.has(statement.declaration.type)) {
    const declaration = statement.declaration as Node;
    const names =
      declaration.type === 'VariableDeclaration'
        ? (declaration.declarations as Node[]).flatMap((d) => boundIdentifiers(d.id).map((id) => id.name as string))
        : declaration.id?.type === 'Identifier'
          ? [declaration.id.name as string]
          : [];
    for (const name of names) facts.exports.push([name, name]);
  }
  const exported = statement.type === 'ExportNamedDeclaration';
  const declaration: Node | null =
    statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
  if (!declaration || declaration.declare) return result;
  const directive = leadingDirective(code, comments, statement);

  if (declaration.type === 'VariableDeclaration') {
    const kind = declaration.kind as string;
    const isState = kind === 'let' || kind === 'var' || (kind === 'const' && directive === 'keep');
    if (isState) {
      const reset = directive === 'reset';
      result.state.push({ statement, declaration, exported, reset, isVar: kind === 'var', constant: kind === 'const' });
      for (const declarator of declaration.declarations as Node[]) {
        const ids = boundIdentifiers(declarator.id);
        for (const id of ids) {
          facts.cells.push(id.name);
          if (exported) facts.exportedCells.push(id.name);
          const type = ids.length === 1 && declarator.id.type === 'Identifier' ? typeText(code, declarator.id) : undefined;
          const init = declarator.init ? textHash(code.slice(declarator.init.start, declarator.init.end)) : undefined;
          facts.bindings.push({
            name: id.name,
            kind: reset ? 'reset' : 'state',
            ...(type !== undefined ? { type } : {}),
            ...(init !== undefined ? { init } : {}),
            line: line(id.start),
          });
        }
      }
    } else if (kind === 'const') {
      for (const declarator of declaration.declarations as Node[]) {
        const init = declarator.init ? unwrapExpression(declarator.init) : null;
        if (declarator.id.type === 'Identifier' && init && isFunctionExpression(init) && declarator.init === init) {
          addFunction({ name: declarator.id.name, fn: init, declarator });
          facts.bindings.push({ name: declarator.id.name, kind: 'function', line: line(declarator.start) });
        } else {
          for (const id of boundIdentifiers(declarator.id)) facts.bindings.push({ name: id.name, kind: 'const', line: line(id.start) });
        }
      }
    }
  } else if (declaration.type === 'FunctionDeclaration' && declaration.id && declaration.body) {
    addFunction({ name: declaration.id.name, fn: declaration });
    facts.bindings.push({ name: declaration.id.name, kind: 'function', line: line(declaration.start) });
  } else if (declaration.type === 'ClassDeclaration' && declaration.id) {
    result.classes.push({ name: declaration.id.name, node: declaration, statement });
    facts.classes.push(declaration.id.name);
    facts.bindings.push({ name: declaration.id.name, kind: 'class', line: line(declaration.start) });
  }
  return result;
}

/** Declarations that exist only for the type checker: exporting one exports nothing at run time. */
const TYPE_ONLY = new Set(['TSInterfaceDeclaration', 'TSTypeAliasDeclaration']);

/** The module-level part of the inventory: what the facts of all top-level statements add up to. */
export interface ModuleFacts {
  cells: Set<string>;
  exportedCells: Set<string>;
  onceNames: Set<string>;
  bindings: BindingSchema[];
  topLevelAwait: boolean;
  moduleVars: string[];
  stableExports: string[] | null;
  /** Function declarations, whose stable identity the prelude registers, in order. */
  declaredFunctions: string[];
}

/** Adds up the facts of a module's top-level statements, in order. */
export function combineFacts(all: Iterable<StatementFacts>): ModuleFacts {
  const result: ModuleFacts = {
    cells: new Set(),
    exportedCells: new Set(),
    onceNames: new Set(),
    bindings: [],
    topLevelAwait: false,
    moduleVars: [],
    stableExports: null,
    declaredFunctions: [],
  };
  /** Exported name → local name, or null for exports that are code whatever their local is. */
  const exports = new Map<string, string | null>();
  const exportedLocals = new Set<string>();
  const stableLocals = new Set<string>();
  const vars: Array<{ name: string; line: number }> = [];
  for (const facts of all) {
    result.topLevelAwait ||= facts.topLevelAwait;
    for (const name of facts.onceNames) result.onceNames.add(name);
    for (const [name, local] of facts.exports) exports.set(name, local);
    for (const local of facts.exportedLocals) exportedLocals.add(local);
    for (const name of facts.cells) result.cells.add(name);
    for (const name of facts.exportedCells) result.exportedCells.add(name);
    for (const fn of facts.functions) {
      stableLocals.add(fn.name);
      if (fn.declaration) result.declaredFunctions.push(fn.name);
    }
    for (const name of facts.classes) stableLocals.add(name);
    result.bindings.push(...facts.bindings);
    vars.push(...facts.vars);
  }
  // Every `var` of the module's scope is state, also one declared in a top-level block or loop.
  for (const { name, line } of vars) {
    if (!result.moduleVars.includes(name)) result.moduleVars.push(name);
    if (result.cells.has(name)) continue;
    result.cells.add(name);
    result.bindings.push({ name, kind: 'state', line });
  }
  result.bindings.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const name of exportedLocals) if (result.cells.has(name)) result.exportedCells.add(name);
  for (const name of result.cells) stableLocals.add(name);
  const stable = [...exports].filter(([, local]) => local !== null && stableLocals.has(local)).map(([name]) => name);
  result.stableExports = stable.length === exports.size ? null : stable.sort();
  return result;
}

/** Reads a module's top level: what is state, what is code, what needs a stable identity. */
export function inventory(
  program: Node,
  code: string,
  comments: Comment[],
  line: (offset: number) => number,
  options: InventoryOptions = {},
): Inventory {
  const analyses = (program.body as Node[]).map((statement) => analyzeStatement(statement, code, comments, line, options));
  const module = combineFacts(analyses.map((analysis) => analysis.facts));
  return {
    state: analyses.flatMap((analysis) => analysis.state),
    functions: analyses.flatMap((analysis) => analysis.functions),
    classes: analyses.flatMap((analysis) => analysis.classes),
    exportSpecifiers: analyses.flatMap((analysis) => analysis.exportSpecifiers),
    cells: module.cells,
    exportedCells: module.exportedCells,
    onceNames: module.onceNames,
    bindings: module.bindings,
    topLevelAwait: module.topLevelAwait,
    moduleVars: module.moduleVars,
    stableExports: module.stableExports,
  };
}

/** The key text of a class member, as the runtime sees it: `x`, `#x`, or undefined for computed keys. */
export function memberName(member: Node): string | undefined {
  if (member.computed) return undefined;
  const key = member.key as Node;
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'PrivateIdentifier') return `#${key.name}`;
  if (key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) return String(key.value);
  return undefined;
}

/** The fields of a class: instance and static, public and private, and constructor parameter properties. */
export function classSchema(cls: ClassBinding, code: string, line: (offset: number) => number): ClassSchema {
  const fields: FieldSchema[] = [];
  for (const member of cls.node.body.body as Node[]) {
    if (member.type === 'PropertyDefinition' && !member.declare) {
      const name = memberName(member);
      if (name === undefined) continue;
      const type = typeText(code, member);
      fields.push({
        name,
        static: Boolean(member.static),
        ...(type !== undefined ? { type } : {}),
        ...(member.value ? { init: textHash(code.slice(member.value.start, member.value.end)) } : {}),
        line: line(member.start),
      });
    } else if (member.type === 'MethodDefinition' && member.kind === 'constructor') {
      for (const param of member.value.params as Node[]) {
        if (param.type !== 'TSParameterProperty') continue;
        const id = param.parameter.type === 'AssignmentPattern' ? param.parameter.left : param.parameter;
        if (id.type !== 'Identifier') continue;
        const type = typeText(code, id);
        fields.push({ name: id.name, static: false, ...(type !== undefined ? { type } : {}), line: line(param.start) });
      }
    }
  }
  fields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Number(a.static) - Number(b.static)));
  return { name: cls.name, fields, line: line(cls.node.start) };
}
