import MagicString, { type SourceMap } from 'magic-string';
import {
  CONTRACT_VERSION,
  RUNTIME_EXPORT,
  RUNTIME_SPECIFIER,
  type IncompatiblePolicy,
  type ModuleMeta,
  type ModuleSchema,
} from '../runtime/contract.ts';
import { asiHazards, type Node } from './ast.ts';
import { classSchema, directiveOf, inventory } from './analyze.ts';
import { textHash } from './hash.ts';
import { lineIndex } from './lines.ts';
import { EmittedNames } from './names.ts';
import { parseModule } from './parse.ts';
import { classFrame, rewriteClass, rewritePrivateUse, type ClassFrame, type PrivateUse } from './rewrite-classes.ts';
import { preludeForDeclaration, rewriteFunction } from './rewrite-functions.ts';
import { cellCall, nestedVars, rewriteNestedVar, rewriteState } from './rewrite-state.ts';
import { ReferenceWalker, type WalkHandler } from './walk.ts';

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
}

export interface Diagnostic {
  message: string;
  line: number;
  column: number;
}

export interface TransformResult {
  code: string;
  map: SourceMap;
  schema: ModuleSchema;
  diagnostics: Diagnostic[];
}

/**
 * The one transform every host uses. Takes a module's source (TypeScript or JavaScript) and
 * returns instrumented code with a source map, the module's state schema and diagnostics; or
 * `null` when the module opts out with `// @hotstate ignore`.
 *
 * Edits are made in place with magic-string, and the prelude is prepended to the first line, so
 * that every original line keeps its number even without the source map.
 */
export function transform(code: string, options: TransformOptions): TransformResult | null {
  const { program, comments } = parseModule(code, options.filename);
  if (comments.some((comment) => directiveOf(comment) === 'ignore')) return null;

  const line = lineIndex(code);
  const names = new EmittedNames(code, textHash(`${options.id}\0${code}`));
  const refresh = options.refresh === true && (/\.[jt]sx$/.test(options.filename.replace(/[?#].*$/, '')) ? 'jsx' : 'hooks');
  const found = inventory(program as unknown as Node, code, comments, line, { refresh });
  const s = new MagicString(code);
  const hazards = asiHazards(program as unknown as Node, code);
  const asiGuard = (offset: number): string => (hazards.has(offset) ? ';' : '');
  const diagnostics: Diagnostic[] = [];

  const frames = new Map<Node, ClassFrame>(found.classes.map((binding) => [binding.node, classFrame(binding, names)]));
  const converted = new Set<Node>(found.functions.filter((f) => f.fn.type === 'ArrowFunctionExpression').map((f) => f.fn));

  const privateUses: PrivateUse[] = [];
  const handler: WalkHandler = {
    topLevel(id, _ctx, info) {
      const name = id.name as string;
      if (found.cells.has(name)) {
        const parent = info.parent;
        if (info.shorthand) {
          // In an object literal, `__proto__: value` would set the prototype; the shorthand does not.
          const key = name === '__proto__' && info.key !== 'pattern' ? '["__proto__"]' : name;
          s.overwrite(id.start, id.end, `${key}: ${name}.v`);
        } else if ((parent?.type === 'CallExpression' && info.key === 'callee') || (parent?.type === 'TaggedTemplateExpression' && info.key === 'tag')) {
          // `f()` must not become a method call on the cell: keep `this` undefined.
          s.overwrite(id.start, id.end, `${asiGuard(id.start)}(0, ${name}.v)`);
        } else s.appendLeft(id.end, '.v');
      } else if (found.onceNames.has(name) && info.parent?.type === 'CallExpression' && info.key === 'callee') {
        s.overwrite(id.start, id.end, `${names.hs}.once`);
      }
    },
    classSelf(id, ctx) {
      if (ctx.deferred) s.overwrite(id.start, id.end, (ctx.cls as ClassFrame).alias);
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
  for (const statement of program.body as unknown as Node[]) walker.statement(statement);
  // Innermost first, so an outer use copies the inner ones' rewritten text.
  privateUses.sort((a, b) => a.node.end - a.node.start - (b.node.end - b.node.start));
  for (const use of privateUses) rewritePrivateUse(s, use, names, asiGuard(use.node.start));

  for (const specifier of found.exportSpecifiers) {
    const local = specifier.local.name as string;
    if (found.cells.has(local)) s.overwrite(specifier.start, specifier.end, `${names.mirror(local)} as ${code.slice(specifier.exported.start, specifier.exported.end)}`);
  }
  for (const frame of frames.values()) rewriteClass(s, frame, names);
  for (const fn of found.functions) rewriteFunction(s, fn, names, code);
  for (const declaration of found.state) rewriteState(s, declaration, names, found.exportedCells, code);
  for (const nested of nestedVars(program as unknown as Node)) rewriteNestedVar(s, nested.declaration, nested.position, asiGuard(nested.declaration.start));

  for (const member of found.classes.flatMap((c) => c.node.body.body as Node[])) {
    if (member.type === 'AccessorProperty') {
      diagnostics.push({
        message: `\`accessor\` fields of top-level classes are not upgraded on live instances yet; ${code.slice(member.start, member.key.end)} keeps its first version's storage`,
        line: line(member.start),
        column: 0,
      });
    }
  }

  const schema: ModuleSchema = {
    bindings: found.bindings,
    classes: found.classes.map((binding) => classSchema(binding, code, line)).sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
  const meta: ModuleMeta = {
    contract: CONTRACT_VERSION,
    id: options.id,
    schema,
    onIncompatible: options.onIncompatible ?? 'reset',
    staleGlobal: names.staleGlobal,
  };
  // After a hashbang line, which must stay first.
  const hashbang = (program as unknown as Node).hashbang as Node | null;
  const preludeText = prelude(names, meta, found, options.runtime ?? RUNTIME_SPECIFIER);
  if (hashbang) s.appendLeft(hashbang.end, `\n${preludeText}`);
  else s.prepend(preludeText);
  s.append(`\n${names.hs}.commit();\n`);

  return {
    code: s.toString(),
    map: s.generateMap({ source: options.filename, includeContent: true, hires: 'boundary' }),
    schema,
    diagnostics,
  };
}

function prelude(names: EmittedNames, meta: ModuleMeta, found: ReturnType<typeof inventory>, runtime: string): string {
  const enter = found.topLevelAwait ? `await ${names.runtime}.enterQueued` : `${names.runtime}.enter`;
  const hot = `${names.hs}_hot`;
  const settle = `(m) => ${names.runtime}.settle(${hot}, m)`;
  const parts = [
    `import { ${RUNTIME_EXPORT} as ${names.runtime} } from ${JSON.stringify(runtime)};`,
    `var ${hot} = import.meta.hot;`,
    // Vite's import analysis looks for a literal `import.meta.hot.accept(` / `.acceptExports([...])`.
    // A module whose exports all keep working across versions (state, functions, classes) accepts
    // itself; one that also exports code (a plain const, a default expression, a re-export) accepts
    // only the stable exports, so importers of the code exports run again and see new values.
    // It comes before `enter`, so that a version `enter` refuses still has it for the next update.
    found.stableExports === null
      ? `if (import.meta.hot) import.meta.hot.accept(${settle});`
      : `if (import.meta.hot) import.meta.hot.acceptExports(${JSON.stringify(found.stableExports)}, ${settle});`,
    `var ${names.hs} = ${enter}(${hot}, ${JSON.stringify(meta)}, ${names.live});`,
    `function ${names.live}() {}`,
  ];
  for (const fn of found.functions) if (!fn.declarator) parts.push(preludeForDeclaration(names, fn.name));
  // A `var` exists before the module body runs (a circular importer may already read or write it),
  // so its binding starts as a hoisted function object that stands in for the cell until here.
  for (const name of found.moduleVars) {
    parts.push(`function ${name}() {} ${name} = ${cellCall(names, name, found.exportedCells.has(name), false, name)};`);
  }
  return parts.join(' ');
}
