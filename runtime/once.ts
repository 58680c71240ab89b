/**
 * `once(key, setup, deps?)`: effects that must survive updates. The bookkeeping is per module
 * lineage; the emitted code calls `__hs.once(...)` so each call knows its module.
 */
export type Cleanup = () => void;
export type Setup = () => void | Cleanup;

export interface OnceRecord {
  cleanup: Cleanup | undefined;
  deps: readonly unknown[] | undefined;
}

export function sameDeps(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

export function runSetup(setup: Setup, deps: readonly unknown[] | undefined): OnceRecord {
  const cleanup = setup();
  return { cleanup: typeof cleanup === 'function' ? cleanup : undefined, deps };
}
