import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { assignability, isAssignable } from '../schema/assignable.ts';
import { shapeOf, type ShapeOptions } from '../schema/shape.ts';

/** The shape of `value`'s type in a one-file program (the real checker, the default library). */
function shape(source: string, options: ShapeOptions = {}, name = 'value'): string {
  const file = '/project/main.ts';
  const compilerOptions: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'], noEmit: true };
  const host = ts.createCompilerHost(compilerOptions, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version) => (fileName === file ? ts.createSourceFile(file, source, version, true) : getSourceFile(fileName, version));
  const program = ts.createProgram({ rootNames: [file], options: compilerOptions, host });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file)!;
  const symbol = checker.getSymbolsInScope(sf, ts.SymbolFlags.Variable).find((s) => s.getName() === name);
  if (symbol === undefined) throw new Error(`no ${name} in the test source`);
  return shapeOf(checker, checker.getTypeOfSymbol(symbol), options);
}

describe('shapeOf: types written out structurally', () => {
  test('primitives, literals, unions (sorted, deduplicated, boolean collapsed)', () => {
    expect(shape('let value = 1;')).toBe('number');
    expect(shape('const value = "a" as const;')).toBe('"a"');
    expect(shape('let value: 1 | -2 | 3n = 1;')).toBe('-2 | 1 | 3n');
    expect(shape('let value: string | number | boolean | null | undefined = 1;')).toBe('boolean | null | number | string | undefined');
    expect(shape('let value: bigint | symbol | object | unknown = 1n;')).toBe('unknown');
    expect(shape('let value: never[] = [];')).toBe('never[]');
  });

  test('an interface and the equivalent type literal have one shape; order and formatting do not matter', () => {
    const a = shape('interface Item { title: string; id: number }\nlet value: Item[] = [];');
    const b = shape('let value: Array<{ id: number;\n  title: string }> = [];');
    expect(a).toBe('{ id: number; title: string }[]');
    expect(b).toBe(a);
  });

  test('a required property or another element type is a different shape', () => {
    const base = shape('interface Item { id: number }\nlet value: Item[] = [];');
    expect(shape('interface Item { id: number; owner: string }\nlet value: Item[] = [];')).not.toBe(base);
    expect(shape('interface Item { id: string }\nlet value: Item[] = [];')).not.toBe(base);
  });

  test('optional, readonly, index signatures, methods, function properties, tuples, enums', () => {
    expect(shape('let value: { readonly a?: number; [key: string]: number | undefined } = {};')).toBe('{ [key: string]: number | undefined; readonly a?: number }');
    expect(shape('let value: { run(n: number, label?: string): void; cb: (...xs: string[]) => boolean } = null!;')).toBe(
      '{ cb: (...xs: string[]) => boolean; run: (n: number, label?: string) => void }',
    );
    expect(shape('let value: [number, string?, ...boolean[]] = [1];')).toBe('[number, string?, ...boolean[]]');
    expect(shape('let value: readonly (number | string)[] = [];')).toBe('readonly (number | string)[]');
    expect(shape('enum Color { Red, Green = 5 }\nlet value: Color = Color.Red;')).toBe('0 | 5');
    expect(shape('let value = (n: number) => String(n);')).toBe('(n: number) => string');
  });

  test('library types by name with shaped arguments', () => {
    expect(shape('interface S { n: number }\nlet value = new Map<string, S>();')).toBe('Map<string, { n: number }>');
    expect(shape('let value = new Set<number>();')).toBe('Set<number>');
    expect(shape('let value = new Date();')).toBe('Date');
    expect(shape('let value: Promise<string[]> = null!;')).toBe('Promise<string[]>');
    // A mapped library alias is written out: it compares equal to the same index signature.
    expect(shape('let value: Record<string, number> = {};')).toBe('{ [key: string]: number }');
  });

  test('a recursive type stops at the depth bound', () => {
    const text = shape('interface ListNode { value: number; next: ListNode | null }\nlet value: ListNode = null!;', { depth: 2 });
    expect(text).toBe('{ next: null | { next: unknown; value: number }; value: number }');
  });

  test('classes named by refName are brands; private members and type parameters', () => {
    const source = 'class Task { #secret = 1; private hidden = 2; title = ""; }\nclass Box<T> { item!: T; }\nlet value = new Task();\nlet box = new Box<number>();\nlet plain: Box<string> = new Box();';
    expect(shape(source)).toBe('{ title: string }');
    expect(shape(source, { refName: (s) => (s.getName() === 'Task' ? 'src/a.ts#Task' : undefined) })).toBe('{ "#ref": "src/a.ts#Task" }');
    expect(shape(source, { refName: (s) => `src/a.ts#${s.getName()}` }, 'box')).toBe('{ "#ref": "src/a.ts#Box<number>" }');
    expect(shape(source, {}, 'plain')).toBe('{ item: string }');
  });
});

describe('assignability: the checker decides whether old values fit the new shape', () => {
  test('widening, narrowing, properties, brands, arrays', () => {
    expect(isAssignable('number', 'number | string')).toBe(true);
    expect(isAssignable('number | string', 'number')).toBe(false);
    expect(isAssignable('{ a: number; b: string }', '{ a: number }')).toBe(true);
    expect(isAssignable('{ a: number }', '{ a: number; b: string }')).toBe(false);
    expect(isAssignable('{ a?: number }', '{ a: number }')).toBe(false);
    expect(isAssignable('{ a: number }', '{ a: number; b?: string }')).toBe(true);
    expect(isAssignable('{ "#ref": "src/a.ts#Task" }', '{ "#ref": "src/a.ts#Task" }')).toBe(true);
    expect(isAssignable('{ "#ref": "src/a.ts#Task" }', '{ "#ref": "src/b.ts#Task" }')).toBe(false);
    expect(isAssignable('{ id: number }[]', '{ id: number | string }[]')).toBe(true);
    expect(isAssignable('{ id: number }[]', '{ id: string }[]')).toBe(false);
    // Map's methods are checked bivariantly, so a wider value type is accepted, as tsc would.
    expect(isAssignable('Map<string, number>', 'Map<string, number | string>')).toBe(true);
  });

  test('one batch answers every pair in order', () => {
    const pairs = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? { from: 'string', to: 'number' } : { from: `${i}`, to: 'number' }));
    expect(assignability(pairs)).toEqual(pairs.map((_, i) => i % 3 !== 0));
  });

  test('a shape that is not a type is a clear error', () => {
    expect(() => isAssignable('{ a: ', 'number')).toThrow(/not a valid type shape: "\{ a: "/);
  });
});
