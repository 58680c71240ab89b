/** 1-based line and 0-based column of an offset. */
export function lineColumn(code: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = code.indexOf('\n'); i !== -1 && i < offset; i = code.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart };
}

/** The offset where each line starts (line 1 at index 0). */
export function lineStarts(code: string): number[] {
  const starts = [0];
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Line starts as TypeScript counts lines (and writes its source maps): at \n, \r\n, a lone \r, U+2028 and U+2029. */
export function lineStartsTs(code: string): number[] {
  const starts = [0];
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c === 13 && code.charCodeAt(i + 1) === 10) continue;
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) starts.push(i + 1);
  }
  return starts;
}

/** The 0-based line of `offset`, given the line starts (`lineStarts`): a binary search. */
export function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A fast offset → line lookup for many offsets in one file. */
export function lineIndex(code: string): (offset: number) => number {
  const starts = lineStarts(code);
  return (offset) => lineAt(starts, offset) + 1;
}

/** 1-based line and 1-based column of an offset, as editors and `file:line:col` show them. */
export function position(code: string, offset: number): { line: number; column: number } {
  const { line, column } = lineColumn(code, offset);
  return { line, column: column + 1 };
}
