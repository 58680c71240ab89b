import ts from 'typescript';

/**
 * A type written out as TypeScript type text, structurally and to a bounded depth, so that two
 * versions of a project can be compared by text and, when the texts differ, by assignability
 * (`assignable.ts`) without the old sources. Deterministic: the same type gives the same text
 * whatever the declaration order or formatting; an interface and the equivalent type literal
 * give the same text.
 */

export interface ShapeOptions {
  /** Nesting levels written out before an object type becomes `unknown`. @default 3 */
  depth?: number;
  /**
   * Names an object type that is compared by identity rather than by structure (the project's
   * classes, whose fields are tracked on their own; types from packages). It is written as the
   * brand `{ "#ref": "<name>" }`.
   */
  refName?: (symbol: ts.Symbol) => string | undefined;
}

const LIB_FILE = /[\\/]typescript[\\/]lib[\\/]lib\.[^\\/]*\.d\.ts$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A class or interface declared only by TypeScript's default library (`Map`, `Date`, `HTMLElement`). */
const isLibSymbol = (symbol: ts.Symbol | undefined): boolean =>
  symbol !== undefined &&
  (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) !== 0 &&
  symbol.declarations !== undefined &&
  symbol.declarations.length > 0 &&
  symbol.declarations.every((d) => LIB_FILE.test(d.getSourceFile().fileName));

/** Needs parentheses as an array element or a union/intersection member. */
const compound = (text: string): boolean => /^(?:\(|new \(|readonly )/.test(text) || topLevel(text, ' | ') || topLevel(text, ' & ') || text.includes('=>');

/** Whether `separator` occurs outside brackets and strings. */
function topLevel(text: string, separator: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if ('([{<'.includes(ch)) depth++;
    else if (')]}>'.includes(ch) && text[i - 1] !== '=') depth--;
    else if (depth === 0 && text.startsWith(separator, i)) return true;
  }
  return false;
}

const wrap = (text: string): string => (compound(text) ? `(${text})` : text);

export function shapeOf(checker: ts.TypeChecker, type: ts.Type, options: ShapeOptions = {}): string {
  const maxDepth = options.depth ?? 3;
  const refName = options.refName;

  const shape = (type: ts.Type, depth: number): string => {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) return 'any';
    if (f & ts.TypeFlags.Unknown) return 'unknown';
    if (f & ts.TypeFlags.Never) return 'never';
    if (f & ts.TypeFlags.Void) return 'void';
    if (f & ts.TypeFlags.Undefined) return 'undefined';
    if (f & ts.TypeFlags.Null) return 'null';
    if (f & ts.TypeFlags.StringLiteral) return JSON.stringify((type as ts.StringLiteralType).value);
    if (f & ts.TypeFlags.NumberLiteral) return String((type as ts.NumberLiteralType).value);
    if (f & ts.TypeFlags.BigIntLiteral) {
      const value = (type as ts.BigIntLiteralType).value;
      return `${value.negative ? '-' : ''}${value.base10Value}n`;
    }
    if (f & ts.TypeFlags.BooleanLiteral) return checker.typeToString(type);
    if (f & ts.TypeFlags.String) return 'string';
    if (f & ts.TypeFlags.Number) return 'number';
    if (f & ts.TypeFlags.Boolean) return 'boolean';
    if (f & ts.TypeFlags.BigInt) return 'bigint';
    if (f & ts.TypeFlags.ESSymbolLike) return 'symbol';
    if (f & ts.TypeFlags.NonPrimitive) return 'object';
    if (f & ts.TypeFlags.TypeParameter) {
      // `this` in a class: its apparent type; any other type parameter: unknown.
      if ((type as ts.TypeParameter & { isThisType?: boolean }).isThisType === true) {
        const constraint = checker.getBaseConstraintOfType(type);
        return constraint !== undefined && constraint !== type ? shape(constraint, depth) : 'unknown';
      }
      return 'unknown';
    }
    if (type.isUnion()) {
      const members = [...new Set(type.types.map((t) => wrap(shape(t, depth))))];
      if (members.includes('false') && members.includes('true')) members.splice(members.indexOf('false'), 1, 'boolean');
      // A member cut off at the depth bound absorbs the rest, as `unknown` does in TypeScript.
      if (members.includes('any') || members.includes('unknown')) return members.includes('any') ? 'any' : 'unknown';
      const unique = [...new Set(members.filter((m) => m !== 'true' || !members.includes('boolean')))].sort();
      return unique.length === 1 ? unique[0]! : unique.join(' | ');
    }
    if (type.isIntersection()) return [...new Set(type.types.map((t) => wrap(shape(t, depth))))].sort().join(' & ');
    if (f & ts.TypeFlags.Object) return objectShape(type as ts.ObjectType, depth);
    // Index access, conditional, template literal and other deferred types: what the checker says,
    // when it is a plain name; otherwise nothing more precise than unknown.
    const text = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
    return IDENTIFIER.test(text) ? text : 'unknown';
  };

  const args = (type: ts.Type, depth: number): string[] => checker.getTypeArguments(type as ts.TypeReference).map((t) => shape(t, depth + 1));

  const objectShape = (type: ts.ObjectType, depth: number): string => {
    if (checker.isTupleType(type)) {
      const target = (type as ts.TypeReference).target as ts.TupleType;
      const elements = checker.getTypeArguments(type as ts.TypeReference).map((element, i) => {
        const flags = target.elementFlags[i] ?? ts.ElementFlags.Required;
        if (flags & ts.ElementFlags.Variable) return `...${wrap(shape(element, depth + 1))}[]`;
        return flags & ts.ElementFlags.Optional ? `${shape(removeUndefined(element), depth + 1)}?` : shape(element, depth + 1);
      });
      return `${target.readonly ? 'readonly ' : ''}[${elements.join(', ')}]`;
    }
    if (checker.isArrayType(type)) {
      const element = args(type, depth)[0] ?? 'unknown';
      const readonly = type.symbol?.getName() === 'ReadonlyArray';
      return `${readonly ? 'readonly ' : ''}${wrap(element)}[]`;
    }
    const symbol = type.aliasSymbol === undefined || isLibSymbol(type.aliasSymbol) ? (type.symbol as ts.Symbol | undefined) : type.symbol;
    // Library types (Map, Date, Promise, HTMLElement…) by name, their type arguments shaped.
    if (isLibSymbol(symbol) && symbol!.getName() !== '__type' && symbol!.getName() !== '__object') {
      if (type.aliasSymbol !== undefined && isLibSymbol(type.aliasSymbol) && type.aliasTypeArguments !== undefined) {
        // `Record<K, V>` and other library aliases: by their alias.
        return `${type.aliasSymbol.getName()}<${type.aliasTypeArguments.map((t) => shape(t, depth + 1)).join(', ')}>`;
      }
      const typeArgs = (type.objectFlags & ts.ObjectFlags.Reference) !== 0 ? args(type, depth) : [];
      return typeArgs.length > 0 ? `${symbol!.getName()}<${typeArgs.join(', ')}>` : symbol!.getName();
    }
    if (symbol !== undefined && refName !== undefined) {
      const name = refName(symbol);
      if (name !== undefined) {
        const typeArgs = (type.objectFlags & ts.ObjectFlags.Reference) !== 0 ? args(type, depth) : [];
        return `{ "#ref": ${JSON.stringify(typeArgs.length > 0 ? `${name}<${typeArgs.join(', ')}>` : name)} }`;
      }
    }
    if (depth >= maxDepth) return 'unknown';

    const properties = checker
      .getPropertiesOfType(type)
      .filter((p) => {
        // Private and protected members, and `#private` names, are not part of the structure.
        const modifiers = ts.getCombinedModifierFlags(p.valueDeclaration ?? (p.declarations?.[0] as ts.Declaration));
        return !(modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !p.getName().startsWith('#') && !p.getName().startsWith('__#');
      })
      .sort((a, b) => (a.getName() < b.getName() ? -1 : a.getName() > b.getName() ? 1 : 0));
    const calls = checker.getSignaturesOfType(type, ts.SignatureKind.Call);
    const constructs = checker.getSignaturesOfType(type, ts.SignatureKind.Construct);
    const indexes = checker.getIndexInfosOfType(type);
    if (properties.length === 0 && indexes.length === 0 && calls.length + constructs.length > 0) {
      const all = [...calls.map((s) => signature(s, depth, '')), ...constructs.map((s) => signature(s, depth, 'new '))];
      return all.length === 1 ? all[0]! : all.map((s) => `(${s})`).join(' & ');
    }
    const members: string[] = [];
    for (const info of indexes) {
      members.push(`${info.isReadonly ? 'readonly ' : ''}[key: ${shape(info.keyType, depth + 1)}]: ${shape(info.type, depth + 1)}`);
    }
    for (const property of properties) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      const readonly = declaration !== undefined && (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Readonly) !== 0;
      let propertyType = declaration !== undefined ? checker.getTypeOfSymbolAtLocation(property, declaration) : checker.getTypeOfSymbol(property);
      // `a?: T` reads as `T | undefined`; the `?` already says so.
      if (optional) propertyType = checker.getNonNullableType(propertyType) === propertyType ? propertyType : removeUndefined(propertyType);
      const name = IDENTIFIER.test(property.getName()) ? property.getName() : JSON.stringify(property.getName());
      members.push(`${readonly ? 'readonly ' : ''}${name}${optional ? '?' : ''}: ${shape(propertyType, depth + 1)}`);
    }
    for (const s of calls) members.push(signature(s, depth, ''));
    return members.length === 0 ? '{}' : `{ ${members.join('; ')} }`;
  };

  const removeUndefined = (type: ts.Type): ts.Type => {
    if (!type.isUnion()) return type;
    const rest = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    return rest.length === 1 ? rest[0]! : type;
  };

  const signature = (s: ts.Signature, depth: number, prefix: string): string => {
    const params = s.getParameters().map((p, i) => {
      const declaration = p.valueDeclaration as ts.ParameterDeclaration | undefined;
      const rest = declaration !== undefined && declaration.dotDotDotToken !== undefined;
      const optional = declaration !== undefined && (declaration.questionToken !== undefined || declaration.initializer !== undefined);
      const name = IDENTIFIER.test(p.getName()) ? p.getName() : `p${i}`;
      const type = declaration !== undefined ? checker.getTypeOfSymbolAtLocation(p, declaration) : checker.getTypeOfSymbol(p);
      return `${rest ? '...' : ''}${name}${optional && !rest ? '?' : ''}: ${shape(optional ? removeUndefined(type) : type, depth + 1)}`;
    });
    return `${prefix}(${params.join(', ')}) => ${shape(s.getReturnType(), depth + 1)}`;
  };

  return shape(type, 0);
}
