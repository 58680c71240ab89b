import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFilter, searchForWorkspaceRoot, type Plugin, type ResolvedConfig } from 'vite';
import { REPORT_EVENT, RUNTIME_SPECIFIER, UPDATE_EVENT, type UpdateReport } from '../runtime/contract.ts';
import { HotstateError } from '../runtime/errors.ts';
import { formatReport } from '../runtime/report.ts';
import { DEFAULT_MIGRATIONS } from '../schema/migrations.ts';
import { MigrationFolder } from './dev-migrations.ts';
import { StubWriter } from './dev-stubs.ts';
import { isInstrumented } from './marker.ts';
import { moduleId } from './module-id.ts';
import type { HotstateOptions } from './options.ts';
import { transform, type TransformResult } from './transform.ts';
import { OxcStep } from './vite-oxc.ts';

export type { HotstateOptions, FilterPattern } from './options.ts';

const SCRIPT = /\.(?:m?ts|tsx|m?js|jsx)$/;
/** Never instrumented, whatever the options say. */
const NEVER = [/[\\/]node_modules[\\/]/, /\?/, /\.d\.[mc]?ts$/];

/** A runtime file next to this one: built `.js` in the package, `.ts` in a source checkout. */
function runtimeFile(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const js = path.join(here, `../runtime/${name}.js`);
  return existsSync(js) ? js : path.join(here, `../runtime/${name}.ts`);
}

const INDICATOR_SPECIFIER = 'hotstate/indicator';

/** Plugins that run React Fast Refresh in the dev server (`@vitejs/plugin-react`, `@vitejs/plugin-react-swc`). */
const REACT_REFRESH_PLUGINS = new Set(['vite:react-refresh', 'vite:react-swc']);

export { moduleId };

/**
 * The hotstate Vite plugin: instruments modules in the dev server (client and SSR environments,
 * so Vite's module runner behaves like the browser) so that their state survives hot updates.
 * A production build is left untouched.
 *
 * ```ts
 * // vite.config.ts
 * import { defineConfig } from 'vite';
 * import hotstate from 'hotstate/vite';
 * export default defineConfig({ plugins: [hotstate()] });
 * ```
 */
export function hotstate(options: HotstateOptions = {}): Plugin {
  const runtime = runtimeFile('index');
  const indicator = runtimeFile('indicator');
  const runtimeDir = path.dirname(runtime);
  let config: ResolvedConfig;
  let userFilter: (id: string) => boolean = () => true;
  let reactRefresh = false;
  let migrations: MigrationFolder;
  let stubs: StubWriter | undefined;
  /** Whether the module with this resolved ID is one that hotstate instruments. */
  const instruments = (id: string): boolean =>
    SCRIPT.test(id) &&
    !NEVER.some((pattern) => pattern.test(id)) &&
    !id.startsWith(runtimeDir) &&
    // Migrations are plain modules: a change to one propagates to the module that imports it.
    !migrations.contains(id) &&
    userFilter(id);

  return {
    name: 'hotstate',
    // Before Vite strips types: declared annotations are part of the state schema.
    enforce: 'pre',
    // Builds are never instrumented, so their output is what it would be without the plugin.
    apply: 'serve',

    config(userConfig) {
      return {
        // Lets a module accept only its stable exports (`import.meta.hot.acceptExports`), so that
        // importers of its other exports (plain consts, default expressions) run again on update.
        experimental: { hmrPartialAccept: true },
        // The page loads the runtime from this package, which may live outside the workspace
        // (a linked install); keep Vite's default (the workspace root) and add the runtime.
        server: { fs: { allow: [searchForWorkspaceRoot(userConfig.root ? path.resolve(userConfig.root) : process.cwd()), runtimeDir] } },
      };
    },

    configResolved(resolved) {
      config = resolved;
      OxcStep.setUp(resolved);
      userFilter = createFilter(options.include, options.exclude, { resolve: resolved.root });
      reactRefresh =
        options.reactRefresh ?? (resolved.server.hmr !== false && resolved.plugins.some((plugin) => REACT_REFRESH_PLUGINS.has(plugin.name)));
      migrations = new MigrationFolder(resolved.root, path.resolve(resolved.root, options.migrations ?? DEFAULT_MIGRATIONS));
      if (options.stubs !== false) stubs = new StubWriter(migrations, resolved.logger, options.tsconfig);
    },

    resolveId: {
      filter: { id: /^hotstate\/(runtime|indicator)$/ },
      handler(source) {
        return source === RUNTIME_SPECIFIER ? runtime : source === INDICATOR_SPECIFIER ? indicator : null;
      },
    },

    transformIndexHtml: {
      // Before Vite processes the page's scripts, so that it resolves the injected import.
      order: 'pre',
      handler() {
        if (!options.indicator) return undefined;
        return [{ tag: 'script', attrs: { type: 'module' }, children: `import ${JSON.stringify(INDICATOR_SPECIFIER)};`, injectTo: 'body' }];
      },
    },

    transform: {
      filter: { id: { include: SCRIPT, exclude: NEVER } },
      async handler(code, id) {
        // Already instrumented (compiled by hotstate/tsc, or by `hotstate instrument`): as it is.
        if (!instruments(id) || isInstrumented(code)) return null;
        let result: TransformResult | null;
        try {
          const module = moduleId(config.root, id);
          result = transform(code, {
            id: module,
            migrations: migrations.forModule(module),
            filename: id,
            onIncompatible: options.onIncompatible ?? 'reset',
            // Fast Refresh runs in the page only; the SSR module runner keeps one identity per function.
            refresh: reactRefresh && this.environment.config.consumer === 'client',
            // A page cannot ask its heap for live instances (Node can): they register as they are made.
            trackInstances: this.environment.config.consumer === 'client',
          });
        } catch (error) {
          if (error instanceof HotstateError) this.error(error.message);
          // A bug in the transform must not make a valid module unloadable.
          this.warn(
            `internal error while instrumenting ${id}; the module is served without hotstate, so its state is not kept across updates. ` +
              `This is a bug in hotstate; please report it with this file. ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          return null;
        }
        if (result === null) return null;
        for (const diagnostic of result.diagnostics) {
          this.warn(`${diagnostic.message} (${id}:${diagnostic.line})`);
        }
        // Vite's TypeScript and JSX step, with hotstate's source map composed in natively.
        const oxc = OxcStep.of(this.environment.getTopLevelConfig());
        const stripped = oxc?.applies(this.environment, id) ? await oxc.run(this.environment, id, result.code, result.map) : null;
        if (stripped == null) return { code: result.code, map: result.map };
        for (const warning of stripped.warnings) this.warn(`[vite:oxc] ${warning}`);
        return { code: stripped.code, ...(stripped.map && { map: stripped.map }), moduleType: 'js' };
      },
    },

    // An instrumented module always accepts its own update, so the page is about to ask for its
    // new version. Start transforming it now, while Vite's update message travels to the page and
    // the page sends its request; that request then joins this one (Vite shares a pending
    // transform of the same URL). A failure is left to that request, which reports it as usual.
    // Only for the browser: a module runner takes a transform result the server already holds as
    // a sign that its own copy is current (`fetchModule`'s `cached`), and would keep the old code.
    hotUpdate({ type, file, modules, timestamp }) {
      // A migration written, completed or removed: the modules it is for import a different list
      // of migrations now, so they are transformed again and updated.
      if (migrations.contains(file)) {
        const targets = migrations
          .refresh(file, timestamp)
          .flatMap((id) => [...(this.environment.moduleGraph.getModulesByFile(path.resolve(config.root, id)) ?? [])]);
        return [...new Set([...modules, ...targets])];
      }
      if (type !== 'update' || options.pretransform === false || this.environment.config.consumer !== 'client') return;
      for (const mod of modules) {
        if (mod.id !== null && instruments(mod.id)) this.environment.transformRequest(mod.url).catch(() => {});
      }
    },

    configureServer(server) {
      OxcStep.of(server.config)?.watch(server.watcher);
      for (const environment of Object.values(server.environments)) {
        environment.hot.on(REPORT_EVENT, (reported: UpdateReport, client) => {
          // An incompatible change no migration covers: name the stub the dev server writes for it.
          const report = stubs?.request(reported) ?? reported;
          const text = formatReport(report);
          if (report.status === 'applied') config.logger.info(text, { timestamp: true });
          else {
            config.logger.error(text, { timestamp: true });
            // In the page, Vite's error overlay too; the next update that applies clears it.
            if (environment.name === 'client') {
              client.send({ type: 'error', err: { message: text, stack: '', id: path.resolve(config.root, report.id), plugin: 'hotstate' } });
            }
          }
          client.send(UPDATE_EVENT, report);
        });
      }
    },
  };
}

export default hotstate;
