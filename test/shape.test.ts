import ts from 'typescript';
import { describe, expect, test, vi } from 'vitest';
import { assignability, isAssignable } from '../schema/assignable.ts';
import { shapeOf, shapeWriter, type ShapeOptions } from '../schema/shape.ts';

const FILE = '/project/src/a.ts';
const OPTIONS: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'], types: [], noEmit: true };
/** The default library, parsed once for all the programs of this file. */
const libFiles = new Map<string, ts.SourceFile>();

/** A one-file program over `source`, with the real checker and the default library. */
function compile(source: string): { checker: ts.TypeChecker; sf: ts.SourceFile; program: ts.Program } {
  const host = ts.createCompilerHost(OPTIONS, true);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version) => {
    if (fileName === FILE) return ts.createSourceFile(FILE, source, version, true);
    const cached = libFiles.get(fileName) ?? read(fileName, version);
    if (cached !== undefined) libFiles.set(fileName, cached);
    return cached;
  };
  const program = ts.createProgram({ rootNames: [FILE], options: OPTIONS, host });
  const sf = program.getSourceFile(FILE)!;
  // The sources are meant to compile: a typo in a test would otherwise give an `any` that passes.
  const errors = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  if (errors.length > 0) throw new Error(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('\n'));
  return { checker: program.getTypeChecker(), sf, program };
}

/**
 * The shape of a variable's type (`value` by default), or of a class field as declared
 * (`Class.field`, read the way `schema/extract.ts` reads it: at its declaration).
 */
function shape(source: string, options: ShapeOptions = {}, name = 'value'): string {
  const { checker, sf } = compile(source);
  const [owner, member] = name.split('.');
  if (member === undefined) {
    const symbol = checker.getSymbolsInScope(sf, ts.SymbolFlags.Variable).find((s) => s.getName() === owner);
    if (symbol === undefined) throw new Error(`no ${name} in the test source`);
    return shapeOf(checker, checker.getTypeOfSymbol(symbol), options);
  }
  const classSymbol = checker.getSymbolsInScope(sf, ts.SymbolFlags.Class).find((s) => s.getName() === owner);
  const field = classSymbol?.members?.get(ts.escapeLeadingUnderscores(member));
  if (field?.valueDeclaration === undefined) throw new Error(`no ${name} in the test source`);
  return shapeOf(checker, checker.getTypeOfSymbolAtLocation(field, field.valueDeclaration), options);
}

/** Names every class and interface of the test file `src/a.ts#Name`, as the CLI does for project classes. */
const refAll: ShapeOptions['refName'] = (symbol) => `src/a.ts#${symbol.getName()}`;

describe('shapeOf: types written out structurally', () => {
  test('primitives and special types', () => {
    const source = [
      'let n = 1, s = "", b = true, big = 1n, sym = Symbol(), nul: null = null, und: undefined = undefined, o: object = {};',
      'let v: void = undefined, a: any, u: unknown, nev: never = null!;',
    ].join('\n');
    const names = ['n', 's', 'b', 'big', 'sym', 'nul', 'und', 'o', 'v', 'a', 'u', 'nev'];
    expect(names.map((name) => shape(source, {}, name))).toEqual(['number', 'string', 'boolean', 'bigint', 'symbol', 'null', 'undefined', 'object', 'void', 'any', 'unknown', 'never']);
  });

  test('literals', () => {
    expect(shape('const value = "a\\"b";')).toBe('"a\\"b"');
    expect(shape('let value: 1 | -2 | 3n | -4n = 1;')).toBe('-2 | -4n | 1 | 3n');
    expect(shape('const value = true;')).toBe('true');
    expect(shape('const value = false;')).toBe('false');
    expect(shape('let value: `id-${number}` = "id-1";')).toBe('`id-${number}`');
  });

  test('unions are sorted and deduplicated; true and false together are boolean', () => {
    expect(shape('let value: string | number | boolean | null | undefined = 1;')).toBe('boolean | null | number | string | undefined');
    expect(shape('let value: true | "x" | false = true;')).toBe('"x" | boolean');
    expect(shape('let value: true | "x" = true;')).toBe('"x" | true');
    // Two interfaces with one structure are one member.
    expect(shape('interface A { a: number }\ninterface B { a: number }\nlet value: A | B | null = null;')).toBe('null | { a: number }');
    // Whatever order the members were declared or created in.
    const one = shape('interface B { b: 1 }\ninterface A { a: 1 }\nlet value: B | A = { a: 1 };');
    const other = shape('interface A { a: 1 }\ninterface B { b: 1 }\nlet value: A | B = { a: 1 };');
    expect(one).toBe('{ a: 1 } | { b: 1 }');
    expect(other).toBe(one);
  });

  test('intersections are sorted; parentheses only where the grammar needs them', () => {
    expect(shape('let value: { b: 1 } & { a: 1 } = null!;')).toBe('{ a: 1 } & { b: 1 }');
    expect(shape('let value: string & { __brand: "id" } = null!;')).toBe('string & { __brand: "id" }');
    expect(shape('let value: (() => void) | null = null;')).toBe('(() => void) | null');
    expect(shape('let value: (number | string)[] = [];')).toBe('(number | string)[]');
    expect(shape('let value: (() => void)[] = [];')).toBe('(() => void)[]');
    expect(shape('let value: (readonly number[])[] = [];')).toBe('(readonly number[])[]');
    expect(shape('let value: ({ a: 1 } & { b: 1 }) | null = null;')).toBe('null | { a: 1 } & { b: 1 }');
    expect(shape('let value: { f: () => number | string }[] = [];')).toBe('{ f: () => number | string }[]');
  });

  test('an interface and the equivalent type literal have one shape', () => {
    const a = shape('interface Item { title: string; id: number }\nlet value: Item[] = [];');
    const b = shape('let value: Array<{ id: number; title: string }> = [];');
    expect(a).toBe('{ id: number; title: string }[]');
    expect(b).toBe(a);
    // Inherited members are part of the structure.
    expect(shape('interface Base { id: number }\ninterface Item extends Base { title: string }\nlet value: Item = null!;')).toBe('{ id: number; title: string }');
  });

  test('property order and formatting do not matter', () => {
    const a = shape('interface Item { title: string; id: number; done?: boolean }\nlet value: Item = null!;');
    const b = shape('interface Item {\n  // the key\n  id:   number\n  done? : boolean,\n  title:string\n}\n\n\nlet value: Item = null!;');
    expect(a).toBe('{ done?: boolean; id: number; title: string }');
    expect(b).toBe(a);
  });

  test('a new required property or another element type is a different shape', () => {
    const base = shape('interface Item { id: number }\nlet value: Item[] = [];');
    expect(base).toBe('{ id: number }[]');
    expect(shape('interface Item { id: number; owner: string }\nlet value: Item[] = [];')).toBe('{ id: number; owner: string }[]');
    expect(shape('interface Item { id: string }\nlet value: Item[] = [];')).toBe('{ id: string }[]');
    expect(shape('let value: string[] = [];')).not.toBe(shape('let value: number[] = [];'));
  });

  test('optional and readonly properties', () => {
    expect(shape('let value: { readonly a?: number; b?: string | number; c: string | undefined } = { c: "" };')).toBe(
      '{ readonly a?: number; b?: number | string; c: string | undefined }',
    );
    expect(shape('let value = { a: 1, "b-c": [1] } as const;')).toBe('{ readonly a: 1; readonly "b-c": readonly [1] }');
    expect(shape('let value = { get g() { return 1; }, get s() { return 1; }, set s(v: number) {} };')).toBe('{ readonly g: number; s: number }');
    expect(shape('class C { readonly id = 1; name = ""; }\nlet value = new C();')).toBe('{ readonly id: 1; name: string }');
  });

  test('methods and function-valued properties are function types', () => {
    expect(shape('let value: { run(n: number, label?: string): void; cb: (...xs: string[]) => boolean; stop?(): void } = null!;')).toBe(
      '{ cb: (...xs: string[]) => boolean; run: (n: number, label?: string) => void; stop?: () => void }',
    );
    expect(shape('let value = ({ a }: { a: number }, b = 2) => a + b;')).toBe('(p0: { a: number }, b?: number) => number');
    expect(shape('let value: new (n: number) => Date = Date;')).toBe('new (n: number) => Date');
    // Overloads keep their order; a function with properties is an object with a call signature.
    expect(shape('let value: { (a: number): string; (a: string): number } = null!;')).toBe('{ (a: number): string; (a: string): number }');
    expect(shape('let value: { (a: number): string; size: number } = null!;')).toBe('{ size: number; (a: number): string }');
  });

  test('index signatures come first', () => {
    expect(shape('let value: { b: number; [key: string]: number; [n: number]: 1 } = { b: 1 };')).toBe('{ [key: number]: 1; [key: string]: number; b: number }');
    expect(shape('let value: { readonly [k: string]: boolean } = {};')).toBe('{ readonly [key: string]: boolean }');
  });

  test('enums are the union of their values', () => {
    expect(shape('enum Color { Red, Green = 5 }\nlet value: Color = Color.Red;')).toBe('0 | 5');
    expect(shape('enum Mode { On = "on", Off = "off" }\nlet value: Mode | null = null;')).toBe('"off" | "on" | null');
    expect(shape('enum Mode { On = "on", Off = "off" }\nconst value = Mode.Off;')).toBe('"off"');
  });

  test('tuples', () => {
    expect(shape('let value: [number, string?, ...boolean[]] = [1];')).toBe('[number, string?, ...boolean[]]');
    expect(shape('let value: [at: number, label?: string] = [1];')).toBe('[number, string?]');
    expect(shape('let value = [1, "a"] as const;')).toBe('readonly [1, "a"]');
    expect(shape('let value: [(number | string)?] = [];')).toBe('[(number | string)?]');
  });

  test('library types by name with shaped type arguments', () => {
    expect(shape('interface S { n: number }\nlet value = new Map<string, S>();')).toBe('Map<string, { n: number }>');
    expect(shape('let value = new Set<number | string>();')).toBe('Set<number | string>');
    expect(shape('let value = new Date();')).toBe('Date');
    expect(shape('let value: WeakMap<object, ReadonlySet<RegExp>> = new WeakMap();')).toBe('WeakMap<object, ReadonlySet<RegExp>>');
    expect(shape('let value: Promise<string[]> = null!;')).toBe('Promise<string[]>');
    expect(shape('let value: Record<string, { n: number }> = {};')).toBe('Record<string, { n: number }>');
    expect(shape('let value = document.createElement("div");')).toBe('HTMLDivElement');
    // Declared in a namespace of the library: the qualified name.
    expect(shape('let value = new Intl.NumberFormat();')).toBe('Intl.NumberFormat');
  });

  test('mapped types over a union of literals (their properties have no declaration)', () => {
    expect(shape("type Kind = 'a' | 'b';\nlet value: Record<Kind, number> = { a: 0, b: 0 };")).toBe('Record<"a" | "b", number>');
    expect(shape("let value: { [K in 'x' | 'y']: number } = { x: 0, y: 0 };")).toBe('{ x: number; y: number }');
  });

  test('keys that are not identifiers are quoted; symbol keys and #private names are left out', () => {
    expect(shape('let value: { "a b": 1; 0: 2; "#ref": 3; [Symbol.iterator](): Iterator<number> } = null!;')).toBe('{ "#ref": 3; "0": 2; "a b": 1 }');
  });

  test('class instances: only the public structure', () => {
    const source = 'class Task {\n  #secret = 1;\n  private hidden = 2;\n  protected kind = "";\n  static count = 0;\n  title = "";\n  constructor(public id: number, private owner: string) {}\n}\nlet value = new Task(1, "me");';
    expect(shape(source)).toBe('{ id: number; title: string }');
  });

  test('a recursive type stops at the depth bound', () => {
    const source = 'interface ListNode { value: number; next: ListNode | null }\nlet value: ListNode = null!;';
    expect(shape(source, { depth: 2 })).toBe('{ next: null | { next: unknown; value: number }; value: number }');
    // The default is 3 levels.
    expect(shape(source)).toBe('{ next: null | { next: null | { next: unknown; value: number }; value: number }; value: number }');
    expect(shape(source, { depth: 0 })).toBe('unknown');
    // Array elements and type arguments count a level too; primitives are written in full.
    expect(shape('interface Tree { label: string; children: Tree[]; byName: Map<string, Tree> }\nlet value: Tree = null!;', { depth: 2 })).toBe(
      '{ byName: Map<string, unknown>; children: unknown[]; label: string }',
    );
  });

  test('refName: classes are brands, with their type arguments', () => {
    const source = 'class Task { title = ""; }\nclass Box<T> { item!: T; }\nlet value = new Task();\nlet box = new Box<number>();\nlet plain: Box<string> = new Box();\nlet ctor = Task;';
    const onlyTask: ShapeOptions['refName'] = (s) => (s.getName() === 'Task' ? 'src/a.ts#Task' : undefined);
    expect(shape(source, { refName: onlyTask })).toBe('{ "#ref": "src/a.ts#Task" }');
    expect(shape(source, { refName: refAll }, 'box')).toBe('{ "#ref": "src/a.ts#Box<number>" }');
    expect(shape(source, { refName: onlyTask }, 'plain')).toBe('{ item: string }');
    // The class itself (its constructor) is not one of its instances.
    expect(shape(source, { refName: onlyTask }, 'ctor')).toBe('{ "#ref": "typeof src/a.ts#Task" }');
    // Asked before the library: the caller may name any class or interface.
    expect(shape('let value = new Map<string, number>();', { refName: refAll })).toBe('{ "#ref": "src/a.ts#Map<string, number>" }');
  });

  test('type parameters are unknown; `this` is the class', () => {
    expect(shape('let value = <T>(x: T, xs: T[]): T => x;')).toBe('(x: unknown, xs: unknown[]) => unknown');
    expect(shape('class Box<T> { item!: T; }', {}, 'Box.item')).toBe('unknown');
    const linked = 'class Link { next: this | null = null; n = 1; }';
    expect(shape(linked, { refName: refAll }, 'Link.next')).toBe('null | { "#ref": "src/a.ts#Link" }');
    expect(shape(linked, { depth: 1 }, 'Link.next')).toBe('null | { n: number; next: unknown }');
  });

  test('every shape is valid type text that the checker accepts, and fits itself', () => {
    const shapes = [
      shape('let value: { a?: (() => void) | null; readonly "b c": [number, string?, ...(readonly boolean[])[]]; [k: string]: unknown } = null!;'),
      shape('let value: { (a: number): string; new (b: string): Date; m<T>(x: T): T; "#ref": `x${number}` } = null!;'),
      shape('interface ListNode { value: number; next: ListNode | null }\nlet value: Map<string, ListNode[]> | Set<ListNode> = new Set();'),
      shape('class Task { title = ""; }\nlet value = [new Task()];', { refName: refAll }),
      shape('enum E { A = "a", B = 2 }\nlet value: E | Promise<E> = E.A;'),
    ];
    expect(shapes).toEqual([
      '{ [key: string]: unknown; a?: (() => void) | null; readonly "b c": [number, string?, ...(readonly boolean[])[]] }',
      '{ "#ref": `x${number}`; m: (x: unknown) => unknown; (a: number): string; new (b: string): Date }',
      // The array element is one level deeper than the set's element.
      'Map<string, { next: unknown; value: number }[]> | Set<{ next: null | { next: unknown; value: number }; value: number }>',
      '{ "#ref": "src/a.ts#Task" }[]',
      '"a" | 2 | Promise<"a" | 2>',
    ]);
    expect(assignability(shapes.map((s) => ({ from: s, to: s })))).toEqual(shapes.map(() => true));
  });
});

describe('shapeWriter: one writer for many types', () => {
  test('writes what separate shapeOf calls write, whatever the order and depth a type is reached at', () => {
    const { checker, sf } = compile(
      [
        'interface Leaf { id: number; tags?: string[] }',
        'interface Tree { leaf: Leaf; next?: Tree; all: Leaf[] }',
        'class Task { done = false; }',
        'let a: Leaf = null!;',
        'let b: Tree | null = null;',
        'let c: Map<string, Tree[]> = new Map();',
        'let d: [Leaf, Tree?] = null!;',
        'let e = { task: new Task(), f: (x?: Leaf | undefined, ...rest: Tree[]): Leaf => x! };',
        'let f: Leaf | Task = new Task();',
      ].join('\n'),
    );
    const types = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => {
      const symbol = checker.getSymbolsInScope(sf, ts.SymbolFlags.Variable).find((s) => s.getName() === name)!;
      return checker.getTypeOfSymbol(symbol);
    });
    const refName: ShapeOptions['refName'] = (symbol) => (symbol.getName() === 'Task' ? 'src/a.ts#Task' : undefined);
    for (const options of [{}, { refName }, { refName, depth: 1 }]) {
      const separate = types.map((type) => shapeOf(checker, type, options));
      const write = shapeWriter(checker, options);
      expect([...types].reverse().map(write).reverse()).toEqual(separate);
      expect(types.map(write)).toEqual(separate);
    }
  });
});

describe('assignability: the checker decides whether old values fit the new shape', () => {
  test('widening and narrowing', () => {
    expect(isAssignable('number', 'number | string')).toBe(true);
    expect(isAssignable('number | string', 'number')).toBe(false);
  });

  test('properties', () => {
    expect(isAssignable('{ a: number; b: string }', '{ a: number }')).toBe(true);
    expect(isAssignable('{ a: number }', '{ a: number; b: string }')).toBe(false);
    expect(isAssignable('{ a?: number }', '{ a: number }')).toBe(false);
    expect(isAssignable('{ a: number }', '{ a: number; b?: string }')).toBe(true);
  });

  test('brands fit only themselves', () => {
    expect(isAssignable('{ "#ref": "src/a.ts#Task" }', '{ "#ref": "src/a.ts#Task" }')).toBe(true);
    expect(isAssignable('{ "#ref": "src/a.ts#Task" }', '{ "#ref": "src/b.ts#Task" }')).toBe(false);
    expect(isAssignable('{ "#ref": "src/a.ts#Box<number>" }', '{ "#ref": "src/a.ts#Box<string>" }')).toBe(false);
  });

  test('arrays are covariant', () => {
    expect(isAssignable('{ id: number }[]', '{ id: number | string }[]')).toBe(true);
    expect(isAssignable('{ id: number }[]', '{ id: string }[]')).toBe(false);
    expect(isAssignable('(number | string)[]', 'number[]')).toBe(false);
  });

  test('library types', () => {
    // Map's methods are checked bivariantly (method parameters), so the checker accepts a wider
    // value type even though `set` would then take strings: this is what tsc itself says.
    expect(isAssignable('Map<string, number>', 'Map<string, number | string>')).toBe(true);
    expect(isAssignable('Map<string, number | string>', 'Map<string, number>')).toBe(false);
    expect(isAssignable('Date', 'Date | null')).toBe(true);
  });

  test('a shape from one version of a project against the next', () => {
    const before = shape('interface Item { id: number }\nlet value: Item[] = [];');
    const optional = shape('interface Item { id: number; title?: string }\nlet value: Item[] = [];');
    const required = shape('interface Item { id: number; title: string }\nlet value: Item[] = [];');
    expect(assignability([
      { from: before, to: optional },
      { from: before, to: required },
      { from: required, to: before },
    ])).toEqual([true, false, true]);
  });

  test('one batch of 200 pairs answers every pair in order', () => {
    const prime = (n: number): boolean => n > 1 && Array.from({ length: n - 2 }, (_, k) => k + 2).every((d) => n % d !== 0);
    // Pair i: the literal `i` against `i` itself when i is prime, else against `i + 1`.
    const pairs = Array.from({ length: 200 }, (_, i) => ({ from: `{ v: ${i} }`, to: `{ v: ${prime(i) ? i : i + 1} }` }));
    const answers = assignability(pairs);
    expect(answers).toHaveLength(200);
    expect(answers).toEqual(pairs.map((_, i) => prime(i)));
  });

  test('a shape spanning lines does not shift the answers after it', () => {
    expect(assignability([
      { from: 'null', to: '{ a: number }\n| null' },
      { from: '"x"', to: 'number' },
      { from: '{\n  a: 1\n}', to: '{ a: number }' },
      { from: '1', to: 'string' },
      { from: '1', to: 'number' },
    ])).toEqual([true, false, true, false, true]);
    expect(assignability([])).toEqual([]);
  });

  test("with the project's program, its library files serve the assignability program too", async () => {
    // A fresh copy of the module: its own cache of library files is still empty.
    vi.resetModules();
    const fresh = (await import('../schema/assignable.ts')).assignability;
    const { program } = compile('let value = 1;');
    const pairs = [
      { from: 'Map<string, Date>', to: 'Map<string, Date | null>' },
      { from: 'HTMLElement', to: 'Element' },
      { from: 'Element', to: 'HTMLElement' },
      { from: 'ReadonlyArray<number>', to: 'number[]' },
    ];
    expect(fresh(pairs, program)).toEqual([true, true, false, false]);
    expect(assignability(pairs)).toEqual([true, true, false, false]);
  });

  test('a shape that is not one type is a clear error naming it', () => {
    expect(() => isAssignable('{ a: ', 'number')).toThrow('[hotstate] not a valid type shape: "{ a: "');
    const valid = { from: 'number', to: 'number' };
    // An unclosed comment would break every statement after it; the culprit is still named.
    expect(() => assignability([valid, { from: 'number /*', to: 'string' }, valid])).toThrow('not a valid type shape: "number /*"');
    expect(() => assignability([valid, { from: 'number', to: 'number; let x: string' }])).toThrow('not a valid type shape: "number; let x: string"');
    expect(() => assignability([{ from: 'number, y: string', to: 'number' }])).toThrow('not a valid type shape: "number, y: string"');
  });
});
