import type MagicString from 'magic-string';
import type { Node } from './ast.ts';
import { memberName, type ClassBinding } from './analyze.ts';
import type { EmittedNames } from './names.ts';

/**
 * A top-level class keeps one identity (its first version) and its live instances follow every
 * update; `runtime/classes.ts` explains the runtime side. Here the class is prepared for it:
 *
 * - `#private` members become members keyed by a symbol that is the same in every version
 *   (`__hs.private("C", "#x")`), so methods of a new version can reach the private state of
 *   instances created by an old one;
 * - the constructor (one is added when the class has none) starts with a prologue that forwards
 *   construction to the newest version once this one is stale; in a base class, instance field
 *   initializers with possible side effects are skipped when stale, as their object is discarded;
 * - each method starts with a prologue that forwards to the newest method, for references taken
 *   before the update (`const m = obj.m`);
 * - static field initializers run only when the stable class does not hold the field yet;
 * - references to the class's own name from code that runs later go through an alias of the
 *   stable class; after the declaration, `C = alias = __hs.cls("C", C, { field initializers })`.
 */
export interface ClassFrame {
  binding: ClassBinding;
  /** `#x` → symbol variable name. */
  privates: Map<string, string>;
  alias: string;
}

export function classFrame(binding: ClassBinding, names: EmittedNames): ClassFrame {
  const privates = new Map<string, string>();
  for (const member of binding.node.body.body as Node[]) {
    if (member.key?.type === 'PrivateIdentifier') privates.set(member.key.name, names.privateSymbol(binding.name, member.key.name));
  }
  return { binding, privates, alias: names.classAlias(binding.name) };
}

/** Might evaluating this initializer have a side effect (beyond allocating)? */
function mayHaveEffects(node: Node | null | undefined): boolean {
  if (!node || typeof node !== 'object') return false;
  switch (node.type) {
    case 'CallExpression':
    case 'NewExpression':
    case 'AssignmentExpression':
    case 'UpdateExpression':
    case 'TaggedTemplateExpression':
    case 'AwaitExpression':
    case 'YieldExpression':
    case 'ImportExpression':
      return node.type !== 'NewExpression' || !/^(Map|Set|WeakMap|WeakSet|Array|Object)$/.test(node.callee?.name ?? '') || node.arguments.length > 0;
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
    case 'ClassExpression':
      return false;
  }
  for (const key in node) {
    if (key === 'type' || key === 'start' || key === 'end') continue;
    const value = node[key];
    if (Array.isArray(value) ? value.some((item) => typeof item?.type === 'string' && mayHaveEffects(item)) : typeof value?.type === 'string' && mayHaveEffects(value)) {
      return true;
    }
  }
  return false;
}

function keyLiteral(frame: ClassFrame, member: Node): string | undefined {
  const name = memberName(member);
  if (name === undefined) return undefined;
  return name.startsWith('#') ? frame.privates.get(name.slice(1)) : JSON.stringify(name);
}

/** Emits the class rewrites that need the walker's edits first (field initializer texts are sliced). */
export function rewriteClass(s: MagicString, frame: ClassFrame, names: EmittedNames): void {
  const { binding } = frame;
  const { node, statement, name } = binding;
  const members = node.body.body as Node[];
  const stale = names.stale;
  const nameLiteral = JSON.stringify(name);

  // Field initializers for instances created before a version that added the field.
  const initializers: string[] = [];
  for (const member of members) {
    if (member.type !== 'PropertyDefinition' || member.static || member.declare) continue;
    const key = keyLiteral(frame, member);
    if (key === undefined) continue;
    const value = member.value ? s.slice(member.value.start, member.value.end) : 'void 0';
    initializers.push(`[${key}]() { return (${value}); }`);
  }

  let hasConstructor = false;
  for (const member of members) {
    if (member.type === 'MethodDefinition' && member.value.body) {
      const body = member.value.body as Node;
      if (member.kind === 'constructor') {
        hasConstructor = true;
        s.appendLeft(body.start + 1, ` if ${stale} return ${names.hs}.construct(${nameLiteral}, arguments, new.target);`);
      } else if (member.kind === 'method') {
        const key = keyLiteral(frame, member);
        if (key === undefined) continue;
        const forward = `${names.hs}.method(${nameLiteral}, ${key}, ${Boolean(member.static)}, this, arguments)`;
        s.appendLeft(body.start + 1, ` if ${stale} return ${member.value.generator ? 'yield* ' : ''}${forward};`);
      }
    } else if (member.type === 'PropertyDefinition' && member.value && !member.declare) {
      const value = member.value as Node;
      if (member.static) {
        const fieldName = memberName(member);
        if (fieldName === undefined) continue;
        s.prependLeft(value.start, `${names.hs}.staticFresh(${nameLiteral}, ${JSON.stringify(fieldName)}) ? (`);
        s.appendLeft(value.end, ') : void 0');
      } else if (!node.superClass && mayHaveEffects(value)) {
        s.prependLeft(value.start, `${stale} ? void 0 : (`);
        s.appendLeft(value.end, ')');
      }
    }
  }
  // Static initializers run before `C = alias = __hs.cls(...)`: give them the alias already.
  s.appendLeft(node.body.start + 1, ` static { ${frame.alias} = this; }`);
  if (!hasConstructor) {
    const construct = `if ${stale} return ${names.hs}.construct(${nameLiteral}, `;
    s.appendLeft(
      node.body.start + 1,
      node.superClass
        ? ` constructor(...args) { ${construct}args, new.target); super(...args); }`
        : ` constructor() { ${construct}arguments, new.target); }`,
    );
  }

  const decorators = (node.decorators ?? []) as Node[];
  const before = Math.min(statement.start, decorators[0]?.start ?? statement.start);
  const symbols = [...frame.privates].map(([member, symbol]) => `const ${symbol} = ${names.hs}.private(${nameLiteral}, "#${member}"); `);
  s.prependLeft(before, `${symbols.join('')}let ${frame.alias}; `);
  s.appendLeft(statement.end, ` ${name} = ${frame.alias} = ${names.hs}.cls(${nameLiteral}, ${name}, { ${initializers.join(', ')} });`);
}
