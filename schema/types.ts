/**
 * The state schema as the project tools see it (`hotstate check`, `hotstate migrate`): every
 * instrumented module's state bindings and class fields with their types from the TypeScript
 * checker (declared or inferred). The dev server never builds these; it compares the declared
 * annotations it reads with the fast parser (`runtime/contract.ts`, `ModuleSchema`).
 */

/** What a state binding is: a module-level `let` or `var`, or a `// @hotstate keep` const. */
export type BindingKind = 'let' | 'var' | 'const';

/** The type of one piece of state. */
export interface TypeInfo {
  /** For people: what the checker prints (`Task[]`, `Map<string, Session>`). */
  type: string;
  /**
   * For comparison: the type written out structurally to a bounded depth (see `shape.ts`), so
   * that adding a property to an interface, or changing an array's element type, is a change.
   */
  shape: string;
  /** Written by the user (`let n: number`) rather than inferred from the initializer. */
  declared: boolean;
  /** Fingerprint of the initializer's text (whitespace-insensitive); absent without one. */
  init?: string;
  /**
   * The declared annotation as the dev server reads it (`Task[]`), whitespace-normalized; absent
   * when the type is inferred. With `init`, what the runtime matches migrations by.
   */
  annotation?: string;
}

export interface BindingEntry extends TypeInfo {
  kind: BindingKind;
  /** Marked `// @hotstate reset`: starts again from its initializer on every update. */
  reset?: true;
}

export interface FieldEntry extends TypeInfo {
  /** Declared as a constructor parameter property (`constructor(private n: number)`). */
  parameter?: true;
  /** An `accessor` field. */
  accessor?: true;
}

/** One module: its state bindings by name, its top-level classes' fields by key. */
export interface ModuleState {
  bindings: Record<string, BindingEntry>;
  /** Class name → field key → field. Field keys: `name`, `#name`, `static name`, `static #name`. */
  classes: Record<string, Record<string, FieldEntry>>;
}

/** The whole project: module ID (path relative to the project root, `/` separators) → state. */
export interface ProjectState {
  modules: Record<string, ModuleState>;
}

/** Where something is in a file: 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** Positions of the current sources' declarations, for findings (never written to the snapshot). */
export interface ModuleLocations {
  file: string;
  bindings: Record<string, Position>;
  classes: Record<string, { at: Position; fields: Record<string, Position> }>;
}
