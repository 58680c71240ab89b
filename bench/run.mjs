// Entry point of the hotstate benchmarks: `npm run bench` / `node bench/run.mjs`.
//
//   node bench/run.mjs [--quick] [--no-build] [--no-hmr] [--json results.json]
//
// 1. compiles plugin/ and runtime/ into bench/.build/dist (never touching dist/; --no-build
//    reuses the last build; HOTSTATE_BENCH_DIST=dist uses dist/ from `npm run build` instead),
// 2. steady-state overhead (bench/steady.mjs), also after one hot update,
// 3. update pause vs. number of live instances (bench/update.mjs): a method body changes, and
//    (2b) a declared field is removed,
// 4. unless --quick: what each part of the emitted code costs (bench/variants.mjs),
// 5. unless --no-hmr: HMR latency in Chromium, file write → update applied, hotstate vs plain Vite
//    HMR (bench/hmr-latency.mjs; skipped when Chromium is not installed).
// Every result compares the instrumented program with the same plain program in the same run.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD_DIR, buildPrivate, distDir, fmtRatio, ROOT } from './lib.mjs';
import { runSteady, steadyTable } from './steady.mjs';
import { isFlat, updateTable } from './update.mjs';
import { runVariants, variantsSection } from './variants.mjs';
import { checksSummary as hmrChecks, chromiumPath, hmrTable, phaseTable, pipelineTable, TARGET as HMR_TARGET } from './hmr-latency.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const started = performance.now();

if (distDir() === BUILD_DIR && (!args.includes('--no-build') || !existsSync(path.join(BUILD_DIR, 'plugin', 'transform.js')))) {
  console.error('building plugin/ and runtime/ into bench/.build/dist ...');
  buildPrivate();
}

console.log(`# hotstate benchmarks\n`);
console.log(`Node ${process.version} (V8 ${process.versions.v8}), ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${os.platform()} ${os.arch()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

console.log('## 1. Steady-state overhead (instrumented / plain, same process, interleaved rounds)\n');
const steady = await runSteady({ afterUpdate: true, onResult: (r) => console.error(`  ${r.updated ? `${r.name} after update` : r.name}: ${r.error ?? fmtRatio(r.ratio)}`) });
console.log(steadyTable(steady));

const updateChild = (extra) =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(ROOT, 'bench', 'update.mjs'), '--json', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`update.mjs exited with ${code}`))));
  });

console.log('\n## 2. Update pause: a method body changes, the class has N live instances\n');
const update = await updateChild([]);
console.log(updateTable(update));
console.log(`\npause flat in N (largest N's median within 25% + 0.2 ms of the smallest's): ${isFlat(update) ? 'yes' : 'NO'}`);

console.log('\n### 2b. Update pause when the update removes a declared field (instances are migrated)\n');
const updateField = await updateChild(['--scenario', 'field', '--rounds', '5']);
console.log(updateTable(updateField));
console.log(`\npause flat in N: ${isFlat(updateField) ? 'yes' : 'NO'}`);

let variants = [];
if (!quick) {
  console.log('\n## 3. What each part of the emitted code costs (hand-edited variants of the emitted code)\n');
  variants = await runVariants({ onResult: (r) => console.error(`  variants: ${r.name}`) });
  for (const r of variants) console.log(`${variantsSection(r)}\n`);
}

let hmr;
if (!args.includes('--no-hmr')) {
  console.log('## 4. HMR latency in the browser: file write → update applied (hotstate / plain Vite HMR)\n');
  if (!existsSync(chromiumPath())) {
    console.log(`skipped: no Chromium at ${chromiumPath()} (install it, or set CHROMIUM_PATH)\n`);
  } else {
    const proc = spawn(process.execPath, [path.join(ROOT, 'bench', 'hmr-latency.mjs'), '--json', '--no-build'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.on('close', resolve);
    });
    if (code !== 0) console.log(`FAILED: hmr-latency.mjs exited with ${code}\n`);
    else {
      hmr = JSON.parse(out);
      console.log(hmrTable(hmr));
      console.log('\nWhere the time goes (medians):\n');
      console.log(phaseTable(hmr));
      console.log("\nThe dev server's side alone, warm (`transformRequest` in a loop, Node only):\n");
      console.log(pipelineTable(hmr));
      console.log('');
      console.log(hmrChecks(hmr));
      console.log('');
    }
  }
}

const targets = steady.filter((r) => !r.updated && !r.error);
const failed = steady.filter((r) => r.error).map((r) => r.name);
const { cases } = await import('./cases.mjs');
const missed = targets.filter((r) => cases.find((c) => c.name === r.name).target && r.ratio > 1.05);
const mismatches = [...steady.filter((r) => r.mismatch?.length > 0).map((r) => r.name), ...variants.filter((r) => r.mismatch.length > 0).map((r) => r.name)];
console.log('## Summary\n');
if (failed.length > 0) console.log(`- FAILED to run: ${failed.join(', ')}`);
console.log(`- steady-state targets (ratio ≤ 1.05): ${missed.length === 0 ? 'all met' : `missed by ${missed.map((r) => `${r.name} (${fmtRatio(r.ratio)})`).join(', ')}`}`);
console.log(`- update pause (method body changed) ≤ 5 ms: ${update.every((r) => r.hotPause.median <= 5) ? 'yes' : 'NO'}; flat in N: ${isFlat(update) ? 'yes' : 'NO'}; instances run the new method: ${update.every((r) => r.failureCount === 0) ? 'yes' : 'NO'}`);
console.log(`- update pause (field removed) ≤ 5 ms: ${updateField.every((r) => r.hotPause.median <= 5) ? 'yes' : 'NO'}; flat in N: ${isFlat(updateField) ? 'yes' : 'NO'}; instances migrated correctly: ${updateField.every((r) => r.failureCount === 0) ? 'yes' : `NO (${updateField.filter((r) => r.failureCount > 0).map((r) => `N=${r.n}`).join(', ')})`}`);
console.log(`- plain and instrumented programs returned the same results: ${mismatches.length === 0 ? 'yes' : `NO (${mismatches.join(', ')})`}`);
if (hmr) {
  const problems = hmr.flatMap((r) => r.problems);
  console.log(
    `- HMR latency in the browser, hotstate / plain (ratio of medians ≤ ${HMR_TARGET}): ${hmr.map((r) => `${r.shape} ${fmtRatio(r.ratio)} ${r.ratio <= HMR_TARGET ? 'ok' : 'MISSED'}`).join(', ')}; ` +
      `state kept, no reload: ${problems.length === 0 ? 'yes' : `NO (${problems.length} problems, see section 4)`}`,
  );
}
console.log(`- total time ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ node: process.version, v8: process.versions.v8, cpus: os.cpus().length, steady, update, updateField, variants, hmr }, null, 2));
  console.error(`results written to ${jsonOut}`);
}
