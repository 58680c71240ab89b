// What each part of the emitted code costs: the transform's real output for a steady-state case,
// edited by hand (textual replacements below) into variants that drop or replace one part, all
// measured against the plain program in the same process, in interleaved rounds.
//
// These are diagnostics, not targets: they back the suggestions in bench/README.md. Edits are
// plain string replacements of the current emitted code; if the transform's output changes, an
// edit that no longer applies is reported ("edit did not apply") instead of measuring nonsense.
//
//   node bench/variants.mjs [--rounds 21] [--json] [experiment ...]
//
// Each experiment runs in its own child process; its variants share that process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cases } from './cases.mjs';
import { fmtMs, fmtRatio, instrument, interleave, table, tempDir, writeModules } from './lib.mjs';

const self = fileURLToPath(import.meta.url);

/** A replacement that must apply (at least once). */
function replace(code, from, to) {
  if (!code.includes(from)) throw new Error(`edit did not apply: ${JSON.stringify(from)}`);
  return code.replaceAll(from, to);
}

const PROLOGUE_ADD = 'if (__hs_live.stale) return __hs.forward("add", this, arguments, new.target);';
const PROLOGUE_METHOD = 'if (__hs_live.stale) return __hs.method("Acc", "add", false, this, arguments);';
const PROLOGUE_CTOR = 'if (__hs_live.stale) return __hs.construct("Point", arguments, new.target);';
/** A module-level `var` flag instead of the marker function (with a setter so it is not constant). */
const varFlag = (code, prologue, replacement) =>
  replace(code, prologue, replacement).replace('function __hs_live() {}', 'function __hs_live() {} var __hs_stale = false; export function __hs_setStale(v) { __hs_stale = v; }');

/**
 * A global variable as the flag: TurboFan embeds a global's value when its property cell has
 * never changed (with a code dependency that deoptimizes if it does), so the check costs nothing.
 */
const globalFlag = (code, prologue, replacement) =>
  replace(code, prologue, replacement).replace('function __hs_live() {}', 'function __hs_live() {} globalThis.__hs_bench_stale = false;');

export const experiments = [
  {
    name: 'function-prologue',
    title: 'call-direct: the prologue of `add` (a 1-line function inlined into the loop)',
    source: 'call-direct',
    variants: [
      { name: 'emitted' },
      { name: 'no prologue in add', edit: (c) => replace(c, PROLOGUE_ADD, '') },
      { name: 'prologue without `arguments`/`new.target`', edit: (c) => replace(c, PROLOGUE_ADD, 'if (__hs_live.stale) return __hs.forward("add", this, null, undefined);') },
      {
        name: 'prologue reads a module `var` flag',
        edit: (c) => varFlag(c, PROLOGUE_ADD, 'if (__hs_stale) return __hs.forward("add", this, arguments, new.target);'),
      },
      { name: 'no `add = __hs.fn(...)` rebinding', edit: (c) => replace(c, 'add = __hs.fn("add", add);', '__hs.fn("add", add);') },
      {
        name: 'marker gets an own `stale = false` at once',
        edit: (c) => replace(c, 'function __hs_live() {}', 'function __hs_live() {} __hs_live.stale = false;'),
      },
      {
        name: 'marker is an object literal `{ stale: false }`',
        edit: (c) =>
          replace(
            replace(c, 'function __hs_live() {}', 'function __hs_live() {} var __hs_flag = { stale: false };'),
            PROLOGUE_ADD,
            'if (__hs_flag.stale) return __hs.forward("add", this, arguments, new.target);',
          ),
      },
      {
        name: 'prologue reads a global variable (constant-folded)',
        edit: (c) => globalFlag(c, PROLOGUE_ADD, 'if (__hs_bench_stale) return __hs.forward("add", this, arguments, new.target);'),
      },
      {
        name: 'prologue reads `typeof <flag> !== "undefined" && <flag>`',
        edit: (c) => globalFlag(c, PROLOGUE_ADD, 'if (typeof __hs_bench_stale !== "undefined" && __hs_bench_stale) return __hs.forward("add", this, arguments, new.target);'),
      },
      {
        name: 'prologue reads `globalThis.<flag>`',
        edit: (c) => globalFlag(c, PROLOGUE_ADD, 'if (globalThis.__hs_bench_stale) return __hs.forward("add", this, arguments, new.target);'),
      },
      {
        name: 'prologue reads `import.meta.__hs_stale`',
        edit: (c) => replace(c, PROLOGUE_ADD, 'if (import.meta.__hs_stale) return __hs.forward("add", this, arguments, new.target);'),
      },
      {
        name: 'marker function with a null prototype',
        edit: (c) => replace(c, 'function __hs_live() {}', 'function __hs_live() {} Object.setPrototypeOf(__hs_live, null);'),
      },
    ],
  },
  {
    // A separate process: once any module's import.meta gets the property, the shared map of all
    // import.meta objects is no longer stable, which would also slow the variant above.
    name: 'import-meta-flag',
    title: 'call-direct, prologue reads `import.meta.__hs_stale`, after another module set its own to true (as an update would)',
    source: 'call-direct',
    variants: [
      { name: 'emitted' },
      {
        name: 'prologue reads `import.meta.__hs_stale`',
        extraFiles: { 'flip.mjs': 'import.meta.__hs_stale = true;\n' },
        edit: (c) => `import './flip.mjs'; ${replace(c, PROLOGUE_ADD, 'if (import.meta.__hs_stale) return __hs.forward("add", this, arguments, new.target);')}`,
      },
    ],
  },
  {
    name: 'import-meta-proto-flag',
    title: 'same, but the other module went stale by getting a prototype `{ __hs_stale: true }` instead of an own property',
    source: 'call-direct',
    variants: [
      { name: 'emitted' },
      {
        name: 'prologue reads `import.meta.__hs_stale`',
        extraFiles: { 'flip.mjs': 'Object.setPrototypeOf(import.meta, { __hs_stale: true }); if (!import.meta.__hs_stale) throw new Error("flip");\n' },
        edit: (c) => `import './flip.mjs'; ${replace(c, PROLOGUE_ADD, 'if (import.meta.__hs_stale) return __hs.forward("add", this, arguments, new.target);')}`,
      },
    ],
  },
  {
    name: 'bigger-function',
    title: 'the same prologue in a function with a bigger body (a small string/array helper)',
    files: {
      'main.mjs': `
const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
function weight(i, s) {
  const name = names[(i + s) & 7];
  let w = 0;
  for (let k = 0; k < name.length; k++) w = (w * 31 + name.charCodeAt(k)) | 0;
  return (w ^ i) & 0xffff;
}
export function run(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + weight(i, s)) | 0;
  return s;
}
`,
    },
    variants: [{ name: 'emitted' }],
  },
  {
    name: 'method-prologue',
    title: 'method: the prologue of `Acc.add`',
    source: 'method',
    variants: [
      { name: 'emitted' },
      { name: 'no prologue in add', edit: (c) => replace(c, PROLOGUE_METHOD, '') },
      { name: 'prologue without `arguments`', edit: (c) => replace(c, PROLOGUE_METHOD, 'if (__hs_live.stale) return __hs.method("Acc", "add", false, this, null);') },
      {
        name: 'prologue reads a global variable (constant-folded)',
        edit: (c) => globalFlag(c, PROLOGUE_METHOD, 'if (__hs_bench_stale) return __hs.method("Acc", "add", false, this, arguments);'),
      },
    ],
  },
  {
    name: 'constructor',
    title: 'new-temp: the constructor prologue and the class rebinding',
    source: 'new-temp',
    variants: [
      { name: 'emitted' },
      { name: 'no constructor prologue', edit: (c) => replace(c, PROLOGUE_CTOR, '') },
      { name: 'prologue without `arguments`/`new.target`', edit: (c) => replace(c, PROLOGUE_CTOR, 'if (__hs_live.stale) return __hs.construct("Point", null, undefined);') },
      { name: 'no `Point = __hs_class_Point = ...` rebinding', edit: (c) => replace(c, 'Point = __hs_class_Point = __hs.cls(', '__hs_class_Point = __hs.cls(') },
      {
        name: 'prologue reads a global variable (constant-folded)',
        edit: (c) => globalFlag(c, PROLOGUE_CTOR, 'if (__hs_bench_stale) return __hs.construct("Point", arguments, new.target);'),
      },
    ],
  },
  {
    name: 'constructor-escaping',
    title: 'new (instances kept in a ring, so they are really allocated): the same edits',
    source: 'new',
    variants: [
      { name: 'emitted' },
      { name: 'no constructor prologue', edit: (c) => replace(c, PROLOGUE_CTOR, '') },
      {
        name: 'prologue reads a global variable (constant-folded)',
        edit: (c) => globalFlag(c, PROLOGUE_CTOR, 'if (__hs_bench_stale) return __hs.construct("Point", arguments, new.target);'),
      },
    ],
  },
  {
    name: 'export-let',
    title: 'export-let-rw: writes to an `export let` (MirroredCell setter + mirror closure)',
    source: 'export-let-rw',
    variants: [
      { name: 'emitted' },
      {
        name: 'plain Cell, mirror assigned inline at the write',
        edit: (c) =>
          replace(
            replace(
              replace(c, '__hs.cell("counter", true)', '__hs.cell("counter")'),
              'counter.mirror((v) => { __hs_export_counter = v; });',
              '',
            ),
            'counter.v = (counter.v + (i & 3)) | 0;',
            '__hs_export_counter = counter.v = (counter.v + (i & 3)) | 0;',
          ),
      },
    ],
  },
  {
    name: 'forward-after-update',
    title: 'call-direct after one update: every call of `add` goes stable v1 → __hs.forward → v2',
    source: 'call-direct',
    updated: 'main.mjs',
    variants: [
      { name: 'emitted' },
      {
        name: 'prologue applies the latest itself (no `arguments` escape)',
        edit: (c) => replace(c, PROLOGUE_ADD, 'if (__hs_live.stale) return Reflect.apply(__hs.lineage.functions.get("add").latest, this, arguments);'),
      },
      {
        name: 'same, with the record cached in a module `var`',
        edit: (c) =>
          replace(
            replace(c, 'function __hs_live() {}', 'function __hs_live() {} var __hs_rec_add;'),
            PROLOGUE_ADD,
            'if (__hs_live.stale) return Reflect.apply((__hs_rec_add ??= __hs.lineage.functions.get("add")).latest, this, arguments);',
          ),
      },
      {
        name: 'v2 calls its own `add` (no rebinding to the stable one)',
        edit: (c) => replace(c, 'add = __hs.fn("add", add);', '__hs.fn("add", add);'),
      },
    ],
  },
  {
    name: 'construct-after-update',
    title: 'new after one update: `new Point` goes stable v1 → __hs.construct → Reflect.construct(v2, args, stable)',
    source: 'new-temp',
    updated: 'main.mjs',
    variants: [
      { name: 'emitted' },
      {
        name: 'construct v2 normally, then setPrototypeOf(stable.prototype)',
        edit: (c) =>
          replace(
            c,
            PROLOGUE_CTOR,
            'if (__hs_live.stale) { const o = Reflect.construct(__hs.lineage.classes.get("Point").latest, arguments); Object.setPrototypeOf(o, new.target.prototype); return o; }',
          ),
      },
      {
        name: 'lower bound: construct v2 normally (instance gets v2\'s prototype)',
        edit: (c) => replace(c, PROLOGUE_CTOR, 'if (__hs_live.stale) return Reflect.construct(__hs.lineage.classes.get("Point").latest, arguments);'),
      },
      {
        name: 'v2 constructs its own class (no rebinding to the stable one)',
        edit: (c) => replace(c, 'Point = __hs_class_Point = __hs.cls(', '__hs_class_Point = __hs.cls('),
      },
    ],
  },
];

// The suggestion the experiments above point to, applied to every prologue of the cases that
// have one: each `__hs_live.stale` reads a global variable instead (one global shared by all
// modules here, which is fine as nothing is ever updated in these runs).
const allProloguesGlobal = (c) =>
  c.replaceAll('__hs_live.stale', '__hs_bench_stale').replace('function __hs_live() {}', 'function __hs_live() {} globalThis.__hs_bench_stale = false;');
for (const name of ['call-direct', 'call-arrow', 'call-ref', 'call-import', 'method', 'private-method', 'new', 'new-temp']) {
  experiments.push({
    name: `global-flag:${name}`,
    title: `${name}: every prologue reads a global variable instead of \`__hs_live.stale\``,
    source: name,
    variants: [{ name: 'emitted' }, { name: 'prologues read a global flag', edit: allProloguesGlobal }],
  });
}

async function loadVariant(files, edit, updated, extraFiles = {}) {
  const dir = tempDir();
  const out = { ...extraFiles };
  for (const [name, code] of Object.entries(files)) {
    const emitted = await instrument(code, name, { hot: `${dir}/${name}` });
    out[name] = edit ? edit(emitted) : emitted;
  }
  const urls = writeModules(dir, out);
  const mod = await import(urls['main.mjs']);
  if (updated !== undefined) {
    const v2 = writeModules(dir, { [`v2-${updated}`]: out[updated] });
    await import(v2[`v2-${updated}`]);
  }
  return mod;
}

export async function runExperiment(exp, opts) {
  const files = exp.files ?? cases.find((c) => c.name === exp.source).files;
  const plainUrls = writeModules(tempDir(), files);
  const mods = [await import(plainUrls['main.mjs'])];
  const measured = [{ name: 'plain' }];
  const skipped = [];
  for (const v of exp.variants) {
    try {
      mods.push(await loadVariant(files, v.edit, exp.updated, v.extraFiles));
      measured.push(v);
    } catch (error) {
      // The emitted code changed so that the hand edit no longer applies (or the variant broke).
      skipped.push({ name: v.name, error: String(error.message ?? error).split('\n')[0] });
    }
  }
  const r = interleave(mods, opts);
  return {
    name: exp.name,
    title: exp.title,
    n: r.n,
    mismatch: r.mismatch,
    variants: measured.map((v, i) => ({ name: v.name, ...r.variants[i] })),
    skipped,
  };
}

/** Runs each experiment in its own child process (variants of one experiment share a process). */
export async function runVariants({ rounds = 21, only = [], onResult } = {}) {
  const results = [];
  for (const exp of experiments) {
    if (only.length > 0 && !only.includes(exp.name)) continue;
    const r = await new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [...process.execArgv, self, '--rounds', String(rounds), '--child', exp.name], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.on('error', reject);
      proc.on('close', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split('\n').pop()))
          : resolve({ name: exp.name, title: `${exp.title} — FAILED (exit code ${code}, see stderr)`, mismatch: [], variants: [], skipped: [] }),
      );
    });
    results.push(r);
    onResult?.(r);
  }
  return results;
}

export function variantsSection(r) {
  return `#### ${r.name}: ${r.title}${r.mismatch.length > 0 ? ' (RESULT MISMATCH)' : ''}\n\n${variantsTable(r)}`;
}

export function variantsTable(result) {
  return table(
    ['variant', 'median ms', 'ns/iter', 'ratio to plain', 'paired ratio [IQR]'],
    [
      ...result.variants.map((v) => [
        v.name,
        fmtMs(v.median),
        v.nsPerIter.toFixed(2),
        fmtRatio(v.ratio),
        `${fmtRatio(v.pairedRatio)} [${fmtRatio(v.ratioQ1)}–${fmtRatio(v.ratioQ3)}]`,
      ]),
      ...(result.skipped ?? []).map((v) => [v.name, `not measured: ${v.error}`, '', '', '']),
    ],
  );
}

if (process.argv[1] === self) {
  const args = process.argv.slice(2);
  const opts = { rounds: 21, sampleMs: 15, warmupMs: 400 };
  const only = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--rounds') opts.rounds = Number(args[++i]);
    else if (args[i] === '--child') opts.child = args[++i];
    else if (args[i] === '--json') opts.json = true;
    else only.push(args[i]);
  }
  if (opts.child !== undefined) {
    const r = await runExperiment(experiments.find((e) => e.name === opts.child), opts);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    const results = await runVariants({ ...opts, only });
    if (opts.json) console.log(JSON.stringify(results, null, 2));
    else for (const r of results) console.log(`\n${variantsSection(r)}`);
  }
}
