/**
 * `hotstate/runtime`: what instrumented modules import, plus the public `once`.
 *
 * Nothing here depends on TypeScript or Vite: the same file runs in the browser, in Vite's
 * module runner and under plain Node.
 */
import { enter, enterQueued, settle } from './enter.ts';
import type { Setup } from './once.ts';

export type { Cleanup, Setup } from './once.ts';
export type { UpdateReport, ReportEntry, Outcome, Migration } from './contract.ts';
export { HotstateError } from './errors.ts';
export { formatReport } from './report.ts';

/**
 * Runs `setup` on the first evaluation of the module only. If `setup` returns a function, that is
 * its cleanup: it runs when a later version of the module no longer calls `once` with this key,
 * when `deps` change (then `setup` runs again, after the cleanup), or when the module is removed.
 * Cleanups run only after the new version committed.
 *
 * ```ts
 * once('tick', () => {
 *   const timer = setInterval(tick, 1000); // `tick` is late-bound: edits apply to this timer
 *   return () => clearInterval(timer);
 * });
 * ```
 *
 * In an instrumented module the transform routes each call to that module's own bookkeeping.
 * Anywhere else (a production build, an uninstrumented module) every evaluation is the first,
 * so `once` simply runs `setup`.
 */
export function once(key: string, setup: Setup, deps?: readonly unknown[]): void {
  void key;
  void deps;
  setup();
}

/** @internal The entry point of instrumented code. Not part of the public API. */
export const __hotstate: { enter: typeof enter; enterQueued: typeof enterQueued; settle: typeof settle } = { enter, enterQueued, settle };

