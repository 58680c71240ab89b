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

/** `var` names hoisted to the function (or module) whose body this is; nested functions excluded. */
export function varNames(node: Node | null | undefined, out: string[] = []): string[] {
  if (!node) return out;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var' && !node.declare) for (const d of node.declarations as Node[]) out.push(...boundNames(d.id));
      return out;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return out;
    case 'ExpressionStatement':
    case 'ReturnStatement':
    case 'ThrowStatement':
      return out;
  }
  if (node.type.startsWith('TS') && node.type !== 'TSModuleBlock') return out;
  forEachChild(node, (child, key) => {
    if (key === 'test' || key === 'update' || key === 'discriminant' || key === 'right' || key === 'argument') return;
    varNames(child, out);
  });
  return out;
}
