import type MagicString from 'magic-string';
import { boundIdentifiers, type Node } from './ast.ts';
import type { StateDeclaration } from './analyze.ts';
import type { EmittedNames } from './names.ts';

/**
 * Rewrites one top-level state declaration into store cells, in place, so every line keeps its
 * position:
 *
 *   export let count: number = 0, { a, b: [c] } = load();
 * becomes
 *   const count = __hs.cell("count", true); if (count.fresh) count.init(0);
 *   let __hs_export_count = count.v; count.mirror((v) => { __hs_export_count = v }); export { __hs_export_count as count };
 *   const a = __hs.cell("a"), c = ...; if (a.fresh || c.fresh) { const { a: __hs_t1, b: [__hs_t2] } = load(); a.fresh && a.init(__hs_t1); ... }
 *
 * A `var`'s cell is created in the module prelude instead (hoisting), so only its initializer
 * stays here.
 */
export function rewriteState(s: MagicString, decl: StateDeclaration, names: EmittedNames, exportedCells: Set<string>, code: string): void {
  const { statement, declaration } = decl;
  const declarators = declaration.declarations as Node[];
  if (decl.exported) s.remove(statement.start, declaration.start);
  s.remove(declaration.start, declarators[0]!.start);
  let temp = 0;
  const cellOf = (name: string): string =>
    decl.isVar ? '' : `const ${name} = ${names.hs}.cell(${JSON.stringify(name)}${exportedCells.has(name) ? ', true' : ''}); `;
  const mirrorOf = (name: string): string => {
    if (!exportedCells.has(name)) return '';
    const mirror = names.mirror(name);
    const exportList = decl.exported ? ` export { ${mirror} as ${name} };` : '';
    return ` let ${mirror} = ${name}.v; ${name}.mirror((v) => { ${mirror} = v; });${exportList}`;
  };

  declarators.forEach((declarator, i) => {
    if (i > 0) s.overwrite(declarators[i - 1]!.end, declarator.start, ' ');
    const id = declarator.id as Node;
    const init = declarator.init as Node | null;
    if (id.type === 'Identifier') {
      const name = id.name as string;
      const head = `${cellOf(name)}if (${name}.fresh) ${name}.init(`;
      if (init) {
        s.overwrite(id.start, init.start, head);
        s.appendLeft(init.end, `);${mirrorOf(name)}`);
      } else s.overwrite(id.start, declarator.end, `${head}undefined);${mirrorOf(name)}`);
      return;
    }
    const ids = boundIdentifiers(id);
    const temps = ids.map(() => names.temp(++temp));
    ids.forEach((bound, k) => {
      const shorthand = code.slice(bound.start, bound.end) === bound.name && isShorthandTarget(id, bound);
      s.overwrite(bound.start, bound.end, shorthand ? `${bound.name}: ${temps[k]}` : temps[k]!);
    });
    if (id.typeAnnotation) s.remove(id.typeAnnotation.start, id.typeAnnotation.end);
    const cells = ids.map((bound) => cellOf(bound.name)).join('');
    const fresh = ids.map((bound) => `${bound.name}.fresh`).join(' || ');
    s.prependLeft(id.start, `${cells}if (${fresh}) { const `);
    const inits = ids.map((bound, k) => `${bound.name}.fresh && ${bound.name}.init(${temps[k]});`).join(' ');
    s.appendLeft(init!.end, `; ${inits} }${ids.map((bound) => mirrorOf(bound.name)).join('')}`);
  });
  if (code[declaration.end - 1] !== ';') s.appendLeft(declaration.end, ';');
}

/** Whether `bound` is the value of a shorthand property somewhere in `pattern` (`{ a }`, `{ a = 1 }`). */
function isShorthandTarget(pattern: Node, bound: Node): boolean {
  if (pattern.type === 'ObjectPattern') {
    for (const property of pattern.properties as Node[]) {
      if (property.type === 'RestElement') {
        if (isShorthandTarget(property.argument, bound)) return true;
        continue;
      }
      const value = property.value as Node;
      if (property.shorthand && (value === bound || (value.type === 'AssignmentPattern' && value.left === bound))) return true;
      if (isShorthandTarget(value, bound)) return true;
    }
  } else if (pattern.type === 'ArrayPattern') {
    return (pattern.elements as Array<Node | null>).some((element) => element !== null && isShorthandTarget(element, bound));
  } else if (pattern.type === 'AssignmentPattern') return isShorthandTarget(pattern.left, bound);
  else if (pattern.type === 'RestElement') return isShorthandTarget(pattern.argument, bound);
  return false;
}
