/**
 * A tiny module-level store. Its `let`s are hotstate state: edits to this file keep their values.
 * (With Fast Refresh alone, an edit here re-runs this module and its importers: `clicks` starts
 * again from 0.)
 */
export let clicks: number = 0;

/** Who re-renders when `clicks` changes. A `let` too, so subscriptions survive edits of this file. */
let listeners: Set<() => void> = new Set();

/** Code: edit the step (`clicks += 1` → `clicks += 10`) and save; the next click uses it. */
export function click(): void {
  clicks += 1;
  notify();
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getClicks(): number {
  return clicks;
}

function notify(): void {
  for (const listener of listeners) listener();
}
