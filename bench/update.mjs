// Update pause: a module whose class has N live instances gets a new version that changes a
// method body (no field changes, so no migration). The pause is the time of `await import()` of
// the new version: loading, linking and evaluating it, including everything hotstate's runtime
// does to upgrade the class in place. Afterwards every instance must run the new method.
//
// The plain alternative is the same: evaluating the same new version of the module without
// hotstate (a plain re-import), with N instances of the plain class alive too. Rounds of the two
// are interleaved in one process; each round writes a fresh version (a new file), since an ES
// module URL is evaluated only once.
//
// `import.meta.hot` is emulated (see lib.mjs: hotFor): a fake hot context whose `data` persists
// across versions, so the instrumented versions form one lineage, as in Vite.
//
//   node bench/update.mjs [--rounds 21] [--sizes 1e3,1e4,1e5,1e6] [--scenario method|field] [--json]
//
// --scenario field: the measured updates remove a declared field instead (a migration: the
// runtime deletes the field from every live instance); see measureSize.
import { fileURLToPath } from 'node:url';
import { fmtMs, fmtRatio, instrument, median, quantile, table, tempDir, writeModules } from './lib.mjs';

const self = fileURLToPath(import.meta.url);

/**
 * Version `k` of the module: `score()` returns `value + k`, so each version is observable. With
 * `extra`, the class also declares a field `extra` (the 'field' scenario removes and re-adds it).
 */
const source = (k, extra = false) => `
export class Item {${extra ? '\n  extra = 7;' : ''}
  constructor(id) {
    this.id = id;
    this.value = id & 255;
  }
  score() { return this.value + ${k}; }
  label() { return 'item ' + this.id; }
}
let items = [];
export function populate(n) {
  items = new Array(n);
  for (let i = 0; i < n; i++) items[i] = new Item(i);
  return items;
}
export function probe(i) { return items[i].score(); }
`;

/** Stamps the start and the end of the module's evaluation (the first and the last statement). */
const stamped = (code) => `globalThis.__benchT0 = performance.now(); ${code}\nglobalThis.__benchT1 = performance.now();\n`;

function parseArgs(argv) {
  const opts = { rounds: 21, sizes: [1e3, 1e4, 1e5, 1e6], json: false, scenario: 'method' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') opts.rounds = Number(argv[++i]);
    else if (argv[i] === '--scenario') opts.scenario = argv[++i];
    else if (argv[i] === '--sizes') opts.sizes = argv[++i].split(',').map(Number);
    else if (argv[i] === '--json') opts.json = true;
  }
  return opts;
}

async function loadVersion(dir, name, code) {
  const url = writeModules(dir, { [name]: code })[name];
  const t0 = performance.now();
  const mod = await import(url);
  const t1 = performance.now();
  return { mod, pause: t1 - t0, evaluation: globalThis.__benchT1 - globalThis.__benchT0 };
}

/**
 * Scenario 'method' (the default): every version changes the method body only. Scenario 'field':
 * the first version declares a field `extra`; measured updates remove it (so the runtime deletes
 * it from every live instance), and an unmeasured update between two rounds adds it back.
 */
async function measureSize(n, rounds, scenario = 'method') {
  const field = scenario === 'field';
  const dir = tempDir();
  const lineage = `${dir}/item.mjs`; // one fake hot context per lineage
  const plainV1 = (await loadVersion(dir, 'plain-1.mjs', stamped(source(1, field)))).mod;
  const hotV1 = (await loadVersion(dir, 'hot-1.mjs', stamped(await instrument(source(1, field), 'item.mjs', { hot: lineage })))).mod;
  const plainItems = plainV1.populate(n);
  const hotItems = hotV1.populate(n);
  const hot = { pause: [], evaluation: [] };
  const plain = { pause: [], evaluation: [] };
  const failures = [];
  const transformMs = [];
  // Two warm-up updates (not recorded), then the measured rounds.
  for (let round = -2, k = 2; round < rounds; round++, k++) {
    if (field && round > -2) {
      // Put the field back (unmeasured; new fields are installed lazily, independent of N).
      await loadVersion(dir, `hot-${k}.mjs`, stamped(await instrument(source(k, true), 'item.mjs', { hot: lineage })));
      k++;
    }
    const tt = performance.now();
    const hotCode = stamped(await instrument(source(k), 'item.mjs', { hot: lineage }));
    if (round >= 0) transformMs.push(performance.now() - tt);
    const plainCode = stamped(source(k));
    const doHot = async () => {
      const r = await loadVersion(dir, `hot-${k}.mjs`, hotCode);
      if (round >= 0) {
        hot.pause.push(r.pause);
        hot.evaluation.push(r.evaluation);
      }
    };
    const doPlain = async () => {
      const r = await loadVersion(dir, `plain-${k}.mjs`, plainCode);
      if (round >= 0) {
        plain.pause.push(r.pause);
        plain.evaluation.push(r.evaluation);
      }
      if (r.mod.populate(1)[0].score() !== (0 & 255) + k) failures.push(`plain v${k} does not run its own method`);
    };
    if (round % 2 === 0) {
      await doHot();
      await doPlain();
    } else {
      await doPlain();
      await doHot();
    }
    // Every live instance of the instrumented class now runs version k's method.
    for (const i of [0, n >> 1, n - 1]) {
      const expected = (i & 255) + k;
      if (hotItems[i].score() !== expected) failures.push(`v${k}: instance ${i}.score() = ${hotItems[i].score()}, expected ${expected}`);
      if (hotV1.probe(i) !== expected) failures.push(`v${k}: probe(${i}) through the first version = ${hotV1.probe(i)}, expected ${expected}`);
      if (field && Object.hasOwn(hotItems[i], 'extra')) failures.push(`v${k}: removed field \`extra\` is still an own property of instance ${i}`);
    }
    // The plain instances keep running the first version's method.
    if (plainItems[n - 1].score() !== ((n - 1) & 255) + 1) failures.push('plain instances changed');
  }
  const summary = (samples) => ({ median: median(samples), p10: quantile(samples, 0.1), p90: quantile(samples, 0.9) });
  return {
    n,
    scenario,
    rounds,
    hotPause: summary(hot.pause),
    plainPause: summary(plain.pause),
    hotEvaluation: summary(hot.evaluation),
    plainEvaluation: summary(plain.evaluation),
    ratio: median(hot.pause) / median(plain.pause),
    transform: summary(transformMs),
    failures: failures.slice(0, 5),
    failureCount: failures.length,
  };
}

export async function runUpdate(opts = {}) {
  const o = { ...parseArgs([]), ...opts };
  const results = [];
  for (const n of o.sizes) {
    const r = await measureSize(n, o.rounds, o.scenario);
    results.push(r);
    o.onResult?.(r);
  }
  return results;
}

/** Flat: the largest N's median pause is within 25% + 0.2 ms of the smallest N's. */
export function isFlat(results) {
  const first = results[0].hotPause.median;
  const last = results[results.length - 1].hotPause.median;
  return last <= first * 1.25 + 0.2;
}

export function updateTable(results) {
  const rows = results.map((r) => [
    r.n.toExponential(0).replace('e+', 'e'),
    `${fmtMs(r.plainPause.median)} [${fmtMs(r.plainPause.p10)}–${fmtMs(r.plainPause.p90)}]`,
    `${fmtMs(r.hotPause.median)} [${fmtMs(r.hotPause.p10)}–${fmtMs(r.hotPause.p90)}]`,
    fmtRatio(r.ratio),
    `${fmtMs(r.plainEvaluation.median)} / ${fmtMs(r.hotEvaluation.median)}`,
    fmtMs(r.transform.median),
    r.hotPause.median <= 5 ? 'ok' : 'MISSED',
    r.failureCount === 0 ? 'yes' : `NO (${r.failureCount}): ${r.failures[0]}`,
  ]);
  return table(
    ['live instances N', 'plain re-import ms [p10–p90]', 'hotstate update ms [p10–p90]', 'ratio', 'evaluation only ms plain / hot', 'transform ms (dev server, not in pause)', '≤5 ms', 'instances upgraded correctly'],
    rows,
  );
}

if (process.argv[1] === self) {
  const opts = parseArgs(process.argv.slice(2));
  const results = await runUpdate({ ...opts, onResult: (r) => console.error(`  N=${r.n}: ${fmtMs(r.hotPause.median)} ms (ratio ${fmtRatio(r.ratio)})`) });
  if (opts.json) console.log(JSON.stringify(results, null, 2));
  else {
    console.log(updateTable(results));
    console.log(`pause flat in N (largest N within 25% + 0.2 ms of smallest): ${isFlat(results) ? 'yes' : 'NO'}`);
  }
}
