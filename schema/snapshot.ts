import { position as positionOf } from '../plugin/lines.ts';
import { HotstateError } from '../runtime/errors.ts';
import type { BindingEntry, FieldEntry, ModuleState, Position, ProjectState } from './types.ts';

/**
 * The committed snapshot of the project's state schema (`hotstate/schema.json`): what `check`
 * compares the sources with, and what `migrate` rewrites. Plain JSON, keys sorted, one binding or
 * field per line and no positions, so that two branches that touch different modules or bindings
 * merge without conflicts and an unrelated edit never changes the file.
 */

export const SNAPSHOT_FORMAT = 'hotstate-schema/1';

const ENTRY_KEYS = ['kind', 'type', 'shape', 'declared', 'annotation', 'init', 'reset', 'parameter', 'accessor'] as const;

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = (record: Record<string, unknown>): string[] => Object.keys(record).sort(byKey);

function entryLine(entry: BindingEntry | FieldEntry): string {
  const ordered: Record<string, unknown> = {};
  for (const key of ENTRY_KEYS) if (key in entry) ordered[key] = (entry as unknown as Record<string, unknown>)[key];
  return JSON.stringify(ordered);
}

/** Writes the snapshot text: stable for the same state, whatever the order it was built in. */
export function serializeSnapshot(state: ProjectState): string {
  const lines = ['{', `  "format": ${JSON.stringify(SNAPSHOT_FORMAT)},`, '  "modules": {'];
  const modules = sortedKeys(state.modules);
  modules.forEach((id, m) => {
    const module = state.modules[id]!;
    lines.push(`    ${JSON.stringify(id)}: {`);
    const bindings = sortedKeys(module.bindings);
    lines.push(`      "bindings": {${bindings.length === 0 ? '},' : ''}`);
    bindings.forEach((name, i) => lines.push(`        ${JSON.stringify(name)}: ${entryLine(module.bindings[name]!)}${i < bindings.length - 1 ? ',' : ''}`));
    if (bindings.length > 0) lines.push('      },');
    const classes = sortedKeys(module.classes);
    lines.push(`      "classes": {${classes.length === 0 ? '}' : ''}`);
    classes.forEach((name, c) => {
      const fields = sortedKeys(module.classes[name]!);
      lines.push(`        ${JSON.stringify(name)}: {${fields.length === 0 ? `}${c < classes.length - 1 ? ',' : ''}` : ''}`);
      fields.forEach((key, i) => lines.push(`          ${JSON.stringify(key)}: ${entryLine(module.classes[name]![key]!)}${i < fields.length - 1 ? ',' : ''}`));
      if (fields.length > 0) lines.push(`        }${c < classes.length - 1 ? ',' : ''}`);
    });
    if (classes.length > 0) lines.push('      }');
    lines.push(`    }${m < modules.length - 1 ? ',' : ''}`);
  });
  lines.push('  }', '}', '');
  return lines.join('\n');
}

/** A snapshot that cannot be read: a finding of `check` (HS101), with where and what to do. */
export class SnapshotError extends HotstateError {
  constructor(
    readonly file: string,
    readonly at: Position,
    readonly problem: string,
  ) {
    super(
      `${file}:${at.line}:${at.column}: the state schema snapshot is corrupt: ${problem}. ` +
        `If it was hand-edited or merged badly, restore it from version control, or run \`hotstate migrate\` to write it again from the sources.`,
    );
  }
}


/** Where each module, binding, class and field is in the snapshot text (for findings about removed state). */
export interface SnapshotIndex {
  module(id: string): Position;
  binding(id: string, name: string): Position;
  field(id: string, cls: string, key: string): Position;
}

export interface Snapshot {
  state: ProjectState;
  index: SnapshotIndex;
}

/** Reads and validates a snapshot; anything unexpected is a `SnapshotError` naming the line. */
export function parseSnapshot(text: string, file: string): Snapshot {
  const conflict = /^(<{7}|={7}|>{7})( |$)/m.exec(text);
  if (conflict !== null) throw new SnapshotError(file, positionOf(text, conflict.index), 'it contains a merge conflict marker');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    throw new SnapshotError(file, positionOf(text, offset), `it is not valid JSON (${message})`);
  }
  const index = indexSnapshot(text);
  const fail = (at: Position, problem: string): never => {
    throw new SnapshotError(file, at, problem);
  };
  const top = { line: 1, column: 1 };
  if (!isRecord(raw)) return fail(top, 'the top level is not an object');
  if (raw.format !== SNAPSHOT_FORMAT) return fail(top, `"format" is ${JSON.stringify(raw.format)}, expected ${JSON.stringify(SNAPSHOT_FORMAT)}`);
  if (!isRecord(raw.modules)) return fail(top, '"modules" is not an object');
  const state: ProjectState = { modules: {} };
  for (const [id, module] of Object.entries(raw.modules)) {
    if (id.startsWith('/') || id.split('/').includes('..') || /^[A-Za-z]:/.test(id)) {
      fail(index.module(id), `module ID ${JSON.stringify(id)} is not a path inside the project (it must be relative to the root, without "..")`);
    }
    if (!isRecord(module) || !isRecord(module.bindings) || !isRecord(module.classes)) {
      return fail(index.module(id), `module ${JSON.stringify(id)} must have "bindings" and "classes" objects`);
    }
    const out: ModuleState = { bindings: {}, classes: {} };
    for (const [name, entry] of Object.entries(module.bindings)) {
      const problem = entryProblem(entry, true);
      if (problem !== undefined) fail(index.binding(id, name), `${id}: binding ${JSON.stringify(name)}: ${problem}`);
      out.bindings[name] = entry as BindingEntry;
    }
    for (const [cls, fields] of Object.entries(module.classes)) {
      if (!isRecord(fields)) return fail(index.module(id), `${id}: class ${JSON.stringify(cls)} is not an object of fields`);
      out.classes[cls] = {};
      for (const [key, entry] of Object.entries(fields)) {
        const problem = entryProblem(entry, false);
        if (problem !== undefined) fail(index.field(id, cls, key), `${id}: field ${cls}.${key}: ${problem}`);
        out.classes[cls]![key] = entry as FieldEntry;
      }
    }
    state.modules[id] = out;
  }
  return { state, index };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entryProblem(entry: unknown, binding: boolean): string | undefined {
  if (!isRecord(entry)) return 'not an object';
  if (typeof entry.type !== 'string' || typeof entry.shape !== 'string') return '"type" and "shape" must be strings';
  if (typeof entry.declared !== 'boolean') return '"declared" must be true or false';
  if (entry.init !== undefined && typeof entry.init !== 'string') return '"init" must be a string';
  if (entry.annotation !== undefined && typeof entry.annotation !== 'string') return '"annotation" must be a string';
  if (binding && entry.kind !== 'let' && entry.kind !== 'var' && entry.kind !== 'const') return '"kind" must be "let", "var" or "const"';
  const unknownKey = Object.keys(entry).find((key) => !(ENTRY_KEYS as readonly string[]).includes(key));
  if (unknownKey !== undefined) return `unknown property ${JSON.stringify(unknownKey)}`;
  return undefined;
}

/**
 * Positions by the layout `serializeSnapshot` writes (one entry per line, fixed indentation); a
 * hand-formatted file still parses, and its findings then point at the module or line 1.
 */
function indexSnapshot(text: string): SnapshotIndex {
  const modules = new Map<string, Position>();
  const entries = new Map<string, Position>();
  let module = '';
  let cls = '';
  let section = '';
  text.split('\n').forEach((line, i) => {
    const match = /^( *)("(?:[^"\\]|\\.)*")\s*:/.exec(line);
    if (match === null) return;
    const key = JSON.parse(match[2]!) as string;
    const at = { line: i + 1, column: match[1]!.length + 1 };
    switch (match[1]!.length) {
      case 4:
        module = key;
        modules.set(key, at);
        break;
      case 6:
        section = key;
        break;
      case 8:
        if (section === 'classes') cls = key;
        entries.set(JSON.stringify([module, section === 'classes' ? 'class' : 'binding', key]), at);
        break;
      case 10:
        entries.set(JSON.stringify([module, 'field', cls, key]), at);
        break;
    }
  });
  const moduleAt = (id: string): Position => modules.get(id) ?? { line: 1, column: 1 };
  return {
    module: moduleAt,
    binding: (id, name) => entries.get(JSON.stringify([id, 'binding', name])) ?? moduleAt(id),
    field: (id, c, key) => entries.get(JSON.stringify([id, 'field', c, key])) ?? entries.get(JSON.stringify([id, 'class', c])) ?? moduleAt(id),
  };
}
