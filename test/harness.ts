import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, createServerModuleRunner, type ViteDevServer } from 'vite';
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
  /** Imports a module by its path relative to the root (`src/a.ts`). */
  load<T = Record<string, any>>(file: string): Promise<T>;
  /** Writes a file and waits for the hot update of that module to apply or roll back. */
  edit(file: string, content: string): Promise<UpdateReport>;
  /** Writes files without waiting. */
  write(files: Record<string, string>): void;
  /** A second, independent module runner on the same server (a fresh load). */
  freshRunner(): ModuleRunner;
  close(): Promise<void>;
}

export async function startProject(files: Record<string, string>, options: HotstateOptions = {}): Promise<Project> {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-')));
  const write = (more: Record<string, string>): void => {
    for (const [file, content] of Object.entries(more)) {
      const full = path.join(root, file);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  };
  write(files);
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    appType: 'custom',
    server: { middlewareMode: true, ws: false, watch: { usePolling: false } },
    plugins: [hotstate(options)],
  });
  const runners: ModuleRunner[] = [];
  const freshRunner = (): ModuleRunner => {
    const runner = createServerModuleRunner(server.environments.ssr, { hmr: { logger: false } });
    runners.push(runner);
    return runner;
  };
  const runner = freshRunner();
  const reports: UpdateReport[] = [];
  const waiters: Array<{ id: string; resolve: (report: UpdateReport) => void }> = [];
  server.environments.ssr.hot.on(REPORT_EVENT, (report: UpdateReport) => {
    reports.push(report);
    const i = waiters.findIndex((waiter) => waiter.id === report.id);
    if (i !== -1) waiters.splice(i, 1)[0]!.resolve(report);
  });

  return {
    root,
    server,
    runner,
    reports,
    load: (file) => runner.import(`/${file}`),
    write,
    freshRunner,
    edit(file, content) {
      const report = new Promise<UpdateReport>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no hot update report for ${file} within 10 s`)), 10_000);
        waiters.push({ id: file, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
      write({ [file]: content });
      return report;
    },
    async close() {
      for (const r of runners) await r.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
