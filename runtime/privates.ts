/**
 * Private members across versions. Each version of a class keeps its real `#names`, so
 * reflection, brand checks, `Object.freeze` and error messages are exactly JavaScript's. But a
 * private name belongs to one class *body*: the methods of version 2 cannot reach `#x` on an
 * instance that version 1 constructed. So every version registers, from inside its own class
 * body, small functions that read, write and test its private names, and emitted code reaches a
 * private member through its own version's name first and these registrations second:
 *
 *   this.#x          → (#x in this ? this.#x : __hs.pget("C", "#x", this))
 *   o.#m(a)          → (#m in o ? o.#m : __hs.pget("C", "#m", o)).call(o, a)
 *   this.#x = v      → (#x in this ? this.#x = v : __hs.pset("C", "#x", this, v))
 *
 * Methods and accessors always run the newest version's body (registered as `impls`). A field
 * that a newer version added lives, for older instances, in a WeakMap filled on first access from
 * the field's initializer. The same fallbacks throw JavaScript's own TypeErrors for objects of
 * other classes.
 */
export type PrivateKind = 'field' | 'method' | 'accessor' | 'static field' | 'static method' | 'static accessor';

/** One private name of one version: `[kind, get, set, has]`, written inside that version's class body. */
export type PrivateAccess = readonly [
  kind: PrivateKind,
  get: (o: object) => unknown,
  set: ((o: object, value: unknown) => void) | null,
  has: (o: object) => boolean,
];

interface VersionPrivates {
  owner: object;
  cls: object;
  access: Map<string, PrivateAccess>;
  impls: Record<string, unknown>;
  staticImpls: Record<string, unknown>;
}

const isStatic = (kind: PrivateKind): boolean => kind.startsWith('static');

/** Everything one class lineage knows about its private names. */
export class ClassPrivates {
  readonly versions: VersionPrivates[] = [];
  /** Values of fields an object's own version did not declare (added later, or reset). */
  readonly added: Map<string, WeakMap<object, unknown>> = new Map();
  /** For a field reset by an update: the index of the first version whose values count. */
  readonly resetFrom: Map<string, number> = new Map();
  /** The newest field initializers (`this` = the instance), for fields added after an instance was made. */
  initializers: Record<string, (() => unknown) | undefined> = {};
  /** The stable class: static private members of any version live on it. */
  stable: object | undefined;

  constructor(readonly className: string) {}

  /** The newest registration that declares `name`. */
  #newest(name: string): { version: VersionPrivates; access: PrivateAccess } | undefined {
    for (let i = this.versions.length - 1; i >= 0; i--) {
      const version = this.versions[i]!;
      const access = version.access.get(name);
      if (access !== undefined) return { version, access };
    }
    return undefined;
  }

  /** Whether `o` was constructed by some version of the class (or is the class, for statics). */
  isInstance(o: object, statics: boolean): boolean {
    if (statics && o === this.stable) return true;
    for (const version of this.versions) {
      for (const [kind, , , has] of version.access.values()) if (isStatic(kind) === statics && has(o)) return true;
    }
    return false;
  }

  #branded(name: string, o: object): PrivateAccess | undefined {
    for (let i = this.versions.length - 1; i >= (this.resetFrom.get(name) ?? 0); i--) {
      const access = this.versions[i]!.access.get(name);
      if (access !== undefined && access[3](o)) return access;
    }
    return undefined;
  }

  #store(name: string): WeakMap<object, unknown> {
    let store = this.added.get(name);
    if (store === undefined) this.added.set(name, (store = new WeakMap()));
    return store;
  }

  get(name: string, o: unknown): unknown {
    const newest = this.#newest(name);
    const object = Object(o) as object;
    if (newest !== undefined) {
      const [kind] = newest.access;
      const statics = isStatic(kind);
      if (kind.endsWith('method')) {
        if (!this.isInstance(object, statics)) throw new TypeError(`Receiver must be an instance of class ${this.className}`);
        return (statics ? newest.version.staticImpls : newest.version.impls)[name];
      }
      if (kind.endsWith('accessor')) {
        if (!this.isInstance(object, statics)) throw readError(name);
        return Reflect.get(statics ? newest.version.staticImpls : newest.version.impls, name, object);
      }
      const branded = this.#branded(name, object);
      if (branded !== undefined) return branded[1](object);
      const store = this.#store(name);
      if (store.has(object)) return store.get(object);
      if (this.isInstance(object, statics)) {
        const value = statics ? newest.access[1](newest.version.cls) : this.initializers[name]?.call(object);
        store.set(object, value);
        return value;
      }
    }
    throw readError(name);
  }

  set(name: string, o: unknown, value: unknown): unknown {
    const newest = this.#newest(name);
    const object = Object(o) as object;
    if (newest !== undefined) {
      const [kind] = newest.access;
      const statics = isStatic(kind);
      if (kind.endsWith('accessor') && this.isInstance(object, statics)) {
        Reflect.set(statics ? newest.version.staticImpls : newest.version.impls, name, value, object);
        return value;
      }
      if (kind.endsWith('field')) {
        const branded = this.#branded(name, object);
        if (branded?.[2]) {
          branded[2](object, value);
          return value;
        }
        if (this.isInstance(object, statics)) {
          this.#store(name).set(object, value);
          return value;
        }
      }
    }
    throw new TypeError(`Cannot write private member ${name} to an object whose class did not declare it`);
  }

  has(name: string, o: unknown): boolean {
    if (typeof o !== 'object' && typeof o !== 'function') throw new TypeError(`Cannot use 'in' operator to search for '${name}' in ${String(o)}`);
    const newest = this.#newest(name);
    if (newest === undefined || o === null) return false;
    const statics = isStatic(newest.access[0]);
    return this.isInstance(o, statics);
  }
}

function readError(name: string): TypeError {
  return new TypeError(`Cannot read private member ${name} from an object whose class did not declare it`);
}
