import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger, ViteDevServer } from 'vite';
import type { ModuleRunner } from 'vite/module-runner';
import { isIncompatiblePolicy, LINEAGES_KEY, type IncompatiblePolicy } from '../runtime/contract.ts';

/**
 * `hotstate run <entry> [-- args]`: runs a Node program under Vite's module runner with the
 * hotstate plugin, and applies every saved change to it in-process, as a transaction. The process,
 * its sockets and its state stay; the report of each update goes to stderr.
 *
 * The program is loaded by `createServerModuleRunner` on a Vite dev server in middleware mode
 * (no HTTP server of Vite's): Vite's file watcher sees the change, the plugin instruments the new
 * version, and the runner's HMR client evaluates it between two turns of the event loop.
 */

export const RUN_HELP = `Usage: hotstate run [options] <entry.ts|.js> [-- args]

Runs a Node program with hot updates: every saved change of a module it loaded is applied in the
running process, as a transaction (all or nothing), keeping its state, sockets and connections.
Each update's report is printed to stderr; a failed update is rolled back and the old code keeps
running. Arguments after the entry (or after \`--\`) are the program's: process.argv is
[node, <entry>, ...args], as under \`node <entry> args\`.

Options:
  --on-incompatible <policy>  when a state type changes incompatibly and no migration covers it:
                              reject (default: refuse the update), reset or keep
  --watch <dir>               watch this folder for changes; repeatable (default: the root)
  --quiet                     print only failed updates and warnings
  --root <dir>                project root: module IDs and migrations are relative to it
                              (default: the current directory)
  -h, --help                  show this help

SIGINT/SIGTERM run the once() cleanups of every loaded module, then exit with the program's
exit code (process.exitCode), or 130/143 if it set none. When the program's own work is done,
hotstate run keeps watching (like node --watch) until it is interrupted or calls process.exit().
`;


export interface RunOptions {
  entry: string;
  args: string[];
  root: string;
  watch: string[];
  quiet: boolean;
  onIncompatible: IncompatiblePolicy;
}

export class RunUsageError extends Error {}

/** Splits `run`'s arguments into its options and the program's. */
export function parseRunArgs(argv: string[], cwd: string): RunOptions | 'help' {
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  const after = dashes === -1 ? [] : argv.slice(dashes + 1);
  // Everything after the entry is the program's, options included (`run main.ts --port 1`).
  const entryAt = own.findIndex((arg, i) => !arg.startsWith('-') && !(i > 0 && ['--on-incompatible', '--watch', '--root'].includes(own[i - 1]!)));
  const options = entryAt === -1 ? own : own.slice(0, entryAt + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: options,
      options: {
        'on-incompatible': { type: 'string' },
        watch: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new RunUsageError(`${error instanceof Error ? error.message : String(error)}.`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  const entry = positionals[0];
  if (entry === undefined) throw new RunUsageError('run: missing the entry module (`hotstate run <entry.ts>`).');
  const policy = values['on-incompatible'] ?? 'reject';
  if (!isIncompatiblePolicy(policy)) throw new RunUsageError(`--on-incompatible ${policy}: expected reject, reset or keep.`);
  const root = path.resolve(cwd, values.root ?? '.');
  const file = path.resolve(cwd, entry);
  if (!existsSync(file) || !statSync(file).isFile()) throw new RunUsageError(`run: no such file: ${entry}.`);
  const watch = (values.watch ?? []).map((dir) => path.resolve(cwd, dir));
  for (const dir of watch) if (!existsSync(dir)) throw new RunUsageError(`--watch ${dir}: no such folder.`);
  return {
    entry: file,
    args: [...(entryAt === -1 ? [] : own.slice(entryAt + 1)), ...after],
    root,
    watch: watch.length > 0 ? watch : [root],
    quiet: values.quiet === true,
    onIncompatible: policy,
  };
}

/** An error of the program's, without the frames of Vite's and Node's internals. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const stack = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at ') && !/node_modules[\\/]|node:internal|\(node:/.test(line));
  return [error.message.replace(/^\[hotstate\] /, ''), ...stack].join('\n');
}

const inside = (dir: string, file: string): boolean => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Vite's logger, on stderr (the program owns stdout); `quiet` keeps failures and warnings. */
function stderrLogger(stderr: NodeJS.WritableStream, quiet: boolean): Logger {
  const warned = new Set<string>();
  let errorLogged = false;
  const write = (msg: string): void => void stderr.write(`${msg}\n`);
  return {
    hasWarned: false,
    info: (msg) => {
      // Vite's own line for each module runner update repeats what the report says.
      if (!quiet && !/\bhmr update\b/.test(msg)) write(msg);
    },
    warn(msg) {
      this.hasWarned = true;
      write(msg);
    },
    warnOnce(msg) {
      if (warned.has(msg)) return;
      warned.add(msg);
      this.warn(msg);
    },
    error: (msg) => {
      errorLogged = true;
      write(msg);
    },
    clearScreen: () => {},
    hasErrorLogged: () => errorLogged,
  };
}

export interface Running {
  server: ViteDevServer;
  runner: ModuleRunner;
  /**
   * Runs the `once` cleanups of every loaded module. The process exits next: closing Vite's file
   * watchers first would only delay that (by seconds on a large tree).
   */
  stop(): void;
}

/** Starts the program; resolves once its entry module evaluated (rejects with its error). */
export async function startProgram(options: RunOptions, stderr: NodeJS.WritableStream): Promise<Running> {
  // Loaded here, so that `check` and `migrate` do not pay for Vite.
  const [{ createServer, createServerModuleRunner }, { hotstate }] = await Promise.all([import('vite'), import('../plugin/vite.ts')]);
  const logger = stderrLogger(stderr, options.quiet);
  const watched = options.watch;
  const server = await createServer({
    root: options.root,
    configFile: false,
    envDir: false,
    customLogger: logger,
    appType: 'custom',
    clearScreen: false,
    // Nothing runs in a browser: no dependency pre-bundling (and no writes to node_modules/.vite).
    optimizeDeps: { noDiscovery: true, include: [] },
    server: {
      middlewareMode: true,
      ws: false,
      watch: {
        // Only the watched folders (and the folders above them, which the watcher walks through).
        ignored: (file: string) => !watched.some((dir) => inside(dir, file) || inside(file, dir)),
        // A compiler rewriting its output (tsc --watch) empties a file, then writes it: an update
        // waits until the file stopped changing, so it never loads a half-written module.
        awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 },
      },
    },
    // Vite's watcher leaves out the build's output folder (`dist`), which is where a compiled
    // program runs from (`hotstate run dist/main.js`); nothing is built here.
    build: { emptyOutDir: false },
    plugins: [hotstate({ onIncompatible: options.onIncompatible })],
  });
  for (const dir of watched) if (!inside(options.root, dir)) server.watcher.add(dir);

  // A change Vite can only apply by running the program again (a module hotstate does not
  // instrument and nothing accepts): re-running the entry in the same process would start a second
  // program next to the first (a second listen() on the same port), so say it and keep the old code.
  const hot = server.environments.ssr!.hot;
  const send = hot.send.bind(hot) as (...args: unknown[]) => void;
  hot.send = ((...args: unknown[]) => {
    const payload = args[0] as { type?: string; triggeredBy?: string } | undefined;
    if (typeof payload === 'object' && payload?.type === 'full-reload') {
      const file = payload.triggeredBy === undefined ? 'a file' : path.relative(options.root, payload.triggeredBy);
      logger.warn(`[hotstate] ${file} changed, but it cannot be updated in place (hotstate does not instrument it and no module accepts it); restart \`hotstate run\` to load it. The program keeps running the old code.`);
      return;
    }
    send(...args);
  }) as typeof hot.send;

  const runner = createServerModuleRunner(server.environments.ssr!, {
    hmr: { logger: { debug: () => {}, error: (error: unknown) => logger.error(`[hotstate] ${describe(error)}`) } },
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    const live = (globalThis as { [LINEAGES_KEY]?: Set<{ dispose(): void }> })[LINEAGES_KEY];
    // Importers were created after what they import: clean them up first.
    for (const lineage of [...(live ?? [])].reverse()) {
      try {
        lineage.dispose();
      } catch (error) {
        logger.error(`[hotstate] a once() cleanup threw: ${describe(error)}`);
      }
    }
  };
  try {
    await runner.import(options.entry);
  } catch (error) {
    await server.close().catch(() => {});
    throw error;
  }
  return { server, runner, stop };
}

/**
 * The `run` command. Resolves with an exit status for usage errors and a program that threw while
 * loading, or `undefined` once the program runs: from then on the program owns the exit status.
 */
export async function run(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; cwd: string }): Promise<number | undefined> {
  let options: RunOptions | 'help';
  try {
    options = parseRunArgs(argv, io.cwd);
  } catch (error) {
    if (!(error instanceof RunUsageError)) throw error;
    io.stderr.write(`hotstate: ${error.message}\n\n${RUN_HELP}`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  process.argv = [process.argv[0]!, options.entry, ...options.args];
  const ready = startProgram(options, io.stderr);
  // A signal that arrives while the program loads ends it the same way, once it loaded.
  let signalled: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== undefined) process.exit(process.exitCode ?? signalled); // a second Ctrl-C: now
    const status = (signalled = signal === 'SIGINT' ? 130 : 143);
    // (A program that failed to load has ended already, with status 1.)
    void ready.then((running) => {
      running.stop();
      process.exit(process.exitCode ?? status);
    }, () => {});
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await ready;
    return undefined;
  } catch (error) {
    // As plain node does with a program that throws while it loads: the stack, and status 1.
    io.stderr.write(`${error instanceof Error ? (error.stack ?? String(error)) : `Uncaught ${String(error)}`}\n`);
    return 1;
  }
}
