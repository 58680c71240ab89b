/**
 * Vite's own TypeScript and JSX step (`vite:oxc`), run by hotstate for the modules it instruments.
 *
 * Done by `vite:oxc`, the step gets hotstate's output, and Vite then composes the two source maps
 * (hotstate's, then oxc's) in JavaScript each time the module is transformed: for a 400-line
 * module that was the largest single cost of an edit after hotstate's own transform
 * (bench/README.md §4). Here oxc takes hotstate's map as its input map and composes it natively,
 * so the module leaves hotstate as JavaScript with one map from it straight to the source, and
 * `vite:oxc` passes over the module in that transform (`#consume`). The options are the ones
 * `vite:oxc` would use for the module (Vite 8's `oxc` config, JSX refresh per environment,
 * `jsxInject`), so the output is the same.
 *
 * When Vite has no `vite:oxc` step (`oxc: false`) or runs it natively (bundled dev), or when oxc
 * reports an error, hotstate returns TypeScript and leaves the step to Vite, as before.
 */
import { createFilter, transformWithOxc, type Environment, type FSWatcher, type OxcOptions, type Plugin, type ResolvedConfig } from 'vite';

type Stripped = { code: string; map: Awaited<ReturnType<typeof transformWithOxc>>['map']; warnings: string[] };

/** Warnings about a tsconfig option oxc does not support: once per message, as `vite:oxc` gives them. */
const warnedTsconfigOptions = new Set<string>();

/** The step of each resolved config: a restart resolves a new config while the old server may still run. */
const steps = new WeakMap<ResolvedConfig, OxcStep>();

const JSX_FILE = /\.[jt]sx\b/;
/** As `vite:oxc` decides between JavaScript and the file's own language. */
const JS_TYPES = /\.(?:j|t)sx?$|\.mjs$/;

export class OxcStep {
  readonly #config: ResolvedConfig;
  readonly #options: Omit<OxcOptions, 'include' | 'exclude' | 'jsxInject' | 'jsxRefreshInclude' | 'jsxRefreshExclude'>;
  readonly #jsxInject: string | undefined;
  readonly #filter: (id: string) => boolean;
  readonly #refreshFilter: ((id: string) => boolean) | undefined;
  readonly #jsxRuntimes: string[];
  /** Per environment and module: how many of the results returned here `vite:oxc` has yet to pass over. */
  readonly #ahead = new Map<string, number>();
  #watcher: FSWatcher | undefined;

  /**
   * Sets up the step for `config` (in `configResolved`), and makes `vite:oxc` pass over the
   * modules it returns; none when Vite has no `vite:oxc` step.
   */
  static setUp(config: ResolvedConfig): void {
    const plugin = config.plugins.find((p) => p.name === 'vite:oxc');
    if (config.oxc === false || plugin?.transform === undefined) return;
    const step = new OxcStep(config, config.oxc);
    const original = plugin.transform;
    const handler = typeof original === 'function' ? original : original.handler;
    const passing: typeof handler = function (this: ThisParameterType<typeof handler>, code, id, ...rest) {
      return step.#consume(this.environment, id) ? null : handler.call(this, code, id, ...rest);
    };
    (plugin as Plugin).transform = typeof original === 'function' ? passing : { ...original, handler: passing };
    steps.set(config, step);
  }

  /** The step set up for `config` (an environment's: `getTopLevelConfig()`). */
  static of(config: ResolvedConfig): OxcStep | undefined {
    return steps.get(config);
  }

  private constructor(config: ResolvedConfig, oxc: OxcOptions) {
    // As `oxcPlugin` in Vite 8 reads its options.
    const { jsxInject, include, exclude, jsxRefreshInclude, jsxRefreshExclude, ...options } = oxc;
    this.#config = config;
    this.#options = options;
    this.#jsxInject = jsxInject;
    this.#filter = createFilter(include || /\.(m?ts|[jt]sx)$/, exclude || /\.js$/);
    this.#refreshFilter = jsxRefreshInclude || jsxRefreshExclude ? createFilter(jsxRefreshInclude, jsxRefreshExclude) : undefined;
    const importSource = (typeof options.jsx === 'object' && options.jsx.importSource) || 'react';
    this.#jsxRuntimes = [`${importSource}/jsx-runtime`, `${importSource}/jsx-dev-runtime`];
  }

  /** The dev server's watcher, which `vite:oxc` adds the tsconfig files it reads to. */
  watch(watcher: FSWatcher): void {
    this.#watcher = watcher;
  }

  /** Whether `vite:oxc` would transform module `id` (an ID without a query) in `environment`. */
  applies(environment: Environment, id: string): boolean {
    // A bundled environment runs the native step, which this cannot pass over.
    return !environment.config.isBundled && (this.#filter(id) || this.#refreshFilter?.(id) === true);
  }

  /**
   * `code` (hotstate's output for module `id`) as `vite:oxc` would make it, with `map` composed in;
   * null when oxc reports an error: the caller then returns `code`, and `vite:oxc` reports the error
   * in its own name, as without hotstate.
   */
  async run(environment: Environment, id: string, code: string, map: object): Promise<Stripped | null> {
    let result;
    try {
      result = await transformWithOxc(code, id, this.#optionsFor(environment, id, code), map, this.#config, this.#watcher);
    } catch {
      return null;
    }
    const key = `${environment.name}\0${id}`;
    this.#ahead.set(key, (this.#ahead.get(key) ?? 0) + 1);
    const out = this.#jsxInject && JSX_FILE.test(id) ? `${this.#jsxInject};${result.code}` : result.code;
    const warnings = result.warnings.filter((warning) => {
      if (warning.code !== 'UNSUPPORTED_TSCONFIG_OPTION') return true;
      if (warnedTsconfigOptions.has(warning.message)) return false;
      warnedTsconfigOptions.add(warning.message);
      return true;
    });
    return { code: out, map: result.map, warnings: warnings.map((warning) => warning.message) };
  }

  /** As `vite:oxc` sets them per module (`getModifiedOxcTransformOptions` in Vite 8). */
  #optionsFor(environment: Environment, id: string, code: string): Parameters<typeof transformWithOxc>[2] {
    const options: NonNullable<Parameters<typeof transformWithOxc>[2]> = { ...this.#options, sourcemap: true };
    const jsx = options.jsx;
    const isJsx = id.endsWith('x');
    if (
      typeof jsx === 'object' &&
      jsx.refresh &&
      (environment.config.consumer === 'server' ||
        (this.#refreshFilter !== undefined && !this.#refreshFilter(id)) ||
        !(isJsx || this.#jsxRuntimes.some((runtime) => code.includes(runtime))))
    ) {
      options.jsx = { ...jsx, refresh: false };
    }
    if (this.#refreshFilter?.(id) === true && !JS_TYPES.test(id)) options.lang = 'js';
    return options;
  }

  /**
   * Whether `vite:oxc` is at a module this step already handled in the same transform. Whatever
   * plugins between them did to the code, it is JavaScript (`moduleType: 'js'`), and a second run
   * would inject `jsxInject` and register React components twice.
   */
  #consume(environment: Environment, id: string): boolean {
    const key = `${environment.name}\0${id}`;
    const ahead = this.#ahead.get(key) ?? 0;
    if (ahead === 0) return false;
    if (ahead === 1) this.#ahead.delete(key);
    else this.#ahead.set(key, ahead - 1);
    return true;
  }
}
