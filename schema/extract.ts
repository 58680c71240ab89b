import path from 'node:path';
import ts = require('typescript');
import { directiveOf, inventory, memberName, typeText } from '../plugin/analyze.ts';
import { boundIdentifiers, varIdentifiers, type Node } from '../plugin/ast.ts';
import { textHash } from '../plugin/hash.ts';
import { lineIndex } from '../plugin/lines.ts';
import { moduleId } from '../plugin/module-id.ts';
import { parseModule } from '../plugin/parse.ts';
import { HotstateError } from '../runtime/errors.ts';
import { shapeWriter } from './shape.ts';
import { planCache } from './plan-cache.ts';
import type { BindingKind, FieldEntry, ModuleLocations, ModuleState, Position, ProjectState, TypeInfo } from './types.ts';

/**
 * Reads the state schema of a project with the TypeScript checker. Which declarations are state
 * is decided by the same analysis the transform uses (`plugin/analyze.ts`), so `hotstate check`
 * and the dev server never disagree about it; the checker only adds the types.
 */

export interface ExtractOptions {
  /** The project root: module IDs are relative to it. */
  root: string;
  /** The tsconfig that lists the project's files and compiler options. @default `<root>/tsconfig.json` */
  tsconfig?: string;
  /** Folders (relative to the root) whose files are never state, such as the migrations. */
  skip?: string[];
  /** More files for the same program, not state themselves (the migrations, for their type check). */
  extraRoots?: string[];
  /** Keep what the analysis finds in each module across runs (`plan-cache.ts`). @default false */
  cache?: boolean;
}

export interface Extracted {
  state: ProjectState;
  locations: Map<string, ModuleLocations>;
  program: ts.Program;
}

/** A configuration problem: the CLI exits with status 2. */
export class ConfigError extends HotstateError {}

/** Files the transform instruments: scripts, not declarations, not in node_modules. */
const SCRIPT = /\.(?:m?ts|tsx|m?js|jsx)$/;
const isModuleFile = (file: string): boolean => SCRIPT.test(file) && !/\.d\.[mc]?ts$/.test(file) && !/[\\/]node_modules[\\/]/.test(file);

/** Parses a tsconfig the way `tsc -p` does; a broken one is a `ConfigError`. */
export function readTsconfig(root: string, tsconfig: string = path.join(root, 'tsconfig.json')): ts.ParsedCommandLine {
  const configFile = path.resolve(root, tsconfig);
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error !== undefined) {
    throw new ConfigError(
      `cannot read ${configFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}. ` +
        `Run hotstate in the project's root, or pass --project <tsconfig.json>.`,
    );
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configFile), undefined, configFile);
  const errors = parsed.errors.filter((error) => error.category === ts.DiagnosticCategory.Error && error.code !== 18003);
  if (errors.length > 0) {
    throw new ConfigError(`${configFile}: ${errors.map((error) => ts.flattenDiagnosticMessageText(error.messageText, '\n')).join('; ')}`);
  }
  return parsed;
}

export function extractProject(options: ExtractOptions): Extracted {
  const root = path.resolve(options.root);
  const parsed = readTsconfig(root, options.tsconfig);
  const program = ts.createProgram({ rootNames: [...parsed.fileNames, ...(options.extraRoots ?? [])], options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const skip = (options.skip ?? []).map((folder) => path.resolve(root, folder) + path.sep);

  const projectFile = (sf: ts.SourceFile): boolean => !program.isSourceFileDefaultLibrary(sf) && !program.isSourceFileFromExternalLibrary(sf) && !/[\\/]node_modules[\\/]/.test(sf.fileName);
  // Classes of the project are compared by identity (their fields are tracked on their own);
  // types from packages by name. Interfaces and type aliases of the project are written out.
  const refName = (symbol: ts.Symbol): string | undefined => {
    const declaration = symbol.declarations?.[0];
    if (declaration === undefined) return undefined;
    const sf = declaration.getSourceFile();
    if (program.isSourceFileDefaultLibrary(sf)) return undefined;
    // A package's type by its path inside node_modules, the same on every machine and install.
    if (!projectFile(sf)) return `${sf.fileName.split(/[\\/]node_modules[\\/]/).pop()!.split(path.sep).join('/')}#${symbol.getName()}`;
    return ts.isClassDeclaration(declaration) || ts.isClassExpression(declaration) ? `${moduleId(root, sf.fileName)}#${symbol.getName()}` : undefined;
  };
  const shapeOf = shapeWriter(checker, { refName });
  const entry: EntryOf = (node, declared, init, widen, extra) => {
    // Through the symbol: a name that is a string literal would otherwise give its own literal type.
    const symbol = checker.getSymbolAtLocation(node);
    let type = symbol !== undefined ? checker.getTypeOfSymbolAtLocation(symbol, node) : checker.getTypeAtLocation(node);
    if (widen) type = checker.getBaseTypeOfLiteralType(type);
    let text: string | undefined;
    return {
      // Printed when first read: `migrate` writes every one into the snapshot, while `check`
      // only needs the ones its findings name, and compares by `shape` and `init`.
      get type() {
        return (text ??= checker.typeToString(type, node, ts.TypeFormatFlags.NoTruncation));
      },
      shape: shapeOf(type),
      declared,
      ...(init !== undefined ? { init } : {}),
      ...extra,
    };
  };

  const state: ProjectState = { modules: {} };
  const locations = new Map<string, ModuleLocations>();
  const plans = planCache(options.cache === true ? root : undefined);
  for (const sf of program.getSourceFiles()) {
    const file = path.resolve(sf.fileName);
    if (!projectFile(sf) || !isModuleFile(file) || skip.some((folder) => file.startsWith(folder))) continue;
    const id = moduleId(root, file);
    if (id.startsWith('../')) continue;
    const plan = plans.plan(id, sf.text, () => planModule(sf.text, file));
    if (plan === null) continue;
    const extracted = readModule(sf, file, plan, entry);
    state.modules[id] = extracted.state;
    locations.set(id, extracted.locations);
  }
  plans.save();
  return { state, locations, program };
}

/**
 * What the transform's analysis (`plugin/analyze.ts`) finds in a module's text: each piece of
 * state, where its name is, and what the text alone says about it. The checker adds the types
 * (`readModule`). It depends only on the text and the file's language, so it can be kept across
 * runs (`plan-cache.ts`).
 */
export interface ModulePlan {
  /** In declaration order; a later binding of the same name replaces an earlier one. */
  bindings: PlannedBinding[];
  classes: PlannedClass[];
  /** Declared annotations as the dev server's runtime reads them: [binding, text] and [class, field key, text]. */
  annotations: { bindings: [string, string][]; fields: [string, string, string][] };
}

interface Planned {
  /** Offset of the name. */
  at: number;
  declared: boolean;
  init?: string;
}

interface PlannedBinding extends Planned {
  name: string;
  kind: BindingKind;
  reset?: true;
}

interface PlannedField extends Planned {
  key: string;
  accessor?: true;
  parameter?: true;
}

interface PlannedClass {
  name: string;
  at: number;
  fields: PlannedField[];
}

/** The state of a module as its text declares it; null when it does not parse or says `@hotstate ignore`. */
export function planModule(code: string, file: string): ModulePlan | null {
  // A file that does not parse is reported by the type check of the project; its state is unknown.
  let parsed: ReturnType<typeof parseModule>;
  try {
    parsed = parseModule(code, file);
  } catch {
    return null;
  }
  if (parsed.comments.some((comment) => directiveOf(comment) === 'ignore')) return null;
  const program = parsed.program as unknown as Node;
  const found = inventory(program, code, parsed.comments, lineIndex(code));
  const plan: ModulePlan = { bindings: [], classes: [], annotations: { bindings: [], fields: [] } };
  const planned = (at: number, declared: boolean, init: Node | null | undefined): Planned => ({
    at,
    declared,
    ...(init != null ? { init: textHash(code.slice(init.start, init.end)) } : {}),
  });

  // A field's declared annotation as the transform's schema has it (`accessor` fields have none there).
  const annotate = (cls: string, key: string, annotated: Node | undefined): void => {
    const type = annotated === undefined ? undefined : typeText(code, annotated);
    if (type !== undefined) plan.annotations.fields.push([cls, key, type]);
  };

  const names: Record<string, true> = {};
  for (const declaration of found.state) {
    const kind = declaration.constant ? 'const' : declaration.isVar ? 'var' : 'let';
    for (const declarator of declaration.declaration.declarations as Node[]) {
      const ids = boundIdentifiers(declarator.id);
      const declared = declarator.id.typeAnnotation != null;
      for (const identifier of ids) {
        const name = identifier.name as string;
        plan.bindings.push({ name, kind, ...planned(identifier.start, declared, ids.length === 1 ? declarator.init : undefined), ...(declaration.reset ? { reset: true } : {}) });
        names[name] = true;
      }
    }
  }
  // A `var` in a top-level block or loop head is module state too.
  for (const identifier of varIdentifiers(program)) {
    const name = identifier.name as string;
    if (name in names) continue;
    plan.bindings.push({ name, kind: 'var', ...planned(identifier.start, false, undefined) });
  }

  for (const cls of found.classes) {
    const fields: PlannedField[] = [];
    for (const member of cls.node.body.body as Node[]) {
      if ((member.type === 'PropertyDefinition' || member.type === 'AccessorProperty') && !member.declare) {
        const name = memberName(member);
        if (name === undefined) continue;
        const key = member.static ? `static ${name}` : name;
        fields.push({ key, ...planned(member.key.start, member.typeAnnotation != null, member.value), ...(member.type === 'AccessorProperty' ? { accessor: true } : {}) });
        annotate(cls.name, key, member.type === 'PropertyDefinition' ? member : undefined);
      } else if (member.type === 'MethodDefinition' && member.kind === 'constructor') {
        for (const param of member.value.params as Node[]) {
          if (param.type !== 'TSParameterProperty') continue;
          const identifier = param.parameter.type === 'AssignmentPattern' ? param.parameter.left : param.parameter;
          if (identifier.type !== 'Identifier') continue;
          fields.push({ key: identifier.name, ...planned(identifier.start, identifier.typeAnnotation != null, undefined), parameter: true });
          annotate(cls.name, identifier.name, identifier);
        }
      }
    }
    plan.classes.push({ name: cls.name, at: cls.node.id?.start ?? cls.node.start, fields });
  }

  for (const binding of found.bindings) if (binding.type !== undefined) plan.annotations.bindings.push([binding.name, binding.type]);
  return plan;
}

/** The entry of the declaration named by `node`: its type, and `extra` (a spread would print the type). */
type EntryOf = <X extends object>(node: ts.Node, declared: boolean, init: string | undefined, widen: boolean, extra: X) => TypeInfo & X;

/** A module's state and its positions: the plan, with the types from the checker. */
function readModule(sf: ts.SourceFile, file: string, plan: ModulePlan, entry: EntryOf): { state: ModuleState; locations: ModuleLocations } {
  const state: ModuleState = { bindings: {}, classes: {} };
  const locations: ModuleLocations = { file, bindings: {}, classes: {} };
  const position = (offset: number): Position => {
    const { line, character } = sf.getLineAndCharacterOfPosition(offset);
    return { line: line + 1, column: character + 1 };
  };
  for (const b of plan.bindings) {
    state.bindings[b.name] = entry(nodeAt(sf, b.at), b.declared, b.init, b.kind === 'const', { kind: b.kind, ...(b.reset ? { reset: true as const } : {}) });
    locations.bindings[b.name] = position(b.at);
  }
  for (const cls of plan.classes) {
    const fields: Record<string, FieldEntry> = {};
    const fieldPositions: Record<string, Position> = {};
    for (const f of cls.fields) {
      fields[f.key] = entry(nodeAt(sf, f.at), f.declared, f.init, false, f.accessor ? { accessor: true } : f.parameter ? { parameter: true } : {});
      fieldPositions[f.key] = position(f.at);
    }
    state.classes[cls.name] = fields;
    locations.classes[cls.name] = { at: position(cls.at), fields: fieldPositions };
  }
  // Each entry's declared annotation exactly as the dev server's runtime reads it (the
  // transform's own schema), which is what migrations are matched by during a hot update.
  for (const [name, text] of plan.annotations.bindings) {
    const binding = state.bindings[name];
    if (binding !== undefined) binding.annotation = text;
  }
  for (const [cls, key, text] of plan.annotations.fields) {
    const field = state.classes[cls]?.[key];
    if (field !== undefined) field.annotation = text;
  }
  return { state, locations };
}

/** The innermost TypeScript node that starts (after trivia) at `offset`: a declaration's name. */
function nodeAt(sf: ts.SourceFile, offset: number): ts.Node {
  let found: ts.Node | undefined;
  // Siblings do not overlap: the walk goes down the one child that contains the offset.
  const visit = (node: ts.Node): true | undefined => {
    if (offset < node.pos || offset >= node.end) return undefined;
    if (node.getStart(sf) === offset) found = node;
    ts.forEachChild(node, visit);
    return true;
  };
  ts.forEachChild(sf, visit);
  if (found === undefined) throw new HotstateError(`internal error: no declaration at offset ${offset} of ${sf.fileName}. This is a bug in hotstate; please report it with this file.`);
  return found;
}
