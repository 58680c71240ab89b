/** A `const` is code: this object is created again on every edit, and the update report says so. */
export const theme = { accent: '#0969da', createdAt: new Date().toISOString() };

/** Marked `@hotstate keep`, this `const` is state: it keeps its first value. */
// @hotstate keep
export const firstLoadedAt = new Date().toISOString();
