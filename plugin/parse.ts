import type { Comment, OxcError, Program } from 'oxc-parser';
// oxc-parser's own `parseSync` also converts the module's import/export records, which the
// transform never reads (a fifth of a parse); its native binding and AST decoder, both exported
// by the package, do only what is needed.
// @ts-expect-error -- untyped subpath export of oxc-parser
import { parseSync as parseNative } from 'oxc-parser/src-js/bindings';
// @ts-expect-error -- untyped subpath export of oxc-parser
import { jsonParseAst } from 'oxc-parser/src-js/wrap';
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

function parse(filename: string, text: string): { program: () => Program; comments: Comment[]; errors: OxcError[] } {
  const result = (parseNative as (...args: unknown[]) => { program: string; comments: Comment[]; errors: OxcError[] })(filename, text, {
    sourceType: 'module',
    lang: langOf(filename),
    preserveParens: true,
  });
  const { comments, errors } = result;
  return { program: () => (jsonParseAst as (json: string) => Program)(result.program), comments, errors };
}

/** A module that does not parse: where, and why (for hosts that report it in their own format). */
export class SyntaxErrorAt extends HotstateError {
  readonly offset: number;
  readonly reason: string;
  constructor(message: string, { offset, reason }: { offset: number; reason: string }) {
    super(message);
    this.offset = offset;
    this.reason = reason;
  }
}

/** Parses a module; a syntax error becomes a `HotstateError` naming file, line and column. */
export function parseModule(code: string, filename: string): Parsed {
  const result = parse(filename, code);
  const error = result.errors.find((e) => e.severity === 'Error');
  if (error !== undefined) {
    const at = error.labels[0]?.start ?? 0;
    const { line, column } = lineColumn(code, at);
    const frame = error.codeframe ? `\n${error.codeframe}` : '';
    const reason = `${error.message}${error.helpMessage ? ` (${error.helpMessage})` : ''}`;
    throw new SyntaxErrorAt(
      `syntax error at ${filename}:${line}:${column + 1}: ${reason}. Fix it and save again; the running version keeps its state meanwhile.${frame}`,
      { offset: at, reason },
    );
  }
  return { program: result.program(), comments: result.comments };
}

/**
 * Parses only the ranges of `code` given (runs of whole top-level statements), as if each stood
 * at its place in the module: the text around them is replaced by spaces, so every offset is the
 * module's. Null when that text does not parse (the caller then parses the whole module).
 */
export function parseRanges(code: string, ranges: ReadonlyArray<{ start: number; end: number }>, filename: string): Parsed | null {
  let text = '';
  for (const { start, end } of ranges) text += ' '.repeat(start - text.length) + code.slice(start, end);
  const result = parse(filename, text);
  if (result.errors.some((e) => e.severity === 'Error')) return null;
  return { program: result.program(), comments: result.comments };
}
