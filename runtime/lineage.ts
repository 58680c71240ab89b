import { Cell, MirroredCell, type StateCell } from './cell.ts';
import { ClassSnapshot, realTarget, standInFor, upgradeClass } from './classes.ts';
import {
  LINEAGES_KEY,
  REPORT_EVENT,
  type EmittedVersion,
  type MigrationModule,
  type ModuleMeta,
  type ModuleSchema,
  type UpdateReport,
} from './contract.ts';
import { HotstateError, internalError } from './errors.ts';
import { internalObjects, liveInstances } from './instances.ts';
import { ClassPrivates, type PrivateAccess } from './privates.ts';
import { runSetup, sameDeps, type OnceRecord, type Setup } from './once.ts';
import { logReport } from './report.ts';
import { isPast, runMigrations, type Captured, type Computed, type MigrationSource } from './migrations.ts';
import type { UpdatePlan } from './schema-diff.ts';
import { classFields, fieldKey, isState } from './schema.ts';

/**
 * The part of Vite's `import.meta.hot` the runtime uses. Passing it in (rather than reading a
 * global) keeps this file free of any host: the browser client, Vite's module runner and tests
 * all hand in their own.
 */
export interface HotContext {
  readonly data: Record<string, unknown>;
  send(event: string, data?: unknown): void;
  prune?(cb: (data: unknown) => void): void;
}

type AnyFunction = (...args: never[]) => unknown;

/** The private method and accessor implementations of a class version that has none. */
const NO_IMPLS: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>);
type AnyClass = abstract new (...args: never[]) => unknown;

export interface FunctionRecord {
  stable: AnyFunction;
  latest: AnyFunction;
  version: Version;
}

export interface ClassRecord {
  stable: AnyClass;
  latest: AnyClass;
  version: Version;
}

/**
 * Everything one loaded module keeps across hot updates: its store of cells, the stable identity
 * of each function and class, its classes' private names and its `once` effects. A lineage lives in
 * the module's `import.meta.hot.data`, so it belongs to one loaded module (one browser page, one
 * module runner) and never to a file name: a fresh, independent load starts a new lineage.
 */
export class Lineage implements MigrationSource {
  readonly cells: Map<string, StateCell> = new Map();
  readonly functions: Map<string, FunctionRecord> = new Map();
  readonly classes: Map<string, ClassRecord> = new Map();
  readonly privates: Map<string, ClassPrivates> = new Map();
  readonly onces: Map<string, OnceRecord> = new Map();
  /** Schema of the committed version. */
  schema: ModuleSchema | undefined;
  current: Version | undefined;
  pending: Version | undefined;
  /** Why the last attempted update did not apply, until it is reported. */
  failure: { status: 'rolled-back' | 'rejected'; error: string; needsMigration?: string[] } | undefined;
  /** The last failed evaluation was already rolled back and reported (so `settle` stays quiet). */
  failureReported = false;
  /** Resolves when the last queued (top-level await) version settled; see `enterQueued`. */
  queue: Promise<void> = Promise.resolve();
  hot: HotContext | undefined;
  /** Migration files this module's state is past (applied, or written for an earlier change): never offered again. */
  readonly settledMigrations: Set<string> = new Set();

  constructor(readonly id: string) {
    lineages().add(this);
  }

  /** The new version's migrations that no earlier version of this module brought. */
  offeredMigrations(meta: ModuleMeta): MigrationModule[] {
    return (meta.migrations ?? []).filter((m) => !this.settledMigrations.has(m.file));
  }

  cellValue(name: string): unknown {
    return this.cells.get(name)?.v;
  }

  stableClass(name: string): object | undefined {
    return this.classes.get(name)?.stable;
  }

  readPrivate(cls: string, name: string, o: object): unknown {
    return this.privates.get(cls)?.get(name, o);
  }

  /**
   * Every live instance of class `className` (whose prototype is `proto`): asked of the heap where
   * that is possible (Node), else the ones that registered as they were constructed (browser
   * pages, `ModuleMeta.trackInstances`); `undefined` where neither is possible.
   */
  liveInstances(className: string, proto: object): object[] | undefined {
    const fromHeap = liveInstances(proto);
    if (fromHeap !== undefined || this.current?.meta.trackInstances !== true) return fromHeap;
    // Drops the references to collected instances on the way.
    const tracked = (this.#tracked.get(className) ?? []).filter((ref) => ref.deref() !== undefined);
    this.#tracked.set(className, tracked);
    return tracked.map((ref) => ref.deref()!);
  }

  /** Instances of each class, registered as they were constructed (see `liveInstances`). */
  readonly #tracked: Map<string, Array<WeakRef<object>>> = new Map();

  track(className: string, instance: object): void {
    let list = this.#tracked.get(className);
    if (list === undefined) this.#tracked.set(className, (list = []));
    list.push(new WeakRef(instance));
    // Bounded between updates: when the list doubled since its last pruning, drop collected ones.
    if (list.length >= 2 * (this.#pruned.get(className) ?? 512)) {
      const live = list.filter((ref) => ref.deref() !== undefined);
      this.#tracked.set(className, live);
      this.#pruned.set(className, Math.max(512, live.length));
    }
  }

  /** Per class, how many tracked instances were alive at the last pruning. */
  readonly #pruned: Map<string, number> = new Map();

  report(report: UpdateReport): void {
    if (typeof document === 'undefined') {
      this.hot?.send(REPORT_EVENT, report);
      return;
    }
    // In a page, once the update is done (the page need not wait for the report to be serialized
    // and sent): to the dev server, and to the console, since the server's terminal is out of sight
    // (console calls are slow while devtools are open).
    setTimeout(() => {
      this.hot?.send(REPORT_EVENT, report);
      logReport(report, console);
    }, 0);
  }

  /** Runs every `once` cleanup: the module is gone. */
  dispose(): void {
    lineages().delete(this);
    for (const record of this.onces.values()) record.cleanup?.();
    this.onces.clear();
  }
}

/**
 * Every live lineage of this realm, in creation order, at `globalThis[LINEAGES_KEY]`:
 * a host that ends the program (`hotstate run` on SIGINT/SIGTERM) calls `dispose()` on each to run
 * the `once` cleanups of every loaded module. A global, because the runtime inside Vite's module
 * runner is another module instance than the host's.
 */
function lineages(): Set<Lineage> {
  const registry = globalThis as { [LINEAGES_KEY]?: Set<Lineage> };
  return (registry[LINEAGES_KEY] ??= new Set());
}

/**
 * A hoisted, empty function declared by each version of a module (`function __hs_live() {}`).
 * The prologue of every instrumented function reads `__hs_live.stale`; being a hoisted function,
 * the marker exists even when a circular importer calls into the module before its body ran.
 */
export interface LivenessMarker {
  stale?: boolean;
}

/**
 * One evaluation of a module. The emitted code reaches the runtime only through this object and
 * its liveness marker.
 */
export class Version implements EmittedVersion {
  readonly #marker: LivenessMarker;
  #stale = false;
  readonly lineage: Lineage;
  readonly meta: ModuleMeta;
  readonly #plan: UpdatePlan;
  /** Old values the update's migrations read, taken before this version's code ran. */
  readonly #captured: Captured;
  readonly #undo: Array<() => void> = [];
  readonly #usedOnces = new Set<string>();
  readonly #stagedOnces: Array<{ key: string; setup: Setup; deps: readonly unknown[] | undefined }> = [];
  readonly #isUpdate: boolean;
  /** Fields to delete from every live instance of a class once this version committed. */
  readonly #sweeps: Array<{ className: string; proto: object; keys: PropertyKey[]; labels: string[] }> = [];
  #resolveSettled!: () => void;
  /** Resolves when this version committed or rolled back. */
  readonly settled: Promise<void> = new Promise((resolve) => (this.#resolveSettled = resolve));

  /** True once a newer version of the module is current: calls are then forwarded to it. */
  get stale(): boolean {
    return this.#stale;
  }

  set stale(value: boolean) {
    this.#stale = value;
    if (value || this.#marker.stale !== undefined) this.#marker.stale = value;
    // The prologues test this global first (see `ModuleMeta.staleGlobal`); it only ever turns on.
    if (value) (globalThis as Record<string, unknown>)[this.meta.staleGlobal] = true;
  }

  /** Whether this version awaits at the top level (it may be suspended while pending). */
  readonly async: boolean;
  /** True from `enter` until `commit` or `rollback`. */
  #evaluating = true;

  constructor(lineage: Lineage, meta: ModuleMeta, plan: UpdatePlan, captured: Captured, marker: LivenessMarker, async: boolean) {
    this.async = async;
    this.#captured = captured;
    this.#marker = marker;
    this.lineage = lineage;
    this.meta = meta;
    this.#plan = plan;
    this.#isUpdate = lineage.current !== undefined;
    const previous = lineage.current;
    if (previous !== undefined) {
      previous.stale = true;
      this.#undo.push(() => (previous.stale = false));
      for (const [name, cell] of lineage.cells) {
        const { v, fresh } = cell;
        const reset = plan.reset.get(name);
        this.#undo.push(() => {
          if (cell.v !== v) {
            if (cell instanceof MirroredCell) cell.restore(v);
            else cell.v = v;
          }
          cell.fresh = fresh;
        });
        if (reset !== undefined) cell.fresh = true;
      }
    }
    lineage.pending = this;
  }

  /** Where destructuring sends the values of bindings that already hold state (`(a.fresh ? a : __hs.sink).v`). */
  readonly sink: { v: unknown } = { v: undefined };

  /** Rolls this version back if its evaluation never reached `commit()`; see `enter`. */
  abandonIfPending(): void {
    const lineage = this.lineage;
    if (lineage.pending !== this) return;
    this.#abandon(
      this.#isUpdate
        ? 'the new version threw while evaluating (see the error above); the previous version keeps running with its state'
        : 'the module threw while loading for the first time (see the error above); nothing was kept',
    );
  }

  /** Rolls back and reports why (so that the accept callback, `settle`, stays quiet). */
  #abandon(error: string): void {
    this.rollback();
    this.lineage.failureReported = true;
    this.lineage.report({ id: this.lineage.id, status: 'rolled-back', entries: [], error });
  }

  /**
   * The store cell of a module-level state binding: `__hs.cell("count")`. An `exported` cell also
   * feeds the module's `export let` bindings; a `constant` one (a `// @hotstate keep` const)
   * refuses assignment.
   */
  cell(name: string, options: { exported?: boolean; constant?: boolean; early?: { v?: unknown } } = {}): StateCell {
    const lineage = this.lineage;
    const isNew = !lineage.cells.has(name);
    const exported = options.exported === true;
    const constant = options.constant === true;
    let cell = lineage.cells.get(name);
    const fits = cell !== undefined && (cell instanceof MirroredCell ? cell.constant === constant : !exported && !constant);
    if (cell === undefined || !fits) {
      const previous = cell;
      const created: StateCell = exported || constant ? new MirroredCell(constant) : new Cell();
      lineage.cells.set(name, created);
      if (previous === undefined) this.#undo.push(() => lineage.cells.delete(name));
      else {
        // `let x` became `export let x` (or a kept const): closures of older versions still hold
        // the previous cell, so it forwards to the new one.
        if (created instanceof MirroredCell) created.restore(previous.v);
        else created.v = previous.v;
        created.fresh = previous.fresh;
        Object.defineProperty(previous, 'v', { get: () => created.v, set: (value) => (created.v = value), configurable: true });
        this.#undo.push(() => {
          if (previous instanceof MirroredCell) Reflect.deleteProperty(previous, 'v');
          else Object.defineProperty(previous, 'v', { value: created.v, writable: true, enumerable: true, configurable: true });
          lineage.cells.set(name, previous);
        });
      }
      cell = created;
    }
    // A `var` written before the module body ran (through a circular import) kept its value on
    // the hoisted stand-in; the first evaluation adopts it.
    if (isNew && options.early !== undefined && 'v' in options.early) cell.v = options.early.v;
    return cell;
  }

  /** Registers this version's exported binding of an `export let` (emitted right after its declaration). */
  mirror(cell: StateCell, set: (value: unknown) => void): void {
    if (!(cell instanceof MirroredCell)) throw internalError(`mirror() of a cell that is not exported (${this.meta.id})`);
    cell.mirror(set);
    this.#undo.push(() => cell.unmirror(set));
  }

  /** Registers this version's function `name`; returns the function's one stable identity. */
  fn<F extends AnyFunction>(name: string, fn: F): F {
    const functions = this.lineage.functions;
    const record = functions.get(name);
    if (record === undefined) {
      functions.set(name, { stable: fn, latest: fn, version: this });
      this.#undo.push(() => functions.delete(name));
      return fn;
    }
    const { latest, version } = record;
    record.latest = fn;
    record.version = this;
    this.#undo.push(() => {
      record.latest = latest;
      record.version = version;
    });
    return record.stable as F;
  }

  /** Emitted in the prologue of every function: runs the newest version of function `name`. */
  forward(name: string, thisArg: unknown, args: ArrayLike<unknown>, newTarget: unknown): unknown {
    const record = this.lineage.functions.get(name);
    if (record === undefined || record.version.stale) throw this.#removed(`function \`${name}\``);
    return newTarget === undefined
      ? Reflect.apply(record.latest, thisArg, args)
      : Reflect.construct(record.latest as unknown as AnyClass as never, args, newTarget as AnyClass as never);
  }

  /** Emitted in the prologue of every top-level arrow: runs the newest version of function `name`. */
  call(name: string, args: ArrayLike<unknown>): unknown {
    return this.forward(name, undefined, args, undefined);
  }

  #classPrivates(className: string): ClassPrivates {
    let privates = this.lineage.privates.get(className);
    if (privates === undefined) this.lineage.privates.set(className, (privates = new ClassPrivates(className)));
    return privates;
  }

  /**
   * Registers this version's private names of class `className` (see `runtime/privates.ts`);
   * emitted as the class's first element: `static { __hs.privates("C", alias = this, {...}, impls?, staticImpls?); }`.
   */
  privates(
    className: string,
    cls: object,
    access: Record<string, PrivateAccess>,
    impls: Record<string, unknown> = NO_IMPLS,
    staticImpls: Record<string, unknown> = NO_IMPLS,
  ): void {
    // `super` in the implementations resolves through these prototypes.
    if (impls !== NO_IMPLS) {
      Object.setPrototypeOf(impls, Object.getPrototypeOf((cls as { prototype: object }).prototype));
      internalObjects.add(impls);
    }
    if (staticImpls !== NO_IMPLS) {
      Object.setPrototypeOf(staticImpls, Object.getPrototypeOf(cls));
      internalObjects.add(staticImpls);
    }
    const privates = this.#classPrivates(className);
    const index = privates.versions.push({ owner: this, cls, access: new Map(Object.entries(access)), impls, staticImpls }) - 1;
    this.#undo.push(() => privates.versions.splice(index, 1));
    for (const [name, [kind]] of Object.entries(access)) {
      if (!this.#plan.reset.has(fieldKey(className, { name, static: kind.startsWith('static') }))) continue;
      const previous = privates.resetFrom.get(name);
      privates.resetFrom.set(name, index);
      this.#undo.push(() => (previous === undefined ? privates.resetFrom.delete(name) : privates.resetFrom.set(name, previous)));
    }
  }

  /** Fallback read of private member `name` on an object this version's class did not construct. */
  pget(className: string, name: string, o: unknown): unknown {
    return this.#classPrivates(className).get(name, o);
  }

  /** Fallback write; returns the value, as an assignment does. */
  pset(className: string, name: string, o: unknown, value: unknown): unknown {
    return this.#classPrivates(className).set(name, o, value);
  }

  /** Fallback of `#name in o`. */
  phas(className: string, name: string, o: unknown): boolean {
    return this.#classPrivates(className).has(name, o);
  }

  /** Fallback of `o.#name++` and friends: returns what the update expression returns. */
  pupdate(className: string, name: string, o: unknown, delta: 1 | -1, prefix: boolean): unknown {
    const privates = this.#classPrivates(className);
    const old = privates.get(name, o);
    const numeric = typeof old === 'bigint' ? old : Number(old);
    const next = typeof numeric === 'bigint' ? numeric + BigInt(delta) : numeric + delta;
    privates.set(name, o, next);
    return prefix ? next : numeric;
  }

  /** Whether static field `name` of class `className` must run its initializer in this version. */
  staticFresh(className: string, name: string): boolean {
    const record = this.lineage.classes.get(className);
    if (record === undefined || this.#plan.reset.has(fieldKey(className, { name, static: true }))) return true;
    if (!name.startsWith('#')) return !Object.hasOwn(record.stable, name);
    const privates = this.#classPrivates(className);
    return !privates.versions.some((version) => version.owner !== this && version.access.get(name)?.[3](record.stable) === true);
  }

  /**
   * Registers this version's class `name` (emitted right after the class declaration) and
   * returns the one stable class. `initializers` holds one method per instance field, returning
   * the field's initial value with `this` = the instance; they initialize fields that a new
   * version added on instances created before it.
   */
  cls<C extends AnyClass>(name: string, cls: C, initializers: Record<PropertyKey, () => unknown>): C {
    const classes = this.lineage.classes;
    Object.setPrototypeOf(initializers, Object.getPrototypeOf(cls.prototype));
    internalObjects.add(initializers);
    const privates = this.#classPrivates(name);
    const { initializers: previousInitializers, stable: previousStable } = privates;
    privates.initializers = initializers as Record<string, () => unknown>;
    this.#undo.push(() => {
      privates.initializers = previousInitializers;
      privates.stable = previousStable;
    });
    const record = classes.get(name);
    if (record === undefined) {
      classes.set(name, { stable: cls, latest: cls, version: this });
      privates.stable = cls;
      this.#undo.push(() => classes.delete(name));
      return cls;
    }
    // Private fields need no work here: see runtime/privates.ts.
    const isPublic = (field: { name: string }): boolean => !field.name.startsWith('#');
    const before = classFields(this.lineage.schema, name).filter(isPublic);
    const after = classFields(this.meta.schema, name).filter(isPublic);
    const had = new Set(before.map((field) => fieldKey(name, field)));
    const has = new Set(after.map((field) => fieldKey(name, field)));
    const addedFields = new Map<PropertyKey, () => unknown>();
    const sweep: { keys: PropertyKey[]; labels: string[] } = { keys: [], labels: [] };
    for (const field of after) {
      if (field.static) continue;
      const reset = this.#plan.reset.has(fieldKey(name, field));
      if (!had.has(fieldKey(name, field)) || reset) {
        const key = field.name;
        addedFields.set(key, (initializers[key] as (() => unknown) | undefined) ?? (() => undefined));
        if (reset) (sweep.keys.push(key), sweep.labels.push(`${name}.${field.name}`));
      }
    }
    const removedFields = before.filter((f) => !f.static && !has.has(fieldKey(name, f))).map((f) => f.name);
    for (const field of removedFields) (sweep.keys.push(field), sweep.labels.push(`${name}.${field}`));
    if (sweep.keys.length > 0) this.#sweeps.push({ className: name, proto: record.stable.prototype as object, ...sweep });
    const staticFields = new Set(after.filter((f) => f.static).map((f) => f.name));
    const takeStatic = new Set(
      after.filter((f) => f.static && (!had.has(fieldKey(name, f)) || this.#plan.reset.has(fieldKey(name, f)))).map((f) => f.name),
    );
    const saved = new ClassSnapshot(record.stable);
    const { latest, version } = record;
    upgradeClass(record.stable, cls, { addedFields, removedLazyFields: removedFields, staticFields, takeStatic }, saved);
    record.latest = cls;
    record.version = this;
    this.#undo.push(() => {
      saved.restore();
      record.latest = latest;
      record.version = version;
    });
    return record.stable as C;
  }

  /** Emitted in the constructor prologue: constructs with the newest version of class `name`. */
  construct(name: string, args: ArrayLike<unknown>, newTarget: unknown): object {
    const record = this.lineage.classes.get(name);
    if (record === undefined || record.version.stale) throw this.#removed(`class \`${name}\``);
    return Reflect.construct(record.latest as never, args, standInFor(newTarget as AnyClass) as never) as object;
  }

  /** Emitted for `new.target` in a class constructor: the real `new.target` behind a stand-in. */
  target(newTarget: unknown): unknown {
    return realTarget(newTarget);
  }

  /** Emitted in the prologue of every method: runs the newest version of the method `key`. */
  method(className: string, key: PropertyKey, thisArg: unknown, args: ArrayLike<unknown>): unknown {
    return this.#method(className, key, false, thisArg, args);
  }

  /** Emitted in the prologue of every static method. */
  staticMethod(className: string, key: PropertyKey, thisArg: unknown, args: ArrayLike<unknown>): unknown {
    return this.#method(className, key, true, thisArg, args);
  }

  #method(className: string, key: PropertyKey, isStatic: boolean, thisArg: unknown, args: ArrayLike<unknown>): unknown {
    const record = this.lineage.classes.get(className);
    if (record === undefined || record.version.stale) throw this.#removed(`class \`${className}\``);
    const holder = isStatic ? record.stable : (record.stable.prototype as Record<PropertyKey, unknown>);
    const method = (holder as Record<PropertyKey, unknown>)[key];
    if (typeof method !== 'function') throw this.#removed(`method \`${className}.${String(key)}\``);
    return Reflect.apply(method, thisArg, args);
  }

  #removed(what: string): HotstateError {
    return new HotstateError(
      `${what} was removed by a hot update, but a reference taken before the update still called it. ` +
        `Stop calling it (for example, remove the timer or listener that holds it), or reload.`,
      this.meta.id,
    );
  }

  /** `once(key, setup, deps?)` for this module; see `hotstate/runtime`'s `once`. */
  once(key: string, setup: Setup, deps?: readonly unknown[]): void {
    if (!this.#evaluating) {
      throw new HotstateError(
        `once('${key}') was called after the module finished evaluating. Call once() at the top level of the module, where it runs on every evaluation.`,
        this.meta.id,
      );
    }
    if (this.#usedOnces.has(key)) {
      throw new HotstateError(`once('${key}') is called twice in one evaluation; give each call its own key.`, this.meta.id);
    }
    this.#usedOnces.add(key);
    const onces = this.lineage.onces;
    const record = onces.get(key);
    if (!this.#isUpdate) {
      const created = runSetup(setup, deps);
      onces.set(key, created);
      this.#undo.push(() => {
        onces.delete(key);
        created.cleanup?.();
      });
    } else if (record === undefined || !sameDeps(record.deps, deps)) {
      this.#stagedOnces.push({ key, setup, deps });
    }
  }

  /** Emitted as a class's first instance field where `trackInstances` is on. */
  track(className: string, instance: object): undefined {
    this.lineage.track(className, instance);
    return undefined;
  }

  /** The last statement of every instrumented module: the new version is complete. */
  commit(): void {
    const lineage = this.lineage;
    if (lineage.pending !== this) return;
    const migrated = this.#migrate();
    lineage.pending = undefined;
    this.#evaluating = false;
    lineage.current = this;
    lineage.schema = this.meta.schema;
    lineage.failure = undefined;
    this.#undo.length = 0;
    this.#resolveSettled();

    const stateNames = new Set(this.meta.schema.bindings.filter(isState).map((b) => b.name));
    for (const [name, cell] of lineage.cells) {
      if (stateNames.has(name)) cell.fresh = false;
      else lineage.cells.delete(name);
    }
    const applied = new Set(this.#plan.migrations.chain.map((m) => m.file));
    for (const { file, migration } of this.meta.migrations ?? []) {
      if (!lineage.settledMigrations.has(file) && (applied.has(file) || isPast(migration, this.meta.schema))) lineage.settledMigrations.add(file);
    }
    if (migrated !== undefined) for (const [name, value] of Object.entries(migrated.state)) lineage.cells.get(name)!.v = value;

    if (!this.#isUpdate) return;
    const errors: string[] = [];
    const staged = new Set(this.#stagedOnces.map((s) => s.key));
    for (const [key, record] of lineage.onces) {
      if (this.#usedOnces.has(key) && !staged.has(key)) continue;
      lineage.onces.delete(key);
      try {
        record.cleanup?.();
      } catch (error) {
        errors.push(`cleanup of once('${key}') threw: ${String(error)}`);
      }
    }
    const entries = this.#plan.entries.map((entry) => ({ ...entry }));
    for (const { className, proto, keys, labels } of this.#sweeps) {
      const instances = lineage.liveInstances(className, proto);
      for (const label of labels) {
        const entry = entries.find((e) => e.name === label);
        if (entry === undefined) continue;
        entry.reason =
          instances === undefined
            ? `${entry.reason}; instances created before this update still hold the old value (this environment cannot reach live instances)`
            : `${entry.reason}; done on ${instances.length} existing instance${instances.length === 1 ? '' : 's'}`;
      }
      if (instances === undefined) continue;
      for (const instance of instances) for (const key of keys) if (Object.hasOwn(instance, key)) Reflect.deleteProperty(instance, key);
    }
    if (migrated !== undefined) this.#applyMigrated(migrated);
    for (const { key, setup, deps } of this.#stagedOnces) {
      try {
        lineage.onces.set(key, runSetup(setup, deps));
      } catch (error) {
        errors.push(`setup of once('${key}') threw: ${String(error)}`);
      }
    }
    const { needsMigration } = this.#plan;
    lineage.report({
      id: lineage.id,
      status: 'applied',
      entries,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
      ...(needsMigration.length > 0 ? { needsMigration } : {}),
    });
  }

  /**
   * Runs the update's migrations, before anything is committed. A migration that throws (or
   * returns what the new version does not declare) rolls the whole update back; the error then
   * propagates out of the module's last statement, as any error of the new version would.
   */
  #migrate(): Computed | undefined {
    const chain = this.#plan.migrations.chain;
    if (chain.length === 0) return undefined;
    try {
      return runMigrations(this.meta.id, chain, this.#captured, this.meta.schema);
    } catch (error) {
      this.#abandon(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** Writes what the migrations computed for static fields and live instances (after the sweep of replaced fields). */
  #applyMigrated(migrated: Computed): void {
    const write = (className: string, o: object, key: string, value: unknown): void => {
      if (key.startsWith('#')) this.lineage.privates.get(className)?.set(key, o, value);
      else Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
    };
    for (const [className, values] of migrated.statics) {
      const stable = this.lineage.classes.get(className)?.stable;
      if (stable !== undefined) for (const [key, value] of Object.entries(values)) write(className, stable, key, value);
    }
    for (const [className, list] of migrated.instances) {
      for (const { instance, values } of list) for (const [key, value] of Object.entries(values)) write(className, instance, key, value);
    }
  }

  /** Undoes everything this version changed; the previous version is current again. */
  rollback(): void {
    const lineage = this.lineage;
    if (lineage.pending !== this) throw internalError(`rollback of a version that is not pending (${lineage.id})`);
    for (let i = this.#undo.length - 1; i >= 0; i--) this.#undo[i]!();
    this.#undo.length = 0;
    lineage.pending = undefined;
    this.#evaluating = false;
    this.stale = true;
    this.#resolveSettled();
  }
}
