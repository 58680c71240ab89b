import { boundNames, forEachChild, lexicalNames, varNames, type Node } from './ast.ts';

/**
 * Walks a module's runtime code with scope tracking and tells the transform about exactly the
 * places it may need to rewrite: references to module-level names (not shadowed), references
 * to a managed class's own name from inside it, private member syntax, and `this` in converted
 * arrows. Type-only syntax is never visited.
 */

/** What a name resolves to in an enclosing scope. */
type Binding = 'shadow' | 'class-self';

interface Scope {
  names: Map<string, Binding>;
  parent: Scope | null;
}

export interface WalkContext {
  scope: Scope | null;
  /** The managed class whose body we are in, if any. */
  cls: unknown;
  /** True in code that runs after the enclosing class definition finished (methods, instance fields). */
  deferred: boolean;
  /** The converted top-level arrow whose `this` must become `undefined`, if we are in one. */
  arrow: unknown;
  /** True in the constructor of a managed class (and arrows inside it), where `new.target` is mapped. */
  ctor: boolean;
  /** Private names in scope: `#x` → the managed class that owns it, or null when a nested class redeclares it. */
  privates: Map<string, unknown>;
}

export interface ReferenceInfo {
  parent: Node | null;
  key: string;
  /** The shorthand property (`{ x }` / `{ x = 1 }`) this identifier stands in, if any. */
  shorthand: Node | null;
}

export interface WalkHandler {
  /** A reference to a module-level name (never a declaration). */
  topLevel(id: Node, ctx: WalkContext, info: ReferenceInfo): void;
  /** A reference, inside a managed class, to the class's own name. */
  classSelf(id: Node, ctx: WalkContext): void;
  /**
   * A use of a private member of a managed class: `node` is the member read (`o.#x`), the call
   * (`o.#m()`), the assignment (`o.#x = v`, `o.#x += v`), the update (`o.#x++`) or the brand
   * check (`#x in o`). Only uses on a plain object expression (`this` or a name) are reported.
   */
  privateUse(node: Node, kind: 'read' | 'call' | 'assign' | 'update' | 'in', owner: unknown): void;
  /** A `this` inside a converted arrow. */
  thisInArrow(node: Node, arrow: unknown): void;
  /** A `new.target` inside the constructor of a managed class. */
  newTarget(node: Node): void;
  /** Decides whether a class is managed; returns its frame, or undefined. */
  enterClass(node: Node, ctx: WalkContext): unknown;
  /** Whether this arrow/function expression is a converted top-level arrow (returns its frame). */
  enterArrow(node: Node): unknown;
}

function scopeOf(names: Iterable<string>, parent: Scope | null, binding: Binding = 'shadow'): Scope {
  const map = new Map<string, Binding>();
  for (const name of names) map.set(name, binding);
  return { names: map, parent };
}

function resolve(scope: Scope | null, name: string): Binding | undefined {
  for (let s = scope; s !== null; s = s.parent) {
    const found = s.names.get(name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** An object expression that can be evaluated twice without a difference: `this` or a name. */
function isPlainObject(node: Node): boolean {
  return node.type === 'ThisExpression' || node.type === 'Identifier';
}

const TS_EXPRESSION_WRAPPERS = new Set(['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TSInstantiationExpression']);

export class ReferenceWalker {
  constructor(private readonly handler: WalkHandler) {}

  /** Walks one top-level statement (module scope is the empty chain: every free name is top-level). */
  statement(node: Node): void {
    this.visit(node, { scope: null, cls: undefined, deferred: false, arrow: undefined, ctor: false, privates: new Map() }, null, '');
  }

  private ref(id: Node, ctx: WalkContext, parent: Node | null, key: string, shorthand: Node | null = null): void {
    const binding = resolve(ctx.scope, id.name);
    if (binding === undefined) this.handler.topLevel(id, ctx, { parent, key, shorthand });
    else if (binding === 'class-self') this.handler.classSelf(id, ctx);
  }

  private visit(node: Node, ctx: WalkContext, parent: Node | null, key: string): void {
    switch (node.type) {
      case 'Identifier':
        return this.ref(node, ctx, parent, key);
      case 'MemberExpression': {
        this.visit(node.object, ctx, node, 'object');
        if (node.computed) this.visit(node.property, ctx, node, 'property');
        const owner = this.privateOwner(node, ctx);
        if (owner) this.handler.privateUse(node, 'read', owner);
        return;
      }
      case 'CallExpression': {
        const owner = node.optional ? undefined : this.privateOwner(node.callee, ctx);
        if (!owner) break;
        this.visit(node.callee.object, ctx, node.callee, 'object');
        for (const argument of node.arguments as Node[]) this.visit(argument, ctx, node, 'arguments');
        return this.handler.privateUse(node, 'call', owner);
      }
      case 'UpdateExpression': {
        const owner = this.privateOwner(node.argument, ctx);
        if (!owner) break;
        this.visit(node.argument.object, ctx, node.argument, 'object');
        return this.handler.privateUse(node, 'update', owner);
      }
      case 'BinaryExpression':
        if (node.left.type === 'PrivateIdentifier') {
          const owner = ctx.privates.get(node.left.name);
          this.visit(node.right, ctx, node, 'right');
          if (owner && isPlainObject(node.right)) this.handler.privateUse(node, 'in', owner);
          return;
        }
        this.visit(node.left, ctx, node, 'left');
        return this.visit(node.right, ctx, node, 'right');
      case 'ObjectExpression':
        for (const property of node.properties as Node[]) {
          if (property.type === 'SpreadElement') this.visit(property.argument, ctx, property, 'argument');
          else {
            if (property.computed) this.visit(property.key, ctx, property, 'key');
            if (property.shorthand && property.value.type === 'Identifier') this.ref(property.value, ctx, property, 'value', property);
            else this.visit(property.value, ctx, property, 'value');
          }
        }
        return;
      case 'Property':
        if (node.computed) this.visit(node.key, ctx, node, 'key');
        return this.visit(node.value, ctx, node, 'value');
      case 'ThisExpression':
        if (ctx.arrow) this.handler.thisInArrow(node, ctx.arrow);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return this.func(node, ctx);
      case 'ClassDeclaration':
      case 'ClassExpression':
        return this.cls(node, ctx);
      case 'VariableDeclaration':
        if (node.declare) return;
        for (const declarator of node.declarations as Node[]) {
          this.pattern(declarator.id, ctx, 'declare');
          if (declarator.init) this.visit(declarator.init, ctx, declarator, 'init');
        }
        return;
      case 'AssignmentExpression': {
        const owner = this.privateOwner(node.left, ctx);
        if (owner) {
          this.visit(node.left.object, ctx, node.left, 'object');
          this.visit(node.right, ctx, node, 'right');
          return this.handler.privateUse(node, 'assign', owner);
        }
        this.pattern(node.left, ctx, 'assign');
        return this.visit(node.right, ctx, node, 'right');
      }
      case 'ForInStatement':
      case 'ForOfStatement': {
        const inner = { ...ctx, scope: node.left.type === 'VariableDeclaration' ? scopeOf(lexicalNames([node.left]), ctx.scope) : ctx.scope };
        if (node.left.type === 'VariableDeclaration') this.visit(node.left, inner, node, 'left');
        else this.pattern(node.left, inner, 'assign');
        this.visit(node.right, inner, node, 'right');
        return this.visit(node.body, inner, node, 'body');
      }
      case 'ForStatement': {
        const inner = { ...ctx, scope: node.init?.type === 'VariableDeclaration' ? scopeOf(lexicalNames([node.init]), ctx.scope) : ctx.scope };
        return forEachChild(node, (child, k) => this.visit(child, inner, node, k));
      }
      case 'BlockStatement':
      case 'StaticBlock':
      case 'TSModuleBlock': {
        // A static block and a namespace body are also where their `var`s live.
        const names = node.type === 'BlockStatement' ? lexicalNames(node.body) : [...lexicalNames(node.body), ...varNames(node)];
        const inner = { ...ctx, scope: scopeOf(names, ctx.scope) };
        for (const statement of node.body as Node[]) this.visit(statement, inner, node, 'body');
        return;
      }
      case 'SwitchStatement': {
        this.visit(node.discriminant, ctx, node, 'discriminant');
        const inner = { ...ctx, scope: scopeOf(lexicalNames((node.cases as Node[]).flatMap((c) => c.consequent as Node[])), ctx.scope) };
        for (const switchCase of node.cases as Node[]) forEachChild(switchCase, (child, k) => this.visit(child, inner, switchCase, k));
        return;
      }
      case 'CatchClause': {
        const inner = { ...ctx, scope: scopeOf(boundNames(node.param), ctx.scope) };
        if (node.param) this.pattern(node.param, inner, 'declare');
        return this.visit(node.body, inner, node, 'body');
      }
      case 'LabeledStatement':
        return this.visit(node.body, ctx, node, 'body');
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'MetaProperty':
        if (ctx.ctor && node.meta.name === 'new') this.handler.newTarget(node);
        return;
      case 'Super':
      case 'Literal':
      case 'TemplateElement':
      case 'PrivateIdentifier':
      case 'JSXIdentifier':
      case 'JSXMemberExpression':
      case 'JSXNamespacedName':
        return;
      case 'JSXOpeningElement':
      case 'JSXClosingElement': {
        // `<Comp>` and `<ns.Comp>` name a value (a lowercase `<div>` names an element).
        let root = node.name as Node;
        while (root.type === 'JSXMemberExpression') root = root.object as Node;
        if (root.type === 'JSXIdentifier' && (root !== node.name || /^[A-Z_$]/.test(root.name))) this.ref(root, ctx, node, 'name');
        for (const attribute of (node.attributes ?? []) as Node[]) this.visit(attribute, ctx, node, 'attributes');
        return;
      }
      case 'ExportNamedDeclaration':
        if (node.declaration) this.visit(node.declaration, ctx, node, 'declaration');
        return;
      case 'TSEnumDeclaration': {
        if (node.declare) return;
        const members = (node.body?.members ?? node.members ?? []) as Node[];
        const inner = { ...ctx, scope: scopeOf(members.map((m) => (m.id.name ?? m.id.value) as string), ctx.scope) };
        for (const member of members) if (member.initializer) this.visit(member.initializer, inner, member, 'initializer');
        return;
      }
      case 'TSModuleDeclaration':
        if (node.declare || !node.body) return;
        return this.visit(node.body, { ...ctx, scope: scopeOf(node.id?.type === 'Identifier' ? [node.id.name] : [], ctx.scope) }, node, 'body');
      case 'TSExportAssignment':
        return this.visit(node.expression, ctx, node, 'expression');
      case 'TSParameterProperty':
        return this.pattern(node.parameter, ctx, 'declare');
    }
    if (TS_EXPRESSION_WRAPPERS.has(node.type)) return this.visit(node.expression, ctx, node, 'expression');
    if (node.type.startsWith('TS')) return;
    forEachChild(node, (child, k) => this.visit(child, ctx, node, k));
  }

  /** The managed class owning `member`'s private name, when `member` is `this.#x` or `name.#x` (not optional). */
  private privateOwner(member: Node, ctx: WalkContext): unknown {
    if (member.type !== 'MemberExpression' || member.optional || member.property.type !== 'PrivateIdentifier') return undefined;
    if (!isPlainObject(member.object)) return undefined;
    return ctx.privates.get(member.property.name) ?? undefined;
  }

  /** A binding or assignment target: identifiers are declarations (`declare`) or writes (`assign`). */
  private pattern(node: Node | null, ctx: WalkContext, mode: 'declare' | 'assign', shorthand: Node | null = null): void {
    if (!node) return;
    switch (node.type) {
      case 'Identifier':
        if (mode === 'assign') this.ref(node, ctx, null, 'pattern', shorthand);
        return;
      case 'ObjectPattern':
        for (const property of node.properties as Node[]) {
          if (property.type === 'RestElement') this.pattern(property.argument, ctx, mode);
          else {
            if (property.computed) this.visit(property.key, ctx, property, 'key');
            this.pattern(property.value, ctx, mode, property.shorthand ? property : null);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of node.elements as Array<Node | null>) this.pattern(element, ctx, mode);
        return;
      case 'AssignmentPattern':
        this.pattern(node.left, ctx, mode, shorthand);
        return this.visit(node.right, ctx, node, 'right');
      case 'RestElement':
        return this.pattern(node.argument, ctx, mode);
      case 'TSParameterProperty':
        for (const decorator of (node.decorators ?? []) as Node[]) this.visit(decorator, ctx, node, 'decorators');
        return this.pattern(node.parameter, ctx, mode);
      case 'MemberExpression':
        // An assignment target: its private name (if any) stays as written.
        this.visit(node.object, ctx, node, 'object');
        if (node.computed) this.visit(node.property, ctx, node, 'property');
        return;
      default:
        if (TS_EXPRESSION_WRAPPERS.has(node.type) || node.type === 'ParenthesizedExpression') return this.pattern(node.expression, ctx, mode);
        return this.visit(node, ctx, null, 'pattern');
    }
  }

  private func(node: Node, ctx: WalkContext, isConstructor = false): void {
    const isArrow = node.type === 'ArrowFunctionExpression';
    const converted = this.handler.enterArrow(node);
    const body = node.body as Node | null;
    if (!body) return;
    // Parameters (and their defaults) see the parameters and the function's own name; the body
    // adds its `var`s and block-scoped declarations on top.
    const paramNames = (node.params as Node[]).flatMap((p) => boundNames(p));
    if (node.type === 'FunctionExpression' && node.id) paramNames.push(node.id.name);
    const params: WalkContext = {
      ...ctx,
      scope: scopeOf(paramNames, ctx.scope),
      deferred: true,
      arrow: converted ?? (isArrow ? ctx.arrow : undefined),
      ctor: isConstructor || (isArrow && ctx.ctor),
    };
    const inner: WalkContext =
      body.type === 'BlockStatement' ? { ...params, scope: scopeOf([...varNames(body), ...lexicalNames(body.body)], params.scope) } : params;
    for (const param of node.params as Node[]) {
      for (const decorator of (param.decorators ?? []) as Node[]) this.visit(decorator, ctx, param, 'decorators');
      this.pattern(param, params, 'declare');
    }
    if (body.type === 'BlockStatement') for (const statement of body.body as Node[]) this.visit(statement, inner, body, 'body');
    else this.visit(body, inner, node, 'body');
  }

  private cls(node: Node, ctx: WalkContext): void {
    if (node.declare) return;
    for (const decorator of (node.decorators ?? []) as Node[]) this.visit(decorator, ctx, node, 'decorators');
    if (node.superClass) this.visit(node.superClass, ctx, node, 'superClass');
    const frame = this.handler.enterClass(node, ctx);
    const members = node.body.body as Node[];
    const privates = new Map(ctx.privates);
    for (const member of members) {
      if (member.key?.type === 'PrivateIdentifier') privates.set(member.key.name, frame ?? null);
    }
    const selfScope = node.id ? scopeOf([node.id.name], ctx.scope, frame ? 'class-self' : 'shadow') : ctx.scope;
    const definition: WalkContext = { scope: selfScope, cls: frame ?? ctx.cls, deferred: false, arrow: undefined, ctor: false, privates };
    const deferred: WalkContext = { ...definition, deferred: true };
    for (const member of members) {
      if (member.type.startsWith('TS')) continue;
      for (const decorator of (member.decorators ?? []) as Node[]) this.visit(decorator, definition, member, 'decorators');
      if (member.type === 'StaticBlock') {
        this.visit(member, definition, node, 'body');
        continue;
      }
      if (member.computed) this.visit(member.key, definition, member, 'key');
      if (member.declare || !member.value) continue;
      if (member.type === 'MethodDefinition') this.func(member.value, deferred, frame !== undefined && member.kind === 'constructor');
      else this.visit(member.value, member.static ? definition : deferred, member, 'value');
    }
  }
}
