import type MagicString from 'magic-string';
import { boundIdentifiers, forEachChild, type Node } from './ast.ts';
import type { StateDeclaration } from './analyze.ts';
import type { EmittedNames } from './names.ts';

/**
 * Rewrites one top-level state declaration into store cells, in place, so every line keeps its
 * position:
 *
 *   export let count: number = 0, { a, b: [c = a] } = load();
 * becomes
 *   const count = __hs.cell("count", true); if (count.fresh) count.init(0);
 *   let __hs_export_count = count.v; __hs.mirror(count, (v) => { __hs_export_count = v; }); export { __hs_export_count as count };
 *   const a = __hs.cell("a"); const c = ...; if (a.fresh || c.fresh) ({ a: (a.fresh ? a : __hs.sink).v, b: [(c.fresh ? c : __hs.sink).v = a.v] } = load());
 *
 * Destructuring assigns straight into the cells, in order, so a default can read a binding
 * declared earlier in the same pattern; bindings that already hold state send their new value to
 * a sink. A `var`'s cell is created in the module prelude instead (hoisting), and a `var`
 * without an initializer emits nothing.
 */
export function rewriteState(s: MagicString, decl: StateDeclaration, names: EmittedNames, exportedCells: Set<string>, code: string): void {
  const { statement, declaration } = decl;
  const declarators = declaration.declarations as Node[];
  if (decl.exported) s.remove(statement.start, declaration.start);
  s.remove(declaration.start, declarators[0]!.start);
  const cellOf = (name: string): string => (decl.isVar ? '' : `const ${name} = ${cellCall(names, name, exportedCells.has(name), decl.constant)}; `);
  const mirrorOf = (name: string): string => {
    if (!exportedCells.has(name)) return '';
    const mirror = names.mirror(name);
    const exportList = decl.exported ? ` export { ${mirror} as ${name} };` : '';
    return ` let ${mirror} = ${name}.v; ${names.hs}.mirror(${name}, (v) => { ${mirror} = v; });${exportList}`;
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
      } else s.overwrite(id.start, declarator.end, decl.isVar ? mirrorOf(name) : `${head}void 0);${mirrorOf(name)}`);
      return;
    }
    const ids = boundIdentifiers(id);
    for (const bound of ids) {
      const target = `(${bound.name}.fresh ? ${bound.name} : ${names.hs}.sink).v`;
      s.overwrite(bound.start, bound.end, isShorthandTarget(id, bound) ? `${bound.name}: ${target}` : target);
    }
    if (id.typeAnnotation) s.remove(id.typeAnnotation.start, id.typeAnnotation.end);
    const cells = ids.map((bound) => cellOf(bound.name)).join('');
    s.prependLeft(id.start, `${cells}if (${ids.map((bound) => `${bound.name}.fresh`).join(' || ')}) (`);
    s.appendLeft(init!.end, `);${ids.map((bound) => mirrorOf(bound.name)).join('')}`);
  });
  if (code[declaration.end - 1] !== ';') s.appendLeft(declaration.end, ';');
}

/** `__hs.cell("x")`, with the options the binding needs. */
export function cellCall(names: EmittedNames, name: string, exported: boolean, constant = false, early?: string): string {
  const options = [exported ? 'exported: true' : '', constant ? 'constant: true' : '', early ? `early: ${early}` : ''].filter(Boolean).join(', ');
  return `${names.hs}.cell(${JSON.stringify(name)}${options ? `, { ${options} }` : ''})`;
}

/**
 * A `var` nested in a top-level block or loop head declares a module-level binding too: its cell
 * is created in the prelude, and the declaration becomes an assignment to it (`var i = 0` →
 * `i.v = 0`, `for (var x of xs)` → `for (x.v of xs)`); declarators without an initializer
 * disappear, as a repeated `var` does nothing.
 */
export function rewriteNestedVar(s: MagicString, declaration: Node, position: 'statement' | 'for-init' | 'for-left', asiGuard: string): void {
  const declarators = declaration.declarations as Node[];
  const assigned = position === 'for-left' ? declarators : declarators.filter((d) => d.init);
  for (const declarator of declarators) {
    for (const bound of boundIdentifiers(declarator.id)) {
      s.overwrite(bound.start, bound.end, isShorthandTarget(declarator.id, bound) ? `${bound.name}: ${bound.name}.v` : `${bound.name}.v`);
    }
    if (declarator.id.typeAnnotation) s.remove(declarator.id.typeAnnotation.start, declarator.id.typeAnnotation.end);
  }
  if (assigned.length === 0) {
    s.overwrite(declaration.start, declaration.end, position === 'statement' ? ';' : '');
    return;
  }
  s.remove(declaration.start, declarators[0]!.start);
  let previousEnd = -1;
  declarators.forEach((declarator, i) => {
    const keep = assigned.includes(declarator);
    const start = i === 0 ? declarator.start : declarators[i - 1]!.end;
    if (!keep) s.remove(start, declarator.end);
    else if (previousEnd !== -1 && start !== previousEnd) s.overwrite(start, declarator.start, ', ');
    else if (previousEnd === -1 && i > 0) s.remove(start, declarator.start);
    if (keep) previousEnd = declarator.end;
  });
  const first = assigned[0]!;
  if (position === 'statement' && first.id.type === 'ObjectPattern') {
    s.prependLeft(first.id.start, `${asiGuard}(`);
    s.appendLeft(assigned.at(-1)!.end, ')');
  } else if (position === 'statement' && first.id.type === 'ArrayPattern') s.prependLeft(first.id.start, asiGuard);
}

/** Every `var` declaration nested in these top-level statements (not in functions or classes). */
export function nestedVars(statements: Node[]): Array<{ declaration: Node; position: 'statement' | 'for-init' | 'for-left' }> {
  const found: Array<{ declaration: Node; position: 'statement' | 'for-init' | 'for-left' }> = [];
  const visit = (node: Node, parent: Node | null, key: string): void => {
    if (/Function|Class/.test(node.type) && node.type !== 'ClassBody') return;
    if (node.type.startsWith('TS')) return;
    if (node.type === 'VariableDeclaration') {
      if (node.kind === 'var' && !node.declare && parent !== null && parent.type !== 'ExportNamedDeclaration') {
        const position = key === 'init' && parent.type === 'ForStatement' ? 'for-init' : key === 'left' ? 'for-left' : 'statement';
        found.push({ declaration: node, position });
      }
      return;
    }
    if (node.type === 'ExpressionStatement' || node.type === 'ReturnStatement' || node.type === 'ThrowStatement') return;
    forEachChild(node, (child, k) => visit(child, node, k));
  };
  for (const statement of statements) visit(statement, null, 'body');
  return found;
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
