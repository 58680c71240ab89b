import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node } from '../plugin/ast.ts';
import { position as positionIn } from '../plugin/lines.ts';
import { parseModule } from '../plugin/parse.ts';
import { targetLabel, type Change, type Target } from './diff.ts';
import { sourceFingerprint } from '../runtime/contract.ts';
import type { ModuleState, Position, TypeInfo } from './types.ts';

/**
 * Migrations are plain TypeScript files in the migrations folder (default `hotstate/migrations/`),
 * written as stubs by `hotstate migrate` and completed by the user:
 *
 * ```ts
 * export interface Old { count: number }
 * export interface New { count: string }
 * export const migration = {
 *   module: 'src/counter.ts',
 *   covers: { count: { from: 'number', to: 'string', source: { from: ': number', to: ': string' } } },
 *   state(old: Old): Partial<New> { return { count: String(old.count) }; },
 * };
 * ```
 *
 * `covers` keys a migration by the exact change it handles (the target and its old and new type
 * shapes), so unrelated edits to the module never invalidate it. `check` reads these files
 * without running them. `source` records the same change as the dev server sees it without a type
 * checker (the annotation, or the initializer's hash when the type is inferred): at run time a
 * migration applies to the update that makes exactly that change (`runtime/migrations.ts`).
 */

/** The migrations folder, relative to the project root, unless configured. */
export const DEFAULT_MIGRATIONS = 'hotstate/migrations';

/** The message every stub throws until it is implemented; `check` looks for it. */
export const NOT_IMPLEMENTED = 'hotstate migration not implemented';

export interface Covered {
  /** `count`, or `Task.#done` for a class field. */
  target: string;
  from: string;
  to: string;
  /** The old name, when the migration renames. */
  renamedFrom?: string;
  at: Position;
}

export interface MigrationFile {
  file: string;
  module: string;
  covers: Covered[];
  /** Where a stub still throws `NOT_IMPLEMENTED`, if it does. */
  notImplemented?: Position;
  at: Position;
}

/** A file in the migrations folder that is not a migration hotstate can read. */
export interface MalformedMigration {
  file: string;
  at: Position;
  problem: string;
}

export function readMigrations(dir: string): { migrations: MigrationFile[]; malformed: MalformedMigration[] } {
  const migrations: MigrationFile[] = [];
  const malformed: MalformedMigration[] = [];
  if (!existsSync(dir)) return { migrations, malformed };
  for (const name of readdirSync(dir).sort()) {
    if (!/\.[mc]?ts$/.test(name) || name.endsWith('.d.ts')) continue;
    const file = path.join(dir, name);
    const result = readMigration(file, readFileSync(file, 'utf8'));
    if ('problem' in result) malformed.push(result);
    else migrations.push(result);
  }
  return { migrations, malformed };
}


const keyName = (key: Node): string | undefined => (key.type === 'Identifier' ? key.name : key.type === 'Literal' && typeof key.value === 'string' ? key.value : undefined);

function stringProperty(object: Node, name: string): string | undefined {
  const property = (object.properties as Node[]).find((p) => p.type === 'Property' && keyName(p.key) === name);
  const value = property?.value as Node | undefined;
  if (value?.type === 'Literal' && typeof value.value === 'string') return value.value;
  if (value?.type === 'TemplateLiteral' && value.expressions.length === 0) return value.quasis[0].value.cooked as string;
  return undefined;
}

/** Reads `export const migration = { module, covers, ... }` statically. */
export function readMigration(file: string, code: string): MigrationFile | MalformedMigration {
  const top = { line: 1, column: 1 };
  let program: Node;
  try {
    program = parseModule(code, file).program as unknown as Node;
  } catch (error) {
    return { file, at: top, problem: error instanceof Error ? error.message : String(error) };
  }
  let object: Node | undefined;
  let at = top;
  for (const statement of program.body as Node[]) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : undefined;
    if (declaration?.type !== 'VariableDeclaration') continue;
    for (const declarator of declaration.declarations as Node[]) {
      if (declarator.id.type === 'Identifier' && declarator.id.name === 'migration' && declarator.init?.type === 'ObjectExpression') {
        object = declarator.init;
        at = positionIn(code, declarator.start);
      }
    }
  }
  const expected = 'expected `export const migration = { module: "<module ID>", covers: { ... }, state(old) { ... } }` as `hotstate migrate` writes it';
  if (object === undefined) return { file, at: top, problem: `no \`export const migration\` object; ${expected}` };
  const module = stringProperty(object, 'module');
  if (module === undefined) return { file, at, problem: `\`module\` is not a string literal; ${expected}` };
  const coversProperty = (object.properties as Node[]).find((p) => p.type === 'Property' && keyName(p.key) === 'covers');
  if (coversProperty?.value.type !== 'ObjectExpression') return { file, at, problem: `\`covers\` is not an object literal; ${expected}` };
  const covers: Covered[] = [];
  for (const property of coversProperty.value.properties as Node[]) {
    const target = property.type === 'Property' ? keyName(property.key) : undefined;
    const from = property.value?.type === 'ObjectExpression' ? stringProperty(property.value, 'from') : undefined;
    const to = property.value?.type === 'ObjectExpression' ? stringProperty(property.value, 'to') : undefined;
    const where = positionIn(code, property.start);
    if (target === undefined || from === undefined || to === undefined) {
      return { file, at: where, problem: 'each entry of `covers` must be `<name>: { from: "<old type>", to: "<new type>" }` with string literals' };
    }
    const renamedFrom = stringProperty(property.value, 'renamedFrom');
    covers.push({ target, from, to, ...(renamedFrom !== undefined ? { renamedFrom } : {}), at: where });
  }
  const marker = code.indexOf(NOT_IMPLEMENTED);
  return { file, module, covers, at, ...(marker >= 0 ? { notImplemented: positionIn(code, marker) } : {}) };
}

/** The migration covering a change exactly (same target, old shape and new shape), if any. */
export function coveringMigration(migrations: MigrationFile[], change: Change): { migration: MigrationFile; covered: Covered } | undefined {
  const target = targetLabel(change.target);
  for (const migration of migrations) {
    if (migration.module !== change.module) continue;
    for (const covered of migration.covers) {
      if (covered.target === target && covered.from === change.before?.shape && covered.to === change.after?.shape) return { migration, covered };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Stubs

/** What the runtime sees of a declaration's type: see `sourceFingerprint`. */
const fingerprint = (entry: TypeInfo): string =>
  sourceFingerprint({ ...(entry.annotation !== undefined ? { type: entry.annotation } : {}), ...(entry.init !== undefined ? { init: entry.init } : {}) });

const identifier = /^[A-Za-z_$][\w$]*$/;
const propertyName = (name: string): string => (identifier.test(name) ? name : JSON.stringify(name));

function stateInterface(name: string, doc: string, fields: Record<string, { shape: string }>): string {
  const lines = Object.keys(fields)
    .sort()
    .map((key) => `  ${propertyName(key)}: ${fields[key]!.shape};`);
  return `/** ${doc} */\nexport interface ${name} {\n${lines.join('\n')}${lines.length ? '\n' : ''}}\n`;
}

/**
 * A migration stub for one module's unsafe changes. Types `Old`/`New` are the module's state
 * before and after; for a class, `Old<Class>`/`New<Class>` hold an instance's fields and
 * `Old<Class>Statics`/`New<Class>Statics` its static fields. Confirmed renames are written out
 * already; everything else, suspected renames included, throws `NOT_IMPLEMENTED` until the user
 * fills it in.
 */
export function migrationStub(module: string, changes: Change[], before: ModuleState, after: ModuleState): string {
  const isStatic = (c: Change): boolean => c.target.kind === 'field' && c.target.key.startsWith('static ');
  const bindingChanges = changes.filter((c) => c.target.kind === 'binding');
  const classesOf = (list: Change[]): string[] => [...new Set(list.flatMap((c) => (c.target.kind === 'field' ? [c.target.cls] : [])))].sort();
  const instanceClasses = classesOf(changes.filter((c) => c.target.kind === 'field' && !isStatic(c)));
  const staticClasses = classesOf(changes.filter(isStatic));
  /** A class's instance fields, or its static fields without the `static ` prefix. */
  const fieldsOf = (state: ModuleState, cls: string, statics: boolean): Record<string, { shape: string }> =>
    Object.fromEntries(
      Object.entries(state.classes[cls] ?? {})
        .filter(([key]) => key.startsWith('static ') === statics)
        .map(([key, entry]) => [statics ? key.slice('static '.length) : key, entry]),
    );
  const parts: string[] = [
    `/**\n * hotstate migration for ${module}, written by \`hotstate migrate\`.\n * Fill in the functions below (they receive the state as it was and return the new values),\n * then run \`npx hotstate check\`. Keep \`module\` and \`covers\` as they are: hotstate applies this\n * migration to exactly these changes.\n */\n`,
  ];
  if (bindingChanges.length > 0) {
    parts.push(stateInterface('Old', `${module}: module state before the change.`, before.bindings));
    parts.push(stateInterface('New', `${module}: module state after the change.`, after.bindings));
  }
  for (const cls of instanceClasses) {
    parts.push(stateInterface(`Old${cls}`, `${module}: fields of a \`${cls}\` instance before the change.`, fieldsOf(before, cls, false)));
    parts.push(stateInterface(`New${cls}`, `${module}: fields of a \`${cls}\` instance after the change.`, fieldsOf(after, cls, false)));
  }
  for (const cls of staticClasses) {
    parts.push(stateInterface(`Old${cls}Statics`, `${module}: static fields of \`${cls}\` before the change.`, fieldsOf(before, cls, true)));
    parts.push(stateInterface(`New${cls}Statics`, `${module}: static fields of \`${cls}\` after the change.`, fieldsOf(after, cls, true)));
  }
  const coversLines = changes.map((c) => {
    const renamed = c.change === 'rename' && c.from !== undefined ? `, renamedFrom: ${JSON.stringify(targetLabel(c.from))}` : '';
    const source = `source: { from: ${JSON.stringify(fingerprint(c.before!))}, to: ${JSON.stringify(fingerprint(c.after!))} }`;
    return `    ${JSON.stringify(targetLabel(c.target))}: { from: ${JSON.stringify(c.before!.shape)}, to: ${JSON.stringify(c.after!.shape)}${renamed}, ${source} },`;
  });
  const localName = (t: Target): string => (t.kind === 'binding' ? t.name : t.key.replace(/^static /, ''));
  const read = (t: Target): string => (identifier.test(localName(t)) ? `old.${localName(t)}` : `old[${JSON.stringify(localName(t))}]`);
  const body = (list: Change[]): string => {
    const confirmed = list.filter((c) => c.change === 'rename' && c.confirmed === true && c.from !== undefined);
    const assigned = confirmed.map((c) => `${propertyName(localName(c.target))}: ${read(c.from!)}`);
    const todo = list.filter((c) => !confirmed.includes(c));
    if (todo.length === 0) return `    return { ${assigned.join(', ')} };`;
    const hints = todo.map((c) =>
      c.change === 'rename' && c.from !== undefined
        ? `    // ${targetLabel(c.target)}: new, and ${targetLabel(c.from)} is gone. If it is a rename: ${propertyName(localName(c.target))}: ${read(c.from)}`
        : `    // ${targetLabel(c.target)}: ${c.before!.type} → ${c.after!.type}`,
    );
    const what = todo
      .map((c) => `${targetLabel(c.target)} (${c.change === 'rename' && c.from !== undefined ? `new; a rename of ${targetLabel(c.from)}?` : `${c.before!.type} → ${c.after!.type}`})`)
      .join(', ');
    return (
      `    // Return the new values${assigned.length ? ` (renames already written: ${assigned.join(', ')})` : ''}:\n${hints.join('\n')}\n` +
      `    throw new Error(${JSON.stringify(`${NOT_IMPLEMENTED}: ${module}: ${what}`)});`
    );
  };
  const indent = (text: string): string => text.replace(/^/gm, '  ');
  const perClass = (classes: string[], statics: boolean): string =>
    classes
      .map((cls) => {
        const list = changes.filter((c) => c.target.kind === 'field' && c.target.cls === cls && isStatic(c) === statics);
        const suffix = statics ? 'Statics' : '';
        return `    ${propertyName(cls)}(old: Old${cls}${suffix}): Partial<New${cls}${suffix}> {\n${indent(body(list))}\n    },`;
      })
      .join('\n');
  const members: string[] = [];
  if (bindingChanges.length > 0) members.push(`  state(old: Old): Partial<New> {\n${body(bindingChanges)}\n  },`);
  if (instanceClasses.length > 0) members.push(`  /** Runs once per live instance; returns the new values of its fields. */\n  instances: {\n${perClass(instanceClasses, false)}\n  },`);
  if (staticClasses.length > 0) members.push(`  /** Runs once per class; returns the new values of its static fields. */\n  statics: {\n${perClass(staticClasses, true)}\n  },`);
  parts.push(`export const migration = {\n  module: ${JSON.stringify(module)},\n  covers: {\n${coversLines.join('\n')}\n  },\n${members.join('\n')}\n};\n`);
  return parts.join('\n');
}

/** `0003-src-counter-count.ts`: the next number in the folder, then a slug. */
export function stubFileName(dir: string, slug: string): string {
  const sequence = (existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{4}-/.test(f)).length : 0) + 1;
  return `${String(sequence).padStart(4, '0')}-${slug.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 80)}.ts`;
}
