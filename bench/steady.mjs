// Steady-state overhead: each case's program is loaded twice as real ES modules, once plain and
// once instrumented by hotstate's transform, and both run in the same process in interleaved
// rounds. Each case runs in its own child process so JIT feedback from one case cannot leak into
// another.
//
//   node bench/steady.mjs [--rounds 25] [--sample-ms 15] [--after-update] [case ...]
//
// The children run with --allow-natives-syntax, only to report V8's optimization status of the
// function with the hot loop (it does not change how code is optimized).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterUpdate, cases } from './cases.mjs';
import { describeOptStatus, fmtMs, fmtRatio, instrument, interleave, natives, table, tempDir, writeModules } from './lib.mjs';

const self = fileURLToPath(import.meta.url);

function parseArgs(argv) {
  const opts = { rounds: 25, sampleMs: 15, warmupMs: 400, afterUpdate: false, only: [], child: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') opts.rounds = Number(argv[++i]);
    else if (a === '--sample-ms') opts.sampleMs = Number(argv[++i]);
    else if (a === '--warmup-ms') opts.warmupMs = Number(argv[++i]);
    else if (a === '--after-update') opts.afterUpdate = true;
    else if (a === '--child') opts.child = argv[++i];
    else if (a === '--json') opts.json = true;
    else opts.only.push(a);
  }
  return opts;
}

/** Loads both variants of one case; with `updated`, the instrumented program gets one hot update first. */
async function load(spec, updated) {
  const plainDir = tempDir();
  const hotDir = tempDir();
  const plainUrls = writeModules(plainDir, spec.files);
  const hotFiles = {};
  // Each file is its own module with its own (fake) hot context, keyed by directory + name.
  for (const [name, code] of Object.entries(spec.files)) hotFiles[name] = await instrument(code, name, { hot: `${hotDir}/${name}` });
  const hotUrls = writeModules(hotDir, hotFiles);
  const plain = await import(plainUrls['main.mjs']);
  const hot = await import(hotUrls['main.mjs']);
  if (updated !== undefined) {
    // A new version of `updated` (same source), evaluated under the same hot context: an update.
    const v2 = writeModules(hotDir, { [`v2-${updated}`]: hotFiles[updated] });
    await import(v2[`v2-${updated}`]);
  }
  return { plain, hot };
}

async function runChild(name, opts, updated) {
  const spec = cases.find((c) => c.name === name);
  if (!spec) throw new Error(`unknown case ${name}`);
  const { plain, hot } = await load(spec, updated);
  const r = interleave([plain, hot], opts);
  const [p, h] = r.variants;
  // The function with the hot loop, for the optimization status (`probe` when it is not `run`).
  const status = natives
    ? { plain: describeOptStatus(natives.optStatus(plain.probe ?? plain.run)), hot: describeOptStatus(natives.optStatus(hot.probe ?? hot.run)) }
    : undefined;
  return {
    name,
    updated: updated ?? null,
    n: r.n,
    rounds: r.rounds,
    plainMedian: p.median,
    hotMedian: h.median,
    ratio: h.ratio,
    pairedRatio: h.pairedRatio,
    ratioQ1: h.ratioQ1,
    ratioQ3: h.ratioQ3,
    nsPerIterPlain: p.nsPerIter,
    nsPerIterHot: h.nsPerIter,
    mismatch: r.mismatch,
    status,
    sink: r.sink,
  };
}

function child(args) {
  return new Promise((resolve, reject) => {
    // --allow-natives-syntax only lets the harness read V8's optimization status of run().
    const flags = [...new Set([...process.execArgv, '--allow-natives-syntax'])];
    const proc = spawn(process.execPath, [...flags, self, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) {
        const [name, updated] = args[args.length - 1].split('@');
        return resolve({ name, updated: updated ?? null, error: `exited with code ${code} (see stderr)` });
      }
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

/** Runs the cases (each in a child process) and returns their results. */
export async function runSteady(opts = {}) {
  const o = { ...parseArgs([]), ...opts };
  const common = ['--rounds', String(o.rounds), '--sample-ms', String(o.sampleMs), '--warmup-ms', String(o.warmupMs)];
  const selected = o.only.length > 0 ? cases.filter((c) => o.only.includes(c.name)) : cases;
  const results = [];
  for (const spec of selected) {
    const r = await child([...common, '--child', spec.name]);
    results.push(r);
    o.onResult?.(r);
  }
  if (o.afterUpdate) {
    for (const { name, updated } of afterUpdate) {
      if (o.only.length > 0 && !o.only.includes(name)) continue;
      // Fewer rounds: the forwarded variants are slow and their ratios large.
      const r = await child([...common, '--rounds', String(Math.min(o.rounds, 11)), '--child', `${name}@${updated}`]);
      results.push(r);
      o.onResult?.(r);
    }
  }
  return results;
}

export function steadyTable(results) {
  const rows = results.map((r) => {
    const spec = cases.find((c) => c.name === r.name);
    const label = r.updated ? `${r.name} (after update of ${r.updated})` : r.name;
    if (r.error) return [label, `FAILED: ${r.error}`, '', '', '', '', '', ...(results.some((x) => x.status) ? [''] : [])];
    const flag = r.mismatch.length > 0 ? ' RESULT MISMATCH' : '';
    const target = !r.updated && spec.target ? (r.ratio <= 1.05 ? 'ok' : 'MISSED') : '';
    return [
      label + flag,
      fmtMs(r.plainMedian),
      fmtMs(r.hotMedian),
      `${r.nsPerIterPlain.toFixed(2)} / ${r.nsPerIterHot.toFixed(2)}`,
      fmtRatio(r.ratio),
      `${fmtRatio(r.pairedRatio)} [${fmtRatio(r.ratioQ1)}–${fmtRatio(r.ratioQ3)}]`,
      target,
      ...(r.status ? [`${r.status.plain} / ${r.status.hot}`] : []),
    ];
  });
  const header = ['case', 'plain ms', 'hotstate ms', 'ns/iter plain / hot', 'ratio of medians', 'median paired ratio [IQR]', '≤1.05'];
  if (results.some((r) => r.status)) header.push('V8 status of run() plain / hot');
  return table(header, rows);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.child !== undefined) {
  const [name, updated] = opts.child.split('@');
  const result = await runChild(name, opts, updated);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else if (process.argv[1] === self) {
  const results = await runSteady({ ...opts, onResult: (r) => console.error(`  ${r.updated ? `${r.name}@${r.updated}` : r.name}: ${r.error ?? `ratio ${fmtRatio(r.ratio)}`}`) });
  if (opts.json) console.log(JSON.stringify(results, null, 2));
  else console.log(steadyTable(results));
}
