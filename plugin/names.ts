/**
 * Names of the identifiers the transform adds. They share one prefix that does not occur anywhere
 * in the module's source, so they can never capture or shadow a user's name.
 */
export class EmittedNames {
  /** The version handle (`var`, so hoisted calls from circular importers see it declared). */
  readonly hs: string;
  /** The runtime namespace import. */
  readonly runtime: string;
  /** This version's liveness marker: a hoisted function whose `stale` property the runtime sets. */
  readonly live: string;

  /** The global that is set once a version of this code went stale (`ModuleMeta.staleGlobal`). */
  readonly staleGlobal: string;

  constructor(source: string, fingerprint: string) {
    let prefix = '__hs';
    for (let n = 1; source.includes(prefix); n++) prefix = `__hs${n}`;
    this.hs = prefix;
    this.runtime = `${prefix}_rt`;
    this.live = `${prefix}_live`;
    this.staleGlobal = `${prefix}_stale_${fingerprint}`;
  }

  /**
   * The test at the top of every prologue: true once a newer version of this module is current.
   * A hoisted function declaration can run before the module body defined the global (a circular
   * importer calls it), so its test guards with `typeof`; arrows, methods and constructors cannot.
   */
  stale(hoisted: boolean): string {
    return hoisted
      ? `(typeof ${this.staleGlobal} !== "undefined" && ${this.staleGlobal} && ${this.live}.stale)`
      : `(${this.staleGlobal} && ${this.live}.stale)`;
  }

  /** The module-level `let` each exported state binding is mirrored into. */
  mirror(name: string): string {
    return `${this.hs}_export_${name}`;
  }


  /** The module-level alias through which a class's methods reach its stable identity. */
  classAlias(cls: string): string {
    return `${this.hs}_class_${cls}`;
  }
}
