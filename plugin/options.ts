import type { IncompatiblePolicy } from '../runtime/contract.ts';

export type FilterPattern = string | RegExp | ReadonlyArray<string | RegExp>;

/** Options of the `hotstate()` Vite plugin. */
export interface HotstateOptions {
  /**
   * Files to instrument: picomatch globs (relative to the Vite root) or regular expressions
   * matched against absolute file paths. Only `.ts`, `.tsx`, `.mts`, `.js`, `.jsx` and `.mjs`
   * files are ever instrumented.
   * @default every such file outside `node_modules`
   * @example hotstate({ include: ['src/**'] })
   */
  include?: FilterPattern;
  /**
   * Files never to instrument, on top of `node_modules`. A single module can also opt out with a
   * `// @hotstate ignore` comment.
   * @default []
   * @example hotstate({ exclude: ['src/legacy/**', /\.stories\.tsx$/] })
   */
  exclude?: FilterPattern;
  /**
   * What a hot update does with a binding or class field whose declared type annotation changed
   * incompatibly (`let n: number` → `let n: string`):
   * - `'reset'`: start it again from its new initializer, and say so in the update report;
   * - `'reject'`: refuse the whole update; the old code keeps running with its state;
   * - `'keep'`: keep the old value as it is.
   * A widened type (`number` → `number | string`) is always kept.
   * @default 'reset'
   * @example hotstate({ onIncompatible: 'reject' })
   */
  onIncompatible?: IncompatiblePolicy;
  /**
   * Show a small badge in the corner of the page with the last update's outcome (kept, reset,
   * refused). The same report is always logged in the browser console and the terminal.
   * @default false
   * @example hotstate({ indicator: true })
   */
  indicator?: boolean;
  /**
   * Leave React components and hooks to React Fast Refresh. Fast Refresh swaps a component in by
   * registering each version's function object and compares hook signatures per function object;
   * hotstate's one identity per function would hide new versions from it (the edit would show
   * only at the next render, and a changed list of hooks would crash that render). With this on,
   * in the browser (not in SSR), top-level functions named like a component (`App`, in
   * `.jsx`/`.tsx` files) or a hook (`useCount`, in any file) are plain code, so Fast Refresh
   * re-renders them keeping hook state; module state (`let`), other functions and classes are
   * kept by hotstate.
   * @default true when `@vitejs/plugin-react` or `@vitejs/plugin-react-swc` is in the config
   * @example hotstate({ reactRefresh: false })
   */
  reactRefresh?: boolean;
  /**
   * Start transforming a changed module as soon as the file watcher reports it, while Vite's
   * update message is on its way to the page, instead of when the page asks for the new version.
   * The page gets the same code either way, sooner; turn it off only to measure the difference.
   * @default true
   */
  pretransform?: boolean;
  /**
   * The migrations folder, relative to the Vite root. Each module imports the implemented
   * migrations written for it, so that an update that changes the shape of its state applies them
   * (inside the update's transaction), and editing a migration is a hot update too.
   * @default 'hotstate/migrations'
   */
  migrations?: string;
  /**
   * When an update changes a type incompatibly and no migration covers it, write a migration stub
   * for that module into the migrations folder (as `npx hotstate migrate` would, but without
   * touching the snapshot), and name it in the update report. This builds a TypeScript program
   * of the project once per such update, after the update applied, never on the path of an
   * ordinary edit. Needs the committed snapshot (`hotstate/schema.json`) to diff against.
   * @default true
   */
  stubs?: boolean;
  /** The tsconfig the stub writer reads, relative to the Vite root. @default 'tsconfig.json' */
  tsconfig?: string;
}
