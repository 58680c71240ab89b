import { internalObjects } from './instances.ts';

/**
 * Upgrading a live class in place. This is the most delicate part of the runtime, so it is all
 * here. The first version of a class is its stable identity: every importer, every `instanceof`
 * and every existing instance's prototype chain points at it. A later version's class object is
 * only a carrier of new code:
 *
 * - its prototype's methods and accessors are copied onto the stable prototype (removed ones
 *   deleted), so existing instances run the new bodies. `super` inside them resolves through the
 *   new version's own prototype chain, whose parent is the (also stable) parent class.
 * - its static methods and accessors are copied onto the stable class; static fields are state
 *   and stay on the stable class.
 * - instance fields that are new get an accessor on the stable prototype that runs the new
 *   initializer (`this` = the instance) the first time an old instance reads or writes the field,
 *   then turns into an own data property. That keeps the update's cost independent of the
 *   number of live instances.
 * - construction is forwarded by the emitted constructor prologue to the newest class (with
 *   `new.target` = the stable class), so new instances get the newest constructor and fields.
 *
 * Every change is recorded so `restore` can put the class back exactly as it was.
 */

type AnyClass = abstract new (...args: never[]) => unknown;
type Constructor = AnyClass;
type Descriptors = { [key: PropertyKey]: PropertyDescriptor };

/** The own properties of a class that are part of its identity, never copied between versions. */
const CLASS_OWN = new Set<PropertyKey>(['length', 'name', 'prototype']);

/** What a snapshot saved of one object: its own properties and its prototype. */
interface Saved {
  target: object;
  descriptors: Descriptors;
  parent: object | null;
}

function save(target: object): Saved {
  return { target, descriptors: Object.getOwnPropertyDescriptors(target), parent: Object.getPrototypeOf(target) as object | null };
}

function restoreSaved({ target, descriptors, parent }: Saved): void {
  for (const key of Reflect.ownKeys(target)) {
    if (!Object.hasOwn(descriptors, key)) Reflect.deleteProperty(target, key);
  }
  for (const key of Reflect.ownKeys(descriptors)) Object.defineProperty(target, key, descriptors[key]!);
  if (Object.getPrototypeOf(target) !== parent) Object.setPrototypeOf(target, parent);
}

/**
 * Everything `upgradeClass` may change on a stable class, saved before it does. `upgradeClass`
 * reads the stable class's members from here instead of asking for each one again.
 */
export class ClassSnapshot {
  readonly statics: Saved;
  readonly proto: Saved;

  constructor(stable: AnyClass) {
    this.statics = save(stable);
    this.proto = save(stable.prototype as object);
  }

  restore(): void {
    restoreSaved(this.proto);
    restoreSaved(this.statics);
  }
}

export interface ClassUpgrade {
  /** Keys of instance fields new in this version, with their initializer thunks. */
  addedFields: Map<PropertyKey, () => unknown>;
  /** Keys of instance fields gone in this version: their lazy accessors (if any) are removed. */
  removedLazyFields: PropertyKey[];
  /** Keys of static fields (state: values stay on the stable class). */
  staticFields: Set<PropertyKey>;
  /** Static field keys whose value must be taken from the new version (new, or reset). */
  takeStatic: Set<PropertyKey>;
}

/** Marks accessors hotstate installed for lazily initialized fields. */
const LAZY_FIELD = Symbol('hotstate.lazyField');

/** `saved`: the stable object's own properties right before (`ClassSnapshot`). */
function copyMembers(stable: object, saved: Descriptors, next: object, skip: (key: PropertyKey) => boolean): void {
  const nextKeys = new Set(Reflect.ownKeys(next));
  for (const key of Reflect.ownKeys(saved)) {
    if (skip(key) || nextKeys.has(key)) continue;
    if ((saved[key]!.get as { [LAZY_FIELD]?: true } | undefined)?.[LAZY_FIELD]) continue;
    Reflect.deleteProperty(stable, key);
  }
  for (const key of nextKeys) {
    if (skip(key)) continue;
    Object.defineProperty(stable, key, Object.getOwnPropertyDescriptor(next, key)!);
  }
}

function lazyField(key: PropertyKey, init: () => unknown): PropertyDescriptor {
  const define = (instance: object, value: unknown): void => {
    Object.defineProperty(instance, key, { value, writable: true, enumerable: true, configurable: true });
  };
  const get = function (this: object): unknown {
    const value = init.call(this);
    define(this, value);
    return value;
  };
  Object.defineProperty(get, LAZY_FIELD, { value: true });
  return {
    get,
    set(this: object, value: unknown) {
      define(this, value);
    },
    enumerable: false,
    configurable: true,
  };
}

/**
 * Makes `stable` behave as `next` for existing and future instances (see the file comment).
 * `saved` is the snapshot of `stable` taken right before.
 */
export function upgradeClass(stable: AnyClass, next: AnyClass, upgrade: ClassUpgrade, saved: ClassSnapshot): void {
  const stableProto = stable.prototype as object;
  const nextProto = next.prototype as object;

  copyMembers(stableProto, saved.proto.descriptors, nextProto, (key) => key === 'constructor');
  copyMembers(stable, saved.statics.descriptors, next, (key) => CLASS_OWN.has(key) || upgrade.staticFields.has(key));

  for (const key of upgrade.staticFields) {
    if (upgrade.takeStatic.has(key) || !Object.hasOwn(stable, key)) {
      Object.defineProperty(stable, key, Object.getOwnPropertyDescriptor(next, key) ?? { value: undefined, writable: true, enumerable: true, configurable: true });
    }
  }
  for (const key of upgrade.removedLazyFields) {
    const descriptor = Object.getOwnPropertyDescriptor(stableProto, key);
    if ((descriptor?.get as { [LAZY_FIELD]?: true } | undefined)?.[LAZY_FIELD]) Reflect.deleteProperty(stableProto, key);
  }
  for (const [key, init] of upgrade.addedFields) {
    if (!Object.hasOwn(nextProto, key)) Object.defineProperty(stableProto, key, lazyField(key, init));
  }

  if (Object.getPrototypeOf(stable) !== Object.getPrototypeOf(next)) Object.setPrototypeOf(stable, Object.getPrototypeOf(next));
  if (Object.getPrototypeOf(stableProto) !== Object.getPrototypeOf(nextProto)) {
    Object.setPrototypeOf(stableProto, Object.getPrototypeOf(nextProto));
  }
}


/**
 * Construction after an update runs the newest class with the stable class (or a subclass) as
 * `new.target`. Passing that `new.target` itself makes V8 derive a new hidden class on every
 * construction, so each instance gets one of its own (1.9 µs a `new`, bench/README.md). V8 caches
 * the derived hidden class only on a *derived class constructor* used as `new.target`, so the
 * runtime passes a stand-in `class extends Object {}` whose (empty) prototype object inherits from
 * the real `new.target.prototype`: methods, `instanceof` and `constructor` resolve as before.
 * Emitted constructors map `new.target` back to the real one through `Version.target`.
 */
const standIns: WeakMap<Constructor, Constructor> = new WeakMap();
const realTargets: WeakMap<Constructor, Constructor> = new WeakMap();

export function standInFor(newTarget: Constructor): Constructor {
  let standIn = standIns.get(newTarget);
  if (standIn === undefined) {
    standIn = class extends Object {} as unknown as Constructor;
    const proto = standIn.prototype as object;
    Object.setPrototypeOf(proto, newTarget.prototype as object);
    Reflect.deleteProperty(proto, 'constructor');
    internalObjects.add(proto);
    standIns.set(newTarget, standIn);
    realTargets.set(standIn, newTarget);
  }
  return standIn;
}

/** The real `new.target` behind a stand-in (what `Version.target` returns to emitted constructors). */
export function realTarget(newTarget: unknown): unknown {
  return (newTarget !== undefined && realTargets.get(newTarget as Constructor)) || newTarget;
}
