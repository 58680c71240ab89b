import type { BindingEntry, FieldEntry, ModuleState, ProjectState } from './types.ts';

/**
 * How the state's shape changed between two schemas (the committed snapshot and the sources),
 * per binding and per class field, never matched by position (SPEC §3).
 */

export type ChangeKind =
  /** New state: it is initialized on update. */
  | 'added'
  /** State that is gone: its value is dropped on update. */
  | 'removed'
  /** Same type, new initializer: the value is kept. */
  | 'initializer'
  /** New type that every old value still fits. */
  | 'widened'
  /** New type that old values may not fit: needs a migration (or is reset). */
  | 'incompatible'
  /** Removed + added with a type the old values fit: maybe a rename; never applied unconfirmed. */
  | 'rename';

/** A module-level binding (`count`) or a class field (`Task`, `#done`). */
export type Target = { kind: 'binding'; name: string } | { kind: 'field'; cls: string; key: string };

export interface Change {
  module: string;
  target: Target;
  change: ChangeKind;
  before?: BindingEntry | FieldEntry;
  after?: BindingEntry | FieldEntry;
  /** For `rename`: the removed binding or field it may be the new name of. */
  from?: Target;
  /** For `rename`: the user confirmed it (`hotstate migrate --rename`); a suspected rename is never applied. */
  confirmed?: true;
}

/** Decides, for pairs of shapes, whether values of the first fit the second (the checker's assignability). */
export type Assignability = (pairs: ReadonlyArray<{ from: string; to: string }>) => boolean[];

export function targetLabel(target: Target): string {
  return target.kind === 'binding' ? target.name : `${target.cls}.${target.key}`;
}

/** `module:name` or `module:Class.key`: how renames are named on the command line and in migrations. */
export function targetKey(module: string, target: Target): string {
  return `${module}:${targetLabel(target)}`;
}

type Entry = BindingEntry | FieldEntry;

interface Slot {
  module: string;
  target: Target;
  before?: Entry;
  after?: Entry;
}

/** Every piece of state in either schema, paired by module and name. */
function slots(before: ProjectState, after: ProjectState): Slot[] {
  const out: Slot[] = [];
  const empty: ModuleState = { bindings: {}, classes: {} };
  for (const module of new Set([...Object.keys(before.modules), ...Object.keys(after.modules)])) {
    const b = before.modules[module] ?? empty;
    const a = after.modules[module] ?? empty;
    for (const name of new Set([...Object.keys(b.bindings), ...Object.keys(a.bindings)])) {
      out.push({ module, target: { kind: 'binding', name }, ...defined('before', b.bindings[name]), ...defined('after', a.bindings[name]) });
    }
    for (const cls of new Set([...Object.keys(b.classes), ...Object.keys(a.classes)])) {
      const bf = b.classes[cls] ?? {};
      const af = a.classes[cls] ?? {};
      for (const key of new Set([...Object.keys(bf), ...Object.keys(af)])) {
        out.push({ module, target: { kind: 'field', cls, key }, ...defined('before', bf[key]), ...defined('after', af[key]) });
      }
    }
  }
  return out;
}

const defined = <K extends string>(key: K, value: Entry | undefined): { [P in K]?: Entry } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: Entry };

/** Renames stay within one module and one kind: bindings with bindings, fields of the same class and staticness. */
function sameScope(a: Slot, b: Slot): boolean {
  if (a.module !== b.module || a.target.kind !== b.target.kind) return false;
  if (a.target.kind === 'binding' || b.target.kind === 'binding') return true;
  return a.target.cls === b.target.cls && a.target.key.startsWith('static ') === b.target.key.startsWith('static ');
}

/**
 * Classifies every change. Unchanged state is left out. Shapes are compared as text first; only
 * differing shapes go to the checker, in one batch.
 */
export function diffStates(before: ProjectState, after: ProjectState, assignable: Assignability): Change[] {
  const all = slots(before, after);
  const changed = all.filter((s) => s.before !== undefined && s.after !== undefined && s.before.shape !== s.after.shape);
  const removed = all.filter((s) => s.before !== undefined && s.after === undefined);
  const added = all.filter((s) => s.before === undefined && s.after !== undefined);
  const candidates = removed.flatMap((r) => added.filter((a) => sameScope(r, a)).map((a) => ({ r, a })));
  const answers = assignable([
    ...changed.map((s) => ({ from: s.before!.shape, to: s.after!.shape })),
    ...candidates.map(({ r, a }) => ({ from: r.before!.shape, to: a.after!.shape })),
  ]);

  const changes: Change[] = [];
  changed.forEach((s, i) => {
    changes.push({ module: s.module, target: s.target, change: answers[i] ? 'widened' : 'incompatible', before: s.before!, after: s.after! });
  });
  for (const s of all) {
    if (s.before !== undefined && s.after !== undefined && s.before.shape === s.after.shape && s.before.init !== s.after.init) {
      changes.push({ module: s.module, target: s.target, change: 'initializer', before: s.before, after: s.after });
    }
  }
  // A removed and an added binding whose types fit: maybe a rename. Each side pairs at most once,
  // in name order, so the result does not depend on declaration order.
  const paired = new Set<Slot>();
  candidates.forEach(({ r, a }, i) => {
    if (!answers[changed.length + i] || paired.has(r) || paired.has(a)) return;
    paired.add(r).add(a);
    changes.push({ module: a.module, target: a.target, change: 'rename', before: r.before!, after: a.after!, from: r.target });
  });
  for (const s of removed) if (!paired.has(s)) changes.push({ module: s.module, target: s.target, change: 'removed', before: s.before! });
  for (const s of added) if (!paired.has(s)) changes.push({ module: s.module, target: s.target, change: 'added', after: s.after! });
  return changes.sort((x, y) => (targetKey(x.module, x.target) < targetKey(y.module, y.target) ? -1 : 1));
}

/** Changes that lose or misread live state unless a migration (or a confirmed rename) covers them. */
export function isUnsafe(change: Change): boolean {
  if (change.after !== undefined && 'reset' in change.after && change.after.reset === true) return false;
  return change.change === 'incompatible' || change.change === 'rename';
}
