/**
 * Vite's own TypeScript and JSX step (`vite:oxc`), run by hotstate for the modules it instruments.
 *
 * Done by `vite:oxc`, the step gets hotstate's output, and Vite then composes the two source maps
 * (hotstate's, then oxc's) in JavaScript on every request: for a 400-line module that was the
 * largest single cost of an edit after hotstate's own transform (bench/README.md §4). Here oxc
 * takes hotstate's map as its input map and composes it natively, so the module leaves hotstate as
 * JavaScript with one map from it straight to the source, and `vite:oxc` passes over exactly the
 * code hotstate returned (`skip`). The options are the ones `vite:oxc` would use for the module
 * (Vite 8's `oxc` config, JSX refresh per environment, `jsxInject`), so the output is the same.
 *
 * When Vite has no `vite:oxc` step (`oxc: false`) or runs it natively (bundled dev), hotstate
 * returns TypeScript and leaves the step to Vite, as before.
 */
import { createFilter, transformWithOxc, type Environment, type FSWatcher, type OxcOptions, type Plugin, type ResolvedConfig } from 'vite';

type Stripped = { code: string; map: Awaited<ReturnType<typeof transformWithOxc>>['map']; warnings: string[] };

/** Warnings about a tsconfig option oxc does not support: once per message, as `vite:oxc` does. */
const warnedTsconfigOptions = new Set<string>();

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
  /** Per environment and module: the code hotstate returned, which `vite:oxc` then passes over. */
  readonly #returned = new Map<string, string>();
  watcher: FSWatcher | undefined;

  /** The step for `config`, with `vite:oxc` made to pass over what it returns; undefined when Vite has none. */
  static for(config: ResolvedConfig): OxcStep | undefined {
    const plugin = config.oxc === false ? undefined : config.plugins.find((p) => p.name === 'vite:oxc');
    if (config.oxc === false || plugin?.transform === undefined) return undefined;
    const step = new OxcStep(config, config.oxc);
    const original = plugin.transform;
    const handler = typeof original === 'function' ? original : original.handler;
    const skipping: typeof handler = function (this: ThisParameterType<typeof handler>, code, id, ...rest) {
      return step.#consume(this.environment, id, code) ? null : handler.call(this, code, id, ...rest);
    };
    (plugin as Plugin).transform = typeof original === 'function' ? skipping : { ...original, handler: skipping };
    return step;
  }

  private constructor(config: ResolvedConfig, oxc: OxcOptions) {
    const { jsxInject, include, exclude, jsxRefreshInclude, jsxRefreshExclude, ...options } = oxc;
    this.#config = config;
    this.#options = options;
    this.#jsxInject = jsxInject;
    this.#filter = createFilter(include ?? /\.(m?ts|[jt]sx)$/, exclude ?? /\.js$/);
    this.#refreshFilter = jsxRefreshInclude !== undefined || jsxRefreshExclude !== undefined ? createFilter(jsxRefreshInclude, jsxRefreshExclude) : undefined;
    const importSource = (typeof options.jsx === 'object' && options.jsx.importSource) || 'react';
    this.#jsxRuntimes = [`${importSource}/jsx-runtime`, `${importSource}/jsx-dev-runtime`];
  }

  /** Whether `vite:oxc` would transform module `id` (an ID without a query) in `environment`. */
  applies(environment: Environment, id: string): boolean {
    // A bundled environment runs the native step, which this cannot pass over.
    return !environment.config.isBundled && (this.#filter(id) || this.#refreshFilter?.(id) === true);
  }

  /** `code` (hotstate's output for module `id`) as `vite:oxc` would make it, with `map` composed in. */
  async run(environment: Environment, id: string, code: string, map: object): Promise<Stripped> {
    const result = await transformWithOxc(code, id, this.#optionsFor(environment, id, code), map, this.#config, this.watcher);
    const out = this.#jsxInject !== undefined && JSX_FILE.test(id) ? `${this.#jsxInject};${result.code}` : result.code;
    this.#returned.set(`${environment.name}\0${id}`, out);
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

  /** Whether `code` is what this step returned for `id` (then `vite:oxc` has nothing left to do). */
  #consume(environment: Environment, id: string, code: string): boolean {
    const key = `${environment.name}\0${id}`;
    const returned = this.#returned.get(key);
    this.#returned.delete(key);
    return returned === code;
  }
}
