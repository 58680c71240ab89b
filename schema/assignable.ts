import ts = require('typescript');
import { HotstateError } from '../runtime/errors.ts';

/**
 * Whether values of one shape (`shape.ts`) fit another, decided by the TypeScript checker. The
 * old shape comes from the snapshot as text, so every pair is declared in one small in-memory
 * program (`declare const __from_i: <from>; const __to_i: <to> = __from_i;`) and the checker's
 * answers are read from its diagnostics. Shapes only name global library types, so the program
 * needs nothing but the default library.
 */

const FILE = '/__hotstate_assignability__.ts';
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: false,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  // No `@types` packages from wherever the process runs: shapes never refer to them.
  types: [],
  skipLibCheck: true,
};

/** Parsed (and, once a program has used them, bound) library files: most of the cost of a program. */
const libFiles = new Map<string, ts.SourceFile>();
let baseHost: ts.CompilerHost | undefined;

function hostFor(text: string, parsed: ts.Program | undefined): ts.CompilerHost {
  baseHost ??= ts.createCompilerHost(OPTIONS, true);
  const base = baseHost;
  /** The same library file from `parsed`, when it was parsed for the same language version. */
  const reuse = (fileName: string, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile | undefined => {
    const sf = parsed?.getSourceFile(fileName);
    const version = typeof languageVersion === 'object' ? languageVersion.languageVersion : languageVersion;
    return sf !== undefined && parsed!.isSourceFileDefaultLibrary(sf) && sf.languageVersion === version ? sf : undefined;
  };
  return {
    ...base,
    getSourceFile(fileName, languageVersion, onError) {
      if (fileName === FILE) return ts.createSourceFile(FILE, text, languageVersion, true);
      let sf = libFiles.get(fileName);
      if (sf === undefined) {
        sf = reuse(fileName, languageVersion) ?? base.getSourceFile(fileName, languageVersion, onError);
        if (sf !== undefined) libFiles.set(fileName, sf);
      }
      return sf;
    },
    fileExists: (fileName) => fileName === FILE || base.fileExists(fileName),
    readFile: (fileName) => (fileName === FILE ? text : base.readFile(fileName)),
    writeFile: () => {},
  };
}

/**
 * For each pair of shapes, whether a value of `from` is assignable to `to`. One program for all
 * pairs. Library files that `parsed` (the project's program) has already read are taken from it.
 */
export function assignability(pairs: ReadonlyArray<{ from: string; to: string }>, parsed?: ts.Program): boolean[] {
  if (pairs.length === 0) return [];
  // Statement 2i declares pair i's `from`, statement 2i + 1 its `to`. `lineOwner` maps each line
  // of the file to its statement (a shape may span lines); `ends` is where each statement ends.
  const statements = pairs.flatMap((p, i) => [`declare const __from_${i}: ${p.from};`, `const __to_${i}: ${p.to} = __from_${i};`]);
  const lineOwner: number[] = [];
  const ends: number[] = [];
  let offset = 0;
  statements.forEach((statement, s) => {
    for (let n = statement.split('\n').length; n > 0; n--) lineOwner.push(s);
    offset += statement.length;
    ends.push(offset);
    offset += 1; // the newline
  });
  const text = statements.join('\n');

  const program = ts.createProgram({ rootNames: [FILE], options: OPTIONS, host: hostFor(text, parsed) });
  const sf = program.getSourceFile(FILE)!;
  const owner = (d: ts.Diagnostic): number => lineOwner[sf.getLineAndCharacterOfPosition(d.start ?? 0).line] ?? statements.length - 1;

  // A shape can also parse without being one type: `number; let x: string`, `number, y: string`,
  // `number = 5` all change the statements around it.
  const wellFormed = (statement: ts.Statement, s: number): boolean => {
    if (!ts.isVariableStatement(statement) || statement.end !== ends[s]) return false;
    const [declaration, ...more] = statement.declarationList.declarations;
    if (declaration === undefined || more.length > 0 || declaration.type === undefined) return false;
    const init = declaration.initializer;
    return s % 2 === 0 ? init === undefined : init !== undefined && ts.isIdentifier(init) && init.text === `__from_${s >> 1}`;
  };
  const syntax = program.getSyntacticDiagnostics(sf);
  let malformed = statements.findIndex((_, s) => sf.statements[s] === undefined || !wellFormed(sf.statements[s]!, s));
  if (malformed < 0 && sf.statements.length > statements.length) malformed = statements.length - 1;
  if (syntax.length > 0 || malformed >= 0) {
    // An unclosed comment or string breaks the statements after it, so each shape is checked
    // on its own to name the right one; the first error's statement is the answer otherwise.
    const invalid = pairs.flatMap((p) => [p.from, p.to]).find((shape) => !parsesAlone(shape));
    const first = syntax[0];
    const s = first !== undefined ? owner(first) : malformed;
    const shape = invalid ?? (s % 2 === 0 ? pairs[s >> 1]!.from : pairs[s >> 1]!.to);
    const reason = invalid === undefined && first !== undefined ? ` (${ts.flattenDiagnosticMessageText(first.messageText, ' ')})` : '';
    throw new HotstateError(`not a valid type shape: ${JSON.stringify(shape)}${reason}`);
  }

  const answers = pairs.map(() => true);
  // Not assignable; or a shape names something that does not exist, which cannot be shown to fit.
  for (const d of program.getSemanticDiagnostics(sf)) answers[owner(d) >> 1] = false;
  return answers;
}

export function isAssignable(from: string, to: string): boolean {
  return assignability([{ from, to }])[0]!;
}

/** Whether `shape` is exactly one type: `type T = <shape>;` parses as one statement, without errors. */
function parsesAlone(shape: string): boolean {
  const text = `type T = ${shape};`;
  const sf = ts.createSourceFile('/__hotstate_shape__.ts', text, ts.ScriptTarget.ES2022, true);
  const hasError = (node: ts.Node): boolean => (node.flags & ts.NodeFlags.ThisNodeHasError) !== 0 || ts.forEachChild(node, hasError) === true;
  const statement = sf.statements[0];
  return sf.statements.length === 1 && statement !== undefined && ts.isTypeAliasDeclaration(statement) && statement.end === text.length && !hasError(sf);
}
