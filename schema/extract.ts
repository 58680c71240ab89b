import path from 'node:path';
import ts from 'typescript';
import { directiveOf, inventory, memberName } from '../plugin/analyze.ts';
import { boundIdentifiers, varIdentifiers, type Node } from '../plugin/ast.ts';
import { textHash } from '../plugin/hash.ts';
import { lineIndex } from '../plugin/lines.ts';
import { moduleId } from '../plugin/module-id.ts';
import { parseModule } from '../plugin/parse.ts';
import { HotstateError } from '../runtime/errors.ts';
import { shapeOf } from './shape.ts';
import type { BindingEntry, FieldEntry, ModuleLocations, ModuleState, Position, ProjectState, TypeInfo } from './types.ts';

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
  const typeInfo = (node: ts.Node, declared: boolean, init: string | undefined, widen: boolean): TypeInfo => {
    // Through the symbol: a name that is a string literal would otherwise give its own literal type.
    const symbol = checker.getSymbolAtLocation(node);
    let type = symbol !== undefined ? checker.getTypeOfSymbolAtLocation(symbol, node) : checker.getTypeAtLocation(node);
    if (widen) type = checker.getBaseTypeOfLiteralType(type);
    return {
      type: checker.typeToString(type, node, ts.TypeFormatFlags.NoTruncation),
      shape: shapeOf(checker, type, { refName }),
      declared,
      ...(init !== undefined ? { init } : {}),
    };
  };

  const state: ProjectState = { modules: {} };
  const locations = new Map<string, ModuleLocations>();
  for (const sf of program.getSourceFiles()) {
    const file = path.resolve(sf.fileName);
    if (!projectFile(sf) || !isModuleFile(file) || skip.some((folder) => file.startsWith(folder))) continue;
    const id = moduleId(root, file);
    if (id.startsWith('../')) continue;
    const extracted = extractModule(sf, file, { typeInfo });
    if (extracted === null) continue;
    state.modules[id] = extracted.state;
    locations.set(id, extracted.locations);
  }
  return { state, locations, program };
}

interface ModuleContext {
  typeInfo: (node: ts.Node, declared: boolean, init: string | undefined, widen: boolean) => TypeInfo;
}

function extractModule(sf: ts.SourceFile, file: string, ctx: ModuleContext): { state: ModuleState; locations: ModuleLocations } | null {
  const code = sf.text;
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
  const state: ModuleState = { bindings: {}, classes: {} };
  const locations: ModuleLocations = { file, bindings: {}, classes: {} };
  const position = (offset: number): Position => {
    const { line, character } = sf.getLineAndCharacterOfPosition(offset);
    return { line: line + 1, column: character + 1 };
  };

  for (const declaration of found.state) {
    for (const declarator of declaration.declaration.declarations as Node[]) {
      const ids = boundIdentifiers(declarator.id);
      const declared = declarator.id.typeAnnotation != null;
      for (const identifier of ids) {
        const name = identifier.name as string;
        const node = nodeAt(sf, identifier.start);
        const init = ids.length === 1 && declarator.init ? textHash(code.slice(declarator.init.start, declarator.init.end)) : undefined;
        const entry: BindingEntry = {
          kind: declaration.constant ? 'const' : declaration.isVar ? 'var' : 'let',
          ...ctx.typeInfo(node, declared, init, declaration.constant),
          ...(declaration.reset ? { reset: true as const } : {}),
        };
        state.bindings[name] = entry;
        locations.bindings[name] = position(identifier.start);
      }
    }
  }
  // A `var` in a top-level block or loop head is module state too.
  for (const identifier of varIdentifiers(program)) {
    const name = identifier.name as string;
    if (name in state.bindings) continue;
    state.bindings[name] = { kind: 'var', ...ctx.typeInfo(nodeAt(sf, identifier.start), false, undefined, false) };
    locations.bindings[name] = position(identifier.start);
  }

  for (const cls of found.classes) {
    const fields: Record<string, FieldEntry> = {};
    const fieldPositions: Record<string, Position> = {};
    const add = (key: string, keyNode: Node, entry: FieldEntry): void => {
      fields[key] = entry;
      fieldPositions[key] = position(keyNode.start);
    };
    for (const member of cls.node.body.body as Node[]) {
      if ((member.type === 'PropertyDefinition' || member.type === 'AccessorProperty') && !member.declare) {
        const name = memberName(member);
        if (name === undefined) continue;
        const init = member.value ? textHash(code.slice(member.value.start, member.value.end)) : undefined;
        const info = ctx.typeInfo(nodeAt(sf, member.key.start), member.typeAnnotation != null, init, false);
        add(member.static ? `static ${name}` : name, member.key, { ...info, ...(member.type === 'AccessorProperty' ? { accessor: true as const } : {}) });
      } else if (member.type === 'MethodDefinition' && member.kind === 'constructor') {
        for (const param of member.value.params as Node[]) {
          if (param.type !== 'TSParameterProperty') continue;
          const identifier = param.parameter.type === 'AssignmentPattern' ? param.parameter.left : param.parameter;
          if (identifier.type !== 'Identifier') continue;
          const info = ctx.typeInfo(nodeAt(sf, identifier.start), identifier.typeAnnotation != null, undefined, false);
          add(identifier.name, identifier, { ...info, parameter: true });
        }
      }
    }
    state.classes[cls.name] = fields;
    locations.classes[cls.name] = { at: position(cls.node.id?.start ?? cls.node.start), fields: fieldPositions };
  }
  return { state, locations };
}

/** The innermost TypeScript node that starts (after trivia) at `offset`: a declaration's name. */
function nodeAt(sf: ts.SourceFile, offset: number): ts.Node {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (offset < node.pos || offset >= node.end) return;
    if (node.getStart(sf) === offset) found = node;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  if (found === undefined) throw new HotstateError(`internal error: no declaration at offset ${offset} of ${sf.fileName}. This is a bug in hotstate; please report it with this file.`);
  return found;
}
