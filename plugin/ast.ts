/**
 * The ESTree / TS-ESTree nodes oxc-parser produces, seen loosely: the transform reads a handful of
 * fields per node type and walks the rest generically.
 */
// biome-ignore lint: the AST is walked generically, a precise union type would add nothing here.
export type Node = { type: string; start: number; end: number } & Record<string, any>;

/** Keys that never hold runtime code (types) or never hold nodes. */
const SKIP_KEYS = new Set([
  'type',
  'start',
  'end',
  'range',
  'loc',
  'typeAnnotation',
  'returnType',
  'typeParameters',
  'typeArguments',
  'superTypeArguments',
  'superTypeParameters',
  'implements',
]);

export function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Calls `fn` for every child node that may hold runtime code. */
export function forEachChild(node: Node, fn: (child: Node, key: string) => void): void {
  for (const key in node) {
    if (SKIP_KEYS.has(key)) continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) fn(item, key);
    } else if (isNode(value)) fn(value, key);
  }
}

/** Whether `test` holds for some child node that may hold runtime code. */
export function someChild(node: Node, test: (child: Node) => boolean): boolean {
  for (const key in node) {
    if (SKIP_KEYS.has(key)) continue;
    const value = node[key];
    if (Array.isArray(value) ? value.some((item) => isNode(item) && test(item)) : isNode(value) && test(value)) return true;
  }
  return false;
}

/** Looks through parentheses and TypeScript-only expression wrappers (`as`, `satisfies`, `!`). */
export function unwrapExpression(node: Node): Node {
  let current = node;
  while (
    current.type === 'ParenthesizedExpression' ||
    current.type === 'TSAsExpression' ||
    current.type === 'TSSatisfiesExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'TSTypeAssertion'
  ) {
    current = current.expression as Node;
  }
  return current;
}

/** The names a binding pattern declares (`{ a, b: [c] }` → a, c), with their identifier nodes. */
export function boundIdentifiers(pattern: Node | null | undefined, out: Node[] = []): Node[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties as Node[]) {
        boundIdentifiers(property.type === 'RestElement' ? property.argument : property.value, out);
      }
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements as Array<Node | null>) boundIdentifiers(element, out);
      break;
    case 'AssignmentPattern':
      boundIdentifiers(pattern.left, out);
      break;
    case 'RestElement':
      boundIdentifiers(pattern.argument, out);
      break;
    case 'TSParameterProperty':
      boundIdentifiers(pattern.parameter, out);
      break;
  }
  return out;
}

export const boundNames = (pattern: Node | null | undefined): string[] => boundIdentifiers(pattern).map((id) => id.name as string);

/** Names declared with block scope directly in a statement list. */
export function lexicalNames(statements: Node[]): string[] {
  const names: string[] = [];
  for (let statement of statements) {
    if ((statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration') && statement.declaration) {
      statement = statement.declaration;
    }
    if (statement.declare) continue;
    if (statement.type === 'VariableDeclaration' && statement.kind !== 'var') {
      for (const declarator of statement.declarations as Node[]) names.push(...boundNames(declarator.id));
    } else if (
      (statement.type === 'FunctionDeclaration' ||
        statement.type === 'ClassDeclaration' ||
        statement.type === 'TSEnumDeclaration' ||
        statement.type === 'TSModuleDeclaration') &&
      statement.id?.type === 'Identifier'
    ) {
      names.push(statement.id.name);
    }
  }
  return names;
}

/** `var` declarations hoisted to the function (or module) whose body this is; nested functions excluded. */
export function varIdentifiers(node: Node | null | undefined, out: Node[] = []): Node[] {
  if (!node) return out;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var' && !node.declare) for (const d of node.declarations as Node[]) boundIdentifiers(d.id, out);
      return out;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
    case 'ExpressionStatement':
    case 'ReturnStatement':
    case 'ThrowStatement':
      return out;
  }
  if (node.type.startsWith('TS') && node.type !== 'TSModuleBlock') return out;
  forEachChild(node, (child, key) => {
    if (key === 'test' || key === 'update' || key === 'discriminant' || key === 'right' || key === 'argument') return;
    varIdentifiers(child, out);
  });
  return out;
}

export const varNames = (node: Node | null | undefined): string[] => varIdentifiers(node).map((id) => id.name as string);

/**
 * Offsets where a statement or class element starts right after a sibling that does not end in
 * `;` or `}`: code written without semicolons, where an automatic semicolon ends the sibling.
 * Text inserted there must not start with `(` or `[` without a `;` first, or it would continue
 * the sibling (`a()\n(0, f.v)()` calls what `a()` returned). Adds the offsets inside `node` to `starts`.
 */
export function asiHazards(node: Node, code: string, starts: Set<number> = new Set()): Set<number> {
  // One closure for the whole walk: this runs on every module.
  const visit = (n: Node): void => {
    const list =
      n.type === 'Program' || n.type === 'BlockStatement' || n.type === 'StaticBlock' || n.type === 'ClassBody' || n.type === 'TSModuleBlock'
        ? (n.body as Node[])
        : n.type === 'SwitchCase'
          ? (n.consequent as Node[])
          : undefined;
    if (list !== undefined) {
      for (let i = 1; i < list.length; i++) if (!endsClosed(code, list[i - 1]!)) starts.add(list[i]!.start);
    }
    forEachChild(n, visit);
  };
  visit(node);
  return starts;
}

/** Whether a statement or class element ends in `;` or `}`, so that what follows cannot continue it by ASI. */
function endsClosed(code: string, node: Node): boolean {
  const last = code[node.end - 1];
  return last === ';' || last === '}';
}
