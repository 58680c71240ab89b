// Shared helpers for the hotstate benchmarks: building the transform/runtime, instrumenting
// plain-JS sources, writing modules to a temp dir, statistics and formatting.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The benchmarks compile plugin/ and runtime/ into bench/.build/dist (never touching dist/). */
export const BUILD_DIR = path.join(ROOT, 'bench', '.build', 'dist');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Where the compiled transform and runtime are. `mode` is 'private' (compile the current sources
 * into bench/.build/dist with the repo's tsc; default) or 'dist' (use dist/ from `npm run build`).
 */
export function distDir(mode = process.env.HOTSTATE_BENCH_DIST ?? 'private') {
  if (mode === 'dist') {
    const dir = path.join(ROOT, 'dist');
    if (!existsSync(path.join(dir, 'plugin', 'transform.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    const src = Math.max(newestMtime(path.join(ROOT, 'plugin')), newestMtime(path.join(ROOT, 'runtime')));
    if (src > statSync(path.join(dir, 'runtime', 'index.js')).mtimeMs) console.warn('warning: plugin/ or runtime/ is newer than dist/ (run `npm run build`)');
    return dir;
  }
  return BUILD_DIR;
}

/** Compiles plugin/ and runtime/ into bench/.build/dist. */
export function buildPrivate() {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', BUILD_DIR, '--sourceMap', 'false'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } catch (error) {
    // tsc still emits JavaScript when there are type errors; carry on if it did.
    if (!existsSync(path.join(BUILD_DIR, 'plugin', 'transform.js')) || !existsSync(path.join(BUILD_DIR, 'runtime', 'index.js'))) throw error;
    console.warn('warning: tsc reported errors (see above); benchmarking the JavaScript it emitted anyway');
  }
}

let transformModule;
/** Loads `transform` from the compiled plugin. */
export async function loadTransform(dir = distDir()) {
  transformModule ??= await import(pathToFileURL(path.join(dir, 'plugin', 'transform.js')).href);
  return transformModule.transform;
}

export function runtimeUrl(dir = distDir()) {
  return pathToFileURL(path.join(dir, 'runtime', 'index.js')).href;
}

/**
 * Instruments a plain-JS module source. With `hot` (a string key), `import.meta.hot` is replaced
 * by `globalThis.__benchHot(key)`, an emulation of Vite's per-module hot context (see `hotFor`),
 * so successive versions instrumented with the same key share one lineage: loading a new version
 * is a real hot update. Without it `import.meta.hot` stays (undefined in Node: a fresh lineage).
 */
export async function instrument(code, id, { hot } = {}) {
  const transform = await loadTransform();
  const result = transform(code, { id, filename: id, runtime: runtimeUrl() });
  if (result === null) throw new Error(`${id} opted out of instrumentation`);
  if (result.diagnostics.length > 0) console.warn(`${id}:`, result.diagnostics);
  return hot === undefined ? result.code : result.code.replaceAll('import.meta.hot', `globalThis.__benchHot(${JSON.stringify(hot)})`);
}

const hots = new Map();
/** The fake `import.meta.hot` of lineage `key`: `data` persists across versions, as in Vite. */
export function hotFor(key) {
  let hot = hots.get(key);
  if (hot === undefined) {
    hot = { data: {}, accept() {}, acceptExports() {}, send() {}, prune() {}, dispose() {}, on() {}, off() {} };
    hots.set(key, hot);
  }
  return hot;
}
globalThis.__benchHot = hotFor;

let tempRoot;
/** A fresh directory under the OS temp dir for generated modules (removed at exit). */
export function tempDir(prefix = 'hotstate-bench-') {
  if (tempRoot === undefined) {
    tempRoot = mkdtempSync(path.join(tmpdir(), prefix));
    process.on('exit', () => rmSync(tempRoot, { recursive: true, force: true }));
  }
  const dir = mkdtempSync(path.join(tempRoot, 'm-'));
  return dir;
}

/** Writes `files` ({ name: source }) into `dir`; returns { name: file URL }. */
export function writeModules(dir, files) {
  mkdirSync(dir, { recursive: true });
  const urls = {};
  for (const [name, code] of Object.entries(files)) {
    const full = path.join(dir, name);
    writeFileSync(full, code);
    urls[name] = pathToFileURL(full).href;
  }
  return urls;
}

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
export const median = (values) => quantile(values, 0.5);

/** Optional V8 introspection, available when node runs with --allow-natives-syntax. */
export const natives = (() => {
  try {
    return { optStatus: new Function('f', 'return %GetOptimizationStatus(f)') };
  } catch {
    return undefined;
  }
})();

/** Decodes the bits of %GetOptimizationStatus that matter here. */
export function describeOptStatus(status) {
  const flags = [];
  if (status & (1 << 4)) flags.push('optimized');
  if (status & (1 << 5)) flags.push('maglev');
  if (status & (1 << 6)) flags.push('turbofan');
  if (status & (1 << 7)) flags.push('interpreted');
  if (status & (1 << 8)) flags.push('marked-for-opt');
  if (status & (1 << 15)) flags.push('baseline');
  if (status & (1 << 3)) flags.push('never-optimize');
  return flags.join('+') || String(status);
}

export const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
export const fmtRatio = (r) => r.toFixed(3);

/** Renders rows (arrays of strings) as a markdown table. */
export function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => String(row[i]).length)));
  const line = (row) => `| ${row.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/**
 * Runs `run(n)` of each module in `mods` (an array; index 0 is the baseline) in interleaved
 * rounds: every round runs each variant once, in an order rotated round by round. `n` is
 * calibrated so that a sample takes about `sampleMs` (see below). Returns, per variant,
 * its samples, median and the median ratio to the baseline (ratio of medians and median of the
 * per-round ratios, with quartiles), plus `mismatch` when the variants' results differ.
 */
export function interleave(mods, { rounds = 25, sampleMs = 15, warmupMs = 400 } = {}) {
  let sink = 0;
  const time = (mod, n) => {
    const t0 = performance.now();
    const r = mod.run(n);
    const t1 = performance.now();
    sink = (sink + r) | 0;
    return [t1 - t0, r];
  };
  // A first warm-up with growing n, so that calibration sees optimized code.
  let n = 1000;
  const firstWarmEnd = performance.now() + warmupMs / 2;
  while (performance.now() < firstWarmEnd) {
    const slowest = Math.max(...mods.map((mod) => time(mod, n)[0]));
    if (slowest < sampleMs / 4) n *= 2;
  }
  // n: the fastest variant takes about sampleMs, unless that makes the slowest take more than
  // 20 × sampleMs (for large ratios, where precision of the fast one matters less).
  n = Math.max(1000, n >> 4);
  for (;;) {
    const ms = mods.map((mod) => time(mod, n)[0]);
    const slowest = Math.max(...ms);
    if (slowest >= sampleMs / 4 || n > 1e9) {
      const fastest = Math.max(Math.min(...ms), 0.001);
      n = Math.max(1000, Math.round(Math.min((n * sampleMs) / fastest, (n * 20 * sampleMs) / slowest)));
      break;
    }
    n *= 4;
  }
  const warmEnd = performance.now() + warmupMs / 2;
  for (let warmups = 0; performance.now() < warmEnd || warmups < 4; warmups++) for (const mod of mods) time(mod, n);

  const samples = mods.map(() => []);
  const mismatch = [];
  for (let round = 0; round < rounds; round++) {
    const results = new Array(mods.length);
    for (let j = 0; j < mods.length; j++) {
      const v = (round + j) % mods.length;
      const [ms, r] = time(mods[v], n);
      samples[v].push(ms);
      results[v] = r;
    }
    if (results.some((r) => r !== results[0]) && mismatch.length < 3) mismatch.push({ round, results });
  }
  const base = median(samples[0]);
  const variants = samples.map((s) => {
    const ratios = s.map((ms, i) => ms / samples[0][i]);
    return {
      median: median(s),
      nsPerIter: (median(s) * 1e6) / n,
      ratio: median(s) / base,
      pairedRatio: median(ratios),
      ratioQ1: quantile(ratios, 0.25),
      ratioQ3: quantile(ratios, 0.75),
    };
  });
  return { n, rounds, variants, mismatch, sink };
}
