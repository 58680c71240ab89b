import type TS from 'typescript';
import type { Plugin, ResolvedConfig } from 'vite';
import { instrumentFile } from '../cli/instrument.ts';
import { moduleId } from '../plugin/module-id.ts';
import type { HotstateOptions } from '../plugin/options.ts';
import { hotstateTransformer } from '../plugin/tsc.ts';
import { RUNTIME_SPECIFIER } from '../runtime/contract.ts';

/**
 * Other hosts than the Vite plugin, as Vite plugins that compile each module the way that host
 * does, before hotstate's plugin (which then serves the already-instrumented output as it is).
 * A compile error fails the module's transform, as it would fail that host's build.
 */

const COMPILER_OPTIONS = (ts: typeof TS): TS.CompilerOptions => ({ target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext });

/** Compiler options of a host, on top of ES2022 and ES module output. */
export type HostOptions = (ts: typeof TS) => TS.CompilerOptions;

function compileHost(
  name: string,
  ts: typeof TS,
  compile: (code: string, id: string, root: string) => { code: string; map: string; diagnostics: readonly TS.Diagnostic[] },
): Plugin {
  let config: ResolvedConfig;
  return {
    name,
    enforce: 'pre',
    configResolved(resolved) {
      config = resolved;
    },
    transform: {
      filter: { id: { include: /\.m?tsx?$/, exclude: /[\\/]node_modules[\\/]|\?/ } },
      handler(code, id) {
        // The project's own modules (not hotstate's runtime, served from this checkout).
        if (!id.startsWith(`${config.root}/`)) return null;
        const out = compile(code, id, config.root);
        const errors = out.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
        if (errors.length > 0) {
          this.error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => config.root, getNewLine: () => '\n' }));
        }
        for (const warning of out.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Warning)) this.warn(ts.flattenDiagnosticMessageText(warning.messageText, '\n'));
        return { code: out.code.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n'), map: out.map };
      },
    },
  };
}

/** tsc with `hotstate/tsc`: each module through `ts.transpileModule` with the transformer. */
export function tscHost(ts: typeof TS, more: HostOptions = () => ({})): (options: HotstateOptions) => Plugin[] {
  return (options) => [
    compileHost(`test:tsc-${ts.version}-${JSON.stringify(more(ts))}`, ts, (code, id, root) => {
      const reported: TS.Diagnostic[] = [];
      const transformer = hotstateTransformer({ ts, root, onDiagnostic: (d) => reported.push(d), ...(options.onIncompatible ? { onIncompatible: options.onIncompatible } : {}) });
      const out = ts.transpileModule(code, {
        fileName: id,
        reportDiagnostics: true,
        compilerOptions: { ...COMPILER_OPTIONS(ts), ...more(ts), sourceMap: true },
        transformers: { before: [transformer] },
      });
      return { code: out.outputText, map: out.sourceMapText!, diagnostics: [...(out.diagnostics ?? []), ...reported] };
    }),
  ];
}

/** A compiler (plain tsc, source maps inline) followed by `hotstate instrument` on its output. */
export function instrumentHost(ts: typeof TS): (options: HotstateOptions) => Plugin[] {
  return (options) => [
    compileHost(`test:instrument-${ts.version}`, ts, (code, id, root) => {
      const out = ts.transpileModule(code, {
        fileName: id,
        reportDiagnostics: true,
        compilerOptions: { ...COMPILER_OPTIONS(ts), inlineSourceMap: true, inlineSources: true },
      });
      const js = id.replace(/\.(m?)tsx?$/, '.$1js');
      const result = instrumentFile(out.outputText, js, js, {
        id: moduleId(root, id),
        filename: js,
        runtime: RUNTIME_SPECIFIER,
        onIncompatible: options.onIncompatible ?? 'reset',
      });
      if (result === null) return { code: out.outputText, map: '', diagnostics: out.diagnostics ?? [] };
      return { code: result.code, map: result.map, diagnostics: out.diagnostics ?? [] };
    }),
  ];
}
