import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCli, CLI, removeCliBuild } from './cli.ts';
import { Client, copyServer, EDITS, readFile, removeServer, reportedFile, startChild, writeFile, type Child, type Response } from './run-server.ts';

/**
 * `hotstate run` keeping a Node server alive through a series of edits: the playground server
 * (`playground/server/`) under the built CLI, steady keep-alive traffic from four clients, and
 * 24 scripted edits, some of which fail. Nothing the clients see may fail, go backwards or be lost.
 */

beforeAll(() => buildCli(), 120_000);
afterAll(() => removeCliBuild());

/** Heap growth allowed per update, after a forced GC (measured: about 50 KiB). */
const HEAP_PER_UPDATE = 256 * 1024;

/** Gap between edits, so that traffic runs on each version (and the file watcher sees each write). */
const GAP_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('hotstate run', () => {
  let root: string | undefined;
  let child: Child | undefined;
  afterAll(() => {
    child?.process.kill('SIGKILL');
    if (root !== undefined) removeServer(root);
  });

  test('keeps a server with keep-alive traffic through 24 edits: no failed request, no lost update, same socket, stable memory', async () => {
    expect(EDITS.length).toBeGreaterThanOrEqual(20);
    root = copyServer();
    child = await startChild(process.execPath, ['--expose-gc', CLI, 'run', 'main.ts', '--', '--port', '0'], root);
    const { port } = child;
    const admin = new Client(port);
    const health = (await admin.request('GET', '/health')).body;
    const [serverId, startedAt] = [health.serverId, health.startedAt as number];
    expect((await admin.request('GET', '/legacy/ping')).status).toBe(200);

    // What the test knows: versions whose report it saw (live from then on) and the newest written.
    let seen = 1;
    let written = 1;
    const applied = new Set([1]);
    const failedVersions = new Set<number>();
    const problems: string[] = [];
    let stop = false;
    let hits = 0;
    const served: Array<{ client: number; version: number }> = [];

    const clients = [0, 1, 2, 3].map(() => new Client(port));
    const traffic = clients.map(async (client, i) => {
      const session = (await client.request('POST', '/sessions')).body.id as string;
      let mine = 0;
      let last = 0;
      for (let n = 0; !stop; n++) {
        const [method, url] = n % 3 === 2 ? ['GET', `/square/${n % 50}`] : ['POST', `/sessions/${session}/hit`];
        const floor = seen;
        let response: Response;
        try {
          response = await client.request(method, url);
        } catch (error) {
          problems.push(`client ${i}: ${method} ${url} failed: ${String(error)}`);
          continue;
        }
        const version = response.body.version as number;
        if (response.status !== 200) problems.push(`client ${i}: ${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
        else if (url.endsWith('/hit')) {
          mine++;
          hits++;
          if (response.body.hits !== mine) problems.push(`client ${i}: session hits ${String(response.body.hits)}, expected ${mine}`);
        }
        if (version < floor || version > written || failedVersions.has(version)) {
          problems.push(`client ${i}: served by version ${version}, but version ${floor} was live when it was sent and ${written} the newest written`);
        }
        if (version < last) problems.push(`client ${i}: version went back from ${last} to ${version}`);
        last = version;
        served.push({ client: i, version });
      }
      return { session, mine };
    });

    let heapAfterWarmUp = 0;
    for (const [i, edit] of EDITS.entries()) {
      await sleep(GAP_MS);
      if (edit.version !== undefined) {
        if (edit.expect === 'applied') written = edit.version;
        else failedVersions.add(edit.version);
      }
      writeFile(root, edit.file, edit.change(readFile(root, edit.file)));
      const report = await child.report(i);
      const file = reportedFile(edit);
      expect({ edit: i, file: report.file, status: report.status }, report.text).toEqual({ edit: i, file, status: edit.expect });
      if (edit.version !== undefined && edit.expect === 'applied') {
        applied.add(edit.version);
        seen = edit.version;
      }
      if (i === 3) heapAfterWarmUp = (await admin.request('GET', '/stats')).body.heapUsed as number;
    }
    await sleep(GAP_MS);
    stop = true;
    const sessions = await Promise.all(traffic);

    expect(problems).toEqual([]);
    // Every version served was applied, and the traffic saw most of them.
    expect(new Set(served.map((s) => s.version)).size).toBeGreaterThan(10);
    expect([...new Set(served.map((s) => s.version))].every((v) => applied.has(v))).toBe(true);
    expect(served.length).toBeGreaterThan(200);
    // No lost update: the server counted exactly the hits the clients got.
    const stats = (await admin.request('GET', '/stats')).body;
    expect(stats.total).toBe(hits);
    expect(stats.sessions).toBe(4);
    for (const [i, client] of clients.entries()) {
      // One keep-alive connection per client, from the first request to the last.
      expect(client.sockets.size, `client ${i} sockets`).toBe(1);
      const hitsNow = await client.request('POST', `/sessions/${sessions[i]!.session}/hit`);
      expect(hitsNow.body.hits).toBe(sessions[i]!.mine + 1);
      expect(hitsNow.body.lastSeen).toBeGreaterThan(0);
      client.close();
    }
    // The same process and listening socket, its identity kept, `startedAt` migrated.
    const after = (await admin.request('GET', '/health')).body;
    expect(after).toMatchObject({ version: 18, serverId, startedAt: new Date(startedAt).toISOString(), note: 'edited again' });
    expect(child.reports.find((r) => r.text.includes('startedAt: migrated'))?.text).toContain('migrated (by hotstate/migrations/0001-state-startedAt.ts)');
    expect((await admin.request('GET', '/legacy/ping')).status).toBe(404);
    // Memory: the heap after a forced GC grows by less than HEAP_PER_UPDATE per update.
    const updates = EDITS.length - 4;
    const growth = (stats.heapUsed as number) - heapAfterWarmUp;
    expect(growth / updates, `heap ${heapAfterWarmUp} -> ${String(stats.heapUsed)} over ${updates} updates`).toBeLessThan(HEAP_PER_UPDATE);
    admin.close();
    console.info(
      `hotstate run: ${served.length} responses over ${EDITS.length} edits, ${new Set(served.map((s) => s.version)).size} versions served, ` +
        `heap ${(growth / updates / 1024).toFixed(1)} KiB per update (bound ${HEAP_PER_UPDATE / 1024} KiB)`,
    );

    // SIGINT: the once() cleanups run (the server closes), then the conventional status.
    child.process.kill('SIGINT');
    expect(await child.exited).toEqual({ code: 130, signal: null });
    expect(child.stdout()).toContain('server closed');
  }, 90_000);

  test('the program owns argv, its exit code and its uncaught errors, as under plain node', () => {
    const dir = copyServer();
    const run = (source: string, ...args: string[]) => {
      writeFile(dir, 'program.ts', source);
      const result = spawnSync(process.execPath, [CLI, 'run', ...(args.includes('program.ts') ? args : ['program.ts', ...args])], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    try {
      expect(run("const n: number = 7;\nconsole.log(JSON.stringify(process.argv.slice(2)));\nprocess.exit(n);\n", '--', 'a', '--b')).toMatchObject({ status: 7, stdout: '["a","--b"]\n' });
      const loadError = run("const n: number = 1;\nthrow new Error('boom ' + n);\n");
      expect(loadError.status).toBe(1);
      expect(loadError.stderr).toMatch(/Error: boom 1\n\s+at .*program\.ts:2/);
      const later = run("setTimeout(() => {\n  throw new Error('later');\n}, 10);\n");
      expect(later.status).toBe(1);
      expect(later.stderr).toMatch(/Error: later\n\s+at .*program\.ts:2/);
      const usage = run('', '--on-incompatible', 'maybe', 'program.ts');
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain('--on-incompatible maybe: expected reject, reset or keep.');
    } finally {
      removeServer(dir);
    }
  }, 60_000);
});
