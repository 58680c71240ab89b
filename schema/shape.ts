import ts = require('typescript');

/**
 * A type written out as TypeScript type text, structurally and to a bounded depth, so that two
 * versions of a project can be compared by text and, when the texts differ, by assignability
 * (`assignable.ts`) without the old sources. Deterministic: the same type gives the same text
 * whatever the declaration order or formatting; an interface and the equivalent type literal
 * give the same text. The text only names global library types, so it stands on its own.
 */

export interface ShapeOptions {
  /** Nesting levels (object bodies, signatures, elements, type arguments) before an object type becomes `unknown`. @default 3 */
  depth?: number;
  /**
   * Names a class or interface (or a type alias of an object type) that is compared by identity
   * rather than by structure: the project's classes, whose fields are tracked on their own, and
   * types from packages. It is written as the brand `{ "#ref": "<name>" }`.
   */
  refName?: (symbol: ts.Symbol) => string | undefined;
}

/**
 * How tightly a text binds, so that it is parenthesized only where the grammar needs it:
 * `(() => void) | null`, `(number | string)[]`, `(readonly number[])[]`.
 */
const FUNCTION = 0;
const UNION = 1;
const INTERSECTION = 2;
const OPERATOR = 3; // `readonly T[]`, `readonly [A, B]`
const PRIMARY = 4;

interface Shaped {
  text: string;
  prec: number;
}

const primary = (text: string): Shaped => ({ text, prec: PRIMARY });
const UNKNOWN = primary('unknown');
const wrap = (s: Shaped, min: number): string => (s.prec >= min ? s.text : `(${s.text})`);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const QUALIFIED_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
const LIB_FILE = /[\\/]typescript[\\/]lib[\\/]lib\.[^\\/]*\.d\.ts$/;

/**
 * Declared (at least in part) by TypeScript's default library. Global augmentations, such as the
 * ones `@types/node` adds to `ErrorConstructor`, do not stop `Error` from being written by name.
 */
const isLibrarySymbol = (symbol: ts.Symbol): boolean => symbol.declarations?.some((d) => LIB_FILE.test(d.getSourceFile().fileName)) === true;

/** `__type`, `__object`, `__function`, `__class`: the checker's names for anonymous types. */
const isAnonymous = (symbol: ts.Symbol): boolean => {
  const name = symbol.escapedName as string;
  return name.startsWith('__') && !name.startsWith('___'); // a declared `__x` is escaped to `___x`
};

/**
 * The checker's internal `CheckFlags` of a synthetic symbol (mapped type and `as const` members,
 * parameters spread from tuples). They are not in the public API; read defensively, they only
 * refine `readonly`, `?` and `...` on such symbols.
 */
const CHECK_READONLY = 1 << 3;
const CHECK_OPTIONAL_PARAMETER = 1 << 14;
const CHECK_REST_PARAMETER = 1 << 15;
const checkFlags = (symbol: ts.Symbol): number => {
  if (!(symbol.flags & ts.SymbolFlags.Transient)) return 0;
  const flags = (symbol as { links?: { checkFlags?: unknown } }).links?.checkFlags;
  return typeof flags === 'number' ? flags : 0;
};

const declarationOf = (symbol: ts.Symbol): ts.Declaration | undefined => symbol.valueDeclaration ?? symbol.declarations?.[0];

const modifierFlags = (symbol: ts.Symbol): ts.ModifierFlags => {
  const declaration = declarationOf(symbol);
  return declaration === undefined ? ts.ModifierFlags.None : ts.getCombinedModifierFlags(declaration);
};

/** The checker's own notion of a read-only property (`isReadonlySymbol`, which is internal). */
function isReadonlyProperty(symbol: ts.Symbol): boolean {
  if (checkFlags(symbol) & CHECK_READONLY) return true;
  if (symbol.flags & ts.SymbolFlags.EnumMember) return true;
  // A getter without a setter.
  if (symbol.flags & ts.SymbolFlags.GetAccessor && !(symbol.flags & ts.SymbolFlags.SetAccessor)) return true;
  if (symbol.flags & ts.SymbolFlags.Property && modifierFlags(symbol) & ts.ModifierFlags.Readonly) return true;
  // `export const` in a namespace seen as an object.
  const declaration = declarationOf(symbol);
  return declaration !== undefined && ts.isVariableDeclaration(declaration) && (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
}

/** Part of the structural type: not private or protected, not a `#private` name, not keyed by a symbol. */
function isStructural(symbol: ts.Symbol): boolean {
  const name = symbol.escapedName as string;
  // `__#12@#secret` is a `#private` name; `__@iterator@34` is keyed by a unique symbol, whose
  // text (with the checker's numbering) cannot be written stand-alone.
  if (name.startsWith('__#') || name.startsWith('__@')) return false;
  return (modifierFlags(symbol) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

const propertyName = (name: string): string => (IDENTIFIER.test(name) ? name : JSON.stringify(name));

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Text inside a template literal type: `` ` ``, `\` and `${` escaped. */
const templateText = (text: string): string => text.replace(/[`\\]|\$(?=\{)/g, (c) => `\\${c}`);

export function shapeOf(checker: ts.TypeChecker, type: ts.Type, options: ShapeOptions = {}): string {
  return shapeWriter(checker, options)(type);
}

/**
 * `shapeOf` for many types of one checker, sharing the work: each type is written once per
 * depth, and each symbol's name, origin and `refName` are looked up once. Every text depends only
 * on the type, the depth and the options, so the result is the same as separate `shapeOf` calls.
 */
export function shapeWriter(checker: ts.TypeChecker, options: ShapeOptions = {}): (type: ts.Type) => string {
  const maxDepth = options.depth ?? 3;
  const refName = options.refName === undefined ? undefined : memoize(options.refName);
  const qualifiedName = memoize((symbol: ts.Symbol) => checker.getFullyQualifiedName(symbol));
  const isLibSymbol = memoize(isLibrarySymbol);
  /** Per type: its shape at depth d in slot 2d, with `dropUndefined` in slot 2d + 1. */
  const shapes = new Map<ts.Type, Shaped[]>();

  /** `dropUndefined`: for `a?: T` and `b?: T` parameters, whose `?` already says `| undefined`. */
  function shape(type: ts.Type, depth: number, dropUndefined = false): Shaped {
    const slot = 2 * depth + (dropUndefined && type.isUnion() ? 1 : 0);
    let known = shapes.get(type);
    const cached = known?.[slot];
    if (cached !== undefined) return cached;
    let s: Shaped;
    try {
      s = shapeOrThrow(type, depth, dropUndefined);
    } catch {
      s = fallback(type);
    }
    if (known === undefined) shapes.set(type, (known = []));
    known[slot] = s;
    return s;
  }

  /** What the checker prints, when it is the name of a global library type; else `unknown`. */
  function fallback(type: ts.Type): Shaped {
    try {
      const text = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
      const symbol = type.aliasSymbol ?? type.getSymbol();
      const global = symbol !== undefined && isLibSymbol(symbol) && qualifiedName(symbol) === text;
      return QUALIFIED_NAME.test(text) && global ? primary(text) : UNKNOWN;
    } catch {
      return UNKNOWN;
    }
  }

  function shapeOrThrow(type: ts.Type, depth: number, dropUndefined: boolean): Shaped {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) return primary('any');
    if (f & ts.TypeFlags.Unknown) return UNKNOWN;
    if (f & ts.TypeFlags.Never) return primary('never');
    if (f & ts.TypeFlags.Void) return primary('void');
    if (f & ts.TypeFlags.Undefined) return primary('undefined');
    if (f & ts.TypeFlags.Null) return primary('null');
    // Before unions: `boolean` is the union `false | true`.
    if (f & ts.TypeFlags.Boolean) return primary('boolean');
    // Not `=== checker.getTrueType()`: a fresh `true` (from `const b = true`) is another object.
    if (f & ts.TypeFlags.BooleanLiteral) return primary(checker.typeToString(type) === 'true' ? 'true' : 'false');
    // Enum members are these literals too (`EnumLiteral` with one of them); an enum type is their union.
    if (f & ts.TypeFlags.StringLiteral) return primary(JSON.stringify((type as ts.StringLiteralType).value));
    if (f & ts.TypeFlags.NumberLiteral) return primary(String((type as ts.NumberLiteralType).value));
    if (f & ts.TypeFlags.BigIntLiteral) {
      const value = (type as ts.BigIntLiteralType).value;
      return primary(`${value.negative ? '-' : ''}${value.base10Value}n`);
    }
    if (f & ts.TypeFlags.String) return primary('string');
    if (f & ts.TypeFlags.Number) return primary('number');
    if (f & ts.TypeFlags.BigInt) return primary('bigint');
    if (f & ts.TypeFlags.ESSymbolLike) return primary('symbol');
    if (f & ts.TypeFlags.NonPrimitive) return primary('object');
    if (f & ts.TypeFlags.Enum) return primary('number'); // an enum with computed members
    if (f & ts.TypeFlags.TypeParameter) return typeParameter(type, depth);
    if (type.isUnion()) return union(type, depth, dropUndefined);
    if (type.isIntersection()) return intersection(type, depth);
    if (f & ts.TypeFlags.Object) return object(type as ts.ObjectType, depth);
    if (f & ts.TypeFlags.TemplateLiteral) {
      const { texts, types } = type as ts.TemplateLiteralType;
      const spans = types.map((t, i) => `\${${shape(t, depth).text}}${templateText(texts[i + 1] ?? '')}`);
      return primary(`\`${templateText(texts[0] ?? '')}${spans.join('')}\``);
    }
    if (f & ts.TypeFlags.StringMapping) {
      const mapping = type as ts.StringMappingType;
      return primary(`${mapping.symbol.getName()}<${shape(mapping.type, depth).text}>`);
    }
    // Indexed access, conditional, `keyof` and other types deferred on a type parameter.
    return fallback(type);
  }

  /** A class's or interface's `this` is its own type; any other type parameter is `unknown`. */
  function typeParameter(type: ts.Type, depth: number): Shaped {
    const symbol = type.getSymbol();
    if (symbol !== undefined && symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
      const declared = checker.getDeclaredTypeOfSymbol(symbol) as ts.InterfaceType;
      const constraint = checker.getBaseConstraintOfType(type);
      if (declared.thisType === type && constraint !== undefined && constraint !== type) return shape(constraint, depth);
    }
    return UNKNOWN;
  }

  function union(type: ts.UnionType, depth: number, dropUndefined: boolean): Shaped {
    let types = type.types;
    if (dropUndefined) {
      const defined = types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
      if (defined.length > 0) types = defined;
    }
    const members = new Map<string, Shaped>();
    for (const member of types) {
      const s = shape(member, depth);
      // A member cut off at the depth bound absorbs the others, as `unknown` does in TypeScript.
      if (s.text === 'unknown' || s.text === 'any') return s;
      members.set(wrap(s, INTERSECTION), s);
    }
    if (members.has('true') && members.has('false')) {
      members.delete('true');
      members.delete('false');
      members.set('boolean', primary('boolean'));
    }
    const texts = [...members.keys()].sort(compare);
    return texts.length === 1 ? members.get(texts[0]!)! : { text: texts.join(' | '), prec: UNION };
  }

  function intersection(type: ts.IntersectionType, depth: number): Shaped {
    const members = new Map<string, Shaped>();
    for (const member of type.types) {
      const s = shape(member, depth);
      if (s.text === 'any' || s.text === 'never') return s;
      if (s.text !== 'unknown') members.set(wrap(s, OPERATOR), s); // `T & unknown` is `T`
    }
    const texts = [...members.keys()].sort(compare);
    if (texts.length === 0) return UNKNOWN;
    return texts.length === 1 ? members.get(texts[0]!)! : { text: texts.join(' & '), prec: INTERSECTION };
  }

  function object(type: ts.ObjectType, depth: number): Shaped {
    if (checker.isTupleType(type)) return tuple(type as ts.TypeReference, depth);
    if (checker.isArrayType(type)) {
      const element = shape(checker.getTypeArguments(type as ts.TypeReference)[0] ?? checker.getUnknownType(), depth + 1);
      const readonly = type.getSymbol()?.getName() === 'ReadonlyArray';
      return readonly ? { text: `readonly ${wrap(element, PRIMARY)}[]`, prec: OPERATOR } : primary(`${wrap(element, PRIMARY)}[]`);
    }
    // A name costs nothing and stays precise, so named types are written even at the depth bound;
    // their type arguments still count a level each.
    const named = byName(type, depth);
    if (named !== undefined) return named;
    if (depth >= maxDepth) return UNKNOWN;
    return structure(type, depth);
  }

  function tuple(type: ts.TypeReference, depth: number): Shaped {
    const target = type.target as ts.TupleType;
    const elements = checker
      .getTypeArguments(type)
      .slice(0, target.elementFlags.length)
      .map((element, i) => {
        const flags = target.elementFlags[i] ?? ts.ElementFlags.Required;
        // A variadic element is a spread of a type parameter, itself `unknown`.
        if (flags & ts.ElementFlags.Variadic) return '...unknown[]';
        if (flags & ts.ElementFlags.Rest) return `...${wrap(shape(element, depth + 1), PRIMARY)}[]`;
        if (flags & ts.ElementFlags.Optional) return `${wrap(shape(element, depth + 1, true), PRIMARY)}?`;
        return shape(element, depth + 1).text;
      });
    const text = `[${elements.join(', ')}]`;
    return target.readonly ? { text: `readonly ${text}`, prec: OPERATOR } : primary(text);
  }

  /** The type arguments of a class or interface reference, without the checker's trailing `this`. */
  function typeArguments(type: ts.ObjectType): readonly ts.Type[] {
    if (!(type.objectFlags & ts.ObjectFlags.Reference)) return [];
    const reference = type as ts.TypeReference;
    return checker.getTypeArguments(reference).slice(0, reference.target.typeParameters?.length ?? 0);
  }

  const withArguments = (name: string, args: readonly ts.Type[], depth: number): string =>
    args.length === 0 ? name : `${name}<${args.map((t) => shape(t, depth + 1).text).join(', ')}>`;

  /** A brand from `refName`, or a library type (`Map<string, number>`, `Date`, `Record<K, V>`). */
  function byName(type: ts.ObjectType, depth: number): Shaped | undefined {
    const symbol = type.getSymbol();
    const alias = type.aliasSymbol;
    const brand = (name: string): Shaped => primary(`{ "#ref": ${JSON.stringify(name)} }`);

    if (symbol !== undefined && !isAnonymous(symbol) && symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
      // A class's constructor (`typeof Task`) has the class's symbol too, but is not an instance.
      const staticSide = (type.objectFlags & ts.ObjectFlags.Anonymous) !== 0;
      const name = refName?.(symbol);
      if (name !== undefined) return brand(staticSide ? `typeof ${name}` : withArguments(name, typeArguments(type), depth));
      const qualified = qualifiedName(symbol);
      if (!staticSide && isLibSymbol(symbol) && QUALIFIED_NAME.test(qualified)) return primary(withArguments(qualified, typeArguments(type), depth));
    }
    if (alias !== undefined) {
      const args = type.aliasTypeArguments ?? [];
      const name = refName?.(alias);
      if (name !== undefined) return brand(withArguments(name, args, depth));
      const qualified = qualifiedName(alias);
      if (isLibSymbol(alias) && QUALIFIED_NAME.test(qualified)) return primary(withArguments(qualified, args, depth));
    }
    return undefined;
  }

  /** `{ [key: string]: T; a: U; readonly b?: V; (x: number): W }`, or a function type. */
  function structure(type: ts.ObjectType, depth: number): Shaped {
    const calls = checker.getSignaturesOfType(type, ts.SignatureKind.Call);
    const constructs = checker.getSignaturesOfType(type, ts.SignatureKind.Construct);
    const properties = checker
      .getPropertiesOfType(type)
      .filter(isStructural)
      .sort((a, b) => compare(a.getName(), b.getName()));
    const indexes = checker
      .getIndexInfosOfType(type)
      .map((info) => `${info.isReadonly ? 'readonly ' : ''}[key: ${shape(info.keyType, depth + 1).text}]: ${shape(info.type, depth + 1).text}`)
      .sort(compare);

    if (properties.length === 0 && indexes.length === 0) {
      if (calls.length === 1 && constructs.length === 0) return { text: signature(calls[0]!, depth, ' =>'), prec: FUNCTION };
      if (constructs.length === 1 && calls.length === 0) return { text: `new ${signature(constructs[0]!, depth, ' =>')}`, prec: FUNCTION };
    }
    const members = [...indexes];
    for (const property of properties) {
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      const type = shape(checker.getTypeOfSymbol(property), depth + 1, optional).text;
      members.push(`${isReadonlyProperty(property) ? 'readonly ' : ''}${propertyName(property.getName())}${optional ? '?' : ''}: ${type}`);
    }
    // Overloads keep their declaration order: it decides which one a call picks.
    for (const s of calls) members.push(signature(s, depth, ':'));
    for (const s of constructs) members.push(`new ${signature(s, depth, ':')}`);
    return primary(members.length === 0 ? '{}' : `{ ${members.join('; ')} }`);
  }

  /** `(a: number, b?: string, ...rest: T[]) => R` (arrow `' =>'`) or the member form (`':'`). */
  function signature(s: ts.Signature, depth: number, arrow: string): string {
    const parameters = s.getParameters().map((parameter, i) => {
      const declaration = parameter.valueDeclaration;
      const node = declaration !== undefined && ts.isParameter(declaration) ? declaration : undefined;
      const flags = checkFlags(parameter);
      const rest = node !== undefined ? node.dotDotDotToken !== undefined : (flags & CHECK_REST_PARAMETER) !== 0;
      const optional = !rest && (node !== undefined ? checker.isOptionalParameter(node) : (flags & CHECK_OPTIONAL_PARAMETER) !== 0);
      // A destructured parameter has no name of its own.
      const name = (node === undefined || ts.isIdentifier(node.name)) && IDENTIFIER.test(parameter.getName()) ? parameter.getName() : `p${i}`;
      let type = shape(checker.getTypeOfSymbol(parameter), depth + 1, optional).text;
      if (rest && type === 'unknown') type = 'unknown[]'; // a rest parameter must be an array
      return `${rest ? '...' : ''}${name}${optional ? '?' : ''}: ${type}`;
    });
    return `(${parameters.join(', ')})${arrow} ${shape(checker.getReturnTypeOfSignature(s), depth + 1).text}`;
  }

  return (type) => shape(type, 0).text;
}

/** `f` with its result kept per argument. */
function memoize<K, V>(f: (key: K) => V): (key: K) => V {
  const results = new Map<K, V>();
  return (key) => {
    if (results.has(key)) return results.get(key)!;
    const result = f(key);
    results.set(key, result);
    return result;
  };
}
