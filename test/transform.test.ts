import { parseSync } from 'oxc-parser';
import { describe, expect, test } from 'vitest';
import { unpackSchema } from '../runtime/contract.ts';
import { transform } from '../plugin/transform.ts';

/** The instrumented body without the one-line prelude and the trailing commit, for readable snapshots. */
function body(code: string): string {
  const out = transform(code, { id: 'src/m.ts', filename: 'src/m.ts' })!.code;
  return out.replace(/^import \{ __hotstate as __hs_rt \}.*?function __hs_live\(\) \{\}\s?/, '').replace(/\n__hs\.commit\(\);\n$/, '');
}

function prelude(code: string): string {
  return transform(code, { id: 'src/m.ts', filename: 'src/m.ts' })!.code.split('\n')[0]!;
}

describe('transform output', () => {
  test('let becomes a store cell; every reference reads it', () => {
    expect(body(`let count: number = 0;\nfunction inc() { count++; return { count }; }`)).toMatchInlineSnapshot(`
      "inc = __hs.fn("inc", inc);const count = __hs.cell("count"); if (count.fresh) count.init(0);;
      function inc() { if (typeof __hs_stale_618c8900 !== "undefined" && __hs_stale_618c8900 && __hs_live.stale) return __hs.forward("inc", this, arguments, new.target); count.v++; return { count: count.v }; }"
    `);
  });

  test('export let is mirrored into a live binding for importers', () => {
    expect(body(`export let total = 1, other;`)).toMatchInlineSnapshot(`"const total = __hs.cell("total", { exported: true }); if (total.fresh) total.init(1); let __hs_export_total = total.v; __hs.mirror(total, (v) => { __hs_export_total = v; }); export { __hs_export_total as total }; const other = __hs.cell("other", { exported: true }); if (other.fresh) other.init(void 0); let __hs_export_other = other.v; __hs.mirror(other, (v) => { __hs_export_other = v; }); export { __hs_export_other as other };;"`);
  });

  test('destructuring initializes only the bindings the store lacks', () => {
    expect(body(`let { a, b: [c = 1] } = load();`)).toMatchInlineSnapshot(`"const a = __hs.cell("a"); const c = __hs.cell("c"); if (a.fresh || c.fresh) ({ a: (a.fresh ? a : __hs.sink).v, b: [(c.fresh ? c : __hs.sink).v = 1] } = load());;"`);
  });

  test('shadowed names are left alone', () => {
    expect(body(`let x = 1;\nfunction f(x) { return x; }\nfunction g() { const x = 2; return x; }\nconst h = () => { let y = x; { let x = 3; y += x; } return y; };`)).toMatchInlineSnapshot(`
      "f = __hs.fn("f", f); g = __hs.fn("g", g);const x = __hs.cell("x"); if (x.fresh) x.init(1);;
      function f(x) { if (typeof __hs_stale_f8a3fb02 !== "undefined" && __hs_stale_f8a3fb02 && __hs_live.stale) return __hs.forward("f", this, arguments, new.target); return x; }
      function g() { if (typeof __hs_stale_f8a3fb02 !== "undefined" && __hs_stale_f8a3fb02 && __hs_live.stale) return __hs.forward("g", this, arguments, new.target); const x = 2; return x; }
      const h = __hs.fn("h", { h()  { if (__hs_stale_f8a3fb02 && __hs_live.stale) return __hs.call("h", arguments); let y = x.v; { let x = 3; y += x; } return y; } }.h);"
    `);
  });

  test('function declarations register their stable identity first thing', () => {
    expect(prelude(`export function f() {}`)).toContain(`function __hs_live() {} f = __hs.fn("f", f);`);
    expect(body(`export function* gen(a, b) { yield a; }`)).toMatchInlineSnapshot(`"gen = __hs.fn("gen", gen);export function* gen(a, b) { if (typeof __hs_stale_073118ef !== "undefined" && __hs_stale_073118ef && __hs_live.stale) return yield* __hs.forward("gen", this, arguments, new.target); yield a; }"`);
  });

  test('arrow functions become methods: not constructible, with arguments for forwarding', () => {
    expect(body(`const add = (a: number, b = 2) => a + b;\nconst one = async x => { return this; };`)).toMatchInlineSnapshot(`
      "const add = __hs.fn("add", { add(a: number, b = 2)  { if (__hs_stale_0ad93dad && __hs_live.stale) return __hs.call("add", arguments); return (a + b); } }.add);
      const one = __hs.fn("one", { async one (x)  { if (__hs_stale_0ad93dad && __hs_live.stale) return __hs.call("one", arguments); return (void 0); } }.one);"
    `);
  });

  test('classes: private members reached through every version, prologues, static state, alias for self-references', () => {
    expect(
      body(`export class C extends B {\n  #n = 0;\n  static made = 0;\n  tag = make();\n  get n() { return this.#n; }\n  bump() { this.#n++; return #n in this ? new C() : null; }\n}`),
    ).toMatchInlineSnapshot(`
      "let __hs_class_C; export class C extends B { static { __hs.privates("C", __hs_class_C = this, { "#n": ["field", (o) => o.#n, (o, v) => o.#n = v, (o) => #n in o] }); } constructor(...args) { if (__hs_stale_2523ba8c && __hs_live.stale) return __hs.construct("C", args, new.target); super(...args); }
        #n = 0;
        static made = __hs.staticFresh("C", "made") ? (0) : void 0;
        tag = make();
        get n() { return (#n in this ? this.#n : __hs.pget("C", "#n", this)); }
        bump() { if (__hs_stale_2523ba8c && __hs_live.stale) return __hs.method("C", "bump", this, arguments); (#n in this ? this.#n++ : __hs.pupdate("C", "#n", this, 1, false)); return (#n in this || __hs.phas("C", "#n", this)) ? new __hs_class_C() : null; }
      } C = __hs_class_C = __hs.cls("C", C, { "#n"() { return (0); }, "tag"() { return (make()); } });"
    `);
  });

  test("once from hotstate/runtime is routed to the module's own bookkeeping", () => {
    expect(body(`import { once as o } from 'hotstate/runtime';\no('k', () => {});\nconst keep = o;`)).toMatchInlineSnapshot(`
      "import { once as o } from 'hotstate/runtime';
      __hs.once('k', () => {});
      const keep = o;"
    `);
  });

  test("emitted names never collide with the module's own", () => {
    expect(prelude(`let __hs = 1;`)).toMatch(/^import \{ __hotstate as __hs1_rt \}/);
  });

  test('// @hotstate ignore opts a module out', () => {
    expect(transform(`// @hotstate ignore\nlet x = 1;`, { id: 'a.ts', filename: 'a.ts' })).toBeNull();
  });

  test('a syntax error names the file, line and column and says what to do', () => {
    expect(() => transform(`let x = 1;\nlet y = ;`, { id: 'src/bad.ts', filename: '/p/src/bad.ts' })).toThrow(
      /\[hotstate\] syntax error at \/p\/src\/bad\.ts:2:9: .*Fix it and save again/s,
    );
  });

  test('every original line keeps its number', () => {
    const source = `let a = 1;\nexport function f() {\n  return a;\n}\nclass K { #p = 1; get p() { return this.#p; } }\nconst g = () => a;\n`;
    const out = transform(source, { id: 'm.ts', filename: 'm.ts' })!.code.split('\n');
    expect(out[2]).toContain('return a.v;');
    expect(out[5]).toContain('const g = __hs.fn("g"');
  });

  test('the schema lists state, code, functions and classes with declared types, sorted', () => {
    const result = transform(`export let b: number | string = 1;\nlet a = [];\nconst K = 1;\nclass C { static s = 1; #p: string = ''; constructor(private q: number) {} }`, { id: 'm.ts', filename: 'm.ts' })!;
    expect(result.schema).toMatchInlineSnapshot(`
      {
        "bindings": [
          {
            "kind": "class",
            "line": 4,
            "name": "C",
          },
          {
            "kind": "const",
            "line": 3,
            "name": "K",
          },
          {
            "init": "741638a5",
            "kind": "state",
            "line": 2,
            "name": "a",
          },
          {
            "init": "340ca71c",
            "kind": "state",
            "line": 1,
            "name": "b",
            "type": "number|string",
          },
        ],
        "classes": [
          {
            "fields": [
              {
                "init": "7abea033",
                "line": 4,
                "name": "#p",
                "static": false,
                "type": "string",
              },
              {
                "line": 4,
                "name": "q",
                "static": false,
                "type": "number",
              },
              {
                "init": "340ca71c",
                "line": 4,
                "name": "s",
                "static": true,
              },
            ],
            "line": 4,
            "name": "C",
          },
        ],
      }
    `);
  });

  test.each([
    ['private names that would collide once joined', 'class A_b { #c = 1; m() { return this.#c; } }\nclass A { #b_c = 2; m() { return this.#b_c; } }', 'm.ts'],
    ['a generic arrow whose type parameter holds an arrow type', 'const f = <T = () => void,>() => 1;', 'm.ts'],
    ['a comment between async and the parameters', 'const f = async /* c */ () => 1;\nconst g = async /* c */ x => x;', 'm.ts'],
    ['JSX in a .js file', 'let Comp = () => null;\nexport const el = <div>{Comp()}</div>;', 'm.js'],
    ['a hashbang line', '#!/usr/bin/env node\nlet x = 1;\nexport function f() { return x; }', 'm.ts'],
    ['a module let named undefined', 'let undefined = 1;\nconst f = () => this;\nexport { f };', 'm.ts'],
    ['TypeScript-only syntax', 'declare let d: number;\nlet x!: number;\nfunction o(a: string): void;\nfunction o(a: any) { return a; }\nenum E { A }\nnamespace N { export var v = 1; }\nabstract class K { abstract m(): void; }\nexport type T = typeof x;\nlet s = { a: 1 } satisfies object;', 'm.ts'],
    ['labels, using and optional calls', 'let f = () => 1;\nouter: for (;;) { break outer; }\nf?.();\nlet g = f;\nexport { g as "quoted name" };', 'm.ts'],
  ])('%s: the output parses', (_name, source, filename) => {
    const out = transform(source, { id: filename, filename })!.code;
    expect(parseSync(filename, out, { sourceType: 'module', lang: filename.endsWith('.js') ? 'jsx' : 'ts' }).errors).toEqual([]);
  });

  test('JSX tags that name a module let read its cell; element names are left alone', () => {
    const out = transform('let Comp = () => null;\nlet ns = { Inner: Comp };\nexport const el = <div><Comp a={1} /><ns.Inner></ns.Inner></div>;', { id: 'm.tsx', filename: 'm.tsx' })!.code;
    expect(out).toContain('<div><Comp.v a={1} /><ns.v.Inner></ns.v.Inner></div>');
  });

  test('a hashbang stays on the first line', () => {
    expect(transform('#!/usr/bin/env node\nlet x = 1;', { id: 'm.ts', filename: 'm.ts' })!.code.startsWith('#!/usr/bin/env node\nimport ')).toBe(true);
  });

  test('emitted code never relies on the name undefined', () => {
    const out = transform('let undefined = 1;\nlet y;\nconst f = () => this;\nclass K { static s = 1; t = g(); }', { id: 'm.ts', filename: 'm.ts' })!.code;
    expect(out).toContain('return ((void 0));');
    expect(out).toContain('__hs.call("f", arguments)');
    expect(out).toContain('if (y.fresh) y.init(void 0)');
    expect(out).toContain(': void 0');
  });

  test('the schema travels packed in one string literal, and unpacks to the schema', () => {
    const source = `let quoted: 'it\\'s' | "a\\"b" | \`\\\\\` = 'it\\'s';\nlet plain;\nconst K = 1;\nexport class C { static s = 1; #p: string = ''; q; constructor(private r: number) {} }\nexport function f() {}\n`;
    const result = transform(source, { id: 'm.ts', filename: 'm.ts' })!;
    const literal = /"schema":('(?:[^'\\]|\\.)*')/.exec(result.code)![1]!;
    expect(unpackSchema(new Function(`return ${literal}`)() as string)).toEqual(result.schema);
    expect(result.schema.bindings.find((b) => b.name === 'quoted')!.type).toContain("'it\\'s'");
  });

  test('type-only exports are not exports: a module that exports them with its state and functions accepts itself', () => {
    const out = (source: string) => transform(source, { id: 'm.ts', filename: 'm.ts' })!.code;
    expect(out(`export interface I { a: number }\nexport type T = I;\nexport default interface D {}\nexport let n = 1;\nexport function f() {}\n`)).toContain(
      'if (import.meta.hot) import.meta.hot.accept((m) =>',
    );
    expect(out(`export interface I { a: number }\nexport const code = 1;\nexport function f() {}\n`)).toContain('import.meta.hot.acceptExports(["f"],');
  });

  test('formatting of a declared type does not count as a change', () => {
    const schema = (type: string) => transform(`let m: ${type} = new Map();`, { id: 'm.ts', filename: 'm.ts' })!.schema.bindings[0]!.type;
    expect(schema('Map<string,number>')).toBe(schema('Map< string , number >'));
    expect(schema('(A | B)')).toBe(schema('A|B'));
    expect(schema('A /* note */ | B')).toBe(schema('A | B'));
    expect(schema('readonly string[]')).toBe('readonly string[]');
  });

  test('with React Fast Refresh, components (in .tsx) and hooks are left to it; state and other functions are not', () => {
    const source = `let clicks = 0;\nexport function App() { return <b>{clicks}</b>; }\nexport const Badge = () => <i />;\nexport function useClicks() { return clicks; }\nexport function click() { clicks++; }\n`;
    const out = transform(source, { id: 'src/App.tsx', filename: '/p/src/App.tsx', refresh: true })!.code;
    expect(out).not.toMatch(/__hs\.fn\("(App|Badge|useClicks)"/);
    expect(out).toContain('click = __hs.fn("click", click);');
    expect(out).toContain('export const Badge = () => <i />;');
    expect(out).toContain('const clicks = __hs.cell("clicks")');
    // App, Badge and useClicks are new objects in every version: importers are not covered by this module's accept.
    expect(out).toContain('import.meta.hot.acceptExports(["click"]');
    // In a .ts file only hooks are left to Fast Refresh (its transform registers components in .jsx/.tsx only).
    const ts = transform(`export function Point() {}\nexport function useThing() {}\n`, { id: 'src/m.ts', filename: '/p/src/m.ts', refresh: true })!.code;
    expect(ts).toContain('Point = __hs.fn("Point", Point);');
    expect(ts).not.toContain('__hs.fn("useThing"');
    // Without the option nothing changes.
    expect(transform(source, { id: 'src/App.tsx', filename: '/p/src/App.tsx' })!.code).toContain('App = __hs.fn("App", App);');
  });
});
