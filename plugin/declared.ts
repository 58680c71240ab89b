import type { ModuleSchema } from '../runtime/contract.ts';

/**
 * The schema of JavaScript compiled from TypeScript, with what only the TypeScript says: each
 * binding, class and field found in both (same name and kind) takes its declared type,
 * initializer hash and line from `declared`, the schema of the original source. Updates then
 * judge type changes as they do when the TypeScript itself is instrumented. What exists only in
 * the JavaScript (an enum compiled to a `var`) keeps its own entry.
 */
export function withDeclared(schema: ModuleSchema, declared: ModuleSchema | undefined): ModuleSchema {
  if (declared === undefined) return schema;
  const bindings = new Map(declared.bindings.map((b) => [b.name, b]));
  const classes = new Map(declared.classes.map((c) => [c.name, c]));
  const take = <T extends { line: number; type?: string; init?: string }>(own: T, from: T | undefined): T => {
    if (from === undefined) return own;
    const { type: _type, init: _init, ...rest } = own;
    return { ...rest, line: from.line, ...(from.type === undefined ? {} : { type: from.type }), ...(from.init === undefined ? {} : { init: from.init }) } as T;
  };
  return {
    bindings: schema.bindings.map((b) => {
      const from = bindings.get(b.name);
      return from?.kind === b.kind ? take(b, from) : b;
    }),
    classes: schema.classes.map((c) => {
      const from = classes.get(c.name);
      if (from === undefined) return c;
      const fields = new Map(from.fields.map((f) => [`${f.static}:${f.name}`, f]));
      return { ...c, line: from.line, fields: c.fields.map((f) => take(f, fields.get(`${f.static}:${f.name}`))) };
    }),
  };
}
