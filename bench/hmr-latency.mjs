// HMR latency in a real browser: from the moment a source file is written to the moment the
// update is applied in the page, hotstate against plain Vite HMR of the same self-accepting
// module, in one dev server, one page, interleaved edits.
//
//   node bench/hmr-latency.mjs [--edits 30] [--warmup 5] [--pause 150] [--shapes small,large]
//                              [--no-build] [--dist <compiled package>] [--json] [--verbose] [--plugins]
//                              [--quiet-console] [--hot-no-map]   (experiments, see bench/README.md)
//
// The temp project has two modules of the same shape, src/hot.ts (instrumented by hotstate) and
// src/plain.ts (excluded from hotstate; it ends with a literal `import.meta.hot.accept()`, so it
// is a plain self-accepting Vite module). Each edit changes the version number in three lines:
// the first statement, `return <version>;` in `version()` and the last statement (the page
// reads it there). The edits alternate between the two files (pair k runs hot then plain for even k,
// plain then hot for odd k), and each waits until its update is applied, then `--pause` ms.
//
// Timestamps:
// - write: Node, `performance.timeOrigin + performance.now()` right before `writeFileSync`;
// - evaluated: the page, when the new version's last statement runs (it calls
//   `globalThis.__applied(name, version, api)`; for hotstate that is just before `__hs.commit()`);
// - applied: the page, Vite's `vite:afterUpdate` event for that file: every accept callback has
//   run (for hotstate: the commit and `settle`). This is the latency reported.
// Node's and the page's clocks are both the machine's wall clock; their offset is measured with
// round trips through `page.evaluate` (the one with the shortest round trip wins) before and
// after the edits, and subtracted.
//
// Breakdown per edit (Node clock for the server side, page clock corrected for the page side):
// write → watcher `change` → `vite:beforeUpdate` in the page → request of `?t=` arrives at the
// server → response finished → response received in the page (Resource Timing) → first
// statement runs → last statement runs → applied; plus the time of hotstate's transform hook on
// that request, which includes Vite's TypeScript step for the modules hotstate instruments (and
// with --plugins, of every plugin's transform hook). Then, without the browser,
// the dev server's `transformRequest` of the same modules in a warm loop (pipelineCost), and
// hotstate's transform alone: of the whole module, and incremental (the edit above).
//
// After every edit the page checks: hotstate's counter kept its value (the page bumps it between
// edits), the old importer's `version()` runs the new code, plain's counter starts again from 0
// (expected for plain Vite HMR), and no full reload happened (a marker on `window` survives).
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_DIR, buildPrivate, distDir, fmtMs, fmtRatio, median, quantile, table } from './lib.mjs';

const self = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same flags as test/browser.ts (launchChromium). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const chromiumPath = () => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------
// The project

/** ~20 lines of typical application code (types, a class with a #private field, state, arrows). */
const block = (i) => `
export interface Item${i} {
  id: number;
  title: string;
  done: boolean;
  tags: string[];
}
export class Store${i} {
  items: Item${i}[] = [];
  #nextId = 1;
  add(title: string, tags: string[] = []): Item${i} {
    const item: Item${i} = { id: this.#nextId++, title, done: false, tags };
    this.items.push(item);
    return item;
  }
  toggle(id: number): void {
    const item = this.items.find((x) => x.id === id);
    if (item) item.done = !item.done;
  }
  get open(): number {
    return this.items.filter((x) => !x.done).length;
  }
}
let store${i}: Store${i} = new Store${i}();
export const format${i} = (item: Item${i}): string => \`\${item.id}. \${item.title}\${item.done ? ' (done)' : ''}\`;
export function summary${i}(): string {
  return store${i}.items.map(format${i}).join('\\n') + ' (' + store${i}.open + ' open)';
}
`;

/** Module shapes: `small` is a counter and three functions; `large` adds 15 blocks (~400 lines). */
export const SHAPES = { small: 0, large: 15 };

/** Version `v` of module `name` ('hot' or 'plain'); the two differ only in the name and the accept line. */
export function moduleSource(name, v, shape) {
  let code = `(globalThis as any).__start?.(${JSON.stringify(name)}, ${v});
let count: number = 0;
export function bump(): number {
  count += 1;
  return count;
}
export function read(): number {
  return count;
}
export function version(): number {
  return ${v};
}
`;
  for (let i = 0; i < SHAPES[shape]; i++) code += block(i);
  code += `(globalThis as any).__applied?.(${JSON.stringify(name)}, ${v}, { bump, read, version });\n`;
  if (name === 'plain') code += 'if (import.meta.hot) import.meta.hot.accept();\n';
  return code;
}

// A classic script: runs before any module, so the first evaluations are recorded too.
const indexHtml = (quietConsole) => `<!doctype html>
<html>
  <head><meta charset="utf-8" /><link rel="icon" href="data:," /><title>hotstate HMR latency</title></head>
  <body>
    <script>${
      quietConsole
        ? `
      // --quiet-console: what the page's console output costs with a debugger attached.
      for (const k of ['log', 'debug', 'info', 'group', 'groupCollapsed', 'groupEnd']) console[k] = () => {};`
        : ''
    }
      const now = () => performance.timeOrigin + performance.now();
      window.__log = [];
      window.__mods = {};
      window.__reports = [];
      let waiters = [];
      const check = () => { waiters = waiters.filter((w) => !w()); };
      performance.setResourceTimingBufferSize(100000);
      window.__start = (name, v) => {
        window.__log.push({ kind: 'start', name, v, t: now() });
      };
      window.__applied = (name, v, api) => {
        const t = now();
        window.__mods[name] = api;
        window.__log.push({ kind: 'eval', name, v, t });
        check();
      };
      window.__event = (kind, file, t) => {
        const name = file.replace(/^.*\\//, '').replace(/\\.ts$/, '');
        window.__log.push({ kind, name, t });
        check();
      };
      // Resolves with the timestamps of the update of (name, v): the last beforeUpdate before its
      // evaluation, its evaluation, and the first afterUpdate after it.
      window.__waitFor = (name, v, timeoutMs) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ timeout: true, log: window.__log.slice(-8) }), timeoutMs);
          const w = () => {
            const log = window.__log;
            const e = log.findIndex((x) => x.kind === 'eval' && x.name === name && x.v === v);
            if (e < 0) return false;
            const a = log.findIndex((x, i) => i > e && x.kind === 'after' && x.name === name);
            if (a < 0) return false;
            let b = e;
            while (b >= 0 && !(log[b].kind === 'before' && log[b].name === name)) b--;
            clearTimeout(timer);
            const s = log.findLast((x, i) => i < e && x.kind === 'start' && x.name === name && x.v === v);
            // The fetch of the new version (\`/src/<name>.ts?t=...\`), as Resource Timing saw it.
            const fetch = performance
              .getEntriesByType('resource')
              .findLast((r) => r.name.includes('/src/' + name + '.ts?') && /[?&]t=/.test(r.name));
            resolve({
              before: b >= 0 ? log[b].t : null,
              received: fetch ? performance.timeOrigin + fetch.responseEnd : null,
              started: s ? s.t : null,
              evaluated: log[e].t,
              applied: log[a].t,
            });
            return true;
          };
          if (!w()) waiters.push(w);
        });
    </script>
    <script type="module" src="/src/main.ts"></script>
  </body>
</html>
`;

// Not instrumented (excluded): the harness, which holds version 1's bindings like any importer.
const MAIN_TS = `import * as hot from './hot.ts';
import * as plain from './plain.ts';
const w = window as any;
w.__v1 = { hot, plain };
if (import.meta.hot) {
  const stamp = (kind: string) => (payload: { updates: { path: string }[] }) => {
    const t = performance.timeOrigin + performance.now();
    for (const update of payload.updates) w.__event(kind, update.path, t);
  };
  import.meta.hot.on('vite:beforeUpdate', stamp('before'));
  import.meta.hot.on('vite:afterUpdate', stamp('after'));
  import.meta.hot.on('hotstate:update', (report: unknown) => w.__reports.push(report));
}
w.__ready = true;
`;

function createProject(shape, quietConsole) {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-hmr-')));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'index.html'), indexHtml(quietConsole));
  writeFileSync(path.join(root, 'src', 'main.ts'), MAIN_TS);
  writeFileSync(path.join(root, 'src', 'hot.ts'), moduleSource('hot', 1, shape));
  writeFileSync(path.join(root, 'src', 'plain.ts'), moduleSource('plain', 1, shape));
  return root;
}

// ---------------------------------------------------------------------------------------------
// Clocks

/** Offset page clock − Node clock, from the round trip through page.evaluate with the smallest RTT. */
async function clockOffset(page, trials = 25) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < trials; i++) {
    const t0 = now();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: p - (t0 + t1) / 2 };
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// One run: one dev server, one page, one module shape

const summarize = (values) => ({ median: median(values), p10: quantile(values, 0.1), p90: quantile(values, 0.9), n: values.length });

export async function runShape(shape, { edits = 30, warmup = 5, pauseMs = 150, bumps = 3, pluginBreakdown = false, hotMap = true, quietConsole = false, pretransform = true, dist = distDir(), log = () => {} } = {}) {
  const { hotstate } = await import(pathToFileURL(path.join(dist, 'plugin', 'vite.js')).href);
  const { createTransformer, defaultTransformer } = await import(pathToFileURL(path.join(dist, 'plugin', 'transform.js')).href);
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');

  const root = createProject(shape, quietConsole);
  const files = { hot: path.join(root, 'src', 'hot.ts'), plain: path.join(root, 'src', 'plain.ts') };

  // Server-side timestamps (Node clock).
  const watcherEvents = []; // { name, t }
  const requests = []; // { name, t0, t1 }
  const transforms = []; // { name, t0, ms }  (hotstate's transform hook, the instrumented module)
  const pluginTimes = []; // { name, plugin, t0, ms }  (every plugin's transform hook, with --plugins)
  const nameOf = (file) => (file.endsWith('/src/hot.ts') ? 'hot' : file.endsWith('/src/plain.ts') ? 'plain' : undefined);

  const plugin = hotstate({ exclude: ['src/plain.ts', 'src/main.ts'], pretransform });
  const handler = plugin.transform.handler;
  plugin.transform.handler = async function (code, id) {
    const t0 = now();
    let result = await handler.call(this, code, id);
    // Experiment (--hot-no-map): what the module's source map costs downstream (hotstate's map,
    // composed with oxc's; the page then gets none). Breaks the page's source maps; for measuring only.
    if (!hotMap && result) result = { code: result.code, map: { mappings: '' } };
    const name = nameOf(id);
    if (name) {
      transforms.push({ name, t0, ms: now() - t0, instrumented: result != null });
      pluginTimes.push({ name, plugin: 'hotstate', t0, ms: now() - t0 });
    }
    return result;
  };
  // Times every other plugin's transform hook on the two edited modules (`pluginTimes`).
  const timing = {
    name: 'bench-timing',
    configResolved(config) {
      if (!pluginBreakdown) return;
      for (const p of config.plugins) {
        if (p === plugin || !p.transform) continue;
        const hook = typeof p.transform === 'function' ? p.transform : p.transform.handler;
        const timed = function (code, id, ...rest) {
          const name = nameOf(id.split('?')[0]);
          if (!name) return hook.call(this, code, id, ...rest);
          const t0 = now();
          const done = () => pluginTimes.push({ name, plugin: p.name, t0, ms: now() - t0 });
          const result = hook.call(this, code, id, ...rest);
          if (result && typeof result.then === 'function') return result.finally(done);
          done();
          return result;
        };
        if (typeof p.transform === 'function') p.transform = timed;
        else p.transform = { ...p.transform, handler: timed };
      }
    },
    configureServer(server) {
      // Added before Vite's own middlewares: sees every request as it arrives.
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        const name = /\/src\/hot\.ts\?(.*&)?t=/.test(url) ? 'hot' : /\/src\/plain\.ts\?(.*&)?t=/.test(url) ? 'plain' : undefined;
        if (name) {
          const entry = { name, t0: now(), t1: NaN };
          requests.push(entry);
          res.on('finish', () => (entry.t1 = now()));
        }
        next();
      });
      server.watcher.on('change', (file) => {
        const name = nameOf(file.split(path.sep).join('/'));
        if (name) watcherEvents.push({ name, t: now() });
      });
    },
  };

  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    clearScreen: false,
    server: { port: 0, host: '127.0.0.1' },
    optimizeDeps: { noDiscovery: true, include: [] },
    plugins: [timing, plugin],
  });
  await server.listen();
  const url = server.resolvedUrls.local[0];
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const results = { shape, lines: moduleSource('hot', 1, shape).split('\n').length - 1, edits: [], problems: [] };
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__ready === true && window.__mods.hot && window.__mods.plain);
    await page.evaluate(() => (window.__marker = 'no reload'));
    const navigationsAtStart = navigations;

    const clockBefore = await clockOffset(page);
    const offset = clockBefore.offset;

    const version = { hot: 1, plain: 1 };
    let hotBumps = 0;
    const total = warmup + edits;
    const transformsBefore = { ...defaultTransformer.stats };
    for (let k = 0; k < total; k++) {
      const order = k % 2 === 0 ? ['hot', 'plain'] : ['plain', 'hot'];
      for (const name of order) {
        const v = ++version[name];
        const source = moduleSource(name, v, shape);
        const write = now();
        writeFileSync(files[name], source);
        const page_ = await page.evaluate(([n, ver]) => window.__waitFor(n, ver, 10_000), [name, v]);
        if (page_.timeout) {
          results.problems.push(`${name} v${v}: no update applied within 10 s (${JSON.stringify(page_.log)})`);
          continue;
        }
        const toNode = (t) => (t === null ? NaN : t - offset);
        const before = toNode(page_.before);
        const evaluated = toNode(page_.evaluated);
        const received = toNode(page_.received);
        const started = toNode(page_.started);
        const applied = toNode(page_.applied);
        const watch = watcherEvents.find((e) => e.name === name && e.t >= write);
        const request = requests.find((r) => r.name === name && r.t0 >= write);
        const tr = transforms.find((e) => e.name === name && e.t0 >= write);

        // Correctness, checked in the page right after the update and before the next one.
        const state = await page.evaluate(
          ([n, count]) => {
            const m = window.__mods[n];
            const v1 = window.__v1[n];
            const out = { read: m.read(), version: m.version(), v1Version: v1.version(), marker: window.__marker, bumped: [] };
            // Bump through version 1's binding (an importer that never re-ran).
            for (let i = 0; i < count; i++) out.bumped.push(v1.bump());
            out.readAfter = m.read();
            return out;
          },
          [name, bumps],
        );
        const checks = [];
        if (state.marker !== 'no reload') checks.push('the page reloaded');
        if (state.version !== v) checks.push(`new version's version() = ${state.version}, expected ${v}`);
        if (name === 'hot') {
          if (state.read !== hotBumps) checks.push(`counter ${state.read} after the update, expected ${hotBumps} (kept)`);
          if (state.v1Version !== v) checks.push(`version 1's importer runs version() = ${state.v1Version}, expected ${v}`);
          hotBumps += bumps;
          if (state.readAfter !== hotBumps) checks.push(`counter ${state.readAfter} after bumps through version 1, expected ${hotBumps}`);
        } else {
          // Plain Vite HMR: the new version starts from its initializer; version 1's importer
          // keeps calling version 1's functions (and its own counter).
          if (state.read !== 0) checks.push(`plain counter ${state.read} after the update, expected 0 (reset)`);
          if (state.v1Version !== 1) checks.push(`plain version 1's version() = ${state.v1Version}, expected 1`);
        }
        for (const c of checks) results.problems.push(`${name} v${v}: ${c}`);

        results.edits.push({
          name,
          pair: k - warmup,
          warmup: k < warmup,
          v,
          latency: applied - write,
          evaluatedLatency: evaluated - write,
          phases: {
            fsEvent: watch ? watch.t - write : NaN,
            toPage: watch ? before - watch.t : NaN,
            toRequest: request ? request.t0 - before : NaN,
            serve: request ? request.t1 - request.t0 : NaN,
            toReceived: request ? received - request.t1 : NaN,
            toStarted: started - received,
            toEvaluated: evaluated - started,
            toApplied: applied - evaluated,
          },
          transformMs: tr ? tr.ms : NaN,
          // How often hotstate's hook ran for this edit (1: the page's request joined the
          // pre-transform, or there was none), and whether it started before the request arrived.
          hookCalls: transforms.filter((e) => e.name === name && e.t0 >= write).length,
          pretransformed: tr !== undefined && request !== undefined && tr.t0 < request.t0,
          // Every plugin's hook on this edit, from the watcher's event (a pre-transform runs before the request).
          plugins: request ? Object.fromEntries(pluginTimes.filter((e) => e.name === name && e.t0 >= write && e.t0 <= request.t1).map((e) => [e.plugin, e.ms])) : {},
          // [plugin, start, end] in ms from the request's arrival (with --plugins).
          timeline: request ? pluginTimes.filter((e) => e.name === name && e.t0 >= request.t0 && e.t0 <= request.t1).map((e) => [e.plugin, e.t0 - request.t0, e.t0 - request.t0 + e.ms]) : [],
          ok: checks.length === 0,
        });
        log(`  ${shape} ${k < warmup ? 'warm-up' : `pair ${k - warmup}`} ${name} v${v}: ${fmtMs(applied - write)} ms${checks.length ? ` (${checks.join('; ')})` : ''}`);
        await sleep(pauseMs);
      }
    }

    // How the plugin's transforms of the edits went: incremental, or of the whole module.
    results.transformer = { full: defaultTransformer.stats.full - transformsBefore.full, incremental: defaultTransformer.stats.incremental - transformsBefore.incremental };
    const clockAfter = await clockOffset(page);
    results.clock = { before: clockBefore, after: clockAfter };
    if (Math.abs(clockAfter.offset - clockBefore.offset) > 1) {
      results.problems.push(`page/Node clock offset drifted by ${fmtMs(clockAfter.offset - clockBefore.offset)} ms during the run`);
    }
    if (navigations !== navigationsAtStart) results.problems.push(`the page navigated ${navigations - navigationsAtStart} time(s) (full reload)`);
    const marker = await page.evaluate(() => window.__marker);
    results.noReload = marker === 'no reload' && navigations === navigationsAtStart;
    const reports = await page.evaluate(() => window.__reports);
    results.hotReports = { total: reports.length, applied: reports.filter((r) => r?.status === 'applied').length };
    if (results.hotReports.applied !== version.hot - 1) {
      results.problems.push(`hotstate reported ${results.hotReports.applied} applied updates (of ${reports.length} reports), expected ${version.hot - 1}`);
    }
    for (const e of pageErrors) results.problems.push(`page error: ${e}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }

  // hotstate's transform alone, outside the server, warmed up: a transform of the whole module
  // (a fresh transformer each time), and the incremental transform of the benchmark's edit.
  const id = 'src/hot.ts';
  const options = { id, filename: path.join('/tmp', id) };
  const fullSamples = [];
  const incrementalSamples = [];
  const transformer = createTransformer();
  for (let v = 2; v < 2 + 20 + 51; v++) {
    const src = moduleSource('hot', v, shape);
    let t0 = performance.now();
    createTransformer().transform(src, options);
    if (v >= 22) fullSamples.push(performance.now() - t0);
    t0 = performance.now();
    transformer.transform(src, options);
    if (v >= 22) incrementalSamples.push(performance.now() - t0);
  }
  results.transformAlone = { full: summarize(fullSamples), incremental: summarize(incrementalSamples) };

  results.pipeline = await pipelineCost(shape, { hotstate, createServer });
  return { ...results, ...stats(results.edits) };
}

/**
 * The dev server's side alone, warm: `transformRequest` of the module (load, every plugin's
 * transform, source map combination) in a loop, Node only, no browser and no file watcher. Three
 * modules in one server, interleaved: plain, hotstate, and hotstate with its source map dropped
 * (what the map costs downstream: Vite combines it with the TypeScript stripping's map).
 */
async function pipelineCost(shape, { hotstate, createServer, rounds = 60, warmup = 20 }) {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-pipeline-')));
  mkdirSync(path.join(root, 'src'));
  const names = ['plain', 'hot', 'nomap'];
  const source = (n, v) => moduleSource(n === 'plain' ? 'plain' : 'hot', v, shape);
  for (const n of names) writeFileSync(path.join(root, 'src', `${n}.ts`), source(n, 1));
  const plugin = hotstate({ exclude: ['src/plain.ts'] });
  const handler = plugin.transform.handler;
  plugin.transform.handler = function (code, id) {
    const result = handler.call(this, code, id);
    return result && id.endsWith('/src/nomap.ts') ? { code: result.code, map: { mappings: '' } } : result;
  };
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    server: { middlewareMode: true, watch: null, ws: false },
    optimizeDeps: { noDiscovery: true, include: [] },
    plugins: [plugin],
  });
  const env = server.environments.client;
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const sizes = {};
  try {
    for (let i = 0; i < warmup + rounds; i++) {
      for (let j = 0; j < names.length; j++) {
        const n = names[(i + j) % names.length];
        const file = path.join(root, 'src', `${n}.ts`);
        writeFileSync(file, source(n, i + 2));
        const mod = env.moduleGraph.getModuleById(file);
        if (mod) env.moduleGraph.invalidateModule(mod);
        const t0 = performance.now();
        const result = await env.transformRequest(`/src/${n}.ts`);
        if (i >= warmup) times[n].push(performance.now() - t0);
        sizes[n] = result.code.length;
      }
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
  return Object.fromEntries(names.map((n) => [n, { ...summarize(times[n]), codeChars: sizes[n] }]));
}

function stats(edits) {
  const measured = edits.filter((e) => !e.warmup);
  const of = (name) => measured.filter((e) => e.name === name);
  const hot = of('hot');
  const plain = of('plain');
  const pick = (list, f) => list.map(f).filter((x) => Number.isFinite(x));
  const paired = [];
  for (const h of hot) {
    const p = plain.find((e) => e.pair === h.pair);
    if (p) paired.push(h.latency / p.latency);
  }
  const phaseNames = Object.keys(measured[0]?.phases ?? {});
  const phases = (list) => Object.fromEntries(phaseNames.map((k) => [k, median(pick(list, (e) => e.phases[k]))]));
  const out = {
    hot: { applied: summarize(pick(hot, (e) => e.latency)), evaluated: summarize(pick(hot, (e) => e.evaluatedLatency)), phases: phases(hot), transformHook: summarize(pick(hot, (e) => e.transformMs)) },
    plain: { applied: summarize(pick(plain, (e) => e.latency)), evaluated: summarize(pick(plain, (e) => e.evaluatedLatency)), phases: phases(plain), transformHook: summarize(pick(plain, (e) => e.transformMs)) },
    paired: paired.length ? { ...summarize(paired), q1: quantile(paired, 0.25), q3: quantile(paired, 0.75) } : null,
  };
  out.ratio = out.hot.applied.median / out.plain.applied.median;
  out.evaluatedRatio = out.hot.evaluated.median / out.plain.evaluated.median;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output

const ms = (s) => `${fmtMs(s.median)} [${fmtMs(s.p10)}–${fmtMs(s.p90)}]`;
export const TARGET = 1.15;

export function hmrTable(results) {
  const rows = results.map((r) => [
    `\`${r.shape}\` (${r.lines} lines)`,
    `${r.hot.applied.n} + ${r.plain.applied.n}`,
    ms(r.plain.applied),
    ms(r.hot.applied),
    `**${fmtRatio(r.ratio)}**`,
    r.paired ? `${fmtRatio(r.paired.median)} [${fmtRatio(r.paired.q1)}–${fmtRatio(r.paired.q3)}]` : '-',
    `${fmtMs(r.plain.evaluated.median)} / ${fmtMs(r.hot.evaluated.median)}`,
    r.ratio <= TARGET ? 'ok' : `missed by ${fmtRatio(r.ratio - TARGET)}`,
  ]);
  return table(['module', 'edits (hot + plain)', 'plain ms [p10–p90]', 'hotstate ms [p10–p90]', 'ratio of medians', 'median paired ratio [IQR]', 'write → evaluated, plain / hot (ms)', `≤ ${TARGET}`], rows);
}

export function phaseTable(results) {
  const labels = {
    fsEvent: 'write → watcher `change` (server)',
    toPage: '→ `vite:beforeUpdate` in the page',
    toRequest: '→ request of `?t=` at the server',
    serve: '→ response sent (transform pipeline)',
    toReceived: '→ response received in the page',
    toStarted: '→ first statement runs (compile, link; hotstate: + `enter`)',
    toEvaluated: '→ last statement runs (the module body)',
    toApplied: '→ `vite:afterUpdate` (applied)',
  };
  const rows = [];
  for (const [k, label] of Object.entries(labels)) rows.push([label, ...results.flatMap((r) => [fmtMs(r.plain.phases[k]), fmtMs(r.hot.phases[k])])]);
  rows.push(['(hotstate transform hook with Vite\'s TypeScript step)', ...results.flatMap((r) => ['-', fmtMs(r.hot.transformHook.median)])]);
  rows.push(['(hotstate `transform()` alone, warm: whole module / incremental)', ...results.flatMap((r) => ['-', `${fmtMs(r.transformAlone.full.median)} / ${fmtMs(r.transformAlone.incremental.median)}`])]);
  return table(['phase (median ms)', ...results.flatMap((r) => [`${r.shape} plain`, `${r.shape} hot`])], rows);
}

export function pluginTable(results) {
  const names = [...new Set(results.flatMap((r) => r.edits.flatMap((e) => Object.keys(e.plugins))))];
  const cell = (r, who, plugin) => {
    const values = r.edits.filter((e) => !e.warmup && e.name === who && plugin in e.plugins).map((e) => e.plugins[plugin]);
    return values.length ? fmtMs(median(values)) : '-';
  };
  const rows = names.map((plugin) => [plugin, ...results.flatMap((r) => [cell(r, 'plain', plugin), cell(r, 'hot', plugin)])]);
  return table(['plugin', ...results.flatMap((r) => [`${r.shape} plain`, `${r.shape} hot`])], rows);
}

export function pipelineTable(results) {
  const rows = results.map((r) => {
    const { plain, hot, nomap } = r.pipeline;
    return [
      `\`${r.shape}\``,
      ms(plain),
      ms(hot),
      fmtRatio(hot.median / plain.median),
      fmtMs(nomap.median),
      fmtMs(r.transformAlone.incremental.median),
      `${plain.codeChars} / ${hot.codeChars} (${(hot.codeChars / plain.codeChars).toFixed(1)}×)`,
    ];
  });
  return table(['module', 'plain ms [p10–p90]', 'hotstate ms [p10–p90]', 'ratio', 'hotstate, map dropped', 'of which `transform()`', 'served code chars, plain / hot'], rows);
}

export function checksSummary(results) {
  return results
    .map((r) => {
      const ok = r.edits.filter((e) => e.ok).length;
      const hot = r.edits.filter((e) => e.name === 'hot');
      return (
        `- \`${r.shape}\`: ${ok}/${r.edits.length} edits passed the checks (hotstate counter kept, version 1's importer runs the new code, plain counter reset); ` +
        `full reload: ${r.noReload ? 'none' : 'YES'}; hotstate reports: ${r.hotReports.applied} applied of ${r.hotReports.total}; ` +
        `hotstate's transform ran once per edit: ${hot.filter((e) => e.hookCalls === 1).length}/${hot.length}, before the page's request (pre-transform): ${hot.filter((e) => e.pretransformed).length}/${hot.length}, ` +
        `incremental: ${r.transformer.incremental}/${r.transformer.incremental + r.transformer.full}; ` +
        `clock offset page − Node ${fmtMs(r.clock.before.offset)} ms (± ${fmtMs(r.clock.before.rtt / 2)}), after ${fmtMs(r.clock.after.offset)} ms` +
        (r.problems.length ? `\n  - PROBLEMS:\n${r.problems.slice(0, 10).map((p) => `    - ${p}`).join('\n')}` : '')
      );
    })
    .join('\n');
}

export async function runHmrLatency({ shapes = ['small', 'large'], ...opts } = {}) {
  const results = [];
  for (const shape of shapes) results.push(await runShape(shape, opts));
  return results;
}

function parseArgs(argv) {
  const opts = { edits: 30, warmup: 5, pauseMs: 150, shapes: ['small', 'large'], json: false, build: true, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--edits') opts.edits = Number(argv[++i]);
    else if (argv[i] === '--warmup') opts.warmup = Number(argv[++i]);
    else if (argv[i] === '--pause') opts.pauseMs = Number(argv[++i]);
    else if (argv[i] === '--shapes') opts.shapes = argv[++i].split(',');
    else if (argv[i] === '--json') opts.json = true;
    else if (argv[i] === '--no-build') opts.build = false;
    else if (argv[i] === '--verbose') opts.verbose = true;
    else if (argv[i] === '--plugins') opts.pluginBreakdown = true;
    else if (argv[i] === '--hot-no-map') opts.hotMap = false;
    else if (argv[i] === '--quiet-console') opts.quietConsole = true;
    else if (argv[i] === '--no-pretransform') opts.pretransform = false;
    else if (argv[i] === '--dist') {
      // A compiled package (plugin/, runtime/) inside this checkout, for A/B runs of two versions.
      opts.dist = path.resolve(argv[++i]);
      opts.build = false;
    }
  }
  return opts;
}

if (process.argv[1] === self) {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.dist === undefined && distDir() === BUILD_DIR && opts.build) {
    console.error('building plugin/ and runtime/ into bench/.build/dist ...');
    buildPrivate();
  }
  const results = await runHmrLatency({ ...opts, log: opts.verbose ? (line) => console.error(line) : () => {} });
  if (opts.json) console.log(JSON.stringify(results, null, 2));
  else {
    console.log(`## HMR latency in the browser: file write → update applied (hotstate / plain Vite HMR)\n`);
    console.log(hmrTable(results));
    console.log(`\nWhere the time goes (medians of the measured edits; the phases' medians add up to about the median latency):\n`);
    console.log(phaseTable(results));
    console.log('');
    console.log(`\nThe dev server's side alone, warm (Node only: \`transformRequest\` in a loop, interleaved):\n`);
    console.log(pipelineTable(results));
    console.log('');
    console.log(checksSummary(results));
    if (opts.pluginBreakdown) {
      console.log(`\nTransform hooks on the edited module's request (median ms; only hooks that ran):\n`);
      console.log(pluginTable(results));
    }
  }
}
