/**
 * How an already-instrumented file is recognised: the transform always emits its runtime import
 * first (after a hashbang), as `import { __hotstate as …` on a line of its own, and a compiler
 * keeps it at the start of a line (it may put comments or its helpers before it).
 * `hotstate instrument` skips such files, and the Vite plugin serves them as they are (output of
 * `hotstate/tsc` run with `hotstate run`), so nothing is ever instrumented twice.
 */
const MARKER = /^import \{ __hotstate as /m;

export function isInstrumented(code: string): boolean {
  return MARKER.test(code);
}

/**
 * Whether the text mentions the `@hotstate ignore` directive anywhere: a quick test for hosts that
 * decide before the transform (which reads the directive from the comments) whether to complain
 * about a file hotstate would leave alone anyway.
 */
export function mayOptOut(code: string): boolean {
  return /@hotstate\s+ignore/.test(code);
}
