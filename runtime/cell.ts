/**
 * A store cell holds the value of one module-level state binding. The transform rewrites every
 * reference `count` to `count.v`, where `count` is the cell, so all versions of a module (and
 * every closure any of them created) read and write one place.
 *
 * All plain cells share one hidden class, so `cell.v` is a monomorphic field access in the
 * user's hottest loops; see `bench/` for what that costs.
 */
export class Cell<T = unknown> {
  v: T = undefined as T;
  /**
   * True while the binding's initializers must run: during the evaluation that created the cell
   * (or reset it). Cleared when that version commits, so a `var` declared twice is assigned twice
   * on the first evaluation, as in plain JavaScript, and never again.
   */
  fresh = true;

  /** The initializer's value; emitted as `if (x.fresh) x.init(<initializer>)`. */
  init(value: T): void {
    this.v = value;
  }
}

/**
 * A cell for an exported `let`. Importers hold live bindings to the exporting module's own
 * `let` (one per version: importers loaded before an update keep the old module instance), so
 * every write is also copied into each version's exported binding through a setter that
 * version registered with `mirror`.
 */
export class MirroredCell<T = unknown> {
  #value: T = undefined as T;
  #mirrors: Array<(value: T) => void> = [];
  fresh = true;
  /** A `// @hotstate keep` const: assigning to it throws as assigning to a const does. */
  readonly constant: boolean;

  constructor(constant = false) {
    this.constant = constant;
  }

  get v(): T {
    return this.#value;
  }

  set v(value: T) {
    if (this.constant) throw new TypeError('Assignment to constant variable.');
    this.#set(value);
  }

  #set(value: T): void {
    this.#value = value;
    const mirrors = this.#mirrors;
    for (let i = 0; i < mirrors.length; i++) mirrors[i]!(value);
  }

  init(value: T): void {
    this.#set(value);
  }

  /** Puts back a value a rolled-back version overwrote (also for constants). */
  restore(value: T): void {
    this.#set(value);
  }

  /**
   * Registers one version's exported binding. Every write then costs one call per registered
   * version: importers loaded before an update may still read an old version's binding.
   */
  mirror(set: (value: T) => void): void {
    this.#mirrors.push(set);
    set(this.#value);
  }

  /** Undoes `mirror` (a version that rolled back). */
  unmirror(set: (value: T) => void): void {
    const i = this.#mirrors.lastIndexOf(set);
    if (i !== -1) this.#mirrors.splice(i, 1);
  }
}

export type StateCell<T = unknown> = Cell<T> | MirroredCell<T>;
