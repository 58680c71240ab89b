// Steady-state overhead: each case's program is loaded twice as real ES modules, once plain and
// once instrumented by hotstate's transform, and both run in the same process in interleaved
// rounds. Each case runs in its own child process so JIT feedback from one case cannot leak into
// another.
//
//   node bench/steady.mjs [--rounds 25] [--sample-ms 15] [--after-update] [case ...]
//   node --allow-natives-syntax bench/steady.mjs ...   (also prints V8 optimization status)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterUpdate, cases } from './cases.mjs';
import { describeOptStatus, fmtMs, fmtRatio, instrument, median, natives, quantile, table, tempDir, writeModules } from './lib.mjs';

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
  let sink = 0;
  const mismatch = [];
  const time = (mod, n) => {
    const t0 = performance.now();
    const r = mod.run(n);
    const t1 = performance.now();
    sink = (sink + r) | 0;
    return [t1 - t0, r];
  };

  // Calibrate n on the plain variant so one sample takes about opts.sampleMs.
  let n = 1000;
  for (;;) {
    const [ms] = time(plain, n);
    time(hot, n);
    if (ms >= opts.sampleMs / 4 || n > 1e9) {
      n = Math.max(1000, Math.round((n * opts.sampleMs) / Math.max(ms, 0.01)));
      break;
    }
    n *= 4;
  }
  // Warm up both, alternating, until each is optimized (or the time is used up).
  const warmEnd = performance.now() + opts.warmupMs;
  let warmups = 0;
  while (performance.now() < warmEnd || warmups < 4) {
    time(plain, n);
    time(hot, n);
    warmups++;
  }

  const plainMs = [];
  const hotMs = [];
  const ratios = [];
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate the order so neither variant always runs right after the other.
    let p, h, rp, rh;
    if (round % 2 === 0) {
      [p, rp] = time(plain, n);
      [h, rh] = time(hot, n);
    } else {
      [h, rh] = time(hot, n);
      [p, rp] = time(plain, n);
    }
    if (rp !== rh && mismatch.length < 3) mismatch.push({ round, plain: rp, hot: rh });
    plainMs.push(p);
    hotMs.push(h);
    ratios.push(h / p);
  }
  const status = natives
    ? { plain: describeOptStatus(natives.optStatus(plain.run)), hot: describeOptStatus(natives.optStatus(hot.run)) }
    : undefined;
  return {
    name,
    updated: updated ?? null,
    n,
    rounds: opts.rounds,
    plainMedian: median(plainMs),
    hotMedian: median(hotMs),
    ratio: median(hotMs) / median(plainMs),
    pairedRatio: median(ratios),
    ratioQ1: quantile(ratios, 0.25),
    ratioQ3: quantile(ratios, 0.75),
    nsPerIterPlain: (median(plainMs) * 1e6) / n,
    nsPerIterHot: (median(hotMs) * 1e6) / n,
    mismatch,
    status,
    sink,
  };
}

function child(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, self, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`case ${args.join(' ')} exited with ${code}`));
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
      const r = await child([...common, '--child', `${name}@${updated}`]);
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
  const results = await runSteady({ ...opts, onResult: (r) => console.error(`  ${r.updated ? `${r.name}@${r.updated}` : r.name}: ratio ${fmtRatio(r.ratio)}`) });
  if (opts.json) console.log(JSON.stringify(results, null, 2));
  else console.log(steadyTable(results));
}
