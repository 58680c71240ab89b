import { parseSync, type Comment, type Program } from 'oxc-parser';
import { HotstateError } from '../runtime/errors.ts';
import { lineColumn } from './lines.ts';

export interface Parsed {
  program: Program;
  comments: Comment[];
}

/** The parser language for a file name; TypeScript unless the file is plain JavaScript. */
function langOf(filename: string): 'js' | 'jsx' | 'ts' | 'tsx' {
  const ext = /\.([cm]?[jt]sx?)$/.exec(filename)?.[1] ?? 'ts';
  if (ext.endsWith('tsx')) return 'tsx';
  // Plain JavaScript is parsed as JSX too: projects may put JSX in `.js` files.
  return ext.includes('t') ? 'ts' : 'jsx';
}

/** Parses a module; a syntax error becomes a `HotstateError` naming file, line and column. */
export function parseModule(code: string, filename: string): Parsed {
  const result = parseSync(filename, code, { sourceType: 'module', lang: langOf(filename), preserveParens: true });
  const error = result.errors.find((e) => e.severity === 'Error');
  if (error !== undefined) {
    const at = error.labels[0]?.start ?? 0;
    const { line, column } = lineColumn(code, at);
    const frame = error.codeframe ? `\n${error.codeframe}` : '';
    throw new HotstateError(
      `syntax error at ${filename}:${line}:${column + 1}: ${error.message}${error.helpMessage ? ` (${error.helpMessage})` : ''}. ` +
        `Fix it and save again; the running version keeps its state meanwhile.${frame}`,
    );
  }
  return { program: result.program, comments: result.comments };
}
