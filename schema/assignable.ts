import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Whether values of one shape (`shape.ts`) fit another, decided by the TypeScript checker: the
 * old shape comes from the snapshot as text, so both are declared in one small in-memory program
 * (`declare const from: <old>; const to: <new> = from;`) and the checker's answer is read from its
 * diagnostics. Shapes only refer to global library types, so the program needs nothing else.
 */

const FILE = '/__hotstate_assignability__.ts';
const LIBS = ['lib.es2023.d.ts', 'lib.dom.d.ts'];
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: LIBS,
  types: [],
  skipLibCheck: true,
};

/** Parsed library files, shared by every call: parsing them is most of the cost. */
const libCache = new Map<string, ts.SourceFile>();
const libDir = path.dirname(ts.getDefaultLibFilePath(OPTIONS));

function host(text: string): ts.CompilerHost {
  const base = ts.createCompilerHost(OPTIONS, true);
  return {
    ...base,
    getSourceFile(fileName, languageVersion) {
      if (fileName === FILE) return ts.createSourceFile(FILE, text, languageVersion, true);
      const cached = libCache.get(fileName);
      if (cached !== undefined) return cached;
      let content: string;
      try {
        content = readFileSync(fileName, 'utf8');
      } catch {
        return undefined;
      }
      const sf = ts.createSourceFile(fileName, content, languageVersion, false);
      if (fileName.startsWith(libDir)) libCache.set(fileName, sf);
      return sf;
    },
    fileExists: (fileName) => fileName === FILE || base.fileExists(fileName),
    readFile: (fileName) => (fileName === FILE ? text : base.readFile(fileName)),
    writeFile: () => {},
  };
}

/** For each pair of shapes, whether a value of `from` is assignable to `to`. One program for all. */
export function assignability(pairs: ReadonlyArray<{ from: string; to: string }>): boolean[] {
  if (pairs.length === 0) return [];
  // Pair i takes lines 2i + 1 and 2i + 2.
  const text = pairs.map((p, i) => `declare const __from_${i}: ${oneLine(p.from)};\nconst __to_${i}: ${oneLine(p.to)} = __from_${i};`).join('\n');
  const program = ts.createProgram({ rootNames: [FILE], options: OPTIONS, host: host(text) });
  const sf = program.getSourceFile(FILE)!;
  const pairOf = (d: ts.Diagnostic): number => Math.floor(sf.getLineAndCharacterOfPosition(d.start ?? 0).line / 2);
  const syntax = program.getSyntacticDiagnostics(sf);
  if (syntax.length > 0) {
    const i = pairOf(syntax[0]!);
    const line = sf.getLineAndCharacterOfPosition(syntax[0]!.start ?? 0).line;
    const which = line % 2 === 0 ? pairs[i]?.from : pairs[i]?.to;
    throw new Error(`[hotstate] not a valid type shape: ${JSON.stringify(which)} (${ts.flattenDiagnosticMessageText(syntax[0]!.messageText, ' ')})`);
  }
  const answers = pairs.map(() => true);
  for (const d of program.getSemanticDiagnostics(sf)) {
    // Not assignable; or a shape names something unknown, which cannot be shown to fit either.
    const i = pairOf(d);
    if (i < answers.length) answers[i] = false;
  }
  return answers;
}

const oneLine = (shape: string): string => shape.replace(/\r?\n/g, ' ');

export function isAssignable(from: string, to: string): boolean {
  return assignability([{ from, to }])[0]!;
}
