// `hotstate run` against a restarting watcher (`node --watch`): the playground server
// (playground/server/) under steady keep-alive traffic, through the same series of edits, in one
// run. Per side: failed requests, the longest response stall around each edit, and whether the
// server's state (sessions and their counters) survived.
//
//   node bench/run-server.mjs [--gap 300] [--clients 4] [--retry 10] [--sides hotstate,node]
//                             [--no-build] [--dist <dir>] [--json] [--verbose]
//
// Sides:
//   hotstate  node <dist>/cli/bin.js run main.ts -- --port 0, in a copy of playground/server/
//             (TypeScript, as test/run.test.ts runs it); the edits are written to the .ts files.
//   node      node --watch main.js --port <free port>, in a second copy compiled to JavaScript
//             with the repo's TypeScript (`transpileModule`, `rewriteRelativeImportExtensions`, a
//             package.json with "type": "module", and node_modules/hotstate pointing at
//             <dist>/runtime for `once`, which under plain Node just runs its setup). Each edit
//             is made to a TypeScript copy with the same text change, and the file is compiled
//             again and written over its .js. When the edited TypeScript does not parse (the
//             syntax-error edit), the same text change is applied to the .js itself.
//
// Traffic (the same as test/run.test.ts): `--clients` keep-alive clients (test/run-server.ts's
// `Client`: one socket, one request at a time), each with its own session, sending back to back
// POST /sessions/<id>/hit, POST …/hit, GET /square/<n % 50>, … . A request fails on a connection
// error (refused, reset, socket hang up) or a non-2xx status; after a failure the client waits
// `--retry` ms before its next request. A 404 for its session (the server lost it) makes the
// client open a new session.
//
// Edits: the 24 of `EDITS` in test/run-server.ts, which the reliability test applies too (handler changes, an added class field, a type change with a
// migration, a syntax error, a module that throws, a removed route, changes of the class used
// per request), one every `--gap` ms after warm-up: wait `--gap`, write, and on the hotstate side
// wait for the update's report (its status is checked against the expected one). `--gap` must
// stay above 200 ms: `node --watch` ignores a second change of the same file within 200 ms.
// The migration file is written on both sides; under `node --watch` no module imports it, so it
// restarts nothing.
//
// Measures (one process clock, performance.now()):
// - failed requests, by kind, over the whole series of edits;
// - stall of edit k: with w_k the time edit k was written and w_{k+1} the next write (for the last
//   edit: the end of traffic, `--gap` after it), the longest gap b − a between two consecutive
//   successful responses (all clients merged, in order of completion) that overlaps
//   [w_k, w_{k+1}), i.e. with b > w_k and a < w_{k+1}. A gap that spans two windows counts in
//   both. Also the longest latency of a successful request sent in the window.
// - state kept: after the edits each client sends one more hit on the session it opened first;
//   the counter the server returns, minus that hit, against the hits that client made on that
//   session (a lost session answers 404 and counts 0). Plus the server's identity (`serverId`)
//   and how many times a client found its session gone.
//
// The CLI runs from bench/.build/dist, which this script builds first (as run.mjs does) unless
// --no-build; `--dist <dir>` uses another compiled copy of the package (a folder with cli/bin.js
// and runtime/index.js whose imports resolve vite and oxc-parser), without building.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { BUILD_DIR, buildPrivate, distDir, fmtMs, fmtRatio, median, ROOT, table, tempDir } from './lib.mjs';

const self = fileURLToPath(import.meta.url);

export const TARGET = { failures: 0, stallMs: 20 };

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const GAP_MS = Number(flag('--gap', 300));
const CLIENTS = Number(flag('--clients', 4));
const RETRY_MS = Number(flag('--retry', 10));
const SIDES = flag('--sides', 'hotstate,node').split(',');
const verbose = args.includes('--verbose');
const json = args.includes('--json');
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...xs) => console.error(...xs);

// ---------------------------------------------------------------------------------------------
// The test's harness (test/run-server.ts), compiled to JavaScript: Node 20 cannot run .ts.

let harness;
async function loadHarness() {
  const dir = tempDir('hotstate-bench-run-');
  const source = readFileSync(path.join(ROOT, 'test', 'run-server.ts'), 'utf8')
    // It finds the playground relative to itself; the compiled copy lives in a temp folder.
    .replace(/const SERVER = .*;/, `const SERVER = ${JSON.stringify(path.join(ROOT, 'playground', 'server'))};`);
  writeFileSync(path.join(dir, 'run-server.mjs'), transpile(source, 'run-server.ts').code);
  harness = await import(pathToFileURL(path.join(dir, 'run-server.mjs')).href);
  EDITS = harness.EDITS;
}

/** TypeScript → ES module JavaScript, one file (no type check); `ok` is false when it does not parse. */
function transpile(source, fileName) {
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true, sourceMap: false },
  });
  return { code: out.outputText, ok: (out.diagnostics ?? []).length === 0 };
}

// ---------------------------------------------------------------------------------------------
// The edits: `EDITS` of test/run-server.ts (the same series the reliability test applies).

let EDITS;

// ---------------------------------------------------------------------------------------------
// The two sides

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** hotstate run on the TypeScript sources. */
async function startHotstate(dist) {
  const { copyServer, readFile, removeServer, startChild, writeFile } = harness;
  const root = copyServer();
  const child = await startChild(process.execPath, [path.join(dist, 'cli', 'bin.js'), 'run', 'main.ts', '--', '--port', '0'], root);
  return {
    child,
    port: child.port,
    write(edit) {
      writeFile(root, edit.file, edit.change(readFile(root, edit.file)));
    },
    report: (i) => child.report(i).then((r) => r.status),
    remove: () => removeServer(root),
  };
}

/** node --watch on the same sources compiled to JavaScript, edited the same way. */
async function startNodeWatch(dist) {
  const { copyServer, readFile, removeServer, startChild, writeFile } = harness;
  const tsRoot = copyServer();
  const jsRoot = copyServer();
  const jsName = (file) => file.replace(/\.ts$/, '.js');
  const emit = (file, source, fallback) => {
    const out = transpile(source, file);
    writeFile(jsRoot, jsName(file), out.ok ? out.code : fallback());
  };
  for (const file of ['main.ts', 'routes.ts', 'context.ts', 'state.ts']) emit(file, readFile(tsRoot, file), () => {
    throw new Error(`${file} does not compile`);
  });
  writeFileSync(path.join(jsRoot, 'package.json'), '{ "type": "module" }\n');
  const pkg = path.join(jsRoot, 'node_modules', 'hotstate');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'hotstate', type: 'module', exports: { './runtime': './runtime/index.js' } }));
  symlinkSync(path.join(dist, 'runtime'), path.join(pkg, 'runtime'), 'dir');
  const port = await freePort();
  const child = await startChild(process.execPath, ['--watch', 'main.js', '--port', String(port)], jsRoot);
  return {
    child,
    port,
    write(edit) {
      const before = readFile(tsRoot, edit.file);
      const after = edit.change(before);
      writeFile(tsRoot, edit.file, after);
      // Does not parse: the same text change, made to the JavaScript.
      emit(edit.file, after, () => edit.change(readFile(jsRoot, jsName(edit.file))));
    },
    report: undefined,
    remove() {
      removeServer(tsRoot);
      removeServer(jsRoot);
    },
  };
}

function failureKind(error) {
  const code = error?.code ?? error?.cause?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || /socket hang up/.test(String(error?.message))) return 'reset';
  return code ?? 'other';
}

async function runSide(name, dist) {
  const { Client } = harness;
  const side = name === 'hotstate' ? await startHotstate(dist) : await startNodeWatch(dist);
  const { child, port } = side;
  const admin = new Client(port);
  const before = (await admin.request('GET', '/health')).body;
  admin.close();

  const ok = []; // completion times of successful responses
  const requests = []; // { start, end, ok }
  const failures = { refused: 0, reset: 0, 'non-2xx': 0 };
  const firstFailure = [];
  let stop = false;
  let sessionsLost = 0;

  const clients = Array.from({ length: CLIENTS }, () => new Client(port));
  const traffic = clients.map(async (client, i) => {
    const send = async (method, url) => {
      const start = now();
      try {
        const response = await client.request(method, url);
        const end = now();
        const good = response.status >= 200 && response.status < 300;
        requests.push({ start, end, ok: good });
        if (good) ok.push(end);
        else {
          failures['non-2xx']++;
          if (firstFailure.length < 5) firstFailure.push(`client ${i}: ${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
        }
        return response;
      } catch (error) {
        requests.push({ start, end: now(), ok: false });
        const kind = failureKind(error);
        failures[kind] = (failures[kind] ?? 0) + 1;
        if (firstFailure.length < 5) firstFailure.push(`client ${i}: ${method} ${url}: ${String(error?.message ?? error)}`);
        return undefined;
      }
    };
    const open = async () => {
      for (;;) {
        const response = await send('POST', '/sessions');
        if (response?.status === 201) return response.body.id;
        await sleep(RETRY_MS);
      }
    };
    const first = await open();
    let session = first;
    let firstHits = 0;
    for (let n = 0; !stop; n++) {
      const hit = n % 3 !== 2;
      const url = hit ? `/sessions/${session}/hit` : `/square/${n % 50}`;
      const response = await send(hit ? 'POST' : 'GET', url);
      if (response?.status === 200 && hit && session === first) firstHits++;
      if (response === undefined || response.status >= 300) {
        if (hit && response?.status === 404 && !stop) {
          sessionsLost++;
          session = await open();
        }
        await sleep(RETRY_MS);
      }
    }
    return { first, firstHits };
  });

  // Warm-up: traffic on the first version before the first edit.
  await sleep(GAP_MS);
  const writes = [];
  const statuses = [];
  for (const [i, edit] of EDITS.entries()) {
    await sleep(GAP_MS);
    writes.push(now());
    side.write(edit);
    if (side.report !== undefined) {
      const status = await side.report(i);
      statuses.push(status);
      if (status !== edit.expect) log(`  ${name}: edit ${i} (${edit.what}): ${status}, expected ${edit.expect}`);
    }
  }
  await sleep(GAP_MS);
  const end = now();
  stop = true;
  const sessions = await Promise.all(traffic);
  for (const client of clients) client.close();

  // State: one more hit on each client's first session.
  const checker = new Client(port);
  let kept = 0;
  let made = 0;
  for (const { first, firstHits } of sessions) {
    made += firstHits;
    const response = await checker.request('POST', `/sessions/${first}/hit`).catch(() => undefined);
    if (response?.status === 200) kept += (response.body.hits ?? 1) - 1;
  }
  const after = (await checker.request('GET', '/health').catch(() => ({ body: {} }))).body;
  checker.close();

  // Stalls: gaps between consecutive successful responses overlapping each edit's window.
  ok.sort((a, b) => a - b);
  const perEdit = writes.map((w, k) => {
    const next = writes[k + 1] ?? end;
    let stall = 0;
    for (let j = 1; j < ok.length; j++) if (ok[j] > w && ok[j - 1] < next) stall = Math.max(stall, ok[j] - ok[j - 1]);
    // No response at all after w: the gap runs from the last response before it to the end.
    const last = ok.findLast((t) => t <= w) ?? w;
    if (!ok.some((t) => t > w)) stall = Math.max(stall, end - last);
    let latency = 0;
    for (const r of requests) if (r.ok && r.start >= w && r.start < next) latency = Math.max(latency, r.end - r.start);
    return { edit: EDITS[k].what, file: EDITS[k].file, status: statuses[k], stallMs: stall, latencyMs: latency };
  });
  // The same measure with no edit: the gaps in the warm-up before the first edit.
  let baseline = 0;
  for (let j = 1; j < ok.length && ok[j] < writes[0]; j++) baseline = Math.max(baseline, ok[j] - ok[j - 1]);

  if (verbose) {
    log(`\n${name}: per edit (stall ms, latency ms)`);
    for (const [k, e] of perEdit.entries()) log(`  ${String(k).padStart(2)} ${e.file.padEnd(44)} ${e.status ?? ''} stall ${fmtMs(e.stallMs)} latency ${fmtMs(e.latencyMs)}  ${e.edit}`);
  }

  const starts = (child.stdout().match(/listening on http/g) ?? []).length;
  // Stop: the watcher and, if it outlived it, the server it started.
  child.process.kill('SIGTERM');
  await Promise.race([child.exited, sleep(5000)]);
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  if (typeof after.pid === 'number' && after.pid !== child.process.pid) {
    try {
      process.kill(after.pid, 'SIGKILL');
    } catch {}
  }
  side.remove();

  const stalls = perEdit.map((e) => e.stallMs);
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    side: name,
    responses: ok.length,
    failed,
    failures,
    editsWithFailures: perEdit.length === 0 ? 0 : writes.filter((w, k) => requests.some((r) => !r.ok && r.end > w && r.end < (writes[k + 1] ?? end))).length,
    stallMedianMs: median(stalls),
    stallMaxMs: Math.max(...stalls),
    latencyMedianMs: median(perEdit.map((e) => e.latencyMs)),
    latencyMaxMs: Math.max(...perEdit.map((e) => e.latencyMs)),
    baselineStallMs: baseline,
    statusesMatch: side.report === undefined ? undefined : statuses.every((s, k) => s === EDITS[k].expect),
    starts,
    state: { counterKept: kept, hitsMade: made, sessionsLost, sameServer: after.serverId === before.serverId, kept: kept === made && sessionsLost === 0 && after.serverId === before.serverId },
    perEdit,
    firstFailures: firstFailure,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

const label = { hotstate: '`hotstate run`', node: '`node --watch`' };

/** The results as a markdown table: one column per side, and hotstate / node where a ratio means something. */
export function resultTable(results) {
  const hs = results.find((r) => r.side === 'hotstate');
  const nw = results.find((r) => r.side === 'node');
  const both = hs !== undefined && nw !== undefined;
  const ratio = (key) => () => (both && nw[key] > 0 ? fmtRatio(hs[key] / nw[key]) : '');
  const none = () => '';
  const kinds = (r) => Object.entries(r.failures).filter(([kind, n]) => n > 0 || ['refused', 'reset', 'non-2xx'].includes(kind));
  const rows = [
    ['responses (2xx)', (r) => String(r.responses), none],
    ['failed requests', (r) => `${r.failed} (${kinds(r).map(([kind, n]) => `${kind} ${n}`).join(', ')})`, none],
    ['edits with a failed request', (r) => `${r.editsWithFailures} of ${r.perEdit.length}`, none],
    ['stall per edit, median ms', (r) => fmtMs(r.stallMedianMs), ratio('stallMedianMs')],
    ['stall per edit, longest ms', (r) => fmtMs(r.stallMaxMs), ratio('stallMaxMs')],
    ['longest latency of a 2xx request per edit, median ms', (r) => fmtMs(r.latencyMedianMs), none],
    ['longest gap in the warm-up (no edit), ms', (r) => fmtMs(r.baselineStallMs), none],
    ['first sessions\' counters at the end / hits made', (r) => `${r.state.counterKept} / ${r.state.hitsMade}`, none],
    ['server processes started', (r) => String(r.starts), none],
    ['sessions lost; same server at the end', (r) => `${r.state.sessionsLost}; ${r.state.sameServer ? 'yes' : 'no'}`, none],
    ['state kept', (r) => (r.state.kept ? 'yes' : 'no'), none],
  ];
  return table(['', ...results.map((r) => label[r.side]), ...(both ? ['hotstate / node'] : [])], rows.map(([title, cell, r]) => [title, ...results.map(cell), ...(both ? [r()] : [])]));
}

async function main() {
  if (GAP_MS <= 200) throw new Error('--gap must be above 200 ms (node --watch ignores a second change of a file within 200 ms)');
  let dist = flag('--dist') ?? distDir();
  if (flag('--dist') === undefined && dist === BUILD_DIR && (!args.includes('--no-build') || !existsSync(path.join(BUILD_DIR, 'cli', 'bin.js')))) {
    log('building the package into bench/.build/dist ...');
    buildPrivate();
  }
  dist = path.resolve(dist);
  if (!existsSync(path.join(dist, 'cli', 'bin.js'))) throw new Error(`${dist}/cli/bin.js is missing`);
  await loadHarness();

  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();
  const results = [];
  for (const name of SIDES) {
    log(`${name}: ${CLIENTS} clients, ${EDITS.length} edits, one every ${GAP_MS} ms ...`);
    results.push(await runSide(name, dist));
  }
  const loadAfter = load();
  if (verbose) for (const r of results) if (r.firstFailures.length > 0) log(`${r.side}: first failures:\n  ${r.firstFailures.join('\n  ')}`);

  const hs = results.find((r) => r.side === 'hotstate');
  const target = hs && {
    met: hs.failed === TARGET.failures && hs.stallMaxMs <= TARGET.stallMs && hs.state.kept,
    line:
      `Target for hotstate (0 failed requests, longest stall <= ${TARGET.stallMs} ms, state kept): ` +
      `${hs.failed === TARGET.failures && hs.stallMaxMs <= TARGET.stallMs && hs.state.kept ? 'met' : 'MISSED'} ` +
      `(${hs.failed} failed, longest stall ${fmtMs(hs.stallMaxMs)} ms, state ${hs.state.kept ? 'kept' : 'NOT kept'}` +
      `${hs.statusesMatch === false ? '; some update reports differ from the expected status' : ''})`,
  };
  if (json) {
    console.log(JSON.stringify({ node: process.version, cores: os.cpus().length, load: { before: loadBefore, after: loadAfter }, gapMs: GAP_MS, clients: CLIENTS, retryMs: RETRY_MS, edits: EDITS.length, target: target?.met, results }, null, 2));
    return;
  }
  console.log(`## \`hotstate run\` vs \`node --watch\`: the playground server, ${CLIENTS} keep-alive clients, ${EDITS.length} edits, one every ${GAP_MS} ms\n`);
  console.log(`Node ${process.version}, ${os.cpus().length} cores, load average ${loadBefore} before, ${loadAfter} after\n`);
  console.log(resultTable(results));
  if (target) console.log(`\n${target.line}`);
}

if (process.argv[1] === self) await main();
