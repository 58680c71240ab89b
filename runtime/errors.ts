/**
 * Every error hotstate raises on purpose is a `HotstateError`: one class, one prefix, and a
 * message that names the module, says what went wrong and what to do.
 */
export class HotstateError extends Error {
  override name = 'HotstateError';
  /** Module ID (root-relative path) the error is about, when there is one. */
  readonly id: string | undefined;

  constructor(message: string, id?: string) {
    super(id === undefined ? `[hotstate] ${message}` : `[hotstate] ${id}: ${message}`);
    this.id = id;
  }
}

/** For states that should be impossible: says so, so that users report it instead of debugging it. */
export function internalError(what: string): HotstateError {
  return new HotstateError(
    `internal error: ${what}. This is a bug in hotstate; please report it with the file that triggered it.`,
  );
}
