import {
  sourceFingerprint,
  type BindingSchema,
  type FieldSchema,
  type Migration,
  type MigrationModule,
  type ModuleSchema,
} from './contract.ts';
import { HotstateError } from './errors.ts';
import { classFields, fieldKey, isState } from './schema.ts';

/**
 * Migrations at run time: which of a module's migrations an update applies, and running them.
 *
 * A migration's `covers` says, per target, what the declaration looked like before and after the
 * change it was written for (`source`: the annotation, or the initializer's hash when the type is
 * inferred; see `sourceFingerprint`). An update applies the migrations that lead, one after
 * another, from what the running version declares to what the new version declares; a chain
 * (A → B, then B → C) applies in file order. A migration applies once per loaded module: once
 * the committed state is past it (it was applied, or the module loaded with code that already
 * declares what it leads to) it is never offered again (`isPast`). That also covers a change the
 * runtime cannot see (a property added to an interface: the same annotation before and after):
 * such a migration applies at the first update that brings it.
 */

/** A target named as in `covers`: `count`, `Task.done`, `Task.#done`, `Task.static total`. */
export type Target = { kind: 'binding'; name: string } | { kind: 'field'; cls: string; name: string; static: boolean };

export function parseTarget(label: string): Target {
  const dot = label.indexOf('.');
  if (dot < 0) return { kind: 'binding', name: label };
  const rest = label.slice(dot + 1);
  const isStatic = rest.startsWith('static ');
  return { kind: 'field', cls: label.slice(0, dot), name: isStatic ? rest.slice('static '.length) : rest, static: isStatic };
}

/** The store key of a target, as `planUpdate` keys resets: `count`, `C.x`, `C.static.x`. */
export function targetStoreKey(target: Target): string {
  return target.kind === 'binding' ? target.name : fieldKey(target.cls, target);
}

function lookup(schema: ModuleSchema, target: Target): BindingSchema | FieldSchema | undefined {
  if (target.kind === 'binding') return schema.bindings.find((b) => b.name === target.name && isState(b));
  return classFields(schema, target.cls).find((f) => f.name === target.name && f.static === target.static);
}

/** The migrations one update applies, in order, and what each covers. */
export interface MigrationPlan {
  chain: MigrationModule[];
  /** Store key → the file of the migration that produces its new value (the last in the chain). */
  covered: Map<string, string>;
  /** Store keys of old targets that a migration renamed, → `renamed to X by file`. */
  renamed: Map<string, string>;
  /** Why a migration that looked relevant was not applied (for the report). */
  notes: string[];
}

/**
 * Decides which of `offered` (the new version's migrations not yet settled for this module) the
 * update from `before` to `after` applies.
 */
export function matchMigrations(id: string, before: ModuleSchema, after: ModuleSchema, offered: MigrationModule[]): MigrationPlan {
  const plan: MigrationPlan = { chain: [], covered: new Map(), renamed: new Map(), notes: [] };
  /** Label → the fingerprint the state has reached so far along the chain. */
  const reached = new Map<string, string>();
  const consumed = new Set<string>();
  const current = (label: string): string | undefined => {
    if (consumed.has(label)) return undefined;
    if (reached.has(label)) return reached.get(label);
    const entry = lookup(before, parseTarget(label));
    return entry === undefined ? undefined : sourceFingerprint(entry);
  };
  for (const offer of [...offered].sort((a, b) => (a.file < b.file ? -1 : 1))) {
    const { migration, file } = offer;
    if (migration?.module !== id) continue;
    const covers = Object.entries(migration.covers ?? {});
    const fits =
      covers.length > 0 &&
      covers.every(([target, cover]) => {
        const from = cover.renamedFrom ?? target;
        const now = lookup(after, parseTarget(target));
        if (cover.source === undefined || now === undefined || current(from) !== cover.source.from) return false;
        // Already where the new version is: a later step of the chain would overshoot.
        return cover.source.from === cover.source.to || cover.source.from !== sourceFingerprint(now);
      });
    if (!fits) continue;
    plan.chain.push(offer);
    for (const [target, cover] of covers) {
      if (cover.renamedFrom !== undefined && cover.renamedFrom !== target) {
        consumed.add(cover.renamedFrom);
        plan.renamed.set(targetStoreKey(parseTarget(cover.renamedFrom)), `renamed to \`${target}\` by ${file}`);
      }
      reached.set(target, cover.source!.to);
      plan.covered.set(targetStoreKey(parseTarget(target)), file);
    }
  }
  // The chain must arrive where the new version is; a partial chain applies nothing.
  for (const [label, fingerprint] of reached) {
    const now = sourceFingerprint(lookup(after, parseTarget(label))!);
    if (fingerprint !== now) {
      plan.notes.push(
        `the migrations for \`${label}\` (${plan.chain.map((m) => m.file).join(', ')}) lead to \`${fingerprint}\`, but the new version declares \`${now}\`; none was applied`,
      );
      return { chain: [], covered: new Map(), renamed: new Map(), notes: plan.notes };
    }
  }
  return plan;
}

/** Old values the chain reads, taken before the new version's code runs. */
export interface Captured {
  state: Record<string, unknown>;
  statics: Map<string, Record<string, unknown>>;
  instances: Map<string, Array<{ instance: object; old: Record<string, unknown> }>>;
}

/** New values the chain computed, applied once the version committed. */
export interface Computed {
  state: Record<string, unknown>;
  statics: Map<string, Record<string, unknown>>;
  instances: Map<string, Array<{ instance: object; values: Record<string, unknown> }>>;
}

/** The classes whose instances (or statics) some migration of the chain transforms. */
export function classesTouched(chain: MigrationModule[], part: 'instances' | 'statics'): string[] {
  return [...new Set(chain.flatMap((m) => Object.keys(m.migration[part] ?? {})))];
}

/**
 * Runs the chain on the captured old values. Each migration receives the state as the previous
 * one left it. Throws a `HotstateError` naming the file when a migration throws or returns
 * something that is not state of the new version; the caller rolls the update back.
 */
export function runMigrations(id: string, chain: MigrationModule[], captured: Captured, after: ModuleSchema): Computed {
  const stateNames = new Set(after.bindings.filter(isState).map((b) => b.name));
  const fieldNames = (cls: string, statics: boolean): Set<string> =>
    new Set(classFields(after, cls).filter((f) => f.static === statics).map((f) => f.name));
  const computed: Computed = { state: {}, statics: new Map(), instances: new Map() };

  const call = (file: string, what: string, fn: (old: Record<string, unknown>) => unknown, old: Record<string, unknown>, allowed: Set<string>): Record<string, unknown> => {
    let result: unknown;
    try {
      result = fn(old);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HotstateError(
        `migration ${file} threw in ${what}: ${reason}. The update was rolled back and the previous version keeps running with its state; fix the migration and save it again.`,
        id,
      );
    }
    if (result === undefined) return {};
    if (typeof result !== 'object' || result === null) {
      throw new HotstateError(`migration ${file}: ${what} returned ${String(result)}; return an object with the new values. The update was rolled back.`, id);
    }
    for (const key of Object.keys(result)) {
      if (!allowed.has(key)) {
        throw new HotstateError(
          `migration ${file}: ${what} returned \`${key}\`, which the new version does not declare (it has: ${[...allowed].join(', ') || 'nothing'}). The update was rolled back.`,
          id,
        );
      }
    }
    return result as Record<string, unknown>;
  };

  // `captured` belongs to this one update: each migration's results are merged into it in turn.
  let state = captured.state;
  const { statics, instances } = captured;
  for (const { file, migration } of chain) {
    if (typeof migration.state === 'function') {
      const values = call(file, 'state()', migration.state.bind(migration), state, stateNames);
      state = { ...state, ...values };
      Object.assign(computed.state, values);
    }
    for (const [cls, fn] of Object.entries(migration.statics ?? {})) {
      const values = call(file, `statics.${cls}()`, fn, statics.get(cls) ?? {}, fieldNames(cls, true));
      statics.set(cls, { ...statics.get(cls), ...values });
      computed.statics.set(cls, { ...computed.statics.get(cls), ...values });
    }
    for (const [cls, fn] of Object.entries(migration.instances ?? {})) {
      const allowed = fieldNames(cls, false);
      const results = computed.instances.get(cls) ?? [];
      computed.instances.set(cls, results);
      (instances.get(cls) ?? []).forEach((item, index) => {
        const values = call(file, `instances.${cls}()`, fn, item.old, allowed);
        item.old = { ...item.old, ...values };
        results[index] = { instance: item.instance, values: { ...results[index]?.values, ...values } };
      });
    }
  }
  return computed;
}

export type { Migration, MigrationModule };

/** What `captureOld` needs of a module's lineage. */
export interface MigrationSource {
  readonly id: string;
  cellValue(name: string): unknown;
  stableClass(name: string): object | undefined;
  readPrivate(cls: string, name: string, o: object): unknown;
  /** Every live instance of a class, or `undefined` where the heap cannot be asked. */
  liveInstances(className: string, proto: object): object[] | undefined;
}

/**
 * Reads, before the new version's code runs, everything the chain's migrations receive: the
 * module's state, the static fields and the fields of every live instance of the classes they
 * transform. Throws a `HotstateError` (the update is rejected, nothing changed) when live
 * instances cannot be reached.
 */
export function captureOld(source: MigrationSource, chain: MigrationModule[], before: ModuleSchema): Captured {
  const captured: Captured = { state: {}, statics: new Map(), instances: new Map() };
  if (chain.length === 0) return captured;
  for (const binding of before.bindings.filter(isState)) captured.state[binding.name] = source.cellValue(binding.name);
  const fields = (cls: string, statics: boolean): FieldSchema[] => classFields(before, cls).filter((f) => f.static === statics);
  const read = (cls: string, o: object, field: FieldSchema): unknown => {
    if (!field.name.startsWith('#')) return (o as Record<string, unknown>)[field.name];
    try {
      return source.readPrivate(cls, field.name, o);
    } catch {
      return undefined;
    }
  };
  const readAll = (cls: string, o: object, statics: boolean): Record<string, unknown> =>
    Object.fromEntries(fields(cls, statics).map((field) => [field.name, read(cls, o, field)]));
  for (const cls of classesTouched(chain, 'statics')) {
    const stable = source.stableClass(cls);
    if (stable !== undefined) captured.statics.set(cls, readAll(cls, stable, true));
  }
  for (const cls of classesTouched(chain, 'instances')) {
    const stable = source.stableClass(cls) as { prototype: object } | undefined;
    if (stable === undefined) continue;
    const live = source.liveInstances(cls, stable.prototype);
    if (live === undefined) {
      const files = chain.filter((m) => m.migration.instances?.[cls] !== undefined).map((m) => m.file);
      throw new HotstateError(
        `update rejected: ${files.join(', ')} transforms every live \`${cls}\` instance, but this environment cannot reach live instances ` +
          `(a browser page cannot walk its heap). The previous version keeps running with its state. Reload the page to run the new version ` +
          `(its state starts over), or apply the update where instances can be reached (Vite's module runner, \`hotstate run\`).`,
        source.id,
      );
    }
    captured.instances.set(cls, live.map((instance) => ({ instance, old: readAll(cls, instance, false) })));
  }
  return captured;
}

/**
 * Whether state committed with `schema` is already past `migration`: every target it covers is
 * declared as the migration leaves it. Such a migration is never offered again (a fresh load of
 * the module after the change, or the update that applied it); any other one stays on offer, so
 * that a migration written before the change it covers still applies when the change comes.
 */
export function isPast(migration: Migration, schema: ModuleSchema): boolean {
  return Object.entries(migration.covers ?? {}).every(([target, cover]) => {
    const entry = lookup(schema, parseTarget(target));
    return entry !== undefined && cover.source !== undefined && sourceFingerprint(entry) === cover.source.to;
  });
}
