import type { BindingSchema, ClassSchema, FieldSchema, ModuleSchema } from './contract.ts';

/** Reading a module's schema: shared by the update plan and the migrations. */

/** A binding whose value lives in the store (`let`/`var`, a kept or `@hotstate reset` declaration). */
export const isState = (binding: BindingSchema): boolean => binding.kind === 'state' || binding.kind === 'reset';

/** The store key of a class field: `C.x`, `C.#x`, `C.static.x`. */
export function fieldKey(className: string, field: Pick<FieldSchema, 'name' | 'static'>): string {
  return field.static ? `${className}.static.${field.name}` : `${className}.${field.name}`;
}

export function classFields(schema: ModuleSchema | undefined, className: string): FieldSchema[] {
  return schema?.classes.find((cls: ClassSchema) => cls.name === className)?.fields ?? [];
}
