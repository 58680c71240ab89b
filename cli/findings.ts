import { moduleId } from '../plugin/module-id.ts';
import type { Position } from '../schema/types.ts';

/** The rule codes of `hotstate check` (documented in the README). */
export const RULES = {
  HS100: 'snapshot-missing',
  HS101: 'snapshot-corrupt',
  HS102: 'snapshot-stale',
  HS201: 'incompatible-type',
  HS202: 'possible-rename',
  HS301: 'migration-not-implemented',
  HS302: 'migration-type-error',
  HS303: 'migration-outdated',
  HS304: 'migration-malformed',
} as const;

export type RuleCode = keyof typeof RULES;

export interface Finding {
  code: RuleCode;
  severity: 'error' | 'warning';
  /** Absolute path of the file the finding is about. */
  file: string;
  at: Position;
  message: string;
}

export type Format = 'text' | 'json' | 'github';

const byLocation = (a: Finding, b: Finding): number =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.at.line - b.at.line || a.at.column - b.at.column || (a.code < b.code ? -1 : 1);

export interface RenderOptions {
  root: string;
  color: boolean;
  /** The text of a file, for code frames (undefined when it cannot be read). */
  source: (file: string) => string | undefined;
}

/** Whether to color text output: a terminal, and neither `NO_COLOR` nor `TERM=dumb` (no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function render(findings: Finding[], format: Format, options: RenderOptions): string {
  const sorted = [...findings].sort(byLocation);
  const relative = (file: string): string => moduleId(options.root, file);
  if (format === 'json') {
    return `${JSON.stringify(
      {
        findings: sorted.map((f) => ({ code: f.code, rule: RULES[f.code], severity: f.severity, file: relative(f.file), line: f.at.line, column: f.at.column, message: f.message })),
        summary: { errors: sorted.filter((f) => f.severity === 'error').length, warnings: sorted.filter((f) => f.severity === 'warning').length },
      },
      null,
      2,
    )}\n`;
  }
  if (format === 'github') {
    // Workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    const escape = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    const property = (text: string): string => escape(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
    return sorted
      .map((f) => `::${f.severity} file=${property(relative(f.file))},line=${f.at.line},col=${f.at.column},title=${property(`${f.code} ${RULES[f.code]}`)}::${escape(f.message)}\n`)
      .join('');
  }
  const paint = (code: string, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const blocks = sorted.map((f) => {
    const head = `${paint('1', `${relative(f.file)}:${f.at.line}:${f.at.column}`)} ${paint(f.severity === 'error' ? '31' : '33', f.severity)} ${paint('2', `${f.code} ${RULES[f.code]}`)}`;
    const frame = codeFrame(options.source(f.file), f.at);
    return `${head}\n  ${f.message}${frame ? `\n${frame}` : ''}`;
  });
  const errors = sorted.filter((f) => f.severity === 'error').length;
  const summary =
    sorted.length === 0
      ? 'hotstate check: no findings; the state schema matches the snapshot and every migration.'
      : `hotstate check: ${sorted.length} finding${sorted.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}).`;
  return `${[...blocks, summary].join('\n\n')}\n`;
}

/** The finding's line with one line of context before it and a caret under the column. */
export function codeFrame(text: string | undefined, at: Position): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split(/\r?\n/);
  if (at.line < 1 || at.line > lines.length) return undefined;
  const width = String(at.line).length;
  const out: string[] = [];
  for (let n = Math.max(1, at.line - 1); n <= at.line; n++) {
    out.push(`  ${n === at.line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
  }
  out.push(`    ${' '.repeat(width)} | ${' '.repeat(Math.max(0, at.column - 1))}^`);
  return out.join('\n');
}
