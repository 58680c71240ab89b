import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFiles } from './files.ts';
import { createServer, createServerModuleRunner, type Plugin, type ViteDevServer } from 'vite';
import type { ModuleRunner } from 'vite/module-runner';
import { REPORT_EVENT, type UpdateReport } from '../runtime/contract.ts';
import { hotstate } from '../plugin/vite.ts';
import type { HotstateOptions } from '../plugin/options.ts';

/**
 * A project on disk, served by a real Vite dev server in middleware mode, loaded by a real
 * module runner with HMR: write files, import them, edit them, wait for the update.
 */
export interface Project {
  root: string;
  server: ViteDevServer;
  runner: ModuleRunner;
  reports: UpdateReport[];
  /** What the dev server printed (info, warn and error lines). */
  printed: string[];
  /** Imports a module by its path relative to the root (`src/a.ts`). */
  load<T = Record<string, any>>(file: string): Promise<T>;
  /** Writes a file and waits for the hot update of that module to apply or roll back. */
  edit(file: string, content: string): Promise<UpdateReport>;
  /** Writes each content in turn, without waiting for updates in between; resolves with all reports. */
  editAll(file: string, contents: string[]): Promise<UpdateReport[]>;
  /** Writes files (spaced so the file watcher sees every write; see `spacedWrite`). */
  write(files: Record<string, string>): Promise<void>;
  /** A second, independent module runner on the same server (a fresh load). */
  freshRunner(): ModuleRunner;
  close(): Promise<void>;
}

const WATCHER_GAP_MS = 150;

/**
 * `host`: plugins that compile the project's modules before hotstate sees them (another host's
 * output, already instrumented, which hotstate then serves as it is); none for the Vite host.
 * `after`: plugins placed after hotstate in the config.
 */
export async function startProject(files: Record<string, string>, options: HotstateOptions = {}, host: Plugin[] = [], after: Plugin[] = []): Promise<Project> {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-')));
  const lastWrite = new Map<string, number>();
  const writeNow = (more: Record<string, string>): void => {
    writeFiles(root, more);
    for (const file of Object.keys(more)) lastWrite.set(file, Date.now());
  };
  // The file watcher folds a second change of the same file within ~100 ms into the first, as
  // editors never save that fast; writes to one file are spaced so each one is seen.
  const write = async (more: Record<string, string>): Promise<void> => {
    const last = Math.max(0, ...Object.keys(more).map((file) => lastWrite.get(file) ?? 0));
    const wait = last + WATCHER_GAP_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    writeNow(more);
  };
  writeNow(files);
  const printed: string[] = [];
  const record = (msg: string): void => {
    printed.push(msg);
    if (process.env.HOTSTATE_DEBUG) console.log(msg);
  };
  const server = await createServer({
    root,
    configFile: false,
    customLogger: {
      info: record,
      warn: record,
      warnOnce: record,
      error: record,
      clearScreen: () => {},
      hasErrorLogged: () => false,
      hasWarned: false,
    },
    appType: 'custom',
    server: { middlewareMode: true, ws: false, watch: { usePolling: false } },
    plugins: [...host, hotstate(options), ...after],
  });
  const runners: ModuleRunner[] = [];
  // Stack traces are mapped by the runner itself: Node's native mode does not apply under vitest.
  const freshRunner = (): ModuleRunner => {
    const runner = createServerModuleRunner(server.environments.ssr, { sourcemapInterceptor: 'prepareStackTrace', hmr: { logger: process.env.HOTSTATE_DEBUG ? console : false } });
    runners.push(runner);
    return runner;
  };
  const runner = freshRunner();
  const reports: UpdateReport[] = [];
  const waiters: Array<{ id: string; resolve: (report: UpdateReport) => void }> = [];
  server.environments.ssr.hot.on(REPORT_EVENT, (report: UpdateReport) => {
    if (process.env.HOTSTATE_DEBUG) console.log('HARNESS GOT', report.id, report.status);
    reports.push(report);
    const i = waiters.findIndex((waiter) => waiter.id === report.id);
    if (i !== -1) waiters.splice(i, 1)[0]!.resolve(report);
  });

  const nextReport = (file: string): Promise<UpdateReport> =>
    new Promise<UpdateReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no hot update report for ${file} within 10 s`)), 10_000);
      waiters.push({ id: file, resolve: (r) => (clearTimeout(timer), resolve(r)) });
    });

  return {
    root,
    server,
    runner,
    reports,
    printed,
    load: (file) => runner.import(`/${file}`),
    write,
    freshRunner,
    async edit(file, content) {
      const report = nextReport(file);
      await write({ [file]: content });
      return report;
    },
    async editAll(file, contents) {
      const reports = contents.map(() => nextReport(file));
      for (const content of contents) await write({ [file]: content });
      return Promise.all(reports);
    },
    async close() {
      for (const r of runners) await r.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
