import fc from 'fast-check';
import ts from 'typescript';

/**
 * Runtime values for type shapes (`schema/shape.ts`): an arbitrary that generates values of a
 * shape, and a validator that says whether a value is one. Both come from one walk of the shape's
 * TypeNode (`type T = <shape>;` parsed by TypeScript), so they cover exactly the same shapes:
 * primitives, literals, unions, arrays, tuples (optional and rest elements), object literals
 * (optional properties, index signatures), `Record`, `Map`, `Set`, `Date`, and `unknown`/`any`.
 * A brand `{ "#ref": "src/a.ts#Task" }` is an ordinary object literal here: a tagged object.
 *
 * Semantics follow `schema/assignable.ts` (strict, without `exactOptionalPropertyTypes`): an
 * optional property or tuple element may be absent or `undefined`; objects are structural (extra
 * properties are fine) unless `conforms` is asked for `exact` objects.
 */

/** A shape this module cannot generate or validate (function types, intersections, `Promise`…). */
export class UnsupportedShapeError extends Error {
  override name = 'UnsupportedShapeError';
}

export interface ConformOptions {
  /** Object literals reject own properties they do not declare (and no index signature covers). */
  exact?: boolean;
}

interface Model {
  /** The shape text of this node, for messages. */
  text: string;
  arbitrary(): fc.Arbitrary<unknown>;
  /** The first mismatch, as `<path>: <what>`, or undefined. */
  check(value: unknown, at: string, options: ConformOptions): string | undefined;
  /** For an object literal: its properties of a literal type (`kind: "circle"`), which tell union members apart. */
  tags?: ReadonlyArray<readonly [string, unknown]>;
  /** For a literal type: its value. */
  literal?: { value: unknown };
}

/** Arbitrary values of `shape`. Throws `UnsupportedShapeError` for a shape it cannot generate. */
export function arbitraryFor(shape: string): fc.Arbitrary<unknown> {
  return modelOf(shape).arbitrary();
}

/** Where `value` first fails to be a value of `shape` (`$.items[0].id: expected number, got "1"`), or undefined when it is one. */
export function conforms(value: unknown, shape: string, options: ConformOptions = {}): string | undefined {
  return modelOf(shape).check(value, '$', options);
}

const models = new Map<string, Model>();

function modelOf(shape: string): Model {
  let model = models.get(shape);
  if (model === undefined) {
    model = compile(parseShape(shape), shape);
    models.set(shape, model);
  }
  return model;
}

function parseShape(shape: string): ts.TypeNode {
  const text = `type T = ${shape};\n`;
  const syntax = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } }).diagnostics ?? [];
  if (syntax.length > 0) {
    throw new UnsupportedShapeError(`not a type: ${JSON.stringify(shape)} (${ts.flattenDiagnosticMessageText(syntax[0]!.messageText, ' ')})`);
  }
  const sf = ts.createSourceFile('/shape.ts', text, ts.ScriptTarget.Latest, true);
  const statement = sf.statements[0];
  if (sf.statements.length !== 1 || statement === undefined || !ts.isTypeAliasDeclaration(statement)) {
    throw new UnsupportedShapeError(`not a single type: ${JSON.stringify(shape)}`);
  }
  return statement.type;
}

// ---------------------------------------------------------------------------------------------
// Messages

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const member = (at: string, key: string): string => (IDENTIFIER.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`);

/** A short description of a value for mismatch messages. */
function preview(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(value);
  }
  if (value === null) return 'null';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Date(invalid)' : `Date(${value.toISOString()})`;
  if (value instanceof Map) return `a Map of ${value.size}`;
  if (value instanceof Set) return `a Set of ${value.size}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const keys = Object.keys(value as object);
  return keys.length === 0 ? 'an object without properties' : `an object with ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
}

const expected = (at: string, what: string, value: unknown): string => `${at}: expected ${what}, got ${preview(value)}`;

// ---------------------------------------------------------------------------------------------
// The walk

/** A model whose arbitrary is built once, on first use. */
function model(text: string, build: () => fc.Arbitrary<unknown>, check: Model['check']): Model {
  let arbitrary: fc.Arbitrary<unknown> | undefined;
  return { text, arbitrary: () => (arbitrary ??= build()), check };
}

const isObject = (value: unknown): value is Record<string, unknown> => (typeof value === 'object' && value !== null) || typeof value === 'function';

function compile(node: ts.TypeNode, shape: string): Model {
  const text = node.getText();
  const unsupported = (what: string): never => {
    throw new UnsupportedShapeError(`unsupported shape ${JSON.stringify(shape)}: ${what} (\`${text}\`)`);
  };
  const sub = (child: ts.TypeNode): Model => compile(child, shape);

  switch (node.kind) {
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return model(text, () => fc.anything({ maxDepth: 1, maxKeys: 3 }), () => undefined);
    case ts.SyntaxKind.NeverKeyword:
      return model(text, () => unsupported('`never` has no values to generate'), (value, at) => expected(at, 'never (no value)', value));
    case ts.SyntaxKind.VoidKeyword:
    case ts.SyntaxKind.UndefinedKeyword:
      return literal(text, undefined);
    case ts.SyntaxKind.NumberKeyword:
      return model(
        text,
        () => fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double()),
        (value, at) => (typeof value === 'number' ? undefined : expected(at, 'number', value)),
      );
    case ts.SyntaxKind.StringKeyword:
      return model(
        text,
        () => fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', 'Ada Lovelace', 'a  b')),
        (value, at) => (typeof value === 'string' ? undefined : expected(at, 'string', value)),
      );
    case ts.SyntaxKind.BooleanKeyword:
      return model(text, () => fc.boolean(), (value, at) => (typeof value === 'boolean' ? undefined : expected(at, 'boolean', value)));
    case ts.SyntaxKind.BigIntKeyword:
      return model(text, () => fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), (value, at) => (typeof value === 'bigint' ? undefined : expected(at, 'bigint', value)));
    case ts.SyntaxKind.SymbolKeyword:
      return model(
        text,
        () => fc.string({ maxLength: 4 }).map((description) => Symbol(description)),
        (value, at) => (typeof value === 'symbol' ? undefined : expected(at, 'symbol', value)),
      );
    case ts.SyntaxKind.ObjectKeyword:
      return model(text, () => fc.object({ maxDepth: 1, maxKeys: 3 }), (value, at) => (isObject(value) ? undefined : expected(at, 'object', value)));
  }

  if (ts.isLiteralTypeNode(node)) return literal(text, literalValue(node.literal, unsupported));
  if (ts.isParenthesizedTypeNode(node)) return sub(node.type);
  if (ts.isTypeOperatorNode(node)) {
    // `readonly T[]` and `readonly [A, B]` are arrays and tuples at run time.
    if (node.operator === ts.SyntaxKind.ReadonlyKeyword) return { ...sub(node.type), text };
    return unsupported(`the \`${ts.tokenToString(node.operator)}\` operator`);
  }
  if (ts.isUnionTypeNode(node)) return union(text, node.types.map(sub));
  if (ts.isArrayTypeNode(node)) return array(text, sub(node.elementType));
  if (ts.isTupleTypeNode(node)) return tuple(text, node, sub, unsupported);
  if (ts.isTypeLiteralNode(node)) return typeLiteral(text, node, sub, unsupported);
  if (ts.isTypeReferenceNode(node)) return reference(text, node, sub, unsupported);

  const names: Partial<Record<ts.SyntaxKind, string>> = {
    [ts.SyntaxKind.FunctionType]: 'function types',
    [ts.SyntaxKind.ConstructorType]: 'constructor types',
    [ts.SyntaxKind.IntersectionType]: 'intersections',
    [ts.SyntaxKind.JSDocNullableType]: '`T?` outside a tuple element (a JSDoc type, not TypeScript)',
    [ts.SyntaxKind.TemplateLiteralType]: 'template literal types',
    [ts.SyntaxKind.IndexedAccessType]: 'indexed access types',
    [ts.SyntaxKind.ConditionalType]: 'conditional types',
    [ts.SyntaxKind.MappedType]: 'mapped types',
    [ts.SyntaxKind.TypeQuery]: '`typeof` types',
  };
  return unsupported(names[node.kind] ?? `a ${ts.SyntaxKind[node.kind]} node`);
}

function literalValue(literal: ts.LiteralTypeNode['literal'], unsupported: (what: string) => never): unknown {
  const number = (node: ts.Expression): number | bigint | undefined =>
    ts.isNumericLiteral(node) ? Number(node.text.replace(/_/g, '')) : ts.isBigIntLiteral(node) ? BigInt(node.text.replace(/_/g, '').slice(0, -1)) : undefined;
  switch (literal.kind) {
    case ts.SyntaxKind.NullKeyword:
      return null;
    case ts.SyntaxKind.TrueKeyword:
      return true;
    case ts.SyntaxKind.FalseKeyword:
      return false;
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      return (literal as ts.StringLiteral).text;
    case ts.SyntaxKind.NumericLiteral:
    case ts.SyntaxKind.BigIntLiteral:
      return number(literal);
    case ts.SyntaxKind.PrefixUnaryExpression: {
      const prefix = literal as ts.PrefixUnaryExpression;
      const value = number(prefix.operand);
      if (value !== undefined && prefix.operator === ts.SyntaxKind.MinusToken) return -value;
      if (value !== undefined && prefix.operator === ts.SyntaxKind.PlusToken) return value;
    }
  }
  return unsupported('this literal');
}

function literal(text: string, value: unknown): Model {
  return { ...model(text, () => fc.constant(value), (actual, at) => (actual === value ? undefined : expected(at, text, actual))), literal: { value } };
}

function union(text: string, members: Model[]): Model {
  return model(
    text,
    () => fc.oneof(...members.map((m) => m.arbitrary())),
    (value, at, options) => {
      const failures: Array<{ member: Model; failure: string }> = [];
      for (const m of members) {
        const failure = m.check(value, at, options);
        if (failure === undefined) return undefined;
        failures.push({ member: m, failure });
      }
      // The member whose tags (`kind: "square"`) the value has, or else the only one that got
      // past the top level (a mismatch further in), says most about the value.
      const tagged = failures.filter(({ member: m }) => m.tags !== undefined && m.tags.length > 0 && isObject(value) && m.tags.every(([k, v]) => value[k] === v));
      if (tagged.length === 1) return tagged[0]!.failure;
      const deeper = failures.filter(({ failure }) => !failure.startsWith(`${at}: `));
      return deeper.length === 1 ? deeper[0]!.failure : `${expected(at, text, value)} (no member fits)`;
    },
  );
}

function array(text: string, element: Model): Model {
  return model(
    text,
    () => fc.array(element.arbitrary(), { maxLength: 4 }),
    (value, at, options) => {
      if (!Array.isArray(value)) return expected(at, text, value);
      for (let i = 0; i < value.length; i++) {
        const failure = element.check(value[i], `${at}[${i}]`, options);
        if (failure !== undefined) return failure;
      }
      return undefined;
    },
  );
}

/** An optional property or tuple element: absent, or `undefined`, or a value of its type. */
const optional = (inner: Model, value: unknown, at: string, options: ConformOptions): string | undefined => (value === undefined ? undefined : inner.check(value, at, options));

function tuple(text: string, node: ts.TupleTypeNode, sub: (node: ts.TypeNode) => Model, unsupported: (what: string) => never): Model {
  const head: Model[] = [];
  const optionals: Model[] = [];
  const tail: Model[] = [];
  let rest: Model | undefined;
  for (const element of node.elements) {
    let type: ts.TypeNode = element;
    let isOptional = false;
    let isRest = false;
    if (ts.isNamedTupleMember(element)) {
      isOptional = element.questionToken !== undefined;
      isRest = element.dotDotDotToken !== undefined;
      type = element.type;
    }
    if (ts.isOptionalTypeNode(type)) {
      isOptional = true;
      type = type.type;
    }
    if (ts.isRestTypeNode(type)) {
      isRest = true;
      type = type.type;
    }
    if (isRest) {
      if (rest !== undefined) unsupported('two rest elements');
      let items: ts.TypeNode | undefined;
      if (ts.isArrayTypeNode(type)) items = type.elementType;
      else if (ts.isTypeReferenceNode(type) && type.typeName.getText() === 'Array' && type.typeArguments?.length === 1) items = type.typeArguments[0];
      if (items === undefined) return unsupported('a rest element that is not an array (a spread tuple)');
      rest = sub(items);
    } else if (isOptional) {
      if (rest !== undefined || tail.length > 0) unsupported('an optional element after a rest element');
      optionals.push(sub(type));
    } else if (rest !== undefined) {
      tail.push(sub(type));
    } else {
      if (optionals.length > 0) unsupported('a required element after an optional one');
      head.push(sub(type));
    }
  }
  const min = head.length + tail.length;
  const max = rest !== undefined ? Infinity : head.length + optionals.length;
  const build = (): fc.Arbitrary<unknown> => {
    // Some of the optional elements; or, before any rest element, all of them (`[1, true]` is
    // not a `[number, string?, ...boolean[]]`: the optional slot comes first).
    const prefixes: Array<fc.Arbitrary<unknown[]>> = Array.from({ length: optionals.length + 1 }, (_, k) => fc.tuple(...optionals.slice(0, k).map((m) => m.arbitrary())));
    const middle =
      rest === undefined
        ? fc.oneof(...prefixes)
        : fc.oneof(...prefixes, fc.tuple(prefixes[optionals.length]!, fc.array(rest.arbitrary(), { minLength: 1, maxLength: 3 })).map(([some, more]) => [...some, ...more]));
    return fc
      .tuple(fc.tuple(...head.map((m) => m.arbitrary())), middle, fc.tuple(...tail.map((m) => m.arbitrary())))
      .map((parts): unknown[] => parts.flat(1));
  };
  return model(text, build, (value, at, options) => {
    if (!Array.isArray(value)) return expected(at, text, value);
    if (value.length < min || value.length > max) {
      const range = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
      return `${at}: expected ${range} elements for ${text}, got ${value.length}`;
    }
    const tailStart = value.length - tail.length;
    for (let i = 0; i < value.length; i++) {
      const where = `${at}[${i}]`;
      let failure: string | undefined;
      if (i < head.length) failure = head[i]!.check(value[i], where, options);
      else if (i >= tailStart) failure = tail[i - tailStart]!.check(value[i], where, options);
      else if (i - head.length < optionals.length) failure = optional(optionals[i - head.length]!, value[i], where, options);
      else failure = rest!.check(value[i], where, options);
      if (failure !== undefined) return failure;
    }
    return undefined;
  });
}

interface Property {
  key: string;
  optional: boolean;
  model: Model;
}

interface IndexSignature {
  key: 'string' | 'number';
  model: Model;
}

function typeLiteral(text: string, node: ts.TypeLiteralNode, sub: (node: ts.TypeNode) => Model, unsupported: (what: string) => never): Model {
  const properties: Property[] = [];
  const indexes: IndexSignature[] = [];
  for (const m of node.members) {
    if (ts.isPropertySignature(m)) {
      const name = m.name;
      const key = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : ts.isNumericLiteral(name) ? String(Number(name.text)) : unsupported('a computed property name');
      if (m.type === undefined) unsupported(`property ${key} without a type`);
      properties.push({ key, optional: m.questionToken !== undefined, model: sub(m.type!) });
    } else if (ts.isIndexSignatureDeclaration(m)) {
      const keyType = m.parameters[0]?.type;
      const key = keyType?.kind === ts.SyntaxKind.StringKeyword ? 'string' : keyType?.kind === ts.SyntaxKind.NumberKeyword ? 'number' : unsupported('an index signature whose key is not string or number');
      indexes.push({ key, model: sub(m.type) });
    } else {
      unsupported(ts.isMethodSignature(m) ? 'methods' : ts.isCallSignatureDeclaration(m) ? 'call signatures' : ts.isConstructSignatureDeclaration(m) ? 'construct signatures' : 'accessors');
    }
  }
  return objectModel(text, properties, indexes);
}

const isIndexKey = (key: string): boolean => key !== '' && String(Number(key)) === key;

function objectModel(text: string, properties: Property[], indexes: IndexSignature[]): Model {
  const named = new Set(properties.map((p) => p.key));
  const build = (): fc.Arbitrary<unknown> => {
    const record = fc.record(Object.fromEntries(properties.map((p) => [p.key, p.model.arbitrary()])), {
      requiredKeys: properties.filter((p) => !p.optional).map((p) => p.key),
      noNullPrototype: true,
    });
    if (indexes.length === 0) return record;
    const hasNumberIndex = indexes.some((i) => i.key === 'number');
    const dictionaries = indexes.map((index) => {
      // A numeric key falls under every index signature; any other key only under the string one.
      const keys = index.key === 'number' ? fc.nat({ max: 99 }).map(String) : fc.string({ maxLength: 6 }).filter((key) => !(hasNumberIndex && isIndexKey(key)));
      const applicable = index.key === 'number' ? indexes : [index];
      const values = applicable.length === 1 ? index.model.arbitrary() : index.model.arbitrary().filter((v) => applicable.every((i) => i.model.check(v, '$', {}) === undefined));
      return fc.dictionary(
        keys.filter((key) => !named.has(key) && key !== '__proto__'),
        values,
        { maxKeys: 3, noNullPrototype: true },
      );
    });
    return fc.tuple(record, ...dictionaries).map(([fixed, ...dynamic]) => Object.assign({}, ...dynamic, fixed));
  };
  const tags = properties.flatMap((p) => (!p.optional && p.model.literal !== undefined ? [[p.key, p.model.literal.value] as const] : []));
  return { ...model(text, build, check), tags };

  function check(value: unknown, at: string, options: ConformOptions): string | undefined {
    if (!isObject(value)) return expected(at, text, value);
    for (const p of properties) {
      const where = member(at, p.key);
      if (!(p.key in value)) {
        if (p.optional) continue;
        return `${where}: missing (required by ${text})`;
      }
      const failure = p.optional ? optional(p.model, value[p.key], where, options) : p.model.check(value[p.key], where, options);
      if (failure !== undefined) return failure;
    }
    for (const key of Object.keys(value)) {
      if (named.has(key)) continue;
      const applicable = indexes.filter((i) => i.key === 'string' || isIndexKey(key));
      if (applicable.length === 0) {
        if (options.exact === true) return `${member(at, key)}: unexpected property (not in ${text})`;
        continue;
      }
      for (const index of applicable) {
        const failure = index.model.check(value[key], member(at, key), options);
        if (failure !== undefined) return failure;
      }
    }
    return undefined;
  }
}

function reference(text: string, node: ts.TypeReferenceNode, sub: (node: ts.TypeNode) => Model, unsupported: (what: string) => never): Model {
  const name = ts.isIdentifier(node.typeName) ? node.typeName.text : unsupported('a qualified type name');
  const args = node.typeArguments ?? [];
  const arity = (n: number): ts.TypeNode[] => (args.length === n ? [...args] : unsupported(`${name} with ${args.length} type arguments (expected ${n})`));
  switch (name) {
    case 'Array':
    case 'ReadonlyArray':
      return array(text, sub(arity(1)[0]!));
    case 'Date':
      arity(0);
      return model(
        text,
        () => fc.date({ noInvalidDate: true, min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') }),
        (value, at) => (value instanceof Date ? undefined : expected(at, 'Date', value)),
      );
    case 'Set':
    case 'ReadonlySet': {
      const item = sub(arity(1)[0]!);
      return model(
        text,
        () => fc.array(item.arbitrary(), { maxLength: 4 }).map((items) => new Set(items)),
        (value, at, options) => {
          if (!(value instanceof Set)) return expected(at, text, value);
          let i = 0;
          for (const v of value) {
            const failure = item.check(v, `${at}.values[${i++}]`, options);
            if (failure !== undefined) return failure;
          }
          return undefined;
        },
      );
    }
    case 'Map':
    case 'ReadonlyMap': {
      const [keyNode, valueNode] = arity(2);
      const key = sub(keyNode!);
      const entry = sub(valueNode!);
      return model(
        text,
        () => fc.array(fc.tuple(key.arbitrary(), entry.arbitrary()), { maxLength: 4 }).map((entries) => new Map(entries)),
        (value, at, options) => {
          if (!(value instanceof Map)) return expected(at, text, value);
          let i = 0;
          for (const [k, v] of value) {
            const failure = key.check(k, `${at}.keys[${i}]`, options) ?? entry.check(v, `${at}.get(${preview(k)})`, options);
            if (failure !== undefined) return failure;
            i++;
          }
          return undefined;
        },
      );
    }
    case 'Record': {
      const [keyNode, valueNode] = arity(2);
      const value = sub(valueNode!);
      const keys = keyNode!;
      if (keys.kind === ts.SyntaxKind.StringKeyword || keys.kind === ts.SyntaxKind.NumberKeyword) {
        return objectModel(text, [], [{ key: keys.kind === ts.SyntaxKind.StringKeyword ? 'string' : 'number', model: value }]);
      }
      const literals = ts.isUnionTypeNode(keys) ? [...keys.types] : [keys];
      const names = literals.map((k) => {
        const v = ts.isLiteralTypeNode(k) ? literalValue(k.literal, unsupported) : undefined;
        return typeof v === 'string' || typeof v === 'number' ? String(v) : unsupported('a Record whose keys are not string, number or literals');
      });
      return objectModel(text, names.map((k) => ({ key: k, optional: false, model: value })), []);
    }
  }
  return unsupported(`the type ${name} (only Array, ReadonlyArray, Map, ReadonlyMap, Set, ReadonlySet, Date and Record are known)`);
}
