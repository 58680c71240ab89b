import type MagicString from 'magic-string';
import { someChild, type Node } from './ast.ts';
import { memberName, type ClassBinding } from './analyze.ts';
import type { EmittedNames } from './names.ts';

/**
 * A top-level class keeps one identity (its first version) and its live instances follow every
 * update; `runtime/classes.ts` explains the runtime side. Here the class is prepared for it:
 *
 * - `#private` members stay real private members; the class's first element registers small
 *   functions that reach them (`__hs.privates(...)`), and each use in the body goes through the
 *   version's own private name first and the runtime second (`runtime/privates.ts`), so methods
 *   of a new version reach the private state of instances created by an old one;
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
  alias: string;
}

export function classFrame(binding: ClassBinding, names: EmittedNames): ClassFrame {
  return { binding, alias: names.classAlias(binding.name) };
}

/** One use of a private member inside a managed class (see `WalkHandler.privateUse`). */
export interface PrivateUse {
  node: Node;
  kind: 'read' | 'call' | 'assign' | 'update' | 'in';
  frame: ClassFrame;
}

/**
 * `this.#x` → `(#x in this ? this.#x : __hs.pget("C", "#x", this))`, and the like for calls,
 * assignments, updates and `#x in o`: the version's own private name when the object carries
 * it, the runtime's registry of every version's names otherwise.
 */
export function rewritePrivateUse(s: MagicString, use: PrivateUse, names: EmittedNames, asiGuard: string, code: string): void {
  const { node, kind } = use;
  const member = kind === 'call' ? node.callee : kind === 'assign' ? node.left : kind === 'update' ? node.argument : node;
  const object = s.slice(...(kind === 'in' ? [node.right.start, node.right.end] : [member.object.start, member.object.end]) as [number, number]);
  const name = `#${(kind === 'in' ? node.left : member.property).name as string}`;
  const at = `${JSON.stringify(use.frame.binding.name)}, ${JSON.stringify(name)}, ${object}`;
  const own = `${name} in ${object}`;
  const hs = names.hs;
  switch (kind) {
    case 'read':
      s.overwrite(node.start, node.end, `${asiGuard}(${own} ? ${object}.${name} : ${hs}.pget(${at}))`);
      return;
    case 'call': {
      s.overwrite(member.start, member.end, `${asiGuard}(${own} ? ${object}.${name} : ${hs}.pget(${at})).call`);
      const paren = code.indexOf('(', (node.typeArguments as Node | null)?.end ?? member.end);
      s.appendLeft(paren + 1, (node.arguments as Node[]).length > 0 ? `${object}, ` : object);
      return;
    }
    case 'assign': {
      const value = s.slice(node.right.start, node.right.end);
      const operator = node.operator as string;
      const fallback =
        operator === '='
          ? `${hs}.pset(${at}, ${value})`
          : ['&&=', '||=', '??='].includes(operator)
            ? `(${hs}.pget(${at}) ${operator.slice(0, -1)} ${hs}.pset(${at}, ${value}))`
            : `${hs}.pset(${at}, ${hs}.pget(${at}) ${operator.slice(0, -1)} (${value}))`;
      s.overwrite(node.start, node.end, `${asiGuard}(${own} ? ${object}.${name} ${operator} ${value} : ${fallback})`);
      return;
    }
    case 'update': {
      const delta = node.operator === '++' ? 1 : -1;
      s.overwrite(node.start, node.end, `${asiGuard}(${own} ? ${s.slice(node.start, node.end)} : ${hs}.pupdate(${at}, ${delta}, ${Boolean(node.prefix)}))`);
      return;
    }
    case 'in':
      s.overwrite(node.start, node.end, `${asiGuard}(${own} || ${hs}.phas(${at}))`);
      return;
  }
}

/**
 * The body of the class's first element, a static block: the alias of the stable class is set to
 * this version's class, and its private members are registered (see `runtime/privates.ts`).
 */
function privatesRegistration(s: MagicString, frame: ClassFrame, names: EmittedNames): string {
  const access: string[] = [];
  const impls: string[] = [];
  const staticImpls: string[] = [];
  const seen = new Map<string, { get: boolean; set: boolean }>();
  for (const member of frame.binding.node.body.body as Node[]) {
    if (member.key?.type !== 'PrivateIdentifier' || member.type === 'AccessorProperty') continue;
    const name = `#${member.key.name as string}`;
    const prefix = member.static ? 'static ' : '';
    if (member.type === 'PropertyDefinition') {
      access.push(`${JSON.stringify(name)}: ["${prefix}field", (o) => o.${name}, (o, v) => o.${name} = v, (o) => ${name} in o]`);
      continue;
    }
    const body = s.slice(member.value.start, member.value.end);
    const into = member.static ? staticImpls : impls;
    if (member.kind === 'method') {
      access.push(`${JSON.stringify(name)}: ["${prefix}method", (o) => o.${name}, null, (o) => ${name} in o]`);
      into.push(`${member.value.async ? 'async ' : ''}${member.value.generator ? '*' : ''}[${JSON.stringify(name)}]${body}`);
    } else {
      into.push(`${member.kind} [${JSON.stringify(name)}]${body}`);
      const both = seen.get(name) ?? { get: false, set: false };
      both[member.kind as 'get' | 'set'] = true;
      seen.set(name, both);
      if (both.get && both.set) continue;
      access.push(`${JSON.stringify(name)}: ["${prefix}accessor", (o) => o.${name}, (o, v) => o.${name} = v, (o) => ${name} in o]`);
    }
  }
  const self = `${frame.alias} = this`;
  if (access.length === 0) return `${self};`;
  // The implementations only where there are any (the runtime's defaults are empty).
  const implArgs = staticImpls.length > 0 ? [impls, staticImpls] : impls.length > 0 ? [impls] : [];
  const rest = implArgs.map((list) => `, { ${list.join(', ')} }`).join('');
  return `${names.hs}.privates(${JSON.stringify(frame.binding.name)}, ${self}, { ${access.join(', ')} }${rest});`;
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
  return someChild(node, mayHaveEffects);
}

/** The member's key as a string literal (`"x"`, `"#x"`), or undefined for computed keys. */
function keyLiteral(member: Node): string | undefined {
  const name = memberName(member);
  return name === undefined ? undefined : JSON.stringify(name);
}

/** Emits the class rewrites that need the walker's edits first (field initializer texts are sliced). */
export function rewriteClass(s: MagicString, frame: ClassFrame, names: EmittedNames, trackInstances = false): void {
  const { binding } = frame;
  const { node, statement, name } = binding;
  const members = node.body.body as Node[];
  const stale = names.stale(false);
  const nameLiteral = JSON.stringify(name);

  // Field initializers for instances created before a version that added the field.
  const initializers: string[] = [];
  for (const member of members) {
    if (member.type !== 'PropertyDefinition' || member.static || member.declare) continue;
    const key = keyLiteral(member);
    if (key === undefined) continue;
    const value = member.value ? s.slice(member.value.start, member.value.end) : 'void 0';
    initializers.push(`${key}() { return (${value}); }`);
  }

  let hasConstructor = false;
  for (const member of members) {
    if (member.type === 'MethodDefinition' && member.value.body) {
      const body = member.value.body as Node;
      if (member.kind === 'constructor') {
        hasConstructor = true;
        s.appendLeft(body.start + 1, ` if ${stale} return ${names.hs}.construct(${nameLiteral}, arguments, new.target);`);
      } else if (member.kind === 'method' && member.key.type !== 'PrivateIdentifier') {
        const key = keyLiteral(member);
        if (key === undefined) continue;
        const forward = `${names.hs}.${member.static ? 'staticMethod' : 'method'}(${nameLiteral}, ${key}, this, arguments)`;
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
  s.appendLeft(node.body.start + 1, ` static { ${privatesRegistration(s, frame, names)} }`);
  // The first instance field: every instance registers itself before any of its own fields run.
  if (trackInstances) s.appendLeft(node.body.start + 1, ` #${names.hs}_tracked = ${names.hs}.track(${nameLiteral}, this);`);
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
  s.prependLeft(before, `let ${frame.alias}; `);
  s.appendLeft(statement.end, ` ${name} = ${frame.alias} = ${names.hs}.cls(${nameLiteral}, ${name}, { ${initializers.join(', ')} });`);
}
