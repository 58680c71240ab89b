/**
 * The minimal type comparison the runtime can do without a type checker: declared annotations,
 * compared as text. A union that keeps every old member is a widening (old values still fit);
 * any other change of a written annotation counts as incompatible. A missing annotation on
 * either side says nothing, so it is treated as unchanged (inferred types are the schema
 * checker's job, not the runtime's).
 */
export type TypeChange = 'same' | 'widened' | 'incompatible';

export function compareDeclaredTypes(before: string | undefined, after: string | undefined): TypeChange {
  if (before === undefined || after === undefined || before === after) return 'same';
  const beforeMembers = new Set(splitUnion(before));
  const afterMembers = new Set(splitUnion(after));
  if (![...beforeMembers].every((member) => afterMembers.has(member))) return 'incompatible';
  return beforeMembers.size === afterMembers.size ? 'same' : 'widened';
}

/** Splits `A | B<C | D> | (E | F)` at its top-level `|` only. */
export function splitUnion(type: string): string[] {
  const members: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < type.length; i++) {
    const ch = type[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if ('<([{'.includes(ch)) depth++;
    else if ('>)]}'.includes(ch) && type[i - 1] !== '=') depth--;
    else if (ch === '|' && depth === 0) {
      members.push(type.slice(start, i).trim());
      start = i + 1;
    }
  }
  members.push(type.slice(start).trim());
  return members.filter((member) => member !== '');
}
