import type MagicString from 'magic-string';
import type { Node } from './ast.ts';
import type { FunctionBinding } from './analyze.ts';
import type { EmittedNames } from './names.ts';

/**
 * Top-level functions keep one identity across versions: the first version's function object.
 * Each version's functions start with a prologue that, once a newer version is current, forwards
 * the call (with `this`, `arguments` and `new.target`) to the newest body. Until an update
 * happens the branch is never taken, so the function behaves exactly as written.
 *
 * - `function f() {}` keeps its declaration (hoisting, `f.name`, `f.length`); the prelude runs
 *   `f = __hs.fn("f", f)` so the binding (and its exports) is the stable function.
 * - `const f = (a) => ...` becomes `const f = __hs.fn("f", { f(a) { ... } }.f)`: a method is,
 *   like an arrow, not constructible and has no `prototype`, while it still has `arguments` for
 *   forwarding; a top-level arrow's `this` is `undefined`, so `this` in its body is rewritten to
 *   `(void 0)` (not `undefined`, which a module may declare).
 * - `const f = function () {}` becomes `const f = __hs.fn("f", { f: function () { ... } }.f)`,
 *   which keeps the inferred name.
 */
export function prologue(names: EmittedNames, name: string, fn: Node, converted: boolean): string {
  const forward = converted ? `${names.hs}.call(${JSON.stringify(name)}, arguments)` : `${names.hs}.forward(${JSON.stringify(name)}, this, arguments, new.target)`;
  return ` if ${names.stale(fn.type === 'FunctionDeclaration')} return ${fn.generator ? 'yield* ' : ''}${forward};`;
}

/** Registration of a function declaration, run first thing in the module body. */
export function preludeForDeclaration(names: EmittedNames, name: string): string {
  return `${name} = ${names.hs}.fn(${JSON.stringify(name)}, ${name});`;
}

/** The offset of the first character at or after `from` that is neither white space nor in a comment. */
function skipTrivia(code: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < code.length && /\s/.test(code[i]!)) i++;
    if (code.startsWith('/*', i)) i = code.indexOf('*/', i + 2) + 2;
    else if (code.startsWith('//', i)) i = code.indexOf('\n', i);
    else return i;
  }
}

/** The offset of the `=>` token at or after `from`, skipping comments. */
function findArrow(code: string, from: number): number {
  for (let i = skipTrivia(code, from); i < code.length - 1; i = skipTrivia(code, i + 1)) {
    if (code[i] === '=' && code[i + 1] === '>') return i;
  }
  throw new Error(`no => after offset ${from}`);
}

export function rewriteFunction(s: MagicString, binding: FunctionBinding, names: EmittedNames, code: string): void {
  const { fn, name } = binding;
  const body = fn.body as Node;
  if (!binding.declarator) {
    s.appendLeft(body.start + 1, prologue(names, name, fn, false));
    return;
  }
  const register = `${names.hs}.fn(${JSON.stringify(name)}, { `;
  if (fn.type === 'FunctionExpression') {
    s.prependLeft(fn.start, `${register}${name}: `);
    s.appendLeft(body.start + 1, prologue(names, name, fn, false));
    s.appendLeft(fn.end, ` }.${name})`);
    return;
  }
  // Arrow → method shorthand.
  const params = fn.params as Node[];
  const head = fn.async ? fn.start + 'async'.length : fn.start;
  const afterHead = skipTrivia(code, head);
  const parenthesized = code[afterHead] === '(' || code[afterHead] === '<';
  s.prependLeft(fn.start, fn.async ? register : register + name);
  if (fn.async) s.appendLeft(head, ` ${name}`);
  if (!parenthesized) {
    s.appendLeft(params[0]!.start, '(');
    s.appendLeft(params[0]!.end, ')');
  }
  const searchFrom = Math.max(
    (fn.returnType as Node | null)?.end ?? 0,
    params[params.length - 1]?.end ?? 0,
    (fn.typeParameters as Node | null)?.end ?? 0,
    afterHead,
  );
  const arrow = findArrow(code, searchFrom);
  s.overwrite(arrow, arrow + 2, '');
  if (body.type === 'BlockStatement') s.appendLeft(body.start + 1, prologue(names, name, fn, true));
  else {
    s.prependLeft(body.start, `{${prologue(names, name, fn, true)} return (`);
    s.appendLeft(body.end, '); }');
  }
  s.appendLeft(fn.end, ` }.${name})`);
}
