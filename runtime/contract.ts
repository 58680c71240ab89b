/**
 * The contract between the compile-time half (`plugin/`) and the run-time half (`runtime/`).
 *
 * The runtime owns this file; the transform imports it, so the names the emitted code uses are
 * declared exactly once. Every instrumented module carries `CONTRACT_VERSION` in its
 * `enter(...)` call, and the runtime refuses code emitted for another contract with a message
 * that says which side to upgrade, instead of misbehaving.
 *
 * The shape of an instrumented module (see `docs/design.md` for the full walkthrough):
 *
 * ```ts
 * import { __hotstate as __hs_rt } from "hotstate/runtime";
 * var __hs_hot = import.meta.hot;
 * // literal, for Vite's import analysis; registered before `enter` so a refused version still has it
 * if (import.meta.hot) import.meta.hot.accept((m) => __hs_rt.settle(__hs_hot, m));
 * // the schema packed into one string (`packSchema`), unpacked by `enter`
 * var __hs = __hs_rt.enter(__hs_hot, { "contract": 3, "id": "src/counter.ts", "schema": '[[["count",0,4]],[]]', ... }, __hs_live);
 * function __hs_live() {}                           // this version's liveness marker (hoisted)
 * inc = __hs.fn("inc", inc);                        // function declarations: one stable identity
 * const count = __hs.cell("count");                 // `let count = 0` lives in a store cell...
 * if (count.fresh) count.init(0);                   // ...initialized only on the evaluation that created it
 * function inc() { if (typeof G !== "undefined" && G && __hs_live.stale) return __hs.forward("inc", this, arguments, new.target); count.v++ }
 * __hs.commit();                                    // last statement: the update is complete
 * ```
 */

/** Bumped whenever emitted code and runtime would disagree about anything below. */
export const CONTRACT_VERSION = 5;

/** The module specifier the emitted code imports the runtime from. */
export const RUNTIME_SPECIFIER = 'hotstate/runtime';

/** The export of `hotstate/runtime` that emitted code calls (`__hotstate.enter(...)`). */
export const RUNTIME_EXPORT = '__hotstate';

/** Key under which a module's lineage is kept in `import.meta.hot.data`. */
export const HOT_DATA_KEY = '__hotstate';

/** Key of the realm-wide set of live lineages on `globalThis` (a host disposes them all on exit). */
export const LINEAGES_KEY: unique symbol = Symbol.for('hotstate.lineages');

/** Custom event the runtime sends to the dev server after each update (client → server). */
export const REPORT_EVENT = 'hotstate:report';

/** Custom event the dev server broadcasts with each update report (server → clients). */
export const UPDATE_EVENT = 'hotstate:update';

/** What to do with a binding or field whose declared type changed incompatibly. */
export const INCOMPATIBLE_POLICIES = ['reset', 'reject', 'keep'] as const;
export type IncompatiblePolicy = (typeof INCOMPATIBLE_POLICIES)[number];

export function isIncompatiblePolicy(value: string): value is IncompatiblePolicy {
  return (INCOMPATIBLE_POLICIES as readonly string[]).includes(value);
}

/** How a module-level declaration is treated. */
export type BindingKind =
  /** `let`/`var`, or a `const` marked `@hotstate keep`: state, kept across updates. */
  | 'state'
  /** `let` marked `@hotstate reset`: re-initialized on every update. */
  | 'reset'
  /** A plain `const`: code, re-evaluated on every update. Listed so the report can say so. */
  | 'const'
  /** A function declaration or `const f = () => ...`: late-bound, one stable identity. */
  | 'function'
  /** A class declaration: one stable identity, live instances upgraded. */
  | 'class';

/** One module-level binding as the transform saw it. */
export interface BindingSchema {
  name: string;
  kind: BindingKind;
  /** The declared type annotation, whitespace-normalized; absent when none was written. */
  type?: string;
  /** A short hash of the initializer's source text, to tell an edited initializer. */
  init?: string;
  /** 1-based line of the declaration in the original source. */
  line: number;
}

/** One field (instance or static) of a class, as the transform saw it. */
export interface FieldSchema {
  /** The field name; `#name` for private fields. */
  name: string;
  static: boolean;
  type?: string;
  init?: string;
  line: number;
}

export interface ClassSchema {
  name: string;
  fields: FieldSchema[];
  line: number;
}

/** The state schema of one module version: everything the runtime needs to diff two versions. */
export interface ModuleSchema {
  bindings: BindingSchema[];
  classes: ClassSchema[];
}

/**
 * `ModuleSchema` packed into one string for emitted code: JSON of `[bindings, classes]` with
 * positional arrays, `binding = [name, kind, line, type, init]` (kind: the index in `KINDS`) and
 * `class = [name, line, fields]`, `field = [name, static (0/1), line, type, init]`; `type` is 0
 * when absent and followed by an `init`, trailing absent entries are left out. One string literal
 * costs the dev server's later plugins and the page's parser much less than an object literal.
 */
export function packSchema(schema: ModuleSchema): string {
  const entry = (head: unknown[], type: string | undefined, init: string | undefined): unknown[] =>
    init !== undefined ? [...head, type ?? 0, init] : type !== undefined ? [...head, type] : head;
  return JSON.stringify([
    schema.bindings.map((b) => entry([b.name, KINDS.indexOf(b.kind), b.line], b.type, b.init)),
    schema.classes.map((c) => [c.name, c.line, c.fields.map((f) => entry([f.name, f.static ? 1 : 0, f.line], f.type, f.init))]),
  ]);
}

/** The inverse of `packSchema`. */
export function unpackSchema(packed: string): ModuleSchema {
  type Packed = [string, number, number, (string | 0)?, string?];
  const [bindings, classes] = JSON.parse(packed) as [Packed[], Array<[string, number, Packed[]]>];
  const withTypeAndInit = <T extends { type?: string; init?: string }>(entry: T, type: string | 0 | undefined, init: string | undefined): T => {
    if (type !== undefined && type !== 0) entry.type = type;
    if (init !== undefined) entry.init = init;
    return entry;
  };
  return {
    bindings: bindings.map(([name, kind, line, type, init]) => withTypeAndInit<BindingSchema>({ name, kind: KINDS[kind]!, line }, type, init)),
    classes: classes.map(([name, line, fields]) => ({
      name,
      fields: fields.map(([field, isStatic, fieldLine, type, init]) => withTypeAndInit<FieldSchema>({ name: field, static: isStatic === 1, line: fieldLine }, type, init)),
      line,
    })),
  };
}

const KINDS: BindingKind[] = ['state', 'reset', 'const', 'function', 'class'];

/** `ModuleMeta` as emitted code writes it: the schema packed (`packSchema`). */
export type EmittedMeta = Omit<ModuleMeta, 'schema'> & { schema: string };

/** The second argument of `enter(...)`: one options object, so old code and a newer runtime cannot disagree silently. */
export interface ModuleMeta {
  contract: number;
  /** Module ID: the file path relative to the project root, posix separators. */
  id: string;
  schema: ModuleSchema;
  onIncompatible: IncompatiblePolicy;
  /**
   * A global the function prologues read before this version's own liveness marker:
   * `if (typeof G !== "undefined" && G && __hs_live.stale)`. `enter` defines it as `false`, and it
   * turns `true` once some version of this exact code becomes stale. Until then V8 folds the test
   * to a constant and the prologue costs nothing; the marker alone decides, so sharing the name
   * (the same code loaded twice) costs only speed.
   */
  staleGlobal: string;
  /**
   * Instances of this module's classes register themselves as they are constructed (emitted for
   * browser pages, which cannot ask the heap for live instances): `__hs.track("C", this)`.
   */
  trackInstances?: true;
  /**
   * The module's implemented migrations (files in the migrations folder whose `module` is this
   * module), imported by the emitted code so that editing one is a hot update of the module:
   * `migrations: [{ file: "hotstate/migrations/0001-count.ts", migration: __hs_migration_0 }]`.
   */
  migrations?: MigrationModule[];
}

/**
 * What a migration file exports as `migration` (see `schema/migrations.ts` for how stubs are
 * written). The runtime reads `covers` to decide whether an update is the change the migration
 * was written for, and calls the functions inside the update's transaction.
 */
export interface Migration {
  module: string;
  /**
   * Target (`count`, `Task.done`, `Task.#done`, `Task.static total`) → the change it handles.
   * `from`/`to` are the checker's type shapes (for `hotstate check`); `source` is what the
   * runtime sees without a checker, see `sourceFingerprint`.
   */
  covers: Record<string, { from: string; to: string; renamedFrom?: string; source?: { from: string; to: string } }>;
  /** Old module state → new values (any subset of the new state). */
  state?(old: Record<string, unknown>): Record<string, unknown> | undefined | void;
  /** Class name → old fields of one live instance → its new field values. */
  instances?: Record<string, (old: Record<string, unknown>) => Record<string, unknown> | undefined | void>;
  /** Class name → old static fields → new static field values. */
  statics?: Record<string, (old: Record<string, unknown>) => Record<string, unknown> | undefined | void>;
}

export interface MigrationModule {
  /** The file, relative to the project root: named in reports and errors. */
  file: string;
  migration: Migration;
}

/**
 * What the runtime can tell about a binding's or field's type without a type checker: its
 * declared annotation (`: number`), or, when the type is inferred, a hash of its initializer
 * (`= #1a2b3c4d`). Migrations record it for both sides (`covers[target].source`), so that an
 * update applies exactly the migrations written for the change it makes.
 */
export function sourceFingerprint(entry: { type?: string; init?: string }): string {
  return entry.type !== undefined ? `: ${entry.type}` : entry.init !== undefined ? `= #${entry.init}` : '';
}

/** What happened to one binding or field in an update. */
export type Outcome = 'kept' | 'initialized' | 'reset' | 'migrated' | 'dropped' | 'recreated' | 'replaced';

export interface ReportEntry {
  /** `count`, or `Class.field` / `Class.#field` / `Class.static field` for class members. */
  name: string;
  outcome: Outcome;
  /** Why, for every outcome other than `kept`/`replaced`. */
  reason?: string;
  /** For `migrated`: the migration file that did it. */
  migration?: string;
}

export interface UpdateReport {
  id: string;
  status: 'applied' | 'rolled-back' | 'rejected';
  entries: ReportEntry[];
  /** For `rolled-back` and `rejected`: what went wrong and what to do. */
  error?: string;
  /**
   * Targets (`count`, `Task.done`) whose type changed incompatibly with no migration covering
   * the change; in the dev server a migration stub is written for them.
   */
  needsMigration?: string[];
}

/**
 * What emitted code calls on the object `enter` returns (`__hs`). Every name here appears as text
 * in `plugin/`; `Version` implements this interface, so the runtime side cannot drift silently.
 */
export interface EmittedVersion {
  /** `const x = __hs.cell("x")` / `__hs.cell("x", { exported: true, constant: true })`. */
  cell(name: string, options?: { exported?: boolean; constant?: boolean; early?: { v?: unknown } }): { v: unknown; fresh: boolean; init(value: unknown): void };
  /** `__hs.mirror(x, (v) => { __hs_export_x = v; })` after an exported binding's declaration. */
  mirror(cell: unknown, set: (value: unknown) => void): void;
  /** Where destructuring sends values of bindings that already hold state. */
  readonly sink: { v: unknown };
  /** `f = __hs.fn("f", f)` in the prelude; `const f = __hs.fn("f", { f() {} }.f)` for arrows. */
  fn<F extends (...args: never[]) => unknown>(name: string, fn: F): F;
  /** Function prologue: `return __hs.forward("f", this, arguments, new.target)`. */
  forward(name: string, thisArg: unknown, args: ArrayLike<unknown>, newTarget: unknown): unknown;
  /** Prologue of a top-level arrow (no `this`, not constructible): `return __hs.call("f", arguments)`. */
  call(name: string, args: ArrayLike<unknown>): unknown;
  /** `C = alias = __hs.cls("C", C, { "field"() { return (initializer); } })` after a class declaration. */
  cls<C extends abstract new (...args: never[]) => unknown>(name: string, cls: C, initializers: Record<PropertyKey, () => unknown>): C;
  /** Constructor prologue: `return __hs.construct("C", arguments, new.target)`. */
  construct(name: string, args: ArrayLike<unknown>, newTarget: unknown): object;
  /** `new.target` inside a class constructor: `__hs.target(new.target)`. */
  target(newTarget: unknown): unknown;
  /** Method prologue: `return __hs.method("C", "m", this, arguments)`. */
  method(className: string, key: PropertyKey, thisArg: unknown, args: ArrayLike<unknown>): unknown;
  /** Static method prologue: `return __hs.staticMethod("C", "m", this, arguments)`. */
  staticMethod(className: string, key: PropertyKey, thisArg: unknown, args: ArrayLike<unknown>): unknown;
  /**
   * A class's first element registers its private names:
   * `static { __hs.privates("C", alias = this, access, impls?, staticImpls?); }` (without private
   * members just `static { alias = this; }`); the implementations only when there are any.
   */
  privates(className: string, cls: object, access: Record<string, unknown>, impls?: Record<string, unknown>, staticImpls?: Record<string, unknown>): void;
  /** `(#x in o ? o.#x : __hs.pget("C", "#x", o))` */
  pget(className: string, name: string, o: unknown): unknown;
  /** `(#x in o ? o.#x = v : __hs.pset("C", "#x", o, v))` */
  pset(className: string, name: string, o: unknown, value: unknown): unknown;
  /** `(#x in o || __hs.phas("C", "#x", o))` */
  phas(className: string, name: string, o: unknown): boolean;
  /** `(#x in o ? o.#x++ : __hs.pupdate("C", "#x", o, 1, false))` */
  pupdate(className: string, name: string, o: unknown, delta: 1 | -1, prefix: boolean): unknown;
  /** Static field initializer guard: `static n = __hs.staticFresh("C", "n") ? (init) : void 0`. */
  staticFresh(className: string, name: string): boolean;
  /** `once(...)` imported from `hotstate/runtime`, routed to the module: `__hs.once(...)`. */
  once(key: string, setup: () => void | (() => void), deps?: readonly unknown[]): void;
  /** A class's first instance field, where `trackInstances` is on: `#__hs_tracked = __hs.track("C", this)`. */
  track(className: string, instance: object): undefined;
  /** The module's last statement. */
  commit(): void;
}
