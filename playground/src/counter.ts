/** A module `let` is state: edits to this file keep its value. */
export let count: number = 0;

/** A function is code: edit the step and save; the button's listener runs the new body. */
export function increment(): number {
  count += 1;
  return count;
}
